//! Can the load generator hold its arrival rate? Against a trivial keep-alive HTTP endpoint on
//! loopback it runs at several fixed rates and reports what it achieved (answers per second, and
//! the worst lag between a request's scheduled and actual send); then, when `wrk` is installed
//! (Debian package `wrk`), wrk's closed-loop maximum against the same endpoint for comparison.
//!
//! `cargo bench --bench load` (prints one line per rate, then wrk's figure).

use std::sync::Arc;
use std::time::Duration;

use firedrill::workload::{self, LoadPlan, Progress, RequestTemplate};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Answers every request on a connection with `200 ok`, keep-alive, on its own runtime thread.
fn trivial_server() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { continue };
                tokio::spawn(async move {
                    let _ = socket.set_nodelay(true);
                    let mut buf = vec![0u8; 8192];
                    let mut filled = 0;
                    loop {
                        let Ok(n) = socket.read(&mut buf[filled..]).await else { return };
                        if n == 0 {
                            return;
                        }
                        filled += n;
                        // Answer each complete request head (GETs carry no body).
                        while let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                            if socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.is_err() {
                                return;
                            }
                            buf.copy_within(end + 4..filled, 0);
                            filled -= end + 4;
                        }
                        if filled == buf.len() {
                            return;
                        }
                    }
                });
            }
        });
    });
    addr
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used here.
    let addr = trivial_server();
    let url = format!("http://{addr}");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let seconds = 5;
    println!("load generator, open model, {seconds} s per rate, against {url}/ (trivial endpoint)");
    for rate in [5_000.0, 10_000.0, 20_000.0, 30_000.0] {
        let plan = LoadPlan {
            base_url: url.clone(),
            rate,
            duration: Duration::from_secs(seconds),
            mix: vec![RequestTemplate {
                name: "get".into(),
                method: reqwest::Method::GET,
                path: "/".into(),
                body: None,
                weight: 1,
                ledger: false,
            }],
            timeout: Duration::from_secs(2),
            id_space: 1000,
        };
        let result = runtime.block_on(workload::run(&plan, 0, Arc::new(Progress::default())));
        let ok = result.samples.iter().filter(|s| s.outcome.is_success()).count();
        let stats = firedrill::measure::stats(&result.samples);
        let max_lag = result.samples.iter().map(|s| s.send_lag).max().unwrap_or_default();
        println!(
            "  target {:>6.0}/s: {:>7.0} answers/s ({} of {} ok), p50 {:?}, p99 {:?}, worst send lag {:?}",
            rate,
            ok as f64 / result.elapsed.as_secs_f64(),
            ok,
            result.samples.len(),
            stats.p50.unwrap_or_default(),
            stats.p99.unwrap_or_default(),
            max_lag
        );
    }
    match std::process::Command::new("wrk").args(["-t2", "-c64", &format!("-d{seconds}s"), &format!("{url}/")]).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text.lines().find(|l| l.starts_with("Requests/sec")).unwrap_or("Requests/sec: ?");
            println!("wrk -t2 -c64 (closed loop, as fast as it can) on the same endpoint: {}", line.trim());
        }
        _ => println!("wrk is not installed (apt-get install wrk) — no comparison"),
    }
}
