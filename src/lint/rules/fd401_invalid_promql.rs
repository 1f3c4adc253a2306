use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// TODO: not written yet.
    ///
    /// ## Example
    /// TODO
    pub struct InvalidPromql {
        code: "FD401",
        name: "invalid-promql",
        severity: Error,
        summary: "A PromQL query does not parse",
    }
}

impl Rule for InvalidPromql {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}
}
