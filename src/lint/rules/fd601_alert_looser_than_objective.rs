use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// TODO: not written yet.
    ///
    /// ## Example
    /// TODO
    pub struct AlertLooserThanObjective {
        code: "FD601",
        name: "alert-looser-than-objective",
        severity: Warning,
        summary: "An alert fires only well past the objective it guards",
    }
}

impl Rule for AlertLooserThanObjective {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}
}
