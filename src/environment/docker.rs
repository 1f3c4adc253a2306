//! Reaching the Docker engine: the API client (bollard) for containers and networks, the
//! `docker` command line for image imports, and one error that says how to start an engine.

use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use bollard::Docker;

/// No Docker engine answered. `firedrill lint` and `validate` never need one.
#[derive(Debug, thiserror::Error)]
#[error(
    "no Docker engine answers at {endpoint}{detail}: start one (as root: `dockerd &`, or `scripts/test` \
     starts it) or set DOCKER_HOST to a running engine; `firedrill lint` works without Docker"
)]
pub struct NoEngine {
    pub endpoint: String,
    pub detail: String,
}

/// The engine address in use: `DOCKER_HOST`, else the local socket.
pub fn endpoint() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".into())
}

/// An API client that has talked to the engine once (version negotiated: the engine may be
/// older than bollard's default API version).
pub async fn connect() -> Result<Docker> {
    let docker = Docker::connect_with_defaults();
    verified(docker, endpoint()).await
}

/// [`connect`] to an explicit engine address (`unix:///...`, `tcp://...`).
pub async fn connect_to(address: &str) -> Result<Docker> {
    verified(Docker::connect_with_host(address), address.to_string()).await
}

async fn verified(docker: Result<Docker, bollard::errors::Error>, endpoint: String) -> Result<Docker> {
    let no_engine = |e: bollard::errors::Error| NoEngine {
        endpoint: endpoint.clone(),
        detail: format!(" ({e})"),
    };
    let docker = docker
        .map_err(no_engine)?
        .negotiate_version()
        .await
        .map_err(no_engine)?;
    docker.ping().await.map_err(no_engine)?;
    Ok(docker)
}

/// The `docker` client command.
pub fn docker_cli() -> Command {
    Command::new("docker")
}

/// Fails with [`NoEngine`] unless `docker version` reaches a server.
pub fn require_engine_cli() -> Result<()> {
    let output = match docker_cli()
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(anyhow::anyhow!(
                "the `docker` command is not installed: `apt-get install docker.io` (as root); \
                 `firedrill lint` works without Docker"
            ))
        }
        Err(e) => return Err(e).context("running `docker version`"),
    };
    if !output.status.success() {
        let detail = String::from_utf8_lossy(&output.stderr);
        let detail = detail.lines().last().unwrap_or("").trim();
        return Err(NoEngine {
            endpoint: endpoint(),
            detail: if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            },
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn no_engine_says_how_to_start_one() {
        let err = super::connect_to("unix:///nonexistent/firedrill-test.sock")
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(err.downcast_ref::<super::NoEngine>().is_some(), "{text}");
        for needle in [
            "unix:///nonexistent/firedrill-test.sock",
            "dockerd",
            "DOCKER_HOST",
            "firedrill lint",
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
    }
}
