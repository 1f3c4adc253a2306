//! Open-model load: requests are scheduled at a fixed arrival rate, whatever the service does,
//! and each latency is measured from the request's *scheduled* send time (wrk2's correction for
//! coordinated omission), so a stalled service shows up as latency instead of as fewer requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

/// One kind of request in the mix.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    pub name: String,
    pub method: reqwest::Method,
    /// Path with an optional `{id}` placeholder, e.g. `/items/{id}`.
    pub path: String,
    /// Body with optional `{id}`; sent as JSON.
    pub body: Option<String>,
    pub weight: u32,
    /// A write whose id is recorded so it can be read back after recovery.
    pub ledger: bool,
}

#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub base_url: String,
    /// Requests per second.
    pub rate: f64,
    pub duration: Duration,
    pub mix: Vec<RequestTemplate>,
    pub timeout: Duration,
    /// Keys `{id}` in reads are drawn from `0..id_space`.
    pub id_space: u64,
}

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// An HTTP answer (any status).
    Status(u16),
    /// No answer within the timeout: for a write, indeterminate (it may have committed).
    Timeout,
    /// Refused, reset, DNS failure: the request never reached the service, or died on the way.
    Connect,
}

impl Outcome {
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Status(s) if (200..400).contains(&s))
    }
}

/// One request as measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sample {
    /// Scheduled send time, from the start of the load.
    #[serde(serialize_with = "serialize_micros")]
    pub scheduled: Duration,
    /// From the scheduled send time to the answer (or to the timeout).
    #[serde(serialize_with = "serialize_micros")]
    pub latency: Duration,
    /// How late the request actually left (generator lag); large values mean the load generator,
    /// not the service, was the bottleneck.
    #[serde(serialize_with = "serialize_micros")]
    pub send_lag: Duration,
    pub request: u16,
    pub outcome: Outcome,
    /// The client-supplied id of a ledgered write.
    pub ledger_id: Option<u64>,
}

fn serialize_micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

/// Progress a caller can watch while the load runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub sent: AtomicU64,
    pub done: AtomicU64,
    pub errors: AtomicU64,
}

/// Everything the load produced.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub samples: Vec<Sample>,
    pub names: Vec<String>,
    /// Wall time from the first scheduled send to the last answer.
    pub elapsed: Duration,
}

impl LoadResult {
    /// Requests answered per second of wall time.
    pub fn achieved_rate(&self) -> f64 {
        self.samples.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Picks request templates by weight, deterministically (a repeating sequence), so two runs of a
/// scenario send the same mix in the same order.
fn weighted_sequence(mix: &[RequestTemplate]) -> Vec<u16> {
    let total: u32 = mix.iter().map(|r| r.weight).sum();
    if total == 0 {
        return vec![0];
    }
    // Smooth weighted round robin: spreads each template evenly through the cycle.
    let mut current: Vec<i64> = vec![0; mix.len()];
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (c, r) in current.iter_mut().zip(mix) {
            *c += i64::from(r.weight);
        }
        let (best, _) = current.iter().enumerate().max_by_key(|(i, c)| (**c, -(*i as i64))).unwrap();
        current[best] -= i64::from(total);
        out.push(best as u16);
    }
    out
}

/// A small deterministic generator for read ids (no global RNG: runs are reproducible).
fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The HTTP client firedrill loads services with: keep-alive pool, no proxy, plain HTTP/1.1.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(2)))
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .build()
        .expect("reqwest client")
}

/// Runs the plan to the end and returns every sample. `ledger_base` makes ledger ids unique
/// across runs against the same database.
pub async fn run(plan: &LoadPlan, ledger_base: u64, progress: Arc<Progress>) -> LoadResult {
    run_from(plan, ledger_base, progress, Instant::now()).await
}

/// [`run`] with the load's time origin given, so that faults and health probes scheduled by the
/// caller share the samples' clock.
pub async fn run_from(plan: &LoadPlan, ledger_base: u64, progress: Arc<Progress>, start: Instant) -> LoadResult {
    let client = client(plan.timeout);
    let sequence = weighted_sequence(&plan.mix);
    let total = (plan.rate * plan.duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / plan.rate.max(1e-9));
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let mix = Arc::new(plan.mix.clone());
    let base = Arc::new(plan.base_url.trim_end_matches('/').to_string());

    let collector = tokio::spawn(async move {
        let mut samples = Vec::with_capacity(total as usize);
        while let Some(s) = rx.recv().await {
            samples.push(s);
        }
        samples
    });

    for i in 0..total {
        let scheduled = interval.mul_f64(i as f64);
        tokio::time::sleep_until(start + scheduled).await;
        let send_lag = start.elapsed().saturating_sub(scheduled);
        let request = sequence[(i % sequence.len() as u64) as usize];
        let template = &mix[request as usize];
        let (id, ledger_id) = if template.ledger {
            (ledger_base + i, Some(ledger_base + i))
        } else {
            (mix64(i) % plan.id_space.max(1), None)
        };
        let url = format!("{}{}", base, template.path.replace("{id}", &id.to_string()));
        let mut builder = client.request(template.method.clone(), url);
        if let Some(body) = &template.body {
            builder = builder.header("content-type", "application/json").body(body.replace("{id}", &id.to_string()));
        }
        let tx = tx.clone();
        let progress = progress.clone();
        progress.sent.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let outcome = match builder.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    // Drain the body so the connection goes back to the pool.
                    let _ = response.bytes().await;
                    Outcome::Status(status)
                }
                Err(e) if e.is_timeout() => Outcome::Timeout,
                Err(_) => Outcome::Connect,
            };
            let latency = start.elapsed().saturating_sub(scheduled);
            progress.done.fetch_add(1, Ordering::Relaxed);
            if !outcome.is_success() {
                progress.errors.fetch_add(1, Ordering::Relaxed);
            }
            let _ = tx.send(Sample { scheduled, latency, send_lag, request, outcome, ledger_id });
        });
    }
    drop(tx);
    let mut samples = collector.await.unwrap_or_default();
    let elapsed = start.elapsed();
    samples.sort_by_key(|s| s.scheduled);
    LoadResult { samples, names: plan.mix.iter().map(|r| r.name.clone()).collect(), elapsed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str, weight: u32) -> RequestTemplate {
        RequestTemplate { name: name.into(), method: reqwest::Method::GET, path: "/".into(), body: None, weight, ledger: false }
    }

    #[test]
    fn weights_are_spread_evenly() {
        let seq = weighted_sequence(&[template("read", 4), template("write", 1)]);
        assert_eq!(seq.len(), 5);
        assert_eq!(seq.iter().filter(|r| **r == 1).count(), 1);
        let seq = weighted_sequence(&[template("a", 1), template("b", 1)]);
        assert_eq!(seq, vec![0, 1]);
    }
}
