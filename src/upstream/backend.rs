//! The wiremock server that produces the answers: the front decides the behaviour once per request,
//! hands it over keyed by the log sequence number, and one mounted responder renders it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use wiremock::{matchers, Mock, MockServer, Request, Respond, ResponseTemplate};

use super::behaviour::{ceil_seconds, Behaviour};

/// The header that carries the log sequence number from the front to wiremock.
pub(crate) const SEQ_HEADER: &str = "x-firedrill-seq";

/// Behaviours decided by the front, waiting for wiremock to render them.
#[derive(Debug, Default)]
pub(crate) struct Decisions(Mutex<HashMap<u64, Behaviour>>);

impl Decisions {
    pub(crate) fn put(&self, seq: u64, behaviour: Behaviour) {
        self.0.lock().unwrap().insert(seq, behaviour);
    }

    pub(crate) fn take(&self, seq: u64) -> Option<Behaviour> {
        self.0.lock().unwrap().remove(&seq)
    }
}

pub(crate) struct Backend {
    server: MockServer,
}

impl Backend {
    /// Starts wiremock on a loopback port only the front uses.
    pub(crate) async fn start(decisions: Arc<Decisions>) -> Result<Backend> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding the mock's wiremock backend on loopback")?;
        // The front's log has what wiremock's recording lacks (client address, time, outcome).
        let server = MockServer::builder().listener(listener).disable_request_recording().start().await;
        Mock::given(matchers::any()).respond_with(Answer { decisions }).named("firedrill program").mount(&server).await;
        Ok(Backend { server })
    }

    pub(crate) fn uri(&self) -> String {
        self.server.uri()
    }
}

struct Answer {
    decisions: Arc<Decisions>,
}

impl Respond for Answer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let seq = request.headers.get(SEQ_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let behaviour = seq.and_then(|seq| self.decisions.take(seq)).unwrap_or_else(Behaviour::ok);
        template(&behaviour, SystemTime::now())
    }
}

/// The wiremock answer for `behaviour`, decided at wall time `now`. A reset never gets here.
fn template(behaviour: &Behaviour, now: SystemTime) -> ResponseTemplate {
    let (template, body) = match behaviour {
        Behaviour::Respond { status, body, .. } | Behaviour::Fail { status, body, .. } => (ResponseTemplate::new(*status), body),
        Behaviour::Throttle { retry_after, http_date, body, delay } => {
            let value = if *http_date {
                // The date the client may call again, counted from when the answer leaves.
                httpdate::fmt_http_date(ceil_to_second(now + *delay + *retry_after))
            } else {
                ceil_seconds(*retry_after).to_string()
            };
            (ResponseTemplate::new(429).insert_header("retry-after", value.as_str()), body)
        }
        Behaviour::Reset { .. } => (ResponseTemplate::new(500), &serde_json::Value::Null),
    };
    template.set_body_json(body).set_delay(behaviour.delay())
}

fn ceil_to_second(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(ceil_seconds(d)),
        Err(_) => t,
    }
}
