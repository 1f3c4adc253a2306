use std::ops::Range;

use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded::{self, Fragment, Origin};
use crate::runbook::Snippet;

declare_rule! {
    /// ## What it does
    /// Finds PromQL that does not parse: in ```promql blocks (one query per paragraph or line), in
    /// the `query` of `curl .../api/v1/query?query=...` and `query_range` calls (URL-decoded, also
    /// `--data-urlencode 'query=...'`), in `promtool query` arguments and in the `expr:` of alert and
    /// recording rules. The message carries the parser's own, and points at the offending token when
    /// it can tell which (`by` after a function, an unknown function, an unclosed bracket).
    ///
    /// Grafana template variables (`$__rate_interval`, `$job`, `${instance}`, `[[var]]`) and Helm
    /// placeholders (`{{ .Values.window }}`) are replaced by a value of the right kind before
    /// parsing, so dashboards queries are not errors. Loki's LogQL (`|=`, `/loki/api/v1/query`) is
    /// not read.
    ///
    /// ## Why is this bad?
    /// A query that does not parse returns `400 Bad Request` instead of a number: the check the
    /// runbook relies on ("is the error rate back under 1 %?") cannot be made, and an alert rule
    /// that does not parse stops Prometheus from loading the whole rule file.
    ///
    /// ## Example
    /// ```promql
    /// histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m])) by (route)
    /// ```
    ///
    /// Use instead (grouping belongs to the aggregation inside, and must keep `le`):
    /// ```promql
    /// histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket[5m])))
    /// ```
    ///
    /// ## How to fix
    /// Apply the suggested query when there is one, and check others with
    /// `promtool query instant http://localhost:9090 '<query>'` or in the Prometheus UI.
    pub struct InvalidPromql {
        code: "FD401",
        name: "invalid-promql",
        severity: Error,
        summary: "A PromQL query does not parse",
    }
}

impl Rule for InvalidPromql {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let src = cx.runbook.text();
        for frag in cx.runbook.promql() {
            if let Some(f) = check(frag, src) {
                out.push(f);
            }
        }
    }
}

/// Parses a query; a parser panic is not taken as proof that the query is wrong.
fn parse(q: &str) -> Result<(), String> {
    match std::panic::catch_unwind(|| promql_parser::parser::parse(q).map(|_| ())) {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}

fn check(frag: &Fragment, src: &str) -> Option<Finding> {
    let q = &frag.snippet;
    if tokens(&q.text).is_empty() {
        return None; // only comments
    }
    let sub = embedded::promql_without_templates(q, src);
    let error = parse(&sub.text).err()?;
    let found = diagnose(&sub.text, &error);
    let span = match &found {
        Some(d) => sub.source_range(d.range.clone()),
        None => {
            let t = &q.text;
            let start = t.len() - t.trim_start().len();
            q.source_range(start..t.trim_end().len())
        }
    };
    let place = match frag.origin {
        Origin::Block => String::new(),
        o => format!(" {}", o.describe()),
    };
    let mut message = format!("PromQL{place} does not parse: {error}");
    if let Some(detail) = found.as_ref().and_then(|d| d.detail.as_deref()) {
        message.push_str(&format!("; {detail}"));
    }
    // The fix is built from the query as written (templates included) when that still parses.
    let fix = diagnose(&q.text, &error).and_then(|d| d.fix).filter(|fix| {
        let probe = Snippet::verbatim(fix.clone(), 0);
        parse(&embedded::promql_without_templates(&probe, fix).text).is_ok()
    });
    let help = match (fix, found.and_then(|d| d.help)) {
        (Some(fix), _) => format!("write `{fix}`"),
        (None, Some(help)) => help,
        (None, None) => {
            "check the query with `promtool query instant http://localhost:9090 '<query>'`"
                .to_string()
        }
    };
    Some(Finding::new(span, message).help(help))
}

/// Where a parse error is, in the query text, and what to say about it.
#[derive(Debug)]
struct Diagnosis {
    range: Range<usize>,
    detail: Option<String>,
    help: Option<String>,
    /// The whole query, fixed.
    fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Str,
    Num,
    Punct,
    Op,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    range: Range<usize>,
    /// The innermost open bracket around it (`b'('`, `b'['`, `b'{'`), if any.
    inside: Option<u8>,
}

/// A light PromQL tokenizer (comments dropped).
fn tokens(q: &str) -> Vec<Tok> {
    let b = q.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    while i < b.len() {
        let c = b[i];
        let start = i;
        let inside = stack.last().copied();
        let kind = match c {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'#' => {
                i = q[i..].find('\n').map_or(b.len(), |k| i + k);
                continue;
            }
            b'"' | b'\'' | b'`' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' && c != b'`' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                Kind::Str
            }
            b'0'..=b'9' | b'.' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                Kind::Num
            }
            b'(' | b'[' | b'{' => {
                stack.push(c);
                i += 1;
                Kind::Punct
            }
            b')' | b']' | b'}' | b',' => {
                if c != b',' {
                    stack.pop();
                }
                i += 1;
                Kind::Punct
            }
            c if ident(c) || c == b'$' => {
                i += 1;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                Kind::Ident
            }
            _ => {
                i += q[i..].chars().next().map_or(1, char::len_utf8);
                Kind::Op
            }
        };
        out.push(Tok {
            kind,
            range: start..i,
            inside,
        });
    }
    out
}

const AGGREGATIONS: &[&str] = &[
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// The index of the bracket matching the one at `open` (forwards) or `close` (backwards).
fn matching(toks: &[Tok], q: &str, at: usize) -> Option<usize> {
    let text = |i: usize| &q[toks[i].range.clone()];
    let (o, c, forward) = match text(at) {
        "(" => ("(", ")", true),
        ")" => ("(", ")", false),
        _ => return None,
    };
    let mut depth = 0i32;
    let idx: Box<dyn Iterator<Item = usize>> = if forward {
        Box::new(at..toks.len())
    } else {
        Box::new((0..=at).rev())
    };
    for i in idx {
        if toks[i].kind != Kind::Punct {
            continue;
        }
        let t = text(i);
        if t == o {
            depth += if forward { 1 } else { -1 };
        } else if t == c {
            depth += if forward { -1 } else { 1 };
        }
        if depth == 0 {
            return Some(i);
        }
    }
    None
}

/// Finds where the parser's complaint is, from its message and the query's shape.
fn diagnose(q: &str, error: &str) -> Option<Diagnosis> {
    let toks = tokens(q);
    let text = |i: usize| &q[toks[i].range.clone()];
    let at = |range: Range<usize>| Diagnosis {
        range,
        detail: None,
        help: None,
        fix: None,
    };

    // Unbalanced brackets.
    let mut stack: Vec<usize> = Vec::new();
    for (i, t) in toks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == Kind::Punct)
    {
        match text(i) {
            "(" | "[" | "{" => stack.push(i),
            ")" | "]" | "}" => {
                let close = text(i).as_bytes()[0];
                let open = match close {
                    b')' => "(",
                    b']' => "[",
                    _ => "{",
                };
                match stack.pop() {
                    Some(o) if text(o) == open => {}
                    _ => {
                        return Some(Diagnosis {
                            detail: Some(format!("this `{}` closes nothing", text(i))),
                            ..at(t.range.clone())
                        })
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(&o) = stack.first() {
        return Some(Diagnosis {
            detail: Some(format!("this `{}` is never closed", text(o))),
            ..at(toks[o].range.clone())
        });
    }

    // `f(...) by (labels)` where `f` is not an aggregation.
    for i in 1..toks.len() {
        let kw = text(i).to_ascii_lowercase();
        if toks[i].kind != Kind::Ident || !(kw == "by" || kw == "without") || text(i - 1) != ")" {
            continue;
        }
        let Some(open) = matching(&toks, q, i - 1) else {
            continue;
        };
        let func = (open > 0 && toks[open - 1].kind == Kind::Ident)
            .then(|| text(open - 1).to_ascii_lowercase());
        if func
            .as_deref()
            .is_some_and(|f| AGGREGATIONS.contains(&f) || f == "by" || f == "without")
        {
            continue;
        }
        // The label list.
        let (labels, end) = match toks.get(i + 1).map(|t| &q[t.range.clone()]) {
            Some("(") => {
                let Some(close) = matching(&toks, q, i + 1) else {
                    continue;
                };
                (
                    q[toks[i + 1].range.end..toks[close].range.start]
                        .trim()
                        .to_string(),
                    toks[close].range.end,
                )
            }
            _ => (String::new(), toks[i].range.end),
        };
        let clause = q[toks[i].range.start..end].to_string();
        let detail = match &func {
            Some(f) => format!(
                "`{clause}` follows `{f}(...)`, a function: only aggregations (`sum`, `avg`, `max`, ...) take `{kw}`"
            ),
            None => format!("`{clause}` follows a parenthesised expression: only aggregations take `{kw}`"),
        };
        let call_start = if func.is_some() {
            toks[open - 1].range.start
        } else {
            toks[open].range.start
        };
        let call = &q[call_start..toks[i - 1].range.end];
        let fixed_call = if func.as_deref() == Some("histogram_quantile") && kw == "by" {
            quantile_fix(&toks, q, open, i - 1, &labels)
        } else {
            Some(format!("sum {kw} ({labels}) ({call})"))
        };
        let fix = fixed_call.map(|c| format!("{}{c}{}", &q[..call_start], &q[end..]));
        return Some(Diagnosis {
            detail: Some(detail),
            help: Some(format!(
                "put `{kw}` on an aggregation: `sum {kw} ({labels}) (...)`"
            )),
            fix: fix.map(|f| f.trim().to_string()),
            ..at(toks[i].range.start..end)
        });
    }

    // Messages that name a token: `unknown function with name 'foo'`, `... function 'rate' ...`,
    // `unexpected identifier 'api' ...`, `unexpected character inside brackets: 'm'`.
    let quoted = error
        .rsplit_once('\'')
        .and_then(|(before, _)| before.rsplit_once('\''))
        .map(|(_, q)| q)?;
    if quoted.is_empty() {
        return None;
    }
    let within = if error.contains("inside brackets") {
        Some(b'[')
    } else if error.contains("inside braces") || error.contains("label matching") {
        Some(b'{')
    } else {
        None
    };
    let function = error.contains("function");
    let hit = toks.iter().enumerate().find(|(i, t)| {
        t.kind != Kind::Str
            && within.is_none_or(|w| t.inside == Some(w))
            && (!function || toks.get(i + 1).is_some_and(|n| &q[n.range.clone()] == "("))
            && q[t.range.clone()].contains(quoted)
    });
    let (_, t) = hit?;
    let mut range = t.range.clone();
    if t.kind != Kind::Ident {
        // A character inside a longer token (`5 m`): just that character.
        let k = q[range.clone()].find(quoted).unwrap_or(0);
        range = range.start + k..range.start + k + quoted.len();
    }
    let help = (error.contains("unknown function") && quoted == "holt_winters").then(|| {
        "Prometheus 3 renamed `holt_winters` to `double_exponential_smoothing` (an experimental function: \
         `--enable-feature=promql-experimental-functions`)"
            .to_string()
    });
    Some(Diagnosis { help, ..at(range) })
}

/// `histogram_quantile(q, inner) by (labels)` → `histogram_quantile(q, sum by (le, labels) (inner))`.
fn quantile_fix(toks: &[Tok], q: &str, open: usize, close: usize, labels: &str) -> Option<String> {
    // Split the arguments at top-level commas.
    let mut args: Vec<Range<usize>> = Vec::new();
    let mut depth = 0;
    let mut start = toks[open].range.end;
    for t in &toks[open + 1..close] {
        match &q[t.range.clone()] {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "," if depth == 0 => {
                args.push(start..t.range.start);
                start = t.range.end;
            }
            _ => {}
        }
    }
    args.push(start..toks[close].range.start);
    let [quantile, inner] = &args[..] else {
        return None;
    };
    let mut inner = q[inner.clone()].trim();
    // `sum(rate(...))` loses its plain `sum`: the grouped one replaces it.
    if let Some(rest) = inner.strip_prefix("sum").map(str::trim_start) {
        if rest.starts_with('(') && rest.ends_with(')') {
            inner = &rest[1..rest.len() - 1];
        }
    }
    let mut names: Vec<&str> = vec!["le"];
    names.extend(
        labels
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != "le"),
    );
    Some(format!(
        "histogram_quantile({}, sum by ({}) ({inner}))",
        q[quantile.clone()].trim(),
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Config, FileContext};
    use crate::runbook::Runbook;
    use std::path::Path;

    /// (text at the span, line:col, message, help)
    fn lint(md: &str) -> Vec<(String, String, String, Option<String>)> {
        let rb = Runbook::from_text(Path::new("t.md"), md);
        let config = Config::default();
        let cx = FileContext {
            runbook: &rb,
            claims: &[],
            config: &config,
        };
        let mut out = Vec::new();
        InvalidPromql.check_file(&cx, &mut out);
        out.into_iter()
            .map(|f| {
                let lc = rb.line_col(f.span.start);
                (
                    rb.text()[f.span].to_string(),
                    format!("{}:{}", lc.line, lc.column),
                    f.message,
                    f.help,
                )
            })
            .collect()
    }

    #[test]
    fn by_after_a_function_points_at_by_and_offers_the_fix() {
        let hits =
            lint("```promql\nhistogram_quantile(0.95, rate(x_bucket[5m])) by (route)\n```\n");
        assert_eq!(hits.len(), 1);
        let (text, pos, message, help) = &hits[0];
        assert_eq!(text, "by (route)");
        assert_eq!(pos, "2:46");
        assert_eq!(
            message,
            "PromQL does not parse: invalid promql query; `by (route)` follows `histogram_quantile(...)`, a function: only aggregations (`sum`, `avg`, `max`, ...) take `by`"
        );
        assert_eq!(
            help.as_deref(),
            Some("write `histogram_quantile(0.95, sum by (le, route) (rate(x_bucket[5m])))`")
        );
        let hits = lint("```promql\nrate(http_requests_total[5m]) by (job)\n```\n");
        assert_eq!(
            hits[0].3.as_deref(),
            Some("write `sum by (job) (rate(http_requests_total[5m]))`")
        );
        let hits = lint("```promql\nhistogram_quantile(0.99, sum(rate(x_bucket[$__rate_interval]))) by (le, svc)\n```\n");
        assert_eq!(hits[0].3.as_deref(), Some("write `histogram_quantile(0.99, sum by (le, svc) (rate(x_bucket[$__rate_interval])))`"));
    }

    #[test]
    fn url_encoded_errors_map_to_the_encoded_text() {
        let md = "```bash\ncurl -s 'http://prom:9090/api/v1/query?query=rate(x%5B5m%5D)+by+(job)'\n```\n";
        let hits = lint(md);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "by+(job)");
        assert!(hits[0]
            .2
            .starts_with("PromQL in the URL-decoded `query` parameter does not parse"));
        assert_eq!(
            hits[0].1,
            format!("2:{}", md.lines().nth(1).unwrap().find("by+").unwrap() + 1)
        );
    }

    #[test]
    fn tokens_named_by_the_parser_are_located() {
        let hits = lint("```promql\nsum(rate(http_requests_total[5m]))\n\nholt_winters(x[1h], 0.3, 0.3)\nup{job=api}\nrate(x[5m]\n```\n");
        assert_eq!(hits.len(), 3, "{hits:#?}");
        assert_eq!(
            (hits[0].0.as_str(), hits[0].1.as_str()),
            ("holt_winters", "4:1")
        );
        assert!(hits[0]
            .3
            .as_deref()
            .unwrap()
            .contains("double_exponential_smoothing"));
        assert_eq!((hits[1].0.as_str(), hits[1].1.as_str()), ("api", "5:8"));
        assert_eq!((hits[2].0.as_str(), hits[2].1.as_str()), ("(", "6:5"));
        assert!(hits[2]
            .2
            .contains("unclosed left parenthesis; this `(` is never closed"));
    }

    #[test]
    fn templates_comments_and_good_queries_are_silent() {
        let md = "```promql\n# p95 por ruta\nhistogram_quantile(0.95, sum by (le, route) (rate(x_bucket{job=~\"$job\"}[$__rate_interval])))\ntopk(${n}, sum by ($label) (rate(y_total[$__interval])))\n```\n\n```yaml\ngroups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          sum(rate(e_total[5m])) / sum(rate(r_total[5m]))\n            > 0.01\n```\n";
        assert!(lint(md).is_empty(), "{:#?}", lint(md));
    }
}
