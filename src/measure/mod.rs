//! What happened, in numbers: per-phase error rates and latency percentiles (HDR histograms),
//! per-interval series for charts, RTO and acknowledged writes lost. Each definition is written
//! into the result as prose (`DEFINITIONS`) so a reader never has to guess what was measured.

pub mod ledger;
pub mod restore;

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::units::Percent;
use crate::workload::{Outcome, Sample};

/// The definitions a result carries with its numbers.
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("latency", "from the request's scheduled send time to its answer (open model, coordinated omission corrected); timeouts count at the timeout"),
    ("error", "any answer outside 2xx/3xx, a timeout, or a connection failure"),
    ("phases", "before: scheduled before the fault starts; during: from the fault's start to the recovery point; after: from the recovery point to the end"),
    ("rto", "from the moment the fault is healed (for a `restore` or the RDB restore of a `redis-data-loss`, the moment the restore starts) to the start of the first window, at least `stability` long, in which every request succeeds and the health endpoint answers 200; absent when no such window exists before the end"),
    ("lost_writes", "ledgered writes acknowledged with 2xx that are missing when every id is read back after recovery; writes that timed out are indeterminate, not lost"),
    ("rpo", "after a `restore` from a backup: from the restored dump's snapshot_from to the moment the destroy started (no value when nothing was restored); otherwise from the oldest lost acknowledged write's scheduled time to the fault's start (zero when none is lost)"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Before,
    During,
    After,
}

/// The instants that cut a run into phases, from the start of the load.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub fault_start: Duration,
    pub fault_end: Duration,
    /// Where `after` begins: the recovery point if the service recovered, else the fault's end.
    pub recovered_at: Option<Duration>,
}

impl Timeline {
    pub fn phase_of(&self, at: Duration) -> Phase {
        let after_from = self.recovered_at.unwrap_or(self.fault_end).max(self.fault_end);
        if at < self.fault_start {
            Phase::Before
        } else if at < after_from {
            Phase::During
        } else {
            Phase::After
        }
    }
}

/// Latency and errors of a set of requests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub error_rate: Percent,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub p50: Option<Duration>,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub p95: Option<Duration>,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub p99: Option<Duration>,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub max: Option<Duration>,
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 10 min at 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

pub fn stats<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> Stats {
    let mut hist = new_histogram();
    let (mut requests, mut errors, mut timeouts) = (0u64, 0u64, 0u64);
    for s in samples {
        requests += 1;
        if !s.outcome.is_success() {
            errors += 1;
        }
        if s.outcome == Outcome::Timeout {
            timeouts += 1;
        }
        hist.saturating_record((s.latency.as_micros() as u64).max(1));
    }
    let q = |quantile: f64| (requests > 0).then(|| Duration::from_micros(hist.value_at_quantile(quantile)));
    Stats {
        requests,
        errors,
        timeouts,
        error_rate: Percent(if requests == 0 { 0.0 } else { errors as f64 * 100.0 / requests as f64 }),
        p50: q(0.50),
        p95: q(0.95),
        p99: q(0.99),
        max: (requests > 0).then(|| Duration::from_micros(hist.max())),
    }
}

/// Stats for each phase.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhaseStats {
    pub before: Stats,
    pub during: Stats,
    pub after: Stats,
}

pub fn by_phase(samples: &[Sample], timeline: &Timeline) -> PhaseStats {
    let of = |p: Phase| stats(samples.iter().filter(|s| timeline.phase_of(s.scheduled) == p));
    PhaseStats { before: of(Phase::Before), during: of(Phase::During), after: of(Phase::After) }
}

/// One interval of the time series, for charts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    /// Interval start, milliseconds from the start of the load.
    pub t_ms: u64,
    pub requests: u64,
    pub errors: u64,
    /// p95 latency in microseconds, absent for an empty interval.
    pub p95_us: Option<u64>,
}

pub fn series(samples: &[Sample], interval: Duration, until: Duration) -> Vec<Point> {
    let width = interval.as_micros().max(1) as u64;
    let n = (until.as_micros() as u64).div_ceil(width) as usize;
    let mut hists: Vec<(u64, u64, Histogram<u64>)> = (0..n.max(1)).map(|_| (0, 0, new_histogram())).collect();
    for s in samples {
        let i = ((s.scheduled.as_micros() as u64) / width) as usize;
        if let Some((req, err, h)) = hists.get_mut(i) {
            *req += 1;
            if !s.outcome.is_success() {
                *err += 1;
            }
            h.saturating_record((s.latency.as_micros() as u64).max(1));
        }
    }
    hists
        .into_iter()
        .enumerate()
        .map(|(i, (requests, errors, h))| Point {
            t_ms: (i as u64 * width) / 1000,
            requests,
            errors,
            p95_us: (requests > 0).then(|| h.value_at_quantile(0.95)),
        })
        .collect()
}

/// A health probe's answer at a moment of the run.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Probe {
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub at: Duration,
    pub healthy: bool,
}

/// The recovery point: the start of the first window after `healed` at least `stability` long in
/// which every request succeeds and every health probe is healthy, with at least one of each in it.
/// Returns the instant (from the load's start), or `None` if no such window fits before `end`.
pub fn recovery_point(samples: &[Sample], probes: &[Probe], healed: Duration, stability: Duration, end: Duration) -> Option<Duration> {
    // Candidate starts: the heal instant, and just after every failure seen after it.
    let mut failures: Vec<Duration> = samples
        .iter()
        .filter(|s| s.scheduled >= healed && !s.outcome.is_success())
        .map(|s| s.scheduled)
        .chain(probes.iter().filter(|p| p.at >= healed && !p.healthy).map(|p| p.at))
        .collect();
    failures.sort();
    let mut candidate = healed;
    let mut f = failures.iter().peekable();
    loop {
        // Skip failures before the candidate.
        while f.peek().is_some_and(|t| **t < candidate) {
            f.next();
        }
        let window_end = candidate + stability;
        if window_end > end {
            return None;
        }
        match f.peek() {
            Some(t) if **t < window_end => {
                candidate = **t + Duration::from_micros(1);
            }
            _ => {
                // The window is clean; it must also hold evidence (a request and a probe).
                let has_request = samples.iter().any(|s| s.scheduled >= candidate && s.scheduled < window_end);
                let has_probe = probes.is_empty() || probes.iter().any(|p| p.at >= candidate && p.at < window_end);
                if has_request && has_probe {
                    // Recovery starts at the first success in the window, not at an empty instant.
                    let first = samples.iter().find(|s| s.scheduled >= candidate).map_or(candidate, |s| s.scheduled);
                    return Some(first.max(healed));
                }
                candidate = window_end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ms: u64, ok: bool, latency_ms: u64) -> Sample {
        Sample {
            scheduled: Duration::from_millis(ms),
            latency: Duration::from_millis(latency_ms),
            send_lag: Duration::ZERO,
            request: 0,
            outcome: if ok { Outcome::Status(200) } else { Outcome::Status(503) },
            ledger_id: None,
        }
    }

    #[test]
    fn stats_per_phase() {
        let samples: Vec<Sample> = (0..100).map(|i| sample(i * 100, !(30..50).contains(&i), if i < 30 { 10 } else { 900 })).collect();
        let t = Timeline { fault_start: Duration::from_secs(3), fault_end: Duration::from_secs(5), recovered_at: Some(Duration::from_secs(5)) };
        let p = by_phase(&samples, &t);
        assert_eq!((p.before.requests, p.before.errors), (30, 0));
        assert_eq!((p.during.requests, p.during.errors), (20, 20));
        assert_eq!(p.during.error_rate, Percent(100.0));
        assert_eq!(p.after.errors, 0);
        assert!(p.before.p99.unwrap() < Duration::from_millis(11));
    }

    #[test]
    fn recovery_waits_for_a_stable_window() {
        // Heal at 5 s; failures at 5.0-5.9 s and a flap at 6.5 s; stable from 6.6 s.
        let mut samples: Vec<Sample> = (0..100).map(|i| sample(i * 100, true, 5)).collect();
        for s in samples.iter_mut().filter(|s| (5000..6000).contains(&(s.scheduled.as_millis() as u64)) || s.scheduled.as_millis() == 6500) {
            s.outcome = Outcome::Status(503);
        }
        let r = recovery_point(&samples, &[], Duration::from_secs(5), Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(r, Some(Duration::from_millis(6600)));
        // Never stable long enough before the end.
        let r = recovery_point(&samples, &[], Duration::from_secs(5), Duration::from_secs(4), Duration::from_secs(10));
        assert_eq!(r, None);
    }

    #[test]
    fn series_bins_by_interval() {
        let samples: Vec<Sample> = (0..20).map(|i| sample(i * 100, i % 2 == 0, 10)).collect();
        let s = series(&samples, Duration::from_secs(1), Duration::from_secs(2));
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].requests, s[0].errors), (10, 5));
    }
}
