//! The promises a runbook makes (objectives, RTO/RPO, backup policy, alerts, response times,
//! checklists, review dates), extracted into a typed model with units and source positions.
//!
//! TODO: the extraction is not written yet.

use crate::runbook::Runbook;

/// One promise, with where it was made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Claim {
    pub line: usize,
}

/// Extracts every claim a runbook makes.
pub fn extract(_runbook: &Runbook) -> Vec<Claim> {
    Vec::new()
}
