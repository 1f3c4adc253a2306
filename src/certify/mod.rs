//! `firedrill certify`: lint the runbooks, extract their claims, run the drill suite, set the
//! claims the scenarios name against what the drills measured, and decide GO or NO-GO with the
//! reasons. The decision is a pure function of the collected evidence (`decide`), so it is tested
//! without containers; `report` renders the resulting [`Certification`] to files.

pub mod compare;
pub mod model;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;

pub use model::*;

use crate::claims::Claim;
use crate::drill::{DrillResult, RunOptions};
use crate::lint::{self, Config, Severity};
use crate::runbook::Runbook;
use crate::scenario::Scenario;

/// What to certify and how.
#[derive(Debug, Clone)]
pub struct CertifyOptions {
    /// Runbook files and folders.
    pub runbooks: Vec<PathBuf>,
    /// Scenario files and folders (`*.yaml`, `*.yml`).
    pub scenarios: Vec<PathBuf>,
    /// Lint only: no drill runs, no Docker needed.
    pub skip_drills: bool,
    /// Lint warnings block the certification too.
    pub warnings_block: bool,
    pub lint_config: Config,
    pub run: RunOptions,
}

/// What certification gathered before deciding: kept apart from the decision so the decision can
/// be tested on any evidence.
pub struct Evidence {
    pub lint: lint::Report,
    /// Each scenario with its drill result, or why it could not run; empty with `--skip-drills`.
    pub drills: Vec<(Scenario, Result<DrillResult, String>)>,
    /// Where each drill's result JSON was written, by scenario name.
    pub result_files: BTreeMap<String, String>,
}

/// Runs lint and the drills and returns the evidence. Drill results are written under
/// `<out>/drills/` as they come, so a long certification leaves what it has measured.
pub fn gather(options: &CertifyOptions, out: &Path) -> Result<Evidence> {
    // Folders are walked as `lint` walks them: `*.md`, `*.markdown`, or the config's `include`.
    let files = lint::collect_files(&options.runbooks, &options.lint_config.include)?;
    if files.is_empty() {
        anyhow::bail!(
            "no runbook in {} (folders are walked for *.md and *.markdown, or the config's `include`)",
            options.runbooks.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let report = lint::lint_files(&files, &options.lint_config);
    let mut scenarios = Vec::new();
    if !options.skip_drills {
        let scenario_files = lint::collect_files(&options.scenarios, &["*.yaml".into(), "*.yml".into()])?;
        if scenario_files.is_empty() {
            anyhow::bail!("no *.yaml or *.yml scenario in {}; use --skip-drills to certify the runbooks alone", show_paths(&options.scenarios));
        }
        // Every scenario is checked before any container starts.
        for file in &scenario_files {
            scenarios.push(Scenario::load(file).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
    }
    let mut drills = Vec::new();
    let mut result_files = BTreeMap::new();
    if !scenarios.is_empty() {
        let runtime = tokio::runtime::Runtime::new()?;
        let drills_dir = out.join("drills");
        for scenario in scenarios {
            let result = runtime.block_on(crate::drill::run(&scenario, &options.run)).map_err(|e| format!("{e:#}"));
            if let Ok(r) = &result {
                let path = crate::report::write_result(&drills_dir, r)?;
                let rel = path.strip_prefix(out).unwrap_or(&path).display().to_string();
                result_files.insert(scenario.name.clone(), rel);
            }
            drills.push((scenario, result));
        }
    }
    Ok(Evidence { lint: report, drills, result_files })
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Decides GO or NO-GO from the evidence, listing every reason.
pub fn decide(evidence: &Evidence, options: &CertifyOptions, generated_at: String, elapsed: Duration) -> Certification {
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();

    let lint_section = lint_section(&evidence.lint);
    for e in &evidence.lint.load_errors {
        let path = match e {
            crate::runbook::LoadError::Io { path, .. } | crate::runbook::LoadError::Binary { path, .. } => path,
        };
        reasons.push(Reason { kind: ReasonKind::Unreadable, source: path.display().to_string(), message: e.to_string() });
    }
    for f in &lint_section.findings {
        let reason = Reason {
            kind: if f.severity == "error" { ReasonKind::LintError } else { ReasonKind::LintWarning },
            source: format!("{}:{}:{}", f.file, f.line, f.column),
            message: format!("{} {}: {}", f.code, f.rule, f.message),
        };
        match f.severity.as_str() {
            "error" => reasons.push(reason),
            "warning" if options.warnings_block => reasons.push(reason),
            "warning" => warnings.push(reason),
            _ => {}
        }
    }

    let mut claims: Vec<ClaimRow> = Vec::new();
    for file in &evidence.lint.files {
        claims.extend(file.claims.iter().map(claim_row));
    }

    let mut comparisons = Vec::new();
    let mut drills = Vec::new();
    for (scenario, result) in &evidence.drills {
        match result {
            Ok(r) => {
                for c in r.verdict.checks.iter().filter(|c| !c.passed) {
                    reasons.push(Reason {
                        kind: ReasonKind::DrillTarget,
                        source: scenario.name.clone(),
                        message: format!("missed {} ({}): measured {}", c.target, c.expected, c.measured),
                    });
                }
                for link in &scenario.claims {
                    let file = scenario.path.parent().unwrap_or(Path::new(".")).join(&link.file);
                    let found = linked_claims(evidence, &file, &link.subject);
                    match found {
                        Err(why) => reasons.push(Reason {
                            kind: ReasonKind::ClaimNotFound,
                            source: scenario.name.clone(),
                            message: format!("names the claim `{}` in {}: {why}", link.subject, link.file.display()),
                        }),
                        Ok(found) => {
                            for claim in &found {
                                for c in compare::compare(claim, &link.subject, r) {
                                    let source = format!("{}:{}", c.file, c.line);
                                    let claimed = if c.quantity.eq_ignore_ascii_case(&c.subject) {
                                        c.claimed.clone()
                                    } else {
                                        format!("{} {}", c.quantity, c.claimed)
                                    };
                                    let what = format!(
                                        "`{}` claims {claimed}; drill {} measured {} ({})",
                                        c.subject, c.scenario, c.measured, c.basis
                                    );
                                    match c.outcome {
                                        Outcome::Contradicted => {
                                            reasons.push(Reason { kind: ReasonKind::ClaimContradicted, source, message: what })
                                        }
                                        Outcome::NotComparable => warnings.push(Reason {
                                            kind: ReasonKind::ClaimNotComparable,
                                            source,
                                            message: format!("`{}` is linked to drill {}, but {}", c.subject, c.scenario, c.basis),
                                        }),
                                        Outcome::Holds => {}
                                    }
                                    comparisons.push(c);
                                }
                            }
                        }
                    }
                }
                drills.push(drill_section(r, evidence.result_files.get(&scenario.name).cloned()));
            }
            Err(e) => {
                reasons.push(Reason { kind: ReasonKind::DrillError, source: scenario.name.clone(), message: format!("could not run: {e}") });
                drills.push(DrillSection {
                    scenario: scenario.name.clone(),
                    path: scenario.path.display().to_string(),
                    description: scenario.description.trim().to_string(),
                    defects: Vec::new(),
                    passed: false,
                    error: Some(e.clone()),
                    compression: scenario.compression,
                    result_file: None,
                    duration_s: 0.0,
                    rto_s: None,
                    recovered_at_s: None,
                    lost_writes: None,
                    error_rate_percent: None,
                    checks: Vec::new(),
                    faults: Vec::new(),
                    series: Vec::new(),
                });
            }
        }
    }

    Certification {
        schema_version: SCHEMA_VERSION,
        generated_at,
        firedrill_version: env!("CARGO_PKG_VERSION").to_string(),
        decision: if reasons.is_empty() { Decision::Go } else { Decision::NoGo },
        reasons,
        warnings,
        policy: Policy { warnings_block: options.warnings_block, drills_skipped: options.skip_drills },
        lint: lint_section,
        claims,
        comparisons,
        drills,
        elapsed_s: elapsed.as_secs_f64(),
    }
}

/// Lint, drills, decision, and every output written to `out`: the whole certification in one
/// call. Returns the certification and the files written.
pub fn certify(options: &CertifyOptions, out: &Path) -> Result<(Certification, Vec<PathBuf>)> {
    let started = Instant::now();
    let generated_at = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let evidence = gather(options, out)?;
    let certification = decide(&evidence, options, generated_at, started.elapsed());
    let sarif = lint::format::sarif::render(&evidence.lint);
    let written = crate::report::write_certification(out, &certification, &sarif)?;
    Ok((certification, written))
}

/// The claims `subject` names in `file`: from the linted runbooks when the file is one of them,
/// else read for the purpose.
fn linked_claims(evidence: &Evidence, file: &Path, subject: &str) -> Result<Vec<Claim>, String> {
    let wanted = std::fs::canonicalize(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let linted = evidence
        .lint
        .files
        .iter()
        .find(|f| std::fs::canonicalize(&f.runbook.path).ok().as_deref() == Some(wanted.as_path()));
    let claims = match linted {
        Some(f) => f.claims.clone(),
        None => crate::claims::extract(&Runbook::load(file).map_err(|e| e.to_string())?),
    };
    let found: Vec<Claim> = claims.into_iter().filter(|c| compare::names(c, subject)).collect();
    if found.is_empty() {
        return Err("the runbook makes no claim with that subject (`firedrill claims FILE` lists them)".into());
    }
    Ok(found)
}

fn lint_section(report: &lint::Report) -> LintSection {
    let mut findings: Vec<Finding> = report
        .diagnostics
        .iter()
        .map(|d| {
            let runbook = &report.files[d.file_index].runbook;
            Finding {
                code: d.code.to_string(),
                rule: d.rule.to_string(),
                severity: d.severity.as_str().to_string(),
                file: d.file.clone(),
                line: d.line,
                column: d.column,
                message: d.message.clone(),
                help: d.help.clone(),
                source_line: masked_line(report, d.file_index, runbook, d.span.start),
            }
        })
        .collect();
    let rank = |s: &str| match s {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    };
    findings.sort_by(|a, b| rank(&a.severity).cmp(&rank(&b.severity)).then(a.file.cmp(&b.file)).then(a.line.cmp(&b.line)));
    LintSection {
        files: report.files.iter().map(|f| f.runbook.path.display().to_string()).collect(),
        errors: report.count(Severity::Error),
        warnings: report.count(Severity::Warning),
        infos: report.count(Severity::Info),
        unreadable: report.load_errors.iter().map(|e| e.to_string()).collect(),
        findings,
    }
}

/// The source line holding `offset`, with every redacted span of the file that touches it
/// masked: a secret found by one rule must not show in the excerpt of another.
fn masked_line(report: &lint::Report, file_index: usize, runbook: &Runbook, offset: usize) -> String {
    let text = runbook.text();
    let start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut line = text[start..end].to_string();
    let mut ranges: Vec<std::ops::Range<usize>> = report
        .diagnostics
        .iter()
        .filter(|d| d.redact && d.file_index == file_index && d.span.start < end && d.span.end > start)
        .map(|d| d.span.start.max(start) - start..d.span.end.min(end) - start)
        .collect();
    // Masking changes byte lengths after the range: mask from the last range back.
    ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut masked_from = usize::MAX;
    for r in ranges {
        let r = r.start..r.end.min(masked_from);
        if r.start < r.end {
            line = crate::lint::format::human::mask(&line, r.clone());
            masked_from = r.start;
        }
    }
    line.trim_end_matches('\r').to_string()
}

fn claim_row(c: &Claim) -> ClaimRow {
    ClaimRow {
        file: c.file.clone(),
        line: c.line,
        kind: c.kind_name().to_string(),
        subject: c.subject(),
        statement: c.statement(),
        section: c.section.clone(),
    }
}

fn drill_section(r: &DrillResult, result_file: Option<String>) -> DrillSection {
    let secs = |d: Duration| d.as_secs_f64();
    let interval_s = r.series.windows(2).next().map_or(0.5, |w| (w[1].t_ms - w[0].t_ms) as f64 / 1000.0).max(0.001);
    DrillSection {
        scenario: r.scenario.name.clone(),
        path: r.scenario.path.clone(),
        description: r.scenario.description.trim().to_string(),
        defects: r.defects.iter().map(|d| d.to_string()).collect(),
        passed: r.verdict.passed,
        error: None,
        compression: r.compression,
        result_file,
        duration_s: secs(r.timings.total),
        rto_s: r.measured.rto.map(secs),
        recovered_at_s: r.measured.recovered_at.map(secs),
        lost_writes: r.measured.ledger.as_ref().map(|l| l.lost),
        error_rate_percent: {
            let p = &r.measured.phases;
            let requests = p.before.requests + p.during.requests + p.after.requests;
            let errors = p.before.errors + p.during.errors + p.after.errors;
            (requests > 0).then(|| errors as f64 * 100.0 / requests as f64)
        },
        checks: r
            .verdict
            .checks
            .iter()
            .map(|c| CheckRow { target: c.target.clone(), expected: c.expected.clone(), measured: c.measured.clone(), passed: c.passed })
            .collect(),
        faults: r
            .faults
            .iter()
            .map(|f| FaultWindow {
                name: f.name.clone(),
                kind: f.kind.to_string(),
                what: f.what.clone(),
                from_s: f.injected_at.map(secs),
                to_s: f.healed_at.map(secs),
            })
            .collect(),
        series: r
            .series
            .iter()
            .map(|p| SeriesPoint {
                t_s: p.t_ms as f64 / 1000.0,
                requests_per_s: p.requests as f64 / interval_s,
                error_rate_percent: if p.requests == 0 { 0.0 } else { p.errors as f64 * 100.0 / p.requests as f64 },
                p95_ms: p.p95_us.map(|us| us as f64 / 1000.0),
            })
            .collect(),
    }
}

/// Where a certification goes by default: `reports/<UTC timestamp>/`.
pub fn default_out_dir() -> PathBuf {
    crate::drill::default_out_dir()
}
