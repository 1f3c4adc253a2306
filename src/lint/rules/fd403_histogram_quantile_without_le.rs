use promql_parser::label::Labels;
use promql_parser::parser::{Expr, LabelModifier};

use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded;

use super::fd402_rate_of_non_counter::parse;

declare_rule! {
    /// ## What it does
    /// Finds `histogram_quantile()` over classic histogram buckets (`..._bucket`) aggregated in a
    /// way that drops the `le` label: `sum(rate(x_bucket[5m]))`, `sum by (route) (...)`,
    /// `sum without (le) (...)`. Native histograms, which have no `le`, are not affected (their
    /// metric names have no `_bucket`).
    ///
    /// ## Why is this bad?
    /// `histogram_quantile` reads the bucket boundaries from `le`. Without it there are no
    /// buckets: the query returns nothing (or `NaN`), the latency panel is empty and an alert on
    /// it never fires — the objective it watches can be missed for ever without a page.
    ///
    /// ## Example
    /// ```promql
    /// histogram_quantile(0.95, sum by (route) (rate(http_request_duration_seconds_bucket[5m])))
    /// ```
    ///
    /// Use instead:
    /// ```promql
    /// histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket[5m])))
    /// ```
    pub struct HistogramQuantileWithoutLe {
        code: "FD403",
        name: "histogram-quantile-without-le",
        severity: Warning,
        summary: "histogram_quantile() over buckets aggregated without the `le` label (returns nothing)",
    }
}

impl Rule for HistogramQuantileWithoutLe {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let src = cx.runbook.text();
        for frag in cx.runbook.promql() {
            if !frag.snippet.text.contains("histogram_quantile") {
                continue;
            }
            let q = embedded::promql_without_templates(&frag.snippet, src);
            let Some(expr) = parse(&q.text) else { continue };
            // Each call in the order they are written, matched with the text's occurrences.
            let mut calls = Vec::new();
            walk(&expr, &mut calls);
            let positions: Vec<usize> = q.text.match_indices("histogram_quantile").map(|(i, _)| i).collect();
            for (n, problem) in calls.into_iter().enumerate() {
                let (Some(problem), Some(&at)) = (problem, positions.get(n)) else { continue };
                out.push(
                    Finding::new(q.source_range(at..at + "histogram_quantile".len()), format!("`histogram_quantile` needs the `le` label, but {problem}: the query returns no data"))
                        .help("keep `le` in the aggregation: `sum by (le, ...) (rate(..._bucket[5m]))`"),
                );
            }
        }
    }
}

/// Every `histogram_quantile` call in written order, with what drops `le` in it, if anything.
fn walk(e: &Expr, calls: &mut Vec<Option<String>>) {
    match e {
        Expr::Call(c) => {
            if c.func.name == "histogram_quantile" {
                calls.push(c.args.args.get(1).and_then(|a| drops_le(a)));
            }
            for a in &c.args.args {
                walk(a, calls);
            }
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                walk(p, calls);
            }
            walk(&a.expr, calls);
        }
        Expr::Unary(u) => walk(&u.expr, calls),
        Expr::Binary(b) => {
            walk(&b.lhs, calls);
            walk(&b.rhs, calls);
        }
        Expr::Paren(p) => walk(&p.expr, calls),
        Expr::Subquery(s) => walk(&s.expr, calls),
        _ => {}
    }
}

fn has_le(labels: &Labels) -> bool {
    labels.labels.iter().any(|l| l == "le")
}

/// What in the second argument of `histogram_quantile` removes `le` from classic buckets.
fn drops_le(e: &Expr) -> Option<String> {
    let Expr::Aggregate(a) = unwrap_parens(e) else { return None };
    if !reads_buckets(&a.expr) {
        return None;
    }
    match &a.modifier {
        None => Some("the aggregation has no `by (le)`, so it sums the buckets away".into()),
        Some(LabelModifier::Include(l)) if !has_le(l) => {
            let names: Vec<&str> = l.labels.iter().map(String::as_str).collect();
            Some(format!("`by ({})` leaves it out", names.join(", ")))
        }
        Some(LabelModifier::Exclude(l)) if has_le(l) => Some("`without (le)` removes it".into()),
        _ => None,
    }
}

fn unwrap_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unwrap_parens(&p.expr),
        other => other,
    }
}

/// Whether the expression reads a `..._bucket` series.
fn reads_buckets(e: &Expr) -> bool {
    match e {
        Expr::VectorSelector(v) => v.name.as_deref().is_some_and(|n| n.ends_with("_bucket")),
        Expr::MatrixSelector(m) => m.vs.name.as_deref().is_some_and(|n| n.ends_with("_bucket")),
        Expr::Call(c) => c.args.args.iter().any(|a| reads_buckets(a)),
        Expr::Aggregate(a) => reads_buckets(&a.expr),
        Expr::Unary(u) => reads_buckets(&u.expr),
        Expr::Binary(b) => reads_buckets(&b.lhs) || reads_buckets(&b.rhs),
        Expr::Paren(p) => reads_buckets(&p.expr),
        Expr::Subquery(s) => reads_buckets(&s.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::HistogramQuantileWithoutLe, src)
    }

    #[test]
    fn le_dropped() {
        let src = "```promql\nhistogram_quantile(0.95, sum by (route) (rate(x_bucket[5m])))\n```\n\n```yaml\ngroups:\n  - name: api\n    rules:\n      - alert: Slow\n        expr: histogram_quantile(0.99, sum(rate(x_bucket[5m]))) > 0.5\n        for: 5m\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 1), (10, 15)], "{got:?}");
        assert!(got[0].2.contains("`by (route)` leaves it out"), "{}", got[0].2);
    }

    #[test]
    fn le_kept_native_and_plain() {
        let src = "```promql\nhistogram_quantile(0.95, sum by (le, route) (rate(x_bucket[5m])))\n```\n\n```promql\nhistogram_quantile(0.9, sum(rate(http_request_duration_seconds[5m])))\n```\n\n```promql\nhistogram_quantile(0.9, rate(x_bucket[5m]))\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
