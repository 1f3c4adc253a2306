//! What a drill leaves behind: the result JSON (the source of truth, with the raw series) and a
//! one-line-per-drill summary for the terminal.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::drill::DrillResult;
use crate::verdict::show_duration;

/// Writes `result` as `<dir>/<scenario>[+defects]-<timestamp>.json` (atomically) and returns the path.
pub fn write_result(dir: &Path, result: &DrillResult) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let stamp: String = result.started_at.chars().filter(|c| c.is_ascii_digit()).take(14).collect();
    let mut name = result.scenario.name.clone();
    for d in &result.defects {
        name.push('+');
        name.push_str(d);
    }
    let path = dir.join(format!("{name}-{stamp}.json"));
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_string_pretty(result)?;
    std::fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The summary table: one row per drill, then the missed targets under it.
pub fn summary(results: &[DrillResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<28} {:<22} {:>7} {:>10} {:>6} {:>9}", "scenario", "defects", "verdict", "rto", "lost", "err after");
    for r in results {
        let defects = if r.defects.is_empty() { "-".to_string() } else { r.defects.join(",") };
        let rto = r.measured.rto.map_or("none".to_string(), show_duration);
        let lost = r.measured.ledger.as_ref().map_or("?".to_string(), |l| l.lost.to_string());
        let after = &r.measured.phases.after;
        let err = if after.requests == 0 { "-".to_string() } else { format!("{:.2} %", after.error_rate.0) };
        let verdict = if r.verdict.passed { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "{:<28} {:<22} {:>7} {:>10} {:>6} {:>9}", r.scenario.name, defects, verdict, rto, lost, err);
        for f in r.verdict.failures() {
            let _ = writeln!(out, "    missed {f}");
        }
    }
    out
}
