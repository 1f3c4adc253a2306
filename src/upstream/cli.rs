//! `firedrill mock`: the mock upstream as a process (e.g. in a drill container named `supplier`),
//! running until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{MockConfig, MockUpstream, TlsMaterial};

#[derive(Debug, clap::Args)]
pub struct MockArgs {
    /// Address the mock serves on.
    #[arg(long, default_value = "0.0.0.0:9090")]
    pub listen: SocketAddr,
    /// Address of the admin API (JSON over HTTP; default: the listen port + 1).
    #[arg(long)]
    pub admin: Option<SocketAddr>,
    /// PEM certificate chain (leaf first) to serve TLS with; swap it later with `PUT /tls`.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the leaf certificate.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// Runs the mock until a signal; exit code 0 on a clean stop.
pub fn run(args: MockArgs) -> Result<i32> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsMaterial {
            cert_chain_pem: std::fs::read_to_string(cert).with_context(|| format!("reading --tls-cert {}", cert.display()))?,
            key_pem: std::fs::read_to_string(key).with_context(|| format!("reading --tls-key {}", key.display()))?,
            label: cert.file_stem().map(|s| s.to_string_lossy().into_owned()),
        }),
        _ => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let mock = MockUpstream::start(MockConfig { listen: args.listen, admin: args.admin, tls }).await?;
        let scheme = if args.tls_cert.is_some() { "https" } else { "http" };
        // One line a supervisor can wait for.
        println!("firedrill mock: serving {scheme} on {}, admin API on http://{}", mock.addr(), mock.admin_addr());
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        eprintln!("firedrill mock: stopping");
        drop(mock);
        Ok(0)
    })
}
