//! The command line: a thin layer over the library. Exit codes: 0 clean, 1 findings at or
//! above `--fail-on`, 2 usage or I/O error.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::lint::{self, format::Format, Config, Severity};
use crate::runbook::{EncodingReport, Runbook};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(name = "firedrill", version, about = "Lint ops runbooks and drill the incidents they describe")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check runbooks for what would fail during an incident.
    Lint(LintArgs),
    /// List the lint rules, or show one rule's documentation.
    Rules(RulesArgs),
    /// Print the promises runbooks make (objectives, RTO/RPO, backups, alerts, ...).
    Claims(ClaimsArgs),
    /// Check drill scenarios (YAML): prints `ok: PATH` or each error at file:line:column.
    Validate(ValidateArgs),
    /// Print the JSON Schema of the scenario format, for editors.
    Schema,
    /// Drill images (Debian packages, no registry): `firedrill images build [--force]`.
    #[command(subcommand)]
    Images(ImagesCommand),
    /// Run the programmable mock upstream (admin API: `GET /` on --admin) until Ctrl-C or SIGTERM.
    Mock(crate::upstream::MockArgs),
    /// Run drill scenarios against the service under test; exit 1 when a target is missed.
    Run(RunArgs),
    /// Certificates for the go-live checklist: `firedrill certs check PATHS|URLS --min-days 30`.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Pre-go-live certification: lint, claims and the drill suite, decided GO / NO-GO, written
    /// as certification.{json,html,md}, junit.xml and lint.sarif. Exit 0 GO, 1 NO-GO.
    Certify(CertifyArgs),
    /// Read what certifications left: `firedrill report trend HISTORY.jsonl`.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Args)]
struct CertifyArgs {
    /// Runbook files and folders (repeatable; default: `[certify] runbooks` in firedrill.toml).
    #[arg(long)]
    runbooks: Vec<PathBuf>,
    /// Scenario files and folders (repeatable; default: `[certify] scenarios`, else `scenarios/`).
    #[arg(long)]
    scenarios: Vec<PathBuf>,
    /// Where the report goes (default `reports/<UTC timestamp>/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Lint and claims only: no drill, no Docker.
    #[arg(long)]
    skip_drills: bool,
    /// Append one JSON line for this run to FILE (see `firedrill report trend`).
    #[arg(long)]
    history: Option<PathBuf>,
    /// Lint warnings are reasons for NO-GO too (default: listed, not blocking).
    #[arg(long)]
    warnings_block: bool,
    /// Turn on a defect switch of the reference service in every drill (repeatable).
    #[arg(long = "defect", value_parser = parse_defect)]
    defects: Vec<crate::scenario::Defect>,
    /// The reference service binary to package (default: next to firedrill).
    #[arg(long)]
    service_binary: Option<PathBuf>,
    /// Config file (default: firedrill.toml found upward from the current folder).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The date review dates are compared with (YYYY-MM-DD; default today).
    #[arg(long)]
    today: Option<jiff::civil::Date>,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The last runs per scenario from a `--history` file: RTO, error rate, lost writes, verdict.
    Trend {
        file: PathBuf,
        /// Runs shown per scenario.
        #[arg(long, default_value_t = 10)]
        last: usize,
    },
}

#[derive(Debug, Subcommand)]
enum CertsCommand {
    /// Report certificates (PEM files, folders of *.pem/*.crt/*.cer, https:// URLs) that expire
    /// within the window or already have; exit 1 when there is any.
    Check {
        #[arg(required = true)]
        sources: Vec<String>,
        /// The window: a certificate with fewer days left is reported.
        #[arg(long, default_value_t = 30)]
        min_days: i64,
        /// The moment days are counted from (YYYY-MM-DD, default now).
        #[arg(long)]
        today: Option<jiff::civil::Date>,
        #[arg(long, value_enum, default_value_t = CertsFormat::Table)]
        format: CertsFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CertsFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Scenario files, and folders walked for *.yaml and *.yml.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Turn on a defect switch of the reference service (a negative control; repeatable):
    /// ignore-retry-after, no-circuit-breaker, accept-invalid-certs, async-commit, no-db-timeout,
    /// no-cache-fallback.
    #[arg(long = "defect", value_parser = parse_defect)]
    defects: Vec<crate::scenario::Defect>,
    /// Where results go: `<out>/<scenario>/result.json` (default `reports/<UTC timestamp>/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The reference service binary to package (default: next to firedrill).
    #[arg(long)]
    service_binary: Option<PathBuf>,
}

fn parse_defect(s: &str) -> Result<crate::scenario::Defect, String> {
    crate::scenario::Defect::ALL.into_iter().find(|d| d.as_str() == s).ok_or_else(|| {
        let names: Vec<&str> = crate::scenario::Defect::ALL.iter().map(|d| d.as_str()).collect();
        format!("unknown defect `{s}`; expected one of {}", names.join(", "))
    })
}

#[derive(Debug, Subcommand)]
enum ImagesCommand {
    /// Build firedrill/base, firedrill/postgres and firedrill/redis where missing or changed.
    Build {
        /// Rebuild even when a tag already carries this recipe (debootstrap stays cached).
        #[arg(long)]
        force: bool,
        /// Only these tags (default: all).
        tags: Vec<String>,
    },
}

#[derive(Debug, Args)]
struct LintArgs {
    /// Files (linted whatever their extension) and folders (walked for *.md, *.markdown).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Config file (default: firedrill.toml found upward from the first path).
    #[arg(long)]
    config: Option<PathBuf>,
    /// File name patterns to lint in folders, e.g. `*.txt` (repeatable).
    #[arg(long = "include")]
    include: Vec<String>,
    /// Repository root, for checks on referenced scripts and files.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Target PostgreSQL major version for catalog checks.
    #[arg(long = "postgres-version")]
    postgres_version: Option<u32>,
    /// The date review dates are compared with (YYYY-MM-DD; default today).
    #[arg(long)]
    today: Option<jiff::civil::Date>,
    /// Write repaired text over mis-encoded files (the original is kept as FILE.orig).
    #[arg(long)]
    fix_encoding: bool,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// A rule code or name: print its documentation.
    rule: Option<String>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

#[derive(Debug, Args)]
struct ClaimsArgs {
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
    #[arg(long = "include")]
    include: Vec<String>,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => run_lint(args),
        Command::Rules(args) => run_rules(args),
        Command::Claims(args) => run_claims(args),
        Command::Validate(args) => run_validate(args),
        Command::Schema => run_schema(),
        Command::Images(ImagesCommand::Build { force, tags }) => run_images_build(force, &tags),
        Command::Mock(args) => crate::upstream::run_cli(args),
        Command::Run(args) => run_drills(args),
        Command::Certs(CertsCommand::Check { sources, min_days, today, format }) => run_certs_check(&sources, min_days, today, format),
        Command::Certify(args) => run_certify(args),
        Command::Report(ReportCommand::Trend { file, last }) => run_trend(&file, last),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
    }
}

fn load_config(explicit: Option<&Path>, first_path: Option<&PathBuf>) -> anyhow::Result<Config> {
    Ok(match explicit {
        Some(path) => Config::load(path)?,
        None => Config::discover(first_path.map_or(Path::new("."), |p| p.as_path()))?,
    })
}

fn run_lint(args: LintArgs) -> anyhow::Result<i32> {
    let mut config = load_config(args.config.as_deref(), args.paths.first())?;
    if let Some(v) = args.postgres_version {
        config.postgres_version = v;
    }
    if let Some(t) = args.today {
        config.today = Some(t);
    }
    if let Some(root) = args.root {
        config.root = Some(root);
    }
    let include = if args.include.is_empty() { config.include.clone() } else { args.include };
    let files = lint::collect_files(&args.paths, &include)?;
    let mut report = lint::lint_files(&files, &config);

    if args.fix_encoding {
        for file in &report.files {
            if !matches!(file.runbook.encoding, EncodingReport::Utf8) {
                let backup = fix_encoding(&file.runbook)?;
                eprintln!("repaired {} (original kept as {})", file.runbook.path.display(), backup.display());
            }
        }
        report.diagnostics.retain(|d| d.code != "FD101");
    }

    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = match args.format {
        Format::Human => lint::format::human::render(&report, color),
        Format::Json => lint::format::json::render(&report),
        Format::Sarif => lint::format::sarif::render(&report),
    };
    write_stdout(&text)?;

    if !report.load_errors.is_empty() {
        return Ok(EXIT_ERROR);
    }
    let threshold = match args.fail_on {
        Some(FailOn::Never) => None,
        Some(FailOn::Error) => Some(Severity::Error),
        Some(FailOn::Warning) => Some(Severity::Warning),
        Some(FailOn::Info) => Some(Severity::Info),
        None => Some(config.fail_on.unwrap_or(Severity::Warning)),
    };
    let failed = matches!((report.worst(), threshold), (Some(worst), Some(t)) if worst >= t);
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// Writes the repaired text over the file atomically (temp file + rename in the same folder),
/// after copying the original bytes to `FILE.orig`. Refuses to overwrite an existing `.orig`.
fn fix_encoding(runbook: &Runbook) -> anyhow::Result<PathBuf> {
    let path = &runbook.path;
    let mut backup = path.as_os_str().to_owned();
    backup.push(".orig");
    let backup = PathBuf::from(backup);
    if backup.exists() {
        anyhow::bail!("{}: {} already exists; move it away before repairing again", path.display(), backup.display());
    }
    std::fs::copy(path, &backup).map_err(|e| anyhow::anyhow!("{}: cannot keep a copy as {}: {e}", path.display(), backup.display()))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir, path)?;
    tmp.1.write_all(runbook.text().as_bytes())?;
    tmp.1.sync_all()?;
    std::fs::rename(&tmp.0, path).map_err(|e| anyhow::anyhow!("{}: cannot replace: {e}", path.display()))?;
    Ok(backup)
}

fn tempfile_in(dir: &Path, path: &Path) -> anyhow::Result<(PathBuf, std::fs::File)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for i in 0..100 {
        let candidate = dir.join(format!(".{name}.firedrill-{}-{i}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&candidate) {
            Ok(f) => return Ok((candidate, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => anyhow::bail!("{}: cannot write a temporary file: {e}", dir.display()),
        }
    }
    anyhow::bail!("{}: cannot find a free temporary file name", dir.display())
}

/// Writes to stdout, treating a closed pipe (`| head`) as success.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn run_rules(args: RulesArgs) -> anyhow::Result<i32> {
    if let Some(code) = args.rule {
        let Some(rule) = lint::rules::find(&code) else {
            eprintln!("error: no rule `{code}`; `firedrill rules` lists them");
            return Ok(EXIT_ERROR);
        };
        let m = rule.meta();
        write_stdout(&format!("# {} {} ({})\n\n{}\n\n{}", m.code, m.name, m.severity, m.summary, m.docs))?;
        return Ok(EXIT_OK);
    }
    let text = match args.format {
        ListFormat::Json => {
            let rules: Vec<_> = lint::rules::all()
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({"code": m.code, "name": m.name, "severity": m.severity, "summary": m.summary})
                })
                .collect();
            serde_json::to_string_pretty(&rules)? + "\n"
        }
        ListFormat::Table => {
            let mut s = String::new();
            for r in lint::rules::all() {
                let m = r.meta();
                s.push_str(&format!("{:<6} {:<8} {:<34} {}\n", m.code, m.severity.as_str(), m.name, m.summary));
            }
            s
        }
    };
    write_stdout(&text)?;
    Ok(EXIT_OK)
}

fn run_claims(args: ClaimsArgs) -> anyhow::Result<i32> {
    let files = lint::collect_files(&args.paths, &args.include)?;
    let mut status = EXIT_OK;
    let mut extracted = Vec::new();
    for path in files {
        match Runbook::load(&path) {
            Ok(rb) => extracted.push((path, crate::claims::extract(&rb))),
            Err(e) => {
                eprintln!("error: {e}");
                status = EXIT_ERROR;
            }
        }
    }
    let text = match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
            "version": 1,
            "files": extracted.iter().map(|(p, c)| serde_json::json!({"file": p.display().to_string(), "claims": c})).collect::<Vec<_>>(),
        }))? + "\n",
        ListFormat::Table => claims_table(&extracted),
    };
    write_stdout(&text)?;
    Ok(status)
}

/// `file:line  kind  subject  statement`, aligned, one claim a line.
fn claims_table(extracted: &[(PathBuf, Vec<crate::claims::Claim>)]) -> String {
    let rows: Vec<[String; 4]> = extracted
        .iter()
        .flat_map(|(_, claims)| claims.iter())
        .map(|c| [format!("{}:{}", c.file, c.line), c.kind_name().to_string(), c.subject(), c.statement()])
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0).min(48);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut out = String::new();
    for r in &rows {
        let subject: String = r[2].chars().take(48).collect();
        out.push_str(&format!("{:<w0$}  {:<w1$}  {:<w2$}  {}\n", r[0], r[1], subject, r[3]));
    }
    out.push_str(&format!("{} claims in {} files\n", rows.len(), extracted.len()));
    out
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// Scenario files, and folders walked for *.yaml and *.yml.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Exit 0 when every scenario is valid, 1 when any is invalid, 2 when a path cannot be read
/// (the other paths are still checked).
fn run_validate(args: ValidateArgs) -> anyhow::Result<i32> {
    let include = ["*.yaml".to_string(), "*.yml".to_string()];
    let (mut invalid, mut io_error) = (false, false);
    let mut out = String::new();
    for path in &args.paths {
        let files = match lint::collect_files(std::slice::from_ref(path), &include) {
            Ok(files) => files,
            Err(e) => {
                eprintln!("error: {e}");
                io_error = true;
                continue;
            }
        };
        if files.is_empty() {
            eprintln!("error: {}: no *.yaml or *.yml scenario in this folder", path.display());
            io_error = true;
        }
        for file in files {
            match crate::scenario::Scenario::load(&file) {
                Ok(_) => out.push_str(&format!("ok: {}\n", file.display())),
                Err(e) if e.is_io() => {
                    eprintln!("error: {e}");
                    io_error = true;
                }
                Err(e) => {
                    out.push_str(&format!("{e}\n"));
                    invalid = true;
                }
            }
        }
    }
    write_stdout(&out)?;
    Ok(if io_error {
        EXIT_ERROR
    } else if invalid {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn run_images_build(force: bool, tags: &[String]) -> anyhow::Result<i32> {
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    crate::environment::images::build_images(&tags, force, &crate::environment::images::stderr_progress)?;
    eprintln!("images: done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(EXIT_OK)
}

/// Exit 0 when every drill met its targets, 1 when one missed any, 2 when a drill could not run.
fn run_drills(args: RunArgs) -> anyhow::Result<i32> {
    let include = ["*.yaml".to_string(), "*.yml".to_string()];
    let files = lint::collect_files(&args.paths, &include)?;
    if files.is_empty() {
        anyhow::bail!("no *.yaml or *.yml scenario in {}", args.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    // Every scenario is checked before any container starts.
    let mut scenarios = Vec::new();
    for file in &files {
        match crate::scenario::Scenario::load(file) {
            Ok(s) => scenarios.push(s),
            Err(e) => {
                eprintln!("{e}");
                return Ok(EXIT_ERROR);
            }
        }
    }
    let options = crate::drill::RunOptions { defects: args.defects, service_binary: args.service_binary, verbose: true };
    let runtime = tokio::runtime::Runtime::new()?;
    let out = args.out.unwrap_or_else(crate::drill::default_out_dir);
    let mut results = Vec::new();
    let mut broken = false;
    for scenario in &scenarios {
        match runtime.block_on(crate::drill::run(scenario, &options)) {
            Ok(result) => {
                let path = crate::report::write_result(&out, &result)?;
                write_stdout(&crate::report::verdict_table(&result))?;
                eprintln!("firedrill run: {}: result in {}", scenario.name, path.display());
                results.push(result);
            }
            Err(e) => {
                eprintln!("error: {}: {e:#}", scenario.path.display());
                broken = true;
            }
        }
    }
    write_stdout(&crate::report::summary(&results))?;
    Ok(if broken {
        EXIT_ERROR
    } else if results.iter().all(|r| r.verdict.passed) {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// Exit 0 when every certificate has at least `min_days` left, 1 when one has not, 2 when a
/// source cannot be read.
fn run_certs_check(sources: &[String], min_days: i64, today: Option<jiff::civil::Date>, format: CertsFormat) -> anyhow::Result<i32> {
    let now = match today {
        Some(d) => {
            let ts = d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp();
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(ts.as_second().max(0) as u64)
        }
        None => std::time::SystemTime::now(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut certs = Vec::new();
    for source in sources {
        let found = if source.starts_with("https://") || source.starts_with("http://") {
            runtime.block_on(crate::certs::from_url(source, now))
        } else {
            crate::certs::from_path(Path::new(source), now)
        };
        match found {
            Ok(f) => certs.extend(f),
            Err(e) => {
                eprintln!("error: {e:#}");
                return Ok(EXIT_ERROR);
            }
        }
    }
    let failing: Vec<&crate::certs::CertificateInfo> = certs.iter().filter(|c| c.days_left < min_days).collect();
    match format {
        CertsFormat::Json => {
            let doc = serde_json::json!({ "version": 1, "min_days": min_days, "certificates": certs, "failing": failing.len() });
            write_stdout(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        CertsFormat::Table => {
            let mut out = String::new();
            for c in &certs {
                let verdict = if c.expired {
                    format!("EXPIRED {} days ago", -c.days_left)
                } else if c.days_left < min_days {
                    format!("expires in {} days (< {min_days})", c.days_left)
                } else {
                    format!("ok, {} days left", c.days_left)
                };
                out.push_str(&format!("{}: {} — not after {} — {verdict}\n", c.source, c.subject, c.not_after));
            }
            out.push_str(&format!("{} certificate(s), {} expiring within {min_days} days or expired\n", certs.len(), failing.len()));
            write_stdout(&out)?;
        }
    }
    Ok(if failing.is_empty() { EXIT_OK } else { EXIT_FINDINGS })
}

/// Exit 0 on GO, 1 on NO-GO, 2 when certification could not be made (bad scenario, no runbook).
fn run_certify(args: CertifyArgs) -> anyhow::Result<i32> {
    let mut config = load_config(args.config.as_deref(), None)?;
    if let Some(t) = args.today {
        config.today = Some(t);
    }
    // Paths from the config are absolute; shown relative to here, as a user would type them.
    let here = std::env::current_dir().ok().and_then(|d| std::fs::canonicalize(d).ok());
    let relative = |paths: &[PathBuf]| -> Vec<PathBuf> {
        paths.iter().map(|p| here.as_deref().and_then(|h| p.strip_prefix(h).ok()).map_or_else(|| p.clone(), Path::to_path_buf)).collect()
    };
    let runbooks = if args.runbooks.is_empty() { relative(&config.certify.runbooks) } else { args.runbooks };
    if runbooks.is_empty() {
        anyhow::bail!("no runbooks to certify: name them with --runbooks, or as `[certify] runbooks` in firedrill.toml");
    }
    let scenarios = match (args.scenarios.is_empty(), config.certify.scenarios.is_empty()) {
        (false, _) => args.scenarios,
        (true, false) => relative(&config.certify.scenarios),
        (true, true) => vec![PathBuf::from("scenarios")],
    };
    let options = crate::certify::CertifyOptions {
        runbooks,
        scenarios,
        skip_drills: args.skip_drills,
        warnings_block: args.warnings_block || config.certify.warnings_block,
        run: crate::drill::RunOptions { defects: args.defects, service_binary: args.service_binary, verbose: true },
        lint_config: config,
    };
    let out = args.out.unwrap_or_else(crate::certify::default_out_dir);
    let (certification, written) = crate::certify::certify(&options, &out)?;
    if let Some(history) = &args.history {
        crate::report::history::append(history, &certification)?;
    }
    let skipped = if certification.policy.drills_skipped { " (drills skipped: lint and claims only)" } else { "" };
    let mut text = format!("firedrill certify: {}{skipped}\n", certification.decision.as_str());
    for r in &certification.reasons {
        text.push_str(&format!("  reason: {} {}: {}\n", crate::report::markdown::kind_label(r.kind), r.source, r.message));
    }
    if !certification.warnings.is_empty() {
        text.push_str(&format!("  {} warning(s), not blocking (listed in the report)\n", certification.warnings.len()));
    }
    for d in &certification.drills {
        let verdict = match (&d.error, d.passed) {
            (Some(_), _) => "ERROR",
            (None, true) => "PASS",
            (None, false) => "FAIL",
        };
        text.push_str(&format!("  drill {:<24} {verdict}\n", d.scenario));
    }
    if let Some(html) = written.iter().find(|p| p.extension().is_some_and(|e| e == "html")) {
        text.push_str(&format!("report: {}\n", html.display()));
    }
    text.push_str(&format!("also: {}\n", written.iter().filter(|p| !p.extension().is_some_and(|e| e == "html")).map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")));
    write_stdout(&text)?;
    Ok(match certification.decision {
        crate::certify::Decision::Go => EXIT_OK,
        crate::certify::Decision::NoGo => EXIT_FINDINGS,
    })
}

fn run_trend(file: &Path, last: usize) -> anyhow::Result<i32> {
    let entries = crate::report::history::read(file)?;
    write_stdout(&crate::report::history::trend(&entries, last))?;
    Ok(EXIT_OK)
}

fn run_schema() -> anyhow::Result<i32> {
    write_stdout(&(serde_json::to_string_pretty(&crate::scenario::json_schema())? + "\n"))?;
    Ok(EXIT_OK)
}
