//! What the service said while a dependency failed, and whether it stayed up to say it.
//!
//! The load generator keeps statuses only, so a sampler sends the scenario's requests in turn
//! (and the health check) every [`SAMPLE_EVERY`] and keeps each answer's status and body: an
//! error answer is *clear* when its JSON carries a message (`error`, at the top or under a
//! dependency's entry) that names the failing dependency. No answer at all is never clear.
//! The service container's state before and after the load tells whether it exited or was
//! restarted: a crash-loop under the fault.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::environment::Container;
use crate::scenario::{DependencyKind, Scenario};
use crate::workload::{self, LoadPlan};

/// How often the sampler sends one request.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Bodies are kept up to this many bytes.
const BODY_LIMIT: usize = 600;
/// Sampled writes use ids this far below the load's, so they never collide with ledgered ones.
const ID_OFFSET: u64 = 1_000_000_000;

pub const DEFINITIONS: &[(&str, &str)] = &[
    ("unclear_errors", "answers sampled during the fault (one of the scenario's requests or the health check every 100 ms) that were a 5xx whose JSON carries no message (`error`, top-level or under a dependency) naming the failing dependency, or no HTTP answer at all"),
    ("service_crashes", "times the service under test's container exited or was restarted between the start of the load and the end of the ledger read-back, from the engine's container state"),
];

/// One sampled answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub at: Duration,
    /// `POST /orders`, `GET /health`.
    pub request: String,
    /// `None`: no HTTP answer (refused, reset, timed out).
    pub status: Option<u16>,
    pub body: String,
}

/// What to sample: (method, path, body) with `{id}` placeholders.
#[derive(Debug, Clone)]
pub struct Sampler {
    base_url: String,
    requests: Vec<(reqwest::Method, String, Option<String>, bool)>,
    id_space: u64,
    id_base: u64,
    timeout: Duration,
}

impl Sampler {
    /// The scenario's requests in mix order, then the health check.
    pub fn new(scenario: &Scenario, plan: &LoadPlan, ledger_base: u64) -> Sampler {
        let mut requests: Vec<_> = plan.mix.iter().map(|r| (r.method.clone(), r.path.clone(), r.body.clone(), r.ledger)).collect();
        if let Some(h) = &scenario.service.health {
            requests.push((reqwest::Method::GET, h.clone(), None, false));
        }
        Sampler {
            base_url: plan.base_url.trim_end_matches('/').to_string(),
            requests,
            id_space: plan.id_space.max(1),
            id_base: ledger_base.saturating_sub(ID_OFFSET),
            timeout: plan.timeout,
        }
    }

    /// Sends one request every [`SAMPLE_EVERY`] from `start` to `end`, each waited for at most the
    /// workload's timeout (they overlap when answers are slow).
    pub async fn run(self, start: Instant, end: Instant) -> Vec<Answer> {
        let client = workload::client(self.timeout);
        let mut tasks = Vec::new();
        let mut next = start;
        let mut n: u64 = 0;
        while next < end && !self.requests.is_empty() {
            tokio::time::sleep_until(next).await;
            let (method, path, body, fresh) = self.requests[(n % self.requests.len() as u64) as usize].clone();
            let id = if fresh || body.is_some() { self.id_base + n } else { n.wrapping_mul(2_654_435_761) % self.id_space };
            let path = path.replace("{id}", &id.to_string());
            let mut builder = client.request(method.clone(), format!("{}{path}", self.base_url));
            if let Some(b) = body {
                builder = builder.header("content-type", "application/json").body(b.replace("{id}", &id.to_string()));
            }
            let at = next.saturating_duration_since(start);
            let request = format!("{method} {path}");
            tasks.push(tokio::spawn(async move {
                let (status, body) = match builder.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        (Some(status), r.bytes().await.map(|b| clip(&b)).unwrap_or_else(|e| format!("(body unreadable: {e})")))
                    }
                    Err(e) => (None, format!("no answer: {e}")),
                };
                Answer { at, request, status, body }
            }));
            n += 1;
            next += SAMPLE_EVERY;
        }
        let mut answers = Vec::new();
        for t in tasks {
            if let Ok(a) = t.await {
                answers.push(a);
            }
        }
        answers
    }
}

fn clip(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(BODY_LIMIT) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.into_owned(),
    }
}

/// The words that name a dependency in an error message: its DNS name, and what it is.
pub fn dependency_words(scenario: &Scenario) -> Vec<String> {
    let mut words = Vec::new();
    for fault in scenario.faults() {
        let Some(name) = fault.service() else { continue };
        words.push(name.to_ascii_lowercase());
        let kind = scenario.services.get(name).map(|d| d.kind());
        let what: &[&str] = match kind {
            Some(DependencyKind::Postgres) => &["postgres", "database"],
            Some(DependencyKind::Redis) => &["redis", "cache"],
            Some(DependencyKind::Mock) => &["upstream", "supplier"],
            _ => &[],
        };
        words.extend(what.iter().map(|w| w.to_string()));
    }
    words.sort();
    words.dedup();
    words
}

/// The messages an answer's JSON carries: a top-level `error` string, and the `error` of each
/// top-level object (a health check's dependencies).
fn messages(body: &str) -> Vec<String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(serde_json::Value::String(s)) = map.get("error") {
        out.push(s.clone());
    }
    for value in map.values() {
        if let Some(serde_json::Value::String(s)) = value.get("error") {
            out.push(s.clone());
        }
    }
    out.retain(|m| !m.trim().is_empty());
    out
}

fn names_one_of(message: &str, words: &[String]) -> bool {
    let lower = message.to_ascii_lowercase();
    let tokens: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_').collect();
    words.iter().any(|w| tokens.contains(&w.as_str()) || (w.len() > 3 && lower.contains(w.as_str())))
}

/// The error answers sampled in a window, judged for clarity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AnswersSeen {
    /// The window judged: from the first fault to the recovery point (or the last heal).
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub from: Duration,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub to: Duration,
    /// Answers sampled in the window, and how many were errors (5xx or none).
    pub sampled: u64,
    pub errors: u64,
    pub unclear: u64,
    /// Error answers by status (`503`, `none`).
    pub statuses: BTreeMap<String, u64>,
    /// The words a clear message had to contain one of.
    pub names: Vec<String>,
    /// Distinct messages of the clear error answers (up to 8), with the request that got each.
    pub messages: Vec<String>,
    /// The first unclear answers (up to 5).
    pub unclear_examples: Vec<Answer>,
}

pub fn judge(answers: &[Answer], words: &[String], from: Duration, to: Duration) -> AnswersSeen {
    let mut seen = AnswersSeen { from, to, names: words.to_vec(), ..Default::default() };
    for a in answers.iter().filter(|a| a.at >= from && a.at < to) {
        seen.sampled += 1;
        let error = a.status.is_none_or(|s| s >= 500);
        if !error {
            continue;
        }
        seen.errors += 1;
        *seen.statuses.entry(a.status.map_or("none".to_string(), |s| s.to_string())).or_default() += 1;
        let clear: Vec<String> = if a.status.is_some() { messages(&a.body).into_iter().filter(|m| names_one_of(m, words)).collect() } else { Vec::new() };
        if clear.is_empty() {
            seen.unclear += 1;
            if seen.unclear_examples.len() < 5 {
                seen.unclear_examples.push(a.clone());
            }
        } else {
            for m in clear {
                // The same failure differs only in its ids and addresses: keep the first of a shape.
                let line = format!("{}: {m}", a.request.split(' ').next().unwrap_or_default());
                let shape = |s: &str| s.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
                if seen.messages.len() < 8 && !seen.messages.iter().any(|x| shape(x) == shape(&line)) {
                    seen.messages.push(line);
                }
            }
        }
    }
    seen
}

/// The service container's state at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub running: bool,
    pub restart_count: i64,
    pub started_at: String,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
}

pub async fn service_state(service: &Container) -> anyhow::Result<ServiceState> {
    let info = service.docker.inspect_container(service.id(), None).await?;
    let state = info.state.unwrap_or_default();
    Ok(ServiceState {
        running: state.running.unwrap_or(false),
        restart_count: info.restart_count.unwrap_or(0),
        started_at: state.started_at.unwrap_or_default(),
        exit_code: state.exit_code,
        oom_killed: state.oom_killed.unwrap_or(false),
    })
}

/// Whether the service under test stayed up.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSeen {
    /// Exits and restarts between the two looks.
    pub crashes: u64,
    pub running_at_end: bool,
    pub restarts: u64,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
}

pub fn service_seen(before: &ServiceState, after: &ServiceState) -> ServiceSeen {
    let restarts = (after.restart_count - before.restart_count).max(0) as u64;
    // Started again without the engine counting it (a manual start) is a restart too.
    let unseen_restart = u64::from(restarts == 0 && after.started_at != before.started_at);
    let crashes = restarts + unseen_restart + u64::from(!after.running);
    ServiceSeen {
        crashes,
        running_at_end: after.running,
        restarts: restarts + unseen_restart,
        exit_code: (!after.running).then_some(after.exit_code).flatten(),
        oom_killed: after.oom_killed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(at_ms: u64, status: Option<u16>, body: &str) -> Answer {
        Answer { at: Duration::from_millis(at_ms), request: "POST /orders".into(), status, body: body.into() }
    }

    #[test]
    fn clear_answers_name_the_dependency() {
        let words = vec!["db".to_string(), "postgres".to_string(), "database".to_string()];
        let answers = vec![
            answer(100, Some(503), r#"{"error": "Postgres cannot serve now: could not extend file \"base/16384/16390\": No space left on device (SQLSTATE 53100)"}"#),
            answer(200, Some(503), r#"{"status": "degraded", "database": {"state": "down", "error": "cannot connect to Postgres: db: Name or service not known"}, "cache": {"state": "up", "error": null}}"#),
            answer(300, Some(500), "Internal Server Error"),
            answer(400, Some(503), r#"{"error": ""}"#),
            answer(500, None, "no answer: connection refused"),
            answer(600, Some(201), r#"{"client_id": "1"}"#),
            answer(700, Some(503), r#"{"error": "something broke"}"#),
            answer(9000, Some(500), "outside the window"),
        ];
        let seen = judge(&answers, &words, Duration::ZERO, Duration::from_secs(1));
        assert_eq!((seen.sampled, seen.errors, seen.unclear), (7, 6, 4));
        assert_eq!(seen.statuses.get("503"), Some(&4));
        assert_eq!(seen.statuses.get("none"), Some(&1));
        assert_eq!(seen.messages.len(), 2, "{:?}", seen.messages);
        assert!(names_one_of("the db is down", &words));
        assert!(!names_one_of("dbx failed", &["db".to_string()]));
    }

    #[test]
    fn an_exit_or_a_restart_is_a_crash() {
        let up = ServiceState { running: true, restart_count: 0, started_at: "t0".into(), exit_code: Some(0), oom_killed: false };
        assert_eq!(service_seen(&up, &up).crashes, 0);
        let exited = ServiceState { running: false, exit_code: Some(101), ..up.clone() };
        let seen = service_seen(&up, &exited);
        assert_eq!((seen.crashes, seen.exit_code), (1, Some(101)));
        let restarted = ServiceState { restart_count: 3, started_at: "t1".into(), ..up.clone() };
        assert_eq!(service_seen(&up, &restarted).crashes, 3);
        let started_by_hand = ServiceState { started_at: "t1".into(), ..up.clone() };
        assert_eq!(service_seen(&up, &started_by_hand).crashes, 1);
    }
}
