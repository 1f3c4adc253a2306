use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// TODO: not written yet.
    ///
    /// ## Example
    /// TODO
    pub struct ShellSyntaxError {
        code: "FD201",
        name: "shell-syntax-error",
        severity: Error,
        summary: "A shell block does not parse",
    }
}

impl Rule for ShellSyntaxError {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}
}
