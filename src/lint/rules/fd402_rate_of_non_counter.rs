use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded;

declare_rule! {
    /// ## What it does
    /// Finds `rate()`, `irate()` and `increase()` applied to a metric whose name does not say it
    /// is a counter: counters end in `_total` (and histograms and summaries expose `_count`,
    /// `_sum` and `_bucket`), so `rate(redis_memory_used_bytes[5m])` or
    /// `increase(queue_depth[1h])` most likely reads a gauge. This is the same check Prometheus
    /// makes when it annotates such a query with "metric might not be a counter". Queries that
    /// use the `histogram_*` functions (native histograms have no suffix) and queries that do not
    /// parse (FD401's) are left alone.
    ///
    /// ## Why is this bad?
    /// `rate()` treats every decrease as a counter reset: on a gauge that goes up and down it
    /// adds phantom increases and the result means nothing — a dashboard or an alert that looks
    /// plausible and is wrong. For a gauge, `deriv()` or `delta()` give the change over time.
    /// (Some exporters do name counters without `_total`; then the finding is noise, which is why
    /// it is only `info`.)
    ///
    /// ## Example
    /// ```promql
    /// rate(redis_memory_used_bytes[5m])
    /// ```
    ///
    /// Use instead:
    /// ```promql
    /// deriv(redis_memory_used_bytes[5m])
    /// ```
    pub struct RateOfNonCounter {
        code: "FD402",
        name: "rate-of-non-counter",
        severity: Info,
        summary: "rate()/increase() of a metric not named like a counter (no _total suffix)",
    }
}

static RATE_OF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(rate|irate|increase)\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*[\[{]").unwrap());

const COUNTER_SUFFIXES: &[&str] = &["_total", "_count", "_sum", "_bucket", "_created"];

impl Rule for RateOfNonCounter {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let src = cx.runbook.text();
        for frag in cx.runbook.promql() {
            let text = &frag.snippet.text;
            // The `histogram_*` functions read native histograms, which have no `_total` either.
            if !(text.contains("rate") || text.contains("increase")) || text.contains("histogram_") {
                continue;
            }
            let q = embedded::promql_without_templates(&frag.snippet, src);
            let suspects: Vec<_> = RATE_OF
                .captures_iter(&q.text)
                .filter(|c| !COUNTER_SUFFIXES.iter().any(|s| c[2].ends_with(s)) && !inside_quotes(&q.text, c.get(2).unwrap().start()))
                .map(|c| (c[1].to_string(), c[2].to_string(), c.get(2).unwrap().range()))
                .collect();
            if suspects.is_empty() || !parses(&q.text) {
                continue;
            }
            for (function, metric, range) in suspects {
                out.push(
                    Finding::new(q.source_range(range), format!("`{function}()` of `{metric}`, whose name does not end in `_total`: if it is a gauge, every decrease counts as a counter reset and the result is meaningless"))
                        .help("for a gauge use `deriv()` or `delta()`; if it really is a counter, the exporter should name it `..._total`"),
                );
            }
        }
    }
}

/// Whether `at` sits inside a `"..."` or `'...'` string of the query.
fn inside_quotes(q: &str, at: usize) -> bool {
    let mut quote: Option<u8> = None;
    let b = q.as_bytes();
    let mut i = 0;
    while i < at.min(b.len()) {
        match (quote, b[i]) {
            (Some(_), b'\\') => i += 1,
            (Some(c), x) if c == x => quote = None,
            (None, b'"' | b'\'' | b'`') => quote = Some(b[i]),
            _ => {}
        }
        i += 1;
    }
    quote.is_some()
}

/// The parser, with a panic taken as "cannot tell" (not as a parse error).
pub(super) fn parse(q: &str) -> Option<promql_parser::parser::Expr> {
    std::panic::catch_unwind(|| promql_parser::parser::parse(q).ok()).ok().flatten()
}

fn parses(q: &str) -> bool {
    parse(q).is_some()
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::RateOfNonCounter, src)
    }

    #[test]
    fn gauges_under_rate() {
        let src = "```promql\nrate(redis_memory_used_bytes[5m])\n```\n\n```promql\nsum(increase(queue_depth{queue=\"emails\"}[1h]))\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 6), (6, 14)], "{got:?}");
    }

    #[test]
    fn counters_and_broken_queries_are_left_alone() {
        let src = "```promql\nsum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))\n```\n\n```promql\nhistogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))\n```\n\n```promql\nrate(queue_depth[5m]) by (queue)\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
