//! [`UpstreamClient`]: the admin API from Rust, so a drill can program a mock (in-process or in a
//! container) and read its log.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::behaviour::{Behaviour, ScheduleView, SetBehaviour, Step};
use super::log::RequestLog;
use super::tls::{TlsMaterial, TlsView};

/// Talks to one mock's admin API, e.g. `http://127.0.0.1:9091`.
#[derive(Debug, Clone)]
pub struct UpstreamClient {
    base: String,
    http: reqwest::Client,
}

#[derive(Debug, Deserialize)]
struct Rules {
    rules: Vec<ScheduleView>,
}

impl UpstreamClient {
    pub fn new(admin_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a plain HTTP client builds");
        UpstreamClient { base: admin_url.into().trim_end_matches('/').to_string(), http }
    }

    pub fn admin_url(&self) -> &str {
        &self.base
    }

    /// Polls `GET /health` until it answers or `within` has passed.
    pub async fn wait_ready(&self, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            let last = match self.http.get(format!("{}/health", self.base)).timeout(Duration::from_secs(1)).send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => format!("status {}", r.status()),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                bail!(
                    "the mock's admin API at {} did not answer within {:?} ({last}); is `firedrill mock` running with that --admin address?",
                    self.base,
                    within
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Replaces the rule for `route` (`None`: every route) with `steps`, starting now.
    pub async fn set_steps(&self, route: Option<&str>, steps: Vec<Step>) -> Result<ScheduleView> {
        let body = SetBehaviour { route: route.map(str::to_string), steps: Some(steps), ..Default::default() };
        self.send(reqwest::Method::PUT, "/behaviour", Some(&body)).await
    }

    /// `behaviour` on `route` from now on.
    pub async fn set_behaviour(&self, route: Option<&str>, behaviour: Behaviour) -> Result<ScheduleView> {
        self.set_steps(route, vec![Step::forever(behaviour)]).await
    }

    /// `behaviour` on `route` for `duration`, then whatever applied before (another rule, or 200).
    pub async fn window(&self, route: Option<&str>, behaviour: Behaviour, duration: Duration) -> Result<ScheduleView> {
        self.set_steps(route, vec![Step::lasting(behaviour, duration)]).await
    }

    pub async fn rules(&self) -> Result<Vec<ScheduleView>> {
        Ok(self.send::<Rules, ()>(reqwest::Method::GET, "/behaviour", None).await?.rules)
    }

    /// Removes every rule: the mock answers 200 `{"ok": true}` again.
    pub async fn clear_behaviours(&self) -> Result<()> {
        self.send::<serde_json::Value, ()>(reqwest::Method::DELETE, "/behaviour", None).await.map(drop)
    }

    /// Clears the rules and the log; TLS stays as it is.
    pub async fn reset(&self) -> Result<()> {
        self.send::<serde_json::Value, ()>(reqwest::Method::POST, "/reset", None).await.map(drop)
    }

    pub async fn log(&self) -> Result<RequestLog> {
        self.log_since(0).await
    }

    /// Entries with `seq` above `since` (entries still pending may change after this read).
    pub async fn log_since(&self, since: u64) -> Result<RequestLog> {
        self.send::<_, ()>(reqwest::Method::GET, &format!("/log?since={since}"), None).await
    }

    /// Installs a certificate chain + key; connections accepted from now on use it.
    pub async fn set_tls(&self, material: &TlsMaterial) -> Result<TlsView> {
        self.send(reqwest::Method::PUT, "/tls", Some(material)).await
    }

    pub async fn disable_tls(&self) -> Result<TlsView> {
        self.send::<_, ()>(reqwest::Method::DELETE, "/tls", None).await
    }

    pub async fn tls(&self) -> Result<TlsView> {
        self.send::<_, ()>(reqwest::Method::GET, "/tls", None).await
    }

    async fn send<T: DeserializeOwned, B: serde::Serialize>(&self, method: reqwest::Method, path: &str, body: Option<&B>) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}: no answer from the mock's admin API; is the mock running?"))?;
        let status = response.status();
        let text = response.text().await.with_context(|| format!("{method} {url}: reading the answer"))?;
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or(text);
            return Err(anyhow!("{method} {url}: {status}: {message}"));
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {url}: unexpected answer: {text}"))
    }
}
