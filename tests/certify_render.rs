//! The certification's renderings, from a certification written out by hand: every output is
//! rendered from the model alone, so a fixed model gives fixed files (snapshots), and the JSON
//! round-trips to the same model.

use firedrill::certify::*;
use firedrill::report::{history, html, junit, markdown};

fn sample() -> Certification {
    Certification {
        schema_version: SCHEMA_VERSION,
        generated_at: "2026-12-04T12:00:00Z".into(),
        firedrill_version: "0.1.0".into(),
        decision: Decision::NoGo,
        reasons: vec![
            Reason {
                kind: ReasonKind::DrillTarget,
                source: "redis-outage".into(),
                message: "missed error_rate.during (< 1 %): measured 89.99 %".into(),
            },
            Reason {
                kind: ReasonKind::ClaimContradicted,
                source: "runbooks/shop.md:12".into(),
                message: "`latency p95` claims < 1 ms; drill redis-outage measured 6.7 ms".into(),
            },
            Reason {
                kind: ReasonKind::LintError,
                source: "runbooks/shop.md:30:13".into(),
                message: "FD501 hardcoded-secret: hard-coded password in `PGPASSWORD`".into(),
            },
        ],
        warnings: vec![Reason {
            kind: ReasonKind::ClaimNotComparable,
            source: "runbooks/shop.md:14".into(),
            message: "`throughput` is linked to drill redis-outage, but drills measure error rate, availability and latency, not this metric".into(),
        }],
        policy: Policy { warnings_block: false, drills_skipped: false },
        lint: LintSection {
            files: vec!["runbooks/shop.md".into()],
            errors: 1,
            warnings: 0,
            infos: 0,
            unreadable: vec![],
            findings: vec![Finding {
                code: "FD501".into(),
                rule: "hardcoded-secret".into(),
                severity: "error".into(),
                file: "runbooks/shop.md".into(),
                line: 30,
                column: 13,
                message: "hard-coded password in `PGPASSWORD`".into(),
                help: Some("read it from the environment or a secret store".into()),
                source_line: "PGPASSWORD='••••••••' psql -h db -U shop <dump.sql".into(),
            }],
        },
        claims: vec![ClaimRow {
            file: "runbooks/shop.md".into(),
            line: 12,
            kind: "objective".into(),
            subject: "latency p95".into(),
            statement: "< 1 ms".into(),
            section: "Shop > Objectives".into(),
        }],
        comparisons: vec![
            Comparison {
                scenario: "redis-outage".into(),
                file: "runbooks/shop.md".into(),
                line: 12,
                subject: "latency p95".into(),
                quantity: "latency p95".into(),
                claimed: "< 1 ms".into(),
                measured_in_drill: "6.7 ms".into(),
                measured: "6.7 ms".into(),
                basis: "steady state: the drill's before and after phases together (the worse of the two); latency is not time-compressed".into(),
                compression: 60.0,
                outcome: Outcome::Contradicted,
            },
            Comparison {
                scenario: "redis-outage".into(),
                file: "runbooks/shop.md".into(),
                line: 20,
                subject: "Redis down".into(),
                quantity: "RTO".into(),
                claimed: "≤ 10 min".into(),
                measured_in_drill: "1.2 s".into(),
                measured: "1 min 12 s".into(),
                basis: "drill RTO 1.2 s × 60 (time compression) = 1 min 12 s".into(),
                compression: 60.0,
                outcome: Outcome::Holds,
            },
        ],
        drills: vec![DrillSection {
            scenario: "redis-outage".into(),
            path: "scenarios/redis-outage.yaml".into(),
            description: "Redis paused for 6 s; reads fall back to Postgres.".into(),
            defects: vec!["no-cache-fallback".into()],
            passed: false,
            error: None,
            compression: 60.0,
            result_file: Some("drills/redis-outage+no-cache-fallback/result.json".into()),
            duration_s: 31.5,
            rto_s: Some(1.2),
            recovered_at_s: Some(12.2),
            lost_writes: Some(0),
            error_rate_percent: Some(30.0),
            checks: vec![
                CheckRow { target: "rto".into(), expected: "< 3 s".into(), measured: "1200.0 ms".into(), passed: true },
                CheckRow { target: "error_rate.during".into(), expected: "< 1 %".into(), measured: "89.99 %".into(), passed: false },
            ],
            faults: vec![FaultWindow {
                name: "redis-outage".into(),
                kind: "redis-outage".into(),
                what: "cache paused".into(),
                from_s: Some(5.0),
                to_s: Some(11.0),
            }],
            series: (0..40)
                .map(|i| {
                    let t = i as f64 * 0.5;
                    let down = (5.0..11.0).contains(&t);
                    SeriesPoint {
                        t_s: t,
                        requests_per_s: 50.0,
                        error_rate_percent: if down { 90.0 } else { 0.0 },
                        // One empty interval: the chart breaks its line there.
                        p95_ms: if i == 12 { None } else if down { Some(210.0) } else { Some(6.5) },
                    }
                })
                .collect(),
        }],
        elapsed_s: 40.0,
    }
}

#[test]
fn markdown_rendering() {
    insta::assert_snapshot!("certification-md", markdown::render(&sample()));
}

#[test]
fn junit_rendering() {
    insta::assert_snapshot!("junit-xml", junit::render(&sample()));
}

#[test]
fn json_round_trips_to_the_same_certification() {
    let c = sample();
    let json = serde_json::to_string_pretty(&c).unwrap();
    let back: Certification = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    insta::assert_snapshot!("certification-json", json);
}

#[test]
fn html_is_self_contained_and_shows_verdict_chart_and_masked_source() {
    let page = html::render(&sample());
    assert!(page.contains("id=\"verdict\" class=\"verdict nogo\""), "verdict banner");
    assert_eq!(page.matches("<svg class=\"timeline\"").count(), 1, "one chart per drill");
    // requests and errors draw one line each; latency has a gap, so two.
    assert_eq!(page.matches("class=\"series latency\"").count(), 2);
    assert!(page.contains("<rect class=\"fault\""), "fault window shaded");
    assert!(page.contains("recovered · RTO 1.20 s"), "recovery marked");
    assert!(page.contains("PGPASSWORD=&#39;••••••••&#39;"), "source line shown, masked");
    // Nothing is fetched: no script, no stylesheet or image from elsewhere.
    assert!(!page.contains("<script"));
    for attr in ["src=", "href="] {
        assert!(!page.contains(attr), "{attr} in a self-contained page");
    }
}

#[test]
fn history_lines_append_and_trend_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.jsonl");
    let mut c = sample();
    history::append(&file, &c).unwrap();
    c.generated_at = "2026-12-05T12:00:00Z".into();
    c.decision = Decision::Go;
    c.drills[0].passed = true;
    c.drills[0].rto_s = Some(0.9);
    history::append(&file, &c).unwrap();
    let entries = history::read(&file).unwrap();
    assert_eq!(entries.len(), 2);
    insta::assert_snapshot!("trend", history::trend(&entries, 10));
    // Only the last run with --last 1.
    let one = history::trend(&entries, 1);
    assert!(one.contains("2026-12-05") && !one.contains("2026-12-04T12"), "{one}");
}

#[test]
fn a_broken_history_line_is_named_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.jsonl");
    history::append(&file, &sample()).unwrap();
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap() + "{\"version\": 1, oops}\n").unwrap();
    let err = history::read(&file).unwrap_err().to_string();
    assert!(err.contains("history.jsonl:2:"), "{err}");
}
