//! A mock upstream misbehaves for a window — 429 with `Retry-After`, or a server error — set as a
//! timed window on the mock's own clock, so the switch back to normal answers is exact.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use futures_util::future::BoxFuture;

use super::Fault;
use crate::drill::MOCK_ADMIN_PORT;
use crate::environment::Environment;
use crate::scenario::{RetryAfterFormat, Upstream429, UpstreamError};
use crate::upstream::{Behaviour, UpstreamClient};

/// How long a heal waits for the mock to report its window over: the window and the drill's
/// timer start a few milliseconds apart, so anything longer means the mock is not keeping time.
const WINDOW_END_GRACE: Duration = Duration::from_secs(2);

pub struct UpstreamWindow {
    service: String,
    behaviour: Behaviour,
    /// `None`: until a `heal` step.
    duration: Option<Duration>,
    what: String,
}

impl UpstreamWindow {
    pub fn throttle(step: &Upstream429) -> UpstreamWindow {
        let (behaviour, format) = match step.retry_after_format {
            RetryAfterFormat::Seconds => (Behaviour::throttle(step.retry_after), "seconds"),
            RetryAfterFormat::HttpDate => (Behaviour::throttle_until_date(step.retry_after), "an HTTP date"),
        };
        let what = format!(
            "{} answers 429 with Retry-After {} (as {format})",
            step.service,
            crate::units::format_duration(step.retry_after)
        );
        UpstreamWindow { service: step.service.clone(), behaviour, duration: step.duration, what }
    }

    pub fn failure(step: &UpstreamError) -> UpstreamWindow {
        UpstreamWindow {
            service: step.service.clone(),
            behaviour: Behaviour::fail(step.status),
            duration: step.duration,
            what: format!("{} answers {} to every call", step.service, step.status),
        }
    }

    fn client(&self, env: &Environment) -> Result<UpstreamClient> {
        let mock = env.container(&self.service).ok_or_else(|| anyhow!("no container `{}` in this drill", self.service))?;
        Ok(UpstreamClient::new(mock.http_url(MOCK_ADMIN_PORT, "")?))
    }
}

impl Fault for UpstreamWindow {
    fn describe(&self) -> String {
        self.what.clone()
    }

    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let client = self.client(env)?;
            match self.duration {
                Some(d) => client.window(None, self.behaviour.clone(), d).await?,
                None => client.set_behaviour(None, self.behaviour.clone()).await?,
            };
            Ok(())
        })
    }

    /// A timed window ends by itself on the mock's clock: the heal waits until the mock says so,
    /// so that the recorded heal is never before the last misbehaving answer.
    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let client = self.client(env)?;
            if self.duration.is_none() {
                return client.clear_behaviours().await;
            }
            let deadline = Instant::now() + WINDOW_END_GRACE;
            loop {
                let rules = client.rules().await?;
                if rules.iter().all(|r| r.active_step.is_none()) {
                    return Ok(());
                }
                if Instant::now() >= deadline {
                    bail!(
                        "mock `{}` still applies its window {} after it should have ended; its rules: {rules:?}",
                        self.service,
                        crate::units::format_duration(WINDOW_END_GRACE)
                    );
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    }
}
