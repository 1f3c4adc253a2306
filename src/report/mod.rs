//! What a drill leaves behind: the result JSON (the source of truth, with the raw series) and a
//! one-line-per-drill summary for the terminal.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::drill::DrillResult;
use crate::verdict::show_duration;

/// Writes `result` as `<dir>/<scenario>[+defect...]/result.json` (atomically) and returns the path.
pub fn write_result(dir: &Path, result: &DrillResult) -> Result<PathBuf> {
    let mut name = result.scenario.name.clone();
    for d in &result.defects {
        name.push('+');
        name.push_str(d);
    }
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    let path = folder.join("result.json");
    let tmp = folder.join("result.json.tmp");
    let json = serde_json::to_string_pretty(result)?;
    std::fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// One drill's verdict, target by target.
pub fn verdict_table(result: &DrillResult) -> String {
    let mut out = String::new();
    let defects = if result.defects.is_empty() { String::new() } else { format!(" (defects: {})", result.defects.join(", ")) };
    let _ = writeln!(out, "{}{defects}: {}", result.scenario.name, if result.verdict.passed { "PASS" } else { "FAIL" });
    // Columns as wide as their longest entry, so long target names still line up.
    let width = |f: &dyn Fn(&crate::verdict::Check) -> usize, title: &str| {
        result.verdict.checks.iter().map(f).max().unwrap_or(0).max(title.len())
    };
    let (t, e, m) = (
        width(&|c| c.target.chars().count(), "target"),
        width(&|c| c.expected.chars().count(), "expected"),
        width(&|c| c.measured.chars().count(), "measured"),
    );
    let _ = writeln!(out, "  {:<t$}  {:<e$}  {:<m$}  result", "target", "expected", "measured");
    for c in &result.verdict.checks {
        let _ = writeln!(out, "  {:<t$}  {:<e$}  {:<m$}  {}", c.target, c.expected, c.measured, if c.passed { "pass" } else { "FAIL" });
    }
    out
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

pub mod history;
pub mod html;
pub mod junit;
pub mod markdown;

/// Writes a certification's files into `dir`: `certification.json` (the source of truth), and
/// rendered from it `certification.html`, `certification.md`, `junit.xml`; plus the lint run's
/// `lint.sarif`. Each file is written whole or not at all (temp file + rename).
pub fn write_certification(dir: &Path, c: &crate::certify::Certification, sarif: &str) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = [
        ("certification.json", serde_json::to_string_pretty(c)? + "\n"),
        ("certification.html", html::render(c)),
        ("certification.md", markdown::render(c)),
        ("junit.xml", junit::render(c)),
        ("lint.sarif", sarif.to_string()),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
