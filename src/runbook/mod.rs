//! The runbook model: a Markdown document decoded from any bytes, with every heading, code block,
//! table, list item and paragraph kept with its exact byte range in the decoded text.
//!
//! Rules never look at raw Markdown; they read this model.

pub mod embedded;
pub mod encoding;
mod markdown;
pub mod shell;
pub mod sniff;
pub mod source;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use encoding::{BinaryFile, EncodingReport};
pub use sniff::Lang;
pub use source::{LineCol, Snippet, SourceText};

/// One parsed runbook.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub path: PathBuf,
    pub source: SourceText,
    pub encoding: EncodingReport,
    pub headings: Vec<Heading>,
    pub blocks: Vec<CodeBlock>,
    pub tables: Vec<Table>,
    pub items: Vec<ListItem>,
    pub paragraphs: Vec<Paragraph>,
    pub suppressions: Vec<Suppression>,
    /// The SQL and PromQL found in the runbook, gathered the first time a rule asks
    /// ([`Runbook::sql`], [`Runbook::promql`]) and shared by every rule after it.
    embedded_sql: std::sync::OnceLock<Vec<embedded::Fragment>>,
    embedded_sql_tokens: std::sync::OnceLock<Vec<Vec<embedded::sql_tokens::Token>>>,
    embedded_promql: std::sync::OnceLock<Vec<embedded::Fragment>>,
}

/// A heading, with the titles of the headings it sits under.
#[derive(Debug, Clone)]
pub struct Heading {
    pub level: u8,
    pub title: String,
    /// A leading section number like `3.2.1`, if the title has one.
    pub number: Option<String>,
    pub span: Range<usize>,
    /// Titles from the top level down to this heading, inclusive.
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Fenced,
    Indented,
}

/// A fenced or indented code block.
#[derive(Debug, Clone)]
pub struct CodeBlock {
    pub kind: BlockKind,
    /// The info string's first word, lower-cased (`bash`, `sql`, ...), if any.
    pub info: Option<String>,
    /// What the info string declares.
    pub declared: Option<Lang>,
    /// What the content looks like.
    pub sniffed: Lang,
    /// The whole block, fences included.
    pub span: Range<usize>,
    /// The body, mapped back to the runbook.
    pub content: Snippet,
    /// Index of the heading this block is under.
    pub section: Option<usize>,
    /// The shell analysis, made the first time a rule asks (`shell::analyse`) and shared by every
    /// shell rule after it.
    pub(crate) shell: std::sync::OnceLock<std::sync::Arc<shell::ShellBlock>>,
}

impl CodeBlock {
    /// The language rules should analyse the block as: the declared one when it agrees with the
    /// content, the sniffed one when there is no declaration or a generic one.
    pub fn lang(&self) -> Lang {
        match self.declared {
            Some(Lang::Text) | None => self.sniffed,
            Some(d) => d,
        }
    }

    pub fn is_shell(&self) -> bool {
        self.lang() == Lang::Bash
    }
}

/// A table cell: its inline text and where it is.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub span: Range<usize>,
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    pub section: Option<usize>,
}

/// A list item; `checked` is set for task items (`- [ ]` / `- [x]`).
#[derive(Debug, Clone)]
pub struct ListItem {
    /// The item's own text (nested lists and code blocks excluded).
    pub text: Snippet,
    pub span: Range<usize>,
    pub checked: Option<bool>,
    pub depth: usize,
    pub section: Option<usize>,
}

/// A paragraph outside lists and tables (soft line breaks kept as `\n`).
#[derive(Debug, Clone)]
pub struct Paragraph {
    pub text: Snippet,
    pub span: Range<usize>,
    pub section: Option<usize>,
}

/// `<!-- firedrill-disable FD203: reason -->`: silences the codes on the next block or line
/// (`firedrill-disable-file` for the whole file).
#[derive(Debug, Clone)]
pub struct Suppression {
    pub codes: Vec<String>,
    pub reason: Option<String>,
    /// The comment itself.
    pub span: Range<usize>,
    /// What it silences.
    pub target: Range<usize>,
}

impl Suppression {
    pub fn covers(&self, code: &str, span: &Range<usize>) -> bool {
        self.codes.iter().any(|c| c.eq_ignore_ascii_case(code) || c.eq_ignore_ascii_case("all"))
            && span.start >= self.target.start
            && span.start < self.target.end.max(self.target.start + 1)
    }
}

/// Why a runbook could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {source}", line = .source.line, column = .source.column)]
    Binary { path: PathBuf, source: BinaryFile },
}

impl Runbook {
    pub fn load(path: &Path) -> Result<Runbook, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(path, &bytes)
    }

    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Runbook, LoadError> {
        let decoded = encoding::decode(bytes).map_err(|source| LoadError::Binary { path: path.to_path_buf(), source })?;
        Ok(Self::parse(path, decoded.text, decoded.report))
    }

    /// Parses text that is already decoded.
    pub fn from_text(path: &Path, text: &str) -> Runbook {
        Self::parse(path, text.to_string(), EncodingReport::Utf8)
    }

    fn parse(path: &Path, text: String, encoding: EncodingReport) -> Runbook {
        let source = SourceText::new(text);
        let parts = markdown::parse(source.as_str());
        Runbook {
            path: path.to_path_buf(),
            source,
            encoding,
            headings: parts.headings,
            blocks: parts.blocks,
            tables: parts.tables,
            items: parts.items,
            paragraphs: parts.paragraphs,
            suppressions: parts.suppressions,
            embedded_sql: Default::default(),
            embedded_sql_tokens: Default::default(),
            embedded_promql: Default::default(),
        }
    }

    /// Every piece of SQL in the runbook ([`embedded::sql`]), found once.
    pub fn sql(&self) -> &[embedded::Fragment] {
        self.embedded_sql.get_or_init(|| embedded::sql(self))
    }

    /// The tokens of each piece of SQL, in the order of [`Runbook::sql`], tokenized once.
    pub fn sql_tokens(&self) -> &[Vec<embedded::sql_tokens::Token>] {
        self.embedded_sql_tokens.get_or_init(|| self.sql().iter().map(|f| embedded::sql_tokens::tokenize(&f.snippet.text)).collect())
    }

    /// Every piece of SQL with its tokens.
    pub fn sql_with_tokens(&self) -> impl Iterator<Item = (&embedded::Fragment, &[embedded::sql_tokens::Token])> {
        self.sql().iter().zip(self.sql_tokens().iter().map(Vec::as_slice))
    }

    /// Every PromQL query in the runbook ([`embedded::promql`]), found once.
    pub fn promql(&self) -> &[embedded::Fragment] {
        self.embedded_promql.get_or_init(|| embedded::promql(self))
    }

    pub fn text(&self) -> &str {
        self.source.as_str()
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        self.source.line_col(offset)
    }

    /// The heading a byte offset sits under.
    pub fn section_at(&self, offset: usize) -> Option<&Heading> {
        let i = self.headings.partition_point(|h| h.span.start <= offset);
        self.headings.get(i.checked_sub(1)?)
    }

    /// Byte ranges of everything that is not code: where prose-level rules (placeholders, secrets in
    /// tables, claims) look.
    pub fn is_in_code(&self, offset: usize) -> bool {
        let i = self.blocks.partition_point(|b| b.span.start <= offset);
        i > 0 && self.blocks[i - 1].span.contains(&offset)
    }

    pub fn is_suppressed(&self, code: &str, span: &Range<usize>) -> bool {
        self.suppressions.iter().any(|s| s.covers(code, span))
    }
}
