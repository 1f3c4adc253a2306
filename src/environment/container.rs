//! One container of a drill: what to start ([`ContainerSpec`], [`Ready`]) and the handle faults
//! use ([`Container`]: stop, pause, cut from the network, exec, logs, waits with deadlines).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{EndpointSettings, NetworkConnectRequest, NetworkDisconnectRequest};
use bollard::query_parameters::{KillContainerOptions, LogsOptions, StopContainerOptions};
use bollard::Docker;
use futures_util::StreamExt;

use super::images;

/// How often conditions are polled.
const POLL: Duration = Duration::from_millis(50);

/// When a container counts as started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// A log line (stdout or stderr) containing this text, printed since the (re)start.
    Log(String),
    /// The container port accepts TCP on the container's address on the drill network (a
    /// real connection to the process: the host port's proxy accepts even when nobody listens).
    Tcp(u16),
    /// `GET path` on the mapped host port answers 2xx.
    Http { port: u16, path: String },
    /// This command exits 0 inside the container.
    Exec(Vec<String>),
}

/// What to run. `name` is the container's DNS name on the drill network.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub env: Vec<(String, String)>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// Container TCP ports published on 127.0.0.1 (fixed host ports, kept across restarts).
    pub ports: Vec<u16>,
    /// tmpfs mounts: path and mount options (`size=64m`).
    pub tmpfs: Vec<(String, String)>,
    /// Bind mounts and volumes in `docker run -v` syntax.
    pub binds: Vec<String>,
    pub cap_add: Vec<String>,
    pub stop_signal: Option<String>,
    pub ready: Vec<Ready>,
    pub ready_timeout: Duration,
}

/// Credentials [`ContainerSpec::postgres`] sets (POSTGRES_USER / PASSWORD / DB).
pub const POSTGRES_USER: &str = "firedrill";
pub const POSTGRES_PASSWORD: &str = "firedrill";
pub const POSTGRES_DB: &str = "firedrill";

impl ContainerSpec {
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> ContainerSpec {
        ContainerSpec {
            name: name.into(),
            image: image.into(),
            env: Vec::new(),
            entrypoint: None,
            cmd: None,
            ports: Vec::new(),
            tmpfs: Vec::new(),
            binds: Vec::new(),
            cap_add: Vec::new(),
            stop_signal: None,
            ready: Vec::new(),
            ready_timeout: Duration::from_secs(30),
        }
    }

    /// Postgres 15 ([`images::POSTGRES`]) with [`POSTGRES_USER`] etc., port 5432 published.
    pub fn postgres(name: impl Into<String>) -> ContainerSpec {
        ContainerSpec::new(name, images::POSTGRES)
            .env("POSTGRES_USER", POSTGRES_USER)
            .env("POSTGRES_PASSWORD", POSTGRES_PASSWORD)
            .env("POSTGRES_DB", POSTGRES_DB)
            .port(5432)
            .ready(Ready::Log(
                "database system is ready to accept connections".into(),
            ))
            .ready(Ready::Tcp(5432))
    }

    /// Redis 7 ([`images::REDIS`]), port 6379 published.
    pub fn redis(name: impl Into<String>) -> ContainerSpec {
        ContainerSpec::new(name, images::REDIS)
            .port(6379)
            .ready(Ready::Log("Ready to accept connections".into()))
            .ready(Ready::Tcp(6379))
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.into()));
        self
    }
    pub fn entrypoint<S: Into<String>>(mut self, words: impl IntoIterator<Item = S>) -> Self {
        self.entrypoint = Some(words.into_iter().map(Into::into).collect());
        self
    }
    pub fn cmd<S: Into<String>>(mut self, words: impl IntoIterator<Item = S>) -> Self {
        self.cmd = Some(words.into_iter().map(Into::into).collect());
        self
    }
    pub fn port(mut self, port: u16) -> Self {
        if !self.ports.contains(&port) {
            self.ports.push(port);
        }
        self
    }
    pub fn tmpfs(mut self, path: impl Into<String>, options: impl Into<String>) -> Self {
        self.tmpfs.push((path.into(), options.into()));
        self
    }
    pub fn bind(mut self, spec: impl Into<String>) -> Self {
        self.binds.push(spec.into());
        self
    }
    pub fn cap_add(mut self, capability: impl Into<String>) -> Self {
        self.cap_add.push(capability.into());
        self
    }
    pub fn stop_signal(mut self, signal: impl Into<String>) -> Self {
        self.stop_signal = Some(signal.into());
        self
    }
    /// Adds a readiness condition (all must hold).
    pub fn ready(mut self, condition: Ready) -> Self {
        self.ready.push(condition);
        self
    }
    /// Replaces the readiness conditions (none: started is ready).
    pub fn ready_when(mut self, conditions: Vec<Ready>) -> Self {
        self.ready = conditions;
        self
    }
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }
}

/// A command's result inside a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

/// A place in a container's log: waits "since" it ignore the lines before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogMark(usize);

/// A running (or stopped, paused, cut off) container of a drill. Cheap to clone; the
/// [`super::Environment`] that started it removes it.
#[derive(Debug, Clone)]
pub struct Container {
    pub(crate) docker: Docker,
    pub(crate) id: String,
    pub(crate) spec: ContainerSpec,
    pub(crate) network: String,
    /// container port → host port on 127.0.0.1
    pub(crate) host_ports: HashMap<u16, u16>,
}

impl Container {
    /// The DNS name on the drill network.
    pub fn name(&self) -> &str {
        &self.spec.name
    }
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn spec(&self) -> &ContainerSpec {
        &self.spec
    }

    /// The host port a published container port is mapped to (on 127.0.0.1).
    pub fn host_port(&self, container_port: u16) -> Result<u16> {
        self.host_ports.get(&container_port).copied().ok_or_else(|| {
            anyhow!(
                "{}: port {container_port} is not published; add it with ContainerSpec::port",
                self.spec.name
            )
        })
    }

    /// `127.0.0.1:<host port>` for firedrill's own load and probes.
    pub fn host_addr(&self, container_port: u16) -> Result<SocketAddr> {
        Ok(SocketAddr::from((
            [127, 0, 0, 1],
            self.host_port(container_port)?,
        )))
    }

    /// `http://127.0.0.1:<host port><path>`.
    pub fn http_url(&self, container_port: u16, path: &str) -> Result<String> {
        Ok(format!("http://{}{path}", self.host_addr(container_port)?))
    }

    /// The address on the drill network, `None` while stopped or disconnected.
    pub async fn ip(&self) -> Result<Option<IpAddr>> {
        let info = self.docker.inspect_container(&self.id, None).await?;
        let ip = info
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|mut n| n.remove(&self.network))
            .and_then(|e| e.ip_address)
            .filter(|ip| !ip.is_empty());
        Ok(ip.and_then(|ip| ip.parse().ok()))
    }

    /// `running`, `paused`, `exited`, ...
    pub async fn state(&self) -> Result<String> {
        let info = self.docker.inspect_container(&self.id, None).await?;
        Ok(info
            .state
            .and_then(|s| s.status)
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown".into()))
    }

    /// `docker stop` with this grace period (then SIGKILL).
    pub async fn stop(&self, grace: Duration) -> Result<()> {
        let options = StopContainerOptions {
            t: Some(grace.as_secs().try_into().unwrap_or(i32::MAX)),
            signal: None,
        };
        self.docker
            .stop_container(&self.id, Some(options))
            .await
            .with_context(|| format!("stopping {}", self.spec.name))
    }

    /// Sends a signal (`SIGKILL`, `SIGTERM`, ...) to the main process.
    pub async fn kill(&self, signal: &str) -> Result<()> {
        let options = KillContainerOptions {
            signal: signal.to_string(),
        };
        self.docker
            .kill_container(&self.id, Some(options))
            .await
            .with_context(|| format!("killing {}", self.spec.name))
    }

    /// Starts it again and waits until its readiness conditions hold (counting log lines
    /// printed after this start only). Host ports stay the same.
    pub async fn start(&self) -> Result<Duration> {
        let mark = self.log_mark().await?;
        let started = Instant::now();
        self.docker
            .start_container(&self.id, None)
            .await
            .with_context(|| format!("starting {}", self.spec.name))?;
        self.wait_ready(mark, started + self.spec.ready_timeout).await?;
        Ok(started.elapsed())
    }

    /// Freezes every process (SIGSTOP through the cgroup freezer): connections hang, nothing errors.
    pub async fn pause(&self) -> Result<()> {
        self.docker
            .pause_container(&self.id)
            .await
            .with_context(|| format!("pausing {}", self.spec.name))
    }

    pub async fn unpause(&self) -> Result<()> {
        self.docker
            .unpause_container(&self.id)
            .await
            .with_context(|| format!("unpausing {}", self.spec.name))
    }

    /// Cuts it from the drill network (its DNS name stops resolving; published ports go too).
    pub async fn disconnect(&self) -> Result<()> {
        let request = NetworkDisconnectRequest {
            container: self.id.clone(),
            force: Some(true),
        };
        self.docker
            .disconnect_network(&self.network, request)
            .await
            .with_context(|| format!("disconnecting {} from {}", self.spec.name, self.network))
    }

    /// Puts it back on the drill network under its DNS name.
    pub async fn connect(&self) -> Result<()> {
        let request = NetworkConnectRequest {
            container: self.id.clone(),
            endpoint_config: Some(EndpointSettings {
                aliases: Some(vec![self.spec.name.clone()]),
                ..Default::default()
            }),
        };
        self.docker
            .connect_network(&self.network, request)
            .await
            .with_context(|| format!("connecting {} to {}", self.spec.name, self.network))
    }

    /// Runs a command inside (as the image's user) and collects its output.
    pub async fn exec<S: AsRef<str>>(&self, command: &[S]) -> Result<ExecOutput> {
        let cmd: Vec<String> = command.iter().map(|s| s.as_ref().to_string()).collect();
        let what = || format!("exec {:?} in {}", cmd, self.spec.name);
        let created = self
            .docker
            .create_exec(
                &self.id,
                CreateExecOptions::<String> {
                    cmd: Some(cmd.clone()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .with_context(what)?;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        if let StartExecResults::Attached { mut output, .. } = self
            .docker
            .start_exec(&created.id, None)
            .await
            .with_context(what)?
        {
            while let Some(chunk) = output.next().await {
                match chunk.with_context(what)? {
                    bollard::container::LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                    other => stdout.extend_from_slice(other.as_ref()),
                }
            }
        }
        let inspected = self.docker.inspect_exec(&created.id).await.with_context(what)?;
        Ok(ExecOutput {
            exit_code: inspected.exit_code.unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    /// Copies `content` into the container as `dir/name` (mode 0644), running or stopped: what
    /// `docker cp FILE CONTAINER:DIR/NAME` does.
    pub async fn copy_in(&self, dir: &str, name: &str, content: &[u8]) -> Result<()> {
        let tar = super::archive::single_file(name, content, 0o644)?;
        let options = bollard::query_parameters::UploadToContainerOptions { path: dir.to_string(), ..Default::default() };
        self.docker
            .upload_to_container(&self.id, Some(options), bollard::body_full(tar.into()))
            .await
            .with_context(|| format!("copying {name} into {}:{dir}", self.spec.name))
    }

    /// The content of the file at `path` in the container, running or stopped (`docker cp` out).
    pub async fn copy_out(&self, path: &str) -> Result<Vec<u8>> {
        let options = bollard::query_parameters::DownloadFromContainerOptions { path: path.to_string() };
        let mut stream = self.docker.download_from_container(&self.id, Some(options));
        let mut tar = Vec::new();
        while let Some(chunk) = stream.next().await {
            tar.extend_from_slice(&chunk.with_context(|| format!("copying {}:{path} out", self.spec.name))?);
        }
        super::archive::first_file(&tar).with_context(|| format!("copying {}:{path} out", self.spec.name))
    }

    /// The names of the volumes mounted in it (its anonymous data volumes among them).
    pub async fn volumes(&self) -> Result<Vec<String>> {
        let info = self.docker.inspect_container(&self.id, None).await.with_context(|| format!("inspecting {}", self.spec.name))?;
        Ok(info
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| m.name)
            .collect())
    }

    /// Everything it printed so far, stdout and stderr interleaved, across restarts.
    pub async fn logs(&self) -> Result<String> {
        Ok(self.log_lines().await?.join("\n"))
    }

    /// The current end of the log, for [`Container::wait_for_log_since`].
    pub async fn log_mark(&self) -> Result<LogMark> {
        Ok(LogMark(self.log_lines().await?.len()))
    }

    /// Waits until some log line contains `needle`; returns how long it waited.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> Result<Duration> {
        self.wait_for_log_since(LogMark(0), needle, timeout).await
    }

    /// Waits until a line after `mark` contains `needle`.
    pub async fn wait_for_log_since(
        &self,
        mark: LogMark,
        needle: &str,
        timeout: Duration,
    ) -> Result<Duration> {
        let started = Instant::now();
        let deadline = started + timeout;
        loop {
            let lines = self.log_lines().await?;
            if lines.iter().skip(mark.0).any(|l| l.contains(needle)) {
                return Ok(started.elapsed());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{}: no log line with {needle:?} within {timeout:?}; its last lines:\n{}",
                    self.spec.name,
                    tail(&lines, 15)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `container_port` accepts a TCP connection at the container's own address.
    pub async fn wait_for_tcp(&self, container_port: u16, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        let deadline = started + timeout;
        loop {
            if self.tcp_answers(container_port).await {
                return Ok(started.elapsed());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{}: port {container_port} accepted no connection within {timeout:?}",
                    self.spec.name
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `GET path` on the published `container_port` answers 2xx.
    pub async fn wait_for_http(
        &self,
        container_port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<Duration> {
        let url = self.http_url(container_port, path)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        let started = Instant::now();
        let deadline = started + timeout;
        loop {
            let last = match client.get(&url).send().await {
                Ok(response) if response.status().is_success() => return Ok(started.elapsed()),
                Ok(response) => format!("status {}", response.status()),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                bail!(
                    "{}: GET {url} gave no 2xx within {timeout:?} (last: {last})",
                    self.spec.name
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn tcp_answers(&self, container_port: u16) -> bool {
        let Ok(Some(ip)) = self.ip().await else {
            return false;
        };
        matches!(
            tokio::time::timeout(
                Duration::from_millis(500),
                tokio::net::TcpStream::connect((ip, container_port))
            )
            .await,
            Ok(Ok(_))
        )
    }

    /// Every readiness condition, polled until `deadline`; fails at once if the container exits.
    pub(crate) async fn wait_ready(&self, mark: LogMark, deadline: Instant) -> Result<()> {
        let mut pending: Vec<&Ready> = self.spec.ready.iter().collect();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        loop {
            let mut still = Vec::new();
            let lines = self.log_lines().await?;
            for condition in pending {
                let holds = match condition {
                    Ready::Log(needle) => lines.iter().skip(mark.0).any(|l| l.contains(needle.as_str())),
                    Ready::Tcp(port) => self.tcp_answers(*port).await,
                    Ready::Http { port, path } => match self.http_url(*port, path) {
                        Ok(url) => http.get(url).send().await.is_ok_and(|r| r.status().is_success()),
                        Err(_) => false,
                    },
                    Ready::Exec(cmd) => self.exec(cmd).await.is_ok_and(|o| o.success()),
                };
                if !holds {
                    still.push(condition);
                }
            }
            if still.is_empty() {
                return Ok(());
            }
            let state = self.state().await?;
            if state == "exited" || state == "dead" {
                bail!(
                    "{} ({}) exited before it was ready; its last log lines:\n{}",
                    self.spec.name,
                    self.spec.image,
                    tail(&self.log_lines().await?, 20)
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} ({}) not ready within {:?}: still waiting for {:?}; its last log lines:\n{}",
                    self.spec.name,
                    self.spec.image,
                    self.spec.ready_timeout,
                    still,
                    tail(&lines, 20)
                );
            }
            pending = still;
            tokio::time::sleep(POLL).await;
        }
    }

    async fn log_lines(&self) -> Result<Vec<String>> {
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            tail: "all".into(),
            ..Default::default()
        };
        let mut stream = self.docker.logs(&self.id, Some(options));
        let mut text = Vec::new();
        while let Some(chunk) = stream.next().await {
            text.extend_from_slice(
                chunk
                    .with_context(|| format!("reading the logs of {}", self.spec.name))?
                    .as_ref(),
            );
        }
        Ok(String::from_utf8_lossy(&text)
            .lines()
            .map(str::to_string)
            .collect())
    }
}

fn tail(lines: &[String], n: usize) -> String {
    lines[lines.len().saturating_sub(n)..].join("\n")
}
