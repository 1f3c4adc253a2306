//! The reference service as an image: the workspace binary, stripped, on the base image.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::environment::images;

/// The tag scenarios name for the reference service under `fixtures/reference-service`.
pub const REFERENCE_SERVICE: &str = "firedrill/reference-service";

/// The reference service binary: `$FIREDRILL_REFERENCE_SERVICE`, else next to the running
/// executable (a test binary lives one level deeper, in `deps/`).
pub fn find_reference_service() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("FIREDRILL_REFERENCE_SERVICE") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().context("locating the firedrill executable")?;
    let mut dir = exe.parent();
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join("reference-service");
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    bail!(
        "no reference-service binary next to {}: build it with `cargo build --release -p reference-service` \
         (or set FIREDRILL_REFERENCE_SERVICE to its path)",
        exe.display()
    )
}

/// Builds (or keeps) [`REFERENCE_SERVICE`] from `binary`. Debug symbols are stripped first: the
/// image only needs the code, and a smaller file copies and hashes faster.
pub fn package(binary: &Path) -> Result<()> {
    // Drills of one process package one at a time (the temporary file is named by process).
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = images::cache_dir().join("binaries");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stripped = dir.join(format!("reference-service.{}", std::process::id()));
    let status = Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(binary)
        .status()
        .context("running strip (binutils)")?;
    if !status.success() {
        bail!("strip {} failed ({status})", binary.display());
    }
    let target = dir.join("reference-service");
    std::fs::rename(&stripped, &target).with_context(|| format!("moving {} into place", stripped.display()))?;
    images::build_binary_image(REFERENCE_SERVICE, &target, &[])?;
    Ok(())
}
