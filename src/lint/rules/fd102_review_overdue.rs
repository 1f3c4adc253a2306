use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// TODO: not written yet.
    ///
    /// ## Example
    /// TODO
    pub struct ReviewOverdue {
        code: "FD102",
        name: "review-overdue",
        severity: Warning,
        summary: "The runbook's next review date has passed",
    }
}

impl Rule for ReviewOverdue {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}
}
