//! What a `cert-expired` fault did, from both sides: the mock's request log (requests over the
//! expired certificate, handshakes the client refused, the first call over the renewed one) and
//! the service's health answers (whether, and how soon, they named the certificate problem).

use std::time::Duration;

use serde::Serialize;

use super::FaultRecord;
use crate::faults::tls::{expired_label, renewed_label};
use crate::scenario::{Scenario, Step};
use crate::upstream::{LogEntry, RequestLog};

/// Prose written into every result next to the numbers below.
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("invalid_cert_accepted", "HTTP requests that reached the mock over a connection it served with a `cert-expired` fault's expired certificate (the mock's log labels each connection with its certificate), summed over the faults; a client that refuses the certificate fails the handshake and sends none. Not measured when the service made no TLS connection while the expired certificate was served"),
    ("cert_refused_handshakes", "TLS handshakes that failed on the expired certificate, as the mock logged them (the client refused it)"),
    ("health_names_cause", "from a `cert-expired` fault's start to the answer of the first health probe from which every probe until the renewal named the cause: its body contains `certificate` and `expired` in any case; not met when the probes before the first such fault already did"),
    ("upstream_resume", "from a `cert-expired` fault's heal (the renewed certificate installed, as the drill recorded it) to the moment the mock finished the first 2xx answer over the renewed certificate, on the drill's clock"),
];

/// One health answer, reduced to whether it names a certificate problem.
#[derive(Debug, Clone)]
pub struct HealthAnswer {
    pub sent: Duration,
    pub answered: Duration,
    pub names_cause: bool,
    /// The JSON string that holds `expired` (cut to 100 characters), when it names the cause.
    pub excerpt: Option<String>,
}

impl HealthAnswer {
    pub fn from_body(body: &[u8], sent: Duration, answered: Duration) -> HealthAnswer {
        let text = String::from_utf8_lossy(body);
        let lower = text.to_ascii_lowercase();
        let names_cause = lower.contains("certificate") && lower.contains("expired");
        let excerpt = names_cause.then(|| excerpt(&text, lower.find("expired").unwrap_or(0)));
        HealthAnswer {
            sent,
            answered,
            names_cause,
            excerpt,
        }
    }
}

/// The JSON string (or, in other text, the line) around `at`, at most [`EXCERPT`] characters.
fn excerpt(text: &str, at: usize) -> String {
    let stop = |c: char| c == '"' || c == '\n';
    let from = text[..at].rfind(stop).map_or(0, |i| i + 1);
    let to = text[at..].find(stop).map_or(text.len(), |i| at + i);
    let piece = &text[from..to];
    match piece.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}…", &piece[..cut]),
        None => piece.to_string(),
    }
}

const EXCERPT: usize = 100;

/// One `cert-expired` fault as the mock and the health endpoint saw it.
#[derive(Debug, Clone, Serialize)]
pub struct CertFaultSeen {
    /// The fault's name in the timeline (its id, else its kind).
    pub fault: String,
    pub upstream: String,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub injected_at: Option<Duration>,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub healed_at: Option<Duration>,
    /// Requests that reached the mock over the expired certificate.
    pub accepted: u64,
    /// Of those, the ones it answered completely.
    pub accepted_completed: u64,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub first_accepted_at: Option<Duration>,
    /// Handshakes that failed on the expired certificate.
    pub refused_handshakes: u64,
    /// The first failed handshake's error as the mock logged it.
    pub refusal: Option<String>,
    /// When the first 2xx answer over the renewed certificate left the mock.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub resumed_at: Option<Duration>,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub resume: Option<Duration>,
    /// Health answers to probes sent during the fault, and how many named the cause.
    pub health_answers: u64,
    pub health_naming: u64,
    /// Health answers before the first `cert-expired` fault that already named it.
    pub health_naming_before: u64,
    /// The answer from which every answer to the renewal named the cause.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub health_named_at: Option<Duration>,
    /// From the fault's start to `health_named_at`.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub health_names_cause: Option<Duration>,
    /// What that answer said: the JSON string that holds `expired`.
    pub health_said: Option<String>,
}

/// The `cert-expired` faults aimed at mock `name`, measured; `drill_time` places a moment of the
/// mock's clock on the drill's.
pub fn measure(
    name: &str,
    log: &RequestLog,
    drill_time: &dyn Fn(u64) -> Option<Duration>,
    scenario: &Scenario,
    records: &[(usize, FaultRecord)],
    health: &[HealthAnswer],
) -> Vec<CertFaultSeen> {
    let first_cert_fault = records
        .iter()
        .filter(|(i, _)| matches!(scenario.timeline.get(*i), Some(Step::CertExpired(_))))
        .filter_map(|(_, r)| r.injected_at)
        .min();
    let naming_before = first_cert_fault.map_or(0, |f| {
        health
            .iter()
            .filter(|h| h.sent < f && h.names_cause)
            .count() as u64
    });
    let mut out = Vec::new();
    for (i, record) in records {
        let Some(step @ Step::CertExpired(fault)) = scenario.timeline.get(*i) else {
            continue;
        };
        if fault.service != name {
            continue;
        }
        let (expired, renewed) = (expired_label(step.name()), renewed_label(step.name()));
        let served_with = |e: &LogEntry, label: &str| e.tls.as_deref() == Some(label);
        let accepted: Vec<&LogEntry> = log
            .requests()
            .filter(|e| served_with(e, &expired))
            .collect();
        let refused: Vec<&LogEntry> = log
            .handshake_failures()
            .filter(|e| served_with(e, &expired))
            .collect();
        let resumed_at = log
            .requests()
            .filter(|e| {
                served_with(e, &renewed)
                    && e.completed
                    && e.status.is_some_and(|s| (200..300).contains(&s))
            })
            .filter_map(|e| e.answered_ms.and_then(drill_time))
            .min();
        let (injected, healed) = (record.injected_at, record.healed_at);
        let window: Vec<&HealthAnswer> = match injected {
            Some(from) => health
                .iter()
                .filter(|h| h.sent >= from && healed.is_none_or(|to| h.sent < to))
                .collect(),
            None => Vec::new(),
        };
        // The answers after the last one that did not name the cause.
        let held_from = match window.iter().rposition(|h| !h.names_cause) {
            Some(k) => window.get(k + 1).copied(),
            None => window.first().copied(),
        };
        out.push(CertFaultSeen {
            fault: step.name().to_string(),
            upstream: name.to_string(),
            injected_at: injected,
            healed_at: healed,
            accepted: accepted.len() as u64,
            accepted_completed: accepted.iter().filter(|e| e.completed).count() as u64,
            first_accepted_at: accepted.iter().filter_map(|e| drill_time(e.at_ms)).min(),
            refused_handshakes: refused.len() as u64,
            refusal: refused.first().and_then(|e| e.error.clone()),
            resumed_at,
            resume: resumed_at.zip(healed).map(|(r, h)| r.saturating_sub(h)),
            health_answers: window.len() as u64,
            health_naming: window.iter().filter(|h| h.names_cause).count() as u64,
            health_naming_before: naming_before,
            health_named_at: held_from.map(|h| h.answered),
            health_names_cause: held_from
                .zip(injected)
                .map(|(h, i)| h.answered.saturating_sub(i)),
            health_said: held_from.and_then(|h| h.excerpt.clone()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const SCENARIO: &str = r#"
name: t
compression: 1
services:
  supplier:
    mock: {}
    tls: true
service:
  image: x
  port: 8080
  health: /health
  tls_ca_env: CA
workload:
  rate: 10/s
  duration: 10s
  timeout: 1s
  mix: [{name: r, weight: 1, path: /r}]
timeline:
  - kind: cert-expired
    service: supplier
    at: 2s
    for: 3s
"#;

    fn entry(event: &str, at_ms: u64, tls: &str, completed: bool) -> LogEntry {
        serde_json::from_value(serde_json::json!({
            "seq": at_ms, "event": event, "at_ms": at_ms, "at": "", "client": "10.0.0.2:4000",
            "tls": tls, "method": "GET", "path": "/prices", "rule": "*", "behaviour": "respond",
            "status": if event == "request" { Some(200) } else { None }, "retry_after": null,
            "retry_after_until_ms": null, "answered_ms": at_ms + 3,
            "outcome": if completed { "completed" } else { "handshake_failed" },
            "completed": completed, "error": if completed { None } else { Some("received fatal alert: CertificateExpired") }
        }))
        .unwrap()
    }

    fn answer(at: u64, names: bool) -> HealthAnswer {
        let body = if names {
            r#"{"supplier":{"last_tls_error":{"error":"invalid peer certificate: certificate expired"}}}"#
        } else {
            r#"{"supplier":{}}"#
        };
        HealthAnswer::from_body(body.as_bytes(), ms(at), ms(at + 2))
    }

    #[test]
    fn requests_over_the_expired_certificate_refusals_and_the_resumption_are_counted_by_label() {
        let scenario = Scenario::from_str(SCENARIO, "t.yaml").unwrap();
        let log = RequestLog {
            started_at: String::new(),
            now_ms: 0,
            entries: vec![
                entry("request", 1000, "valid", true),
                entry("tls_handshake_failed", 2100, "cert-expired: expired", false),
                entry("request", 2200, "cert-expired: expired", true),
                entry("tls_handshake_failed", 3100, "cert-expired: expired", false),
                entry("request", 6000, "cert-expired: renewed", true),
                entry("request", 6500, "cert-expired: renewed", true),
            ],
        };
        let exact = |ms: u64| Some(Duration::from_millis(ms));
        let health = vec![
            answer(1900, false),
            answer(2000, false),
            answer(2100, true),
            answer(2200, true),
            answer(4900, true),
        ];
        let seen = measure(
            "supplier",
            &log,
            &exact,
            &scenario,
            &[(0, record())],
            &health,
        );
        let [s] = &seen[..] else { panic!("{seen:?}") };
        assert_eq!(
            (s.accepted, s.accepted_completed, s.refused_handshakes),
            (1, 1, 2)
        );
        assert_eq!(s.first_accepted_at, Some(ms(2200)));
        assert_eq!(
            s.refusal.as_deref(),
            Some("received fatal alert: CertificateExpired")
        );
        assert_eq!((s.resumed_at, s.resume), (Some(ms(6003)), Some(ms(1003))));
        assert_eq!(
            (s.health_answers, s.health_naming, s.health_naming_before),
            (4, 3, 0)
        );
        assert_eq!(
            (s.health_named_at, s.health_names_cause),
            (Some(ms(2102)), Some(ms(102)))
        );
        assert!(
            s.health_said
                .as_deref()
                .unwrap()
                .contains("certificate expired"),
            "{:?}",
            s.health_said
        );

        // An answer that stops naming it resets the clock; the last one not naming it: never held.
        let flapping = vec![answer(2100, true), answer(2200, false), answer(2300, true)];
        let s = &measure(
            "supplier",
            &log,
            &exact,
            &scenario,
            &[(0, record())],
            &flapping,
        )[0];
        assert_eq!(s.health_named_at, Some(ms(2302)));
        let stopped = vec![answer(2100, true), answer(2200, false)];
        let s = &measure(
            "supplier",
            &log,
            &exact,
            &scenario,
            &[(0, record())],
            &stopped,
        )[0];
        assert_eq!(s.health_named_at, None);
    }

    fn record() -> FaultRecord {
        FaultRecord {
            name: "cert-expired".into(),
            kind: "cert-expired",
            what: String::new(),
            injected_at: Some(ms(2000)),
            heal_started_at: Some(ms(4990)),
            healed_at: Some(ms(5000)),
        }
    }

    #[test]
    fn health_text_names_the_cause_with_both_words_in_any_case() {
        assert!(HealthAnswer::from_body(b"Certificate EXPIRED", ms(0), ms(1)).names_cause);
        assert!(!HealthAnswer::from_body(b"accept-invalid-certs", ms(0), ms(1)).names_cause);
        assert!(!HealthAnswer::from_body(b"session expired", ms(0), ms(1)).names_cause);
        let body = br#"{"other":"x","error":"tls: certificate expired: verification time 5"}"#;
        let a = HealthAnswer::from_body(body, ms(0), ms(1));
        assert_eq!(
            a.excerpt.as_deref(),
            Some("tls: certificate expired: verification time 5")
        );
        let long = format!("\"certificate expired{}\"", "ü".repeat(200));
        let a = HealthAnswer::from_body(long.as_bytes(), ms(0), ms(1));
        assert_eq!(a.excerpt.unwrap().chars().count(), 101);
    }
}
