//! The request log: one entry per HTTP request and per failed TLS handshake, stamped with the mock's
//! monotonic clock (ms since start) and the wall clock, filled in as the answer goes out.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};

/// The mock's clock: milliseconds since start for ordering and arithmetic, wall time for people.
#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    started_at: SystemTime,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { start: Instant::now(), started_at: SystemTime::now() }
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    pub(crate) fn started_at(&self) -> SystemTime {
        self.started_at
    }
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-01-15T10:00:00.123Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => format!("{ts:.3}"),
        Err(_) => String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// An HTTP request was read (answered, reset, or abandoned by the client).
    Request,
    /// A TLS client connected and the handshake failed (e.g. it refused the certificate).
    TlsHandshakeFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Still being answered (e.g. inside an added latency).
    Pending,
    /// The whole answer was handed to the connection.
    Completed,
    /// The connection was closed with a TCP reset instead of an answer, as programmed.
    Reset,
    /// The client went away before the answer was written.
    ClientGone,
    /// The mock itself failed to produce the answer (502 sent); `error` says why.
    BackendError,
    /// The TLS handshake failed; `error` says why.
    HandshakeFailed,
}

/// One line of the request log, as `GET /log` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Increases by one per entry for the life of the mock (not reset by `POST /reset`).
    pub seq: u64,
    pub event: Event,
    /// When the request head (or the TLS connection) arrived, ms since the mock started.
    pub at_ms: u64,
    /// The same moment on the wall clock, RFC 3339 UTC.
    pub at: String,
    /// The client's address and port as the mock's socket saw it.
    pub client: SocketAddr,
    /// The label of the certificate the connection was served with; absent over plain HTTP.
    pub tls: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    /// Which rule chose the behaviour: the route, `*` for every route, or `default`.
    pub rule: Option<String>,
    /// The behaviour applied: `respond`, `throttle`, `fail` or `reset`.
    pub behaviour: Option<String>,
    /// The status sent; absent for a reset or an abandoned request.
    pub status: Option<u16>,
    /// The `Retry-After` header value sent, as written (seconds or an HTTP date).
    pub retry_after: Option<String>,
    /// The earliest moment (ms since start) that `Retry-After` allowed this client to call again.
    pub retry_after_until_ms: Option<u64>,
    /// When the answer left the mock (after any added latency), ms since start.
    pub answered_ms: Option<u64>,
    pub outcome: Outcome,
    /// True when the whole answer was handed to the connection.
    pub completed: bool,
    pub error: Option<String>,
}

impl LogEntry {
    pub(crate) fn new(event: Event, at_ms: u64, client: SocketAddr, tls: Option<String>) -> Self {
        LogEntry {
            seq: 0,
            event,
            at_ms,
            at: rfc3339(SystemTime::now()),
            client,
            tls,
            method: None,
            path: None,
            rule: None,
            behaviour: None,
            status: None,
            retry_after: None,
            retry_after_until_ms: None,
            answered_ms: None,
            outcome: Outcome::Pending,
            completed: false,
            error: None,
        }
    }

    pub fn is_request(&self) -> bool {
        self.event == Event::Request
    }
}

/// The body of `GET /log`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestLog {
    /// Wall-clock time of the mock's start (its `at_ms` 0), RFC 3339 UTC.
    pub started_at: String,
    /// The mock's clock when the log was read.
    pub now_ms: u64,
    pub entries: Vec<LogEntry>,
}

impl RequestLog {
    /// HTTP requests only (no failed handshakes).
    pub fn requests(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().filter(|e| e.is_request())
    }

    pub fn handshake_failures(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().filter(|e| e.event == Event::TlsHandshakeFailed)
    }
}

/// The shared store behind the log; entries stay ordered by `seq`.
#[derive(Debug, Default)]
pub(crate) struct LogStore {
    next_seq: AtomicU64,
    entries: Mutex<Vec<LogEntry>>,
}

impl LogStore {
    /// Appends `entry` with the next sequence number and returns it.
    pub(crate) fn push(&self, mut entry: LogEntry) -> u64 {
        let mut entries = self.entries.lock().unwrap();
        // Taken under the lock so the vector stays sorted by seq.
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        entry.seq = seq;
        entries.push(entry);
        seq
    }

    /// Changes the entry `seq` if it is still there (a reset may have cleared it).
    pub(crate) fn update(&self, seq: u64, change: impl FnOnce(&mut LogEntry)) {
        let mut entries = self.entries.lock().unwrap();
        if let Ok(i) = entries.binary_search_by_key(&seq, |e| e.seq) {
            change(&mut entries[i]);
        }
    }

    /// Entries with a sequence number above `since` (all when `since` is 0).
    pub(crate) fn snapshot(&self, since: u64) -> Vec<LogEntry> {
        let entries = self.entries.lock().unwrap();
        let from = entries.partition_point(|e| e.seq <= since);
        entries[from..].to_vec()
    }

    pub(crate) fn clear(&self) {
        self.entries.lock().unwrap().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_survives_clear_and_since_filters() {
        let store = LogStore::default();
        let client: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let a = store.push(LogEntry::new(Event::Request, 1, client, None));
        let b = store.push(LogEntry::new(Event::Request, 2, client, None));
        assert_eq!((a, b), (1, 2));
        assert_eq!(store.snapshot(1).iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
        store.update(2, |e| e.status = Some(429));
        assert_eq!(store.snapshot(0)[1].status, Some(429));
        store.clear();
        store.update(2, |e| e.status = Some(200));
        assert!(store.snapshot(0).is_empty());
        assert_eq!(store.push(LogEntry::new(Event::Request, 3, client, None)), 3);
    }

    #[test]
    fn wall_clock_is_rfc3339_with_milliseconds() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.123Z");
    }
}
