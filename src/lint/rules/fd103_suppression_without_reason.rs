use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Finds `<!-- firedrill-disable CODE -->` comments that give no reason after a colon.
    ///
    /// ## Why is this bad?
    /// A silenced finding with no reason is indistinguishable from one silenced to make CI green.
    /// The next reader cannot tell whether the risk was understood.
    ///
    /// ## Example
    /// ```markdown
    /// <!-- firedrill-disable FD203 -->
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// <!-- firedrill-disable FD203: this step is run by hand on a terminal -->
    /// ```
    pub struct SuppressionWithoutReason {
        code: "FD103",
        name: "suppression-without-reason",
        severity: Info,
        summary: "A firedrill-disable comment gives no reason",
    }
}

impl Rule for SuppressionWithoutReason {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for s in cx.runbook.suppressions.iter().filter(|s| s.reason.is_none()) {
            out.push(
                Finding::new(s.span.clone(), format!("`firedrill-disable {}` gives no reason", s.codes.join(", ")))
                    .help(format!("add the reason after a colon: `<!-- firedrill-disable {}: why -->`", s.codes.join(", "))),
            );
        }
    }
}
