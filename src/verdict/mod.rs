//! The verdict: every target of a scenario set against what was measured. A target passes or
//! fails with both values written out; a target that cannot be measured (no `during` phase, no
//! recovery) fails and says why, because a drill that measured nothing has proven nothing.

use std::time::Duration;

use serde::Serialize;

use crate::measure::{PhaseStats, Stats};
use crate::measure::ledger::LedgerReport;
use crate::scenario::{Bound, Latency, Scenario};
use crate::units::Percent;

/// One target against its measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `rto`, `lost_writes`, `error_rate.after`, `latency.during.p99`.
    pub target: String,
    /// What the scenario asks, as written: `< 5 s`.
    pub expected: String,
    /// What was measured, or why nothing could be.
    pub measured: String,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub passed: bool,
    pub checks: Vec<Check>,
}

impl Verdict {
    /// The checks that failed, for summaries: `latency.during.p99 (< 1 s): 2000.0 ms`.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{} ({}): {}", c.target, c.expected, c.measured))
            .collect()
    }
}

/// What the drill measured, as the verdict needs it.
pub struct Measured<'a> {
    pub rto: Option<Duration>,
    /// Why there is no RTO, when there is none.
    pub rto_missing: &'a str,
    pub phases: &'a PhaseStats,
    pub ledger: &'a LedgerReport,
    /// Why the acknowledged writes could not be read back, if they could not.
    pub ledger_error: Option<&'a str>,
    /// Whether the drill had a fault window at all (otherwise `during` targets cannot hold).
    pub had_fault: bool,
}

/// A measured duration for people: `412.3 ms`, `2.41 s`.
pub fn show_duration(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

pub fn judge(scenario: &Scenario, m: &Measured) -> Verdict {
    let t = &scenario.targets;
    let mut checks = Vec::new();
    if let Some(bound) = &t.rto {
        checks.push(match m.rto {
            Some(rto) => check("rto", bound, show_duration(rto), bound.holds(rto)),
            None => check("rto", bound, format!("no recovery: {}", m.rto_missing), false),
        });
    }
    if let Some(max) = t.lost_writes {
        let l = m.ledger;
        let measured = format!(
            "{} lost of {} acknowledged ({} indeterminate, {} rejected)",
            l.lost, l.acknowledged, l.indeterminate, l.rejected
        );
        let (measured, passed) = match m.ledger_error {
            Some(e) => (format!("read-back failed: {e}"), false),
            None => (measured, l.lost <= max),
        };
        checks.push(Check { target: "lost_writes".into(), expected: format!("<= {max}"), measured, passed });
    }
    let phases = [("before", &m.phases.before), ("during", &m.phases.during), ("after", &m.phases.after)];
    for (name, stats) in phases {
        let bound = match name {
            "before" => &t.error_rate.before,
            "during" => &t.error_rate.during,
            _ => &t.error_rate.after,
        };
        if let Some(bound) = bound {
            checks.push(error_rate_check(name, bound, stats, name != "during" || m.had_fault));
        }
        let latency = match name {
            "before" => &t.latency.before,
            "during" => &t.latency.during,
            _ => &t.latency.after,
        };
        if let Some(latency) = latency {
            checks.extend(latency_checks(name, latency, stats));
        }
    }
    let passed = checks.iter().all(|c| c.passed);
    Verdict { passed, checks }
}

fn check<Q: crate::scenario::values::BoundQuantity>(target: &str, bound: &Bound<Q>, measured: String, passed: bool) -> Check {
    Check { target: target.into(), expected: bound.to_string(), measured, passed }
}

fn error_rate_check(phase: &str, bound: &Bound<Percent>, stats: &Stats, phase_exists: bool) -> Check {
    let target = format!("error_rate.{phase}");
    if !phase_exists || stats.requests == 0 {
        return check(&target, bound, format!("no requests in the {phase} phase"), false);
    }
    let measured = format!("{:.2} % ({} of {})", stats.error_rate.0, stats.errors, stats.requests);
    check(&target, bound, measured, bound.holds(stats.error_rate))
}

fn latency_checks(phase: &str, latency: &Latency, stats: &Stats) -> Vec<Check> {
    [("p50", &latency.p50, stats.p50), ("p95", &latency.p95, stats.p95), ("p99", &latency.p99, stats.p99)]
        .into_iter()
        .filter_map(|(name, bound, value)| {
            let bound = bound.as_ref()?;
            let target = format!("latency.{phase}.{name}");
            Some(match value {
                Some(v) => check(&target, bound, show_duration(v), bound.holds(v)),
                None => check(&target, bound, format!("no requests in the {phase} phase"), false),
            })
        })
        .collect()
}
