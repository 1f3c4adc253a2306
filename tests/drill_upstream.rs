//! The 429-storm and Redis-outage drills end to end, against real containers: each passes on the
//! reference service and fails, on the target that names its resilience path, with that path's
//! defect switched on. Needs the reference-service binary next to this test (scripts/test builds it).

mod common;
use common::leftovers;

use firedrill::drill::{self, DrillResult, RunOptions};
use firedrill::scenario::{Defect, Scenario};

/// Drills are timing measurements: two at once on a small machine would measure each other.
static ONE_DRILL_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run(path: &str, defects: &[Defect]) -> DrillResult {
    let _turn = ONE_DRILL_AT_A_TIME.lock().await;
    let scenario = Scenario::load(path).expect("scenario");
    let options = RunOptions { defects: defects.to_vec(), ..RunOptions::default() };
    let result = drill::run(&scenario, &options).await.expect("drill runs");
    assert_eq!(leftovers(&result.run_id), Vec::<String>::new(), "left behind by run {}", result.run_id);
    for c in &result.verdict.checks {
        eprintln!("{} {:?}: {} ({}) {}", path, defects, c.target, c.expected, c.measured);
    }
    result
}


fn missed(result: &DrillResult) -> Vec<&str> {
    result.verdict.checks.iter().filter(|c| !c.passed).map(|c| c.target.as_str()).collect()
}

fn supplier(result: &DrillResult) -> &drill::UpstreamSeen {
    result.measured.upstreams.iter().find(|u| u.name == "supplier").expect("supplier mock measured")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_429_passes_on_the_reference_service() {
    let result = run("scenarios/upstream-429.yaml", &[]).await;
    assert!(result.verdict.passed, "missed: {:?}", result.verdict.failures());
    let s = supplier(&result);
    let baseline = s.baseline.expect("baseline").per_second;
    assert!(baseline > 15.0, "the job did not run at its configured 20/s before the storm: {baseline}/s");
    let [storm, outage] = &s.faults[..] else { panic!("two upstream faults, got {:?}", s.faults) };
    assert_eq!((storm.fault.as_str(), outage.fault.as_str()), ("storm", "outage"));
    assert!(storm.failed_calls >= 3 && outage.failed_calls >= 3, "the windows were hardly exercised: {storm:?} {outage:?}");
    assert_eq!(s.retry_after_violations, 0);
    // The breaker opened in both windows and let nothing through while open.
    let breaker = result.measured.breaker.as_ref().expect("breaker timeline");
    assert!(breaker.open_periods >= 2, "{breaker:?}");
    assert_eq!(breaker.calls_while_open, 0);
    // Reads kept being served through both windows.
    assert!(storm.api.requests > 100 && storm.api.errors == 0, "{:?}", storm.api);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_429_fails_when_retry_after_is_ignored() {
    let result = run("scenarios/upstream-429.yaml", &[Defect::IgnoreRetryAfter]).await;
    assert!(!result.verdict.passed, "the negative control passed: the drill cannot see early calls");
    assert!(missed(&result).contains(&"retry_after_violations"), "failed for another reason: {:?}", result.verdict.failures());
    assert!(supplier(&result).retry_after_violations > 0);
    assert_eq!(result.defects, vec!["ignore-retry-after"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_429_fails_without_a_circuit_breaker() {
    let result = run("scenarios/upstream-429.yaml", &[Defect::NoCircuitBreaker]).await;
    assert!(!result.verdict.passed, "the negative control passed: the drill cannot see a missing breaker");
    let missed = missed(&result);
    // From the supplier's side: the job kept calling a failing supplier at its full rate.
    assert!(missed.contains(&"upstream_rate_drop.outage"), "failed for another reason: {:?}", result.verdict.failures());
    assert!(missed.contains(&"breaker_opens.outage"), "{:?}", result.verdict.failures());
    // Retry-After alone slows a 429 storm down: that part still passes without a breaker.
    assert!(!missed.contains(&"upstream_rate_drop.storm") && !missed.contains(&"retry_after_violations"), "{missed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_outage_passes_on_the_reference_service() {
    let result = run("scenarios/redis-outage.yaml", &[]).await;
    assert!(result.verdict.passed, "missed: {:?}", result.verdict.failures());
    assert!(result.measured.phases.during.requests > 500, "too few requests in the outage: {:?}", result.measured.phases.during);
    // Health said degraded while Redis was frozen: the outage was real.
    let fault = &result.faults[0];
    let (from, to) = (fault.injected_at.unwrap(), fault.healed_at.unwrap());
    assert!(result.probes.iter().any(|p| p.at > from && p.at < to && !p.healthy), "health never noticed the frozen Redis");
    assert_eq!(result.measured.ledger.as_ref().expect("ledger").lost, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_outage_fails_without_the_postgres_fallback() {
    let result = run("scenarios/redis-outage.yaml", &[Defect::NoCacheFallback]).await;
    assert!(!result.verdict.passed, "the negative control passed: the drill cannot see reads failing with the cache");
    assert!(missed(&result).contains(&"error_rate.during"), "failed for another reason: {:?}", result.verdict.failures());
    assert_eq!(result.defects, vec!["no-cache-fallback"]);
}
