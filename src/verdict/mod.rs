//! The verdict: every target of a scenario set against what was measured. A target passes or
//! fails with both values written out; a target that cannot be measured (no `during` phase, no
//! recovery) fails and says why, because a drill that measured nothing has proven nothing.

use std::time::Duration;

use serde::Serialize;

use crate::drill::{BreakerSeen, BreakerState, UpstreamFaultSeen, UpstreamSeen};
use crate::measure::{PhaseStats, Stats};
use crate::measure::ledger::LedgerReport;
use crate::scenario::{Bound, Latency, Scenario};
use crate::units::{format_rate, Percent, Rate};

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
    /// What each mock upstream saw.
    pub upstreams: &'a [UpstreamSeen],
    /// Why a mock's log could not be read, if one could not.
    pub upstream_error: Option<&'a str>,
    /// The service's breaker from its health answers; `None` when they never carried one.
    pub breaker: Option<&'a BreakerSeen>,
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
    checks.extend(upstream_checks(scenario, m));
    let passed = checks.iter().all(|c| c.passed);
    Verdict { passed, checks }
}

fn show_rate(r: Rate) -> String {
    format_rate(Rate { per_second: (r.per_second * 10.0).round() / 10.0 })
}

/// Targets measured on the mock upstreams: Retry-After, the rate cut and recovery per upstream
/// fault, and the breaker.
fn upstream_checks(scenario: &Scenario, m: &Measured) -> Vec<Check> {
    let t = &scenario.targets;
    let mut checks = Vec::new();
    let unread = |what: &str| match m.upstream_error {
        Some(e) => format!("{what}: {e}"),
        None => format!("{what}: no mock upstream log was read"),
    };
    if let Some(max) = t.retry_after_violations {
        checks.push(if m.upstreams.is_empty() || m.upstream_error.is_some() {
            Check { target: "retry_after_violations".into(), expected: format!("<= {max}"), measured: unread("not measured"), passed: false }
        } else {
            let total: u64 = m.upstreams.iter().map(|u| u.retry_after_violations).sum();
            let first = m.upstreams.iter().flat_map(|u| u.violations.first().map(|v| (u, v))).next();
            let measured = match first {
                None => "0 calls before Retry-After allowed".to_string(),
                Some((u, v)) => format!(
                    "{total} calls before Retry-After allowed (first on {} at {}, {} early)",
                    u.name,
                    v.at.map_or("before the load".to_string(), show_duration),
                    show_duration(v.early_by)
                ),
            };
            Check { target: "retry_after_violations".into(), expected: format!("<= {max}"), measured, passed: total <= max }
        });
    }
    let faults: Vec<(&UpstreamSeen, &UpstreamFaultSeen)> =
        m.upstreams.iter().flat_map(|u| u.faults.iter().map(move |f| (u, f))).collect();
    let upstream_steps = scenario.timeline.iter().filter(|s| s.is_upstream_fault()).count();
    let targeted = t.upstream_rate_drop.is_some() || t.upstream_rate_recovery.is_some() || t.breaker_opens.is_some();
    if targeted && faults.len() < upstream_steps {
        checks.push(Check {
            target: "upstream".into(),
            expected: format!("{upstream_steps} upstream faults measured"),
            measured: unread(&format!("{} measured", faults.len())),
            passed: false,
        });
    }
    for (u, f) in faults {
        if let Some(bound) = &t.upstream_rate_drop {
            let target = format!("upstream_rate_drop.{}", f.fault);
            checks.push(match (f.rate_drop, u.baseline, f.first_failure_at, f.first_second) {
                (Some(drop), Some(base), Some(at), Some(first)) => check(
                    &target,
                    bound,
                    format!(
                        "{:.1} % ({} in the second from the first {} at {}, baseline {})",
                        drop.0,
                        show_rate(first),
                        f.answer,
                        show_duration(at),
                        show_rate(base)
                    ),
                    bound.holds(drop),
                ),
                (_, None, _, _) => check(&target, bound, format!("no baseline: {} received no call before the first upstream fault", u.name), false),
                _ => check(&target, bound, format!("{} never answered {} during the fault: no call reached it", u.name, f.answer), false),
            });
        }
        if let Some(bound) = &t.upstream_rate_recovery {
            let target = format!("upstream_rate_recovery.{}", f.fault);
            checks.push(match (f.rate_recovery, u.baseline) {
                (Some(r), Some(base)) => check(&target, bound, format!("{} (>= 90 % of {})", show_duration(r), show_rate(base)), bound.holds(r)),
                _ if f.healed_at.is_none() => check(&target, bound, "the fault never ended".into(), false),
                (_, None) => check(&target, bound, format!("no baseline: {} received no call before the first upstream fault", u.name), false),
                (None, Some(base)) => check(
                    &target,
                    bound,
                    format!(
                        "never back to 90 % of {} before the next fault or the end of the load (after: {})",
                        show_rate(base),
                        f.rate_after.map_or("-".into(), show_rate)
                    ),
                    false,
                ),
            });
        }
        if let Some(expected) = t.breaker_opens {
            let target = format!("breaker_opens.{}", f.fault);
            let states: Vec<&str> = f.breaker_states.iter().map(|s| s.name()).collect();
            let (measured, opened) = match (f.breaker_opened_at, f.injected_at) {
                _ if scenario.service.health.is_none() => ("not measured: the scenario has no `service.health` to read the breaker from".to_string(), None),
                _ if m.breaker.is_none() => ("not measured: the health answers carried no `supplier.breaker`".to_string(), None),
                (Some(at), Some(from)) => (format!("open at {} ({} into the fault)", show_duration(at), show_duration(at.saturating_sub(from))), Some(true)),
                _ if states.is_empty() => ("no health answer during the fault".to_string(), None),
                _ if f.breaker_states == [BreakerState::Disabled] => ("never opened: health says the breaker is disabled".to_string(), Some(false)),
                _ => (format!("never opened (health said: {})", states.join(", ")), Some(false)),
            };
            checks.push(Check { target, expected: expected.to_string(), measured, passed: opened == Some(expected) });
        }
    }
    if let Some(max) = t.breaker_calls_while_open {
        let (measured, passed) = match m.breaker {
            None => ("not measured: the health answers carried no `supplier.breaker`".to_string(), false),
            Some(b) if b.open_periods == 0 => ("the breaker was never seen open: nothing to check".to_string(), false),
            Some(b) => (
                format!("{} calls to {} in {} open periods ({} open)", b.calls_while_open, b.upstream, b.open_periods, show_duration(b.open_time)),
                b.calls_while_open <= max,
            ),
        };
        checks.push(Check { target: "breaker_calls_while_open".into(), expected: format!("<= {max}"), measured, passed });
    }
    checks
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
