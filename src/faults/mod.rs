//! Faults: small types behind one interface, as Toxiproxy's toxics are. A fault knows how to
//! inject itself into a running environment, how to heal, and how to say what it does; the
//! drill runner only schedules them.

mod outage;
mod upstream;

use anyhow::Result;
use futures_util::future::BoxFuture;

pub use outage::Outage;
pub use upstream::UpstreamWindow;

use crate::environment::Environment;
use crate::scenario::Step;

/// One fault of a drill's timeline.
pub trait Fault: Send + Sync {
    /// What it does, for the report: "db paused (processes frozen, connections hang)".
    fn describe(&self) -> String;
    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>>;
    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>>;
}

/// The fault a timeline step injects, or an error naming the step kinds this build can run.
pub fn from_step(step: &Step) -> Result<Box<dyn Fault>> {
    match step {
        Step::DbOutage(o) | Step::RedisOutage(o) => Ok(Box::new(Outage::new(&o.service, o.mode))),
        Step::Upstream429(s) => Ok(Box::new(UpstreamWindow::throttle(s))),
        Step::UpstreamError(s) => Ok(Box::new(UpstreamWindow::failure(s))),
        other => anyhow::bail!(
            "`{}` steps cannot be run yet (this build runs db-outage, redis-outage, upstream-429 and upstream-error)",
            other.kind()
        ),
    }
}
