//! The mock upstream seen by real clients on loopback: reqwest (rustls) and raw sockets against the
//! in-process mock and the `firedrill mock` process, over HTTP and TLS.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use firedrill::upstream::{
    calls_per_interval, retry_after_violations, Behaviour, CertificateAuthority, Event, LogEntry,
    MockConfig, MockUpstream, Outcome, RequestLog, Step, UpstreamClient, Validity,
};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

async fn mock() -> MockUpstream {
    MockUpstream::start(MockConfig::default()).await.expect("mock starts on loopback")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap()
}

/// A client that trusts only `ca_pem` and finds `supplier` at `addr`, as a service on the drill
/// network would.
fn tls_client(ca_pem: Option<&str>, addr: SocketAddr) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .resolve("supplier", addr)
        .timeout(Duration::from_secs(10));
    if let Some(pem) = ca_pem {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

/// The error and all its sources, for asserting on the TLS reason.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Polls the log until `done` holds (the server side may finish an entry just after the client).
async fn log_until(client: &UpstreamClient, what: &str, done: impl Fn(&RequestLog) -> bool) -> RequestLog {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = client.log().await.unwrap();
        if done(&log) {
            return log;
        }
        assert!(Instant::now() < deadline, "the log never showed {what}: {:#?}", log.entries);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn all_finished(log: &RequestLog) -> bool {
    log.entries.iter().all(|e| e.outcome != Outcome::Pending)
}

fn requests(log: &RequestLog) -> Vec<&LogEntry> {
    log.requests().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_answers_carry_the_programmed_status_and_body_and_are_logged() {
    let mock = mock().await;
    let admin = mock.client();
    admin.set_behaviour(Some("/prices"), Behaviour::respond(200, json!({"prices": [{"sku": "A1", "cents": 120}]}))).await.unwrap();
    admin.set_behaviour(Some("/orders"), Behaviour::respond(201, json!({"id": 7}))).await.unwrap();

    let http = http();
    let prices = http.get(format!("{}/prices?page=1", mock.url())).send().await.unwrap();
    assert_eq!(prices.status(), 200);
    assert_eq!(prices.json::<Value>().await.unwrap(), json!({"prices": [{"sku": "A1", "cents": 120}]}));
    let order = http.post(format!("{}/orders", mock.url())).json(&json!({"item": 7})).send().await.unwrap();
    assert_eq!(order.status(), 201);
    let other = http.get(format!("{}/anything", mock.url())).send().await.unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(other.json::<Value>().await.unwrap(), json!({"ok": true}));

    let log = log_until(&admin, "three finished requests", |l| l.entries.len() == 3 && all_finished(l)).await;
    let e = requests(&log);
    let seen: Vec<_> = e.iter().map(|e| (e.method.as_deref().unwrap(), e.path.as_deref().unwrap(), e.rule.as_deref().unwrap(), e.status)).collect();
    assert_eq!(seen, vec![("GET", "/prices", "/prices", Some(200)), ("POST", "/orders", "/orders", Some(201)), ("GET", "/anything", "default", Some(200))]);
    for entry in &e {
        assert!(entry.completed && entry.outcome == Outcome::Completed, "{entry:?}");
        assert_eq!(entry.client.ip().to_string(), "127.0.0.1");
        assert_eq!(entry.tls, None);
        assert!(entry.answered_ms.unwrap() >= entry.at_ms);
        entry.at.parse::<jiff::Timestamp>().unwrap_or_else(|err| panic!("`{}` is not RFC 3339: {err}", entry.at));
    }
    assert!(e[0].at_ms <= e[1].at_ms && e[1].at_ms <= e[2].at_ms);
    assert!(log.now_ms >= e[2].at_ms);
    // The wall clock and the monotonic clock agree on the order and the spacing (to a few ms).
    let wall = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let wall_gap = wall(&e[2].at) - wall(&e[0].at);
    let mono_gap = (e[2].at_ms - e[0].at_ms) as i64;
    assert!((wall_gap - mono_gap).abs() <= 5, "wall {wall_gap} ms vs monotonic {mono_gap} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_records_the_clients_own_address_and_port() {
    let mock = mock().await;
    let mut socket = TcpStream::connect(mock.addr()).await.unwrap();
    let local = socket.local_addr().unwrap();
    let (status, body) = http_exchange(&mut socket, "GET /whoami HTTP/1.1\r\nHost: supplier\r\nConnection: close\r\n\r\n").await;
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));
    let log = log_until(&mock.client(), "one finished request", |l| l.entries.len() == 1 && all_finished(l)).await;
    assert_eq!(log.entries[0].client, local);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_answers_429_with_retry_after_in_seconds_or_as_a_date() {
    let mock = mock().await;
    let admin = mock.client();
    let http = http();

    admin.set_behaviour(None, Behaviour::throttle(Duration::from_secs(3))).await.unwrap();
    let r = http.get(format!("{}/prices", mock.url())).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "3");

    admin.set_behaviour(None, Behaviour::throttle_until_date(Duration::from_secs(3))).await.unwrap();
    let r = http.get(format!("{}/prices", mock.url())).send().await.unwrap();
    let received = SystemTime::now();
    assert_eq!(r.status(), 429);
    let date_text = r.headers()["retry-after"].to_str().unwrap().to_string();
    let date = httpdate::parse_http_date(&date_text).unwrap_or_else(|e| panic!("`{date_text}` is not an HTTP date: {e}"));
    let wait = date.duration_since(received).expect("the date is ahead");
    // Three seconds from the answer, rounded up to a whole second.
    assert!(wait >= Duration::from_millis(2_900) && wait <= Duration::from_secs(4), "{wait:?}");

    let log = log_until(&admin, "two finished requests", |l| l.entries.len() == 2 && all_finished(l)).await;
    let e = requests(&log);
    assert_eq!((e[0].status, e[0].retry_after.as_deref()), (Some(429), Some("3")));
    assert_eq!(e[0].retry_after_until_ms, Some(e[0].answered_ms.unwrap() + 3000));
    assert_eq!(e[1].retry_after.as_deref(), Some(date_text.as_str()));
    let allowed_after = e[1].retry_after_until_ms.unwrap() - e[1].answered_ms.unwrap();
    assert!((2_900..=4_000).contains(&allowed_after), "{allowed_after} ms");
    assert_eq!(e[1].behaviour.as_deref(), Some("throttle"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_added_latency() {
    let mock = mock().await;
    let admin = mock.client();
    let http = http();
    let get = |path: &'static str| {
        let http = http.clone();
        let url = format!("{}{path}", mock.url());
        async move {
            let started = Instant::now();
            let r = http.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, body, started.elapsed())
        }
    };

    admin.set_behaviour(Some("/a"), Behaviour::fail(503)).await.unwrap();
    admin.set_behaviour(Some("/b"), Behaviour::fail(500)).await.unwrap();
    admin.set_behaviour(Some("/slow"), Behaviour::ok().with_delay(Duration::from_millis(400))).await.unwrap();
    let (status, body, _) = get("/a").await;
    assert_eq!(status, 503);
    assert!(body["error"].as_str().unwrap().contains("injected"));
    assert_eq!(get("/b").await.0, 500);

    let (status, _, slow) = get("/slow").await;
    assert_eq!(status, 200);
    assert!(slow >= Duration::from_millis(400), "the delayed answer came after {slow:?}");
    // Control: the same request without the delay is much faster.
    let (_, _, fast) = get("/fast").await;
    assert!(fast < Duration::from_millis(300), "an undelayed answer took {fast:?}");

    let log = log_until(&admin, "four finished requests", |l| l.entries.len() == 4 && all_finished(l)).await;
    let slow_entry = log.entries.iter().find(|e| e.path.as_deref() == Some("/slow")).unwrap();
    assert!(slow_entry.answered_ms.unwrap() - slow_entry.at_ms >= 400, "{slow_entry:?}");
    assert_eq!(log.entries.iter().map(|e| e.status.unwrap()).collect::<Vec<_>>(), vec![503, 500, 200, 200]);

    let err = admin.set_behaviour(None, Behaviour::fail(404)).await.unwrap_err();
    assert!(format!("{err:#}").contains("use `respond`"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_closes_the_connection_with_rst_and_no_answer() {
    let mock = mock().await;
    let admin = mock.client();
    admin.set_behaviour(Some("/prices"), Behaviour::reset()).await.unwrap();

    let err = http().get(format!("{}/prices", mock.url())).send().await.unwrap_err();
    assert!(err.status().is_none(), "{err:?}");

    // A raw socket sees the RST itself: the read fails instead of returning an answer or EOF.
    let mut socket = TcpStream::connect(mock.addr()).await.unwrap();
    socket.write_all(b"GET /prices HTTP/1.1\r\nHost: supplier\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let read = socket.read_to_end(&mut buf).await;
    assert_eq!(read.as_ref().map_err(|e| e.kind()), Err(std::io::ErrorKind::ConnectionReset), "got {:?}", String::from_utf8_lossy(&buf));

    // Other routes, and the same route once cleared, answer normally: the mock survived.
    assert_eq!(http().get(format!("{}/other", mock.url())).send().await.unwrap().status(), 200);
    admin.clear_behaviours().await.unwrap();
    assert_eq!(http().get(format!("{}/prices", mock.url())).send().await.unwrap().status(), 200);

    let log = log_until(&admin, "four finished requests", |l| l.entries.len() == 4 && all_finished(l)).await;
    for e in &log.entries[..2] {
        assert_eq!((e.outcome, e.completed, e.status, e.behaviour.as_deref()), (Outcome::Reset, false, None, Some("reset")), "{e:?}");
    }
    assert!(log.entries[2..].iter().all(|e| e.completed && e.status == Some(200)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_switches_back_by_itself() {
    let mock = mock().await;
    let admin = mock.client();
    let http = http();
    let window = admin.window(Some("/prices"), Behaviour::throttle(Duration::from_secs(1)), Duration::from_millis(700)).await.unwrap();
    let until_ms = window.steps[0].until_ms.unwrap();
    assert_eq!(until_ms - window.set_at_ms, 700);

    // Other routes are not in the window.
    assert_eq!(http.get(format!("{}/health", mock.url())).send().await.unwrap().status(), 200);
    let mut statuses = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = http.get(format!("{}/prices", mock.url())).send().await.unwrap().status().as_u16();
        statuses.push(status);
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still throttled after 5 s: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(statuses[0], 429);
    assert!(statuses.len() > 3, "{statuses:?}");

    let log = log_until(&admin, "every request finished", all_finished).await;
    for e in log.requests().filter(|e| e.path.as_deref() == Some("/prices")) {
        let expected = if e.at_ms < until_ms { 429 } else { 200 };
        assert_eq!(e.status, Some(expected), "request at {} ms, window until {until_ms} ms", e.at_ms);
    }
    assert!(admin.rules().await.unwrap()[0].active_step.is_none());

    // A sequence in one call: 503, then resets, then back to normal.
    let steps = vec![
        Step::lasting(Behaviour::fail(503), Duration::from_millis(300)),
        Step::lasting(Behaviour::reset(), Duration::from_millis(300)),
    ];
    let plan = admin.set_steps(None, steps).await.unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.last() != Some(&"200".to_string()) {
        assert!(Instant::now() < deadline, "{seen:?}");
        let answer = match http.get(format!("{}/other", mock.url())).send().await {
            Ok(r) => r.status().as_u16().to_string(),
            Err(_) => "reset".to_string(),
        };
        if seen.last() != Some(&answer) {
            seen.push(answer);
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(seen, vec!["503", "reset", "200"]);
    assert_eq!(plan.steps[1].until_ms.unwrap() - plan.set_at_ms, 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_fails_closed_on_an_expired_certificate_and_recovers_after_renewal() {
    let ca = CertificateAuthority::new("firedrill test CA").unwrap();
    let expired = ca.issue(&["supplier"], Validity::Expired).unwrap();
    let renewed = ca.issue(&["supplier"], Validity::Valid).unwrap();
    let expiring = ca.issue(&["supplier"], Validity::expires_in_days(5)).unwrap();
    let left = expiring.not_after.duration_since(SystemTime::now()).unwrap();
    assert!(left > Duration::from_secs(5 * 86_400 - 60) && left <= Duration::from_secs(5 * 86_400), "{left:?}");
    assert!(expired.not_after < SystemTime::now());

    let config = MockConfig { tls: Some(expired.tls_material("expired")), ..MockConfig::default() };
    let mock = MockUpstream::start(config).await.unwrap();
    let admin = mock.client();
    assert!(mock.url().starts_with("https://"));
    let url = format!("https://supplier:{}/prices", mock.addr().port());
    let trusting = tls_client(Some(&ca.cert_pem()), mock.addr());

    let err = trusting.get(&url).send().await.unwrap_err();
    let reason = chain(&err);
    assert!(reason.to_lowercase().contains("expired"), "{reason}");
    let log = log_until(&admin, "the failed handshake", |l| l.handshake_failures().count() == 1).await;
    let failure = log.handshake_failures().next().unwrap();
    assert_eq!(failure.client.ip().to_string(), "127.0.0.1");
    assert_eq!((failure.tls.as_deref(), failure.outcome, failure.completed), (Some("expired"), Outcome::HandshakeFailed, false));
    // The client's alert, as the server side saw it.
    assert!(failure.error.as_deref().unwrap_or("").contains("CertificateExpired"), "{failure:?}");
    assert_eq!(log.requests().count(), 0, "a request got through an expired certificate");

    let view = admin.set_tls(&renewed.tls_material("renewed")).await.unwrap();
    assert_eq!((view.label.as_deref(), view.generation), (Some("renewed"), Some(2)));
    let ok = trusting.get(&url).send().await.unwrap();
    assert_eq!(ok.status(), 200);

    // Control: a client that does not trust the drill's CA is refused even by the valid certificate.
    let stranger = tls_client(None, mock.addr()).get(&url).send().await.unwrap_err();
    assert!(chain(&stranger).to_lowercase().contains("certificate"), "{}", chain(&stranger));

    admin.set_tls(&expiring.tls_material("expiring")).await.unwrap();
    assert_eq!(tls_client(Some(&ca.cert_pem()), mock.addr()).get(&url).send().await.unwrap().status(), 200);

    let log = log_until(&admin, "two completed requests", |l| l.requests().filter(|e| e.completed).count() == 2).await;
    let served: Vec<_> = log.requests().map(|e| e.tls.as_deref().unwrap()).collect();
    assert_eq!(served, vec!["renewed", "expiring"]);
    assert_eq!(log.handshake_failures().count(), 2);

    // A bad key is refused with a reason, and the current certificate stays.
    let mut broken = renewed.tls_material("broken");
    broken.key_pem = "not a key".into();
    let err = admin.set_tls(&broken).await.unwrap_err();
    assert!(format!("{err:#}").contains("key_pem"), "{err:#}");
    assert_eq!(admin.tls().await.unwrap().label.as_deref(), Some("expiring"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_handshakes_use_the_new_certificate_while_open_connections_keep_theirs() {
    let ca = CertificateAuthority::new("firedrill test CA").unwrap();
    let first = ca.issue(&["supplier"], Validity::Valid).unwrap();
    let second = ca.issue(&["supplier"], Validity::Valid).unwrap();
    let mock = MockUpstream::start(MockConfig { tls: Some(first.tls_material("first")), ..MockConfig::default() }).await.unwrap();
    let admin = mock.client();

    let mut old = tls_connect(&ca, mock.addr()).await;
    assert_eq!(http_exchange(&mut old, "GET /one HTTP/1.1\r\nHost: supplier\r\n\r\n").await.0, 200);
    admin.set_tls(&second.tls_material("second")).await.unwrap();
    let mut new = tls_connect(&ca, mock.addr()).await;
    assert_eq!(http_exchange(&mut new, "GET /two HTTP/1.1\r\nHost: supplier\r\n\r\n").await.0, 200);
    assert_eq!(http_exchange(&mut old, "GET /three HTTP/1.1\r\nHost: supplier\r\n\r\n").await.0, 200);

    let log = log_until(&admin, "three completed requests", |l| l.requests().filter(|e| e.completed).count() == 3).await;
    let served: Vec<_> = log.requests().map(|e| (e.path.as_deref().unwrap(), e.tls.as_deref().unwrap())).collect();
    assert_eq!(served, vec![("/one", "first"), ("/two", "second"), ("/three", "first")]);
    let new_cert = new.get_ref().1.peer_certificates().unwrap()[0].clone();
    assert_eq!(new_cert.as_ref(), pem_der(&second.cert_pem).as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn violations_count_a_client_that_ignores_retry_after() {
    // Negative control: calls every 100 ms through a 429 storm whatever Retry-After says.
    let mock = mock().await;
    let admin = mock.client();
    admin.window(None, Behaviour::throttle(Duration::from_secs(1)), Duration::from_secs(3)).await.unwrap();
    let http = http();
    for _ in 0..12 {
        let r = http.get(format!("{}/prices", mock.url())).send().await.unwrap();
        assert_eq!(r.status(), 429);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = log_until(&admin, "every request finished", all_finished).await;
    let violations = retry_after_violations(&log.entries, Duration::ZERO);
    // Each call after the first lands inside the previous 429's second.
    assert_eq!(violations.len(), 11, "{violations:#?}");
    for v in &violations {
        assert!(v.early_by() > Duration::ZERO && v.early_by() <= Duration::from_secs(1), "{v:?}");
        assert_eq!(v.client.to_string(), "127.0.0.1");
    }
    let end = Duration::from_millis(log.now_ms + 1);
    let series = calls_per_interval(&log.entries, Duration::from_millis(500), end);
    assert_eq!(series.iter().map(|s| s.calls).sum::<u64>(), 12);
    let peak = series.iter().map(|s| s.rate.per_second).fold(0.0, f64::max);
    assert!(peak >= 6.0, "{series:?}");
}

/// A well-behaved client: on 429, waits what Retry-After says (seconds or a date), then calls again.
async fn honour_until_ok(http: &reqwest::Client, url: &str) -> Vec<u16> {
    let mut statuses = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = http.get(url).send().await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() != 429 {
            return statuses;
        }
        assert!(Instant::now() < deadline, "{statuses:?}");
        let value = r.headers()["retry-after"].to_str().unwrap().to_string();
        let wait = match value.parse::<u64>() {
            Ok(seconds) => Duration::from_secs(seconds),
            Err(_) => httpdate::parse_http_date(&value).unwrap().duration_since(SystemTime::now()).unwrap_or_default(),
        };
        tokio::time::sleep(wait).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn violations_are_zero_for_a_client_that_waits() {
    let mock = mock().await;
    let admin = mock.client();
    let http = http();
    let url = format!("{}/prices", mock.url());

    admin.window(None, Behaviour::throttle(Duration::from_secs(1)), Duration::from_millis(2_500)).await.unwrap();
    let statuses = honour_until_ok(&http, &url).await;
    assert!(statuses.iter().filter(|s| **s == 429).count() >= 2, "the client was throttled only {statuses:?}");

    admin.window(None, Behaviour::throttle_until_date(Duration::from_secs(1)), Duration::from_millis(2_500)).await.unwrap();
    let dated = honour_until_ok(&http, &url).await;
    assert!(dated.iter().filter(|s| **s == 429).count() >= 2, "{dated:?}");

    let log = log_until(&admin, "every request finished", all_finished).await;
    assert_eq!(log.requests().count(), statuses.len() + dated.len());
    assert_eq!(retry_after_violations(&log.entries, Duration::ZERO), vec![]);
    let series = calls_per_interval(&log.entries, Duration::from_secs(1), Duration::from_millis(log.now_ms + 1));
    assert!(series.iter().all(|s| s.calls <= 2), "{series:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_explains_bad_requests_and_reset_clears_the_log() {
    let mock = mock().await;
    let admin = mock.client();
    let http = http();
    let bad = http
        .put(format!("{}/behaviour", mock.admin_url()))
        .body(r#"{"behaviour": {"kind": "throttle", "retry_after": 5}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let message = bad.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
    assert!(message.starts_with("body:1:") && message.contains("retry_after"), "{message}");
    let unknown = http.get(format!("{}/nope", mock.admin_url())).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("PUT /behaviour"));

    admin.set_behaviour(None, Behaviour::fail(502)).await.unwrap();
    assert_eq!(http.get(format!("{}/x", mock.url())).send().await.unwrap().status(), 502);
    let before = log_until(&admin, "one finished request", |l| l.entries.len() == 1 && all_finished(l)).await;
    admin.reset().await.unwrap();
    assert!(admin.log().await.unwrap().entries.is_empty());
    assert!(admin.rules().await.unwrap().is_empty());
    assert_eq!(http.get(format!("{}/x", mock.url())).send().await.unwrap().status(), 200);
    let after = log_until(&admin, "one finished request", |l| l.entries.len() == 1 && all_finished(l)).await;
    assert!(after.entries[0].seq > before.entries[0].seq, "seq goes on across a reset");
    assert_eq!(admin.log_since(after.entries[0].seq).await.unwrap().entries, vec![]);
}

/// Kills the `firedrill mock` child if a test fails before stopping it.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firedrill_mock_runs_as_a_process_with_tls_and_stops_on_sigterm() {
    let ca = CertificateAuthority::new("firedrill test CA").unwrap();
    let leaf = ca.issue(&["supplier"], Validity::Valid).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("supplier.pem"), &leaf.cert_pem).unwrap();
    std::fs::write(dir.path().join("supplier.key"), &leaf.key_pem).unwrap();

    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args(["mock", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--tls-cert"])
            .arg(dir.path().join("supplier.pem"))
            .arg("--tls-key")
            .arg(dir.path().join("supplier.key"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    // "firedrill mock: serving https on 127.0.0.1:P, admin API on http://127.0.0.1:Q"
    let addr: SocketAddr = line.split(" on ").nth(1).and_then(|s| s.split(',').next()).unwrap().parse().unwrap();
    let admin_url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(line.contains("serving https"), "{line}");
    let admin = UpstreamClient::new(admin_url);
    admin.wait_ready(Duration::from_secs(5)).await.unwrap();
    admin.window(Some("/prices"), Behaviour::throttle(Duration::from_secs(2)), Duration::from_secs(30)).await.unwrap();

    let client = tls_client(Some(&ca.cert_pem()), addr);
    let r = client.get(format!("https://supplier:{}/prices", addr.port())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (429, "2"));
    let log = log_until(&admin, "one finished request", |l| l.entries.len() == 1 && all_finished(l)).await;
    assert_eq!(log.entries[0].tls.as_deref(), Some("supplier"), "the label is the certificate file's stem");
    assert_eq!(log.entries[0].event, Event::Request);

    let pid = child.0.id() as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = tokio::task::spawn_blocking(move || child.0.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0), "firedrill mock did not stop cleanly on SIGTERM");
}

// ---- raw HTTP/1.1 over TCP and TLS, for what reqwest hides (ports, connection reuse) ----

async fn tls_connect(ca: &CertificateAuthority, addr: SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(pem_der(&ca.cert_pem()))).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    connector.connect("supplier".try_into().unwrap(), tcp).await.unwrap()
}

fn pem_der(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap().to_vec()
}

/// Sends `request` and reads one answer (status and body, by Content-Length) off the stream.
async fn http_exchange<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, request: &str) -> (u16, String) {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the answer's head: {:?}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the body");
        buf.extend_from_slice(&chunk[..n]);
    }
    (status, String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_gives_up_during_the_latency_is_logged_as_gone() {
    let mock = mock().await;
    let admin = mock.client();
    admin.set_behaviour(None, Behaviour::ok().with_delay(Duration::from_millis(800))).await.unwrap();
    let impatient = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(200)).build().unwrap();
    let err = impatient.get(format!("{}/prices", mock.url())).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let log = log_until(&admin, "the abandoned request finished", all_finished).await;
    let e = &log.entries[0];
    assert_eq!((e.outcome, e.completed), (Outcome::ClientGone, false), "{e:?}");
}
