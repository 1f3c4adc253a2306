//! Scenario files: the bundled ones validate, each bad fixture gives its file:line:column message
//! (insta snapshots), the JSON Schema covers the format, and `firedrill validate` exits right.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use firedrill::scenario::{Phase, Scenario, ScenarioError, Step};

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

fn firedrill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .output()
        .expect("run firedrill")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn bundled_scenarios_validate() {
    let files = yaml_files("scenarios");
    assert!(!files.is_empty());
    for file in files {
        if let Err(e) = Scenario::load(&file) {
            panic!("{e}");
        }
    }
}

#[test]
fn bad_fixtures_give_positioned_messages() {
    let files = yaml_files("fixtures/scenarios");
    assert!(files.len() >= 20, "{files:?}");
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let err = match Scenario::load(&file) {
            Ok(_) => panic!("{} should be invalid", file.display()),
            Err(e) => e,
        };
        assert!(!err.is_io(), "{err}");
        let text = err.to_string();
        let bytes = std::fs::read(&file).unwrap();
        let lines = bytes.split(|&b| b == b'\n').count();
        for (line, d) in text.lines().zip(err.diagnostics()) {
            assert!(line.starts_with(&format!("{}:", file.display())), "{line}");
            if stem != "empty" {
                let pos = d.pos.unwrap_or_else(|| panic!("no position: {line}"));
                assert!(
                    pos.line >= 1 && pos.line <= lines && pos.column >= 1,
                    "{line}"
                );
            }
        }
        insta::assert_snapshot!(format!("invalid-{stem}"), text);
    }
}

#[test]
fn phases_of_the_db_outage() {
    let s = Scenario::load("scenarios/db-outage.yaml").unwrap();
    assert_eq!(s.compression, 60.0);
    assert_eq!(s.path, Path::new("scenarios/db-outage.yaml"));
    let secs = Duration::from_secs;
    assert_eq!(s.phase_at(Duration::ZERO), Phase::Before);
    assert_eq!(s.phase_at(Duration::from_millis(9999)), Phase::Before);
    assert_eq!(s.phase_at(secs(10)), Phase::During);
    assert_eq!(s.phase_at(Duration::from_millis(17_999)), Phase::During);
    assert_eq!(s.phase_at(secs(18)), Phase::After);
    assert_eq!(
        s.phases(),
        vec![
            (Phase::Before, secs(0)..secs(10)),
            (Phase::During, secs(10)..secs(18)),
            (Phase::After, secs(18)..secs(30))
        ]
    );
    assert_eq!(s.recovery_start(), Some(secs(18)));
    assert_eq!(s.workload.rate.per_second, 100.0);
    let reads: u32 = s
        .workload
        .mix
        .iter()
        .filter(|r| !r.ledger)
        .map(|r| r.weight)
        .sum();
    assert_eq!(reads, 80);
    assert!(s
        .workload
        .mix
        .iter()
        .any(|r| r.ledger && r.body.as_deref().unwrap().contains("{id}")));
    let rto = s.targets.rto.unwrap();
    assert!(rto.holds(secs(5)) && !rto.holds(Duration::from_millis(5001)));
    assert_eq!(s.targets.stability, Some(secs(3)));
    assert_eq!(s.targets.lost_writes, Some(0));
    assert_eq!(
        s.targets
            .latency
            .before
            .as_ref()
            .unwrap()
            .p99
            .unwrap()
            .to_string(),
        "< 250ms"
    );
}

#[test]
fn round_trips_through_yaml() {
    let s = Scenario::load("scenarios/db-outage.yaml").unwrap();
    let text = yaml_serde::to_string(&s).unwrap();
    let back = Scenario::from_str(&text, "scenarios/db-outage.yaml")
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, s);
    let s = Scenario::from_str(OTHER_KINDS, "inline.yaml").unwrap();
    let text = yaml_serde::to_string(&s).unwrap();
    let back = Scenario::from_str(&text, "inline.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, s);
}

const OTHER_KINDS: &str = r#"
name: everything
compression: 60
services:
  db: {image: "postgres:16", backup: {every: 5s, format: tar}}
  cache:
    image: firedrill/redis:7
  supplier:
    mock: {}
    tls: true
service:
  command: ["python3", "app.py"]
  port: 5000
  defects: [ignore-retry-after, no-circuit-breaker]
workload:
  rate: 60/min
  duration: 2m
  timeout: 1s
  mix:
    - {name: sync, weight: 1, method: PUT, path: "/orders/{id}", ledger: true}
timeline:
  - kind: upstream-429
    service: supplier
    retry_after: 2s
    at: 10s
    for: 10s
  - kind: cert-expired
    id: expiry
    service: supplier
    at: 30s
  - kind: heal
    fault: expiry
    at: 40s
  - kind: redis-outage
    service: cache
    mode: paused
    at: 45s
    for: 5s
  - kind: destroy-database
    service: db
    at: 60s
  - kind: restore
    service: db
    at: 65s
  - kind: redis-data-loss
    service: cache
    at: 70s
    for: 5s
    restore: copy-into-running
targets:
  rto: "<= 10s"
  rpo: 5s
  stability: 3s
  error_rate:
    during: "> 0%"
  retry_after_violations: 0
  upstream_rate_drop: ">= 50%"
  breaker_opens: true
  invalid_cert_accepted: 0
claims:
  - file: runbooks/proveedor.md
    subject: Reintentos proveedor
"#;

#[test]
fn every_step_kind_parses_and_ends() {
    let s = Scenario::from_str(OTHER_KINDS, "inline.yaml").unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&str> = s.timeline.iter().map(Step::kind).collect();
    assert_eq!(
        kinds,
        [
            "upstream-429",
            "cert-expired",
            "heal",
            "redis-outage",
            "destroy-database",
            "restore",
            "redis-data-loss"
        ]
    );
    let secs = Duration::from_secs;
    assert_eq!(s.fault_end(0), Some(secs(20)));
    assert_eq!(s.fault_end(1), Some(secs(40)), "healed by id");
    assert_eq!(s.fault_end(4), Some(secs(65)), "restored");
    assert_eq!(s.fault_end(2), None, "a heal step is no fault");
    assert_eq!(s.fault_end(6), Some(secs(75)), "restored after its `for`");
    assert_eq!(s.recovery_start(), Some(secs(75)));
    assert_eq!(s.phase_at(secs(30)), Phase::During);
    assert_eq!(s.phase_at(secs(66)), Phase::During, "the Redis restore is still to come");
    assert_eq!(s.phase_at(secs(76)), Phase::After);
    assert_eq!(s.workload.rate.per_second, 1.0);
    assert!(s
        .targets
        .upstream_rate_drop
        .unwrap()
        .holds(firedrill::units::Percent(50.0)));
}

#[test]
fn a_fault_healed_by_an_unknown_name_is_reported_where_it_is_named() {
    let text = OTHER_KINDS.replace("fault: expiry", "fault: expired");
    let err = Scenario::from_str(&text, "inline.yaml").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("inline.yaml:32:12: timeline[2].fault: `heal` names no fault `expired`; the faults are `upstream-429`, `expiry`"), "{msg}");
}

#[test]
fn an_error_in_a_later_step_is_placed_in_that_step() {
    let text = OTHER_KINDS.replace("mode: paused", "mode: pause");
    let msg = Scenario::from_str(&text, "inline.yaml")
        .unwrap_err()
        .to_string();
    assert_eq!(msg, "inline.yaml:36:11: timeline[3].mode: unknown variant `pause`, expected one of `stopped`, `paused`, `disconnected`");
    let text = OTHER_KINDS.replace("    retry_after: 2s\n", "");
    let msg = Scenario::from_str(&text, "inline.yaml")
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "inline.yaml:22:5: timeline[0]: missing field `retry_after`"
    );
}

#[test]
fn no_prefix_of_a_scenario_panics() {
    let text = std::fs::read_to_string("scenarios/db-outage.yaml").unwrap();
    let cuts: Vec<usize> = (0..=text.len())
        .filter(|i| text.is_char_boundary(*i))
        .step_by(7)
        .collect();
    for cut in cuts {
        if let Err(e) = Scenario::from_str(&text[..cut], "cut.yaml") {
            let _ = e.to_string();
        }
    }
    let with_bom = format!("\u{feff}{text}");
    assert!(Scenario::from_str(&with_bom, "bom.yaml").is_ok());
    for junk in [
        "- a\n- b",
        "name: [",
        "{}",
        "null",
        "\t",
        "name: x\nname: y",
        "services: 3",
        "timeline: [{kind: 4}]",
    ] {
        assert!(Scenario::from_str(junk, "junk.yaml").is_err(), "{junk}");
    }
}

#[test]
fn schema_is_json_and_covers_the_format() {
    let schema = firedrill::scenario::json_schema();
    let text = serde_json::to_string(&schema).unwrap();
    let props = schema["properties"].as_object().expect("properties");
    for key in [
        "name",
        "description",
        "compression",
        "services",
        "service",
        "workload",
        "timeline",
        "targets",
        "claims",
    ] {
        assert!(props.contains_key(key), "schema misses `{key}`");
    }
    assert_eq!(schema["additionalProperties"], false);
    for needle in [
        "db-outage",
        "upstream-429",
        "destroy-database",
        "no-db-timeout",
        "pattern",
        "retry_after_violations",
    ] {
        assert!(text.contains(needle), "schema misses {needle}");
    }
    // The patterns accept what the parser accepts, and refuse what it refuses.
    let pattern =
        |def: &str| regex::Regex::new(schema["$defs"][def]["pattern"].as_str().unwrap()).unwrap();
    let cases: [(&str, &[&str], &[&str]); 5] = [
        (
            "Duration",
            &["500ms", "10s", "2m", "1h30m", "0", "1,5 h"],
            &["fast", "10", "s"],
        ),
        ("Rate", &["100/s", "60/min", "100 req/s"], &["100", "fast"]),
        (
            "PercentBound",
            &["< 1%", "<= 0,5 %", ">= 50%"],
            &["1%", "< 1"],
        ),
        ("DurationBound", &["< 250ms", "<= 1s"], &["250ms", "< 250"]),
        ("MaxDuration", &["5s", "<= 5s"], &[">= 5s", "5"]),
    ];
    for (def, good, bad) in cases {
        let re = pattern(def);
        for g in good {
            assert!(re.is_match(g), "{def} pattern refuses {g}");
        }
        for b in bad {
            assert!(!re.is_match(b), "{def} pattern accepts {b}");
        }
    }
    let out = firedrill(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("schema output is JSON");
    assert_eq!(printed, schema);
}

#[test]
fn validate_exit_codes() {
    let ok = firedrill(&["validate", "scenarios"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(
        stdout(&ok).contains("ok: scenarios/db-outage.yaml"),
        "{}",
        stdout(&ok)
    );

    let bad = firedrill(&[
        "validate",
        "scenarios/db-outage.yaml",
        "fixtures/scenarios/unknown-target.yaml",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let out = stdout(&bad);
    assert!(out.contains("ok: scenarios/db-outage.yaml"), "{out}");
    assert!(
        out.contains("fixtures/scenarios/unknown-target.yaml:38:3: targets: unknown field `rtoo`"),
        "{out}"
    );

    let folder = firedrill(&["validate", "fixtures/scenarios"]);
    assert_eq!(folder.status.code(), Some(1));
    assert!(stdout(&folder).contains("not-utf8.yaml"));

    let missing = firedrill(&["validate", "scenarios/no-such-file.yaml", "scenarios"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.yaml"));
    assert!(
        stdout(&missing).contains("ok: scenarios/db-outage.yaml"),
        "the other paths are still checked"
    );
}

#[test]
fn errors_are_typed() {
    match Scenario::load("scenarios/no-such-file.yaml") {
        Err(ScenarioError::Io { path, .. }) => {
            assert_eq!(path, Path::new("scenarios/no-such-file.yaml"))
        }
        other => panic!("{other:?}"),
    }
}
