//! What a claim is about: the metric named in Spanish or English prose, or in a PromQL expression.

use std::fmt;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LatencyStat {
    Avg,
    P50,
    P90,
    P95,
    P99,
    Max,
    /// "latency < 500 ms" with no statistic named.
    Unspecified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    Availability,
    ErrorRate,
    Latency(LatencyStat),
    Throughput,
    Memory,
    Cpu,
    Disk,
    DeployTime,
}

impl Metric {
    /// True when larger values are better (availability, throughput): an objective is a floor and
    /// an alert fires below it.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Availability | Metric::Throughput)
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Availability => "availability",
            Metric::ErrorRate => "error rate",
            Metric::Latency(LatencyStat::Avg) => "latency avg",
            Metric::Latency(LatencyStat::P50) => "latency p50",
            Metric::Latency(LatencyStat::P90) => "latency p90",
            Metric::Latency(LatencyStat::P95) => "latency p95",
            Metric::Latency(LatencyStat::P99) => "latency p99",
            Metric::Latency(LatencyStat::Max) => "latency max",
            Metric::Latency(LatencyStat::Unspecified) => "latency",
            Metric::Throughput => "throughput",
            Metric::Memory => "memory",
            Metric::Cpu => "cpu",
            Metric::Disk => "disk",
            Metric::DeployTime => "deploy time",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Metric {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name().replace(' ', "-"))
    }
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn latency_stat(lower: &str) -> LatencyStat {
    if has_word(lower, "p99") || lower.contains("percentil 99") || lower.contains("99th") || lower.contains("0.99") {
        LatencyStat::P99
    } else if has_word(lower, "p95") || lower.contains("percentil 95") || lower.contains("95th") || lower.contains("0.95") {
        LatencyStat::P95
    } else if has_word(lower, "p90") || lower.contains("percentil 90") || lower.contains("90th") || lower.contains("0.9,") {
        LatencyStat::P90
    } else if has_word(lower, "p50") || lower.contains("mediana") || lower.contains("median") || lower.contains("0.5,") {
        LatencyStat::P50
    } else if ["media", "promedio", "avg", "average", "mean", "medio"].iter().any(|w| has_word(lower, w)) {
        LatencyStat::Avg
    } else if ["máxima", "maxima", "max", "maximum", "máximo"].iter().any(|w| has_word(lower, w)) {
        LatencyStat::Max
    } else {
        LatencyStat::Unspecified
    }
}

/// Every word `classify` looks for, in one pattern: most lines name no metric, and one search
/// tells so without lower-casing the line and searching it forty times.
static VOCABULARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)error|5xx|fallos|failure rate|latenc|tiempo de respuesta|response time|duración de petición|request duration|p50|p90|p95|p99|disponibilidad|availability|uptime|sla|throughput|rendimiento|peticiones por segundo|requests per second|req/s|capacidad de carga|rps|memoria|memory|ram|cpu|disco|disk|espacio libre|free space|despliegue|deploy").unwrap()
});

/// The metric a piece of prose (a table cell, a list item) is about, if it names exactly one.
pub fn classify(text: &str) -> Option<Metric> {
    if !VOCABULARY.is_match(text) {
        return None;
    }
    // The words each metric is named by, in the lower-cased text: which groups it holds is one
    // search, not a substring search per word.
    static NAMES: LazyLock<RegexSet> = LazyLock::new(|| {
        let groups: [&[&str]; 7] = [
            &["tasa de error", "error rate", "error-rate", "error_rate", "errores 5xx", "errors 5xx", "5xx", "% de errores", "porcentaje de errores", "ratio de errores", "errores http", "http errors", "tasa de fallos", "failure rate"],
            &["latencia", "latency", "tiempo de respuesta", "response time", "duración de petición", "request duration"],
            &["disponibilidad", "availability", "uptime"],
            &["throughput", "rendimiento", "peticiones por segundo", "requests per second", "req/s", "capacidad de carga"],
            &["memoria", "memory"],
            &["disco", "disk", "espacio libre", "free space"],
            &["despliegue", "deploy"],
        ];
        RegexSet::new(groups.map(|words| words.iter().map(|w| regex::escape(w)).collect::<Vec<_>>().join("|"))).unwrap()
    });
    let lower = text.to_lowercase();
    let l = lower.as_str();
    let named = NAMES.matches(l);
    let error = named.matched(0) || (has_word(l, "errores") || has_word(l, "errors")) && !l.contains("log");
    let latency = named.matched(1) || ["p95", "p99", "p50", "p90"].iter().any(|w| has_word(l, w));
    let availability = named.matched(2) || has_word(l, "sla");
    let throughput = named.matched(3) || has_word(l, "rps");
    let memory = named.matched(4) || has_word(l, "ram");
    let cpu = has_word(l, "cpu");
    let disk = named.matched(5);
    let deploy = named.matched(6);

    let found: Vec<Metric> = [
        (availability, Metric::Availability),
        (error, Metric::ErrorRate),
        // Which latency: only looked for when the text names latency.
        (latency, Metric::Latency(if latency { latency_stat(l) } else { LatencyStat::Unspecified })),
        (throughput, Metric::Throughput),
        (memory, Metric::Memory),
        (cpu, Metric::Cpu),
        (disk, Metric::Disk),
        (deploy, Metric::DeployTime),
    ]
    .into_iter()
    .filter_map(|(hit, m)| hit.then_some(m))
    .collect();
    match found.as_slice() {
        [one] => Some(*one),
        // "tiempo de despliegue" also says "tiempo"; "latency of errors" is rare: prefer none.
        [Metric::Latency(_), Metric::DeployTime] | [Metric::DeployTime, Metric::Latency(_)] => Some(Metric::DeployTime),
        _ => None,
    }
}

/// The metric a PromQL alert expression measures, by the series and functions it uses.
pub fn classify_promql(expr: &str, alert_name: &str) -> Option<Metric> {
    let lower = expr.to_lowercase();
    let name = alert_name.to_lowercase();
    if lower.contains("histogram_quantile") || lower.contains("latency") || lower.contains("duration_seconds") {
        return Some(Metric::Latency(latency_stat(&lower)));
    }
    if (lower.contains("status=~\"5") || lower.contains("code=~\"5") || lower.contains("status_code=~\"5") || lower.contains("error"))
        && lower.contains('/')
    {
        return Some(Metric::ErrorRate);
    }
    if lower.contains("memory") || lower.contains("_mem") {
        return Some(Metric::Memory);
    }
    if lower.contains("filesystem_avail") || lower.contains("filesystem_free") || lower.contains("disk") {
        return Some(Metric::Disk);
    }
    if lower.contains("cpu") {
        return Some(Metric::Cpu);
    }
    classify(&name.replace(['_', '-'], " ")).or_else(|| classify(&split_camel(alert_name)))
}

/// `HighErrorRate` → `high error rate`.
fn split_camel(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_prose() {
        assert_eq!(classify("Tasa de errores (5xx)"), Some(Metric::ErrorRate));
        assert_eq!(classify("Latencia p95"), Some(Metric::Latency(LatencyStat::P95)));
        assert_eq!(classify("Tiempo de respuesta medio"), Some(Metric::Latency(LatencyStat::Avg)));
        assert_eq!(classify("Disponibilidad mensual"), Some(Metric::Availability));
        assert_eq!(classify("Uptime"), Some(Metric::Availability));
        assert_eq!(classify("Throughput"), Some(Metric::Throughput));
        assert_eq!(classify("Tiempo de despliegue"), Some(Metric::DeployTime));
        assert_eq!(classify("Uso de memoria del API"), Some(Metric::Memory));
        assert_eq!(classify("Nombre del responsable"), None);
    }

    #[test]
    fn classifies_promql() {
        let e = r#"sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.1"#;
        assert_eq!(classify_promql(e, "HighErrorRate"), Some(Metric::ErrorRate));
        let l = "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 2";
        assert_eq!(classify_promql(l, "SlowApi"), Some(Metric::Latency(LatencyStat::P95)));
        assert_eq!(classify_promql("up == 0", "InstanceDown"), None);
    }
}
