//! The certificate-expiry drill end to end, against real containers and real TLS: it passes on the
//! reference service and fails on `invalid_cert_accepted` with `accept-invalid-certs` on; and
//! `firedrill certs check` reports a drill mock's certificate that expires in days. Needs the
//! reference-service binary next to this test (scripts/test builds it).

mod common;
use common::leftovers;

use std::process::Command;
use std::time::Duration;

use firedrill::drill::{self, DrillResult, RunOptions, MOCK_ADMIN_PORT, MOCK_IMAGE, MOCK_PORT};
use firedrill::environment::{ContainerSpec, Environment, Ready};
use firedrill::faults::DrillCa;
use firedrill::scenario::{Defect, Scenario};
use firedrill::upstream::Validity;

/// Drills are timing measurements: two at once on a small machine would measure each other.
static ONE_DRILL_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SCENARIO: &str = "scenarios/cert-expiry.yaml";

async fn run(defects: &[Defect]) -> DrillResult {
    let _turn = ONE_DRILL_AT_A_TIME.lock().await;
    let scenario = Scenario::load(SCENARIO).expect("scenario");
    let options = RunOptions {
        defects: defects.to_vec(),
        ..RunOptions::default()
    };
    let result = drill::run(&scenario, &options).await.expect("drill runs");
    assert_eq!(
        leftovers(&result.run_id),
        Vec::<String>::new(),
        "left behind by run {}",
        result.run_id
    );
    for c in &result.verdict.checks {
        eprintln!(
            "{SCENARIO} {defects:?}: {} ({}) {}",
            c.target, c.expected, c.measured
        );
    }
    eprintln!(
        "{SCENARIO} {defects:?}: total {:?}, cert fault {:?}",
        result.timings.total, result.measured.cert_faults
    );
    result
}

fn missed(result: &DrillResult) -> Vec<&str> {
    result
        .verdict
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.target.as_str())
        .collect()
}

fn cert_fault(result: &DrillResult) -> &drill::CertFaultSeen {
    let [f] = &result.measured.cert_faults[..] else {
        panic!(
            "one cert-expired fault, got {:?}",
            result.measured.cert_faults
        )
    };
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cert_expiry_passes_on_the_reference_service() {
    let result = run(&[]).await;
    assert!(
        result.verdict.passed,
        "missed: {:?}",
        result.verdict.failures()
    );
    let f = cert_fault(&result);
    assert_eq!(f.accepted, 0);
    // The service did try, and refused: the fault was exercised, the breaker's probes included.
    assert!(f.refused_handshakes >= 3, "{f:?}");
    // Health named the cause during the fault, and calls went through again after the renewal.
    assert!(
        f.health_said
            .as_deref()
            .is_some_and(|s| s.to_lowercase().contains("expired")),
        "{f:?}"
    );
    assert!(
        f.resume.is_some_and(|r| r < Duration::from_secs(2)),
        "{f:?}"
    );
    // Before the fault the job called the supplier over the valid certificate.
    let supplier = result
        .measured
        .upstreams
        .iter()
        .find(|u| u.name == "supplier")
        .expect("supplier measured");
    assert!(
        supplier.completed >= 20,
        "the job hardly called the supplier: {supplier:?}"
    );
    // Reads kept being served throughout.
    let during = &result.measured.phases.during;
    assert!(during.requests > 200 && during.errors == 0, "{during:?}");
    assert!(
        result.timings.total < Duration::from_secs(40),
        "the drill took {:?}",
        result.timings.total
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cert_expiry_fails_when_invalid_certificates_are_accepted() {
    let result = run(&[Defect::AcceptInvalidCerts]).await;
    assert!(
        !result.verdict.passed,
        "the negative control passed: the drill cannot see calls over an expired certificate"
    );
    let missed = missed(&result);
    assert!(
        missed.contains(&"invalid_cert_accepted"),
        "failed for another reason: {:?}",
        result.verdict.failures()
    );
    let f = cert_fault(&result);
    assert!(
        f.accepted >= 20 && f.accepted_completed == f.accepted,
        "{f:?}"
    );
    assert_eq!(f.refused_handshakes, 0, "{f:?}");
    // Nothing was refused, so health had nothing to name.
    assert!(
        missed.contains(&"health_names_cause.cert-expired"),
        "{missed:?}"
    );
    // The API and the resumption are not what this defect breaks.
    assert!(
        !missed
            .iter()
            .any(|m| m.starts_with("error_rate") || m.starts_with("upstream_resume")),
        "{missed:?}"
    );
    assert_eq!(result.defects, vec!["accept-invalid-certs"]);
}

fn certs_check(url: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["certs", "check", url, "--min-days", "30"])
        .output()
        .expect("firedrill runs");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The go-live check against a drill's own mock: a certificate from the drill's CA that expires
/// in 5 days is reported inside `--min-days 30` over the mock's https URL; a renewed one is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certs_check_reports_a_drill_mock_certificate_expiring_in_days() {
    let _turn = ONE_DRILL_AT_A_TIME.lock().await;
    let firedrill = std::path::PathBuf::from(env!("CARGO_BIN_EXE_firedrill"));
    tokio::task::spawn_blocking(move || drill::package_mock(&firedrill))
        .await
        .unwrap()
        .expect("mock image");
    let env = Environment::start().await.expect("environment");
    let mock = env
        .run(
            ContainerSpec::new("supplier", MOCK_IMAGE)
                .port(MOCK_PORT)
                .port(MOCK_ADMIN_PORT)
                .stop_signal("SIGTERM")
                .ready(Ready::Log("firedrill mock: serving".into())),
        )
        .await
        .expect("mock starts");
    let ca = DrillCa::new().unwrap();
    let url = format!("https://127.0.0.1:{}", mock.host_port(MOCK_PORT).unwrap());

    ca.serve(&env, "supplier", Validity::expires_in_days(5), "expiring")
        .await
        .unwrap();
    let (code, text) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || certs_check(&url)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("(chain #1)") && text.contains("CN=supplier"),
        "{text}"
    );
    assert!(
        text.contains("expires in 4 days (< 30)") || text.contains("expires in 5 days (< 30)"),
        "{text}"
    );

    ca.serve(&env, "supplier", Validity::Valid, "renewed")
        .await
        .unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || certs_check(&url))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{text}");

    let run_id = env.run_id().to_string();
    env.shutdown().await.unwrap();
    assert_eq!(leftovers(&run_id), Vec::<String>::new());
}
