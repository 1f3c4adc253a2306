//! What the mock upstreams saw, on the drill's clock: calls per second around each upstream fault,
//! Retry-After violations, the rate cut and the climb back, and the service's breaker as its
//! health endpoint reported it, checked against the calls that arrived meanwhile.

use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use tokio::time::Instant;

use crate::measure::{self, Stats};
use crate::scenario::{Scenario, Step};
use crate::units::{Percent, Rate};
use crate::upstream::{RequestLog, UpstreamClient, Violation};
use crate::workload::Sample;

use super::FaultRecord;

/// Prose written into every result next to the numbers below.
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("upstream_calls", "HTTP requests that reached a mock upstream, by their arrival in its request log, placed on the drill's clock (offset measured against the mock's admin API, uncertainty in `clock_uncertainty_us`)"),
    ("upstream_baseline", "calls per second the mock received from the start of the load to the first upstream fault"),
    ("upstream_rate_drop", "1 - (calls in the second that starts with the fault's first 429 or 5xx answer, that call included) / baseline; negative when the rate went up"),
    ("upstream_rate_recovery", "from the fault's end to the end of the first whole second (windows stepped by 100 ms, each wholly after the fault) in which the mock received at least 90 % of the baseline; absent when that did not happen before the next upstream fault or the end of the load"),
    ("retry_after_violations", "calls that arrived before the Retry-After of the last 429 their client (IP address) had been answered had elapsed; no tolerance"),
    ("breaker", "the service's supplier breaker as `supplier.breaker` of each health probe reported it; an `open` answer with `breaker_probe_in_ms` = p proves the breaker open from the probe's answer to its send time + p"),
    ("breaker_calls_while_open", "calls that arrived inside a proven-open period, each period narrowed by the clock uncertainty + 5 ms at both ends"),
];

const RECOVERED_SHARE: f64 = 0.9;
const RATE_STEP: Duration = Duration::from_millis(100);
const SECOND: Duration = Duration::from_secs(1);
/// Calls admitted just before the breaker opened may land a moment after it did.
const OPEN_EDGE: Duration = Duration::from_millis(5);

/// What one mock upstream saw.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamSeen {
    pub name: String,
    /// Requests that reached it (TLS handshake failures not counted), the whole run.
    pub requests: u64,
    /// Requests it answered completely.
    pub completed: u64,
    /// How far the mock's clock could be from the drill's after alignment, in microseconds.
    #[serde(rename = "clock_uncertainty_us", serialize_with = "serialize_micros")]
    pub clock_uncertainty: Duration,
    /// Calls per second before the first upstream fault; absent when the load starts with one.
    pub baseline: Option<Rate>,
    pub retry_after_violations: u64,
    /// The first violations (up to 20), on the drill's clock.
    pub violations: Vec<ViolationSeen>,
    pub faults: Vec<UpstreamFaultSeen>,
    /// Calls per 500 ms, for charts.
    pub series: Vec<UpstreamPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ViolationSeen {
    pub seq: u64,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub at: Option<Duration>,
    /// How long before the `Retry-After` allowed it.
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub early_by: Duration,
}

/// One upstream fault as the mock saw it.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamFaultSeen {
    /// The fault's name in the timeline (its id, else its kind).
    pub fault: String,
    /// `429` or the 5xx status it answered.
    pub answer: String,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub injected_at: Option<Duration>,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub healed_at: Option<Duration>,
    /// When the first 429 / 5xx answer's call arrived.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub first_failure_at: Option<Duration>,
    /// Calls in the second that starts with the first failure.
    pub first_second: Option<Rate>,
    pub rate_drop: Option<Percent>,
    /// Calls per second over the whole fault window.
    pub rate_during: Option<Rate>,
    /// Calls per second from the fault's end to the next upstream fault or the end of the load.
    pub rate_after: Option<Rate>,
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub rate_recovery: Option<Duration>,
    /// Calls the fault answered with 429 or 5xx.
    pub failed_calls: u64,
    /// First health answer during the fault that showed the breaker open or half-open.
    #[serde(serialize_with = "crate::units::serialize_duration_opt")]
    pub breaker_opened_at: Option<Duration>,
    /// The breaker states health reported during the fault, in order of first appearance.
    pub breaker_states: Vec<BreakerState>,
    /// The service's own API during the fault window.
    pub api: Stats,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamPoint {
    pub t_ms: u64,
    pub calls: u64,
    /// Answered 429.
    pub throttled: u64,
    /// Answered 5xx or reset.
    pub failed: u64,
}

/// The breaker state a health answer reports in `supplier.breaker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
    /// The service says it has no breaker.
    Disabled,
}

impl BreakerState {
    fn parse(s: &str) -> Option<BreakerState> {
        Some(match s {
            "closed" => BreakerState::Closed,
            "open" => BreakerState::Open,
            "half-open" => BreakerState::HalfOpen,
            "disabled" => BreakerState::Disabled,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
            BreakerState::Disabled => "disabled",
        }
    }
}

/// One health answer that carried the supplier breaker.
#[derive(Debug, Clone, Copy)]
pub struct BreakerSample {
    pub sent: Duration,
    pub answered: Duration,
    pub state: BreakerState,
    /// `supplier.breaker_probe_in_ms`: while open, how long until a probe may go.
    pub probe_in: Option<Duration>,
}

impl BreakerSample {
    /// Reads `supplier.breaker` (and `breaker_probe_in_ms`) from a health answer's JSON body.
    pub fn from_health(body: &[u8], sent: Duration, answered: Duration) -> Option<BreakerSample> {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let supplier = json.get("supplier")?;
        let state = BreakerState::parse(supplier.get("breaker")?.as_str()?)?;
        let probe_in = supplier.get("breaker_probe_in_ms").and_then(|v| v.as_u64()).map(Duration::from_millis);
        Some(BreakerSample { sent, answered, state, probe_in })
    }
}

/// The breaker over the run, from the health answers.
#[derive(Debug, Clone, Serialize)]
pub struct BreakerSeen {
    /// The mock whose calls were checked against the open periods.
    pub upstream: String,
    pub samples: u64,
    /// Runs of health answers that agreed on the state.
    pub spans: Vec<BreakerSpan>,
    /// Proven-open periods (one per opening, re-openings after a failed probe included).
    pub open_periods: u64,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub open_time: Duration,
    pub calls_while_open: u64,
    /// Arrival of the first calls inside an open period (up to 20), on the drill's clock.
    #[serde(serialize_with = "serialize_durations")]
    pub calls_while_open_at: Vec<Duration>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakerSpan {
    pub state: BreakerState,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub from: Duration,
    #[serde(serialize_with = "crate::units::serialize_duration")]
    pub to: Duration,
}

fn serialize_micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

fn serialize_durations<S: serde::Serializer>(v: &[Duration], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|d| crate::units::format_duration(*d)))
}

/// The mock's clock against the drill's: `drill = mock + offset`, within `uncertainty`.
#[derive(Debug, Clone, Copy)]
pub struct ClockOffset {
    offset_us: i64,
    pub uncertainty: Duration,
}

impl ClockOffset {
    /// Asks the mock for its clock a few times and keeps the quickest answer's midpoint.
    pub async fn measure(client: &UpstreamClient, start: Instant) -> Result<ClockOffset> {
        let mut best: Option<ClockOffset> = None;
        for _ in 0..5 {
            let sent = Instant::now();
            // An empty slice of the log: its answer carries the mock's clock.
            let now_ms = client.log_since(u64::MAX).await.context("reading the mock's clock")?.now_ms;
            let answered = Instant::now();
            let round_trip = answered - sent;
            let mid = sent + round_trip / 2;
            let mid_us = signed_micros(mid, start);
            // The mock's millisecond truncates: its true time is up to 1 ms later.
            let offset_us = mid_us - (now_ms as i64 * 1000 + 500);
            let candidate = ClockOffset { offset_us, uncertainty: round_trip / 2 + Duration::from_micros(500) };
            if best.is_none_or(|b| candidate.uncertainty < b.uncertainty) {
                best = Some(candidate);
            }
        }
        Ok(best.expect("five tries"))
    }

    /// A moment of the mock's clock on the drill's; `None` before the load started.
    pub fn drill_time(&self, mock_ms: u64) -> Option<Duration> {
        let us = mock_ms as i64 * 1000 + self.offset_us;
        (us >= 0).then(|| Duration::from_micros(us as u64))
    }
}

fn signed_micros(at: Instant, origin: Instant) -> i64 {
    if at >= origin {
        (at - origin).as_micros() as i64
    } else {
        -((origin - at).as_micros() as i64)
    }
}

/// A request the mock logged, on the drill's clock.
#[derive(Debug, Clone, Copy)]
struct Call {
    at: Duration,
    status: Option<u16>,
    failed: bool,
}

fn calls(log: &RequestLog, clock: &ClockOffset) -> Vec<Call> {
    let mut calls: Vec<Call> = log
        .requests()
        .filter_map(|e| {
            let at = clock.drill_time(e.at_ms)?;
            let failed = e.status.is_some_and(|s| (500..600).contains(&s) || s == 429) || e.behaviour.as_deref() == Some("reset");
            Some(Call { at, status: e.status, failed })
        })
        .collect();
    calls.sort_by_key(|c| c.at);
    calls
}

fn count(calls: &[Call], from: Duration, to: Duration) -> u64 {
    let lo = calls.partition_point(|c| c.at < from);
    let hi = calls.partition_point(|c| c.at < to);
    hi.saturating_sub(lo) as u64
}

fn rate(calls: &[Call], from: Duration, to: Duration) -> Option<Rate> {
    let seconds = to.checked_sub(from)?.as_secs_f64();
    (seconds > 0.0).then(|| Rate { per_second: count(calls, from, to) as f64 / seconds })
}

/// The upstream faults of the timeline, each with its record.
fn upstream_faults<'a>(scenario: &'a Scenario, records: &'a [(usize, FaultRecord)]) -> Vec<(&'a Step, &'a FaultRecord)> {
    records
        .iter()
        .filter_map(|(i, r)| scenario.timeline.get(*i).filter(|s| s.is_upstream_fault()).map(|s| (s, r)))
        .collect()
}

/// Everything the drill needs to measure one mock.
pub struct MockReading<'a> {
    pub name: &'a str,
    pub log: &'a RequestLog,
    pub clock: ClockOffset,
    pub scenario: &'a Scenario,
    /// The fault records with their timeline index.
    pub records: &'a [(usize, FaultRecord)],
    pub samples: &'a [Sample],
    pub breaker: &'a [BreakerSample],
    pub duration: Duration,
}

/// What one mock saw, around the upstream faults aimed at it.
pub fn measure(m: &MockReading) -> UpstreamSeen {
    let calls = calls(m.log, &m.clock);
    let mine: Vec<(&Step, &FaultRecord)> =
        upstream_faults(m.scenario, m.records).into_iter().filter(|(s, _)| s.service() == Some(m.name)).collect();
    let first_fault = mine.iter().filter_map(|(_, r)| r.injected_at).min();
    let baseline = first_fault.and_then(|f| rate(&calls, Duration::ZERO, f)).filter(|r| r.per_second > 0.0);
    let mut faults = Vec::new();
    for (k, (step, record)) in mine.iter().enumerate() {
        let injected = record.injected_at;
        let healed = record.healed_at;
        // The stretch that belongs to this fault: from the previous one's end to the next one's start.
        let segment_start = if k == 0 { Duration::ZERO } else { mine[k - 1].1.healed_at.unwrap_or(m.duration) };
        let segment_end = mine.get(k + 1).and_then(|(_, r)| r.injected_at).unwrap_or(m.duration);
        let window_end = healed.unwrap_or(m.duration);
        let is_answer = |c: &Call| match step {
            Step::Upstream429(_) => c.status == Some(429),
            _ => c.status.is_some_and(|s| (500..600).contains(&s)),
        };
        let in_segment: Vec<&Call> = calls.iter().filter(|c| c.at >= segment_start && c.at < segment_end).collect();
        let first_failure_at = in_segment.iter().find(|c| is_answer(c)).map(|c| c.at);
        let first_second = first_failure_at.and_then(|t| rate(&calls, t, t + SECOND));
        let rate_drop = baseline.zip(first_second).map(|(b, f)| Percent((1.0 - f.per_second / b.per_second) * 100.0));
        let rate_recovery = healed.zip(baseline).and_then(|(h, b)| recovery(&calls, h, segment_end, b));
        let (breaker_opened_at, breaker_states) = match injected {
            Some(i) => breaker_during(m.breaker, i, window_end),
            None => (None, Vec::new()),
        };
        let api = measure::stats(m.samples.iter().filter(|s| injected.is_some_and(|i| s.scheduled >= i) && s.scheduled < window_end));
        faults.push(UpstreamFaultSeen {
            fault: step.name().to_string(),
            answer: match step {
                Step::UpstreamError(e) => e.status.to_string(),
                _ => "429".to_string(),
            },
            injected_at: injected,
            healed_at: healed,
            first_failure_at,
            first_second,
            rate_drop,
            rate_during: injected.and_then(|i| rate(&calls, i, window_end)),
            rate_after: healed.and_then(|h| rate(&calls, h, segment_end)),
            rate_recovery,
            failed_calls: in_segment.iter().filter(|c| is_answer(c)).count() as u64,
            breaker_opened_at,
            breaker_states,
            api,
        });
    }
    let violations = crate::upstream::retry_after_violations(&m.log.entries, Duration::ZERO);
    UpstreamSeen {
        name: m.name.to_string(),
        requests: m.log.requests().count() as u64,
        completed: m.log.requests().filter(|e| e.completed).count() as u64,
        clock_uncertainty: m.clock.uncertainty,
        baseline,
        retry_after_violations: violations.len() as u64,
        violations: violations.iter().take(20).map(|v| violation_seen(v, &m.clock)).collect(),
        faults,
        series: series(&calls, Duration::from_millis(500), m.duration),
    }
}

fn violation_seen(v: &Violation, clock: &ClockOffset) -> ViolationSeen {
    ViolationSeen { seq: v.seq, at: clock.drill_time(v.at_ms), early_by: v.early_by() }
}

/// The first trailing second, wholly after `healed` and ending before `until`, with at least
/// [`RECOVERED_SHARE`] of the baseline; the time from `healed` to its end.
fn recovery(calls: &[Call], healed: Duration, until: Duration, baseline: Rate) -> Option<Duration> {
    let needed = RECOVERED_SHARE * baseline.per_second * SECOND.as_secs_f64();
    let mut end = healed + SECOND;
    while end <= until {
        if count(calls, end - SECOND, end) as f64 >= needed {
            return Some(end - healed);
        }
        end += RATE_STEP;
    }
    None
}

/// The first health answer in `[from, to)` showing the breaker not closed, and every state seen.
fn breaker_during(samples: &[BreakerSample], from: Duration, to: Duration) -> (Option<Duration>, Vec<BreakerState>) {
    let during: Vec<&BreakerSample> = samples.iter().filter(|s| s.sent >= from && s.sent < to).collect();
    let opened = during.iter().find(|s| matches!(s.state, BreakerState::Open | BreakerState::HalfOpen)).map(|s| s.answered);
    let mut states = Vec::new();
    for s in during {
        if !states.contains(&s.state) {
            states.push(s.state);
        }
    }
    (opened, states)
}

/// The breaker timeline and the calls `upstream` received while it was proven open.
pub fn breaker(samples: &[BreakerSample], upstream: &str, log: &RequestLog, clock: &ClockOffset) -> BreakerSeen {
    let mut spans: Vec<BreakerSpan> = Vec::new();
    for s in samples {
        match spans.last_mut() {
            Some(last) if last.state == s.state => last.to = s.answered,
            _ => spans.push(BreakerSpan { state: s.state, from: s.sent, to: s.answered }),
        }
    }
    // Each open answer proves [answered, sent + probe_in); overlapping proofs are one period.
    let mut periods: Vec<(Duration, Duration)> = Vec::new();
    for s in samples.iter().filter(|s| s.state == BreakerState::Open) {
        let Some(p) = s.probe_in else { continue };
        let (from, to) = (s.answered, s.sent + p);
        if to <= from {
            continue;
        }
        match periods.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => periods.push((from, to)),
        }
    }
    let edge = clock.uncertainty + OPEN_EDGE;
    let calls = calls(log, clock);
    let inside: Vec<Duration> = calls
        .iter()
        .filter(|c| periods.iter().any(|(from, to)| c.at > *from + edge && c.at + edge < *to))
        .map(|c| c.at)
        .collect();
    BreakerSeen {
        upstream: upstream.to_string(),
        samples: samples.len() as u64,
        spans,
        open_periods: periods.len() as u64,
        open_time: periods.iter().map(|(from, to)| *to - *from).sum(),
        calls_while_open: inside.len() as u64,
        calls_while_open_at: inside.into_iter().take(20).collect(),
    }
}

fn series(calls: &[Call], interval: Duration, until: Duration) -> Vec<UpstreamPoint> {
    let width = interval.as_millis().max(1) as u64;
    let n = (until.as_millis() as u64).div_ceil(width).max(1) as usize;
    let mut points: Vec<UpstreamPoint> =
        (0..n).map(|i| UpstreamPoint { t_ms: i as u64 * width, calls: 0, throttled: 0, failed: 0 }).collect();
    for c in calls {
        if let Some(p) = points.get_mut((c.at.as_millis() as u64 / width) as usize) {
            p.calls += 1;
            if c.status == Some(429) {
                p.throttled += 1;
            } else if c.failed {
                p.failed += 1;
            }
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::LogEntry;

    fn log_of(entries: Vec<LogEntry>) -> RequestLog {
        RequestLog { started_at: String::new(), now_ms: 0, entries }
    }

    fn entry(seq: u64, at_ms: u64, status: u16) -> LogEntry {
        let mut e: LogEntry = serde_json::from_value(serde_json::json!({
            "seq": seq, "event": "request", "at_ms": at_ms, "at": "", "client": "10.0.0.2:4000",
            "tls": null, "method": "GET", "path": "/prices", "rule": "*", "behaviour": "respond",
            "status": status, "retry_after": null, "retry_after_until_ms": null,
            "answered_ms": at_ms + 1, "outcome": "completed", "completed": true, "error": null
        }))
        .unwrap();
        e.seq = seq;
        e
    }

    const EXACT: ClockOffset = ClockOffset { offset_us: 0, uncertainty: Duration::ZERO };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn recovery_is_the_end_of_the_first_full_second_at_ninety_percent() {
        // 10 calls/s until 5 s, none to 6 s, then 9 calls/s.
        let mut entries: Vec<LogEntry> = (0..50).map(|i| entry(i, i * 100, 200)).collect();
        entries.extend((0..36).map(|i| entry(100 + i, 6000 + i * 111, 200)));
        let log = log_of(entries);
        let c = calls(&log, &EXACT);
        let baseline = rate(&c, Duration::ZERO, ms(5000)).unwrap();
        assert_eq!(baseline.per_second, 10.0);
        // The second [5.9, 6.9) is the first to hold 9 calls (6000 .. 6888): 90 % of 10.
        assert_eq!(recovery(&c, ms(5000), ms(10_000), baseline), Some(ms(1900)));
        // Never 90 % before 6.5 s.
        assert_eq!(recovery(&c, ms(5000), ms(6500), baseline), None);
    }

    #[test]
    fn calls_inside_a_proven_open_period_count_and_a_probe_at_its_end_does_not() {
        let sample = |sent: u64, state, probe_in: Option<u64>| BreakerSample {
            sent: ms(sent),
            answered: ms(sent + 2),
            state,
            probe_in: probe_in.map(ms),
        };
        let samples = vec![
            sample(900, BreakerState::Closed, None),
            sample(1000, BreakerState::Open, Some(1000)),
            sample(1100, BreakerState::Open, Some(900)),
            sample(2100, BreakerState::Closed, None),
        ];
        // 950: before it opened; 1500: inside; 2000: the probe, at the end of the period.
        let log = log_of(vec![entry(1, 950, 503), entry(2, 1500, 503), entry(3, 2000, 200)]);
        let b = breaker(&samples, "supplier", &log, &EXACT);
        assert_eq!((b.open_periods, b.calls_while_open), (1, 1));
        assert_eq!(b.calls_while_open_at, vec![ms(1500)]);
        assert_eq!(b.open_time, ms(998));
        assert_eq!(b.spans.iter().map(|s| s.state).collect::<Vec<_>>(), [BreakerState::Closed, BreakerState::Open, BreakerState::Closed]);
    }

    #[test]
    fn health_json_gives_the_breaker() {
        let body = br#"{"status":"ok","supplier":{"breaker":"open","breaker_probe_in_ms":734}}"#;
        let s = BreakerSample::from_health(body, ms(1), ms(3)).unwrap();
        assert_eq!((s.state, s.probe_in), (BreakerState::Open, Some(ms(734))));
        assert!(BreakerSample::from_health(br#"{"status":"ok"}"#, ms(1), ms(3)).is_none());
        assert!(BreakerSample::from_health(b"not json", ms(1), ms(3)).is_none());
    }

    #[test]
    fn the_mock_clock_maps_onto_the_drill_clock() {
        let clock = ClockOffset { offset_us: -2_500_000, uncertainty: ms(1) };
        assert_eq!(clock.drill_time(2000), None);
        assert_eq!(clock.drill_time(3000), Some(ms(500)));
    }
}
