use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// TODO: not written yet.
    ///
    /// ## Example
    /// TODO
    pub struct InteractiveInScript {
        code: "FD203",
        name: "interactive-in-script",
        severity: Warning,
        summary: "An interactive command inside a script meant to run unattended",
    }
}

impl Rule for InteractiveInScript {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}
}
