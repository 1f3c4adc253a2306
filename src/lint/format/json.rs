//! `--format json`: `{"version": 1, "diagnostics": [...], "summary": {...}}`. The field names are
//! a public interface: other tools read them.

use serde::Serialize;

use crate::lint::{Diagnostic, Report, Severity};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    diagnostics: &'a [Diagnostic],
    errors: Vec<FileError>,
    summary: Summary,
}

#[derive(Serialize)]
struct FileError {
    file: String,
    message: String,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    unreadable: usize,
}

pub fn render(report: &Report) -> String {
    let output = Output {
        version: VERSION,
        diagnostics: &report.diagnostics,
        errors: report
            .load_errors
            .iter()
            .map(|e| FileError { file: load_error_path(e), message: e.to_string() })
            .collect(),
        summary: Summary {
            files: report.files.len(),
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
            unreadable: report.load_errors.len(),
        },
    };
    let mut s = serde_json::to_string_pretty(&output).expect("lint report serialises");
    s.push('\n');
    s
}

fn load_error_path(e: &crate::runbook::LoadError) -> String {
    match e {
        crate::runbook::LoadError::Io { path, .. } | crate::runbook::LoadError::Binary { path, .. } => {
            path.display().to_string()
        }
    }
}
