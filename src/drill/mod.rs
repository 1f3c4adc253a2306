//! Runs one scenario end to end: builds what is missing, starts the environment, drives the load
//! while the faults follow the timeline and a prober watches `/health`, reads every acknowledged
//! write back, measures, judges, and returns the result that `report` writes.

mod answers;
mod service;
mod tls;
mod upstream;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use tokio::time::Instant;

use crate::environment::{images, ContainerSpec, Environment, Ready};
use crate::faults::{self, Fault};
use crate::measure::ledger::{self, LedgerReport};
use crate::measure::restore::{self, BackupSeen};
use crate::measure::{self, PhaseStats, Point, Probe, Timeline};
use crate::scenario::{Defect, DependencyKind, Scenario, Step};
use crate::verdict::{self, Verdict};
use crate::workload::{self, LoadPlan, Progress, RequestTemplate};

pub use service::{find_firedrill, find_reference_service, package_mock, MOCK_ADMIN_PORT, MOCK_IMAGE, MOCK_PORT, REFERENCE_SERVICE};
pub use answers::{Answer, AnswersSeen, ServiceSeen};
pub use tls::CertFaultSeen;
pub use upstream::{
    BreakerSeen, BreakerSpan, BreakerState, UpstreamFaultSeen, UpstreamPoint, UpstreamSeen, ViolationSeen,
};

/// How a drill is run, beyond what its scenario says.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Defect switches added to the scenario's own (negative controls).
    pub defects: Vec<Defect>,
    /// The reference service binary to package (default: found next to firedrill).
    pub service_binary: Option<PathBuf>,
    /// Print progress lines on stderr.
    pub verbose: bool,
}

/// Everything a drill produced. Serialized as the run's result JSON.
#[derive(Debug, Clone, Serialize)]
pub struct DrillResult {
    pub schema_version: u32,
    /// The environment's run id: its containers and network carry `firedrill.run=<id>`.
    pub run_id: String,
    pub scenario: ScenarioInfo,
    pub started_at: String,
    /// One drill second stands for this many production seconds.
    pub compression: f64,
    pub defects: Vec<&'static str>,
    pub images: Vec<ImageInfo>,
    pub faults: Vec<FaultRecord>,
    pub timings: Timings,
    pub measured: Measurements,
    pub definitions: BTreeMap<&'static str, &'static str>,
    pub targets: crate::scenario::Targets,
    pub verdict: Verdict,
    /// Requests, errors and p95 latency per interval, for charts.
    pub series: Vec<Point>,
    pub probes: Vec<Probe>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub path: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageInfo {
    /// The container's DNS name on the drill network.
    pub name: String,
    pub image: String,
    /// The image id (`sha256:...`) the container ran.
    pub id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultRecord {
    pub name: String,
    pub kind: &'static str,
    pub what: String,
    /// When the fault was in place, from the start of the load.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub injected_at: Option<Duration>,
    /// When the heal began (a restore's RTO counts from here).
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub heal_started_at: Option<Duration>,
    /// When the dependency was back (the heal had completed).
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub healed_at: Option<Duration>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    /// From the first container start to the service answering its health check.
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub environment_ready: Duration,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub total: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measurements {
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub rto: Option<Duration>,
    /// The recovery point, from the start of the load.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub recovered_at: Option<Duration>,
    pub phases: PhaseStats,
    pub ledger: Option<LedgerReport>,
    /// Why the ledger could not be checked, if it could not.
    pub ledger_error: Option<String>,
    pub requests_sent: u64,
    pub achieved_rate: f64,
    /// The largest generator lag: large values mean the load generator, not the service, lagged.
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub max_send_lag: Duration,
    /// What each mock upstream saw, from its own request log.
    pub upstreams: Vec<UpstreamSeen>,
    /// Why a mock's log could not be read, if one could not.
    pub upstream_error: Option<String>,
    /// The service's supplier breaker, from its health answers; absent when they carry none.
    pub breaker: Option<BreakerSeen>,
    /// Each `cert-expired` fault, from the mock's log and the health answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cert_faults: Vec<CertFaultSeen>,
    /// Each database's dumps, destroy and restore, with the RPO and the restored data's check.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backups: Vec<BackupSeen>,
    /// Whether the service under test stayed up (exits, restarts), from its container's state.
    pub service: Option<ServiceSeen>,
    /// The error answers sampled during the fault and their clarity (with `unclear_errors`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<AnswersSeen>,
    /// Each `redis-data-loss`: the marker keys saved in the RDB backup and found after its restore.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redis_restores: Vec<faults::redis_rdb::RdbRestoreSeen>,
    /// What each fault did and saw, by fault name (a full disk: the database's log lines).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fault_notes: BTreeMap<String, Vec<String>>,
}

const PROBE_EVERY: Duration = Duration::from_millis(100);
const SERIES_INTERVAL: Duration = Duration::from_millis(500);

/// Runs `scenario` and judges it.
pub async fn run(scenario: &Scenario, options: &RunOptions) -> Result<DrillResult> {
    let begun = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    let say = |line: &str| {
        if options.verbose {
            eprintln!("firedrill run: {}: {line}", scenario.name);
        }
    };
    let mut defects: Vec<Defect> = scenario.service.defects.clone();
    for d in &options.defects {
        if !defects.contains(d) {
            defects.push(*d);
        }
    }

    // A mock that serves TLS needs a CA the service trusts, handed over in a variable it names.
    let drill_ca = faults::DrillCa::for_scenario(scenario)?;
    if drill_ca.is_some() && scenario.service.tls_ca_env.is_none() {
        let mock = faults::tls::tls_mocks(scenario).next().unwrap_or_default();
        anyhow::bail!(
            "`services.{mock}.tls` needs `service.tls_ca_env`: the variable in which the service receives the PEM certificate of the CA firedrill makes for this run (the reference service reads SUPPLIER_CA_PEM)"
        );
    }

    // Images first: nothing runs until every image exists.
    let service_image = scenario.service.image.clone().ok_or_else(|| {
        anyhow!("{}: the service under test needs an `image` (a `command` service is not supported yet)", scenario.path.display())
    })?;
    let mut tags: Vec<String> = scenario.services.values().filter_map(|d| d.image.clone()).collect();
    tags.retain(|t| images::builtin_tags().contains(&t.as_str()));
    say("checking images");
    tokio::task::spawn_blocking({
        let tags = tags.clone();
        move || images::ensure_images(&tags.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await??;
    if service_image == REFERENCE_SERVICE {
        let binary = match &options.service_binary {
            Some(b) => b.clone(),
            None => find_reference_service()?,
        };
        tokio::task::spawn_blocking(move || service::package(&binary)).await??;
    }
    if scenario.services.values().any(|d| d.mock.is_some()) {
        let binary = find_firedrill()?;
        tokio::task::spawn_blocking(move || service::package_mock(&binary)).await??;
    }

    let env = Environment::start().await?;
    let env_started = Instant::now();
    say(&format!("environment {} up", env.network()));
    let mut specs = Vec::new();
    for (name, dep) in &scenario.services {
        specs.push(dependency_spec(name, dep)?);
    }
    // A database a `disk-full` step fills keeps its data on size-limited storage that outlives it.
    let disk_full = faults::disk::targets(scenario);
    for spec in specs.iter_mut().filter(|s| disk_full.contains(&s.name.as_str())) {
        *spec = faults::disk::limited_storage(&env, spec.clone()).await?;
    }
    // Each database with a `backup` gets a backup container beside it.
    let backup_jobs = faults::backup::jobs(scenario);
    specs.extend(backup_jobs.iter().map(|j| j.sidecar_spec()));
    env.run_all(specs).await?;
    if let Some(ca) = &drill_ca {
        ca.serve_baseline(&env, scenario).await?;
    }
    let mut spec = ContainerSpec::new("service", &service_image).port(scenario.service.port);
    for (k, v) in &scenario.service.env {
        spec = spec.env(k, v.to_string());
    }
    if let (Some(ca), Some(var)) = (&drill_ca, &scenario.service.tls_ca_env) {
        spec = spec.env(var, ca.cert_pem());
    }
    let defect_list: Vec<&'static str> = defects.iter().map(|d| d.as_str()).collect();
    spec = spec.env("DEFECTS", defect_list.join(","));
    if let Some(health) = &scenario.service.health {
        spec = spec.ready(Ready::Http { port: scenario.service.port, path: health.clone() });
    } else {
        spec = spec.ready(Ready::Tcp(scenario.service.port));
    }
    let service = env.run(spec).await.context("starting the service under test")?;
    let service_before = answers::service_state(&service).await.ok();
    let environment_ready = env_started.elapsed();
    say(&format!("service ready after {}", verdict::show_duration(environment_ready)));

    let mut image_infos = Vec::new();
    let names: Vec<String> = scenario.services.keys().cloned().chain(["service".to_string()]).collect();
    for name in names {
        let image = match scenario.services.get(&name) {
            None => service_image.clone(),
            Some(d) if d.mock.is_some() => MOCK_IMAGE.to_string(),
            Some(d) => d.image.clone().unwrap_or_default(),
        };
        let id = env.docker().inspect_image(&image).await.ok().and_then(|i| i.id).unwrap_or_default();
        image_infos.push(ImageInfo { name, image, id });
    }

    let base_url = service.http_url(scenario.service.port, "")?;
    let plan = load_plan(scenario, &base_url);
    let fault_context = faults::Context { ca: drill_ca.clone(), backups: backup_jobs.clone(), ..Default::default() };
    let faults: Vec<(usize, Box<dyn Fault>)> = scenario
        .timeline
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_fault())
        .map(|(i, s)| faults::from_step_in(s, &fault_context).map(|f| (i, f)))
        .collect::<Result<_>>()?;

    // One clock for load, faults and probes: a moment just ahead, so that every task is waiting.
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + scenario.workload.duration;
    let ledger_base = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as u64 * 1000;
    let progress = Arc::new(Progress::default());
    let health_url = scenario.service.health.as_ref().map(|h| format!("{base_url}{h}"));
    let prober = tokio::spawn(probe(health_url, start, end));
    let sampler = scenario.targets.unclear_errors.is_some().then(|| tokio::spawn(answers::Sampler::new(scenario, &plan, ledger_base).run(start, end)));
    say(&format!("load {}/s for {}", plan.rate, verdict::show_duration(plan.duration)));
    let ticker = options.verbose.then(|| tokio::spawn(show_progress(scenario.clone(), progress.clone(), start, end)));
    let load = workload::run_from(&plan, ledger_base, progress, start);
    let timeline = run_timeline(scenario, &faults, &env, start);
    let backups_taken = faults::backup::run_all(&backup_jobs, &env, start, end);
    let (load, records, ()) = tokio::join!(load, timeline, backups_taken);
    if let Some(t) = ticker {
        t.abort();
    }
    let records = records?;
    let (probes, breaker_samples, health_answers) = prober.await?;
    let sampled = match sampler {
        Some(task) => Some(task.await?),
        None => None,
    };

    // Every acknowledged write is read back once the service is healthy again.
    let ledger_path = scenario.workload.mix.iter().find(|r| r.ledger).map(|r| format!("{}/{{id}}", r.path.trim_end_matches('/')));
    let mut present_ids = None;
    let (ledger, ledger_error) = match ledger_path {
        None => (None, None),
        Some(path) => {
            if let Some(h) = &scenario.service.health {
                let _ = service.wait_for_http(scenario.service.port, h, Duration::from_secs(30)).await;
            }
            match ledger::read_back(&base_url, &path, &load.samples).await {
                Ok(present) => {
                    let report = ledger::check(&load.samples, &present);
                    present_ids = Some(present);
                    (Some(report), None)
                }
                Err(e) => (None, Some(format!("{e:#}"))),
            }
        }
    };

    let service_seen = match (&service_before, answers::service_state(&service).await.ok()) {
        (Some(before), Some(after)) => Some(answers::service_seen(before, &after)),
        _ => None,
    };
    let mut fault_notes = BTreeMap::new();
    for (record, (_, fault)) in records.iter().zip(&faults) {
        let notes = fault.notes(&env).await;
        if !notes.is_empty() {
            fault_notes.insert(record.name.clone(), notes);
        }
    }

    let redis_restores = fault_context.rdb_restores.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let backups: Vec<BackupSeen> = backup_jobs.iter().map(|j| restore::seen(j.record(), &load.samples, present_ids.as_ref())).collect();
    // A restore's RTO runs from the moment the restore starts, not from when it has finished.
    let restores_started = backups.iter().filter_map(|b| b.record.restored.as_ref().map(|r| r.started_at));
    // So does the restore of a Redis RDB (its heal).
    let healed = records
        .iter()
        .filter(|r| r.kind != "destroy-database")
        .filter_map(|r| if r.kind == "redis-data-loss" { r.heal_started_at } else { r.healed_at })
        .chain(restores_started)
        .max();
    // And a destroy counts from its first moment: removing the container takes a while.
    let destroys_started = backups.iter().filter_map(|b| b.record.destroyed.as_ref().map(|d| d.started_at));
    let injected = records.iter().filter_map(|r| r.injected_at).chain(destroys_started).min();
    let duration = scenario.workload.duration;
    let stability = scenario.targets.stability.unwrap_or(Duration::from_secs(3));
    let (recovered_at, rto_missing) = match healed {
        Some(h) => match measure::recovery_point(&load.samples, &probes, h, stability, duration) {
            Some(r) => (Some(r), String::new()),
            None => (None, format!("no {} window of clean requests and healthy probes before the load ended", verdict::show_duration(stability))),
        },
        None => (None, "no fault was healed".to_string()),
    };
    let rto = recovered_at.zip(healed).map(|(r, h)| r.saturating_sub(h));
    let phases_timeline = Timeline {
        fault_start: injected.unwrap_or(duration),
        fault_end: healed.unwrap_or(duration),
        recovered_at,
    };
    let phases = measure::by_phase(&load.samples, &phases_timeline);
    let answers_seen = sampled.map(|a| {
        answers::judge(&a, &answers::dependency_words(scenario), injected.unwrap_or(duration), recovered_at.or(healed).unwrap_or(duration))
    });
    // What the mocks saw, on the drill's clock.
    let indexed: Vec<(usize, FaultRecord)> = faults.iter().map(|(i, _)| *i).zip(records.iter().cloned()).collect();
    let mut upstreams = Vec::new();
    let mut breaker = None;
    let mut upstream_error = None;
    let mut cert_faults = Vec::new();
    for (name, dep) in &scenario.services {
        if dep.mock.is_none() {
            continue;
        }
        match read_mock(&env, name, start).await {
            Ok((log, clock)) => {
                let reading = upstream::MockReading {
                    name,
                    log: &log,
                    clock,
                    scenario,
                    records: &indexed,
                    samples: &load.samples,
                    breaker: &breaker_samples,
                    duration,
                };
                upstreams.push(upstream::measure(&reading));
                cert_faults.extend(tls::measure(name, &log, &|ms| clock.drill_time(ms), scenario, &indexed, &health_answers));
                // The breaker guards the upstream the faults are aimed at (else the first mock).
                let aimed = scenario.faults().any(|f| f.is_upstream_fault() && f.service() == Some(name.as_str()));
                if !breaker_samples.is_empty() && (breaker.is_none() || aimed) {
                    breaker = Some(upstream::breaker(&breaker_samples, name, &log, &clock));
                }
            }
            Err(e) => upstream_error = Some(format!("{e:#}")),
        }
    }
    let empty_ledger = LedgerReport::default();
    let verdict = verdict::judge(
        scenario,
        &verdict::Measured {
            rto,
            rto_missing: &rto_missing,
            phases: &phases,
            ledger: ledger.as_ref().unwrap_or(&empty_ledger),
            ledger_error: ledger_error.as_deref(),
            had_fault: injected.is_some(),
            upstreams: &upstreams,
            upstream_error: upstream_error.as_deref(),
            breaker: breaker.as_ref(),
            cert_faults: &cert_faults,
            backups: &backups,
            service: service_seen.as_ref(),
            answers: answers_seen.as_ref(),
            redis_restores: &redis_restores,
        },
    );
    let series = measure::series(&load.samples, SERIES_INTERVAL, duration);
    let max_send_lag = load.samples.iter().map(|s| s.send_lag).max().unwrap_or_default();
    let achieved_rate = load.achieved_rate();
    let requests_sent = load.samples.len() as u64;
    let run_id = env.run_id().to_string();
    env.shutdown().await?;
    say(if verdict.passed { "PASS" } else { "FAIL" });

    Ok(DrillResult {
        schema_version: 1,
        run_id,
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            path: scenario.path.display().to_string(),
            description: scenario.description.trim().to_string(),
        },
        started_at,
        compression: scenario.compression,
        defects: defect_list,
        images: image_infos,
        faults: records,
        timings: Timings { environment_ready, total: begun.elapsed() },
        measured: Measurements { rto, recovered_at, phases, ledger, ledger_error, requests_sent, achieved_rate, max_send_lag, upstreams, upstream_error, breaker, cert_faults, backups, service: service_seen, answers: answers_seen, redis_restores, fault_notes },
        definitions: measure::DEFINITIONS.iter().chain(upstream::DEFINITIONS).chain(tls::DEFINITIONS).chain(if backup_jobs.is_empty() { &[][..] } else { restore::DEFINITIONS }).chain(answers::DEFINITIONS).copied().collect(),
        targets: scenario.targets.clone(),
        verdict,
        series,
        probes,
    })
}

/// A mock's whole request log, and its clock against the drill's.
async fn read_mock(env: &Environment, name: &str, start: Instant) -> Result<(crate::upstream::RequestLog, upstream::ClockOffset)> {
    let mock = env.container(name).ok_or_else(|| anyhow!("mock `{name}` is gone"))?;
    let client = crate::upstream::UpstreamClient::new(mock.http_url(MOCK_ADMIN_PORT, "")?);
    let clock = upstream::ClockOffset::measure(&client, start).await.with_context(|| format!("aligning the clock of mock `{name}`"))?;
    let log = client.log().await.with_context(|| format!("reading the request log of mock `{name}`"))?;
    Ok((log, clock))
}

fn dependency_spec(name: &str, dep: &crate::scenario::Dependency) -> Result<ContainerSpec> {
    if dep.mock.is_some() {
        return Ok(ContainerSpec::new(name, MOCK_IMAGE)
            .port(MOCK_PORT)
            .port(MOCK_ADMIN_PORT)
            .stop_signal("SIGTERM")
            .ready(Ready::Log("firedrill mock: serving".into())));
    }
    let image = dep.image.clone().ok_or_else(|| anyhow!("service `{name}` needs an image or `mock: {{}}`"))?;
    let mut spec = ContainerSpec::new(name, &image);
    spec = match dep.kind() {
        DependencyKind::Postgres => spec
            .port(5432)
            .ready(Ready::Log("database system is ready to accept connections".into()))
            .ready(Ready::Tcp(5432)),
        DependencyKind::Redis => spec.port(6379).ready(Ready::Log("Ready to accept connections".into())).ready(Ready::Tcp(6379)),
        DependencyKind::OtherImage | DependencyKind::Mock => spec,
    };
    for (k, v) in &dep.env {
        spec = spec.env(k, v.to_string());
    }
    Ok(spec)
}

fn load_plan(scenario: &Scenario, base_url: &str) -> LoadPlan {
    let w = &scenario.workload;
    LoadPlan {
        base_url: base_url.to_string(),
        rate: w.rate.per_second,
        duration: w.duration,
        timeout: w.timeout,
        id_space: w.id_space,
        mix: w
            .mix
            .iter()
            .map(|r| RequestTemplate {
                name: r.name.clone(),
                method: reqwest::Method::from_bytes(r.method.as_str().as_bytes()).expect("HTTP method"),
                path: r.path.clone(),
                body: r.body.clone(),
                weight: r.weight,
                ledger: r.ledger,
            })
            .collect(),
    }
}

/// Injects and heals the faults at their offsets from `start`; returns when each was in place.
async fn run_timeline(scenario: &Scenario, faults: &[(usize, Box<dyn Fault>)], env: &Environment, start: Instant) -> Result<Vec<FaultRecord>> {
    // (offset, fault index in `faults`, inject?)
    let mut actions: Vec<(Duration, usize, bool)> = Vec::new();
    for (k, (step_index, _)) in faults.iter().enumerate() {
        let step = &scenario.timeline[*step_index];
        actions.push((step.at(), k, true));
        if let Some(end) = scenario.fault_end(*step_index) {
            actions.push((end, k, false));
        }
    }
    actions.sort_by_key(|(t, _, inject)| (*t, *inject));
    let mut records: Vec<FaultRecord> = faults
        .iter()
        .map(|(i, f)| {
            let step: &Step = &scenario.timeline[*i];
            FaultRecord { name: step.name().to_string(), kind: step.kind(), what: f.describe(), injected_at: None, heal_started_at: None, healed_at: None }
        })
        .collect();
    for (at, k, inject) in actions {
        tokio::time::sleep_until(start + at).await;
        let fault = &faults[k].1;
        if inject {
            fault.inject(env).await.with_context(|| format!("injecting {}", records[k].name))?;
            records[k].injected_at = Some(start.elapsed());
        } else {
            records[k].heal_started_at = Some(start.elapsed());
            fault.heal(env).await.with_context(|| format!("healing {}", records[k].name))?;
            records[k].healed_at = Some(start.elapsed());
        }
    }
    Ok(records)
}

/// Probes the health URL every [`PROBE_EVERY`] from `start` to `end`. A probe that does not
/// answer 200 within the interval counts as unhealthy. Answers whose JSON carries the supplier
/// breaker (`supplier.breaker`) are kept as breaker samples too, answered 200 or not; every
/// answer is kept as whether it names a certificate problem.
async fn probe(url: Option<String>, start: Instant, end: Instant) -> (Vec<Probe>, Vec<upstream::BreakerSample>, Vec<tls::HealthAnswer>) {
    let Some(url) = url else { return (Vec::new(), Vec::new(), Vec::new()) };
    let client = workload::client(PROBE_EVERY * 5);
    let (mut probes, mut breaker, mut answers) = (Vec::new(), Vec::new(), Vec::new());
    let mut next = start;
    while next < end {
        tokio::time::sleep_until(next).await;
        let at = next.saturating_duration_since(start);
        let sent = start.elapsed();
        let answer = tokio::time::timeout(PROBE_EVERY * 5, async {
            let r = client.get(&url).send().await?;
            let status = r.status().as_u16();
            Ok::<_, reqwest::Error>((status, r.bytes().await?))
        })
        .await;
        let healthy = matches!(&answer, Ok(Ok((200, _))));
        if let Ok(Ok((_, body))) = &answer {
            breaker.extend(upstream::BreakerSample::from_health(body, sent, start.elapsed()));
            answers.push(tls::HealthAnswer::from_body(body, sent, start.elapsed()));
        }
        probes.push(Probe { at, healthy });
        next += PROBE_EVERY;
        // A hanging probe must not bunch the next ones up.
        let now = Instant::now();
        while next < now {
            next += PROBE_EVERY;
        }
    }
    (probes, breaker, answers)
}

/// One line a second on stderr while the load runs: the planned phase, answers and errors in
/// the last second, totals.
async fn show_progress(scenario: Scenario, progress: Arc<Progress>, start: Instant, end: Instant) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut next = start + Duration::from_secs(1);
    let (mut done_before, mut errors_before) = (0, 0);
    while next <= end {
        tokio::time::sleep_until(next).await;
        let (done, errors) = (progress.done.load(Relaxed), progress.errors.load(Relaxed));
        let t = next.saturating_duration_since(start);
        eprintln!(
            "firedrill run: {}: {:>5.1} s {:<6} {:>5} answers/s {:>5} errors/s  (total {} sent, {} errors)",
            scenario.name,
            t.as_secs_f64(),
            format!("{:?}", scenario.phase_at(t)).to_lowercase(),
            done - done_before,
            errors - errors_before,
            progress.sent.load(Relaxed),
            errors
        );
        (done_before, errors_before) = (done, errors);
        next += Duration::from_secs(1);
    }
}

/// Where a run's results go by default: `reports/<UTC timestamp>/`, one folder per drill in it.
pub fn default_out_dir() -> PathBuf {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    Path::new("reports").join(stamp)
}
