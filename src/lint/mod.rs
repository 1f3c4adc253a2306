//! The linter: reads runbooks, runs every enabled rule, and returns positioned diagnostics.

pub mod config;
pub mod format;
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

/// Lints files already chosen. Files are read and checked in parallel.
pub fn lint_files(files: &[PathBuf], config: &Config) -> Report {
    let loaded: Vec<Result<Runbook, LoadError>> = files.par_iter().map(|p| Runbook::load(p)).collect();
    let mut runbooks = Vec::new();
    let mut load_errors = Vec::new();
    for r in loaded {
        match r {
            Ok(rb) => runbooks.push(rb),
            Err(e) => load_errors.push(e),
        }
    }
    let mut report = lint_runbooks(runbooks, config);
    report.load_errors = load_errors;
    report
}

/// Lints runbooks already parsed (the library entry point; `lint_files` reads them first).
pub fn lint_runbooks(runbooks: Vec<Runbook>, config: &Config) -> Report {
    let files: Vec<LintedFile> = runbooks
        .into_par_iter()
        .map(|runbook| {
            let claims = crate::claims::extract(&runbook);
            LintedFile { runbook, claims }
        })
        .collect();
    let enabled: Vec<(&dyn Rule, Severity)> = rules::all()
        .iter()
        .filter_map(|r| config.severity_of(r.meta().code, r.meta().severity).map(|s| (*r, s)))
        .collect();

    let mut diagnostics: Vec<Diagnostic> = files
        .par_iter()
        .enumerate()
        .flat_map_iter(|(index, file)| {
            let cx = FileContext { runbook: &file.runbook, claims: &file.claims, config };
            let mut out = Vec::new();
            for (rule, severity) in &enabled {
                let mut findings = Vec::new();
                rule.check_file(&cx, &mut findings);
                out.extend(findings.into_iter().map(|f| place(&files, index, rule.meta(), *severity, f)));
            }
            out
        })
        .collect();

    let project = ProjectContext { files: &files, config };
    for (rule, severity) in &enabled {
        let mut findings = Vec::new();
        rule.check_project(&project, &mut findings);
        diagnostics.extend(findings.into_iter().map(|f| place(&files, f.file, rule.meta(), *severity, f.finding)));
    }

    diagnostics.retain(|d| !files[d.file_index].runbook.is_suppressed(d.code, &d.span));
    diagnostics.sort_by(|a, b| {
        (a.file_index, a.line, a.column, a.code, &a.message).cmp(&(b.file_index, b.line, b.column, b.code, &b.message))
    });
    diagnostics.dedup();
    Report { files, diagnostics, load_errors: Vec::new() }
}

fn place(files: &[LintedFile], index: usize, meta: &'static RuleMeta, severity: Severity, f: Finding) -> Diagnostic {
    let runbook = &files[index].runbook;
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
