//! The drill images, built from Debian packages with no registry: debootstrap once (cached),
//! then chroot installs and `docker import`. Each image carries a hash of its recipe; a tag whose
//! hash matches is not rebuilt. One build at a time per machine (a file lock in the cache dir).

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};

use super::apt;
use super::docker::{docker_cli, require_engine_cli};

/// Minimal Debian bookworm: the base of every other image.
pub const BASE: &str = "firedrill/base:bookworm";
/// Debian's PostgreSQL 15 with the official image's environment interface.
pub const POSTGRES: &str = "firedrill/postgres:15";
/// Debian's Redis 7, listening on every interface, no config file.
pub const REDIS: &str = "firedrill/redis:7";
/// The label holding an image's recipe hash.
pub const RECIPE_LABEL: &str = "firedrill.recipe";

const DEBOOTSTRAP_SCRIPT: &str = include_str!("../../images/debootstrap.sh");
const ROOTFS_SCRIPT: &str = include_str!("../../images/rootfs.sh");
const POSTGRES_ENTRYPOINT: &str = include_str!("../../images/postgres-entrypoint.sh");
const REDIS_ENTRYPOINT: &str = include_str!("../../images/redis-entrypoint.sh");

const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Never in an image: package indexes (kept in the cached rootfs for later installs).
const TAR_EXCLUDES: &[&str] = &["./var/lib/apt/lists/*", "./var/cache/apt/*"];

struct Recipe {
    tag: &'static str,
    /// `rootfs.sh install` step name; `None` for the base itself.
    step: Option<&'static str>,
    packages: &'static [&'static str],
    entrypoint: Option<&'static str>,
    changes: &'static [&'static str],
    stop_signal: Option<&'static str>,
}

const RECIPES: &[Recipe] = &[
    Recipe {
        tag: BASE,
        step: None,
        packages: &[],
        entrypoint: None,
        changes: &[r#"CMD ["/bin/bash"]"#],
        stop_signal: None,
    },
    Recipe {
        tag: POSTGRES,
        step: Some("postgres"),
        packages: &["postgresql-15", "postgresql-client-15"],
        entrypoint: Some(POSTGRES_ENTRYPOINT),
        changes: &[
            r#"ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]"#,
            r#"CMD ["postgres"]"#,
            "ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV PGDATA=/var/lib/postgresql/data",
            // As the official image: the data on a volume, i.e. on the host's own filesystem —
            // here that is ext4 instead of fuse-overlayfs, several times faster for Postgres.
            // Anonymous: removed with its container (the environment removes with volumes).
            "VOLUME /var/lib/postgresql/data",
            "EXPOSE 5432",
        ],
        // SIGTERM is Postgres' "smart" shutdown, which waits for every client to leave: a pool
        // would hold `docker stop` until the kill. SIGINT is the fast, clean one.
        stop_signal: Some("SIGINT"),
    },
    Recipe {
        tag: REDIS,
        step: Some("redis"),
        packages: &["redis-server"],
        entrypoint: Some(REDIS_ENTRYPOINT),
        changes: &[
            r#"ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]"#,
            r#"CMD ["redis-server"]"#,
            "VOLUME /data",
            "EXPOSE 6379",
        ],
        stop_signal: None,
    },
];

/// The tags `firedrill images build` makes.
pub fn builtin_tags() -> Vec<&'static str> {
    RECIPES.iter().map(|r| r.tag).collect()
}

/// What a build did with one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The tag already carried this recipe's hash.
    UpToDate {
        tag: String,
    },
    Built {
        tag: String,
        took: std::time::Duration,
    },
}

/// Where debootstrap's result, downloaded packages and the build lock live:
/// `$FIREDRILL_CACHE_DIR`, else `$XDG_CACHE_HOME/firedrill`, else `~/.cache/firedrill`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FIREDRILL_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("firedrill");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache/firedrill"),
        None => std::env::temp_dir().join("firedrill-cache"),
    }
}

/// Progress lines go here (the CLI prints them; tests may keep them quiet).
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Prints progress lines on stderr.
pub fn stderr_progress(line: &str) {
    eprintln!("{line}");
}

/// Builds the built-in images in `tags` (all when empty) whose recipe changed or that are
/// missing; `force` rebuilds them anyway (debootstrap's cached result is still reused).
pub fn build_images(tags: &[&str], force: bool, progress: Progress) -> Result<Vec<Outcome>> {
    let wanted: Vec<&Recipe> = if tags.is_empty() {
        RECIPES.iter().collect()
    } else {
        tags.iter()
            .map(|t| recipe(t).ok_or_else(|| unknown_tag(t)))
            .collect::<Result<_>>()?
    };
    require_engine_cli()?;
    let cache = cache_dir();
    let _lock = BuildLock::acquire(&cache, progress)?;
    build_locked(&wanted, force, &cache, progress)
}

/// Makes sure every tag exists, building the built-in ones that are missing or stale, once per
/// machine at a time. Tags firedrill cannot build (`postgres:16`) must already be present.
pub fn ensure_images(tags: &[&str]) -> Result<()> {
    ensure_images_with(tags, &stderr_progress)
}

/// [`ensure_images`] with a progress sink.
pub fn ensure_images_with(tags: &[&str], progress: Progress) -> Result<()> {
    let pending: Vec<&str> = {
        let done = verified().lock().unwrap_or_else(|e| e.into_inner());
        tags.iter().copied().filter(|t| !done.contains(*t)).collect()
    };
    if pending.is_empty() {
        return Ok(());
    }
    require_engine_cli()?;
    let mut buildable = Vec::new();
    for tag in &pending {
        match recipe(tag) {
            Some(r) => buildable.push(r),
            None if image_labels(tag)?.is_some() => {}
            None => bail!(
                "image {tag} is not on this Docker engine and firedrill cannot build it: load it \
                 (`docker load -i FILE`) or name one of {}",
                builtin_tags().join(", ")
            ),
        }
    }
    if !buildable.is_empty() {
        let cache = cache_dir();
        // Drills and tests want to hear about builds only, not about images already there.
        let builds_only = |line: &str| {
            if !line.ends_with(": up to date") {
                progress(line)
            }
        };
        let _lock = BuildLock::acquire(&cache, &builds_only)?;
        build_locked(&buildable, false, &cache, &builds_only)?;
    }
    verified()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(pending.iter().map(|t| t.to_string()));
    Ok(())
}

/// Builds (or keeps, when unchanged) `tag`: the base image plus `binary` as
/// `/usr/local/bin/<its file name>`, the entrypoint, with `args` as the default command.
/// The binary must be built for this machine's glibc (Debian 12), as the base is.
pub fn build_binary_image(tag: &str, binary: &Path, args: &[&str]) -> Result<Outcome> {
    build_binary_image_with(tag, binary, args, &stderr_progress)
}

/// [`build_binary_image`] with a progress sink.
pub fn build_binary_image_with(
    tag: &str,
    binary: &Path,
    args: &[&str],
    progress: Progress,
) -> Result<Outcome> {
    let bytes = std::fs::read(binary)
        .with_context(|| format!("reading {} for image {tag}: build it first", binary.display()))?;
    let name = binary
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("{}: not a file name", binary.display()))?;
    ensure_images_with(&[BASE], progress)?;
    let base_id = image_id(BASE)?.ok_or_else(|| anyhow!("{BASE} vanished while building {tag}"))?;
    let mut hash = Fnv::new();
    hash.add(base_id.as_bytes()).add(name.as_bytes()).add(&bytes);
    for arg in args {
        hash.add(arg.as_bytes());
    }
    let hash = hash.hex();

    let cache = cache_dir();
    let _lock = BuildLock::acquire(&cache, progress)?;
    if current_recipe(tag)?.as_deref() == Some(hash.as_str()) {
        return Ok(Outcome::UpToDate { tag: tag.to_string() });
    }
    let started = Instant::now();
    progress(&format!("images: {tag}: {} on {BASE}", binary.display()));
    let old = image_id(tag)?;
    let target = format!("/usr/local/bin/{name}");
    let mut create = docker_cli();
    create.args([
        "create",
        "--label",
        &format!("{RECIPE_LABEL}={hash}"),
        "--entrypoint",
        &target,
        BASE,
    ]);
    create.args(args);
    let container = run_capture(&mut create, "docker create")?.trim().to_string();
    let result = (|| {
        run_capture(
            docker_cli().args(["cp", &binary.to_string_lossy(), &format!("{container}:{target}")]),
            "docker cp",
        )?;
        run_capture(docker_cli().args(["commit", &container, tag]), "docker commit")
    })();
    let _ = run_capture(docker_cli().args(["rm", "-f", "-v", &container]), "docker rm");
    result?;
    Ok(built(tag, old, started, progress))
}

fn verified() -> &'static Mutex<HashSet<String>> {
    static VERIFIED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    VERIFIED.get_or_init(Default::default)
}

fn recipe(tag: &str) -> Option<&'static Recipe> {
    RECIPES.iter().find(|r| r.tag == tag)
}

fn unknown_tag(tag: &str) -> anyhow::Error {
    anyhow!("firedrill builds {} (not {tag})", builtin_tags().join(", "))
}

fn base_hash() -> String {
    let mut h = Fnv::new();
    h.add(DEBOOTSTRAP_SCRIPT.as_bytes()).add(apt::SUITE.as_bytes());
    h.hex()
}

fn recipe_hash(recipe: &Recipe) -> String {
    let mut h = Fnv::new();
    h.add(base_hash().as_bytes()).add(recipe.tag.as_bytes());
    if recipe.step.is_some() {
        h.add(ROOTFS_SCRIPT.as_bytes());
    }
    for part in recipe
        .packages
        .iter()
        .chain(recipe.changes)
        .chain(recipe.entrypoint.iter())
    {
        h.add(part.as_bytes());
    }
    h.add(recipe.stop_signal.unwrap_or("").as_bytes());
    h.hex()
}

fn build_locked(wanted: &[&Recipe], force: bool, cache: &Path, progress: Progress) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    let mut todo = Vec::new();
    for recipe in wanted {
        let hash = recipe_hash(recipe);
        if !force && current_recipe(recipe.tag)?.as_deref() == Some(hash.as_str()) {
            progress(&format!("images: {}: up to date", recipe.tag));
            outcomes.push(Outcome::UpToDate {
                tag: recipe.tag.to_string(),
            });
        } else {
            todo.push((*recipe, hash));
        }
    }
    if todo.is_empty() {
        return Ok(outcomes);
    }
    // Under the lock no other build is running: whatever is in work/ was left by an interrupted one.
    let _ = remove_tree(&cache.join("work"));
    let rootfs = ensure_base_rootfs(cache, progress)?;
    let script = cache.join("rootfs.sh");
    write_file(&script, ROOTFS_SCRIPT, 0o755)?;
    let results: Vec<Result<Outcome>> = std::thread::scope(|scope| {
        let handles: Vec<_> = todo
            .iter()
            .map(|(recipe, hash)| scope.spawn(|| build_one(recipe, hash, &rootfs, cache, &script, progress)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("image build thread panicked")))
            })
            .collect()
    });
    for result in results {
        outcomes.push(result?);
    }
    Ok(outcomes)
}

fn build_one(
    recipe: &Recipe,
    hash: &str,
    base_rootfs: &Path,
    cache: &Path,
    script: &Path,
    progress: Progress,
) -> Result<Outcome> {
    let started = Instant::now();
    let tag = recipe.tag;
    let old = image_id(tag)?;
    match recipe.step {
        None => import(base_rootfs, recipe, hash, progress)?,
        Some(step) => {
            let work = cache.join("work").join(format!("{step}-{}", std::process::id()));
            let _ = remove_tree(&work);
            std::fs::create_dir_all(work.parent().unwrap_or(cache))?;
            progress(&format!("images: {tag}: copying the base rootfs"));
            run_logged(
                Command::new("cp")
                    .args(["-a", "--reflink=auto"])
                    .arg(base_rootfs)
                    .arg(&work),
                &cache.join(format!("logs/{step}-copy.log")),
                "copying the base rootfs",
            )?;
            let built = (|| {
                progress(&format!(
                    "images: {tag}: apt-get install {} (chroot)",
                    recipe.packages.join(" ")
                ));
                let debs = cache.join("debs");
                std::fs::create_dir_all(&debs)?;
                run_logged(
                    Command::new("sh")
                        .arg(script)
                        .arg("install")
                        .arg(&work)
                        .arg(&debs)
                        .arg(step)
                        .args(recipe.packages),
                    &cache.join(format!("logs/{step}-install.log")),
                    &format!("installing {} into {tag}", recipe.packages.join(" ")),
                )?;
                if let Some(entrypoint) = recipe.entrypoint {
                    write_file(
                        &work.join("usr/local/bin/docker-entrypoint.sh"),
                        entrypoint,
                        0o755,
                    )?;
                }
                import(&work, recipe, hash, progress)
            })();
            let _ = remove_tree(&work);
            built?;
        }
    }
    Ok(built(tag, old, started, progress))
}

/// `tar --numeric-owner -C DIR -c . | docker import --change ... - TAG`, then the settings
/// import cannot set (the stop signal) through a container and `docker commit`.
fn import(rootfs: &Path, recipe: &Recipe, hash: &str, progress: Progress) -> Result<()> {
    let tag = recipe.tag;
    progress(&format!("images: {tag}: docker import"));
    let mut tar = Command::new("tar");
    tar.arg("--numeric-owner");
    for pattern in TAR_EXCLUDES {
        tar.arg(format!("--exclude={pattern}"));
    }
    let mut tar = tar
        .arg("-C")
        .arg(rootfs)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running tar (install it: apt-get install tar)")?;
    let tar_out = tar.stdout.take().ok_or_else(|| anyhow!("tar has no stdout"))?;
    let mut import = docker_cli();
    import.arg("import");
    let mut changes: Vec<String> = recipe.changes.iter().map(|c| c.to_string()).collect();
    if !recipe.changes.iter().any(|c| c.starts_with("ENV PATH=")) {
        changes.push(format!("ENV {PATH_ENV}"));
    }
    changes.push("ENV LANG=C.UTF-8".to_string());
    changes.push(format!("LABEL {RECIPE_LABEL}={hash}"));
    for change in &changes {
        import.arg("--change").arg(change);
    }
    let import_tag = if recipe.stop_signal.is_some() {
        format!("{tag}-import")
    } else {
        tag.to_string()
    };
    import.args(["-", &import_tag]).stdin(Stdio::from(tar_out));
    let output = import.output().context("running docker import")?;
    let tar_status = tar.wait()?;
    if !tar_status.success() {
        let mut err = String::new();
        if let Some(mut e) = tar.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        bail!("tar of {} failed: {}", rootfs.display(), err.trim());
    }
    if !output.status.success() {
        bail!(
            "docker import {tag} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    if let Some(signal) = recipe.stop_signal {
        let container = run_capture(
            docker_cli().args(["create", "--stop-signal", signal, &import_tag]),
            "docker create",
        )?
        .trim()
        .to_string();
        let committed = run_capture(docker_cli().args(["commit", &container, tag]), "docker commit");
        let _ = run_capture(docker_cli().args(["rm", "-f", "-v", &container]), "docker rm");
        committed?;
        // The import stays as the commit's parent layer; only its name goes.
        let _ = run_capture(docker_cli().args(["rmi", &import_tag]), "docker rmi");
    }
    Ok(())
}

/// debootstrap's result for this recipe, made once and kept in the cache.
fn ensure_base_rootfs(cache: &Path, progress: Progress) -> Result<PathBuf> {
    let root = cache.join("rootfs");
    let name = format!("{}-{}", apt::SUITE, base_hash());
    let dir = root.join(&name);
    let done = root.join(format!("{name}.complete"));
    if done.is_file() && dir.is_dir() {
        progress(&format!(
            "images: debootstrap {}: cached in {}",
            apt::SUITE,
            dir.display()
        ));
        return Ok(dir);
    }
    require_root_tools(progress)?;
    let mirror = apt::machine_mirror()?;
    std::fs::create_dir_all(&root)?;
    // Older recipes' rootfs are dead weight (about 300 MB each).
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let _ = if entry.path().is_dir() {
                remove_tree(&entry.path())
            } else {
                std::fs::remove_file(entry.path()).map_err(Into::into)
            };
        }
    }
    let partial = root.join(format!("{name}.partial"));
    let debs = cache.join("debs");
    std::fs::create_dir_all(&debs)?;
    let script = cache.join("debootstrap.sh");
    write_file(&script, DEBOOTSTRAP_SCRIPT, 0o755)?;
    let started = Instant::now();
    progress(&format!(
        "images: debootstrap --variant=minbase {} from {} (about a minute)",
        apt::SUITE,
        mirror.uri
    ));
    run_logged(
        Command::new("sh")
            .arg(&script)
            .arg(&partial)
            .arg(&mirror.uri)
            .arg(&debs)
            .env("FIREDRILL_SOURCES_LIST", &mirror.sources_list),
        &cache.join("logs/debootstrap.log"),
        "debootstrap",
    )?;
    std::fs::rename(&partial, &dir)?;
    File::create(&done)?;
    progress(&format!(
        "images: debootstrap done in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(dir)
}

/// debootstrap, chroot and mounts need root; a missing debootstrap is installed when we are root.
fn require_root_tools(progress: Progress) -> Result<()> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        bail!("building images needs root (debootstrap and chroot): run `sudo firedrill images build`");
    }
    let have = Command::new("sh")
        .args(["-c", "command -v debootstrap"])
        .stdout(Stdio::null())
        .status()?
        .success();
    if !have {
        progress("images: installing debootstrap (apt-get install debootstrap)");
        let log = cache_dir().join("logs/apt-get-debootstrap.log");
        run_logged(
            Command::new("apt-get").args(["update", "-q"]),
            &log,
            "apt-get update",
        )?;
        run_logged(
            Command::new("apt-get")
                .args(["install", "-y", "-q", "debootstrap"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
            &log,
            "apt-get install debootstrap",
        )?;
    }
    Ok(())
}

/// The recipe hash the tag carries, if the tag exists.
fn current_recipe(tag: &str) -> Result<Option<String>> {
    Ok(image_labels(tag)?.and_then(|labels| {
        labels
            .get(RECIPE_LABEL)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }))
}

/// The image's labels, `None` when the tag does not exist.
fn image_labels(tag: &str) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
    let output = docker_cli()
        .args(["image", "inspect", "--format", "{{json .Config.Labels}}", tag])
        .output()?;
    if !output.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(Some(
        match serde_json::from_str::<serde_json::Value>(text.trim()) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => Default::default(),
        },
    ))
}

fn image_id(tag: &str) -> Result<Option<String>> {
    let output = docker_cli()
        .args(["image", "inspect", "--format", "{{.Id}}", tag])
        .output()?;
    Ok(output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string()))
}

/// Drops the image a rebuild replaced (kept when a container still uses it).
fn remove_replaced(tag: &str, old: Option<String>) {
    if let (Some(old), Ok(Some(new))) = (old, image_id(tag)) {
        if old != new {
            let _ = docker_cli()
                .args(["rmi", &old])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn run_capture(cmd: &mut Command, what: &str) -> Result<String> {
    let output = cmd.output().with_context(|| format!("running {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs a long step with its output in a log file; a failure quotes the log's tail.
fn run_logged(cmd: &mut Command, log: &Path, what: &str) -> Result<()> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .with_context(|| format!("running {what}"))?;
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        bail!(
            "{what} failed ({status}); the last lines of {}:\n{}",
            log.display(),
            tail.join("\n")
        );
    }
    Ok(())
}

fn remove_tree(path: &Path) -> Result<()> {
    if path.exists() {
        // Root-owned trees with odd permissions: rm copes where remove_dir_all may not.
        let status = Command::new("rm").arg("-rf").arg(path).status()?;
        if !status.success() {
            bail!("could not remove {}", path.display());
        }
    }
    Ok(())
}

fn write_file(path: &Path, content: &str, mode: u32) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = File::create(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(content.as_bytes())?;
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// An exclusive `flock` on `<cache>/build.lock`, held while checking and building images.
struct BuildLock {
    _file: File,
}

impl BuildLock {
    fn acquire(cache: &Path, progress: Progress) -> Result<BuildLock> {
        std::fs::create_dir_all(cache)
            .with_context(|| format!("creating the cache dir {}", cache.display()))?;
        let path = cache.join("build.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock on an open descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            progress(&format!("images: waiting for another build ({})", path.display()));
            // SAFETY: as above; this one blocks until the other build is done.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                bail!("locking {}: {}", path.display(), std::io::Error::last_os_error());
            }
        }
        Ok(BuildLock { _file: file })
    }
}

/// FNV-1a, 64 bits: stable across Rust releases, unlike `DefaultHasher`. Change detection only.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn add(&mut self, bytes: &[u8]) -> &mut Fnv {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        self
    }
    fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// After a build of `tag`: drops the image it replaced and says how long it took.
fn built(tag: &str, old: Option<String>, started: Instant, progress: Progress) -> Outcome {
    remove_replaced(tag, old);
    let took = started.elapsed();
    progress(&format!("images: {tag}: built in {:.1} s", took.as_secs_f64()));
    Outcome::Built { tag: tag.to_string(), took }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_hash_changes_with_any_input() {
        let pg = recipe(POSTGRES).unwrap();
        let same = recipe_hash(pg);
        assert_eq!(same, recipe_hash(pg));
        assert_ne!(recipe_hash(pg), recipe_hash(recipe(REDIS).unwrap()));
        let mut a = Fnv::new();
        a.add(b"ab").add(b"c");
        let mut b = Fnv::new();
        b.add(b"a").add(b"bc");
        assert_ne!(a.hex(), b.hex());
    }

    #[test]
    fn unknown_tags_are_named() {
        let err = build_images(&["nginx:1"], false, &|_| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("nginx:1") && err.contains(POSTGRES), "{err}");
    }
}

