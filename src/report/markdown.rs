//! `certification.md`: the certification for pull requests and wikis, rendered from the model.

use std::fmt::Write as _;

use crate::certify::{Certification, Decision, Outcome, ReasonKind};

/// How many lint findings the Markdown lists in full (the JSON has them all).
const FINDINGS_SHOWN: usize = 20;

pub fn render(c: &Certification) -> String {
    let mut out = String::new();
    let mark = match c.decision {
        Decision::Go => "✅",
        Decision::NoGo => "❌",
    };
    let _ = writeln!(out, "# Certification: {mark} {}\n", c.decision.as_str());
    let _ = writeln!(
        out,
        "Generated {} by firedrill {} in {:.0} s. {} runbook file(s), {} drill(s){}.\n",
        c.generated_at,
        c.firedrill_version,
        c.elapsed_s,
        c.lint.files.len(),
        c.drills.len(),
        if c.policy.drills_skipped { " (drills skipped: lint and claims only, nothing measured)" } else { "" }
    );

    if c.reasons.is_empty() {
        let _ = writeln!(out, "No blocking reason.\n");
    } else {
        let _ = writeln!(out, "## Reasons ({})\n", c.reasons.len());
        for r in &c.reasons {
            let _ = writeln!(out, "- **{}** `{}`: {}", kind_label(r.kind), cell(&r.source), r.message);
        }
        out.push('\n');
    }
    if !c.warnings.is_empty() {
        let blocking = if c.policy.warnings_block { "" } else { ", not blocking" };
        let _ = writeln!(out, "## Warnings ({}{blocking})\n", c.warnings.len());
        for r in &c.warnings {
            let _ = writeln!(out, "- {} `{}`: {}", kind_label(r.kind), cell(&r.source), r.message);
        }
        out.push('\n');
    }

    if !c.drills.is_empty() {
        let _ = writeln!(out, "## Drills\n");
        let _ = writeln!(out, "| scenario | verdict | compression | RTO (drill) | lost writes | duration |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for d in &c.drills {
            let verdict = match (&d.error, d.passed) {
                (Some(_), _) => "ERROR",
                (None, true) => "PASS",
                (None, false) => "FAIL",
            };
            let _ = writeln!(
                out,
                "| {} | {verdict} | × {} | {} | {} | {:.1} s |",
                cell(&d.scenario),
                crate::certify::compare::trim_float(d.compression),
                d.rto_s.map_or("-".into(), |s| format!("{s:.2} s")),
                d.lost_writes.map_or("-".into(), |n| n.to_string()),
                d.duration_s
            );
        }
        out.push('\n');
        for d in &c.drills {
            let _ = writeln!(out, "### {}\n", d.scenario);
            if !d.description.is_empty() {
                let _ = writeln!(out, "{}\n", d.description.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            if let Some(e) = &d.error {
                let _ = writeln!(out, "Could not run: {}\n", cell(e));
                continue;
            }
            let _ = writeln!(out, "| target | expected | measured | result |");
            let _ = writeln!(out, "|---|---|---|---|");
            for k in &d.checks {
                let _ = writeln!(out, "| {} | {} | {} | {} |", cell(&k.target), cell(&k.expected), cell(&k.measured), if k.passed { "pass" } else { "**FAIL**" });
            }
            out.push('\n');
        }
    }

    let _ = writeln!(out, "## Claims put to the test\n");
    if c.comparisons.is_empty() && c.policy.drills_skipped {
        let _ = writeln!(out, "Drills skipped: no claim was compared with a measurement.\n");
    } else if c.comparisons.is_empty() {
        let _ = writeln!(out, "No scenario names a runbook claim.\n");
    } else {
        let _ = writeln!(out, "Times measured in a drill are multiplied by its compression factor before they are compared with the runbook.\n");
        let _ = writeln!(out, "| claim | where | drill | quantity | claimed | measured (drill) | measured (runbook terms) | result |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for m in &c.comparisons {
            let result = match m.outcome {
                Outcome::Holds => "holds",
                Outcome::Contradicted => "**contradicted**",
                Outcome::NotComparable => "not comparable",
            };
            let _ = writeln!(
                out,
                "| {} | {}:{} | {} (× {}) | {} | {} | {} | {} | {result} |",
                cell(&m.subject),
                cell(&m.file),
                m.line,
                cell(&m.scenario),
                crate::certify::compare::trim_float(m.compression),
                cell(&m.quantity),
                cell(&m.claimed),
                cell(&m.measured_in_drill),
                cell(&m.measured)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{} claim(s) extracted from the runbooks in all (`certification.json` lists them).\n", c.claims.len());

    let _ = writeln!(out, "## Lint\n");
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} info(s) in {} file(s).\n",
        c.lint.errors,
        c.lint.warnings,
        c.lint.infos,
        c.lint.files.len()
    );
    for u in &c.lint.unreadable {
        let _ = writeln!(out, "- unreadable: {}", cell(u));
    }
    let shown: Vec<_> = c.lint.findings.iter().filter(|f| f.severity != "info").take(FINDINGS_SHOWN).collect();
    for f in &shown {
        let _ = writeln!(out, "- **{} {}** {} `{}:{}:{}`: {}", f.severity, f.code, f.rule, f.file, f.line, f.column, f.message);
        let _ = writeln!(out, "  ```text\n  {}\n  ```", f.source_line.trim());
    }
    let rest = c.lint.findings.iter().filter(|f| f.severity != "info").count().saturating_sub(shown.len());
    if rest > 0 {
        let _ = writeln!(out, "\n…and {rest} more in `certification.json` and `lint.sarif`.");
    }
    out
}

/// A reason's kind in words, for every rendering.
pub(crate) fn kind_label(kind: ReasonKind) -> &'static str {
    match kind {
        ReasonKind::LintError => "lint error",
        ReasonKind::LintWarning => "lint warning",
        ReasonKind::Unreadable => "unreadable runbook",
        ReasonKind::DrillTarget => "drill target missed",
        ReasonKind::DrillError => "drill error",
        ReasonKind::ClaimContradicted => "claim contradicted",
        ReasonKind::ClaimNotFound => "claim not found",
        ReasonKind::ClaimNotComparable => "claim not comparable",
    }
}

/// Text safe inside a table cell: no pipe, no line break.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
