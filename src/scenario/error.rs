//! Scenario errors: each names the file, the line and column, and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

use super::locate::{parse_path, Index, Node, Pos};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where, when it can be told.
    pub pos: Option<Pos>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(pos: Option<Pos>, message: impl Into<String>) -> Self {
        Diagnostic {
            pos,
            message: message.into(),
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    /// The file could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was read but is not a valid scenario: every problem found, in file order.
    Invalid {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ScenarioError {
    pub fn path(&self) -> &Path {
        match self {
            ScenarioError::Io { path, .. } | ScenarioError::Invalid { path, .. } => path,
        }
    }

    pub fn is_io(&self) -> bool {
        matches!(self, ScenarioError::Io { .. })
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Invalid { diagnostics, .. } => diagnostics,
            ScenarioError::Io { .. } => &[],
        }
    }
}

impl fmt::Display for ScenarioError {
    /// One line a problem: `scenarios/x.yaml:12:5: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Io { path, source } => {
                write!(f, "{}: cannot read: {source}", path.display())
            }
            ScenarioError::Invalid { path, diagnostics } => {
                for (i, d) in diagnostics.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    match d.pos {
                        Some(p) => write!(
                            f,
                            "{}:{}:{}: {}",
                            path.display(),
                            p.line,
                            p.column,
                            d.message
                        )?,
                        None => write!(f, "{}: {}", path.display(), d.message)?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScenarioError::Io { source, .. } => Some(source),
            ScenarioError::Invalid { .. } => None,
        }
    }
}

/// Refuses bytes that are not UTF-8 text, saying where the first bad byte is.
pub(super) fn check_text(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = line_col(bytes, at);
        return Err(Diagnostic::new(
            Some(Pos { line, column }),
            format!("binary file (a NUL byte at offset {at}), not a YAML scenario"),
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.valid_up_to();
            let (line, column) = line_col(bytes, at);
            Err(Diagnostic::new(
                Some(Pos { line, column }),
                format!(
                    "not UTF-8 text (byte 0x{:02x} at offset {at}); save the scenario as UTF-8",
                    bytes[at]
                ),
            ))
        }
    }
}

/// Line and column (in characters) of byte `at`, counting only the valid UTF-8 before it.
fn line_col(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

/// Turns a yaml_serde error into a diagnostic: the position libyaml or serde gave, made exact
/// where serde buffered the value (internally tagged enums) by finding the named key or value in
/// the text.
///
/// Errors inside a sequence of buffered values are reported by yaml_serde at the sequence;
/// `failing_item(path)` tells which item of the sequence at `path` fails (if `path` is such a
/// sequence), so the error can be placed in it.
pub(super) fn from_yaml(
    err: &yaml_serde::Error,
    text: &str,
    index: &Index,
    failing_item: impl Fn(&str) -> Option<usize>,
) -> Diagnostic {
    let mut message = err.to_string();
    let mut pos = None;
    if let Some(loc) = err.location() {
        pos = Some(Pos {
            line: loc.line(),
            column: loc.column(),
        });
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(i) = message.find(&suffix) {
            message.replace_range(i..i + suffix.len(), "");
        }
    }
    // `timeline[0]: unknown field ...` → path and message.
    let (mut path, mut rest) = match message.split_once(": ") {
        Some((p, r)) if is_path(p) => (p.to_owned(), r.to_owned()),
        _ => (String::new(), message.clone()),
    };
    if let Some(i) = failing_item(&path) {
        let item = format!("{path}[{i}]");
        if let Some(f) = index.find_str(&item) {
            pos = Some(f.node.pos());
        }
        path = item;
    }
    if let Some((key, found)) = refine(&path, &rest, index) {
        pos = Some(found);
        if let Some(key) = key {
            path = if path.is_empty() {
                key
            } else {
                format!("{path}.{key}")
            };
        }
    }
    rest = friendly_types(&rest);
    if is_quoting_problem(text, pos) {
        rest.push_str(" (a value that starts with `>` must be quoted: `\">= 50%\"`)");
    }
    let message = if path.is_empty() {
        rest
    } else {
        format!("{path}: {rest}")
    };
    Diagnostic::new(pos, message)
}

fn is_path(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
        && parse_path(s).is_some()
}

/// The first backquoted token after `marker` in `message`.
fn token_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let start = message.find(marker)? + marker.len();
    let rest = message[start..].strip_prefix('`')?;
    Some(&rest[..rest.find('`')?])
}

/// For an error reported at a mapping (serde had buffered it), the entry the message names: its
/// key (for the path) and position.
fn refine(path: &str, message: &str, index: &Index) -> Option<(Option<String>, Pos)> {
    let found = index.find_str(path)?;
    let Node::Map(..) = found.node else {
        return None;
    };
    if let Some(field) =
        token_after(message, "unknown field ").or_else(|| token_after(message, "duplicate field "))
    {
        let dup = message.starts_with("duplicate field");
        let mut matching = found.node.entries().iter().filter(|e| e.key == field);
        let entry = if dup {
            matching.nth(1)
        } else {
            matching.next()
        }?;
        return Some((None, entry.key_pos));
    }
    let value =
        token_after(message, "unknown variant ").or_else(|| token_after(message, "got "))?;
    let entry = found
        .node
        .entries()
        .iter()
        .find(|e| e.value.scalar() == Some(value))?;
    Some((Some(entry.key.clone()), entry.value.pos()))
}

/// A libyaml complaint on a line like `error_rate: >= 50%`.
fn is_quoting_problem(text: &str, pos: Option<Pos>) -> bool {
    let Some(pos) = pos else { return false };
    let lines: Vec<&str> = text.lines().collect();
    let candidates = [pos.line.checked_sub(1), pos.line.checked_sub(2)];
    candidates
        .into_iter()
        .flatten()
        .filter_map(|i| lines.get(i))
        .any(|l| {
            let code = l.split(" #").next().unwrap_or(l);
            code.split_once(": >").is_some_and(|(_, after)| {
                after.starts_with(['=', ' '])
                    && after
                        .trim_start_matches(['=', ' '])
                        .starts_with(|c: char| c.is_ascii_digit())
            })
        })
}

/// serde names Rust types in `expected ...`; say what to write instead.
fn friendly_types(message: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        (
            "struct Scenario",
            "a scenario: a mapping with `name`, `compression`, `service`, `workload`, ...",
        ),
        ("struct Mock", "`{}`"),
        (
            "internally tagged enum Step",
            "a step: a mapping with a `kind` (`db-outage`, `heal`, ...)",
        ),
    ];
    let mut out = message.to_owned();
    for (rust, yaml) in NAMES {
        out = out.replace(&format!("expected {rust}"), &format!("expected {yaml}"));
    }
    if let Some(i) = out.find("expected struct ") {
        let end = out[i + 16..]
            .find(|c: char| !c.is_alphanumeric())
            .map_or(out.len(), |n| i + 16 + n);
        out.replace_range(i..end, "expected a mapping");
    }
    out
}
