//! rustc-style diagnostics with the source excerpt and a caret, colour only on a terminal.

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::lint::{Diagnostic, Report, Severity};
use crate::runbook::Runbook;

/// Lines of context shown above a finding.
const CONTEXT_LINES: usize = 1;
/// Longest excerpt shown; longer spans are cut (the caret still points at the start).
const MAX_EXCERPT_LINES: usize = 8;

pub fn render(report: &Report, color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() }.decor_style(DecorStyle::Ascii);
    let mut out = String::new();
    for error in &report.load_errors {
        out.push_str(&format!("error: {error}\n\n"));
    }
    for d in &report.diagnostics {
        // Every secret of the file, not only this finding's: a neighbour's can sit on a context line.
        let secrets: Vec<std::ops::Range<usize>> = report
            .diagnostics
            .iter()
            .filter(|o| o.redact && o.file_index == d.file_index)
            .map(|o| o.span.clone())
            .collect();
        out.push_str(&render_one(&renderer, &report.files[d.file_index].runbook, d, &secrets));
        out.push_str("\n\n");
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// `3 errors, 1 warning, 0 infos in 2 files`.
pub fn summary_line(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut s = format!(
        "{}, {}, {} in {}",
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.count(Severity::Info), "info"),
        plural(report.files.len(), "file"),
    );
    if !report.load_errors.is_empty() {
        s.push_str(&format!("; {} unreadable", plural(report.load_errors.len(), "file")));
    }
    s
}

fn render_one(renderer: &Renderer, runbook: &Runbook, d: &Diagnostic, secrets: &[std::ops::Range<usize>]) -> String {
    let source = &runbook.source;
    let first = source.line_index(d.span.start).saturating_sub(CONTEXT_LINES);
    let last_span_line = source.line_index(d.span.end.saturating_sub(1).max(d.span.start));
    let last = last_span_line.min(source.line_index(d.span.start) + MAX_EXCERPT_LINES);
    let window_start = source.line_starts()[first];
    let window_end = source.line_span(last).end;
    let excerpt_raw = &source.as_str()[window_start..window_end];
    let span_start = d.span.start - window_start;
    let span_end = (d.span.end.min(window_end) - window_start).max(span_start);
    let local: Vec<std::ops::Range<usize>> = secrets
        .iter()
        .filter(|s| s.start < window_end && s.end > window_start)
        .map(|s| s.start.max(window_start) - window_start..s.end.min(window_end) - window_start)
        .collect();
    // `•` is three bytes: the annotation's offsets move with the mask.
    let (excerpt, span_start, span_end) = mask_all(excerpt_raw, &local, span_start, span_end);
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let snippet = Snippet::source(excerpt.as_str())
        .line_start(first + 1)
        .path(d.file.as_str())
        .annotation(AnnotationKind::Primary.span(span_start..span_end.max(span_start)));
    let mut group = level.primary_title(d.message.as_str()).id(d.code).element(snippet);
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}

/// Masks every range with `•` and maps the offsets `start`/`end` (into `text`) to the masked text.
fn mask_all(text: &str, ranges: &[std::ops::Range<usize>], start: usize, end: usize) -> (String, usize, usize) {
    let mut out = String::with_capacity(text.len() * 2);
    let (mut new_start, mut new_end) = (None, None);
    for (i, c) in text.char_indices() {
        if i == start {
            new_start = Some(out.len());
        }
        if i == end {
            new_end = Some(out.len());
        }
        let secret = ranges.iter().any(|r| r.contains(&i));
        out.push(if secret && c != '\n' { '•' } else { c });
    }
    let len = out.len();
    let new_start = new_start.unwrap_or(len);
    (out, new_start, new_end.unwrap_or(len).max(new_start))
}

/// Replaces every character of `range` with `•`, keeping the line shape.
pub fn mask(text: &str, range: std::ops::Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..range.start]);
    out.extend(text[range.clone()].chars().map(|c| if c == '\n' { '\n' } else { '•' }));
    out.push_str(&text[range.end..]);
    out
}
