//! Claims stated in tables. A table's header says what it holds (RTO/RPO, backups, alerts,
//! response times, objectives); each row then yields at most one claim.

use std::sync::LazyLock;
use std::time::Duration;

use regex::RegexSet;

use super::metric::{classify, Metric};
use super::prose::{backup_type, frequency, method, scheduled_time, severity_word, time_of_day};
use super::{AlertRule, AlertSource, BackupPolicy, ClaimKind, Objective, Recovery, ResponseTime, Sink};
use crate::runbook::{Cell, Runbook, Table};
use crate::units::{find_bound, find_duration, parse_deadline_range, parse_duration_range, parse_quantity_prefix, Comparison, Deadline, Quantity};

/// What a column holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Rto,
    Rpo,
    Frequency,
    Retention,
    Time,
    Method,
    Type,
    Alert,
    Condition,
    Duration,
    Severity,
    Response,
    Resolution,
    Metric,
    Target,
    Other,
}

/// The words `column` looks for, by group: one search over a header tells which groups it holds,
/// instead of a substring search per word.
const COLUMN_WORDS: [&[&str]; 17] = [
    &["rto"],
    &["rpo"],
    &["frecuencia", "frequency", "periodicidad", "schedule", "programación", "cada cuánto", "how often"],
    &["retención", "retencion", "retention", "conservación", "se guarda", "kept", "keep"],
    &["hora", "time of day", "horario", "when", "cuándo"],
    &["resoluci", "respuesta", "horas"],
    &["método", "metodo", "herramienta", "tool", "method", "cómo", "how", "comando", "command"],
    &["tipo", "type"],
    &["condición", "condicion", "condition", "umbral", "threshold", "expr", "regla", "rule", "dispara", "fires"],
    &["alerta", "alert"],
    &["duración", "duracion", "for", "durante", "ventana", "window"],
    &["format"],
    &["severidad", "severity", "prioridad", "priority", "nivel", "level", "sev"],
    &["respuesta", "response", "reacción", "reaccion", "ack", "primera acción", "first action", "atención"],
    &["resolución", "resolucion", "resolution", "resolver", "resolve", "restauración", "mitigación", "mitigation"],
    &["métrica", "metrica", "metric", "indicador", "indicator", "kpi", "sli"],
    &["objetivo", "objective", "target", "slo", "meta", "valor", "value", "límite", "limit", "compromiso"],
];

fn column(header: &str) -> Col {
    static GROUPS: LazyLock<RegexSet> = LazyLock::new(|| {
        RegexSet::new(COLUMN_WORDS.iter().map(|words| words.iter().map(|w| regex::escape(w)).collect::<Vec<_>>().join("|"))).unwrap()
    });
    let h = header.to_lowercase();
    let found = GROUPS.matches(&h);
    // Whether the header holds a word of each group, in the order of `COLUMN_WORDS`.
    let has: [bool; 17] = std::array::from_fn(|i| found.matched(i));
    let [rto, rpo, frequency, retention, time, not_time, method, kind, condition, alert, duration, format, severity, response, resolution, metric, target] =
        has;
    if rto {
        Col::Rto
    } else if rpo {
        Col::Rpo
    } else if frequency {
        Col::Frequency
    } else if retention {
        Col::Retention
    } else if (time && !not_time) || is_clock_time_header(&h) {
        Col::Time
    } else if method {
        Col::Method
    } else if kind {
        Col::Type
    } else if condition {
        Col::Condition
    } else if alert {
        Col::Alert
    } else if duration && !format {
        Col::Duration
    } else if severity {
        Col::Severity
    } else if response {
        Col::Response
    } else if resolution {
        Col::Resolution
    } else if metric {
        Col::Metric
    } else if target {
        Col::Target
    } else {
        Col::Other
    }
}

/// `Time`, `Time (UTC)`, `Start time`: the hour a job runs. Not `Response time` or `Deploy time`,
/// which are durations.
fn is_clock_time_header(lower: &str) -> bool {
    let bare = lower.split('(').next().unwrap_or(lower).trim();
    ["time", "start time", "local time", "utc time", "time utc", "scheduled time", "scheduled at", "runs at", "starts at"].contains(&bare)
}

fn find_col(cols: &[Col], want: Col) -> Option<usize> {
    cols.iter().position(|c| *c == want)
}

fn cell<'t>(row: &'t [Cell], index: Option<usize>) -> Option<&'t Cell> {
    row.get(index?).filter(|c| !is_empty_cell(&c.text))
}

fn is_empty_cell(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    t.is_empty() || ["-", "—", "–", "n/a", "na", "n/d", "—", "?", "tbd", "pendiente"].contains(&t.as_str())
}

pub(super) fn extract(runbook: &Runbook, sink: &mut Sink) {
    for table in &runbook.tables {
        // `| Próxima revisión | 1 de marzo de 2025 |` in a metadata table.
        for row in &table.rows {
            let joined = row.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" : ");
            if let Some(kind) = super::prose::review(&joined) {
                sink.push(row_span(row), kind);
            }
        }
        let cols: Vec<Col> = table.header.iter().map(|c| column(&c.text)).collect();
        let has = |c: Col| cols.contains(&c);
        if has(Col::Rto) || has(Col::Rpo) {
            recovery(table, &cols, sink);
        } else if has(Col::Frequency) {
            backups(table, &cols, sink);
        } else if has(Col::Condition) || (has(Col::Alert) && (has(Col::Severity) || has(Col::Target))) {
            alerts(table, &cols, sink);
        } else if has(Col::Severity) && (has(Col::Response) || has(Col::Resolution)) {
            responses(table, &cols, sink);
        } else if has(Col::Target) || has(Col::Metric) {
            objectives(table, &cols, sink);
        }
    }
}

/// The first column that is not one of the value columns names the row's subject.
fn subject_col(cols: &[Col], values: &[Col]) -> usize {
    cols.iter().position(|c| !values.contains(c)).unwrap_or(0)
}

/// A cell's value without a leading comparison or `~`: `< 1 h` → `1 h`.
fn value_text(text: &str) -> &str {
    let t = text.trim();
    let t = crate::units::parse_comparison(t).map_or(t, |(_, n)| &t[n..]).trim_start();
    t.trim_start_matches('~').trim_start_matches('≈').trim_start()
}

/// A duration cell: `15 minutos`, `< 1 h`, `0`, `1-4 h` (the top). `None` for anything else.
fn duration_cell(text: &str) -> Option<Duration> {
    let t = value_text(text);
    if let Some((_, high)) = parse_duration_range(t) {
        return Some(high);
    }
    let lower = t.to_lowercase();
    if ["cero", "zero", "ninguna", "none", "sin pérdida", "no data loss"].iter().any(|w| lower.starts_with(w)) {
        return Some(Duration::ZERO);
    }
    find_duration(t).filter(|(_, r)| r.start <= 2).map(|(d, _)| d)
}

/// A response or resolution cell: a duration as in [`duration_cell`], or business days
/// (`1 business day`, `2-5 días laborables`, the top of a range).
fn deadline_cell(text: &str) -> Option<Deadline> {
    match parse_deadline_range(value_text(text)) {
        Some((_, high @ Deadline::BusinessDays(_))) => Some(high),
        _ => duration_cell(text).map(Deadline::Clock),
    }
}

fn recovery(table: &Table, cols: &[Col], sink: &mut Sink) {
    let rto = find_col(cols, Col::Rto);
    let rpo = find_col(cols, Col::Rpo);
    let subject = subject_col(cols, &[Col::Rto, Col::Rpo]);
    for row in &table.rows {
        let Some(scenario) = row.get(subject).filter(|c| !is_empty_cell(&c.text)) else { continue };
        let rto_v = cell(row, rto).and_then(|c| duration_cell(&c.text));
        let rpo_v = cell(row, rpo).and_then(|c| duration_cell(&c.text));
        if rto_v.is_none() && rpo_v.is_none() {
            continue;
        }
        sink.push(
            row_span(row),
            ClaimKind::Recovery(Recovery { scenario: plain(&scenario.text), rto: rto_v, rpo: rpo_v }),
        );
    }
}

fn backups(table: &Table, cols: &[Col], sink: &mut Sink) {
    let freq = find_col(cols, Col::Frequency);
    let retention = find_col(cols, Col::Retention);
    let time = find_col(cols, Col::Time);
    let meth = find_col(cols, Col::Method);
    let kind = find_col(cols, Col::Type);
    let subject = subject_col(cols, &[Col::Frequency, Col::Retention, Col::Time, Col::Method, Col::Type]);
    for row in &table.rows {
        let Some(store) = row.get(subject).filter(|c| !is_empty_cell(&c.text)) else { continue };
        let frequency = cell(row, freq).and_then(|c| frequency(&c.text));
        let Some(frequency) = frequency else { continue };
        let whole_row: String = row.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" | ");
        sink.push(
            row_span(row),
            ClaimKind::Backup(BackupPolicy {
                store: plain(&store.text),
                frequency: Some(frequency),
                time_of_day: cell(row, time)
                    .and_then(|c| scheduled_time(&plain(&c.text)))
                    .or_else(|| cell(row, freq).and_then(|c| time_of_day(&c.text))),
                retention: cell(row, retention).and_then(|c| duration_cell(&c.text)),
                method: cell(row, meth).map(|c| plain(&c.text)).or_else(|| method(&whole_row)),
                backup_type: cell(row, kind).and_then(|c| backup_type(&c.text)).or_else(|| backup_type(&whole_row)),
            }),
        );
    }
}

fn alerts(table: &Table, cols: &[Col], sink: &mut Sink) {
    let name = find_col(cols, Col::Alert);
    let condition = find_col(cols, Col::Condition).or_else(|| find_col(cols, Col::Target));
    let duration = find_col(cols, Col::Duration);
    let severity = find_col(cols, Col::Severity);
    let metric_col = find_col(cols, Col::Metric);
    for row in &table.rows {
        let Some(cond) = cell(row, condition) else { continue };
        let Some((comparison, threshold, range)) = find_bound(&cond.text) else { continue };
        let name_text = cell(row, name).map(|c| plain(&c.text));
        let metric = cell(row, metric_col)
            .and_then(|c| classify(&c.text))
            .or_else(|| classify(&cond.text[..range.start]))
            .or_else(|| name_text.as_deref().and_then(classify))
            .or_else(|| classify(&cond.text));
        let Some(metric) = metric else { continue };
        let for_duration = cell(row, duration)
            .and_then(|c| duration_cell(&c.text))
            .or_else(|| super::prose::for_duration(&cond.text[range.end..]));
        sink.push(
            row_span(row),
            ClaimKind::Alert(AlertRule {
                name: name_text,
                metric,
                comparison,
                threshold,
                for_duration,
                severity: cell(row, severity).map(|c| plain(&c.text)).or_else(|| severity_word(&cond.text)),
                source: AlertSource::Table,
            }),
        );
    }
}

fn responses(table: &Table, cols: &[Col], sink: &mut Sink) {
    let severity = find_col(cols, Col::Severity).unwrap_or(0);
    let response = find_col(cols, Col::Response);
    let resolution = find_col(cols, Col::Resolution);
    for row in &table.rows {
        let Some(sev) = row.get(severity).filter(|c| !is_empty_cell(&c.text)) else { continue };
        let response_v = cell(row, response).and_then(|c| deadline_cell(&c.text));
        let resolution_v = cell(row, resolution).and_then(|c| deadline_cell(&c.text));
        if response_v.is_none() && resolution_v.is_none() {
            continue;
        }
        sink.push(
            row_span(row),
            ClaimKind::Response(ResponseTime { severity: plain(&sev.text), response: response_v, resolution: resolution_v }),
        );
    }
}

fn objectives(table: &Table, cols: &[Col], sink: &mut Sink) {
    let metric_col = find_col(cols, Col::Metric).unwrap_or(0);
    // `| Objective | Target |`: both headers read as targets, and the first names the metric.
    let target = cols
        .iter()
        .enumerate()
        .position(|(i, c)| *c == Col::Target && i != metric_col)
        .or_else(|| (cols.len() > 1 && metric_col != 1).then_some(1));
    for row in &table.rows {
        let Some(t) = cell(row, target) else { continue };
        let metric = row.get(metric_col).and_then(|c| classify(&c.text));
        let Some(metric) = metric else { continue };
        let Some((comparison, value)) = bound_or_implied(&t.text, metric) else { continue };
        sink.push(row_span(row), ClaimKind::Objective(Objective { metric, comparison, value }));
    }
}

/// `< 500 ms` as written, or a bare `99,9 %` read in the direction the metric implies.
pub(super) fn bound_or_implied(text: &str, metric: Metric) -> Option<(Comparison, Quantity)> {
    if let Some((c, q, _)) = find_bound(text) {
        return fits(metric, &q).then_some((c, q));
    }
    let t = text.trim();
    let (q, n) = parse_quantity_prefix(t)?;
    let rest = t[n..].trim();
    if !rest.is_empty() && !rest.starts_with(['(', ',', ';']) && !is_period(rest) {
        return None;
    }
    let c = if metric.higher_is_better() { Comparison::Ge } else { Comparison::Le };
    fits(metric, &q).then_some((c, q))
}

/// `per month`, `a month`, `al mes`, `mensual`: the window a bare value is measured over.
fn is_period(rest: &str) -> bool {
    let r = rest.trim_end_matches(['.', ')']).to_lowercase();
    let r = ["per ", "a ", "each ", "every ", "al ", "por ", "cada "].iter().find_map(|p| r.strip_prefix(p)).unwrap_or(&r);
    ["month", "mes", "monthly", "mensual", "week", "semana", "semanal", "weekly", "year", "año", "anual", "yearly", "day", "día", "diario", "daily", "quarter", "trimestre"]
        .contains(&r.trim())
}

/// Whether a value has a unit that makes sense for the metric.
pub(super) fn fits(metric: Metric, q: &Quantity) -> bool {
    match metric {
        Metric::Availability | Metric::ErrorRate => matches!(q, Quantity::Percent(_)),
        Metric::Latency(_) | Metric::DeployTime => matches!(q, Quantity::Duration(_)),
        Metric::Throughput => matches!(q, Quantity::Rate(_)),
        Metric::Memory | Metric::Disk => matches!(q, Quantity::Size(_) | Quantity::Percent(_)),
        Metric::Cpu => matches!(q, Quantity::Percent(_)),
    }
}

fn row_span(row: &[Cell]) -> std::ops::Range<usize> {
    let start = row.first().map_or(0, |c| c.span.start);
    let end = row.last().map_or(start, |c| c.span.end);
    start..end.max(start)
}

/// Cell text without Markdown emphasis.
fn plain(text: &str) -> String {
    text.replace("**", "").replace('`', "").trim().to_string()
}
