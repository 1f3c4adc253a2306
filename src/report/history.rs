//! The certification history: `--history FILE` appends one JSON line per run, and
//! `firedrill report trend FILE` prints the last runs per scenario — what scheduled incident
//! simulations are watched by.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::certify::Certification;

pub const HISTORY_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub version: u32,
    pub generated_at: String,
    pub decision: String,
    pub reasons: usize,
    pub lint_errors: usize,
    pub drills: Vec<HistoryDrill>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryDrill {
    pub scenario: String,
    #[serde(default)]
    pub defects: Vec<String>,
    /// `PASS`, `FAIL`, or `ERROR` when the drill could not run.
    pub verdict: String,
    pub rto_s: Option<f64>,
    pub error_rate_percent: Option<f64>,
    pub lost_writes: Option<u64>,
}

impl HistoryLine {
    pub fn of(c: &Certification) -> Self {
        HistoryLine {
            version: HISTORY_VERSION,
            generated_at: c.generated_at.clone(),
            decision: c.decision.as_str().to_string(),
            reasons: c.reasons.len(),
            lint_errors: c.lint.errors,
            drills: c
                .drills
                .iter()
                .map(|d| HistoryDrill {
                    scenario: d.scenario.clone(),
                    defects: d.defects.clone(),
                    verdict: match (&d.error, d.passed) {
                        (Some(_), _) => "ERROR",
                        (None, true) => "PASS",
                        (None, false) => "FAIL",
                    }
                    .to_string(),
                    rto_s: d.rto_s,
                    error_rate_percent: d.error_rate_percent,
                    lost_writes: d.lost_writes,
                })
                .collect(),
        }
    }
}

/// Appends the run as one line. One `write` of a whole line in append mode, so two runs
/// appending at once do not interleave within a line.
pub fn append(path: &Path, c: &Certification) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut line = serde_json::to_string(&HistoryLine::of(c))?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(line.as_bytes()).with_context(|| format!("appending to {}", path.display()))?;
    Ok(())
}

/// Reads a history file; a line that is not a history entry is an error at its line and column.
pub fn read(path: &Path) -> Result<Vec<HistoryLine>> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8(text).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = upto.len() - upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        anyhow::anyhow!("{}:{line}:{column}: not UTF-8 text: not a history file", path.display())
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: HistoryLine = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{}:{}:{}: not a history entry: {e}", path.display(), i + 1, e.column()))?;
        out.push(entry);
    }
    Ok(out)
}

/// The last `last` runs of every scenario (with its defect switches), oldest first.
pub fn trend(entries: &[HistoryLine], last: usize) -> String {
    let mut by_scenario: BTreeMap<String, Vec<(&HistoryLine, &HistoryDrill)>> = BTreeMap::new();
    for e in entries {
        for d in &e.drills {
            let mut key = d.scenario.clone();
            for defect in &d.defects {
                key.push('+');
                key.push_str(defect);
            }
            by_scenario.entry(key).or_default().push((e, d));
        }
    }
    let mut out = String::new();
    let runs = entries.len();
    let _ = writeln!(out, "{runs} certification run(s); last decision: {}", entries.last().map_or("none", |e| e.decision.as_str()));
    let _ = writeln!(out, "{:<30} {:<21} {:<7} {:>10} {:>9} {:>6}", "scenario", "run (UTC)", "verdict", "rto", "errors", "lost");
    for (scenario, rows) in &by_scenario {
        for (e, d) in rows.iter().skip(rows.len().saturating_sub(last)) {
            let _ = writeln!(
                out,
                "{:<30} {:<21} {:<7} {:>10} {:>9} {:>6}",
                scenario,
                e.generated_at,
                d.verdict,
                d.rto_s.map_or("-".into(), |s| format!("{s:.2} s")),
                d.error_rate_percent.map_or("-".into(), |p| format!("{p:.2} %")),
                d.lost_writes.map_or("-".into(), |n| n.to_string())
            );
        }
    }
    out
}
