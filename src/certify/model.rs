//! `certification.json`: the certification's source of truth. Every other output (HTML,
//! Markdown, JUnit) is rendered from this model alone, so it round-trips through serde and holds
//! copies of what it shows rather than references into the lint report or the drill results.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub schema_version: u32,
    /// UTC, RFC 3339.
    pub generated_at: String,
    pub firedrill_version: String,
    pub decision: Decision,
    /// Why the decision is NO-GO: every blocking finding, missed target and contradicted claim.
    pub reasons: Vec<Reason>,
    /// Listed, not blocking (unless the policy says warnings block).
    pub warnings: Vec<Reason>,
    pub policy: Policy,
    pub lint: LintSection,
    pub claims: Vec<ClaimRow>,
    /// Claims put to the test by a drill, claimed against measured.
    pub comparisons: Vec<Comparison>,
    pub drills: Vec<DrillSection>,
    /// Wall time of the whole certification, seconds.
    pub elapsed_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    #[serde(rename = "GO")]
    Go,
    #[serde(rename = "NO-GO")]
    NoGo,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Go => "GO",
            Decision::NoGo => "NO-GO",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Lint warnings count as reasons for NO-GO.
    pub warnings_block: bool,
    /// `--skip-drills`: lint and claims only; nothing was measured.
    pub drills_skipped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// An error-level lint finding.
    LintError,
    /// A warning-level lint finding.
    LintWarning,
    /// A runbook that could not be read.
    Unreadable,
    /// A drill target the service missed.
    DrillTarget,
    /// A drill that could not run to the end.
    DrillError,
    /// A runbook claim a measurement contradicts.
    ClaimContradicted,
    /// A scenario names a claim no runbook makes.
    ClaimNotFound,
    /// A claim linked to a drill that no drill measurement can speak to.
    ClaimNotComparable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// Where: `file:line` for runbooks, the scenario name for drills.
    pub source: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LintSection {
    pub files: Vec<String>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Files that could not be read, with why.
    pub unreadable: Vec<String>,
    /// Every finding, worst first, each with its source line (secrets masked).
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub rule: String,
    pub severity: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
    /// The line the finding starts on, with every redacted span masked.
    pub source_line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimRow {
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub subject: String,
    pub statement: String,
    pub section: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Holds,
    Contradicted,
    NotComparable,
}

/// One claim against one drill's measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub scenario: String,
    pub file: String,
    pub line: usize,
    pub subject: String,
    /// What was compared: `RTO`, `RPO`, `error rate`, `latency p99`.
    pub quantity: String,
    /// The promise as the runbook states it (production time).
    pub claimed: String,
    /// The measurement in drill time, as measured.
    pub measured_in_drill: String,
    /// The measurement in the runbook's terms: times multiplied by the compression factor;
    /// ratios and latencies as measured (they are not compressed).
    pub measured: String,
    /// How the two were put side by side, in words.
    pub basis: String,
    pub compression: f64,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillSection {
    pub scenario: String,
    pub path: String,
    pub description: String,
    pub defects: Vec<String>,
    /// True when every target was met.
    pub passed: bool,
    /// Why the drill could not run to the end, if it could not.
    pub error: Option<String>,
    pub compression: f64,
    /// The drill's full result JSON, relative to the certification folder.
    pub result_file: Option<String>,
    pub duration_s: f64,
    pub rto_s: Option<f64>,
    pub recovered_at_s: Option<f64>,
    pub lost_writes: Option<u64>,
    /// Errors over all requests of the drill, fault included.
    pub error_rate_percent: Option<f64>,
    pub checks: Vec<CheckRow>,
    pub faults: Vec<FaultWindow>,
    pub series: Vec<SeriesPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRow {
    pub target: String,
    pub expected: String,
    pub measured: String,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub name: String,
    pub kind: String,
    pub what: String,
    /// Seconds from the start of the load.
    pub from_s: Option<f64>,
    pub to_s: Option<f64>,
}

/// One interval of a drill's time series, in chart units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Interval start, seconds from the start of the load.
    pub t_s: f64,
    pub requests_per_s: f64,
    pub error_rate_percent: f64,
    pub p95_ms: Option<f64>,
}
