//! The verdict: every target of a scenario set against what was measured. A target passes or
//! fails with both values written out; a target that cannot be measured (no `during` phase, no
//! recovery) fails and says why, because a drill that measured nothing has proven nothing.

use std::time::Duration;

use serde::Serialize;

use crate::drill::{BreakerSeen, BreakerState, CertFaultSeen, UpstreamFaultSeen, UpstreamSeen};
use crate::measure::{PhaseStats, Stats};
use crate::measure::ledger::LedgerReport;
use crate::measure::restore::{BackupSeen, Consistency};
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
    /// Each `cert-expired` fault as the mock and the health answers saw it.
    pub cert_faults: &'a [CertFaultSeen],
    /// Each database's backups, destroy and restore.
    pub backups: &'a [BackupSeen],
    /// Whether the service under test stayed up (`None`: its container could not be inspected).
    pub service: Option<&'a crate::drill::ServiceSeen>,
    /// The error answers sampled during the fault (`None`: not sampled).
    pub answers: Option<&'a crate::drill::AnswersSeen>,
    /// Each `redis-data-loss`: the RDB backup's marker keys and those found after its restore.
    pub redis_restores: &'a [crate::faults::redis_rdb::RdbRestoreSeen],
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
    checks.extend(cert_checks(scenario, m));
    checks.extend(backup_checks(scenario, m));
    checks.extend(answer_checks(scenario, m));
    checks.extend(rdb_checks(scenario, m));
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

/// The service under test kept answering, clearly, and did not crash.
fn answer_checks(scenario: &Scenario, m: &Measured) -> Vec<Check> {
    let t = &scenario.targets;
    let mut checks = Vec::new();
    if let Some(max) = t.unclear_errors {
        let (measured, passed) = match m.answers {
            None => ("not measured: no answers were sampled".to_string(), false),
            Some(a) if a.sampled == 0 => ("not measured: no answer was sampled during the fault".to_string(), false),
            Some(a) => {
                let statuses: Vec<String> = a.statuses.iter().map(|(s, n)| format!("{n}× {s}")).collect();
                let example = a.unclear_examples.first().map_or(String::new(), |e| {
                    format!("; first: {} at {} answered {} {:?}", e.request, show_duration(e.at), e.status.map_or("nothing".into(), |s| s.to_string()), e.body)
                });
                (
                    format!("{} unclear of {} error answers sampled ({}){example}", a.unclear, a.errors, if statuses.is_empty() { "none".into() } else { statuses.join(", ") }),
                    a.unclear <= max,
                )
            }
        };
        checks.push(Check { target: "unclear_errors".into(), expected: format!("<= {max}"), measured, passed });
    }
    if let Some(max) = t.service_crashes {
        let (measured, passed) = match m.service {
            None => ("not measured: the service's container could not be inspected".to_string(), false),
            Some(s) => {
                let end = if s.running_at_end { "running at the end".to_string() } else { format!("exited with {}", s.exit_code.map_or("?".into(), |c| c.to_string())) };
                let oom = if s.oom_killed { ", OOM-killed" } else { "" };
                (format!("{} ({} restarts, {end}{oom})", s.crashes, s.restarts), s.crashes <= max)
            }
        };
        checks.push(Check { target: "service_crashes".into(), expected: format!("<= {max}"), measured, passed });
    }
    checks
}

/// `rdb_keys_lost`: every `redis-data-loss` must have got its saved keys back (in total).
fn rdb_checks(scenario: &Scenario, m: &Measured) -> Vec<Check> {
    let Some(max) = scenario.targets.rdb_keys_lost else { return Vec::new() };
    let (measured, passed) = if m.redis_restores.is_empty() {
        ("not measured: no `redis-data-loss` ran".to_string(), false)
    } else if let Some(e) = m.redis_restores.iter().find_map(|r| r.error.as_deref()) {
        (format!("not measured: {e}"), false)
    } else {
        let lost: u64 = m.redis_restores.iter().map(|r| r.lost()).sum();
        let each: Vec<String> = m
            .redis_restores
            .iter()
            .map(|r| format!("{} of {} saved keys back after `{}` ({} left after the loss)", r.keys_restored, r.keys_saved, r.method, r.keys_after_loss))
            .collect();
        let loss_happened = m.redis_restores.iter().all(|r| r.keys_after_loss == 0);
        // A loss that lost nothing proves nothing about the restore.
        if !loss_happened {
            (format!("not measured: the loss did not happen ({})", each.join("; ")), false)
        } else {
            (format!("{lost} lost: {}", each.join("; ")), lost <= max)
        }
    };
    vec![Check { target: "rdb_keys_lost".into(), expected: format!("<= {max}"), measured, passed }]
}

/// Targets of `cert-expired` faults: nothing accepted over the expired certificate (in total),
/// health naming the cause and calls resuming after the renewal (per fault).
fn cert_checks(scenario: &Scenario, m: &Measured) -> Vec<Check> {
    let t = &scenario.targets;
    let mut checks = Vec::new();
    let steps = scenario.timeline.iter().filter(|s| matches!(s, crate::scenario::Step::CertExpired(_))).count();
    let targeted = t.invalid_cert_accepted.is_some() || t.health_names_cause.is_some() || t.upstream_resume.is_some();
    if targeted && m.cert_faults.len() < steps {
        let why = m.upstream_error.map_or("no mock upstream log was read".to_string(), str::to_string);
        checks.push(Check {
            target: "cert_expired".into(),
            expected: format!("{steps} cert-expired faults measured"),
            measured: format!("{} measured: {why}", m.cert_faults.len()),
            passed: false,
        });
    }
    if let Some(max) = t.invalid_cert_accepted {
        let accepted: u64 = m.cert_faults.iter().map(|f| f.accepted).sum();
        let refused: u64 = m.cert_faults.iter().map(|f| f.refused_handshakes).sum();
        let upstreams: Vec<&str> = m.cert_faults.iter().map(|f| f.upstream.as_str()).collect();
        let (measured, passed) = if m.cert_faults.is_empty() {
            ("not measured: no cert-expired fault was measured".to_string(), false)
        } else if accepted + refused == 0 {
            (format!("not measured: the service made no TLS connection to {} while the expired certificate was served", upstreams.join(", ")), false)
        } else if accepted == 0 {
            let why = m.cert_faults.iter().find_map(|f| f.refusal.as_deref()).unwrap_or("no error logged");
            (format!("0 requests over the expired certificate; {refused} handshakes refused ({why})"), true)
        } else {
            let completed: u64 = m.cert_faults.iter().map(|f| f.accepted_completed).sum();
            let first = m.cert_faults.iter().filter_map(|f| f.first_accepted_at).min();
            (
                format!(
                    "{accepted} requests over the expired certificate ({completed} answered, first at {}); {refused} handshakes refused",
                    first.map_or("before the load".to_string(), show_duration)
                ),
                accepted <= max,
            )
        };
        checks.push(Check { target: "invalid_cert_accepted".into(), expected: format!("<= {max}"), measured, passed });
    }
    for f in m.cert_faults {
        if let Some(bound) = &t.health_names_cause {
            let target = format!("health_names_cause.{}", f.fault);
            checks.push(match f.health_names_cause {
                _ if f.health_naming_before > 0 => check(
                    &target,
                    bound,
                    format!("{} health answers before the fault already named a certificate expiry: not evidence", f.health_naming_before),
                    false,
                ),
                Some(d) => check(
                    &target,
                    bound,
                    format!("{}, then in every answer to the renewal: {:?}", show_duration(d), f.health_said.as_deref().unwrap_or_default()),
                    bound.holds(d),
                ),
                None if f.health_answers == 0 => check(&target, bound, "no health answer during the fault".into(), false),
                None => check(
                    &target,
                    bound,
                    format!(
                        "the answers did not keep naming it: {} of {} during the fault contain `certificate` and `expired`, the last one does not",
                        f.health_naming, f.health_answers
                    ),
                    false,
                ),
            });
        }
        if let Some(bound) = &t.upstream_resume {
            let target = format!("upstream_resume.{}", f.fault);
            checks.push(match (f.resume, f.healed_at) {
                (Some(r), _) => check(&target, bound, format!("{} (first call over the renewed certificate)", show_duration(r)), bound.holds(r)),
                (None, None) => check(&target, bound, "the fault never ended".into(), false),
                (None, Some(_)) => check(&target, bound, format!("no call to {} completed over the renewed certificate before the load ended", f.upstream), false),
            });
        }
    }
    checks
}

/// `rpo` (from the restored dump's snapshot to the destroy, or without a restore from the oldest
/// lost write to the fault) and `consistent_restore`.
fn backup_checks(scenario: &Scenario, m: &Measured) -> Vec<Check> {
    let t = &scenario.targets;
    let mut checks = Vec::new();
    let restores: Vec<&BackupSeen> = m.backups.iter().filter(|b| b.record.destroyed.is_some() || b.record.restored.is_some()).collect();
    let name = |b: &BackupSeen, target: &str| if m.backups.len() > 1 { format!("{target}.{}", b.record.service) } else { target.to_string() };
    let has_restore = scenario.timeline.iter().any(|s| matches!(s, crate::scenario::Step::Restore(_)));
    if let Some(bound) = &t.rpo {
        if has_restore {
            if restores.is_empty() {
                checks.push(check("rpo", bound, "not measured: no database was destroyed and restored".into(), false));
            }
            for b in &restores {
                let r = &b.record;
                let measured = match (b.rpo, r.restored_dump(), &r.destroyed, &r.restored) {
                    (Some(rpo), Some(d), Some(x), _) => format!(
                        "{} (dump {}'s snapshot at {}, destroyed at {})",
                        show_duration(rpo),
                        d.number,
                        show_duration(d.snapshot_from.unwrap_or_default()),
                        show_duration(x.started_at)
                    ),
                    (_, _, _, Some(restored)) if restored.error.is_some() => {
                        format!("nothing restored: {}", restored.error.as_deref().unwrap_or_default())
                    }
                    _ => "not measured: the database was not destroyed and restored".to_string(),
                };
                checks.push(check(&name(b, "rpo"), bound, measured, b.rpo.is_some_and(|rpo| bound.holds(rpo))));
            }
        } else {
            let (measured, rpo) = match (m.ledger_error, scenario.fault_start()) {
                (Some(e), _) => (format!("read-back failed: {e}"), None),
                (None, None) => ("not measured: the timeline has no fault".to_string(), None),
                (None, Some(fault)) => match m.ledger.oldest_lost_at {
                    None => ("0 s (no acknowledged write lost)".to_string(), Some(Duration::ZERO)),
                    Some(oldest) => {
                        let rpo = fault.saturating_sub(oldest);
                        (format!("{} (oldest lost write scheduled at {}, fault at {})", show_duration(rpo), show_duration(oldest), show_duration(fault)), Some(rpo))
                    }
                },
            };
            checks.push(check("rpo", bound, measured, rpo.is_some_and(|r| bound.holds(r))));
        }
    }
    if let Some(expected) = t.consistent_restore {
        if restores.is_empty() {
            checks.push(Check {
                target: "consistent_restore".into(),
                expected: expected.to_string(),
                measured: "not measured: no database was destroyed and restored".into(),
                passed: false,
            });
        }
        for b in &restores {
            let (measured, consistent) = match (&b.consistency, m.ledger_error) {
                (_, Some(e)) => (format!("not measured: read-back failed: {e}"), None),
                (None, None) => ("not measured: the restore did not happen".to_string(), None),
                (Some(c), None) => (describe_consistency(c), Some(c.consistent)),
            };
            checks.push(Check { target: name(b, "consistent_restore"), expected: expected.to_string(), measured, passed: consistent == Some(expected) });
        }
    }
    checks
}

fn describe_consistency(c: &Consistency) -> String {
    let (before, across, after, later) = (&c.before_snapshot, &c.across_snapshot, &c.after_snapshot, &c.after_destroy);
    let ids = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    if c.consistent {
        return match c.restored_dump {
            Some(n) => format!(
                "exact: {} acknowledged before dump {n}'s snapshot all present, {} after it (until the destroy) all missing, {} after the destroy all present; {} in flight across the snapshot ({} present)",
                before.acknowledged, after.acknowledged, later.acknowledged, across.acknowledged, across.present
            ),
            None => format!("nothing restored: {} acknowledged before the destroy all missing, {} after it all present", after.acknowledged, later.acknowledged),
        };
    }
    let mut problems = Vec::new();
    if before.missing > 0 {
        problems.push(format!("{} of {} acknowledged before the snapshot missing (ids {})", before.missing, before.acknowledged, ids(&before.unexpected_ids)));
    }
    if after.present > 0 {
        problems.push(format!("{} of {} written after the snapshot into the destroyed database present (ids {})", after.present, after.acknowledged, ids(&after.unexpected_ids)));
    }
    if later.missing > 0 {
        problems.push(format!("{} of {} acknowledged after the destroy missing (ids {})", later.missing, later.acknowledged, ids(&later.unexpected_ids)));
    }
    format!("not the restored dump: {}", problems.join("; "))
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
