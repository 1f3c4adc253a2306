//! The drills about data, end to end against real containers: disk-full (the data volume fills,
//! Postgres PANICs, the clean-up brings it back), backup-restore (scheduled dumps, the database
//! destroyed, the latest verified dump restored) and redis-restore (an RDB backup put back).
//! Each passes on the reference service and fails for its own reason on a negative control:
//! `async-commit` loses acknowledged writes on a full disk; plain-SQL dumps (what
//! `pg_dump db > backup.sql` writes) never verify, so there is nothing to restore; an RDB copied
//! into a running Redis is overwritten when it restarts. Needs the reference-service binary next
//! to this test (scripts/test builds it).

mod common;
use common::leftovers;

use firedrill::drill::{self, DrillResult, RunOptions};
use firedrill::scenario::{Defect, DumpFormat, RdbRestore, Scenario, Step};

/// Drills are timing measurements: two at once on a small machine would measure each other.
static ONE_DRILL_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run(scenario: Scenario, defects: &[Defect]) -> DrillResult {
    let _turn = ONE_DRILL_AT_A_TIME.lock().await;
    let options = RunOptions { defects: defects.to_vec(), ..RunOptions::default() };
    let result = drill::run(&scenario, &options).await.expect("drill runs");
    assert_eq!(leftovers(&result.run_id), Vec::<String>::new(), "left behind by run {}", result.run_id);
    for c in &result.verdict.checks {
        eprintln!("{} {defects:?}: {} ({}) {} {}", scenario.name, c.target, c.expected, c.measured, c.passed);
    }
    result
}

fn missed(result: &DrillResult) -> Vec<&str> {
    result.verdict.checks.iter().filter(|c| !c.passed).map(|c| c.target.as_str()).collect()
}

fn load(path: &str) -> Scenario {
    Scenario::load(path).expect("scenario")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disk_full_passes_on_the_reference_service() {
    let result = run(load("scenarios/disk-full.yaml"), &[]).await;
    assert!(result.verdict.passed, "missed: {:?}", result.verdict.failures());
    // The fault bit: writes were refused while the disk was full, and Postgres went down.
    let ledger = result.measured.ledger.as_ref().expect("ledger read back");
    assert_eq!(ledger.lost, 0, "{ledger:?}");
    assert!(ledger.rejected > 50, "hardly any write was refused: the disk never filled? {ledger:?}");
    let answers = result.measured.answers.as_ref().expect("error answers sampled");
    assert!(answers.errors > 10 && answers.unclear == 0, "{answers:?}");
    let notes = result.measured.fault_notes.values().flatten().cloned().collect::<Vec<_>>().join("\n");
    assert!(notes.contains("No space left on device"), "the database never said its disk was full:\n{notes}");
    let service = result.measured.service.as_ref().expect("service state");
    assert_eq!((service.crashes, service.restarts, service.running_at_end), (0, 0, true), "{service:?}");
}

/// With `synchronous_commit = off` the service acknowledges commits whose WAL is not written yet;
/// the PANIC on the full disk loses them. The fault is timed just after a WAL-writer flush (see
/// the scenario), so that a whole cycle of acknowledged commits is at risk.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disk_full_fails_when_commits_are_acknowledged_before_they_are_durable() {
    let result = run(load("scenarios/disk-full.yaml"), &[Defect::AsyncCommit]).await;
    assert!(!result.verdict.passed, "the negative control passed: the drill cannot see acknowledged writes lost");
    let missed = missed(&result);
    assert!(missed.contains(&"lost_writes"), "failed for another reason: {:?}", result.verdict.failures());
    assert!(result.measured.ledger.as_ref().is_some_and(|l| l.lost > 0));
    // Losing data is the defect; answering and recovering are not.
    assert!(!missed.iter().any(|m| matches!(*m, "rto" | "unclear_errors" | "service_crashes")), "{missed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_restore_passes_and_loses_exactly_the_writes_after_the_snapshot() {
    let result = run(load("scenarios/backup-restore.yaml"), &[]).await;
    assert!(result.verdict.passed, "missed: {:?}", result.verdict.failures());
    let [backup] = &result.measured.backups[..] else { panic!("one backed-up database: {:?}", result.measured.backups) };
    let consistency = backup.consistency.as_ref().expect("consistency measured");
    assert!(consistency.consistent, "{consistency:?}");
    // Something was at stake on both sides of the snapshot: kept before it, lost after it.
    assert!(consistency.before_snapshot.acknowledged > 100 && consistency.before_snapshot.missing == 0, "{consistency:?}");
    assert!(consistency.after_snapshot.acknowledged > 0 && consistency.after_snapshot.present == 0, "{consistency:?}");
    assert!(consistency.after_destroy.acknowledged > 0 && consistency.after_destroy.missing == 0, "{consistency:?}");
    let ledger = result.measured.ledger.as_ref().expect("ledger read back");
    assert_eq!(ledger.lost, consistency.after_snapshot.missing + consistency.across_snapshot.missing, "{ledger:?} {consistency:?}");
    let rpo = backup.rpo.expect("rpo measured");
    assert!(rpo > std::time::Duration::ZERO && rpo < std::time::Duration::from_secs(5), "{rpo:?}");
}

/// The runbook's `pg_dump shop > backup.sql`: a plain script `pg_restore` cannot read. Every dump
/// fails its verification, so the disaster has nothing to restore from.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_restore_fails_when_the_dumps_are_plain_sql() {
    let mut scenario = load("scenarios/backup-restore.yaml");
    scenario.services.get_mut("db").and_then(|d| d.backup.as_mut()).expect("db has a backup").format = DumpFormat::Plain;
    let result = run(scenario, &[]).await;
    assert!(!result.verdict.passed, "the negative control passed: the drill cannot see a backup that does not restore");
    let missed = missed(&result);
    assert!(missed.contains(&"rpo") && missed.contains(&"rto"), "failed for another reason: {:?}", result.verdict.failures());
    let rpo = result.verdict.checks.iter().find(|c| c.target == "rpo").expect("rpo check");
    assert!(rpo.measured.contains("none verified"), "{}", rpo.measured);
}

fn redis_restore(method: RdbRestore) -> Scenario {
    let mut scenario = load("scenarios/redis-restore.yaml");
    for step in &mut scenario.timeline {
        if let Step::RedisDataLoss(loss) = step {
            loss.restore = method;
        }
    }
    scenario
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_rdb_restored_stopped_brings_every_saved_key_back() {
    let result = run(redis_restore(RdbRestore::StopCopyStart), &[]).await;
    assert!(result.verdict.passed, "missed: {:?}", result.verdict.failures());
    let [r] = &result.measured.redis_restores[..] else { panic!("one restore: {:?}", result.measured.redis_restores) };
    assert_eq!((r.keys_saved, r.keys_after_loss, r.keys_restored), (1000, 0, 1000), "{r:?}");
    assert!(r.backup_bytes > 1000, "{r:?}");
}

/// "Copy dump.rdb into /data and restart Redis": Redis saves its own, empty, dataset over the
/// copy on shutdown and loads that. The data shows it: none of the saved keys come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_rdb_copied_into_the_running_server_is_overwritten() {
    let result = run(redis_restore(RdbRestore::CopyIntoRunning), &[]).await;
    assert!(!result.verdict.passed, "the negative control passed: the drill cannot see a restore that restored nothing");
    assert_eq!(missed(&result), vec!["rdb_keys_lost"], "failed for another reason: {:?}", result.verdict.failures());
    let [r] = &result.measured.redis_restores[..] else { panic!("one restore: {:?}", result.measured.redis_restores) };
    assert_eq!((r.keys_saved, r.keys_restored), (1000, 0), "{r:?}");
}
