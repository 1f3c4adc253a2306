//! Faults: small types behind one interface, as Toxiproxy's toxics are. A fault knows how to
//! inject itself into a running environment, how to heal, and how to say what it does; the
//! drill runner only schedules them.

pub mod backup;
pub mod disk;
mod outage;
pub mod redis_rdb;
pub mod tls;
mod upstream;

use anyhow::Result;
use futures_util::future::BoxFuture;

pub use outage::Outage;
pub use tls::{CertExpiry, DrillCa};
pub use upstream::UpstreamWindow;

use crate::environment::Environment;
use crate::scenario::Step;

/// One fault of a drill's timeline.
pub trait Fault: Send + Sync {
    /// What it does, for the report: "db paused (processes frozen, connections hang)".
    fn describe(&self) -> String;
    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>>;
    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>>;
    /// What the fault did and saw happen, for the report (read after the load): the database's
    /// log lines about a full disk, say. Most faults have nothing to add.
    fn notes<'a>(&'a self, _env: &'a Environment) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async { Vec::new() })
    }
}

/// The fault a timeline step injects, or an error naming the step kinds this build can run.
pub fn from_step(step: &Step) -> Result<Box<dyn Fault>> {
    match step {
        Step::DbOutage(o) | Step::RedisOutage(o) => Ok(Box::new(Outage::new(&o.service, o.mode))),
        Step::Upstream429(s) => Ok(Box::new(UpstreamWindow::throttle(s))),
        Step::UpstreamError(s) => Ok(Box::new(UpstreamWindow::failure(s))),
        Step::DiskFull(s) => Ok(Box::new(disk::DiskFull::new(&s.service))),
        Step::CertExpired(_) => anyhow::bail!("`cert-expired` needs the drill's certificate authority: build it with `from_step_in`"),
        other => anyhow::bail!(
            "`{}` needs what the drill provides: build it with `from_step_in`",
            other.kind()
        ),
    }
}

/// What some faults need from the drill beyond their step.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The run's CA, when a mock serves TLS: `cert-expired` signs its certificates with it.
    pub ca: Option<std::sync::Arc<DrillCa>>,
    /// The backup schedules: `destroy-database` hands its service's to the `restore`.
    pub backups: Vec<std::sync::Arc<backup::BackupJob>>,
    /// Where `redis-data-loss` faults leave what they counted.
    pub rdb_restores: redis_rdb::Sink,
}

/// [`from_step`], with what the drill provides.
pub fn from_step_in(step: &Step, context: &Context) -> Result<Box<dyn Fault>> {
    match step {
        Step::CertExpired(s) => {
            let ca = context.ca.clone().ok_or_else(|| {
                anyhow::anyhow!("`cert-expired` on `{}`: the drill made no CA; give that mock `tls: true`", s.service)
            })?;
            Ok(Box::new(CertExpiry::new(s, step.name(), ca)?))
        }
        Step::DestroyDatabase(s) => {
            let job = context.backups.iter().find(|j| j.service() == s.service).cloned();
            Ok(Box::new(backup::DestroyDatabase::new(&s.service, job)))
        }
        Step::RedisDataLoss(s) => Ok(Box::new(redis_rdb::DataLoss::new(s, context.rdb_restores.clone()))),
        other => from_step(other),
    }
}
