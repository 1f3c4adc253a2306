//! What a rule is: stable code, default severity, docs from its doc comment, and checks.

use std::ops::Range;

use crate::claims::Claim;
use crate::lint::config::Config;
use crate::runbook::Runbook;

/// How bad a finding is. `Error`: will fail or lose data when run. `Warning`: risky or
/// misleading. `Info`: hygiene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!("unknown severity `{other}` (expected error, warning or info)")),
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, `FD` + family digit + two digits (`FD301`).
    pub code: &'static str,
    /// Kebab-case name (`catalog-drift`).
    pub name: &'static str,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// The rule's doc comment, in Markdown.
    pub docs: &'static str,
}

/// One problem a rule found, as a byte range in the runbook's decoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
    /// The span's text is a secret: renderers mask it wherever they show source.
    pub redact: bool,
}

impl Finding {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Self { span, message: message.into(), help: None, redact: false }
    }

    /// Marks the span as secret text that must never be shown.
    pub fn redacted(mut self) -> Self {
        self.redact = true;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A finding from a rule that reads several runbooks at once; `file` indexes `ProjectContext::files`.
#[derive(Debug, Clone)]
pub struct ProjectFinding {
    pub file: usize,
    pub finding: Finding,
}

/// What a per-file check sees.
pub struct FileContext<'a> {
    pub runbook: &'a Runbook,
    pub claims: &'a [Claim],
    pub config: &'a Config,
}

/// One runbook with what was extracted from it.
pub struct LintedFile {
    pub runbook: Runbook,
    pub claims: Vec<Claim>,
}

/// What a cross-file check sees: every runbook linted in this run.
pub struct ProjectContext<'a> {
    pub files: &'a [LintedFile],
    pub config: &'a Config,
    /// Which files describe the same system, worked out once for every rule that asks.
    systems: std::sync::OnceLock<crate::lint::consistency::Systems>,
}

impl<'a> ProjectContext<'a> {
    pub fn new(files: &'a [LintedFile], config: &'a Config) -> Self {
        Self { files, config, systems: std::sync::OnceLock::new() }
    }

    /// Which runbooks of the run describe the same system (see `lint::consistency`).
    pub fn systems(&self) -> &crate::lint::consistency::Systems {
        self.systems.get_or_init(|| crate::lint::consistency::Systems::of(self.files))
    }
}

pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Checks one runbook.
    fn check_file(&self, _cx: &FileContext, _out: &mut Vec<Finding>) {}

    /// Checks all runbooks of the run together (claims that contradict each other).
    fn check_project(&self, _cx: &ProjectContext, _out: &mut Vec<ProjectFinding>) {}
}

/// Declares a rule type whose doc comment becomes its documentation:
///
/// ```text
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub struct CatalogDrift {
///         code: "FD301", name: "catalog-drift", severity: Error,
///         summary: "SQL uses a catalog column or function the target Postgres no longer has",
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            code: $code:literal,
            name: $rule_name:literal,
            severity: $severity:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name;

        impl $name {
            pub const META: $crate::lint::RuleMeta = $crate::lint::RuleMeta {
                code: $code,
                name: $rule_name,
                severity: $crate::lint::Severity::$severity,
                summary: $summary,
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
}

/// Runs one rule's per-file check on Markdown text: `(line, column, message)` of each finding.
#[cfg(test)]
pub(crate) fn findings_in(rule: &dyn Rule, src: &str) -> Vec<(usize, usize, String)> {
    let runbook = Runbook::from_text(std::path::Path::new("t.md"), src);
    let claims = crate::claims::extract(&runbook);
    let config = Config::default();
    let cx = FileContext { runbook: &runbook, claims: &claims, config: &config };
    let mut out = Vec::new();
    rule.check_file(&cx, &mut out);
    out.iter()
        .map(|f| {
            let at = runbook.line_col(f.span.start);
            (at.line, at.column, f.message.clone())
        })
        .collect()
}
