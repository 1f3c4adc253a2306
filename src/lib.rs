//! firedrill: lint ops runbooks, drill the incidents they describe, certify the result.
//!
//! The pipeline, one folder a stage:
//! - `runbook` → `claims` → `lint`: static checks of Markdown runbooks;
//! - `scenario` → `environment` → `faults` + `workload` → `measure` → `verdict` → `report`:
//!   incident drills against a running service; `drill` runs one scenario through them;
//! - `certify`: both halves and the claims between them, decided GO / NO-GO and written by
//!   `report`.

pub mod certify;
pub mod certs;
pub mod claims;
pub mod cli;
pub mod drill;
pub mod environment;
pub mod faults;
pub mod lint;
pub mod measure;
pub mod report;
pub mod runbook;
pub mod scenario;
pub mod units;
pub mod upstream;
pub mod verdict;
pub mod workload;
