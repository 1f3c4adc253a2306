//! The promises a runbook makes — objectives, RTO/RPO, backup policy, alert rules, incident
//! response times, checklists, review dates — extracted into a typed model with units and source
//! positions. Certification compares drill measurements with this model, so it is exact or silent:
//! a line that cannot be read with confidence yields no claim rather than a guessed one.

mod alert_rules;
pub mod dates;
pub mod metric;
mod prose;
mod tables;

use std::ops::Range;
use std::time::Duration;

pub use metric::{LatencyStat, Metric};

use crate::runbook::Runbook;
use crate::units::{serialize_duration_opt, Comparison, Deadline, Quantity};

/// One promise, with where it was made.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Claim {
    pub file: String,
    /// 1-based line and column of the claim's text in the original file.
    pub line: usize,
    pub column: usize,
    /// Byte range in the runbook's decoded text.
    #[serde(skip)]
    pub span: Range<usize>,
    /// Heading path of the section it sits in (`Runbook > 5. Objetivos`).
    pub section: String,
    #[serde(flatten)]
    pub kind: ClaimKind,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ClaimKind {
    /// A service-level objective: `error rate < 1 %`.
    Objective(Objective),
    /// RTO and/or RPO for a disaster scenario.
    Recovery(Recovery),
    /// How often a data store is backed up, when, and for how long copies are kept.
    Backup(BackupPolicy),
    /// An alert: when it fires and how loud.
    Alert(AlertRule),
    /// How fast incidents of a severity are answered and resolved.
    Response(ResponseTime),
    /// A task list (`- [ ]`) in a section.
    Checklist(Checklist),
    /// A date by which the runbook says it will be reviewed again.
    Review(ReviewDate),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Objective {
    pub metric: Metric,
    pub comparison: Comparison,
    pub value: Quantity,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recovery {
    pub scenario: String,
    #[serde(serialize_with = "serialize_duration_opt")]
    pub rto: Option<Duration>,
    #[serde(serialize_with = "serialize_duration_opt")]
    pub rpo: Option<Duration>,
}

/// `Every(6 h)`, `Continuous` (WAL archiving, replication).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Frequency {
    #[serde(serialize_with = "crate::units::serialize_duration")]
    Every(Duration),
    Continuous,
}

impl Frequency {
    /// The longest time between two copies (zero for continuous).
    pub fn interval(&self) -> Duration {
        match self {
            Frequency::Every(d) => *d,
            Frequency::Continuous => Duration::ZERO,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackupPolicy {
    pub store: String,
    pub frequency: Option<Frequency>,
    /// `03:30`, as written.
    pub time_of_day: Option<String>,
    #[serde(serialize_with = "serialize_duration_opt")]
    pub retention: Option<Duration>,
    /// The tool or method named (`pg_dump`, `pgBackRest`, `RDB snapshot`), as written.
    pub method: Option<String>,
    /// `full`, `incremental`, `differential`, when stated.
    pub backup_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertSource {
    Table,
    Text,
    /// A Prometheus alerting rule in a YAML block.
    PrometheusRule,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AlertRule {
    pub name: Option<String>,
    pub metric: Metric,
    pub comparison: Comparison,
    pub threshold: Quantity,
    /// How long the condition must hold before it fires.
    #[serde(rename = "for", serialize_with = "serialize_duration_opt")]
    pub for_duration: Option<Duration>,
    pub severity: Option<String>,
    pub source: AlertSource,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResponseTime {
    /// `P1`, `SEV2`, `Crítica`, as written.
    pub severity: String,
    /// Clock time (`15 min`) or business days (`1 día laborable`).
    pub response: Option<Deadline>,
    /// The longest resolution time promised (the top of `1-4 h`).
    pub resolution: Option<Deadline>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChecklistItem {
    pub text: String,
    pub checked: bool,
    pub line: usize,
    #[serde(skip)]
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Checklist {
    /// The heading the list sits under.
    pub title: String,
    pub checked: usize,
    pub unchecked: usize,
    pub items: Vec<ChecklistItem>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewDate {
    #[serde(serialize_with = "serialize_date")]
    pub date: jiff::civil::Date,
    /// The text of the date, as written.
    pub written: String,
}

fn serialize_date<S: serde::Serializer>(d: &jiff::civil::Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

impl Claim {
    /// A short subject for tables and reports: `error rate`, `RTO database down`, `backup postgres`.
    pub fn subject(&self) -> String {
        match &self.kind {
            ClaimKind::Objective(o) => o.metric.to_string(),
            ClaimKind::Recovery(r) => r.scenario.clone(),
            ClaimKind::Backup(b) => b.store.clone(),
            ClaimKind::Alert(a) => a.name.clone().unwrap_or_else(|| a.metric.to_string()),
            ClaimKind::Response(r) => r.severity.clone(),
            ClaimKind::Checklist(c) => c.title.clone(),
            ClaimKind::Review(_) => "next review".into(),
        }
    }

    /// The promise in words: `< 1 %`, `RTO 15 min, RPO 0 s`, `every 6 h, kept 7 d`.
    pub fn statement(&self) -> String {
        let d = |d: &Option<Duration>| d.map(crate::units::format_duration);
        match &self.kind {
            ClaimKind::Objective(o) => format!("{} {}", o.comparison.symbol(), o.value),
            ClaimKind::Recovery(r) => [d(&r.rto).map(|x| format!("RTO {x}")), d(&r.rpo).map(|x| format!("RPO {x}"))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            ClaimKind::Backup(b) => {
                let mut parts = Vec::new();
                match b.frequency {
                    Some(Frequency::Every(i)) => parts.push(format!("every {}", crate::units::format_duration(i))),
                    Some(Frequency::Continuous) => parts.push("continuous".into()),
                    None => {}
                }
                if let Some(t) = &b.time_of_day {
                    parts.push(format!("at {t}"));
                }
                if let Some(r) = d(&b.retention) {
                    parts.push(format!("kept {r}"));
                }
                if let Some(t) = &b.backup_type {
                    parts.push(t.clone());
                }
                if let Some(m) = &b.method {
                    parts.push(format!("with {m}"));
                }
                parts.join(", ")
            }
            ClaimKind::Alert(a) => {
                let mut s = format!("{} {} {}", a.metric, a.comparison.symbol(), a.threshold);
                if let Some(f) = d(&a.for_duration) {
                    s.push_str(&format!(" for {f}"));
                }
                if let Some(sev) = &a.severity {
                    s.push_str(&format!(" ({sev})"));
                }
                s
            }
            ClaimKind::Response(r) => [
                r.response.map(|x| format!("respond {x}")),
                r.resolution.map(|x| format!("resolve {x}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
            ClaimKind::Checklist(c) => format!("{}/{} checked", c.checked, c.checked + c.unchecked),
            ClaimKind::Review(r) => r.date.to_string(),
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ClaimKind::Objective(_) => "objective",
            ClaimKind::Recovery(_) => "recovery",
            ClaimKind::Backup(_) => "backup",
            ClaimKind::Alert(_) => "alert",
            ClaimKind::Response(_) => "response",
            ClaimKind::Checklist(_) => "checklist",
            ClaimKind::Review(_) => "review",
        }
    }
}

/// Collects claims with positions; the extractors only give a span and a kind.
pub(crate) struct Sink<'a> {
    runbook: &'a Runbook,
    claims: Vec<Claim>,
    /// The runbook's path as claims show it, written once (formatting a path is not cheap).
    file: String,
}

impl<'a> Sink<'a> {
    pub(crate) fn push(&mut self, span: Range<usize>, kind: ClaimKind) {
        let at = self.runbook.line_col(span.start);
        let section = self.runbook.section_at(span.start).map(|h| h.path.join(" > ")).unwrap_or_default();
        self.claims.push(Claim {
            file: self.file.clone(),
            line: at.line,
            column: at.column,
            span,
            section,
            kind,
        });
    }
}

/// Extracts every claim a runbook makes, in document order.
pub fn extract(runbook: &Runbook) -> Vec<Claim> {
    let mut sink = Sink { runbook, claims: Vec::new(), file: runbook.path.display().to_string() };
    tables::extract(runbook, &mut sink);
    prose::extract(runbook, &mut sink);
    alert_rules::extract(runbook, &mut sink);
    let mut claims = sink.claims;
    claims.sort_by_key(|c| (c.span.start, c.kind_name()));
    claims
}

/// Claims of one kind, with the claim they came from.
pub fn objectives(claims: &[Claim]) -> impl Iterator<Item = (&Claim, &Objective)> {
    claims.iter().filter_map(|c| match &c.kind {
        ClaimKind::Objective(o) => Some((c, o)),
        _ => None,
    })
}

pub fn alerts(claims: &[Claim]) -> impl Iterator<Item = (&Claim, &AlertRule)> {
    claims.iter().filter_map(|c| match &c.kind {
        ClaimKind::Alert(a) => Some((c, a)),
        _ => None,
    })
}

pub fn reviews(claims: &[Claim]) -> impl Iterator<Item = (&Claim, &ReviewDate)> {
    claims.iter().filter_map(|c| match &c.kind {
        ClaimKind::Review(r) => Some((c, r)),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
