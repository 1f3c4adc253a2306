//! firedrill's shell parser against ShellCheck's: every shell block of every Markdown file under
//! `fixtures/` goes to `shellcheck -s bash -f json`; wherever ShellCheck reports a parse error
//! (an `SC1xxx` code at level `error`), firedrill must report FD201 or FD202 on that block.
//!
//! ShellCheck reads the block as firedrill's parser does (`ShellBlock::text`): `$ ` prompts and
//! console output blanked, `<placeholder>` brackets turned into `_`. SQL lines are kept, so SQL
//! pasted into a shell block must come out as FD202. Without `shellcheck` on PATH the test fails
//! in CI and is skipped (with a note) elsewhere.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use firedrill::lint::{self, Config, FileContext, Finding};
use firedrill::runbook::{shell, CodeBlock, Lang, Runbook};

fn shellcheck_available() -> bool {
    Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The blocks FD201/FD202 are about: fenced as a bash-compatible shell.
fn is_bash_block(b: &CodeBlock) -> bool {
    b.declared == Some(Lang::Bash) && !matches!(b.info.as_deref(), Some("zsh" | "ksh"))
}

#[derive(Debug)]
struct Parse {
    line: u64,
    column: u64,
    code: u64,
    message: String,
}

fn shellcheck_parse_errors(text: &str, dir: &Path) -> Vec<Parse> {
    let path = dir.join("block.sh");
    let mut f = std::fs::File::create(&path).expect("temp file");
    f.write_all(text.as_bytes()).expect("write block");
    drop(f);
    let out = Command::new("shellcheck")
        .args(["-s", "bash", "-f", "json"])
        .arg(&path)
        .output()
        .expect("run shellcheck");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "shellcheck gave no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json.as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["level"] == "error"
                && c["code"]
                    .as_u64()
                    .is_some_and(|n| (1000..2000).contains(&n))
        })
        .map(|c| Parse {
            line: c["line"].as_u64().unwrap_or(0),
            column: c["column"].as_u64().unwrap_or(0),
            code: c["code"].as_u64().unwrap_or(0),
            message: c["message"].as_str().unwrap_or("").to_string(),
        })
        .collect()
}

fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file()
                && e.path()
                    .extension()
                    .is_some_and(|x| x == "md" || x == "markdown")
        })
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn findings(runbook: &Runbook, code: &str, config: &Config) -> Vec<Finding> {
    let rule = lint::rules::find(code).unwrap_or_else(|| panic!("no rule {code}"));
    let claims = firedrill::claims::extract(runbook);
    let cx = FileContext {
        runbook,
        claims: &claims,
        config,
    };
    let mut out = Vec::new();
    rule.check_file(&cx, &mut out);
    out
}

#[test]
fn shellcheck_parse_errors_are_reported_by_firedrill() {
    if !shellcheck_available() {
        if std::env::var_os("CI").is_some() {
            panic!("CI must install shellcheck (apt-get install -y shellcheck): the differential test needs it");
        }
        eprintln!("note: shellcheck not on PATH; skipping the ShellCheck differential test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::default();
    let mut missed = Vec::new();
    let mut extra = Vec::new();
    let mut checked = 0;
    for path in markdown_files(Path::new("fixtures")) {
        let runbook = Runbook::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let ours: Vec<Finding> = ["FD201", "FD202"]
            .iter()
            .flat_map(|c| findings(&runbook, c, &config))
            .collect();
        for block in runbook.blocks.iter().filter(|b| is_bash_block(b)) {
            checked += 1;
            let analysed = shell::analyse(block);
            let theirs = shellcheck_parse_errors(&analysed.text, dir.path());
            let reported = ours.iter().any(|f| block.span.contains(&f.span.start));
            let first_line = runbook.line_col(block.content.source_start()).line;
            let at = format!("{}:{}", path.display(), first_line);
            if !theirs.is_empty() && !reported {
                let detail: Vec<String> = theirs
                    .iter()
                    .map(|p| {
                        format!(
                            "    SC{} at block line {}:{}: {}",
                            p.code, p.line, p.column, p.message
                        )
                    })
                    .collect();
                missed.push(format!("  block at {at}:\n{}", detail.join("\n")));
            }
            if theirs.is_empty() && reported {
                extra.push(format!("  block at {at}"));
            }
        }
    }
    if !extra.is_empty() {
        // Not a failure: firedrill may know more (a `case` closed by `fi` ShellCheck reads as a
        // pattern), but worth a look when it changes.
        eprintln!(
            "note: FD201/FD202 on blocks ShellCheck parses:\n{}",
            extra.join("\n")
        );
    }
    assert!(checked > 0, "no shell blocks found under fixtures/");
    assert!(
        missed.is_empty(),
        "ShellCheck found parse errors firedrill did not report:\n{}",
        missed.join("\n")
    );
}
