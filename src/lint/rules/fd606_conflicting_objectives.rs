use std::collections::HashMap;

use crate::claims::{self, Claim, Metric, Objective};
use crate::declare_rule;
use crate::lint::consistency;
use crate::lint::{Finding, ProjectContext, ProjectFinding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Finds the same objective stated with different numbers: `p95 latency < 300 ms` in the SLO
    /// table and `p95 latency: under 500 ms` in the summary, or `error rate < 0.5 %` in one runbook
    /// and `< 1 %` in another runbook of the same system. Objectives are the same when they are
    /// about the same metric (availability, error rate, a latency percentile, throughput, memory,
    /// deploy time) in the same direction (both ceilings or both floors). Each different number is
    /// reported once, where it first appears, against the first one stated. Rows of one table are
    /// separate objectives (a table
    /// may list p95 per route), and so are two statements that name different scopes in
    /// parentheses (`(checkout API)`, `(search)`).
    ///
    /// ## Why is this bad?
    /// A drill, an alert or a customer can only be measured against one number. With two, the
    /// alert is set from one page and the report read from the other: the looser number wins by
    /// default, and the stricter one is broken without anyone noticing.
    ///
    /// ## Example
    /// ```markdown
    /// | Objective | Target |
    /// |---|---|
    /// | p95 latency (checkout API) | < 300 ms |
    ///
    /// - p95 latency: under 500 ms
    /// ```
    ///
    /// ## Fix
    /// Keep one source of truth for each objective (the SLO table) and have the other pages refer
    /// to it instead of restating it.
    pub struct ConflictingObjectives {
        code: "FD606",
        name: "conflicting-objectives",
        severity: Warning,
        summary: "The same objective is stated with different numbers",
    }
}

/// An objective already seen: where, and its scope and table.
struct Seen<'a> {
    file: usize,
    claim: &'a Claim,
    objective: &'a Objective,
    table: Option<usize>,
    scope: Option<String>,
}

/// `(checkout API)` in `p95 latency (checkout API) | < 300 ms`: what part of the service the
/// objective is about.
fn scope(text: &str) -> Option<String> {
    let open = text.find('(')?;
    let close = text[open..].find(')')? + open;
    let inner = text[open + 1..close].trim().to_lowercase();
    (!inner.is_empty()).then_some(inner)
}

fn same_value(a: &Objective, b: &Objective) -> bool {
    let (x, y) = (a.value.base_value(), b.value.base_value());
    (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
}

impl Rule for ConflictingObjectives {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_project(&self, cx: &ProjectContext, out: &mut Vec<ProjectFinding>) {
        let files = cx.files;
        if files.iter().all(|f| claims::objectives(&f.claims).nth(1).is_none()) && files.len() < 2 {
            return;
        }
        let systems = cx.systems();
        // Per system, metric and direction: the first objective seen with each value.
        let mut groups: HashMap<(usize, Metric, bool), Vec<Seen>> = HashMap::new();
        for (index, file) in files.iter().enumerate() {
            let rb = &file.runbook;
            for (claim, objective) in claims::objectives(&file.claims) {
                let ceiling = objective.comparison.is_upper_bound();
                if !ceiling && !objective.comparison.is_lower_bound() {
                    continue;
                }
                let table = rb.tables.iter().position(|t| t.span.contains(&claim.span.start));
                let text = rb.text().get(claim.span.clone()).unwrap_or("");
                let subject = text.trim_start_matches(['|', ' ']).split(['|', ':']).next().unwrap_or(text);
                let seen = Seen { file: index, claim, objective, table, scope: scope(subject) };
                let group = groups.entry((systems.system(index), objective.metric, ceiling)).or_default();
                if group.iter().any(|s| same_value(s.objective, objective) && s.objective.value.same_kind(&objective.value)) {
                    continue;
                }
                let conflict = group.iter().find(|s| {
                    s.objective.value.same_kind(&objective.value)
                        && !(s.file == index && s.table.is_some() && s.table == seen.table)
                        && !matches!((&s.scope, &seen.scope), (Some(a), Some(b)) if a != b)
                });
                if let Some(first) = conflict {
                    out.push(ProjectFinding {
                        file: index,
                        finding: Finding::new(
                            claim.span.clone(),
                            format!(
                                "{} objective {} {} here, but {} states {} {}: two different numbers for the same objective",
                                objective.metric,
                                objective.comparison.symbol(),
                                objective.value,
                                consistency::place(files, index, first.file, first.claim.line),
                                first.objective.comparison.symbol(),
                                first.objective.value
                            ),
                        )
                        .help("keep one number (in the SLO table) and refer to it from the other places"),
                    });
                }
                group.push(seen);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{lint_runbooks, Config};
    use crate::runbook::Runbook;
    use std::path::Path;

    fn run(files: &[(&str, &str)]) -> Vec<(String, usize, String)> {
        let runbooks = files.iter().map(|(p, t)| Runbook::from_text(Path::new(p), t)).collect();
        let report = lint_runbooks(runbooks, &Config::default());
        report.diagnostics.iter().filter(|d| d.code == "FD606").map(|d| (d.file.clone(), d.line, d.message.clone())).collect()
    }

    #[test]
    fn same_metric_two_numbers() {
        let a = "# Shop https://shop.example.io\n\n| Objective | Target |\n|---|---|\n| p95 latency (checkout API) | < 300 ms |\n| Error rate | < 0.5 % |\n\n## Summary\n\n- p95 latency: under 500 ms\n";
        let got = run(&[("a.md", a)]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, 10);
        assert!(got[0].2.contains("line 5 states < 300 ms"), "{}", got[0].2);
        let b = "# Ops https://grafana.shop.example.io\n\n| Metric | Objective |\n|---|---|\n| Error rate (5xx) | < 1 % |\n";
        let got = run(&[("a.md", a), ("b.md", b)]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[1].2.contains("a.md:6 states < 0.5 %"), "{}", got[1].2);
    }

    #[test]
    fn rows_scopes_and_other_systems_are_separate() {
        let a = "# Shop https://shop.example.io\n\n| Objective | Target |\n|---|---|\n| p95 latency (checkout) | < 300 ms |\n| p95 latency (search) | < 800 ms |\n\n- p95 latency (search): under 800 ms\n";
        let other = "# Blog https://blog.other.example.net\n\n| Metric | Objective |\n|---|---|\n| p95 latency | < 2 s |\n";
        assert!(run(&[("a.md", a), ("c.md", other)]).is_empty());
    }
}
