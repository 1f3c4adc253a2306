//! The reference service as an image: the workspace binary, stripped, on the base image.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::environment::images;

/// The tag scenarios name for the reference service under `fixtures/reference-service`.
pub const REFERENCE_SERVICE: &str = "firedrill/reference-service";

/// firedrill itself on the base image, run as `firedrill mock` for `mock: {}` dependencies.
pub const MOCK_IMAGE: &str = "firedrill/mock";
/// The mock's ports inside its container: the upstream API, and its admin API.
pub const MOCK_PORT: u16 = 9090;
pub const MOCK_ADMIN_PORT: u16 = 9091;

/// The reference service binary: `$FIREDRILL_REFERENCE_SERVICE`, else next to the running
/// executable (a test binary lives one level deeper, in `deps/`).
pub fn find_reference_service() -> Result<PathBuf> {
    find_sibling("reference-service", "FIREDRILL_REFERENCE_SERVICE", "cargo build --release -p reference-service")
}

/// The firedrill binary to run as the mock: `$FIREDRILL_BINARY`, the running executable when it
/// is firedrill, else the one next to it (tests run from `deps/`).
pub fn find_firedrill() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running executable")?;
    if std::env::var_os("FIREDRILL_BINARY").is_none() && exe.file_name().is_some_and(|n| n == "firedrill") {
        return Ok(exe);
    }
    find_sibling("firedrill", "FIREDRILL_BINARY", "cargo build --release")
}

fn find_sibling(name: &str, variable: &str, build: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(variable) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().context("locating the running executable")?;
    let mut dir = exe.parent();
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join(name);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    bail!("no {name} binary next to {}: build it with `{build}` (or set {variable} to its path)", exe.display())
}

/// Builds (or keeps) [`REFERENCE_SERVICE`] from `binary`.
pub fn package(binary: &Path) -> Result<()> {
    package_as(REFERENCE_SERVICE, binary, "reference-service", &[])
}

/// Builds (or keeps) [`MOCK_IMAGE`] from the firedrill binary.
pub fn package_mock(binary: &Path) -> Result<()> {
    let listen = format!("0.0.0.0:{MOCK_PORT}");
    let admin = format!("0.0.0.0:{MOCK_ADMIN_PORT}");
    package_as(MOCK_IMAGE, binary, "firedrill", &["mock", "--listen", &listen, "--admin", &admin])
}

/// Debug symbols are stripped first: the image only needs the code, and a smaller file copies
/// and hashes faster.
fn package_as(tag: &str, binary: &Path, name: &str, args: &[&str]) -> Result<()> {
    // Drills of one process package one at a time (the temporary file is named by process).
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = images::cache_dir().join("binaries");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stripped = dir.join(format!("{name}.{}", std::process::id()));
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
    let target = dir.join(name);
    std::fs::rename(&stripped, &target).with_context(|| format!("moving {} into place", stripped.display()))?;
    images::build_binary_image(tag, &target, args)?;
    Ok(())
}
