//! The linter: reads runbooks, runs every enabled rule, and returns positioned diagnostics.

pub mod config;
pub(crate) mod consistency;
pub mod format;
pub(crate) mod ops;
mod rule;
pub mod rules;
pub mod secrets;

use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use config::Config;
pub use rule::{FileContext, Finding, LintedFile, ProjectContext, ProjectFinding, Rule, RuleMeta, Severity};

use crate::runbook::{LoadError, Runbook};

/// A finding placed in a file, ready to print. The JSON field names are a public interface.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub help: Option<String>,
    /// Byte range in the decoded text, for renderers.
    #[serde(skip)]
    pub span: Range<usize>,
    /// Index into `Report::files`.
    #[serde(skip)]
    pub file_index: usize,
    /// The span is secret text: mask it in excerpts.
    #[serde(skip)]
    pub redact: bool,
}

/// Everything one `lint` run produced.
pub struct Report {
    pub files: Vec<LintedFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read (binary, unreadable): each is an error of its own.
    pub load_errors: Vec<LoadError>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }

    /// Worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
    }
}

/// Which files a set of path arguments names: explicit files whatever their extension,
/// folders walked for `*.md` / `*.markdown` (or the `include` suffixes).
pub fn collect_files(paths: &[PathBuf], include: &[String]) -> Result<Vec<PathBuf>, LoadError> {
    let default_include = ["*.md".to_string(), "*.markdown".to_string()];
    let include = if include.is_empty() { &default_include[..] } else { include };
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !is_hidden_or_build(e.file_name()))
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && matches_include(e.path(), include))
                .map(|e| e.into_path())
                .collect();
            out.append(&mut found);
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(LoadError::Io {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            });
        }
    }
    Ok(out)
}

fn is_hidden_or_build(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || name == "target" || name == "node_modules"
}

fn matches_include(path: &Path, include: &[String]) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    include.iter().any(|pat| match pat.strip_prefix('*') {
        Some(suffix) => name.ends_with(&suffix.to_lowercase()),
        None => name == pat.to_lowercase(),
    })
}

/// Lints files already chosen. Files are read and checked in parallel, each one read, parsed and
/// checked in one go (its text and model stay in cache while every rule runs over it).
pub fn lint_files(files: &[PathBuf], config: &Config) -> Report {
    lint_each(files, config, |p| Runbook::load(p))
}

/// Lints runbooks given as bytes (path and contents), as `lint_files` does once it has read them.
pub fn lint_bytes(sources: &[(PathBuf, Vec<u8>)], config: &Config) -> Report {
    lint_each(sources, config, |(p, b)| Runbook::from_bytes(p, b))
}

/// Lints runbooks already parsed (the library entry point; `lint_files` reads them first).
pub fn lint_runbooks(runbooks: Vec<Runbook>, config: &Config) -> Report {
    let enabled = enabled_rules(config);
    let checked: Vec<(LintedFile, Vec<Diagnostic>)> =
        runbooks.into_par_iter().map(|runbook| check_one(runbook, &enabled, config)).collect();
    finish(checked, Vec::new(), &enabled, config)
}

type Enabled = Vec<(&'static dyn Rule, Severity)>;

fn enabled_rules(config: &Config) -> Enabled {
    rules::all()
        .iter()
        .filter_map(|r| config.severity_of(r.meta().code, r.meta().severity).map(|s| (*r, s)))
        .collect()
}

fn lint_each<T: Sync>(inputs: &[T], config: &Config, load: impl Fn(&T) -> Result<Runbook, LoadError> + Sync) -> Report {
    let enabled = enabled_rules(config);
    let results: Vec<Result<(LintedFile, Vec<Diagnostic>), LoadError>> =
        inputs.par_iter().map(|input| load(input).map(|runbook| check_one(runbook, &enabled, config))).collect();
    let mut checked = Vec::with_capacity(results.len());
    let mut load_errors = Vec::new();
    for r in results {
        match r {
            Ok(c) => checked.push(c),
            Err(e) => load_errors.push(e),
        }
    }
    finish(checked, load_errors, &enabled, config)
}

/// Claims and every file rule on one runbook; its diagnostics placed (file index set later) and
/// filtered by its suppressions.
fn check_one(runbook: Runbook, enabled: &Enabled, config: &Config) -> (LintedFile, Vec<Diagnostic>) {
    let claims = crate::claims::extract(&runbook);
    let file = LintedFile { runbook, claims };
    let cx = FileContext { runbook: &file.runbook, claims: &file.claims, config };
    let mut out = Vec::new();
    let mut findings = Vec::new();
    for (rule, severity) in enabled {
        rule.check_file(&cx, &mut findings);
        out.extend(findings.drain(..).map(|f| place(&file.runbook, 0, rule.meta(), *severity, f)));
    }
    out.retain(|d| !file.runbook.is_suppressed(d.code, &d.span));
    (file, out)
}

fn finish(checked: Vec<(LintedFile, Vec<Diagnostic>)>, load_errors: Vec<LoadError>, enabled: &Enabled, config: &Config) -> Report {
    let mut files = Vec::with_capacity(checked.len());
    let mut diagnostics = Vec::new();
    for (index, (file, diags)) in checked.into_iter().enumerate() {
        diagnostics.extend(diags.into_iter().map(|d| Diagnostic { file_index: index, ..d }));
        files.push(file);
    }

    let project = ProjectContext::new(&files, config);
    for (rule, severity) in enabled {
        let mut findings = Vec::new();
        rule.check_project(&project, &mut findings);
        for f in findings {
            let runbook = &files[f.file].runbook;
            let d = place(runbook, f.file, rule.meta(), *severity, f.finding);
            if !runbook.is_suppressed(d.code, &d.span) {
                diagnostics.push(d);
            }
        }
    }

    diagnostics.sort_by(|a, b| {
        (a.file_index, a.line, a.column, a.code, &a.message).cmp(&(b.file_index, b.line, b.column, b.code, &b.message))
    });
    diagnostics.dedup();
    Report { files, diagnostics, load_errors }
}

fn place(runbook: &Runbook, index: usize, meta: &'static RuleMeta, severity: Severity, f: Finding) -> Diagnostic {
    let len = runbook.text().len();
    let span = f.span.start.min(len)..f.span.end.min(len).max(f.span.start.min(len));
    let start = runbook.line_col(span.start);
    let end = runbook.line_col(span.end);
    Diagnostic {
        code: meta.code,
        rule: meta.name,
        severity,
        file: runbook.path.display().to_string(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        message: f.message,
        help: f.help,
        span,
        file_index: index,
        redact: f.redact,
    }
}
