//! Quantities with units — durations, percentages, rates, sizes — parsed once from runbook text
//! (Spanish or English, `99,9 %` or `99.9%`, `15 minutos` or `15 min`) and compared typed.

use std::fmt;
use std::time::Duration;

/// A percentage, `99.9` for 99.9 %.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
pub struct Percent(pub f64);

/// Events per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
pub struct Rate {
    pub per_second: f64,
}

/// A size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Size {
    pub bytes: u64,
}

/// A value a claim states, with its unit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "unit", content = "value", rename_all = "lowercase")]
pub enum Quantity {
    Percent(Percent),
    #[serde(serialize_with = "serialize_duration")]
    Duration(Duration),
    Rate(Rate),
    Size(Size),
    /// A bare number (a count, a ratio).
    Number(f64),
}

impl Quantity {
    /// The value in the quantity's base unit (percent, seconds, per second, bytes), for comparing
    /// two quantities of the same kind.
    pub fn base_value(&self) -> f64 {
        match *self {
            Quantity::Percent(p) => p.0,
            Quantity::Duration(d) => d.as_secs_f64(),
            Quantity::Rate(r) => r.per_second,
            Quantity::Size(s) => s.bytes as f64,
            Quantity::Number(n) => n,
        }
    }

    pub fn same_kind(&self, other: &Quantity) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Percent(p) => write!(f, "{} %", trim_float(p.0)),
            Quantity::Duration(d) => f.write_str(&format_duration(*d)),
            Quantity::Rate(r) => f.write_str(&format_rate(*r)),
            Quantity::Size(s) => f.write_str(&format_size(*s)),
            Quantity::Number(n) => f.write_str(&trim_float(*n)),
        }
    }
}

pub fn serialize_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

pub fn serialize_duration_opt<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&format_duration(*d)),
        None => s.serialize_none(),
    }
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// `90 s`, `15 min`, `1 h 30 min`, `2 d`: the largest units that divide the value exactly.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0 s".into();
    }
    if ms % 1000 != 0 {
        return format!("{ms} ms");
    }
    let mut secs = d.as_secs();
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("min", 60), ("s", 1)] {
        if secs >= size {
            parts.push(format!("{} {unit}", secs / size));
            secs %= size;
        }
    }
    parts.join(" ")
}

/// `80/s`, or `10/min` for a slow rate that is a whole number per minute (`0.1667/s` reads badly).
pub fn format_rate(r: Rate) -> String {
    let per_minute = r.per_second * 60.0;
    if r.per_second < 1.0 && r.per_second > 0.0 && (per_minute - per_minute.round()).abs() < 1e-9 {
        return format!("{}/min", trim_float(per_minute));
    }
    format!("{}/s", trim_float(r.per_second))
}

pub fn format_size(s: Size) -> String {
    // Show sizes in the family they were written in: `900 MB` stays `900 MB`, `2 GiB` stays `2 GiB`.
    for (name, size) in [("TB", 1_000_000_000_000u64), ("GB", 1_000_000_000), ("MB", 1_000_000), ("kB", 1000)] {
        let binary = if size >= 1_000_000 { 1 << 20 } else { 1 << 10 };
        if s.bytes >= size && s.bytes % size == 0 && s.bytes % binary != 0 {
            return format!("{} {name}", s.bytes / size);
        }
    }
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (name, size) in UNITS {
        if s.bytes >= size {
            return format!("{} {name}", trim_float(s.bytes as f64 / size as f64));
        }
    }
    format!("{} B", s.bytes)
}

/// How a claim compares a metric with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Comparison {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "=")]
    Eq,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "≤",
            Comparison::Gt => ">",
            Comparison::Ge => "≥",
            Comparison::Eq => "=",
        }
    }

    /// True for `<` and `≤`: the value is a ceiling.
    pub fn is_upper_bound(self) -> bool {
        matches!(self, Comparison::Lt | Comparison::Le)
    }

    pub fn is_lower_bound(self) -> bool {
        matches!(self, Comparison::Gt | Comparison::Ge)
    }
}

/// Finds a comparison at the start of `s` (after spaces): `<`, `≤`, `>=`, `menor que`, `at least`...
/// Returns it and the byte length consumed.
pub fn parse_comparison(s: &str) -> Option<(Comparison, usize)> {
    let trimmed = s.trim_start();
    let lead = s.len() - trimmed.len();
    // The longest comparison word is under 24 bytes: lower-case only that much (this runs at
    // every offset of every line, so the whole rest of the line would be quadratic).
    let lower = head(trimmed, 24).to_lowercase();
    // Lower-casing may change byte lengths only for non-ASCII letters, which none of these have.
    const WORDS: &[(&str, Comparison)] = &[
        ("<=", Comparison::Le),
        ("=<", Comparison::Le),
        ("≤", Comparison::Le),
        (">=", Comparison::Ge),
        ("=>", Comparison::Ge),
        ("≥", Comparison::Ge),
        ("<", Comparison::Lt),
        (">", Comparison::Gt),
        ("=", Comparison::Eq),
        ("menor o igual que", Comparison::Le),
        ("menor o igual a", Comparison::Le),
        ("mayor o igual que", Comparison::Ge),
        ("mayor o igual a", Comparison::Ge),
        ("menor que", Comparison::Lt),
        ("menor a", Comparison::Lt),
        ("menos de", Comparison::Lt),
        ("inferior a", Comparison::Lt),
        ("por debajo de", Comparison::Lt),
        ("mayor que", Comparison::Gt),
        ("mayor a", Comparison::Gt),
        ("más de", Comparison::Gt),
        ("mas de", Comparison::Gt),
        ("superior a", Comparison::Gt),
        ("por encima de", Comparison::Gt),
        ("supera", Comparison::Gt),
        ("al menos", Comparison::Ge),
        ("mínimo", Comparison::Ge),
        ("minimo", Comparison::Ge),
        ("máximo", Comparison::Le),
        ("maximo", Comparison::Le),
        ("hasta", Comparison::Le),
        ("less than", Comparison::Lt),
        ("lower than", Comparison::Lt),
        ("below", Comparison::Lt),
        ("under", Comparison::Lt),
        ("more than", Comparison::Gt),
        ("greater than", Comparison::Gt),
        ("higher than", Comparison::Gt),
        ("above", Comparison::Gt),
        ("over", Comparison::Gt),
        ("exceeds", Comparison::Gt),
        ("at least", Comparison::Ge),
        ("at most", Comparison::Le),
        ("no more than", Comparison::Le),
        ("up to", Comparison::Le),
        ("within", Comparison::Le),
    ];
    for (word, cmp) in WORDS {
        if let Some(rest) = lower.strip_prefix(word) {
            let is_symbol = !word.chars().next().is_some_and(char::is_alphabetic);
            if is_symbol || rest.is_empty() || !rest.starts_with(char::is_alphanumeric) {
                return Some((*cmp, lead + word.len()));
            }
        }
    }
    None
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A number at the start of `s` (after spaces): `99,9`, `0.5`, `1 000`? no — digits with one decimal
/// separator (`,` or `.`). Returns the value and the bytes consumed.
pub fn parse_number(s: &str) -> Option<(f64, usize)> {
    let trimmed = s.trim_start();
    let lead = s.len() - trimmed.len();
    let bytes = trimmed.as_bytes();
    let mut end = 0;
    let mut seen_sep = false;
    while end < bytes.len() {
        let b = bytes[end];
        if b.is_ascii_digit() {
            end += 1;
        } else if (b == b',' || b == b'.') && !seen_sep && end > 0 && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            seen_sep = true;
            end += 1;
        } else {
            break;
        }
    }
    if end == 0 {
        return None;
    }
    let value: f64 = trimmed[..end].replace(',', ".").parse().ok()?;
    Some((value, lead + end))
}

/// Duration units, longest spellings first so `min` wins over `m`, `ms` over `m`.
const DURATION_UNITS: &[(&str, f64)] = &[
    ("milisegundos", 0.001),
    ("milisegundo", 0.001),
    ("milliseconds", 0.001),
    ("millisecond", 0.001),
    ("ms", 0.001),
    ("segundos", 1.0),
    ("segundo", 1.0),
    ("seconds", 1.0),
    ("second", 1.0),
    ("secs", 1.0),
    ("sec", 1.0),
    ("seg", 1.0),
    ("minutos", 60.0),
    ("minuto", 60.0),
    ("minutes", 60.0),
    ("minute", 60.0),
    ("mins", 60.0),
    ("min", 60.0),
    ("horas", 3600.0),
    ("hora", 3600.0),
    ("hours", 3600.0),
    ("hour", 3600.0),
    ("hrs", 3600.0),
    ("hr", 3600.0),
    ("días", 86_400.0),
    ("día", 86_400.0),
    ("dias", 86_400.0),
    ("dia", 86_400.0),
    ("days", 86_400.0),
    ("day", 86_400.0),
    ("semanas", 604_800.0),
    ("semana", 604_800.0),
    ("weeks", 604_800.0),
    ("week", 604_800.0),
    ("meses", 2_592_000.0),
    ("mes", 2_592_000.0),
    ("months", 2_592_000.0),
    ("month", 2_592_000.0),
    ("años", 31_536_000.0),
    ("año", 31_536_000.0),
    ("years", 31_536_000.0),
    ("year", 31_536_000.0),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
    ("d", 86_400.0),
    ("w", 604_800.0),
];

/// A unit word at the start of `s` (after spaces, before a non-letter): returns the matched unit's
/// factor and the bytes consumed.
fn parse_unit(s: &str, units: &[(&'static str, f64)]) -> Option<(f64, usize)> {
    let trimmed = head(s.trim_start(), 32);
    let lead = s.len() - s.trim_start().len();
    let lower = trimmed.to_lowercase();
    if lower.len() != trimmed.len() {
        // Non-ASCII case changes would shift offsets; fall back to exact matching.
        return units.iter().find_map(|(u, f)| unit_match(trimmed, u).map(|n| (*f, lead + n)));
    }
    units.iter().find_map(|(u, f)| unit_match(&lower, u).map(|n| (*f, lead + n)))
}

fn unit_match(s: &str, unit: &str) -> Option<usize> {
    let rest = s.strip_prefix(unit)?;
    (!rest.starts_with(|c: char| c.is_alphabetic())).then_some(unit.len())
}

/// `15 minutos`, `15min`, `1,5 h`, `500 ms`, `0`: a duration at the start of `s`. A bare `0`
/// is zero. Returns the duration and the bytes consumed. Business days (`1 día laborable`) are
/// not a clock duration and give `None`: see [`parse_deadline_prefix`].
pub fn parse_duration_prefix(s: &str) -> Option<(Duration, usize)> {
    let (value, n) = parse_number(s)?;
    match parse_unit(&s[n..], DURATION_UNITS) {
        Some((factor, m)) if factor == 86_400.0 && business_qualifier(&s[n + m..]).is_some() => None,
        Some((factor, m)) => Some((Duration::from_secs_f64(value * factor), n + m)),
        None if value == 0.0 => Some((Duration::ZERO, n)),
        None => None,
    }
}

/// `laborable`, `hábiles`, `laborales` right after a day unit (`días laborables`): the bytes of
/// the qualifier with the space before it.
fn business_qualifier(s: &str) -> Option<usize> {
    if !s.starts_with(char::is_whitespace) {
        return None;
    }
    const WORDS: &[(&str, f64)] =
        &[("laborables", 1.0), ("laborable", 1.0), ("laborales", 1.0), ("laboral", 1.0), ("hábiles", 1.0), ("hábil", 1.0), ("habiles", 1.0), ("habil", 1.0)];
    parse_unit(s, WORDS).map(|(_, n)| n)
}

/// How long a promise allows: clock time, or business days, which skip weekends and holidays and
/// so are no fixed number of seconds (`1 business day` from a Friday evening ends on Monday).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Deadline {
    Clock(Duration),
    BusinessDays(f64),
}

impl Deadline {
    /// The clock duration, when the deadline is one.
    pub fn clock(&self) -> Option<Duration> {
        match self {
            Deadline::Clock(d) => Some(*d),
            Deadline::BusinessDays(_) => None,
        }
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deadline::Clock(d) => f.write_str(&format_duration(*d)),
            Deadline::BusinessDays(n) if *n == 1.0 => f.write_str("1 business day"),
            Deadline::BusinessDays(n) => write!(f, "{} business days", trim_float(*n)),
        }
    }
}

impl serde::Serialize for Deadline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

const BUSINESS_DAY_UNITS: &[(&str, f64)] = &[
    ("business days", 1.0),
    ("business day", 1.0),
    ("business-days", 1.0),
    ("business-day", 1.0),
    ("working days", 1.0),
    ("working day", 1.0),
    ("work days", 1.0),
    ("work day", 1.0),
    ("workdays", 1.0),
    ("workday", 1.0),
];

/// `1 business day`, `5 working days`, `2 días laborables`, `3 días hábiles`: a number of business
/// days at the start of `s`, and the bytes consumed.
pub fn parse_business_days_prefix(s: &str) -> Option<(f64, usize)> {
    let (value, n) = parse_number(s)?;
    let rest = &s[n..];
    if let Some((_, m)) = parse_unit(rest, BUSINESS_DAY_UNITS) {
        return Some((value, n + m));
    }
    let (_, m) = parse_unit(rest, &[("días", 1.0), ("día", 1.0), ("dias", 1.0), ("dia", 1.0)])?;
    business_qualifier(&rest[m..]).map(|q| (value, n + m + q))
}

/// A deadline at the start of `s`: business days, or a clock duration.
pub fn parse_deadline_prefix(s: &str) -> Option<(Deadline, usize)> {
    if let Some((days, n)) = parse_business_days_prefix(s) {
        return Some((Deadline::BusinessDays(days), n));
    }
    parse_duration_prefix(s).map(|(d, n)| (Deadline::Clock(d), n))
}

/// `1-3 business days`, `2 a 5 días hábiles`, or any [`parse_duration_range`]: (low, high).
pub fn parse_deadline_range(s: &str) -> Option<(Deadline, Deadline)> {
    let t = s.trim();
    if let Some((days, _)) = parse_business_days_prefix(t) {
        return Some((Deadline::BusinessDays(days), Deadline::BusinessDays(days)));
    }
    if let Some((a, n)) = parse_number(t) {
        if let Some(rest) = strip_range_sep(t[n..].trim_start()) {
            if let Some((b, _)) = parse_business_days_prefix(rest) {
                return Some((Deadline::BusinessDays(a), Deadline::BusinessDays(b)));
            }
        }
    }
    parse_duration_range(t).map(|(a, b)| (Deadline::Clock(a), Deadline::Clock(b)))
}

/// The first duration anywhere in `s`, with its byte range.
pub fn find_duration(s: &str) -> Option<(Duration, std::ops::Range<usize>)> {
    for (i, _) in s.char_indices().filter(|(i, c)| c.is_ascii_digit() && !prev_is_digit(s, *i)) {
        if let Some((d, n)) = parse_duration_prefix(&s[i..]) {
            if n > 0 && !(d.is_zero() && s[i + n..].trim_start().starts_with(['%', '.', ','])) {
                return Some((d, i..i + n));
            }
        }
    }
    None
}

fn prev_is_digit(s: &str, i: usize) -> bool {
    s[..i].chars().next_back().is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// `1-4 h`, `1–4 horas`, `1 a 4 horas`, `30 min - 2 h`, or a single duration: (low, high).
pub fn parse_duration_range(s: &str) -> Option<(Duration, Duration)> {
    let t = s.trim();
    // `A unit - B unit`
    if let Some((a, n)) = parse_duration_prefix(t) {
        let rest = t[n..].trim_start();
        if let Some(rest) = strip_range_sep(rest) {
            if let Some((b, _)) = parse_duration_prefix(rest) {
                return Some((a, b));
            }
        }
        return Some((a, a));
    }
    // `A - B unit`: the unit belongs to both.
    let (a, n) = parse_number(t)?;
    let rest = strip_range_sep(t[n..].trim_start())?;
    let (b, m) = parse_number(rest)?;
    let (factor, _) = parse_unit(&rest[m..], DURATION_UNITS)?;
    Some((Duration::from_secs_f64(a * factor), Duration::from_secs_f64(b * factor)))
}

fn strip_range_sep(s: &str) -> Option<&str> {
    for sep in ["-", "–", "—", "a ", "to ", "y "] {
        if let Some(rest) = s.strip_prefix(sep) {
            return Some(rest.trim_start());
        }
    }
    None
}

/// A percentage at the start of `s`: `99,9 %`, `0.5%`, `1 por ciento`.
pub fn parse_percent_prefix(s: &str) -> Option<(Percent, usize)> {
    let (value, n) = parse_number(s)?;
    let rest = &s[n..];
    let trimmed = rest.trim_start();
    let gap = rest.len() - trimmed.len();
    if trimmed.starts_with('%') {
        return Some((Percent(value), n + gap + 1));
    }
    for word in ["por ciento", "percent", "pct"] {
        if head(trimmed, 16).to_lowercase().starts_with(word) {
            return Some((Percent(value), n + gap + word.len()));
        }
    }
    None
}

const RATE_UNITS: &[(&str, f64)] = &[
    ("req/s", 1.0),
    ("reqs/s", 1.0),
    ("rps", 1.0),
    ("requests/s", 1.0),
    ("requests/second", 1.0),
    ("requests per second", 1.0),
    ("peticiones/s", 1.0),
    ("peticiones por segundo", 1.0),
    ("solicitudes/s", 1.0),
    ("solicitudes por segundo", 1.0),
    ("llamadas/s", 1.0),
    ("calls/s", 1.0),
    ("ops/s", 1.0),
    ("tps", 1.0),
    ("/s", 1.0),
    ("req/min", 1.0 / 60.0),
    ("rpm", 1.0 / 60.0),
    ("requests/min", 1.0 / 60.0),
    ("requests per minute", 1.0 / 60.0),
    ("peticiones/min", 1.0 / 60.0),
    ("peticiones por minuto", 1.0 / 60.0),
    ("solicitudes/min", 1.0 / 60.0),
    ("llamadas/min", 1.0 / 60.0),
    ("calls/min", 1.0 / 60.0),
    ("/min", 1.0 / 60.0),
];

/// A rate at the start of `s`: `100 req/s`, `60 rpm`, `120 peticiones/min`.
pub fn parse_rate_prefix(s: &str) -> Option<(Rate, usize)> {
    let (value, n) = parse_number(s)?;
    let rest = &s[n..];
    let trimmed = rest.trim_start();
    let gap = rest.len() - trimmed.len();
    let lower = head(trimmed, 32).to_lowercase();
    RATE_UNITS.iter().find_map(|(u, f)| {
        let after = lower.strip_prefix(u)?;
        (!after.starts_with(char::is_alphanumeric)).then(|| (Rate { per_second: value * f }, n + gap + u.len()))
    })
}

const SIZE_UNITS: &[(&str, f64)] = &[
    ("tib", 1_099_511_627_776.0),
    ("tb", 1_000_000_000_000.0),
    ("gib", 1_073_741_824.0),
    ("gb", 1_000_000_000.0),
    ("mib", 1_048_576.0),
    ("mb", 1_000_000.0),
    ("kib", 1024.0),
    ("kb", 1000.0),
    ("g", 1_073_741_824.0),
    ("m", 1_048_576.0),
];

/// A size at the start of `s`: `512 MB`, `2 GiB`, `4G`.
pub fn parse_size_prefix(s: &str) -> Option<(Size, usize)> {
    let (value, n) = parse_number(s)?;
    let (factor, m) = parse_unit(&s[n..], SIZE_UNITS)?;
    Some((Size { bytes: (value * factor) as u64 }, n + m))
}

/// Any quantity at the start of `s`, trying percent, rate, size, then duration. Size is tried
/// before duration only where the unit is unambiguous (`MB`); a bare `m` is minutes.
pub fn parse_quantity_prefix(s: &str) -> Option<(Quantity, usize)> {
    if let Some((p, n)) = parse_percent_prefix(s) {
        return Some((Quantity::Percent(p), n));
    }
    if let Some((r, n)) = parse_rate_prefix(s) {
        return Some((Quantity::Rate(r), n));
    }
    if let Some((z, n)) = parse_size_prefix(s) {
        let unit = s[..n].trim_end().chars().rev().take_while(|c| c.is_alphabetic()).count();
        if unit > 1 {
            return Some((Quantity::Size(z), n));
        }
    }
    if let Some((d, n)) = parse_duration_prefix(s) {
        if !d.is_zero() || s[n..].trim_start().is_empty() {
            return Some((Quantity::Duration(d), n));
        }
    }
    let (x, n) = parse_number(s)?;
    Some((Quantity::Number(x), n))
}

/// A comparison followed by a quantity, anywhere in `s`: `< 500 ms`, `≥99,9%`, `menos de 1 %`.
/// Returns the comparison, the quantity and the byte range of both.
pub fn find_bound(s: &str) -> Option<(Comparison, Quantity, std::ops::Range<usize>)> {
    let mut offsets: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
    offsets.push(s.len());
    for &i in &offsets {
        if i > 0 && s[..i].chars().next_back().is_some_and(char::is_alphanumeric) {
            continue;
        }
        if !s[i..].starts_with(|c: char| c.is_alphabetic() || "<>=≤≥".contains(c)) {
            continue;
        }
        if let Some((cmp, n)) = parse_comparison(&s[i..]) {
            // `supera el 10 %`, `above the 5 %`: skip one article.
            let after = &s[i + n..];
            let trimmed = after.trim_start();
            let article = ["el ", "la ", "los ", "las ", "un ", "una ", "the ", "a "]
                .iter()
                .find(|a| trimmed.starts_with(*a))
                .map_or(0, |a| after.len() - trimmed.len() + a.len());
            if let Some((q, m)) = parse_quantity_prefix(&after[article..]) {
                return Some((cmp, q, i..i + n + article + m));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_both_languages() {
        assert_eq!(parse_duration_prefix("15 minutos").unwrap().0, Duration::from_secs(900));
        assert_eq!(parse_duration_prefix("15min").unwrap().0, Duration::from_secs(900));
        assert_eq!(parse_duration_prefix("1,5 h").unwrap().0, Duration::from_secs(5400));
        assert_eq!(parse_duration_prefix("24 horas").unwrap().0, Duration::from_secs(86_400));
        assert_eq!(parse_duration_prefix("500 ms").unwrap().0, Duration::from_millis(500));
        assert_eq!(parse_duration_prefix("7 días").unwrap().0, Duration::from_secs(7 * 86_400));
        assert_eq!(parse_duration_prefix("4 semanas").unwrap().0, Duration::from_secs(28 * 86_400));
        assert_eq!(parse_duration_prefix("0").unwrap().0, Duration::ZERO);
        assert!(parse_duration_prefix("15 manzanas").is_none());
        assert_eq!(find_duration("RPO de 2 hrs como máximo").unwrap().0, Duration::from_secs(7200));
    }

    #[test]
    fn business_days_are_deadlines_not_clock_durations() {
        assert_eq!(parse_deadline_prefix("1 business day").unwrap().0, Deadline::BusinessDays(1.0));
        assert_eq!(parse_deadline_prefix("5 Working Days").unwrap().0, Deadline::BusinessDays(5.0));
        assert_eq!(parse_deadline_prefix("1 día laborable").unwrap().0, Deadline::BusinessDays(1.0));
        assert_eq!(parse_deadline_prefix("3 días hábiles").unwrap(), (Deadline::BusinessDays(3.0), "3 días hábiles".len()));
        assert_eq!(parse_deadline_prefix("2 dias habiles").unwrap().0, Deadline::BusinessDays(2.0));
        assert_eq!(parse_deadline_prefix("4 h").unwrap().0, Deadline::Clock(Duration::from_secs(4 * 3600)));
        assert_eq!(parse_deadline_range("1-3 business days"), Some((Deadline::BusinessDays(1.0), Deadline::BusinessDays(3.0))));
        assert_eq!(parse_deadline_range("2 a 5 días laborables"), Some((Deadline::BusinessDays(2.0), Deadline::BusinessDays(5.0))));
        // A business day is no fixed number of seconds: the clock parsers stay silent.
        assert!(parse_duration_prefix("1 día laborable").is_none());
        assert!(find_duration("5 días hábiles").is_none());
        assert!(parse_duration_range("1 business day").is_none());
        assert!(parse_deadline_prefix("next business day").is_none());
        // `día` followed by something else is still a day.
        assert_eq!(parse_duration_prefix("1 día y medio").unwrap().0, Duration::from_secs(86_400));
        assert_eq!(Deadline::BusinessDays(1.0).to_string(), "1 business day");
        assert_eq!(Deadline::BusinessDays(5.0).to_string(), "5 business days");
    }

    #[test]
    fn ranges() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        assert_eq!(parse_duration_range("1-4 h"), Some((h(1), h(4))));
        assert_eq!(parse_duration_range("1 – 4 horas"), Some((h(1), h(4))));
        assert_eq!(parse_duration_range("1 a 4 horas"), Some((h(1), h(4))));
        assert_eq!(parse_duration_range("30 min - 2 h"), Some((Duration::from_secs(1800), h(2))));
        assert_eq!(parse_duration_range("15 min"), Some((Duration::from_secs(900), Duration::from_secs(900))));
    }

    #[test]
    fn bounds() {
        let (c, q, _) = find_bound("Disponibilidad ≥ 99,9 %").unwrap();
        assert_eq!((c, q), (Comparison::Ge, Quantity::Percent(Percent(99.9))));
        let (c, q, _) = find_bound("p95 < 500ms").unwrap();
        assert_eq!((c, q), (Comparison::Lt, Quantity::Duration(Duration::from_millis(500))));
        let (c, q, _) = find_bound("menos de 1 % de errores").unwrap();
        assert_eq!((c, q), (Comparison::Lt, Quantity::Percent(Percent(1.0))));
        let (c, q, _) = find_bound("throughput > 100 req/s").unwrap();
        assert_eq!((c, q), (Comparison::Gt, Quantity::Rate(Rate { per_second: 100.0 })));
        let (c, q, _) = find_bound("memoria < 512 MB").unwrap();
        assert_eq!((c, q), (Comparison::Lt, Quantity::Size(Size { bytes: 512_000_000 })));
        assert!(find_bound("sin comparación 5 %").is_none());
    }

    #[test]
    fn formatting() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1 h 30 min");
        assert_eq!(format_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(Quantity::Percent(Percent(99.9)).to_string(), "99.9 %");
        assert_eq!(Quantity::Rate(Rate { per_second: 80.0 }).to_string(), "80/s");
        assert_eq!(Quantity::Rate(Rate { per_second: 2.5 }).to_string(), "2.5/s");
        assert_eq!(Quantity::Rate(Rate { per_second: 10.0 / 60.0 }).to_string(), "10/min");
        assert_eq!(format_size(Size { bytes: 512_000_000 }), "512 MB");
        assert_eq!(format_size(Size { bytes: 2 << 30 }), "2 GiB");
    }
}
