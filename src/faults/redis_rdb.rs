//! Redis loses its data and an RDB backup is put back, one of two ways. Runbooks often say "copy
//! the backup to /data/dump.rdb and restart Redis". But a Redis with save points (the default)
//! writes its own dataset to `dump.rdb` when it shuts down, over the copy, and then loads that: the
//! backup is gone and nothing says so. Stopping Redis first, copying, then starting it loads the
//! backup. The fault shows the difference with data: marker keys written and `SAVE`d before the
//! loss, counted after the restore.
//!
//! Inject: write the markers, `SAVE`, copy `dump.rdb` out (the backup, kept in memory), `FLUSHALL`
//! (the loss; the service's cache entries go with it). Heal: the restore, then the count.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::future::BoxFuture;
use serde::Serialize;

use super::Fault;
use crate::environment::{Container, Environment};
use crate::scenario::{RdbRestore, RedisDataLoss};

/// Where Redis keeps its RDB file in the drill image (`--dir /data`, the default file name).
const DATA_DIR: &str = "/data";
const RDB_FILE: &str = "dump.rdb";
/// The marker keys' prefix: nothing else in a drill writes under it.
const MARKER_PREFIX: &str = "firedrill:rdb:";
/// Redis stopping saves its dataset first: a grace long enough for that, on a small dataset.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// What one `redis-data-loss` did and counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RdbRestoreSeen {
    pub service: String,
    /// `stop-copy-start` or `copy-into-running`.
    pub method: String,
    /// Marker keys written before the `SAVE`: what the backup holds.
    pub keys_saved: u64,
    /// Marker keys left right after the loss (0 when the loss happened).
    pub keys_after_loss: u64,
    /// Marker keys Redis has once the backup is restored.
    pub keys_restored: u64,
    /// Bytes of the RDB backup.
    pub backup_bytes: u64,
    /// What was done, in order, with what Redis answered.
    pub steps: Vec<String>,
    /// Why the restore could not be counted, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RdbRestoreSeen {
    /// Saved marker keys missing after the restore.
    pub fn lost(&self) -> u64 {
        self.keys_saved.saturating_sub(self.keys_restored)
    }
}

/// Where the drill collects what every `redis-data-loss` saw.
pub type Sink = Arc<Mutex<Vec<RdbRestoreSeen>>>;

pub struct DataLoss {
    step: RedisDataLoss,
    backup: Mutex<Option<Vec<u8>>>,
    seen: Mutex<RdbRestoreSeen>,
    sink: Sink,
}

impl DataLoss {
    pub fn new(step: &RedisDataLoss, sink: Sink) -> DataLoss {
        let seen = RdbRestoreSeen { service: step.service.clone(), method: step.restore.as_str().to_string(), ..Default::default() };
        DataLoss { step: step.clone(), backup: Mutex::new(None), seen: Mutex::new(seen), sink }
    }

    fn note(&self, step: String) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).steps.push(step);
    }

    fn container(&self, env: &Environment) -> Result<Container> {
        env.container(&self.step.service).ok_or_else(|| anyhow!("no container `{}` in this drill", self.step.service))
    }

    async fn lose(&self, env: &Environment) -> Result<()> {
        let c = self.container(env)?;
        let keys = self.step.keys;
        // One script, so the markers are written in one round trip.
        let script = format!("for i = 1, tonumber(ARGV[1]) do redis.call('SET', '{MARKER_PREFIX}' .. i, i) end return tonumber(ARGV[1])");
        let written = redis_cli(&c, &["EVAL", &script, "0", &keys.to_string()]).await?;
        let saved = redis_cli(&c, &["SAVE"]).await?;
        let counted = count_markers(&c).await?;
        self.note(format!("wrote {written} marker keys; SAVE: {saved}"));
        let rdb = c.copy_out(&format!("{DATA_DIR}/{RDB_FILE}")).await.context("copying the RDB backup out")?;
        self.note(format!("copied {DATA_DIR}/{RDB_FILE} out: {} bytes (the backup)", rdb.len()));
        let flushed = redis_cli(&c, &["FLUSHALL"]).await?;
        let after_loss = count_markers(&c).await?;
        self.note(format!("FLUSHALL: {flushed}; {after_loss} marker keys left"));
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.keys_saved = counted;
            seen.keys_after_loss = after_loss;
            seen.backup_bytes = rdb.len() as u64;
        }
        *self.backup.lock().unwrap_or_else(|e| e.into_inner()) = Some(rdb);
        Ok(())
    }

    async fn restore(&self, env: &Environment) -> Result<()> {
        let c = self.container(env)?;
        let rdb = self.backup.lock().unwrap_or_else(|e| e.into_inner()).clone().ok_or_else(|| anyhow!("no RDB backup was taken"))?;
        match self.step.restore {
            RdbRestore::StopCopyStart => {
                c.stop(STOP_GRACE).await?;
                self.note("stopped Redis".into());
                c.copy_in(DATA_DIR, RDB_FILE, &rdb).await?;
                self.note(format!("copied the backup to {DATA_DIR}/{RDB_FILE}"));
                c.start().await?;
                self.note("started Redis".into());
            }
            RdbRestore::CopyIntoRunning => {
                c.copy_in(DATA_DIR, RDB_FILE, &rdb).await?;
                self.note(format!("copied the backup to {DATA_DIR}/{RDB_FILE} while Redis ran"));
                c.stop(STOP_GRACE).await?;
                c.start().await?;
                self.note("restarted Redis".into());
            }
        }
        let restored = count_markers(&c).await?;
        self.note(format!("{restored} marker keys after the restore"));
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).keys_restored = restored;
        Ok(())
    }

    fn publish(&self, error: Option<String>) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        seen.error = error;
        self.sink.lock().unwrap_or_else(|e| e.into_inner()).push(seen);
    }
}

impl Fault for DataLoss {
    fn describe(&self) -> String {
        let how = match self.step.restore {
            RdbRestore::StopCopyStart => "stop Redis, copy the RDB, start it",
            RdbRestore::CopyIntoRunning => "copy the RDB into the running Redis, restart it",
        };
        format!("{}: {} marker keys saved to RDB, then FLUSHALL; restored by: {how}", self.step.service, self.step.keys)
    }

    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let result = self.lose(env).await;
            if let Err(e) = &result {
                self.publish(Some(format!("{e:#}")));
            }
            result
        })
    }

    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if self.backup.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
                // The loss failed and was published; there is nothing to restore.
                return Ok(());
            }
            let result = self.restore(env).await;
            self.publish(result.as_ref().err().map(|e| format!("{e:#}")));
            result
        })
    }
}

/// One `redis-cli` command in the Redis container; its answer, trimmed.
async fn redis_cli(c: &Container, args: &[&str]) -> Result<String> {
    let mut command = vec!["redis-cli"];
    command.extend_from_slice(args);
    let out = c.exec(&command).await?;
    let answer = out.stdout.trim().to_string();
    // redis-cli exits 0 on most server errors; the answer says so.
    if !out.success() || answer.starts_with("ERR") || answer.starts_with("(error)") {
        bail!("redis-cli {}: {answer} {}", args.first().unwrap_or(&""), out.stderr.trim());
    }
    Ok(answer)
}

async fn count_markers(c: &Container) -> Result<u64> {
    let script = format!("return #redis.call('KEYS', '{MARKER_PREFIX}*')");
    let answer = redis_cli(c, &["EVAL", &script, "0"]).await?;
    answer.parse().with_context(|| format!("counting marker keys: redis-cli answered {answer:?}"))
}
