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
    // A task item (`- [x] Logical dump every 6 hours`) reports work done or to do, not a policy:
    // it belongs to its checklist claim and states nothing else.
    let mut sections = Sections::new(runbook);
    for item in runbook.items.iter().filter(|i| i.checked.is_none()) {
        lines(&mut sections, &item.text, sink);
    }
    for paragraph in &runbook.paragraphs {
        lines(&mut sections, &paragraph.text, sink);
    }
    checklists(runbook, sink);
}

/// A section title and what its words say about the lines under it.
#[derive(Clone, Copy)]
struct Section<'a> {
    title: &'a str,
    /// `BACKUP_WORD`, `ALERT_WORD` and `OBJECTIVE_CONTEXT` match the title.
    backups: bool,
    alerts: bool,
    objectives: bool,
}

/// The sections of a runbook, each title matched against the section patterns the first time a
/// line under it asks (not once per line).
struct Sections<'a> {
    runbook: &'a Runbook,
    /// By heading index; the last slot is for lines before the first heading.
    known: Vec<Option<Section<'a>>>,
}

impl<'a> Sections<'a> {
    fn new(runbook: &'a Runbook) -> Self {
        Self { runbook, known: vec![None; runbook.headings.len() + 1] }
    }

    /// The section a byte offset sits under (what `Runbook::section_at` finds).
    fn at(&mut self, offset: usize) -> Section<'a> {
        let headings = &self.runbook.headings;
        let index = headings.partition_point(|h| h.span.start <= offset).checked_sub(1);
        let slot = index.unwrap_or(headings.len());
        *self.known[slot].get_or_insert_with(|| {
            let title = index.map_or("", |i| headings[i].title.as_str());
            Section {
                title,
                backups: BACKUP_WORD.is_match(title),
                alerts: ALERT_WORD.is_match(title),
                objectives: OBJECTIVE_CONTEXT.is_match(title),
            }
        })
    }
}

fn lines(sections: &mut Sections, text: &Snippet, sink: &mut Sink) {
    for (offset, line) in text.lines() {
        // Every claim read from a line states a number (a date, a duration, a bound).
        if !line.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let span = text.source_range(offset..offset + line.len());
        if let Some(kind) = review(line) {
            sink.push(span.clone(), kind);
            continue;
        }
        let section = sections.at(span.start);
        if let Some(kind) = recovery(line, section.title) {
            sink.push(span, kind);
        } else if let Some(kind) = backup(line, section) {
            sink.push(span, kind);
        } else if let Some(kind) = alert(line, section) {
            sink.push(span, kind);
        } else if let Some(kind) = objective(line, section) {
            sink.push(span, kind);
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
    // Every phrase of `NEXT_REVIEW` holds `revi` (`revisión`, `review`, `revisit`), in any case:
    // a byte comparison skips the pattern on almost every line.
    let bytes = line.as_bytes();
    let revi = |i: usize| bytes.get(i..i + 4).is_some_and(|w| w.eq_ignore_ascii_case(b"revi"));
    if !(0..bytes.len()).any(|i| bytes[i] | 0x20 == b'r' && revi(i)) {
        return None;
    }
    let m = NEXT_REVIEW.find(line)?;
    let (date, range) = find_date(&line[m.end()..])?;
    let written = line[m.end()..][range].to_string();
    Some(ClaimKind::Review(ReviewDate { date, written }))
}

static RTO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bRTO\b").unwrap());
static RPO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bRPO\b").unwrap());
static RECOVERY_LABEL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bR[TP]O\b").unwrap());

/// What a `RTO`/`RPO` label states: the duration, and what it is for when the label says so
/// (`RPO de Redis: 1 hora` → `Redis`).
struct Labelled {
    duration: Duration,
    of: Option<String>,
}

/// The duration right after a `RTO`/`RPO` label (within a few words): `RTO: 15 min`,
/// `RPO de 24 horas`, `RPO 0`, `RPO de Redis: 1 hora`. A sentence that goes on after the number
/// (`the RPO of 5 minutes holds because…`) explains rather than states, and gives `None`.
fn labelled_duration(line: &str, label: &Regex) -> Option<Labelled> {
    let m = label.find(line)?;
    let rest = &line[m.end()..];
    // Stop at the other label so `RTO 15 min, RPO 1 h` keeps both apart.
    let rest = RECOVERY_LABEL.find(rest).map_or(rest, |next| &rest[..next.start()]);
    let digit = rest.find(|c: char| c.is_ascii_digit())?;
    let gap = &rest[..digit];
    if gap.chars().count() > 20 {
        return None;
    }
    let (duration, n) = parse_duration_prefix(&rest[digit..])?;
    let after = rest[digit + n..].trim_start();
    // `RTO: 15 min for the API` is a label and its value; `RPO of 1 hour for Redis is…` is prose.
    let is_key_value = gap.contains([':', '=']);
    if !is_key_value && after.starts_with(char::is_alphanumeric) && !CONNECTOR.is_match(after) {
        return None;
    }
    Some(Labelled { duration, of: qualifier(gap) })
}

/// Words that may follow a stated RTO/RPO: `RTO 15 min y RPO 1 h`, `RPO 1 hora como máximo`.
static CONNECTOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(y|e|and|como m[aá]ximo|como mucho|m[aá]ximo|m[aá]x|max|maximum|at most|or less|o menos)\b").unwrap()
});

/// `de Postgres:` / `for Redis:` between a label and its value: what the RTO/RPO is for.
fn qualifier(gap: &str) -> Option<String> {
    static OF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:de|del|for|of|para)\s+(?:(?:el|la|los|las|the)\s+)?([^:=]{2,40}?)\s*[:=]\s*$").unwrap()
    });
    let name = OF.captures(gap)?.get(1)?.as_str().trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn recovery(line: &str, section: &str) -> Option<ClaimKind> {
    // Both labels are upper-case literals of their patterns.
    if !line.contains("RTO") && !line.contains("RPO") {
        return None;
    }
    let rto = labelled_duration(line, &RTO);
    let rpo = labelled_duration(line, &RPO);
    if rto.is_none() && rpo.is_none() {
        return None;
    }
    let of = rto.as_ref().and_then(|l| l.of.clone()).or_else(|| rpo.as_ref().and_then(|l| l.of.clone()));
    let label_at = [RTO.find(line), RPO.find(line)].into_iter().flatten().map(|m| m.start()).min().unwrap_or(0);
    let scenario = scenario_before(&line[..label_at])?.or(of).unwrap_or_else(|| section.to_string());
    Some(ClaimKind::Recovery(Recovery { scenario, rto: rto.map(|l| l.duration), rpo: rpo.map(|l| l.duration) }))
}

/// The scenario named before a RTO/RPO label: `Base de datos caída: RTO 15 min` (a subject and
/// a separator). `Some(None)` when the label opens the line; `None` when words run into the label
/// without a separator (`The RPO of…`, `…every minute; the RPO`): prose, not a stated objective.
fn scenario_before(before: &str) -> Option<Option<String>> {
    let before = before.trim().trim_start_matches(['-', '*', '+', ' ']).replace("**", "");
    let before = before.trim();
    if before.is_empty() {
        return Some(None);
    }
    let subject = before.strip_suffix([':', '-', '–', '—', '(', '|'])?.trim();
    (3..=60).contains(&subject.chars().count()).then(|| Some(subject.to_string()))
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
        // `cada día laborable` skips weekends: no fixed interval.
        static BUSINESS_DAY: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^(d[ií]as?\s+(laborables?|laborales?|h[aá]bil(es)?)|business days?|working days?|workdays?)\b").unwrap()
        });
        if BUSINESS_DAY.is_match(rest) {
            return None;
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

/// A schedule cell as written — `02:10`, `00:40, 06:40`, `Sunday 03:00`, `minute 05` — when it
/// states a clock time or a minute past the hour; long prose is left to [`time_of_day`].
pub(super) fn scheduled_time(text: &str) -> Option<String> {
    static MINUTE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bminut[eo]s?\s+\d{1,2}\b|(?:^|[\s(])(?:xx|hh|\*):[0-5]\d\b").unwrap());
    static AT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^(at|a las|a la|al|en el|on)\s+").unwrap());
    let t = text.trim();
    if t.chars().count() > 60 {
        return time_of_day(t);
    }
    // The statement says `at …` itself.
    let t = AT.find(t).map_or(t, |m| &t[m.end()..]);
    (time_of_day(t).is_some() || MINUTE.is_match(t)).then(|| t.to_string())
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

fn backup(line: &str, section: Section) -> Option<ClaimKind> {
    if !section.backups && !BACKUP_WORD.is_match(line) {
        return None;
    }
    // Claims state a policy; steps ("run the backup", "copia el dump") do not carry a frequency.
    let frequency = frequency(line)?;
    let store = STORE
        .find(line)
        .map(|m| m.as_str().to_string())
        .or_else(|| STORE.find(section.title).map(|m| m.as_str().to_string()))
        .unwrap_or_else(|| section.title.to_string());
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

fn alert(line: &str, section: Section) -> Option<ClaimKind> {
    if !ALERT_WORD.is_match(line) && !section.alerts {
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

/// A rate limiter's setting (`como máximo 2 peticiones por segundo` toward a supplier) is what the
/// service allows itself to send, not what it promises to serve.
static RATE_LIMITER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)limitador|rate[ -]?limit|\blimiter\b|throttl|token bucket|leaky bucket|l[ií]mite de (peticiones|llamadas|solicitudes)").unwrap()
});

fn objective(line: &str, section: Section) -> Option<ClaimKind> {
    if RATE_LIMITER.is_match(line) {
        return None;
    }
    // A bound is a promise only where the text or its section says it is one, or the line is a
    // `Metric: value` pair — with the metric in the key: a unit in the value (`2 peticiones por
    // segundo`) names no metric.
    let in_context = OBJECTIVE_CONTEXT.is_match(line) || section.objectives;
    let pair = key_value(line);
    let metric = match pair {
        Some((key, _)) if !in_context => classify(key)?,
        None if !in_context => return None,
        _ => classify(line)?,
    };
    let (comparison, value) = match find_bound(line) {
        Some((c, q, _)) if super::tables::fits(metric, &q) => (c, q),
        _ => bound_or_implied(pair?.1, metric)?,
    };
    Some(ClaimKind::Objective(Objective { metric, comparison, value }))
}

/// `Key: value` at the first colon that is not inside a clock time (`10:30`) or a URL.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let at = line.match_indices(':').map(|(i, _)| i).find(|&i| {
        let time = i > 0 && bytes[i - 1].is_ascii_digit() && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        !time && !line[i..].starts_with("://")
    })?;
    Some((&line[..at], &line[at + 1..]))
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
