//! A dependency goes away in one of three ways: stopped (connections refused), paused (the
//! processes freeze: connections open and then hang), or cut from the drill network (packets
//! go nowhere).

use std::time::Duration;

use anyhow::{anyhow, Result};
use futures_util::future::BoxFuture;

use super::Fault;
use crate::environment::Environment;
use crate::scenario::OutageMode;

pub struct Outage {
    service: String,
    mode: OutageMode,
}

impl Outage {
    pub fn new(service: &str, mode: OutageMode) -> Outage {
        Outage { service: service.to_string(), mode }
    }
}

impl Fault for Outage {
    fn describe(&self) -> String {
        let how = match self.mode {
            OutageMode::Stopped => "stopped (connections refused)",
            OutageMode::Paused => "paused (processes frozen: connections open, then hang)",
            OutageMode::Disconnected => "disconnected from the drill network (packets dropped)",
        };
        format!("{} {how}", self.service)
    }

    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let c = env.container(&self.service).ok_or_else(|| anyhow!("no container `{}` in this drill", self.service))?;
            match self.mode {
                // A short grace: an outage is abrupt, not a planned shutdown.
                OutageMode::Stopped => c.stop(Duration::from_secs(1)).await,
                OutageMode::Paused => c.pause().await,
                OutageMode::Disconnected => c.disconnect().await,
            }
        })
    }

    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let c = env.container(&self.service).ok_or_else(|| anyhow!("no container `{}` in this drill", self.service))?;
            match self.mode {
                OutageMode::Stopped => c.start().await.map(|_| ()),
                OutageMode::Paused => c.unpause().await,
                OutageMode::Disconnected => c.connect().await,
            }
        })
    }
}
