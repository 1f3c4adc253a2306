//! Alert claims from Prometheus alerting rules in YAML blocks (`- alert: X`, `expr:`, `for:`,
//! `severity:`), read line by line so every claim keeps the line of its `alert:` key.

use std::sync::LazyLock;

use regex::Regex;

use super::metric::{classify_promql, Metric};
use super::{AlertRule, AlertSource, ClaimKind, Sink};
use crate::runbook::{Lang, Runbook};
use crate::units::{parse_duration_prefix, Comparison, Percent, Quantity, Size};

static ALERT_KEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(?:-\s+)?alert:\s*(\S+)").unwrap());
static KEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(?:-\s+)?([A-Za-z_]+):\s*(.*)$").unwrap());
/// The last comparison in an expression with a constant after it: `... > 0.1`, `< 99.9`,
/// `> 700 * 1024 * 1024`.
static THRESHOLD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(>=|<=|==|!=|>|<)\s*(?:bool\s+)?(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?(?:\s*[*/]\s*[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)*)\s*\)?\s*$").unwrap()
});

static CONSTANT_DIVISOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"/\s*[0-9.]").unwrap());
static SERIES_DIVISOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"/\s*[^\s0-9.]").unwrap());

/// The value of a constant product or quotient, left to right as PromQL reads it: `700 * 1024 * 1024`.
fn constant(text: &str) -> Option<f64> {
    let mut value: Option<f64> = None;
    let mut op = '*';
    let mut rest = text.trim();
    loop {
        let end = rest.find(['*', '/']).unwrap_or(rest.len());
        let n: f64 = rest[..end].trim().parse().ok()?;
        value = Some(match (value, op) {
            (None, _) => n,
            (Some(v), '*') => v * n,
            (Some(_), _) if n == 0.0 => return None,
            (Some(v), _) => v / n,
        });
        if end == rest.len() {
            break;
        }
        op = rest[end..].chars().next()?;
        rest = &rest[end + 1..];
    }
    value.filter(|v| v.is_finite())
}

pub(super) fn extract(runbook: &Runbook, sink: &mut Sink) {
    for block in runbook.blocks.iter().filter(|b| b.lang() == Lang::Yaml || b.info.as_deref() == Some("yaml")) {
        let body = &block.content;
        if !body.text.contains("alert:") {
            continue;
        }
        let lines: Vec<(usize, &str)> = body.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let (offset, line) = lines[i];
            let Some(caps) = ALERT_KEY.captures(line) else {
                i += 1;
                continue;
            };
            let name = caps[1].trim_matches(['"', '\'']).to_string();
            let indent = line.len() - line.trim_start().len();
            let mut expr = String::new();
            let mut for_duration = None;
            let mut severity = None;
            let mut j = i + 1;
            let mut in_expr_block = false;
            while j < lines.len() {
                let l = lines[j].1;
                let l_indent = l.len() - l.trim_start().len();
                if ALERT_KEY.is_match(l) || (!l.trim().is_empty() && l_indent <= indent && !l.trim_start().starts_with('#')) {
                    break;
                }
                if let Some(kv) = KEY.captures(l) {
                    in_expr_block = false;
                    let value = kv[2].trim();
                    match &kv[1] {
                        "expr" if value == "|" || value == ">" || value == "|-" || value == ">-" => in_expr_block = true,
                        "expr" => expr = value.trim_matches(['"', '\'']).to_string(),
                        "for" => for_duration = parse_duration_prefix(value.trim_matches(['"', '\''])).map(|(d, _)| d),
                        "severity" => severity = Some(value.trim_matches(['"', '\'']).to_string()),
                        _ => {}
                    }
                } else if in_expr_block {
                    expr.push(' ');
                    expr.push_str(l.trim());
                }
                j += 1;
            }
            if let Some(kind) = rule_claim(&name, &expr, for_duration, severity) {
                let start = body.source_offset(offset + indent);
                sink.push(start..body.source_offset(offset + line.len().saturating_sub(1)) + 1, kind);
            }
            i = j;
        }
    }
}

fn rule_claim(name: &str, expr: &str, for_duration: Option<std::time::Duration>, severity: Option<String>) -> Option<ClaimKind> {
    let metric = classify_promql(expr, name)?;
    let caps = THRESHOLD.captures(expr.trim())?;
    let comparison = match &caps[1] {
        ">" => Comparison::Gt,
        ">=" => Comparison::Ge,
        "<" => Comparison::Lt,
        "<=" => Comparison::Le,
        _ => return None,
    };
    let n = constant(&caps[2])?;
    // What is compared with the constant: `used_bytes / limit_bytes` is a ratio, `used_bytes` a size.
    let lhs = &expr.trim()[..caps.get(0)?.start()];
    let threshold = match metric {
        // Ratios are fractions in PromQL; a `* 100` before the comparison makes them percent.
        Metric::ErrorRate | Metric::Availability | Metric::Cpu => {
            if expr.contains("* 100") || expr.contains("*100") || n > 1.0 {
                Quantity::Percent(Percent(n))
            } else {
                Quantity::Percent(Percent(n * 100.0))
            }
        }
        // Prometheus convention is seconds; some exporters name their unit (`_ms_bucket`).
        Metric::Latency(_) if expr.contains("_ms_") || expr.contains("_ms{") || expr.contains("millisecond") => {
            Quantity::Duration(std::time::Duration::from_secs_f64(n.max(0.0) / 1000.0))
        }
        Metric::Latency(_) => Quantity::Duration(std::time::Duration::from_secs_f64(n.max(0.0))),
        // `used_bytes / 1024 / 1024 > 700` scales the series by hand: left alone rather than guessed.
        Metric::Memory if CONSTANT_DIVISOR.is_match(lhs) => return None,
        Metric::Memory if SERIES_DIVISOR.is_match(lhs) => {
            if lhs.contains("* 100") || lhs.contains("*100") || n > 1.0 {
                Quantity::Percent(Percent(n))
            } else {
                Quantity::Percent(Percent(n * 100.0))
            }
        }
        Metric::Memory if lhs.contains("_bytes") && !lhs.contains('*') && n >= 0.0 => Quantity::Size(Size { bytes: n.round() as u64 }),
        _ => return None,
    };
    Some(ClaimKind::Alert(AlertRule {
        name: Some(name.to_string()),
        metric,
        comparison,
        threshold,
        for_duration,
        severity,
        source: AlertSource::PrometheusRule,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_arithmetic_in_thresholds() {
        assert_eq!(constant("700 * 1024 * 1024"), Some(734_003_200.0));
        assert_eq!(constant("0.5"), Some(0.5));
        assert_eq!(constant("1.5e3 / 2"), Some(750.0));
        assert_eq!(constant("8 / 2 * 4"), Some(16.0));
        assert_eq!(constant("1 / 0"), None);
        assert_eq!(constant("700 * "), None);
    }
}
