use crate::claims::{self, AlertRule, Claim, Objective};
use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Compares each alert with the objective for the same metric in the same runbook and reports
    /// an alert that only fires well past the objective: error rate objective `< 1 %` but the alert
    /// fires at `> 10 %`; latency p95 objective `< 500 ms` but the alert waits for `> 2 s`;
    /// availability objective `≥ 99.9 %` but the alert fires below `99 %`. Alerts come from tables,
    /// lists and Prometheus alerting rules in YAML blocks; objectives from tables and lists.
    ///
    /// ## Why is this bad?
    /// The objective can be broken for ever without anyone being paged: at 5 % errors the service
    /// misses its promise five times over and the alert stays green. The runbook makes a promise
    /// its own monitoring cannot see being broken.
    ///
    /// ## Example
    /// ```markdown
    /// | Métrica | Objetivo |
    /// |---|---|
    /// | Tasa de errores | < 1 % |
    ///
    /// | Alerta | Condición | Severidad |
    /// |---|---|---|
    /// | Errores altos | Tasa de errores > 10 % durante 5 min | critical |
    /// ```
    ///
    /// ## Fix
    /// Alert at (or tighter than) the objective — `> 1 %` — or on the error budget's burn rate;
    /// if the objective is aspirational, change the objective, not the alert.
    pub struct AlertLooserThanObjective {
        code: "FD601",
        name: "alert-looser-than-objective",
        severity: Warning,
        summary: "An alert threshold is looser than the objective for the same metric",
    }
}

/// Whether an alert at this threshold leaves part of the objective's violation range unwatched.
pub(crate) fn is_looser(objective: &Objective, alert: &AlertRule) -> bool {
    if objective.metric != alert.metric || !objective.value.same_kind(&alert.threshold) {
        return false;
    }
    let (goal, threshold) = (objective.value.base_value(), alert.threshold.base_value());
    if alert.metric.higher_is_better() {
        // Floor objective (≥ 99.9 %): the alert fires below some value; below the objective is a breach.
        alert.comparison.is_upper_bound() && objective.comparison.is_lower_bound() && threshold < goal
    } else {
        // Ceiling objective (< 1 %): the alert fires above some value.
        alert.comparison.is_lower_bound() && objective.comparison.is_upper_bound() && threshold > goal
    }
}

impl Rule for AlertLooserThanObjective {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let objectives: Vec<(&Claim, &Objective)> = claims::objectives(cx.claims).collect();
        for (alert_claim, alert) in claims::alerts(cx.claims) {
            let Some((objective_claim, objective)) = objectives.iter().find(|(_, o)| is_looser(o, alert)) else { continue };
            out.push(
                Finding::new(
                    alert_claim.span.clone(),
                    format!(
                        "alert on {} fires at {} {}, but the objective (line {}) is {} {}: the objective can be missed without an alert",
                        alert.metric,
                        alert.comparison.symbol(),
                        alert.threshold,
                        objective_claim.line,
                        objective.comparison.symbol(),
                        objective.value,
                    ),
                )
                .help(format!("alert at {} {} or tighter, or on the error budget burn rate", alert.comparison.symbol(), objective.value)),
            );
        }
    }
}
