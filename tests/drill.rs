//! The database-outage drill end to end, against real containers: it passes on the reference
//! service and fails, for the right reason, with the `no-db-timeout` defect switched on (the
//! negative control that proves the drill can fail). Needs the reference-service binary, which
//! `cargo test --workspace` (scripts/test) builds next to this test.

use std::process::Command;

mod common;
use common::{labelled, leftovers};

use firedrill::drill::{self, RunOptions};
use firedrill::scenario::{Defect, Scenario};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn db_outage_passes_on_the_reference_service() {
    let scenario = Scenario::load("scenarios/db-outage.yaml").expect("scenario");
    let result = drill::run(&scenario, &RunOptions::default()).await.expect("drill runs");
    assert!(result.verdict.passed, "missed: {:?}", result.verdict.failures());
    let ledger = result.measured.ledger.as_ref().expect("ledger read back");
    assert!(ledger.acknowledged > 100, "too few acknowledged writes to mean anything: {ledger:?}");
    assert_eq!(ledger.lost, 0);
    assert!(result.measured.phases.during.requests > 0, "no request fell in the fault window");
    assert!(result.faults.iter().all(|f| f.injected_at.is_some() && f.healed_at.is_some()));
    assert!(result.measured.rto.is_some());
    // The service reached the supplier mock by its DNS name on the drill network.
    let supplier = result.measured.upstreams.iter().find(|u| u.name == "supplier").expect("supplier mock");
    assert!(supplier.completed > 0, "the supplier mock saw no request: {supplier:?}");
    // The environment is gone with the drill.
    assert_eq!(leftovers(&result.run_id), Vec::<String>::new(), "left behind by run {}", result.run_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn db_outage_fails_without_a_database_timeout() {
    let scenario = Scenario::load("scenarios/db-outage.yaml").expect("scenario");
    let options = RunOptions { defects: vec![Defect::NoDbTimeout], ..RunOptions::default() };
    let result = drill::run(&scenario, &options).await.expect("drill runs");
    assert!(!result.verdict.passed, "the negative control passed: the drill cannot tell a hanging service");
    let missed: Vec<&str> = result.verdict.checks.iter().filter(|c| !c.passed).map(|c| c.target.as_str()).collect();
    assert!(missed.contains(&"latency.during.p99"), "failed for another reason: {:?}", result.verdict.failures());
    assert_eq!(result.defects, vec!["no-db-timeout"]);
    assert_eq!(leftovers(&result.run_id), Vec::<String>::new(), "left behind by run {}", result.run_id);
}


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_killed_mid_run_is_swept_by_the_next_start() {
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["run", "scenarios/db-outage.yaml", "--out"])
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("firedrill run");
    let pid = child.id();
    // Wait until the drill is running: the service under test is up.
    // Generous: on a fresh machine the images are built first (one to three minutes).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let service_up = || {
        let out = Command::new("docker")
            .args(["ps", "--filter", &format!("label=firedrill.owner-pid={pid}"), "--filter", "label=firedrill.service=service", "-q"])
            .output()
            .expect("docker ps");
        !out.stdout.is_empty()
    };
    while !service_up() {
        assert!(std::time::Instant::now() < deadline, "the drill never started its service");
        assert!(child.try_wait().unwrap().is_none(), "the drill exited before it was killed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    // SIGKILL gives no chance to clean up: the containers are still there...
    assert!(!labelled(&format!("firedrill.owner-pid={pid}")).is_empty(), "nothing was left to sweep; the test proves nothing");
    // ...until the next environment starts and sweeps what dead owners left.
    let env = firedrill::environment::Environment::start().await.expect("environment");
    env.shutdown().await.unwrap();
    assert_eq!(labelled(&format!("firedrill.owner-pid={pid}")), Vec::<String>::new(), "left behind by the killed drill");
}
