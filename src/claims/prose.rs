//! Claims stated in list items and paragraphs, one line at a time: `- RTO: 15 minutos`,
//! `Tasa de errores < 1 %`, `Backups de Postgres cada 6 horas`, `Next review: 2027-03-01`, and the
//! task lists that make up checklists.

use std::time::Duration;
use std::sync::LazyLock;

use regex::Regex;

use super::dates::find_date;
use super::metric::classify;
use super::tables::bound_or_implied;
use super::{AlertRule, AlertSource, BackupPolicy, Checklist, ChecklistItem, ClaimKind, Frequency, Objective, Recovery, ReviewDate, Sink};
use crate::runbook::{Runbook, Snippet};
use crate::units::{find_bound, find_duration, parse_duration_prefix};

pub(super) fn extract(runbook: &Runbook, sink: &mut Sink) {
    for item in &runbook.items {
        lines(runbook, &item.text, item.checked.is_some(), sink);
    }
    for paragraph in &runbook.paragraphs {
        lines(runbook, &paragraph.text, false, sink);
    }
    checklists(runbook, sink);
}

fn lines(runbook: &Runbook, text: &Snippet, is_task: bool, sink: &mut Sink) {
    for (offset, line) in text.lines() {
        // Every claim read from a line states a number (a date, a duration, a bound).
        if !line.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let span = text.source_range(offset..offset + line.len());
        if !is_task {
            if let Some(kind) = review(line) {
                sink.push(span.clone(), kind);
                continue;
            }
        }
        let section = runbook.section_at(span.start).map_or("", |h| h.title.as_str());
        if let Some(kind) = recovery(line, section) {
            sink.push(span, kind);
        } else if let Some(kind) = backup(line, section) {
            sink.push(span, kind);
        } else if let Some(kind) = alert(line, section) {
            sink.push(span, kind);
        } else if !is_task {
            if let Some(kind) = objective(line, section) {
                sink.push(span, kind);
            }
        }
    }
}

static NEXT_REVIEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(pr[oó]xima revisi[oó]n|siguiente revisi[oó]n|revisar antes del?|revisi[oó]n programada|fecha de revisi[oó]n|next review|review by|review due|to be reviewed by|review before|revisit by)",
    )
    .unwrap()
});

pub(super) fn review(line: &str) -> Option<ClaimKind> {
    let m = NEXT_REVIEW.find(line)?;
    let (date, range) = find_date(&line[m.end()..])?;
    let written = line[m.end()..][range].to_string();
    Some(ClaimKind::Review(ReviewDate { date, written }))
}

static RTO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bRTO\b").unwrap());
static RPO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bRPO\b").unwrap());

/// The duration right after a `RTO`/`RPO` label (within a few words): `RTO: 15 min`,
/// `RPO de 24 horas`, `RPO 0`.
fn labelled_duration(line: &str, label: &Regex) -> Option<Duration> {
    let m = label.find(line)?;
    let rest = &line[m.end()..];
    let head: String = rest.chars().take(40).collect();
    // Stop at the other label so `RTO 15 min, RPO 1 h` keeps both apart.
    let head = head.split(['R']).next().unwrap_or(&head);
    let trimmed = head.trim_start_matches(|c: char| !c.is_ascii_digit());
    let skipped = &head[..head.len() - trimmed.len()];
    if skipped.chars().count() > 20 {
        return None;
    }
    let (d, _) = parse_duration_prefix(trimmed)?;
    Some(d)
}

fn recovery(line: &str, section: &str) -> Option<ClaimKind> {
    let rto = labelled_duration(line, &RTO);
    let rpo = labelled_duration(line, &RPO);
    if rto.is_none() && rpo.is_none() {
        return None;
    }
    // `- **Base de datos caída**: RTO 15 min` names its scenario before the label.
    let label_at = [RTO.find(line), RPO.find(line)].into_iter().flatten().map(|m| m.start()).min().unwrap_or(0);
    let before = line[..label_at].trim().trim_end_matches([':', '-', '–', ',', '(']).trim();
    let before = before.trim_start_matches(['-', '*', ' ']).replace("**", "");
    let scenario = if before.chars().count() >= 3 && before.chars().count() <= 60 { before } else { section.to_string() };
    Some(ClaimKind::Recovery(Recovery { scenario, rto, rpo }))
}

static BACKUP_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(backups?|copias? de seguridad|respaldos?|dumps?|snapshots?|copias?)\b").unwrap());

/// A backup frequency: `cada 6 horas`, `every 12 hours`, `diario`, `nightly`, `semanal`,
/// `cada hora`, `continuo`.
pub(super) fn frequency(text: &str) -> Option<Frequency> {
    let l = text.to_lowercase();
    static EVERY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(cada|every|each)\s+").unwrap());
    if let Some(m) = EVERY.find(&l) {
        let rest = &l[m.end()..];
        if let Some((d, _)) = parse_duration_prefix(rest) {
            return Some(Frequency::Every(d));
        }
        // `cada hora`, `every day`.
        for (word, secs) in [("hora", 3600), ("hour", 3600), ("día", 86_400), ("dia", 86_400), ("day", 86_400), ("noche", 86_400), ("night", 86_400), ("semana", 604_800), ("week", 604_800), ("mes", 2_592_000), ("month", 2_592_000), ("minuto", 60), ("minute", 60)] {
            if rest.starts_with(word) {
                return Some(Frequency::Every(Duration::from_secs(secs)));
            }
        }
    }
    let word = |w: &str| l.match_indices(w).any(|(i, _)| !l[..i].ends_with(char::is_alphabetic) && !l[i + w.len()..].starts_with(char::is_alphabetic));
    if ["continuo", "continua", "continuous", "continuously", "en tiempo real", "real-time", "streaming"].iter().any(|w| word(w)) {
        return Some(Frequency::Continuous);
    }
    if ["por hora", "hourly", "horario"].iter().any(|w| word(w)) {
        return Some(Frequency::Every(Duration::from_secs(3600)));
    }
    if ["diario", "diaria", "diariamente", "daily", "nightly", "cada noche", "todas las noches", "a diario"].iter().any(|w| word(w)) {
        return Some(Frequency::Every(Duration::from_secs(86_400)));
    }
    if ["semanal", "semanalmente", "weekly"].iter().any(|w| word(w)) {
        return Some(Frequency::Every(Duration::from_secs(604_800)));
    }
    if ["mensual", "mensualmente", "monthly"].iter().any(|w| word(w)) {
        return Some(Frequency::Every(Duration::from_secs(2_592_000)));
    }
    None
}

/// `03:30` / `3:30 UTC` / `a las 2h` in a schedule.
pub(super) fn time_of_day(text: &str) -> Option<String> {
    static HHMM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([01]?\d|2[0-3]):[0-5]\d(\s*(UTC|CET|CEST|GMT|h))?\b").unwrap());
    HHMM.find(text).map(|m| m.as_str().to_string())
}

/// The tool a backup line names.
pub(super) fn method(text: &str) -> Option<String> {
    const TOOLS: &[&str] = &[
        "pg_dumpall", "pg_dump", "pg_basebackup", "pgbackrest", "pgBackRest", "barman", "wal-g", "WAL-G", "wal-e", "restic", "borg",
        "rsync", "BGSAVE", "RDB", "AOF", "snapshot", "Supabase PITR", "PITR",
    ];
    TOOLS.iter().find(|t| text.contains(*t)).map(|t| t.to_string())
}

pub(super) fn backup_type(text: &str) -> Option<String> {
    let l = text.to_lowercase();
    for (words, name) in [
        (&["incremental"][..], "incremental"),
        (&["diferencial", "differential"][..], "differential"),
        (&["completo", "completa", "full"][..], "full"),
    ] {
        if words.iter().any(|w| l.contains(w)) {
            return Some(name.to_string());
        }
    }
    None
}

static STORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(postgres(ql)?|redis|base de datos|database|mysql|mongo(db)?|supabase|storage|minio|s3|volúmenes|volumes)\b").unwrap()
});

fn backup(line: &str, section: &str) -> Option<ClaimKind> {
    let in_backup_section = BACKUP_WORD.is_match(section);
    if !BACKUP_WORD.is_match(line) && !in_backup_section {
        return None;
    }
    // Claims state a policy; steps ("run the backup", "copia el dump") do not carry a frequency.
    let frequency = frequency(line)?;
    let store = STORE
        .find(line)
        .map(|m| m.as_str().to_string())
        .or_else(|| STORE.find(section).map(|m| m.as_str().to_string()))
        .unwrap_or_else(|| section.to_string());
    let retention = retention(line);
    Some(ClaimKind::Backup(BackupPolicy {
        store,
        frequency: Some(frequency),
        time_of_day: time_of_day(line),
        retention,
        method: method(line),
        backup_type: backup_type(line),
    }))
}

fn retention(line: &str) -> Option<Duration> {
    static KEEP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(retenci[oó]n|retention|se conservan?|conservar|kept for|keep|retained for|guardamos|se guardan?)\b").unwrap()
    });
    let m = KEEP.find(line)?;
    let (d, r) = find_duration(&line[m.end()..])?;
    (r.start <= 20).then_some(d)
}

static ALERT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(alerta|alertas|alert|alerts|alertmanager|avisa|aviso|page|pages|paging|dispara|fires?|notifica|pagerduty)\b").unwrap()
});

/// `durante 5 min`, `por 5min`, `for 10m`.
pub(super) fn for_duration(text: &str) -> Option<Duration> {
    static FOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(durante|por|for|during|over|en)\s+(m[aá]s de\s+)?").unwrap());
    for m in FOR.find_iter(text) {
        if let Some((d, _)) = parse_duration_prefix(&text[m.end()..]) {
            return Some(d);
        }
    }
    None
}

/// `critical`, `P1`, `warning`, `crítica`, `SEV2` in an alert line.
pub(super) fn severity_word(text: &str) -> Option<String> {
    static SEV: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(critical|cr[ií]tica|cr[ií]tico|warning|advertencia|info|P[0-4]|SEV[0-4]|alta|media|baja|high|medium|low)\b").unwrap()
    });
    SEV.find(text).map(|m| m.as_str().to_string())
}

fn alert(line: &str, section: &str) -> Option<ClaimKind> {
    if !ALERT_WORD.is_match(line) && !ALERT_WORD.is_match(section) {
        return None;
    }
    let (comparison, threshold, range) = find_bound(line)?;
    let metric = classify(&line[..range.start]).or_else(|| classify(line))?;
    if !super::tables::fits(metric, &threshold) {
        return None;
    }
    Some(ClaimKind::Alert(AlertRule {
        name: None,
        metric,
        comparison,
        threshold,
        for_duration: for_duration(&line[range.end..]),
        severity: severity_word(line),
        source: AlertSource::Text,
    }))
}

static OBJECTIVE_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(objetivo|objective|slo|sla|target|meta|compromiso|requisito|requirement|kpi|m[eé]trica|indicador|nivel de servicio|service level|go-live|criterio)").unwrap()
});

fn objective(line: &str, section: &str) -> Option<ClaimKind> {
    let metric = classify(line)?;
    // A bound is a promise only where the text or its section says it is one, or the line is a
    // `Metric: value` pair.
    let (comparison, value) = match find_bound(line) {
        Some((c, q, _)) if super::tables::fits(metric, &q) => (c, q),
        _ => {
            let (_, value) = line.split_once(':')?;
            bound_or_implied(value, metric)?
        }
    };
    let is_pair = line.contains(':');
    if !(OBJECTIVE_CONTEXT.is_match(line) || OBJECTIVE_CONTEXT.is_match(section) || is_pair) {
        return None;
    }
    Some(ClaimKind::Objective(Objective { metric, comparison, value }))
}

/// One claim per section that has task items.
fn checklists(runbook: &Runbook, sink: &mut Sink) {
    let mut by_section: Vec<(Option<usize>, Vec<ChecklistItem>, std::ops::Range<usize>)> = Vec::new();
    for item in runbook.items.iter().filter(|i| i.checked.is_some()) {
        let text = item.text.text.trim().to_string();
        let entry = ChecklistItem {
            text,
            checked: item.checked == Some(true),
            line: runbook.line_col(item.span.start).line,
            span: item.span.clone(),
        };
        match by_section.last_mut() {
            Some((section, items, span)) if *section == item.section => {
                span.end = item.span.end;
                items.push(entry);
            }
            _ => by_section.push((item.section, vec![entry], item.span.clone())),
        }
    }
    for (section, items, span) in by_section {
        let title = section.map(|i| runbook.headings[i].title.clone()).unwrap_or_default();
        let checked = items.iter().filter(|i| i.checked).count();
        let unchecked = items.len() - checked;
        sink.push(span, ClaimKind::Checklist(Checklist { title, checked, unchecked, items }));
    }
}
