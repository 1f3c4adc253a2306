//! Size-limited storage for a drill: a named Docker volume on tmpfs with a size, labelled with the
//! run like every container, so the run's cleanup (drop, Ctrl-C, the sweep) removes it.
//!
//! Docker unmounts a tmpfs volume, and so loses its content, when the last container using it
//! stops. A drill whose database must survive its own restart therefore keeps the volume mounted
//! in a second, long-lived container: [`Environment::hold_volume`].

use anyhow::{Context, Result};
use bollard::models::VolumeCreateRequest;
use std::collections::HashMap;

use super::{cleanup, sanitize, ContainerSpec, Environment, Ready};

/// A size-limited volume of this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// The Docker volume's name: `firedrill-<run>-<name>`.
    pub name: String,
    pub size_bytes: u64,
}

impl Volume {
    /// `NAME:PATH`, for [`ContainerSpec::bind`].
    pub fn mount_at(&self, path: &str) -> String {
        format!("{}:{path}", self.name)
    }
}

impl Environment {
    /// Creates a tmpfs volume of `size_bytes` (rounded up to whole pages by the kernel), labelled
    /// with this run. It holds its content only while some container has it mounted.
    pub async fn tmpfs_volume(&self, name: &str, size_bytes: u64) -> Result<Volume> {
        let volume = format!("{}-{}", self.network, sanitize(name));
        let request = VolumeCreateRequest {
            name: Some(volume.clone()),
            driver: Some("local".into()),
            driver_opts: Some(HashMap::from([
                ("type".to_string(), "tmpfs".to_string()),
                ("device".to_string(), "tmpfs".to_string()),
                ("o".to_string(), format!("size={size_bytes}")),
            ])),
            labels: Some(cleanup::labels(&self.run_id)),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .with_context(|| format!("creating the tmpfs volume {volume} ({size_bytes} bytes)"))?;
        Ok(Volume { name: volume, size_bytes })
    }

    /// Starts `holder` (a container of the base image that only sleeps) with `volume` mounted at
    /// `path`, so the volume keeps its content while other containers using it stop and start.
    /// Commands run in the holder (`exec`) see the volume as another process on that disk would.
    pub async fn hold_volume(&self, holder: &str, volume: &Volume, path: &str) -> Result<super::Container> {
        let spec = ContainerSpec::new(holder, super::images::BASE)
            .entrypoint(["sleep", "infinity"])
            .bind(volume.mount_at(path))
            .ready_when(vec![Ready::Exec(vec!["test".into(), "-d".into(), path.to_string()])]);
        self.run(spec).await.with_context(|| format!("starting {holder}, which holds volume {}", volume.name))
    }
}
