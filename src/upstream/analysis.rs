//! Reading the mock's log the way a drill measures: calls per interval as seen by the upstream, and
//! calls that arrived before the client's last 429 allowed (Retry-After violations).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

use super::log::LogEntry;
use crate::units::Rate;

/// Requests that arrived in one interval of the mock's clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalCalls {
    /// Interval start, ms since the mock started.
    pub start_ms: u64,
    pub calls: u64,
    pub rate: Rate,
}

/// Requests (not failed handshakes) per `interval`, from the mock's start to `until`.
pub fn calls_per_interval<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    interval: Duration,
    until: Duration,
) -> Vec<IntervalCalls> {
    let width = (interval.as_millis() as u64).max(1);
    let n = (until.as_millis() as u64).div_ceil(width).max(1) as usize;
    let mut counts = vec![0u64; n];
    for e in entries.into_iter().filter(|e| e.is_request()) {
        if let Some(count) = counts.get_mut((e.at_ms / width) as usize) {
            *count += 1;
        }
    }
    let seconds = width as f64 / 1000.0;
    counts
        .into_iter()
        .enumerate()
        .map(|(i, calls)| IntervalCalls { start_ms: i as u64 * width, calls, rate: Rate { per_second: calls as f64 / seconds } })
        .collect()
}

/// Requests per second that arrived in `[from, to)` of the mock's clock.
pub fn call_rate<'a>(entries: impl IntoIterator<Item = &'a LogEntry>, from: Duration, to: Duration) -> Rate {
    let (from_ms, to_ms) = (from.as_millis() as u64, to.as_millis() as u64);
    let calls = entries.into_iter().filter(|e| e.is_request() && e.at_ms >= from_ms && e.at_ms < to_ms).count();
    let seconds = to.saturating_sub(from).as_secs_f64();
    Rate { per_second: if seconds > 0.0 { calls as f64 / seconds } else { 0.0 } }
}

/// A request that came before the `Retry-After` of the last 429 its client had received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The early request.
    pub seq: u64,
    pub client: IpAddr,
    pub at_ms: u64,
    /// When the last 429 allowed this client to call again.
    pub allowed_from_ms: u64,
    /// The 429 whose `Retry-After` was not waited for.
    pub throttled_seq: u64,
}

impl Violation {
    pub fn early_by(&self) -> Duration {
        Duration::from_millis(self.allowed_from_ms - self.at_ms)
    }
}

/// Every Retry-After violation in the log. A client is an IP address (each connection has its own
/// port); a 429 counts for the requests that arrived after it was answered; a request up to
/// `tolerance` early is forgiven (0 is exact to the millisecond).
pub fn retry_after_violations<'a>(entries: impl IntoIterator<Item = &'a LogEntry>, tolerance: Duration) -> Vec<Violation> {
    let requests: Vec<&LogEntry> = entries.into_iter().filter(|e| e.is_request()).collect();
    // Per client, its 429s by the time they were answered.
    let mut throttles: HashMap<IpAddr, Vec<(u64, &LogEntry)>> = HashMap::new();
    for e in &requests {
        if let (Some(429), Some(answered)) = (e.status, e.answered_ms) {
            throttles.entry(e.client.ip()).or_default().push((answered, e));
        }
    }
    for list in throttles.values_mut() {
        list.sort_by_key(|(answered, e)| (*answered, e.seq));
    }
    let tolerance_ms = tolerance.as_millis() as u64;
    let mut violations: Vec<Violation> = requests
        .iter()
        .filter_map(|r| {
            let list = throttles.get(&r.client.ip())?;
            // The last 429 answered strictly before this request arrived.
            let i = list.partition_point(|(answered, _)| *answered < r.at_ms);
            let (_, last) = list[..i].last()?;
            let allowed_from_ms = last.retry_after_until_ms?;
            (r.at_ms + tolerance_ms < allowed_from_ms).then(|| Violation {
                seq: r.seq,
                client: r.client.ip(),
                at_ms: r.at_ms,
                allowed_from_ms,
                throttled_seq: last.seq,
            })
        })
        .collect();
    violations.sort_by_key(|v| (v.at_ms, v.seq));
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::log::{Event, LogEntry};

    fn request(seq: u64, client: &str, at_ms: u64, status: u16, answered_ms: u64, until: Option<u64>) -> LogEntry {
        let mut e = LogEntry::new(Event::Request, at_ms, client.parse().unwrap(), None);
        e.seq = seq;
        e.status = Some(status);
        e.answered_ms = Some(answered_ms);
        e.retry_after_until_ms = until;
        e
    }

    #[test]
    fn early_calls_count_per_client_and_from_the_last_429() {
        let log = vec![
            request(1, "10.0.0.1:5000", 0, 429, 10, Some(1010)),
            // Arrived while the first 429 was still on its way: the client could not know.
            request(2, "10.0.0.1:5001", 5, 429, 15, Some(1015)),
            request(3, "10.0.0.1:5002", 500, 429, 505, Some(2505)),
            // Another client is not bound by the first one's 429.
            request(4, "10.0.0.2:6000", 600, 200, 601, None),
            request(5, "10.0.0.1:5003", 2505, 200, 2506, None),
            request(6, "10.0.0.1:5004", 2600, 200, 2601, None),
        ];
        let v = retry_after_violations(&log, Duration::ZERO);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!((v[0].seq, v[0].throttled_seq, v[0].early_by()), (3, 2, Duration::from_millis(515)));
        assert_eq!(retry_after_violations(&log, Duration::from_millis(600)), vec![]);
    }

    #[test]
    fn intervals_count_requests_by_arrival() {
        let log: Vec<LogEntry> =
            [0, 100, 999, 1000, 2500, 9000].iter().enumerate().map(|(i, &t)| request(i as u64, "10.0.0.1:1", t, 200, t, None)).collect();
        let series = calls_per_interval(&log, Duration::from_secs(1), Duration::from_secs(3));
        assert_eq!(series.iter().map(|s| s.calls).collect::<Vec<_>>(), vec![3, 1, 1]);
        assert_eq!(series[0].rate.per_second, 3.0);
        let half = calls_per_interval(&log, Duration::from_millis(500), Duration::from_secs(1));
        assert_eq!(half.iter().map(|s| (s.start_ms, s.rate.per_second)).collect::<Vec<_>>(), vec![(0, 4.0), (500, 2.0)]);
        assert_eq!(call_rate(&log, Duration::ZERO, Duration::from_secs(2)).per_second, 2.0);
    }
}
