use std::sync::LazyLock;

use regex::Regex;

use crate::claims::ClaimKind;
use crate::declare_rule;
use crate::lint::consistency::{self, human};
use crate::lint::{Finding, ProjectContext, ProjectFinding, Rule, RuleMeta};

use super::fd604_rto_exceeds_error_budget::{availability_text, budget_for};

declare_rule! {
    /// ## What it does
    /// Compares the resolution time promised for the top incident severity (`P1`, `SEV1`,
    /// `P0`, `Critical`, `Crítica`) with the downtime the availability objective allows in a month,
    /// and reports a resolution window larger than that whole budget: with `≥ 99.9 %` (43.2 minutes
    /// a month), `| P1 | 15 min | 1-4 h |` allows one P1 to take four hours. The top of a range
    /// counts. Lower severities, which by their definition do not take the service down, and
    /// deadlines in business days are left alone.
    ///
    /// ## Why is this bad?
    /// A P1 is the service down. If resolving one may take four hours, the availability
    /// objective is broken by the first P1 of the month — the incident process and the promise to
    /// customers contradict each other.
    ///
    /// ## Example
    /// ```markdown
    /// | Severidad | Respuesta | Resolución |
    /// |---|---|---|
    /// | P1 | 15 min | 1-4 h |
    /// ```
    ///
    /// ## Fix
    /// Set the P1 resolution target within the error budget (and plan the recovery that makes it
    /// possible), or change the availability objective.
    pub struct ResolutionExceedsErrorBudget {
        code: "FD605",
        name: "resolution-exceeds-error-budget",
        severity: Warning,
        summary: "The top-severity incident resolution time is longer than the monthly error budget",
    }
}

/// Severities that mean the service is down.
static TOP_SEVERITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(p[01]|sev[ -]?[01]|s[01]|critical|cr[ií]tic[ao]|urgente|urgent|blocker)\b").unwrap());

impl Rule for ResolutionExceedsErrorBudget {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_project(&self, cx: &ProjectContext, out: &mut Vec<ProjectFinding>) {
        let files = cx.files;
        let mut budgets = consistency::Lookup::new();
        for (index, file) in files.iter().enumerate() {
            for claim in &file.claims {
                let ClaimKind::Response(r) = &claim.kind else { continue };
                let Some(resolution) = r.resolution.and_then(|d| d.clock()) else { continue };
                if !TOP_SEVERITY.is_match(&r.severity) {
                    continue;
                }
                let systems = cx.systems();
                let Some((at_file, objective, allowed)) = budget_for(&mut budgets, files, systems, index) else { continue };
                if resolution <= allowed {
                    continue;
                }
                out.push(ProjectFinding {
                    file: index,
                    finding: Finding::new(
                        claim.span.clone(),
                        format!(
                            "{} incidents may take {} to resolve, more than the whole monthly error budget of the {} availability objective ({}: {} of downtime a month): the first one breaks it",
                            r.severity,
                            human(resolution),
                            availability_text(objective),
                            consistency::place(files, index, at_file, objective.line),
                            human(allowed)
                        ),
                    )
                    .help(format!("set the {} resolution target at {} or less, or change the availability objective", r.severity, human(allowed))),
                });
            }
        }
    }
}
