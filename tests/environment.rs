//! The drill environment against the real Docker engine: images built when missing, Postgres and
//! Redis answering from host ports, DNS names on the drill network, faults that really cut a
//! container off and heal, and nothing left behind after success, panic, Ctrl-C or SIGKILL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use firedrill::environment::images::{self, Outcome};
use firedrill::environment::{
    connect, sweep_stale, Container, ContainerSpec, Environment, Options, Ready, OWNER_PID_LABEL,
    POSTGRES_DB, POSTGRES_PASSWORD, POSTGRES_USER, RUN_LABEL,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a cut-off dependency gets to answer before it counts as unreachable.
const CUT: Duration = Duration::from_millis(1500);
/// How long a healed dependency gets to answer again.
const HEAL: Duration = Duration::from_secs(15);

/// Tests that sweep (or whose child sweeps) take turns, so none removes another's planted leftover.
static SWEEPERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn ensure_images() {
    images::ensure_images(&[images::BASE, images::POSTGRES, images::REDIS])
        .expect("building the drill images");
}

/// Environments of tests that do not test the sweep.
async fn quiet_environment() -> Environment {
    Environment::start_with(Options {
        sweep: false,
        ..Options::default()
    })
    .await
    .expect("starting an environment")
}

fn sleeper(name: &str) -> ContainerSpec {
    ContainerSpec::new(name, images::BASE).cmd(["sleep", "infinity"])
}

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("running docker");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Containers of a run, asked of the docker command line rather than of the code under test.
fn containers_of(run: &str) -> Vec<String> {
    docker(&["ps", "-aq", "--filter", &format!("label={RUN_LABEL}={run}")])
        .lines()
        .map(str::to_string)
        .collect()
}

fn network_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["network", "inspect", name])
        .output()
        .expect("running docker")
        .status
        .success()
}

fn assert_gone(run: &str, network: &str) {
    assert_eq!(
        containers_of(run),
        Vec::<String>::new(),
        "containers of run {run} left behind"
    );
    assert!(!network_exists(network), "network {network} left behind");
}

async fn pg_query(pg: &Container) -> anyhow::Result<(String, String, i32)> {
    let port = pg.host_port(5432)?;
    let config = format!(
        "host=127.0.0.1 port={port} user={POSTGRES_USER} password={POSTGRES_PASSWORD} dbname={POSTGRES_DB} connect_timeout=1"
    );
    tokio::time::timeout(CUT, async {
        let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        let row = client
            .query_one("SELECT current_user::text, current_database()::text, 41 + 1", &[])
            .await?;
        Ok((row.get(0), row.get(1), row.get(2)))
    })
    .await
    .map_err(|_| anyhow::anyhow!("no answer within {CUT:?}"))?
}

async fn redis_ping(redis: &Container) -> anyhow::Result<String> {
    let addr = redis.host_addr(6379)?;
    tokio::time::timeout(CUT, async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut answer = [0u8; 7];
        stream.read_exact(&mut answer).await?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    })
    .await
    .map_err(|_| anyhow::anyhow!("no answer within {CUT:?}"))?
}

/// PING sent by `client` to `redis:6379`, by DNS name across the drill network.
async fn ping_by_name(client: &Container) -> anyhow::Result<String> {
    let script = r#"exec 3<>/dev/tcp/redis/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3"#;
    let out = client.exec(&["timeout", "1.5", "bash", "-c", script]).await?;
    anyhow::ensure!(out.success(), "exit {}: {}", out.exit_code, out.stderr.trim());
    Ok(out.stdout)
}

/// Whether `client` opens a TCP connection to `postgres:5432` by name.
async fn postgres_by_name(client: &Container) -> bool {
    client
        .exec(&["timeout", "1.5", "bash", "-c", "</dev/tcp/postgres/5432"])
        .await
        .is_ok_and(|o| o.success())
}

/// Polls until `check` succeeds or `within` passes; the last error when it never does.
async fn eventually<T, F, Fut>(within: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        match check().await {
            Ok(value) => return Ok(value),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test]
async fn one_network_postgres_redis_by_name_and_faults_that_cut_and_heal() {
    ensure_images();

    let started = Instant::now();
    let env = quiet_environment().await;
    let pg = env
        .run(ContainerSpec::postgres("postgres"))
        .await
        .expect("postgres");
    let pg_ready = started.elapsed();
    eprintln!(
        "measured: Environment::start to Postgres ready: {} ms",
        pg_ready.as_millis()
    );
    // The budget is 5 s; the bound leaves room for a machine busy compiling, not for a regression.
    assert!(
        pg_ready < Duration::from_secs(10),
        "Postgres took {pg_ready:?} to be ready"
    );

    let (redis, client) =
        tokio::try_join!(env.run(ContainerSpec::redis("redis")), env.run(sleeper("client")))
            .expect("redis and client");
    assert!(env.network().starts_with("firedrill-"));

    // The official image's interface: user, password and database from POSTGRES_*.
    let answer = pg_query(&pg).await.expect("postgres answers from its host port");
    assert_eq!(answer, (POSTGRES_USER.to_string(), POSTGRES_DB.to_string(), 42));
    assert_eq!(
        redis_ping(&redis)
            .await
            .expect("redis answers from its host port"),
        "+PONG\r\n"
    );
    assert!(pg
        .logs()
        .await
        .unwrap()
        .contains("database system is ready to accept connections"));

    // By DNS name, container to container.
    assert_eq!(
        ping_by_name(&client).await.expect("client reaches redis by name"),
        "+PONG"
    );
    assert!(postgres_by_name(&client).await, "client reaches postgres by name");
    let resolved = client.exec(&["getent", "hosts", "postgres"]).await.unwrap();
    assert!(resolved.success() && !resolved.stdout.is_empty(), "{resolved:?}");

    // exec: exit code and both streams.
    let out = client
        .exec(&["sh", "-c", "echo out; echo err >&2; exit 3"])
        .await
        .unwrap();
    assert_eq!(
        (out.exit_code, out.stdout.as_str(), out.stderr.as_str()),
        (3, "out\n", "err\n")
    );

    // Stopped: nothing answers, by host port or by name; started again: same host port, answers.
    let port = pg.host_port(5432).unwrap();
    pg.stop(Duration::from_secs(5)).await.unwrap();
    assert_eq!(pg.state().await.unwrap(), "exited");
    assert!(pg_query(&pg).await.is_err(), "a stopped postgres answered");
    assert!(
        !postgres_by_name(&client).await,
        "a stopped postgres accepted a connection"
    );
    let restart = pg.start().await.expect("postgres starts again");
    eprintln!(
        "measured: Postgres stop → start → ready: {} ms",
        restart.as_millis()
    );
    assert_eq!(pg.host_port(5432).unwrap(), port);
    eventually(HEAL, || pg_query(&pg))
        .await
        .expect("postgres answers after start");

    // Paused: connections hang (the timeout is the failure), then resume.
    pg.pause().await.unwrap();
    assert_eq!(pg.state().await.unwrap(), "paused");
    let hung = pg_query(&pg).await.expect_err("a paused postgres answered");
    assert!(
        hung.to_string().contains("no answer"),
        "paused should hang, not refuse: {hung:#}"
    );
    pg.unpause().await.unwrap();
    eventually(HEAL, || pg_query(&pg))
        .await
        .expect("postgres answers after unpause");

    // Cut from the network: the name stops resolving and the host port stops answering.
    pg.disconnect().await.unwrap();
    assert_eq!(pg.ip().await.unwrap(), None);
    assert!(
        !postgres_by_name(&client).await,
        "a disconnected postgres was reachable by name"
    );
    assert!(
        pg_query(&pg).await.is_err(),
        "a disconnected postgres answered on its host port"
    );
    pg.connect().await.unwrap();
    eventually(HEAL, || async {
        anyhow::ensure!(postgres_by_name(&client).await, "not by name yet");
        Ok(())
    })
    .await
    .expect("postgres reachable by name after reconnect");
    eventually(HEAL, || pg_query(&pg))
        .await
        .expect("postgres answers on its host port after reconnect");

    // Redis stopped and started: by name and from the host.
    redis.stop(Duration::from_secs(5)).await.unwrap();
    assert!(redis_ping(&redis).await.is_err(), "a stopped redis answered");
    assert!(
        ping_by_name(&client).await.is_err(),
        "a stopped redis answered by name"
    );
    redis.start().await.unwrap();
    assert_eq!(eventually(HEAL, || ping_by_name(&client)).await.unwrap(), "+PONG");
    assert_eq!(
        eventually(HEAL, || redis_ping(&redis)).await.unwrap(),
        "+PONG\r\n"
    );

    // Waits with deadlines fail with what they saw.
    let err = client
        .wait_for_log("never printed", Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never printed"), "{err}");
    pg.wait_for_tcp(5432, Duration::from_secs(2)).await.unwrap();

    // Postgres and Redis keep their data on anonymous volumes (as the official images do).
    let volumes: Vec<String> = [pg.id(), redis.id()]
        .iter()
        .flat_map(|id| {
            docker(&["inspect", "--format", "{{range .Mounts}}{{.Name}} {{end}}", id])
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(volumes.len(), 2, "{volumes:?}");

    let (run, network) = (env.run_id().to_string(), env.network().to_string());
    assert_eq!(containers_of(&run).len(), 3);
    env.shutdown().await.unwrap();
    assert_gone(&run, &network);
    for volume in &volumes {
        let left = Command::new("docker")
            .args(["volume", "inspect", volume])
            .output()
            .unwrap();
        assert!(!left.status.success(), "volume {volume} left behind");
    }
}

#[tokio::test]
async fn a_panic_inside_the_test_body_leaves_nothing_behind() {
    ensure_images();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let body = tokio::spawn(async move {
        let env = quiet_environment().await;
        env.run(sleeper("doomed")).await.unwrap();
        assert_eq!(containers_of(env.run_id()).len(), 1);
        tx.send((env.run_id().to_string(), env.network().to_string()))
            .unwrap();
        panic!("a planted panic, with the environment alive");
    });
    let outcome = body.await.expect_err("the body panicked");
    assert!(outcome.is_panic());
    let (run, network) = rx.await.unwrap();
    assert_gone(&run, &network);
}

#[tokio::test]
async fn a_built_binary_image_runs_on_the_drill_network() {
    ensure_images();
    let tag = format!("firedrill-test/echo:{}", std::process::id());
    let echo = Path::new("/usr/bin/echo");
    let built = images::build_binary_image_with(&tag, echo, &["hello from a binary image"], &|_| {}).unwrap();
    assert!(matches!(built, Outcome::Built { .. }), "{built:?}");
    let again = images::build_binary_image_with(&tag, echo, &["hello from a binary image"], &|_| {}).unwrap();
    assert_eq!(again, Outcome::UpToDate { tag: tag.clone() });

    let env = quiet_environment().await;
    let spec = ContainerSpec::new("echo", tag.as_str()).ready(Ready::Log("hello from a binary image".into()));
    let container = env.run(spec).await.expect("the binary's output");
    assert_eq!(container.logs().await.unwrap(), "hello from a binary image");
    env.shutdown().await.unwrap();
    docker(&["rmi", &tag]);
}

#[tokio::test]
async fn images_build_is_idempotent_and_a_missing_engine_is_explained() {
    ensure_images();
    let bin = env!("CARGO_BIN_EXE_firedrill");
    let out = Command::new(bin).args(["images", "build"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for tag in images::builtin_tags() {
        assert!(
            stderr.contains(&format!("{tag}: up to date")),
            "{tag} rebuilt:\n{stderr}"
        );
    }

    let out = Command::new(bin)
        .args(["images", "build"])
        .env("DOCKER_HOST", "unix:///nonexistent/firedrill-test.sock")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("dockerd") && stderr.contains("firedrill lint"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_sweep_removes_leftovers_of_dead_owners_only() {
    let _turn = SWEEPERS.lock().await;
    ensure_images();
    let mut child = Command::new("true").spawn().unwrap();
    let dead_pid = child.id().to_string();
    child.wait().unwrap();
    let me = std::process::id();
    let (dead, alive) = (format!("sweep-dead-{me}"), format!("sweep-alive-{me}"));
    let dead_network = format!("firedrill-{dead}");
    let run_label = |run: &str| format!("{RUN_LABEL}={run}");
    docker(&[
        "network",
        "create",
        "--label",
        &run_label(&dead),
        "--label",
        &format!("{OWNER_PID_LABEL}={dead_pid}"),
        &dead_network,
    ]);
    docker(&[
        "run",
        "-d",
        "--network",
        &dead_network,
        "--label",
        &run_label(&dead),
        "--label",
        &format!("{OWNER_PID_LABEL}={dead_pid}"),
        images::BASE,
        "sleep",
        "infinity",
    ]);
    docker(&[
        "run",
        "-d",
        "--label",
        &run_label(&alive),
        "--label",
        &format!("{OWNER_PID_LABEL}={me}"),
        images::BASE,
        "sleep",
        "infinity",
    ]);
    struct RemoveAlive(Vec<String>);
    impl Drop for RemoveAlive {
        fn drop(&mut self) {
            for id in &self.0 {
                let _ = Command::new("docker").args(["rm", "-f", id]).output();
            }
        }
    }
    let _cleanup = RemoveAlive(containers_of(&alive));
    assert_eq!(containers_of(&dead).len(), 1);

    let swept = sweep_stale(&connect().await.unwrap()).await.unwrap();
    assert!(
        swept.runs.contains(&dead) && !swept.runs.contains(&alive),
        "{swept:?}"
    );
    assert!(swept.containers >= 1 && swept.networks >= 1, "{swept:?}");
    assert_gone(&dead, &dead_network);
    assert_eq!(
        containers_of(&alive).len(),
        1,
        "a live owner's container was swept"
    );
}

/// Set in the child process the signal tests start (this same test binary).
const CHILD: &str = "FIREDRILL_ENVIRONMENT_TEST_CHILD";

const CHILD_SAYS: &str = "firedrill-test-child-run: ";

/// Child role: start an environment with one container, say its run id, wait to be signalled.
async fn child_holds_an_environment() {
    let env = Environment::start().await.unwrap();
    env.run(sleeper("held")).await.unwrap();
    // A line of its own: libtest may have printed the test's name without a newline.
    println!("\n{CHILD_SAYS}{} {}", env.run_id(), env.network());
    tokio::time::sleep(Duration::from_secs(120)).await;
    panic!("the parent never signalled");
}

/// Parent role: run this test again as a child and wait for its run id.
fn start_child(test: &str) -> (std::process::Child, String, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix(CHILD_SAYS) {
            let (run, network) = rest.split_once(' ').unwrap();
            return (child, run.to_string(), network.to_string());
        }
    }
    panic!(
        "the child ended without starting an environment: {:?}",
        child.wait()
    );
}

fn wait_with_deadline(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the child did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn ctrl_c_removes_everything_and_exits_130() {
    if std::env::var_os(CHILD).is_some() {
        return child_holds_an_environment().await;
    }
    let _turn = SWEEPERS.lock().await;
    ensure_images();
    let (mut child, run, network) = start_child("ctrl_c_removes_everything_and_exits_130");
    assert_eq!(containers_of(&run).len(), 1);
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let status = wait_with_deadline(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert_gone(&run, &network);
}

#[tokio::test]
async fn after_a_sigkill_the_next_start_sweeps_the_leftovers() {
    if std::env::var_os(CHILD).is_some() {
        return child_holds_an_environment().await;
    }
    let _turn = SWEEPERS.lock().await;
    ensure_images();
    let (mut child, run, network) = start_child("after_a_sigkill_the_next_start_sweeps_the_leftovers");
    child.kill().unwrap();
    child.wait().unwrap();
    // SIGKILL runs no cleanup: the leftovers are real...
    assert_eq!(containers_of(&run).len(), 1);
    assert!(network_exists(&network));
    // ...until the next environment starts.
    let env = Environment::start().await.unwrap();
    assert_gone(&run, &network);
    env.shutdown().await.unwrap();
}
