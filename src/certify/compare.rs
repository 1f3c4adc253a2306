//! Claims against measurements. A scenario names the runbook claims it tests (`claims:` with a
//! file and a subject); each is set against what the drill measured, in the runbook's terms:
//! durations are multiplied by the scenario's time-compression factor before they are compared,
//! and the report says so; error rates and latencies are compared as measured, over the drill's
//! steady state (before and after the fault), since an objective describes normal operation.

use std::time::Duration;

use crate::claims::{Claim, ClaimKind, LatencyStat, Metric};
use crate::drill::DrillResult;
use crate::measure::Stats;
use crate::units::{format_duration, Comparison as Cmp, Quantity};
use crate::verdict::show_duration;

use super::model::{Comparison, Outcome};

/// True when `wanted` (a scenario's `subject`) names `claim`: its subject as `firedrill claims`
/// prints it, or that subject after its kind (`RTO database down`, `objective error rate`),
/// compared without case and surrounding spaces.
pub fn names(claim: &Claim, wanted: &str) -> bool {
    let wanted = normalise(wanted);
    let subject = normalise(&claim.subject());
    if wanted == subject || wanted == format!("{} {subject}", claim.kind_name()) {
        return true;
    }
    match &claim.kind {
        ClaimKind::Recovery(r) => {
            (r.rto.is_some() && wanted == format!("rto {subject}")) || (r.rpo.is_some() && wanted == format!("rpo {subject}"))
        }
        _ => false,
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Every comparison one claim allows with one drill (a recovery claim may give an RTO and an
/// RPO). A claim no drill measurement speaks to gives one `NotComparable` row.
pub fn compare(claim: &Claim, wanted: &str, result: &DrillResult) -> Vec<Comparison> {
    let row = |quantity: &str, claimed: String, in_drill: String, measured: String, basis: String, outcome: Outcome| Comparison {
        scenario: result.scenario.name.clone(),
        file: claim.file.clone(),
        line: claim.line,
        subject: claim.subject(),
        quantity: quantity.to_string(),
        claimed,
        measured_in_drill: in_drill,
        measured,
        basis,
        compression: result.compression,
        outcome,
    };
    let k = result.compression;
    let scaled = |d: Duration| Duration::from_secs_f64(d.as_secs_f64() * k);
    let factor = if k == 1.0 { "real time (compression 1)".to_string() } else { format!("× {} (time compression)", trim_float(k)) };
    let mut out = Vec::new();
    match &claim.kind {
        ClaimKind::Recovery(r) => {
            let wants_rpo_only = normalise(wanted).starts_with("rpo ");
            if let (Some(claimed), false) = (r.rto, wants_rpo_only) {
                match result.measured.rto {
                    Some(rto) => {
                        let prod = scaled(rto);
                        out.push(row(
                            "RTO",
                            format!("≤ {}", format_duration(claimed)),
                            show_duration(rto),
                            format_duration(round_secs(prod)),
                            format!("drill RTO {} {factor} = {}", show_duration(rto), format_duration(round_secs(prod))),
                            if prod <= claimed { Outcome::Holds } else { Outcome::Contradicted },
                        ));
                    }
                    None => out.push(row(
                        "RTO",
                        format!("≤ {}", format_duration(claimed)),
                        "no recovery".into(),
                        "no recovery".into(),
                        "the service did not reach a steady state after the fault before the load ended".into(),
                        Outcome::Contradicted,
                    )),
                }
            }
            let wants_rto_only = normalise(wanted).starts_with("rto ");
            if let (Some(claimed), false) = (r.rpo, wants_rto_only) {
                out.push(compare_rpo(claimed, result, &factor, &row));
            }
        }
        ClaimKind::Objective(o) => {
            let steady = steady_state(result);
            let basis_phases = "steady state: the drill's before and after phases together";
            match o.metric {
                Metric::ErrorRate | Metric::Availability => {
                    let Quantity::Percent(p) = o.value else {
                        out.push(not_comparable(&row, &claim.statement(), "the objective is not a percentage"));
                        return out;
                    };
                    if steady.requests == 0 {
                        out.push(not_comparable(&row, &claim.statement(), "no request was answered outside the fault"));
                        return out;
                    }
                    let error_rate = steady.errors as f64 * 100.0 / steady.requests as f64;
                    let (name, value) = match o.metric {
                        Metric::ErrorRate => ("error rate", error_rate),
                        _ => ("availability", 100.0 - error_rate),
                    };
                    let shown = format!("{value:.2} %");
                    out.push(row(
                        name,
                        format!("{} {}", o.comparison.symbol(), o.value),
                        shown.clone(),
                        shown,
                        format!("{basis_phases}, {} requests; a ratio is not time-compressed", steady.requests),
                        outcome(o.comparison, value, p.0),
                    ));
                }
                Metric::Latency(stat) => {
                    let measured = match stat {
                        LatencyStat::P50 => steady.p50,
                        LatencyStat::P95 => steady.p95,
                        LatencyStat::P99 | LatencyStat::Unspecified => steady.p99,
                        LatencyStat::Max => steady.max,
                        LatencyStat::Avg | LatencyStat::P90 => None,
                    };
                    let (Some(measured), Quantity::Duration(claimed)) = (measured, &o.value) else {
                        out.push(not_comparable(&row, &claim.statement(), "the drill does not report this latency statistic"));
                        return out;
                    };
                    let shown = show_duration(measured);
                    out.push(row(
                        &o.metric.to_string(),
                        format!("{} {}", o.comparison.symbol(), o.value),
                        shown.clone(),
                        shown,
                        format!("{basis_phases} (the worse of the two); latency is not time-compressed"),
                        outcome(o.comparison, measured.as_secs_f64(), claimed.as_secs_f64()),
                    ));
                }
                _ => out.push(not_comparable(&row, &claim.statement(), "drills measure error rate, availability and latency, not this metric")),
            }
        }
        _ => out.push(not_comparable(
            &row,
            &claim.statement(),
            "drills measure recovery times, lost writes, error rates and latencies; this kind of claim is checked by lint only",
        )),
    }
    out
}

fn compare_rpo(
    claimed: Duration,
    result: &DrillResult,
    factor: &str,
    row: &dyn Fn(&str, String, String, String, String, Outcome) -> Comparison,
) -> Comparison {
    let claimed_text = if claimed.is_zero() { "0 (no acknowledged write lost)".to_string() } else { format!("≤ {}", format_duration(claimed)) };
    let Some(ledger) = &result.measured.ledger else {
        return not_comparable(row, &claimed_text, "the drill made no ledgered writes to count lost data with");
    };
    // The loss window: from the oldest acknowledged write found missing to the first fault.
    let first_fault = result.faults.iter().filter_map(|f| f.injected_at).min();
    let window = match (ledger.oldest_lost_at, first_fault) {
        (None, _) => Some(Duration::ZERO),
        (Some(oldest), Some(fault)) => Some(fault.saturating_sub(oldest)),
        (Some(_), None) => None,
    };
    let Some(window) = window else {
        return not_comparable(row, &claimed_text, "writes were lost but the drill had no fault to measure the window from");
    };
    let prod = Duration::from_secs_f64(window.as_secs_f64() * result.compression);
    let in_drill = if ledger.lost == 0 {
        format!("0 of {} acknowledged writes lost", ledger.acknowledged)
    } else {
        format!("{} lost, window {}", ledger.lost, show_duration(window))
    };
    let holds = if claimed.is_zero() { ledger.lost == 0 } else { prod <= claimed };
    row(
        "RPO",
        claimed_text,
        in_drill,
        if ledger.lost == 0 {
            "0 lost".to_string()
        } else {
            format!("{} acknowledged writes lost, window {}", ledger.lost, format_duration(round_secs(prod)))
        },
        format!(
            "acknowledged writes read back after recovery; the window runs from the oldest lost write to the fault, {factor}"
        ),
        if holds { Outcome::Holds } else { Outcome::Contradicted },
    )
}

fn not_comparable(
    row: &dyn Fn(&str, String, String, String, String, Outcome) -> Comparison,
    claimed: &str,
    why: &str,
) -> Comparison {
    row("-", claimed.to_string(), "-".into(), "-".into(), why.to_string(), Outcome::NotComparable)
}

fn outcome(cmp: Cmp, measured: f64, claimed: f64) -> Outcome {
    let holds = match cmp {
        Cmp::Lt => measured < claimed,
        Cmp::Le | Cmp::Eq => measured <= claimed,
        Cmp::Gt => measured > claimed,
        Cmp::Ge => measured >= claimed,
    };
    if holds {
        Outcome::Holds
    } else {
        Outcome::Contradicted
    }
}

/// Before and after together: counts added, percentiles the worse of the two phases.
fn steady_state(result: &DrillResult) -> Stats {
    let (b, a) = (&result.measured.phases.before, &result.measured.phases.after);
    let worse = |x: Option<Duration>, y: Option<Duration>| match (x, y) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let requests = b.requests + a.requests;
    let errors = b.errors + a.errors;
    Stats {
        requests,
        errors,
        timeouts: b.timeouts + a.timeouts,
        error_rate: crate::units::Percent(if requests == 0 { 0.0 } else { errors as f64 * 100.0 / requests as f64 }),
        p50: worse(b.p50, a.p50),
        p95: worse(b.p95, a.p95),
        p99: worse(b.p99, a.p99),
        max: worse(b.max, a.max),
    }
}

/// Production-scale durations to the second (or the millisecond below ten seconds).
fn round_secs(d: Duration) -> Duration {
    if d < Duration::from_secs(10) {
        Duration::from_millis(d.as_millis() as u64)
    } else {
        Duration::from_secs(d.as_secs_f64().round() as u64)
    }
}

pub fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}
