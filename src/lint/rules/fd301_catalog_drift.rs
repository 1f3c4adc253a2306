use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// TODO: not written yet.
    ///
    /// ## Example
    /// TODO
    pub struct CatalogDrift {
        code: "FD301",
        name: "catalog-drift",
        severity: Error,
        summary: "SQL uses a catalog column or function the target Postgres no longer has",
    }
}

impl Rule for CatalogDrift {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}
}
