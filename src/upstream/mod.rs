//! The mock upstream a drill points the service at: programmable at run time (answers, 429 +
//! Retry-After, 5xx, latency, resets, TLS renewal) and recording every request it sees.
//!
//! Layout: wiremock renders the answers (status, JSON body, `Retry-After`, added latency) on a
//! loopback port; a small hyper + tokio-rustls front ([`front`]) owns the listening socket, because
//! wiremock's server cannot terminate TLS with a swappable certificate, reset a connection, or tell
//! who connected. The front decides each request's behaviour once, logs it, and forwards it.

mod admin;
pub mod analysis;
mod backend;
pub mod behaviour;
pub mod certs;
mod cli;
pub mod client;
mod front;
pub mod log;
pub mod tls;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use analysis::{call_rate, calls_per_interval, retry_after_violations, IntervalCalls, Violation};
pub use behaviour::{Behaviour, ScheduleView, SetBehaviour, Step, StepView};
pub use certs::{CertificateAuthority, LeafCertificate, Validity};
pub use cli::{run as run_cli, MockArgs};
pub use client::UpstreamClient;
pub use log::{Event, LogEntry, Outcome, RequestLog};
pub use tls::{TlsMaterial, TlsView};

/// Where the mock listens, and whether it starts with TLS.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The address clients call (port 0: any free port).
    pub listen: SocketAddr,
    /// The admin API's address; `None`: the listen port + 1 on the same address (any free port
    /// when the listen port is 0).
    pub admin: Option<SocketAddr>,
    pub tls: Option<TlsMaterial>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig { listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), admin: None, tls: None }
    }
}

impl MockConfig {
    fn admin_addr(&self) -> SocketAddr {
        self.admin.unwrap_or_else(|| {
            let port = if self.listen.port() == 0 { 0 } else { self.listen.port().wrapping_add(1) };
            SocketAddr::new(self.listen.ip(), port)
        })
    }
}

/// State shared by the front, the admin API and the wiremock responder.
pub(crate) struct Shared {
    clock: log::Clock,
    program: Mutex<behaviour::Program>,
    log: log::LogStore,
    decisions: Arc<backend::Decisions>,
    tls: tls::TlsSlot,
    backend_uri: String,
    forwarder: reqwest::Client,
}

/// A running mock. Dropping it stops the listeners and closes every connection.
pub struct MockUpstream {
    addr: SocketAddr,
    admin_addr: SocketAddr,
    shared: Arc<Shared>,
    _shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _backend: backend::Backend,
}

impl std::fmt::Debug for MockUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockUpstream").field("addr", &self.addr).field("admin_addr", &self.admin_addr).finish_non_exhaustive()
    }
}

impl MockUpstream {
    /// Binds both ports and starts serving on the current tokio runtime.
    pub async fn start(config: MockConfig) -> Result<MockUpstream> {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}: pick another --listen address or stop what holds it", config.listen))?;
        let admin_addr = config.admin_addr();
        let admin_listener = TcpListener::bind(admin_addr).await.with_context(|| {
            format!("cannot listen on {admin_addr} for the admin API: pick another --admin address or stop what holds it")
        })?;
        let decisions = Arc::new(backend::Decisions::default());
        let backend = backend::Backend::start(decisions.clone()).await?;
        let forwarder = reqwest::Client::builder()
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .context("building the mock's client to its wiremock backend")?;
        let shared = Arc::new(Shared {
            clock: log::Clock::new(),
            program: Mutex::default(),
            log: log::LogStore::default(),
            decisions,
            tls: tls::TlsSlot::default(),
            backend_uri: backend.uri(),
            forwarder,
        });
        if let Some(material) = &config.tls {
            shared.tls.install(material).map_err(|e| anyhow::anyhow!("TLS certificate: {e}"))?;
        }
        let addr = listener.local_addr()?;
        let admin_addr = admin_listener.local_addr()?;
        let (shutdown, stop) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(front::serve(listener, shared.clone(), stop.clone())),
            tokio::spawn(admin::serve(admin_listener, shared.clone(), stop)),
        ];
        Ok(MockUpstream { addr, admin_addr, shared, _shutdown: shutdown, tasks, _backend: backend })
    }

    /// The address clients call.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// `http://` or `https://` (as TLS is now) and the address, with a wildcard made loopback.
    pub fn url(&self) -> String {
        let scheme = if self.shared.tls.current().is_some() { "https" } else { "http" };
        format!("{scheme}://{}", reachable(self.addr))
    }

    pub fn admin_url(&self) -> String {
        format!("http://{}", reachable(self.admin_addr))
    }

    pub fn client(&self) -> UpstreamClient {
        UpstreamClient::new(self.admin_url())
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        // Dropping the watch sender stops every connection task; the listeners stop here.
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A wildcard listen address is reached through loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port()),
        _ => addr,
    }
}
