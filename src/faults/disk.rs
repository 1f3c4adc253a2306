//! The database's disk fills up: a ballast file takes every free byte of its size-limited data
//! volume (ENOSPC), as another program's logs would; healing deletes it — the runbooks' "clean old
//! logs" step — and starts Postgres again if the full disk brought it down.
//!
//! Storage ([`limited_storage`]): Postgres keeps its data on a tmpfs volume of
//! [`STORAGE_BYTES`], which survives Postgres' own exit and restart because a second container,
//! `<service>-disk`, keeps it mounted (Docker empties a tmpfs volume when its last user stops).
//! The ballast is written from that container, outside PGDATA.
//!
//! On a full disk Postgres keeps running at first: a write that needs a new data page fails
//! (SQLSTATE 53100, "could not extend file"), the others commit. It goes down when WAL needs its
//! next 16 MB segment: the process writing it PANICs, crash recovery cannot write its checkpoint
//! either, and the server exits. In production that moment comes whenever the current segment
//! fills; the drill brings it forward: right after the ballast the fault switches to a new WAL
//! segment (`pg_switch_wal()`), just after a WAL write (see [`SWITCH_WAL`]).
//!
//! Why at once: once a table's last page is full, every insert needs a new page and fails, so
//! nothing commits any more — nothing to lose, for a service that acknowledges early or not.
//! A switch while inserts still find room puts commits on the missing segment, which is what
//! tells a service that acknowledges before the WAL is written (`synchronous_commit = off`) from
//! one that waits for it.

use std::sync::Mutex;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::future::BoxFuture;
use tokio::task::JoinHandle;

use super::Fault;
use crate::environment::{Container, ContainerSpec, Environment};
use crate::scenario::{Scenario, Step};

/// The size of a disk-full drill's Postgres data volume: the bundled cluster takes about 46 MiB
/// (one 16 MiB WAL segment among it), so the ballast is about 80 MiB.
pub const STORAGE_BYTES: u64 = 128 * 1024 * 1024;
/// Where the volume is mounted in the Postgres container (the image's data volume, replaced).
pub const MOUNT: &str = "/var/lib/postgresql/data";
/// PGDATA: a directory on the volume, as the official image recommends for mount points, so the
/// ballast can lie beside it.
pub const PGDATA: &str = "/var/lib/postgresql/data/pgdata";
/// Where the holder container sees the same volume.
const HOLDER_MOUNT: &str = "/disk";
/// The ballast, on the volume outside PGDATA: "old logs".
const BALLAST: &str = "/disk/ballast.log";

/// Waits (at most a second) until the WAL write position moves — the WAL writer, or a
/// committing backend, has just written — then switches to a new segment. Every commit after the
/// switch must go to a segment file that cannot be created. A synchronous commit is refused
/// (its own flush fails); an asynchronous one is acknowledged at once and lost when the next
/// write attempt PANICs. Switching right after a write puts a whole WAL-writer cycle
/// (`wal_writer_delay`, 200 ms) between the switch and that attempt, where a random moment would
/// leave anything from nothing to a cycle: the drill tests the defect, not its luck.
const SWITCH_WAL: &str = "DO $$
DECLARE
    written pg_lsn := pg_current_wal_lsn();
    deadline timestamptz := clock_timestamp() + interval '1 second';
BEGIN
    WHILE pg_current_wal_lsn() = written AND clock_timestamp() < deadline LOOP
        PERFORM pg_sleep(0.0002);
    END LOOP;
END $$";

/// The holder container of `service`'s volume.
pub fn holder_name(service: &str) -> String {
    format!("{service}-disk")
}

/// The Postgres services a `disk-full` step of `scenario` acts on.
pub fn targets(scenario: &Scenario) -> Vec<&str> {
    let mut out: Vec<&str> = scenario
        .timeline
        .iter()
        .filter_map(|s| match s {
            Step::DiskFull(f) => Some(f.service.as_str()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Gives the Postgres container `spec` (not started yet) its size-limited data volume: creates
/// the volume, starts the holder, and returns the spec with the volume at [`MOUNT`] and PGDATA.
pub async fn limited_storage(env: &Environment, spec: ContainerSpec) -> Result<ContainerSpec> {
    let volume = env.tmpfs_volume(&format!("{}-data", spec.name), STORAGE_BYTES).await?;
    env.hold_volume(&holder_name(&spec.name), &volume, HOLDER_MOUNT).await?;
    Ok(spec.bind(volume.mount_at(MOUNT)).env("PGDATA", PGDATA))
}

pub struct DiskFull {
    service: String,
    /// The WAL switch, running in the background after the ballast.
    switch: Mutex<Option<JoinHandle<Result<String>>>>,
    /// What the fault did and saw, for the report.
    notes: Mutex<Vec<String>>,
    /// Postgres' log lines before the ballast (later ones are the fault's).
    log_before: Mutex<usize>,
}

impl DiskFull {
    pub fn new(service: &str) -> DiskFull {
        DiskFull { service: service.to_string(), switch: Mutex::new(None), notes: Mutex::new(Vec::new()), log_before: Mutex::new(0) }
    }

    fn containers(&self, env: &Environment) -> Result<(Container, Container)> {
        let db = env.container(&self.service).ok_or_else(|| anyhow!("no container `{}` in this drill", self.service))?;
        let holder = env.container(&holder_name(&self.service)).ok_or_else(|| {
            anyhow!("`{}` has no size-limited storage (no `{}` container): the drill sets it up for services a disk-full step names", self.service, holder_name(&self.service))
        })?;
        Ok((db, holder))
    }

    fn note(&self, line: String) {
        self.notes.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
}

/// `df` of the volume as the holder sees it: (size, available) in KiB.
async fn usage(holder: &Container) -> Result<(u64, u64)> {
    let out = holder.exec(&["df", "-k", "--output=size,avail", HOLDER_MOUNT]).await?;
    let line = out.stdout.lines().nth(1).unwrap_or_default().to_string();
    let mut fields = line.split_whitespace().map(str::parse::<u64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(size)), Some(Ok(avail))) => Ok((size, avail)),
        _ => bail!("cannot read the volume's usage from `df`: {:?} {:?}", out.stdout, out.stderr),
    }
}

/// The WAL switch: see [`SWITCH_WAL`].
async fn switch_wal(db: Container) -> Result<String> {
    let started = std::time::Instant::now();
    let script = r#"psql -X -q -At -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "${POSTGRES_DB:-$POSTGRES_USER}" -c "$1" -c 'SELECT pg_switch_wal()'"#;
    let out = db.exec(&["sh", "-c", script, "switch-wal", SWITCH_WAL]).await?;
    if !out.success() {
        bail!("the WAL switch failed: {}", out.stderr.trim());
    }
    Ok(format!(
        "switched to a new WAL segment {} after the ballast, at WAL position {}",
        crate::verdict::show_duration(started.elapsed()),
        out.stdout.trim()
    ))
}

impl Fault for DiskFull {
    fn describe(&self) -> String {
        format!(
            "{} disk full: a ballast fills its {} MiB data volume (ENOSPC), then WAL needs a new segment; healed by deleting the ballast and starting {} again if it went down",
            self.service,
            STORAGE_BYTES / (1024 * 1024),
            self.service
        )
    }

    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (db, holder) = self.containers(env)?;
            *self.log_before.lock().unwrap_or_else(|e| e.into_inner()) = db.logs().await?.lines().count();
            // dd stops at ENOSPC (and says so); 1 MiB blocks, then 4 KiB ones for the remainder.
            let fill = format!("dd if=/dev/zero of={BALLAST} bs=1M 2>/dev/null; dd if=/dev/zero of={BALLAST} bs=4k oflag=append conv=notrunc 2>/dev/null; true");
            holder.exec(&["sh", "-c", &fill]).await.context("writing the ballast")?;
            let (size, avail) = usage(&holder).await?;
            let ballast = holder.exec(&["stat", "-c", "%s", BALLAST]).await?;
            let ballast: u64 = ballast.stdout.trim().parse().unwrap_or(0);
            if avail > 64 {
                bail!("the ballast left {avail} KiB free on {}'s volume: the disk is not full", self.service);
            }
            self.note(format!("ballast {} MiB: {avail} KiB of {size} KiB left", ballast / (1024 * 1024)));
            *self.switch.lock().unwrap_or_else(|e| e.into_inner()) = Some(tokio::spawn(switch_wal(db)));
            Ok(())
        })
    }

    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (db, holder) = self.containers(env)?;
            let switch = self.switch.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(task) = switch {
                if task.is_finished() {
                    match task.await {
                        Ok(Ok(line)) => self.note(line),
                        Ok(Err(e)) => self.note(format!("{e:#}")),
                        Err(e) => self.note(format!("the WAL switch task failed: {e}")),
                    }
                } else {
                    task.abort();
                    self.note("healed before the WAL switch".to_string());
                }
            }
            // The runbook: clean old logs...
            let removed = holder.exec(&["rm", "-f", BALLAST]).await.context("deleting the ballast")?;
            if !removed.success() {
                bail!("deleting the ballast failed: {}", removed.stderr.trim());
            }
            // ...then restart the database if it went down. Not waited for: the RTO counts it.
            let state = db.state().await?;
            if state == "running" {
                self.note(format!("ballast deleted; {} was still running", self.service));
            } else {
                env.docker().start_container(db.id(), None).await.with_context(|| format!("starting {} again", self.service))?;
                self.note(format!("ballast deleted; {} was {state}: started again", self.service));
            }
            Ok(())
        })
    }

    /// The fault's own notes, then Postgres' log lines since the ballast that tell what it did
    /// about the full disk (ENOSPC, PANIC, shutdown, recovery).
    fn notes<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move {
            let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let Some(db) = env.container(&self.service) else { return notes };
            let skip = *self.log_before.lock().unwrap_or_else(|e| e.into_inner());
            const TELLING: &[&str] = &["No space left", "PANIC", "FATAL", "terminated by signal", "shutting down", "redo done", "ready to accept connections"];
            if let Ok(log) = db.logs().await {
                let lines = log.lines().skip(skip).filter(|l| TELLING.iter().any(|t| l.contains(t)));
                notes.extend(lines.take(40).map(|l| format!("{}: {}", self.service, l.trim())));
            }
            notes
        })
    }
}
