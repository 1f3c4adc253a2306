//! Where a drill runs: a private Docker network per run with Postgres, Redis, mocks and the
//! service under test on it by DNS name, host ports for firedrill's own probes, nothing left behind.
//!
//! Containers and networks are driven through bollard (the client testcontainers itself uses,
//! already in the dependency tree): testcontainers 0.28 cannot give a container a network
//! alias, label a network, or disconnect and reconnect a container, which drills need.

pub mod apt;
mod archive;
mod cleanup;
mod container;
mod docker;
pub mod images;
mod storage;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context, Result};
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkCreateRequest, NetworkingConfig, PortBinding,
};
use bollard::query_parameters::CreateContainerOptions;
use bollard::Docker;

pub use cleanup::{
    sweep_stale, Swept, OWNER_NS_LABEL, OWNER_PID_LABEL, OWNER_START_LABEL, RUN_LABEL, SERVICE_LABEL,
};
pub use container::{
    Container, ContainerSpec, ExecOutput, LogMark, Ready, POSTGRES_DB, POSTGRES_PASSWORD, POSTGRES_USER,
};
pub use docker::{connect, connect_to, NoEngine};
pub use storage::Volume;

/// How an environment starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// The run id (default: a fresh one). Names the network `firedrill-<id>`.
    pub run_id: Option<String>,
    /// Remove the run's containers on SIGINT/SIGTERM and exit 130/143 (default on).
    pub clean_on_signal: bool,
    /// Remove leftovers of dead firedrill processes first (default on).
    pub sweep: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            run_id: None,
            clean_on_signal: true,
            sweep: true,
        }
    }
}

/// One drill's private network and the containers on it. Dropping it removes them all (also
/// while a panic unwinds); [`Environment::shutdown`] does the same and reports errors.
#[derive(Debug)]
pub struct Environment {
    docker: Docker,
    run_id: String,
    network: String,
    containers: Mutex<Vec<Container>>,
    started: Instant,
    closed: bool,
}

impl Environment {
    /// Connects to the engine, sweeps leftovers of dead runs, creates the network.
    pub async fn start() -> Result<Environment> {
        Environment::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Result<Environment> {
        let started = Instant::now();
        let docker = docker::connect().await?;
        if options.sweep {
            let swept = sweep_stale(&docker)
                .await
                .context("sweeping leftovers of earlier runs")?;
            if swept.containers + swept.networks + swept.volumes > 0 {
                eprintln!(
                    "firedrill: removed {} container(s), {} network(s) and {} volume(s) left by dead runs ({})",
                    swept.containers,
                    swept.networks,
                    swept.volumes,
                    swept.runs.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
        }
        let run_id = options.run_id.unwrap_or_else(new_run_id);
        let network = format!("firedrill-{run_id}");
        if options.clean_on_signal {
            cleanup::install_signal_cleanup();
        }
        cleanup::register(&run_id);
        // From here on, Drop cleans whatever exists.
        let env = Environment {
            docker,
            run_id,
            network,
            containers: Mutex::new(Vec::new()),
            started,
            closed: false,
        };
        env.docker
            .create_network(NetworkCreateRequest {
                name: env.network.clone(),
                driver: Some("bridge".into()),
                labels: Some(cleanup::labels(&env.run_id)),
                ..Default::default()
            })
            .await
            .with_context(|| format!("creating network {}", env.network))?;
        Ok(env)
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The Docker network's name, `firedrill-<run id>`.
    pub fn network(&self) -> &str {
        &self.network
    }

    /// Time since [`Environment::start`] began.
    pub fn age(&self) -> Duration {
        self.started.elapsed()
    }

    /// The docker client, for operations this module does not wrap.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// A container started earlier, by DNS name.
    pub fn container(&self, name: &str) -> Option<Container> {
        self.containers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|c| c.name() == name)
            .cloned()
    }

    /// Starts a container on the network (building a missing built-in image first) and waits
    /// until it is ready.
    pub async fn run(&self, spec: ContainerSpec) -> Result<Container> {
        let image = spec.image.clone();
        tokio::task::spawn_blocking(move || images::ensure_images(&[image.as_str()]))
            .await
            .map_err(|e| anyhow!("image check panicked: {e}"))??;
        // A host port picked free may be taken before Docker binds it; pick again then.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_and_start(&spec).await {
                Err(e) if attempt < 4 && format!("{e:#}").contains("already allocated") => continue,
                other => return other,
            }
        }
    }

    /// Starts several containers at once; returns them in the same order.
    pub async fn run_all(&self, specs: Vec<ContainerSpec>) -> Result<Vec<Container>> {
        futures_util::future::try_join_all(specs.into_iter().map(|s| self.run(s))).await
    }

    async fn create_and_start(&self, spec: &ContainerSpec) -> Result<Container> {
        let mut host_ports = HashMap::new();
        for port in &spec.ports {
            host_ports.insert(*port, free_local_port()?);
        }
        let mut labels = cleanup::labels(&self.run_id);
        labels.insert(SERVICE_LABEL.to_string(), spec.name.clone());
        let port_bindings = host_ports
            .iter()
            .map(|(container, host)| {
                let binding = PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(host.to_string()),
                };
                (format!("{container}/tcp"), Some(vec![binding]))
            })
            .collect();
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            hostname: Some(spec.name.clone()),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            entrypoint: spec.entrypoint.clone(),
            cmd: spec.cmd.clone(),
            labels: Some(labels),
            exposed_ports: Some(spec.ports.iter().map(|p| format!("{p}/tcp")).collect()),
            stop_signal: spec.stop_signal.clone(),
            host_config: Some(HostConfig {
                network_mode: Some(self.network.clone()),
                port_bindings: Some(port_bindings),
                tmpfs: (!spec.tmpfs.is_empty()).then(|| spec.tmpfs.iter().cloned().collect()),
                binds: (!spec.binds.is_empty()).then(|| spec.binds.clone()),
                cap_add: (!spec.cap_add.is_empty()).then(|| spec.cap_add.clone()),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    self.network.clone(),
                    EndpointSettings {
                        aliases: Some(vec![spec.name.clone()]),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptions {
            name: Some(format!("{}-{}", self.network, sanitize(&spec.name))),
            ..Default::default()
        };
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .with_context(|| format!("creating container {} from {}", spec.name, spec.image))?;
        let container = Container {
            docker: self.docker.clone(),
            id: created.id.clone(),
            spec: spec.clone(),
            network: self.network.clone(),
            host_ports,
        };
        let start = self.docker.start_container(&created.id, None).await;
        if let Err(e) = start {
            let _ = self
                .docker
                .remove_container(
                    &created.id,
                    Some(bollard::query_parameters::RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    }),
                )
                .await;
            return Err(anyhow::Error::new(e)
                .context(format!("starting container {} from {}", spec.name, spec.image)));
        }
        self.containers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(container.clone());
        container
            .wait_ready(LogMark::default(), Instant::now() + spec.ready_timeout)
            .await?;
        Ok(container)
    }

    /// Removes the container `name` now, with its anonymous volumes (its data), and forgets it:
    /// a destroyed dependency. [`Environment::run`] with its spec starts a new one under the same
    /// DNS name. Returns the removed handle (for its spec).
    pub async fn remove(&self, name: &str) -> Result<Container> {
        let container = self.container(name).ok_or_else(|| anyhow!("no container `{name}` in this run"))?;
        let options = bollard::query_parameters::RemoveContainerOptions { force: true, v: true, ..Default::default() };
        self.docker
            .remove_container(&container.id, Some(options))
            .await
            .with_context(|| format!("removing {name} and its volumes"))?;
        self.containers.lock().unwrap_or_else(|e| e.into_inner()).retain(|c| c.id != container.id);
        Ok(container)
    }

    /// Removes every container and the network now, reporting what went wrong.
    pub async fn shutdown(mut self) -> Result<()> {
        self.closed = true;
        cleanup::unregister(&self.run_id);
        cleanup::remove_run(&self.docker, &self.run_id).await.map(|_| ())
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        if let Err(e) = cleanup::remove_run_blocking(&self.run_id) {
            eprintln!(
                "firedrill: could not remove run {}: {e:#}; the next `firedrill run` sweeps it, or: \
                 docker rm -f $(docker ps -aq --filter label={RUN_LABEL}={})",
                self.run_id, self.run_id
            );
        }
        cleanup::unregister(&self.run_id);
    }
}

/// `<seconds since epoch, base 36>-<pid>-<counter>`: unique per process and sortable.
fn new_run_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{}-{}-{}",
        base36(secs),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn free_local_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("finding a free host port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_unique_and_usable_as_names() {
        let a = new_run_id();
        let b = new_run_id();
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "{a}");
        assert_eq!(base36(0), "0");
        assert_eq!(base36(36 * 36 + 35), "10z");
        assert_eq!(sanitize("mock upstream/1"), "mock-upstream-1");
    }
}
