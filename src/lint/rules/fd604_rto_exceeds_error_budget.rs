use std::time::Duration;

use crate::claims::{Claim, Objective};
use crate::declare_rule;
use crate::lint::consistency::{self, human, strictest_availability, Systems};
use crate::lint::{Finding, LintedFile, ProjectContext, ProjectFinding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Compares each recovery time objective with the downtime the availability objective allows
    /// in a month, and reports an RTO larger than that whole budget: with `≥ 99,9 %` a month
    /// (43.2 minutes of downtime), `Pérdida total del VPS | RTO 8 horas` breaks the objective in
    /// a single incident, ten times over. The availability objective is taken from the same
    /// runbook first, then from the other runbooks of the same system (the strictest one).
    ///
    /// ## Why is this bad?
    /// The two numbers cannot both be true. Either the availability promised to customers is not
    /// the real one, or the recovery plan is not good enough to keep it — and which of the two is
    /// wrong should be decided before the incident, not during the post-mortem.
    ///
    /// ## Example
    /// ```markdown
    /// | Métrica | Objetivo | Ventana |
    /// |---|---|---|
    /// | Disponibilidad | ≥ 99,9 % | mensual |
    ///
    /// | Escenario | RTO | RPO |
    /// |---|---|---|
    /// | Pérdida total del VPS | 8 horas | 24 horas |
    /// ```
    ///
    /// ## Fix
    /// Make recovery faster than the budget (a standby host, restores rehearsed in a drill), or
    /// promise the availability the recovery plan really gives.
    pub struct RtoExceedsErrorBudget {
        code: "FD604",
        name: "rto-exceeds-error-budget",
        severity: Warning,
        summary: "An RTO is longer than the monthly downtime the availability objective allows",
    }
}

/// The availability objective that applies to a file (its own, else its system's), with its
/// monthly downtime budget and where it is.
pub(super) fn budget_for<'f>(
    budgets: &mut consistency::Lookup<(), (&'f Claim, Duration)>,
    files: &'f [LintedFile],
    systems: &Systems,
    file: usize,
) -> Option<(usize, &'f Claim, Duration)> {
    budgets.get(systems, file, (), |f, ()| strictest_availability(&files[f].claims)).map(|(f, (c, b))| (f, c, b))
}

/// `99.9 %` of the objective claim, for messages.
pub(super) fn availability_text(claim: &Claim) -> String {
    match &claim.kind {
        crate::claims::ClaimKind::Objective(Objective { value, .. }) => value.to_string(),
        _ => String::new(),
    }
}

impl Rule for RtoExceedsErrorBudget {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_project(&self, cx: &ProjectContext, out: &mut Vec<ProjectFinding>) {
        let files = cx.files;
        if !files.iter().any(|f| consistency::recoveries(&f.claims).any(|(_, r)| r.rto.is_some())) {
            return;
        }
        let systems = cx.systems();
        let mut budgets = consistency::Lookup::new();
        for (index, file) in files.iter().enumerate() {
            for (claim, recovery) in consistency::recoveries(&file.claims) {
                let Some(rto) = recovery.rto else { continue };
                let Some((at_file, objective, allowed)) = budget_for(&mut budgets, files, systems, index) else { break };
                if rto <= allowed {
                    continue;
                }
                out.push(ProjectFinding {
                    file: index,
                    finding: Finding::new(
                        claim.span.clone(),
                        format!(
                            "RTO {} {} is more than the whole monthly error budget of the {} availability objective ({}: {} of downtime a month): one such incident breaks it",
                            human(rto),
                            consistency::scenario_phrase(claim, recovery),
                            availability_text(objective),
                            consistency::place(files, index, at_file, objective.line),
                            human(allowed)
                        ),
                    )
                    .help(format!("recover within {} (a standby, a rehearsed restore), or promise the availability the recovery plan gives", human(allowed))),
                });
            }
        }
    }
}
