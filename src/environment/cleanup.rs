//! Nothing left behind: every container, network and named volume carries its run and owner
//! process; a run's things are removed by label on drop, on Ctrl-C, and — when the owner died —
//! at the next start.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, Result};
use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, ListVolumesOptions, RemoveContainerOptions, RemoveVolumeOptions,
};
use bollard::Docker;

/// The drill run a container or network belongs to.
pub const RUN_LABEL: &str = "firedrill.run";
/// The process that created it.
pub const OWNER_PID_LABEL: &str = "firedrill.owner-pid";
/// The owner's start time (clock ticks after boot), so a recycled pid is not taken for the owner.
pub const OWNER_START_LABEL: &str = "firedrill.owner-start";
/// The owner's pid namespace: pids from another namespace are not ours to judge.
pub const OWNER_NS_LABEL: &str = "firedrill.owner-ns";
/// The DNS name of a container on its drill network.
pub const SERVICE_LABEL: &str = "firedrill.service";

/// The labels every container and network of `run` carries.
pub fn labels(run: &str) -> HashMap<String, String> {
    let me = Owner::current();
    HashMap::from([
        (RUN_LABEL.to_string(), run.to_string()),
        (OWNER_PID_LABEL.to_string(), me.pid.to_string()),
        (
            OWNER_START_LABEL.to_string(),
            me.start.unwrap_or_default().to_string(),
        ),
        (OWNER_NS_LABEL.to_string(), me.namespace.unwrap_or_default()),
    ])
}

#[derive(Debug, Clone)]
struct Owner {
    pid: u32,
    start: Option<u64>,
    namespace: Option<String>,
}

impl Owner {
    fn current() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            start: process_start(pid),
            namespace: pid_namespace(),
        }
    }
}

/// Field 22 of `/proc/PID/stat`: when the process started, in ticks after boot.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; the fields after its last ')' do not.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// Whether the process the labels name is gone. Labels from another pid namespace, or without
/// an owner, are never judged dead: they may belong to a firedrill we cannot see.
fn owner_is_dead(labels: &HashMap<String, String>) -> bool {
    let Some(pid) = labels.get(OWNER_PID_LABEL).and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    let here = pid_namespace().unwrap_or_default();
    if labels
        .get(OWNER_NS_LABEL)
        .is_some_and(|ns| !ns.is_empty() && *ns != here)
    {
        return false;
    }
    match process_start(pid) {
        None => true,
        Some(started) => match labels.get(OWNER_START_LABEL).and_then(|s| s.parse::<u64>().ok()) {
            Some(recorded) if recorded != 0 => recorded != started,
            _ => false,
        },
    }
}

/// What a sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub runs: BTreeSet<String>,
    pub containers: usize,
    pub networks: usize,
    /// Named volumes (a drill's size-limited storage).
    pub volumes: usize,
}

/// Removes the containers and networks of runs whose owner process is dead.
pub async fn sweep_stale(docker: &Docker) -> Result<Swept> {
    let mut dead_runs = BTreeSet::new();
    for container in list_containers(docker, OWNER_PID_LABEL).await? {
        let labels = container.labels.unwrap_or_default();
        if let Some(run) = labels.get(RUN_LABEL) {
            if owner_is_dead(&labels) {
                dead_runs.insert(run.clone());
            }
        }
    }
    for network in list_networks(docker, OWNER_PID_LABEL).await? {
        let labels = network.labels.unwrap_or_default();
        if let Some(run) = labels.get(RUN_LABEL) {
            if owner_is_dead(&labels) {
                dead_runs.insert(run.clone());
            }
        }
    }
    for volume in list_volumes(docker, OWNER_PID_LABEL).await? {
        if let Some(run) = volume.labels.get(RUN_LABEL) {
            if owner_is_dead(&volume.labels) {
                dead_runs.insert(run.clone());
            }
        }
    }
    let mut swept = Swept::default();
    for run in &dead_runs {
        let (containers, networks, volumes) = remove_run_counted(docker, run).await?;
        swept.containers += containers;
        swept.networks += networks;
        swept.volumes += volumes;
    }
    swept.runs = dead_runs;
    Ok(swept)
}

/// Removes every container (with its anonymous volumes), network and named volume labelled with
/// `run`; returns how many containers and networks it removed.
pub async fn remove_run(docker: &Docker, run: &str) -> Result<(usize, usize)> {
    remove_run_counted(docker, run).await.map(|(c, n, _)| (c, n))
}

/// [`remove_run`], counting the named volumes too.
async fn remove_run_counted(docker: &Docker, run: &str) -> Result<(usize, usize, usize)> {
    let filter = format!("{RUN_LABEL}={run}");
    let containers = list_containers(docker, &filter).await?;
    let removals = containers
        .iter()
        .filter_map(|c| c.id.clone())
        .map(|id| async move {
            let options = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            match docker.remove_container(&id, Some(options)).await {
                Ok(()) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(anyhow!("removing container {id}: {e}")),
            }
        });
    for result in futures_util::future::join_all(removals).await {
        result?;
    }
    let networks = list_networks(docker, &filter).await?;
    for network in &networks {
        let Some(id) = network.id.as_deref() else { continue };
        let mut attempt = 0;
        loop {
            match docker.remove_network(id).await {
                Ok(()) => break,
                Err(e) if is_not_found(&e) => break,
                // A just-removed container may still hold its endpoint for a moment.
                Err(_) if attempt < 20 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => return Err(anyhow!("removing network {id}: {e}")),
            }
        }
    }
    // Named volumes last: a volume is removable only once no container uses it.
    let volumes = list_volumes(docker, &filter).await?;
    for volume in &volumes {
        match docker.remove_volume(&volume.name, Some(RemoveVolumeOptions { force: true })).await {
            Ok(()) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(anyhow!("removing volume {}: {e}", volume.name)),
        }
    }
    Ok((containers.len(), networks.len(), volumes.len()))
}

/// The same, from synchronous code (Drop, the signal thread): its own thread and runtime, so
/// it works inside or outside any runtime, even one that is shutting down.
pub fn remove_run_blocking(run: &str) -> Result<()> {
    let run = run.to_string();
    std::thread::spawn(move || -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let docker = super::docker::connect().await?;
            remove_run(&docker, &run).await.map(|_| ())
        })
    })
    .join()
    .map_err(|_| anyhow!("the cleanup thread panicked"))?
}

fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }
    )
}

async fn list_containers(docker: &Docker, label: &str) -> Result<Vec<bollard::models::ContainerSummary>> {
    let options = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([("label".to_string(), vec![label.to_string()])])),
        ..Default::default()
    };
    Ok(docker.list_containers(Some(options)).await?)
}

async fn list_networks(docker: &Docker, label: &str) -> Result<Vec<bollard::models::Network>> {
    let options = ListNetworksOptions {
        filters: Some(HashMap::from([("label".to_string(), vec![label.to_string()])])),
    };
    Ok(docker.list_networks(Some(options)).await?)
}

async fn list_volumes(docker: &Docker, label: &str) -> Result<Vec<bollard::models::Volume>> {
    let options = ListVolumesOptions {
        filters: Some(HashMap::from([("label".to_string(), vec![label.to_string()])])),
    };
    Ok(docker.list_volumes(Some(options)).await?.volumes.unwrap_or_default())
}

/// Runs alive in this process, cleaned by the signal handler.
fn live_runs() -> &'static Mutex<HashSet<String>> {
    static LIVE: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    LIVE.get_or_init(Default::default)
}

pub(crate) fn register(run: &str) {
    live_runs()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(run.to_string());
}

pub(crate) fn unregister(run: &str) {
    live_runs().lock().unwrap_or_else(|e| e.into_inner()).remove(run);
}

/// Once per process: on SIGINT (Ctrl-C) or SIGTERM, remove every live run's containers and
/// networks, then exit 130 (143 for SIGTERM). A thread of its own, so it outlives any runtime.
pub(crate) fn install_signal_cleanup() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("firedrill-signals".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    let _ = ready_tx.send(());
                    return;
                };
                runtime.block_on(async move {
                    use tokio::signal::unix::{signal, SignalKind};
                    let (Ok(mut int), Ok(mut term)) =
                        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
                    else {
                        let _ = ready_tx.send(());
                        return;
                    };
                    let _ = ready_tx.send(());
                    let code = tokio::select! {
                        _ = int.recv() => 130,
                        _ = term.recv() => 143,
                    };
                    let runs: Vec<String> = live_runs()
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter()
                        .cloned()
                        .collect();
                    if !runs.is_empty() {
                        eprintln!("firedrill: interrupted; removing the drill's containers and networks");
                        if let Ok(docker) = super::docker::connect().await {
                            for run in &runs {
                                if let Err(e) = remove_run(&docker, run).await {
                                    eprintln!("firedrill: cleaning run {run}: {e:#}");
                                }
                            }
                        }
                    }
                    std::process::exit(code);
                });
            });
        // Handlers are in place before the first container exists.
        if spawned.is_ok() {
            let _ = ready_rx.recv();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_dead() {
        let mine = labels("r1");
        assert!(!owner_is_dead(&mine));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let mut theirs = mine.clone();
        theirs.insert(OWNER_PID_LABEL.into(), pid.to_string());
        assert!(owner_is_dead(&theirs));
        // Our pid with another start time: the pid was recycled, the owner is gone.
        let mut recycled = mine.clone();
        recycled.insert(OWNER_START_LABEL.into(), "1".into());
        assert!(owner_is_dead(&recycled));
        // Another namespace's pid is not ours to judge.
        theirs.insert(OWNER_NS_LABEL.into(), "pid:[1]".into());
        assert!(!owner_is_dead(&theirs));
    }
}
