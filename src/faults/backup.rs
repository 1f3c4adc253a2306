//! Backups, and the disaster they exist for.
//!
//! [`BackupJob`] takes a `pg_dump` every `backup.every` while the load runs. The dumps run in a
//! backup container beside the database (`<service>-backup`, the database's own image, so the
//! same `pg_dump`) and stay there as files: outside the database container and its volume,
//! which the disaster takes. Each dump reads one exported snapshot — firedrill opens a
//! REPEATABLE READ transaction, runs `SELECT pg_export_snapshot()` and holds the transaction
//! while `pg_dump --snapshot` reads it — so the instant the dump's data stops is known on the
//! drill's clock to within that one round trip. Each dump is then verified with
//! `pg_restore --list` (the archive's table of contents is readable and not empty); a dump that
//! fails to be taken or verified is recorded and never restored.
//!
//! [`DestroyDatabase`] removes the database container with its data volume. Its heal, the
//! `restore` step, starts a fresh container from the same spec under the same DNS name and
//! restores the latest verified dump into it with `pg_restore --exit-on-error
//! --single-transaction` (all or nothing: the service sees no half-restored tables). The service
//! is not touched: it must reconnect by itself.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::future::BoxFuture;
use serde::Serialize;
use tokio::time::Instant;

use super::Fault;
use crate::environment::{ContainerSpec, Environment};
use crate::scenario::{DependencyKind, DumpFormat, Scenario};

/// The backup container of service `db` is `db-backup`.
pub const SIDECAR_SUFFIX: &str = "-backup";
/// Where the backup container keeps the dumps.
pub const BACKUP_DIR: &str = "/backups";

/// One scheduled dump.
#[derive(Debug, Clone, Serialize)]
pub struct Dump {
    /// 1, 2, ... in schedule order.
    pub number: u32,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub scheduled_at: Duration,
    /// The dump's snapshot was taken after this instant (`SELECT pg_export_snapshot()` sent)...
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub snapshot_from: Option<Duration>,
    /// ...and before this one (its answer received).
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub snapshot_to: Option<Duration>,
    /// When `pg_dump` exited.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub finished_at: Option<Duration>,
    /// The file, in the backup container.
    pub file: String,
    pub bytes: Option<u64>,
    /// Entries in the table of contents `pg_restore --list` printed.
    pub toc_entries: Option<u64>,
    /// Taken and verified: a candidate for a restore.
    pub verified: bool,
    /// Why it was not taken or did not verify.
    pub error: Option<String>,
}

/// The database's destruction.
#[derive(Debug, Clone, Serialize)]
pub struct Destruction {
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub started_at: Duration,
    /// When the container and its volumes were gone.
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub done_at: Duration,
    /// The removed container's id.
    pub container: String,
    /// Its volumes (the data).
    pub volumes: Vec<String>,
    /// Whether every one of them was gone afterwards.
    pub volumes_removed: bool,
}

/// The restore.
#[derive(Debug, Clone, Serialize)]
pub struct Restoration {
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub started_at: Duration,
    /// When the fresh, empty database accepted connections.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub database_ready_at: Option<Duration>,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub finished_at: Duration,
    /// The dump restored (its `number`); `None` when there was nothing to restore.
    pub dump: Option<u32>,
    /// The command run in the backup container.
    pub command: Option<String>,
    /// Why nothing, or not all, was restored.
    pub error: Option<String>,
}

/// Everything one database's backups went through, on the drill's clock.
#[derive(Debug, Clone, Serialize)]
pub struct BackupRecord {
    pub service: String,
    pub backup_container: String,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub every: Duration,
    pub format: &'static str,
    pub dumps: Vec<Dump>,
    pub destroyed: Option<Destruction>,
    pub restored: Option<Restoration>,
}

impl BackupRecord {
    /// The dump a restore takes: the latest verified one whose `pg_dump` finished before `before`.
    pub fn latest_verified(&self, before: Duration) -> Option<&Dump> {
        self.dumps.iter().rev().find(|d| d.verified && d.finished_at.is_some_and(|f| f < before))
    }

    /// The dump that was restored, if one was restored without error.
    pub fn restored_dump(&self) -> Option<&Dump> {
        let restored = self.restored.as_ref().filter(|r| r.error.is_none())?;
        let n = restored.dump?;
        self.dumps.iter().find(|d| d.number == n)
    }
}

/// The backup schedule of one PostgreSQL dependency, and the record the destroy and restore
/// share with it.
#[derive(Debug)]
pub struct BackupJob {
    service: String,
    sidecar: String,
    image: String,
    every: Duration,
    format: DumpFormat,
    user: String,
    password: String,
    database: String,
    start: OnceLock<Instant>,
    /// Set when the destroy begins: no new dump starts, a running one is abandoned.
    destroyed: tokio::sync::watch::Sender<bool>,
    record: Mutex<BackupRecord>,
}

/// One job per PostgreSQL dependency with a `backup`.
pub fn jobs(scenario: &Scenario) -> Vec<Arc<BackupJob>> {
    scenario
        .services
        .iter()
        .filter(|(_, d)| d.kind() == DependencyKind::Postgres)
        .filter_map(|(name, dep)| {
            let backup = dep.backup.as_ref()?;
            let env = |key: &str| dep.env.get(key).map(|v| v.to_string());
            let user = env("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
            let database = env("POSTGRES_DB").unwrap_or_else(|| user.clone());
            let sidecar = format!("{name}{SIDECAR_SUFFIX}");
            Some(Arc::new(BackupJob {
                service: name.clone(),
                sidecar: sidecar.clone(),
                image: dep.image.clone().unwrap_or_default(),
                every: backup.every,
                format: backup.format,
                password: env("POSTGRES_PASSWORD").unwrap_or_default(),
                user,
                database,
                start: OnceLock::new(),
                destroyed: tokio::sync::watch::Sender::new(false),
                record: Mutex::new(BackupRecord {
                    service: name.clone(),
                    backup_container: sidecar,
                    every: backup.every,
                    format: backup.format.as_str(),
                    dumps: Vec::new(),
                    destroyed: None,
                    restored: None,
                }),
            }))
        })
        .collect()
}

/// Runs every job from `start` until `end` (or its database's destruction).
pub async fn run_all(jobs: &[Arc<BackupJob>], env: &Environment, start: Instant, end: Instant) {
    futures_util::future::join_all(jobs.iter().map(|j| j.run(env, start, end))).await;
}

impl BackupJob {
    pub fn service(&self) -> &str {
        &self.service
    }

    /// What happened so far.
    pub fn record(&self) -> BackupRecord {
        self.record.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The backup container: the database's image idling, with libpq's variables pointing at
    /// the database by its DNS name (so `pg_dump` and `pg_restore` need no connection flags).
    pub fn sidecar_spec(&self) -> ContainerSpec {
        ContainerSpec::new(&self.sidecar, &self.image)
            .cmd(["sh", "-c", &format!("mkdir -p {BACKUP_DIR} && exec sleep infinity")])
            .env("PGHOST", &self.service)
            .env("PGUSER", &self.user)
            .env("PGPASSWORD", &self.password)
            .env("PGDATABASE", &self.database)
            .env("PGCONNECT_TIMEOUT", "2")
            .ready_when(Vec::new())
    }

    /// From the drill's start, for the records.
    fn now(&self) -> Duration {
        self.start.get().map_or(Duration::ZERO, |s| s.elapsed())
    }

    fn update(&self, f: impl FnOnce(&mut BackupRecord)) {
        f(&mut self.record.lock().unwrap_or_else(|e| e.into_inner()));
    }

    async fn run(&self, env: &Environment, start: Instant, end: Instant) {
        let _ = self.start.set(start);
        let mut next = start + self.every;
        let mut number = 0;
        while next < end {
            tokio::time::sleep_until(next).await;
            if *self.destroyed.borrow() {
                break;
            }
            number += 1;
            let scheduled_at = next - start;
            let file = format!("{BACKUP_DIR}/{}-{number:04}.{}", self.service, extension(self.format));
            let mut dump = Dump {
                number,
                scheduled_at,
                snapshot_from: None,
                snapshot_to: None,
                finished_at: None,
                file,
                bytes: None,
                toc_entries: None,
                verified: false,
                error: None,
            };
            tokio::select! {
                r = self.take(env, &mut dump) => {
                    if let Err(e) = r {
                        dump.error = Some(format!("{e:#}"));
                    }
                }
                _ = tokio::time::sleep_until(end) => dump.error = Some("still running when the load ended".into()),
            }
            self.update(|r| r.dumps.push(dump));
            // One dump at a time: one that overran its slot delays the next to the next slot.
            next += self.every;
            let now = Instant::now();
            while next < now {
                next += self.every;
            }
        }
    }

    /// Dumps (abandoned if the database is destroyed meanwhile), then verifies.
    async fn take(&self, env: &Environment, dump: &mut Dump) -> Result<()> {
        let sidecar = env.container(&self.sidecar).ok_or_else(|| anyhow!("the backup container `{}` is gone", self.sidecar))?;
        let mut destroyed = self.destroyed.subscribe();
        tokio::select! {
            r = self.dump(env, &sidecar, dump) => r?,
            _ = destroyed.wait_for(|d| *d) => bail!("the database was destroyed during the dump"),
        }
        let size = sidecar.exec(&["stat", "-c", "%s", dump.file.as_str()]).await?;
        dump.bytes = size.stdout.trim().parse().ok();
        let list = sidecar.exec(&["pg_restore", "--list", dump.file.as_str()]).await?;
        if !list.success() {
            bail!("`pg_restore --list` exited {}: {}", list.exit_code, last_line(&list.stderr));
        }
        let entries = list.stdout.lines().filter(|l| !l.trim().is_empty() && !l.starts_with(';')).count() as u64;
        dump.toc_entries = Some(entries);
        if entries == 0 {
            bail!("`pg_restore --list` printed an empty table of contents");
        }
        dump.verified = true;
        Ok(())
    }

    async fn dump(&self, env: &Environment, sidecar: &crate::environment::Container, dump: &mut Dump) -> Result<()> {
        let db = env.container(&self.service).ok_or_else(|| anyhow!("the database `{}` is gone", self.service))?;
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(db.host_port(5432)?)
            .user(&self.user)
            .dbname(&self.database)
            .application_name("firedrill-backup")
            .connect_timeout(Duration::from_secs(2));
        if !self.password.is_empty() {
            config.password(&self.password);
        }
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.context("connecting to export the dump's snapshot")?;
        let connection = tokio::spawn(connection);
        let result = async {
            client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
            // One simple-protocol round trip: the transaction's snapshot is taken by this
            // statement, between sending it and reading its answer.
            dump.snapshot_from = Some(self.now());
            let answer = client.simple_query("SELECT pg_export_snapshot()").await?;
            dump.snapshot_to = Some(self.now());
            let snapshot = answer
                .iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                    _ => None,
                })
                .ok_or_else(|| anyhow!("pg_export_snapshot() returned no row"))?;
            let out = sidecar
                .exec(&[
                    "pg_dump".to_string(),
                    format!("--format={}", self.format.as_str()),
                    format!("--snapshot={snapshot}"),
                    format!("--file={}", dump.file),
                ])
                .await?;
            dump.finished_at = Some(self.now());
            if !out.success() {
                bail!("pg_dump exited {}: {}", out.exit_code, last_line(&out.stderr));
            }
            let _ = client.batch_execute("COMMIT").await;
            Ok(())
        }
        .await;
        drop(client);
        connection.abort();
        result
    }
}

fn extension(format: DumpFormat) -> &'static str {
    match format {
        DumpFormat::Custom => "dump",
        DumpFormat::Tar => "tar",
        DumpFormat::Plain => "sql",
    }
}

fn last_line(text: &str) -> String {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)").trim().to_string()
}

/// The `destroy-database` fault; healed by a `restore` step.
pub struct DestroyDatabase {
    service: String,
    job: Option<Arc<BackupJob>>,
    /// The removed container's spec, for the fresh one.
    removed: Mutex<Option<ContainerSpec>>,
}

impl DestroyDatabase {
    /// `job`: the service's backups (a `restore` needs them).
    pub fn new(service: &str, job: Option<Arc<BackupJob>>) -> DestroyDatabase {
        DestroyDatabase { service: service.to_string(), job, removed: Mutex::new(None) }
    }
}

impl Fault for DestroyDatabase {
    fn describe(&self) -> String {
        match &self.job {
            Some(j) => format!(
                "{} destroyed (container and data volume removed); restored into a fresh container from the latest verified {} dump kept in {}",
                self.service, j.format.as_str(), j.sidecar
            ),
            None => format!("{} destroyed (container and data volume removed); no backups", self.service),
        }
    }

    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let started_at = self.job.as_ref().map(|j| j.now());
            if let Some(job) = &self.job {
                job.destroyed.send_replace(true);
            }
            let c = env.container(&self.service).ok_or_else(|| anyhow!("no container `{}` in this drill", self.service))?;
            let volumes = c.volumes().await?;
            // The disaster: the server dies at once (no shutdown checkpoint), then the container
            // and its volumes go.
            c.kill("SIGKILL").await?;
            let removed = env.remove(&self.service).await?;
            *self.removed.lock().unwrap_or_else(|e| e.into_inner()) = Some(removed.spec().clone());
            let mut volumes_removed = true;
            for v in &volumes {
                if env.docker().inspect_volume(v).await.is_ok() {
                    volumes_removed = false;
                }
            }
            if let (Some(job), Some(started_at)) = (&self.job, started_at) {
                let done_at = job.now();
                let container = removed.id().chars().take(12).collect();
                job.update(|r| r.destroyed = Some(Destruction { started_at, done_at, container, volumes, volumes_removed }));
            }
            Ok(())
        })
    }

    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let job = self.job.as_ref().ok_or_else(|| anyhow!("`restore` of `{}`: it has no `backup` to restore from", self.service))?;
            let started_at = job.now();
            let spec = self
                .removed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .ok_or_else(|| anyhow!("`restore` of `{}`: it was not destroyed", self.service))?;
            env.run(spec).await.with_context(|| format!("starting a fresh `{}`", self.service))?;
            let database_ready_at = Some(job.now());
            let record = job.record();
            let destroyed_at = record.destroyed.as_ref().map_or(started_at, |d| d.started_at);
            let (dump, command, error) = match record.latest_verified(destroyed_at) {
                None => {
                    let taken: Vec<&Dump> = record.dumps.iter().filter(|d| d.scheduled_at < destroyed_at).collect();
                    let why = taken.iter().rev().find_map(|d| d.error.as_deref()).map(|e| format!(" (the last: {e})")).unwrap_or_default();
                    (None, None, Some(format!("no verified dump to restore: {} scheduled before the destroy, none verified{why}", taken.len())))
                }
                Some(d) => {
                    let cmd = [
                        "pg_restore".to_string(),
                        "--exit-on-error".into(),
                        "--single-transaction".into(),
                        format!("--dbname={}", job.database),
                        d.file.clone(),
                    ];
                    let sidecar = env.container(&job.sidecar).ok_or_else(|| anyhow!("the backup container `{}` is gone", job.sidecar))?;
                    let out = sidecar.exec(&cmd).await?;
                    let error = (!out.success()).then(|| format!("pg_restore exited {}: {}", out.exit_code, last_line(&out.stderr)));
                    (Some(d.number), Some(cmd.join(" ")), error)
                }
            };
            let finished_at = job.now();
            job.update(|r| r.restored = Some(Restoration { started_at, database_ready_at, finished_at, dump, command, error }));
            Ok(())
        })
    }
}
