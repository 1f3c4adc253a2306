//! The scenario format: what a drill starts, the load it sends, the faults it injects, and the
//! targets it is judged by. Every struct denies unknown fields; every quantity is typed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::{self, Bound, DurationSchema, EnvValue, MaxDurationSchema, RateSchema};
use crate::units::{Percent, Rate};

/// A drill: a service under test with its dependencies, an open-model load, a timeline of faults
/// and recoveries, and the targets the measurements must meet.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "firedrill scenario")]
pub struct Scenario {
    /// A short name, used in reports and file names.
    pub name: String,
    /// What the drill shows, in a sentence or two.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The time-compression factor in force: 60 means one drill second stands for a production
    /// minute (the service's timings are configured that much shorter). Reports state it; `1` is
    /// real time.
    pub compression: f64,
    /// The dependencies, by the DNS name the service reaches them at (`db`, `cache`, `supplier`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Dependency>,
    /// The service under test.
    pub service: ServiceUnderTest,
    /// The load sent while the drill runs.
    pub workload: Workload,
    /// Faults and recoveries, at offsets from the start of the load.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Step>,
    /// What the measurements must meet.
    #[serde(default)]
    pub targets: Targets,
    /// Runbook claims this drill checks, for certification.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimLink>,
    /// The file the scenario was read from.
    #[serde(skip)]
    #[schemars(skip)]
    pub path: PathBuf,
}

/// A dependency: a container image, or firedrill's own mock upstream.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// A container image: `firedrill/postgres:15`, `firedrill/redis:7`, or with a registry
    /// `postgres:16`, `redis:7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// firedrill's mock upstream (a third-party HTTP API such as a supplier's price list): `mock: {}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mock: Option<Mock>,
    /// Environment of the image's container.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, EnvValue>,
    /// Serve the mock over HTTPS with a certificate firedrill issues (needed by `cert-expired`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    /// Backups of a PostgreSQL dependency, taken while the load runs: what a `restore` step
    /// restores from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<Backup>,
}

/// A backup schedule: `pg_dump` every `every` from the start of the load (the first at `every`),
/// run from a backup container beside the database (`<service>-backup`, the same image) that
/// keeps the files, each verified with `pg_restore --list`. Dumps stop when the database is
/// destroyed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// How often: `4s` (compressed like every other timing).
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub every: Duration,
    /// `custom` (`pg_dump --format=custom`, the default) or `tar`: archives `pg_restore` reads.
    /// `plain` is a SQL script (what `pg_dump db > backup.sql` writes): `pg_restore` cannot read
    /// it, so such dumps never verify and a restore has nothing to restore.
    #[serde(default)]
    pub format: DumpFormat,
}

/// `pg_dump --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DumpFormat {
    #[default]
    Custom,
    Tar,
    Plain,
}

impl DumpFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DumpFormat::Custom => "custom",
            DumpFormat::Tar => "tar",
            DumpFormat::Plain => "plain",
        }
    }
}

/// The mock upstream's settings (none yet: write `mock: {}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mock {}

/// What a dependency is, as far as faults are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyKind {
    Postgres,
    Redis,
    /// An image firedrill has no fault knowledge of.
    OtherImage,
    Mock,
}

impl Dependency {
    pub fn kind(&self) -> DependencyKind {
        let Some(image) = &self.image else {
            return DependencyKind::Mock;
        };
        // `registry:5000/team/postgres:16@sha256:...` → `postgres`
        let without_digest = image.split('@').next().unwrap_or(image);
        let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let repo = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
        if repo.starts_with("postgres") || repo.starts_with("postgis") {
            DependencyKind::Postgres
        } else if repo.starts_with("redis") || repo.starts_with("valkey") {
            DependencyKind::Redis
        } else {
            DependencyKind::OtherImage
        }
    }
}

/// The service under test: an image or a command, reached on `port`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceUnderTest {
    /// A container image, e.g. `firedrill/reference-service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Or a command run on the host, as a list of arguments: `["python", "app.py"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Environment: where the dependencies are, and the compressed timings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, EnvValue>,
    /// The port the service listens on.
    pub port: u16,
    /// The health endpoint's path, probed during the drill (`/health`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// Defect switches of the reference service, each breaking one resilience path: the negative
    /// controls a drill must fail on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Defect>,
    /// For mocks with `tls: true`: the environment variable of the service that receives, as PEM
    /// text, the certificate of the CA firedrill makes for each run and signs those mocks'
    /// certificates with — the CA the service must trust (the reference service reads
    /// `SUPPLIER_CA_PEM`). Required when a mock serves TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca_env: Option<String>,
}

/// A defect switch of the reference service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Defect {
    /// Retry a 429 at once, ignoring `Retry-After`.
    IgnoreRetryAfter,
    /// Call a failing upstream on every request (no circuit breaker).
    NoCircuitBreaker,
    /// Accept expired or untrusted TLS certificates.
    AcceptInvalidCerts,
    /// Acknowledge writes before they are durable (`synchronous_commit=off`).
    AsyncCommit,
    /// Wait on the database without a timeout.
    NoDbTimeout,
    /// Fail a read when Redis fails, instead of reading it from Postgres.
    NoCacheFallback,
}

impl Defect {
    pub const ALL: [Defect; 6] = [
        Defect::IgnoreRetryAfter,
        Defect::NoCircuitBreaker,
        Defect::AcceptInvalidCerts,
        Defect::AsyncCommit,
        Defect::NoDbTimeout,
        Defect::NoCacheFallback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Defect::IgnoreRetryAfter => "ignore-retry-after",
            Defect::NoCircuitBreaker => "no-circuit-breaker",
            Defect::AcceptInvalidCerts => "accept-invalid-certs",
            Defect::AsyncCommit => "async-commit",
            Defect::NoDbTimeout => "no-db-timeout",
            Defect::NoCacheFallback => "no-cache-fallback",
        }
    }
}

/// An open-model load: requests scheduled at a fixed rate whatever the service does.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Arrival rate: `200/s`, `60/min`.
    #[serde(
        deserialize_with = "values::de_rate",
        serialize_with = "values::ser_rate"
    )]
    #[schemars(with = "RateSchema")]
    pub rate: Rate,
    /// How long the load runs: `30s`. Timeline offsets count from its start.
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub duration: Duration,
    /// A request without an answer after this long is a timeout (indeterminate for a write).
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub timeout: Duration,
    /// Reads draw `{id}` from `0..id_space` (writes use fresh ids).
    #[serde(default = "default_id_space")]
    pub id_space: u64,
    /// The request mix, each picked in proportion to its weight.
    pub mix: Vec<Request>,
}

fn default_id_space() -> u64 {
    1000
}

/// One kind of request in the mix.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// A name for reports: `read-item`.
    pub name: String,
    /// Relative weight in the mix.
    pub weight: u32,
    #[serde(default)]
    pub method: Method,
    /// Path, with an optional `{id}` placeholder: `/items/{id}`.
    pub path: String,
    /// JSON body, with an optional `{id}` placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A write whose client id (`{id}`) is recorded when acknowledged and read back after
    /// recovery, to count lost writes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ledger: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// Methods that change state.
    pub fn is_write(self) -> bool {
        matches!(self, Method::Post | Method::Put | Method::Patch)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One step of the timeline, by `kind`: a fault, or an explicit recovery.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum Step {
    /// PostgreSQL becomes unavailable.
    #[serde(rename = "db-outage")]
    DbOutage(Outage),
    /// Redis becomes unavailable.
    #[serde(rename = "redis-outage")]
    RedisOutage(Outage),
    /// A mock upstream answers every call with 429 and `Retry-After`.
    #[serde(rename = "upstream-429")]
    Upstream429(Upstream429),
    /// A mock upstream answers every call with a server error (5xx).
    #[serde(rename = "upstream-error")]
    UpstreamError(UpstreamError),
    /// A mock upstream's TLS certificate is expired; healing renews it.
    #[serde(rename = "cert-expired")]
    CertExpired(SimpleFault),
    /// The database's data volume fills up (ENOSPC); healing frees space.
    #[serde(rename = "disk-full")]
    DiskFull(SimpleFault),
    /// The database is destroyed; a `restore` step brings back the latest backup.
    #[serde(rename = "destroy-database")]
    DestroyDatabase(DestroyDatabase),
    /// Ends a fault that has no `for`.
    #[serde(rename = "heal")]
    Heal(Heal),
    /// Restores a destroyed database from its latest backup.
    #[serde(rename = "restore")]
    Restore(Restore),
    /// Redis loses its data and gets it back from an RDB snapshot, restored one way or another.
    #[serde(rename = "redis-data-loss")]
    RedisDataLoss(RedisDataLoss),
}

/// How a dependency goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutageMode {
    /// The container is stopped: connections are refused.
    Stopped,
    /// The container is paused: connections hang.
    Paused,
    /// The container is cut off the network.
    Disconnected,
}

/// A dependency outage.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// A name for `heal` steps to refer to (default: the kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The dependency, by its name under `services`.
    pub service: String,
    pub mode: OutageMode,
    /// When the fault starts, from the start of the load.
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
    /// How long it lasts; without it, a `heal` step ends it.
    #[serde(
        rename = "for",
        default,
        deserialize_with = "values::de_duration_opt",
        serialize_with = "values::ser_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<DurationSchema>")]
    pub duration: Option<Duration>,
}

/// An upstream rate-limit storm.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Upstream429 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The mock upstream, by its name under `services`.
    pub service: String,
    /// The `Retry-After` the upstream sends.
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub retry_after: Duration,
    /// Send `Retry-After` as seconds (default) or as an HTTP date.
    #[serde(default)]
    pub retry_after_format: RetryAfterFormat,
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
    #[serde(
        rename = "for",
        default,
        deserialize_with = "values::de_duration_opt",
        serialize_with = "values::ser_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<DurationSchema>")]
    pub duration: Option<Duration>,
}

/// An upstream failing every call with a server error: the breaker's case, since a 5xx carries
/// no `Retry-After` to slow the caller down.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The mock upstream, by its name under `services`.
    pub service: String,
    /// The status it answers, 500-599.
    #[serde(default = "default_error_status")]
    pub status: u16,
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
    #[serde(
        rename = "for",
        default,
        deserialize_with = "values::de_duration_opt",
        serialize_with = "values::ser_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<DurationSchema>")]
    pub duration: Option<Duration>,
}

fn default_error_status() -> u16 {
    503
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RetryAfterFormat {
    #[default]
    Seconds,
    HttpDate,
}

/// A fault with nothing to configure beyond its target and its window.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimpleFault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub service: String,
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
    #[serde(
        rename = "for",
        default,
        deserialize_with = "values::de_duration_opt",
        serialize_with = "values::ser_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<DurationSchema>")]
    pub duration: Option<Duration>,
}

/// Redis's data is lost and restored from an RDB file: at `at` the drill writes marker keys,
/// `SAVE`s, copies `dump.rdb` out (the backup) and runs `FLUSHALL` (the loss); after `for` it
/// copies the backup back by the `restore` method and counts the marker keys Redis has.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisDataLoss {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub service: String,
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
    #[serde(
        rename = "for",
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub duration: Duration,
    /// How the RDB file is put back.
    pub restore: RdbRestore,
    /// How many marker keys are written before the `SAVE` (default 1000).
    #[serde(default = "default_marker_keys")]
    pub keys: u32,
}

fn default_marker_keys() -> u32 {
    1000
}

/// How an RDB backup is put back into Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RdbRestore {
    /// Stop Redis, copy the file over `dump.rdb`, start it: Redis loads the backup.
    StopCopyStart,
    /// Copy the file over `dump.rdb` while Redis runs, then restart it — what many runbooks say.
    /// Redis saves its own (empty) dataset on shutdown, over the copy: the backup is lost.
    CopyIntoRunning,
}

impl RdbRestore {
    pub fn as_str(self) -> &'static str {
        match self {
            RdbRestore::StopCopyStart => "stop-copy-start",
            RdbRestore::CopyIntoRunning => "copy-into-running",
        }
    }
}

/// The database is dropped mid-load; it stays gone until a `restore` step.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DestroyDatabase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub service: String,
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
}

/// Ends a fault that has no `for`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Heal {
    /// The fault's `id`, or its kind when only one fault has that kind.
    pub fault: String,
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
}

/// Restores the database from its latest backup (`pg_dump` custom format).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    pub service: String,
    #[serde(
        deserialize_with = "values::de_duration",
        serialize_with = "values::ser_duration"
    )]
    #[schemars(with = "DurationSchema")]
    pub at: Duration,
}

impl Step {
    /// The `kind` as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::DbOutage(_) => "db-outage",
            Step::RedisOutage(_) => "redis-outage",
            Step::Upstream429(_) => "upstream-429",
            Step::UpstreamError(_) => "upstream-error",
            Step::CertExpired(_) => "cert-expired",
            Step::DiskFull(_) => "disk-full",
            Step::DestroyDatabase(_) => "destroy-database",
            Step::Heal(_) => "heal",
            Step::Restore(_) => "restore",
            Step::RedisDataLoss(_) => "redis-data-loss",
        }
    }

    pub fn at(&self) -> Duration {
        match self {
            Step::DbOutage(f) | Step::RedisOutage(f) => f.at,
            Step::Upstream429(f) => f.at,
            Step::UpstreamError(f) => f.at,
            Step::CertExpired(f) | Step::DiskFull(f) => f.at,
            Step::DestroyDatabase(f) => f.at,
            Step::Heal(h) => h.at,
            Step::Restore(r) => r.at,
            Step::RedisDataLoss(f) => f.at,
        }
    }

    /// The fault's `for`, if it has one.
    pub fn duration(&self) -> Option<Duration> {
        match self {
            Step::DbOutage(f) | Step::RedisOutage(f) => f.duration,
            Step::Upstream429(f) => f.duration,
            Step::UpstreamError(f) => f.duration,
            Step::CertExpired(f) | Step::DiskFull(f) => f.duration,
            Step::RedisDataLoss(f) => Some(f.duration),
            Step::DestroyDatabase(_) | Step::Heal(_) | Step::Restore(_) => None,
        }
    }

    /// The dependency the step acts on (`heal` acts through its fault).
    pub fn service(&self) -> Option<&str> {
        match self {
            Step::DbOutage(f) | Step::RedisOutage(f) => Some(&f.service),
            Step::Upstream429(f) => Some(&f.service),
            Step::UpstreamError(f) => Some(&f.service),
            Step::CertExpired(f) | Step::DiskFull(f) => Some(&f.service),
            Step::DestroyDatabase(f) => Some(&f.service),
            Step::Restore(r) => Some(&r.service),
            Step::RedisDataLoss(f) => Some(&f.service),
            Step::Heal(_) => None,
        }
    }

    /// True for a fault on a mock upstream's answers (`upstream-429`, `upstream-error`).
    pub fn is_upstream_fault(&self) -> bool {
        matches!(self, Step::Upstream429(_) | Step::UpstreamError(_))
    }

    /// True for faults, false for recovery steps.
    pub fn is_fault(&self) -> bool {
        !matches!(self, Step::Heal(_) | Step::Restore(_))
    }

    /// The name `heal` steps use for this fault: its `id`, else its kind.
    pub fn name(&self) -> &str {
        let id = match self {
            Step::DbOutage(f) | Step::RedisOutage(f) => f.id.as_deref(),
            Step::Upstream429(f) => f.id.as_deref(),
            Step::UpstreamError(f) => f.id.as_deref(),
            Step::CertExpired(f) | Step::DiskFull(f) => f.id.as_deref(),
            Step::DestroyDatabase(f) => f.id.as_deref(),
            Step::RedisDataLoss(f) => f.id.as_deref(),
            Step::Heal(_) | Step::Restore(_) => None,
        };
        id.unwrap_or_else(|| self.kind())
    }

    pub fn has_id(&self) -> bool {
        self.name() != self.kind()
    }
}

/// The targets a drill is judged by. Every field is optional; a target that does not apply to
/// the scenario (a phase that cannot exist, lost writes without a ledgered request) is an error.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Maximum recovery time: from the heal (or the start of a restore) to the start of the first
    /// window of `stability` in which every request succeeds and the health endpoint answers 200.
    #[serde(
        default,
        deserialize_with = "values::de_max_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<MaxDurationSchema>")]
    pub rto: Option<Bound<Duration>>,
    /// Maximum data-loss window: after a `restore`, from the restored dump's snapshot to the
    /// moment the database was destroyed; otherwise from the oldest lost acknowledged write to
    /// the fault.
    #[serde(
        default,
        deserialize_with = "values::de_max_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<MaxDurationSchema>")]
    pub rpo: Option<Bound<Duration>>,
    /// Maximum count of acknowledged ledgered writes missing after recovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_writes: Option<u64>,
    /// After a `restore`: whether the restored data must be exactly the restored dump's snapshot
    /// plus what was written after the restore — every acknowledged write from before the
    /// snapshot present, every one from after it (until the destroy) missing, every one after
    /// the restore present; writes in flight across the snapshot may go either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_restore: Option<bool>,
    /// How long the steady state must hold to count as recovered: `3s`.
    #[serde(
        default,
        deserialize_with = "values::de_duration_opt",
        serialize_with = "values::ser_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<DurationSchema>")]
    pub stability: Option<Duration>,
    /// Error rate per phase: `before: < 1%`.
    #[serde(default, skip_serializing_if = "PerPhase::is_empty")]
    pub error_rate: PerPhase<Bound<Percent>>,
    /// Latency percentiles per phase: `before: {p99: < 250ms}`.
    #[serde(default, skip_serializing_if = "PerPhase::is_empty")]
    pub latency: PerPhase<Latency>,
    /// Maximum count of upstream calls made before a `Retry-After` had elapsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_violations: Option<u64>,
    /// How much the call rate to a failing upstream must drop in the second after its first
    /// 429 or 5xx, against the baseline before the first fault: `">= 50%"`. Checked per
    /// upstream fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_rate_drop: Option<Bound<Percent>>,
    /// Maximum time from an upstream fault's end until the upstream again receives at least
    /// 90 % of its baseline call rate over a whole second: `<= 6s`. Checked per upstream fault.
    #[serde(
        default,
        deserialize_with = "values::de_max_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<MaxDurationSchema>")]
    pub upstream_rate_recovery: Option<Bound<Duration>>,
    /// Whether the circuit breaker must open during each upstream fault, as the health
    /// endpoint's `supplier.breaker` reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker_opens: Option<bool>,
    /// Maximum count of upstream calls that arrived while the health endpoint said the breaker
    /// was open (before the probe it announced in `supplier.breaker_probe_in_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker_calls_while_open: Option<u64>,
    /// Maximum count of requests accepted over an invalid certificate (fail closed: 0): HTTP
    /// requests that reached the mock over a connection it served with a `cert-expired` fault's
    /// expired certificate. A client that refuses the certificate fails the handshake and sends
    /// none. Fails, as not measured, when the service made no TLS connection during the fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_cert_accepted: Option<u64>,
    /// Maximum time from a `cert-expired` fault's start until the service's health endpoint names
    /// the cause, and keeps naming it in every answer until the certificate is renewed: what an
    /// operator who opens `/health` during the incident must read. An answer names it when its
    /// body contains both `certificate` and `expired` (in any case), e.g. the reference service's
    /// `supplier.last_tls_error`. Fails when answers before the fault already contain both words,
    /// since they would then prove nothing: `<= 1s`.
    #[serde(
        default,
        deserialize_with = "values::de_max_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<MaxDurationSchema>")]
    pub health_names_cause: Option<Bound<Duration>>,
    /// Maximum time from a `cert-expired` fault's end (the renewed certificate installed) until
    /// the mock has completed the first call over the renewed certificate — the RTO of the
    /// upstream path, which `rto` (measured on the service's own API, which keeps serving reads)
    /// does not see. Measured from the mock's request log, per `cert-expired` fault: `<= 2s`.
    #[serde(
        default,
        deserialize_with = "values::de_max_duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<MaxDurationSchema>")]
    pub upstream_resume: Option<Bound<Duration>>,
    /// Maximum count of unclear error answers during the fault: firedrill samples the scenario's
    /// requests and the health check every 100 ms, and a 5xx counts as clear when its JSON
    /// carries a message (`error`, at the top or under a dependency's entry) naming the failing
    /// dependency (its name under `services`, or `postgres`/`database`, `redis`/`cache`); no
    /// answer at all is never clear. From the first fault to the recovery point: `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unclear_errors: Option<u64>,
    /// Maximum count of exits and restarts of the service under test's container during the
    /// drill (a crash-loop under the fault), from the engine's container state: `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_crashes: Option<u64>,
    /// After a `redis-data-loss`: maximum count of the marker keys saved in the RDB backup that
    /// are missing once it is restored: `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdb_keys_lost: Option<u64>,
}

/// One value per phase of the drill.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "T: Deserialize<'de>"))]
#[schemars(rename = "{T}PerPhase")]
pub struct PerPhase<T> {
    /// Before the first fault starts (the baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<T>,
    /// From the first fault's start to the last recovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub during: Option<T>,
    /// After recovery, to the end of the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<T>,
}

impl<T> Default for PerPhase<T> {
    fn default() -> Self {
        PerPhase {
            before: None,
            during: None,
            after: None,
        }
    }
}

impl<T> PerPhase<T> {
    pub fn is_empty(&self) -> bool {
        self.before.is_none() && self.during.is_none() && self.after.is_none()
    }

    pub fn get(&self, phase: crate::measure::Phase) -> Option<&T> {
        use crate::measure::Phase;
        match phase {
            Phase::Before => self.before.as_ref(),
            Phase::During => self.during.as_ref(),
            Phase::After => self.after.as_ref(),
        }
    }

    /// The phases that have a value, with it.
    pub fn iter(&self) -> impl Iterator<Item = (crate::measure::Phase, &T)> {
        use crate::measure::Phase;
        [
            (Phase::Before, &self.before),
            (Phase::During, &self.during),
            (Phase::After, &self.after),
        ]
        .into_iter()
        .filter_map(|(p, v)| v.as_ref().map(|v| (p, v)))
    }
}

/// Latency percentiles, measured from each request's scheduled send time.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50: Option<Bound<Duration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95: Option<Bound<Duration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<Bound<Duration>>,
}

/// A runbook claim this drill puts to the test.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimLink {
    /// The runbook, relative to the scenario file.
    pub file: PathBuf,
    /// The claim's subject as `firedrill claims` prints it.
    pub subject: String,
}
