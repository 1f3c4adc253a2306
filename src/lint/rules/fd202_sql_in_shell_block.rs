use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// TODO: not written yet.
    ///
    /// ## Example
    /// TODO
    pub struct SqlInShellBlock {
        code: "FD202",
        name: "sql-in-shell-block",
        severity: Error,
        summary: "SQL written as shell commands",
    }
}

impl Rule for SqlInShellBlock {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}
}
