//! Shell code blocks read once: the text bash would see (prompts and console output removed,
//! `<placeholders>` kept as words), its simple commands with their words and spans, its heredocs,
//! SQL pasted as shell lines, and whether bash would accept it.
//!
//! A fast lexer of our own reads every block (brush-parser's tokenizer is the fallback when it
//! is unsure); a plain list of simple commands is checked on its tokens, anything with compound
//! syntax, parentheses or a suspected error goes through brush-parser's bash grammar.
//!
//! Every offset here is a byte offset in `CodeBlock::content.text`; map it to the runbook with
//! `Snippet::source_offset` / `source_range`. [`analyse`] keeps its result in the block, so each
//! rule may call it without parsing the block again.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use brush_parser::{ParseError, ParserOptions, Token, TokenizerError};
use regex::Regex;

use super::CodeBlock;

/// One shell block, analysed.
#[derive(Debug)]
pub struct ShellBlock {
    /// The block as bash reads it, byte for byte the same length as the block body: prompts,
    /// console output and carriage returns blanked with spaces, `<placeholder>` brackets turned
    /// into `_` so a placeholder is one word. SQL lines are still there (see [`ShellBlock::sql`]).
    pub text: String,
    /// Console style: some line starts with a `$ ` prompt (or the fence says `console`); lines
    /// without a prompt that do not continue a command are output and were blanked.
    pub console: bool,
    /// Simple commands: those of the block in source order, then those inside `$(...)` and
    /// backquotes, then those of scripts written by a heredoc (`cat > x.sh <<'EOF'`); see
    /// [`Command::nesting`].
    pub commands: Vec<Command>,
    pub heredocs: Vec<Heredoc>,
    /// SQL statements and psql meta-commands written at command position.
    pub sql: Vec<SqlStatement>,
    /// The first line is a `#!` line.
    pub shebang: bool,
    /// `set -e` (or `-o errexit`, or `#!/bin/bash -e`) appears.
    pub strict: bool,
    /// Function definitions.
    pub functions: usize,
    /// `for` / `while` / `until` / `select` loops.
    pub loops: usize,
    /// The tokenizer read the whole block (when false, `commands` only covers the lines before
    /// the error).
    pub lexed: bool,
    /// Why bash would reject the block (SQL lines excluded: they are reported on their own).
    pub syntax: Option<ShellSyntax>,
}

/// A syntax error, with a message worded like bash's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellSyntax {
    /// Where the error is (for an unclosed construct: its opening keyword or quote).
    pub span: Range<usize>,
    /// `syntax error near unexpected token `fi``, `syntax error: unexpected end of file ...`.
    pub message: String,
    /// What is probably wrong, for the reader.
    pub note: Option<String>,
    /// A second place the note talks about (the `case` a stray `fi` should close).
    pub related: Option<Range<usize>>,
}

/// A shell word as written (quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Range<usize>,
}

impl Word {
    /// The word with quotes and backslash escapes removed (expansions are left as written).
    pub fn unquoted(&self) -> String {
        unquote(&self.text)
    }

    /// `-x` or `--long`, not `-` alone.
    pub fn is_option(&self) -> bool {
        self.text.len() > 1 && self.text.starts_with('-')
    }
}

/// Where a command's standard input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdin {
    /// Whatever the block runs with: the operator's terminal when typed by hand.
    Inherited,
    /// The output of the previous command of a pipeline.
    Pipe,
    /// `< file` (or `<&fd`).
    File,
    Heredoc,
    HereString,
    /// The command is inside a loop whose input is redirected or piped
    /// (`while read l; do ...; done < hosts`).
    Loop,
}

/// Where a command sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// A command of the block itself.
    Top,
    /// Inside `$(...)`, backquotes or `<(...)`.
    Substitution,
    /// Inside a script the block writes with a heredoc (`cat > /opt/backup.sh <<'EOF'`).
    ScriptFile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// `>`, `>>`, `<`, `2>&1`'s `>&`, `<<<`, ... (heredocs are in [`ShellBlock::heredocs`]).
    pub op: String,
    /// The file descriptor written before the operator (`2` in `2>`).
    pub fd: Option<String>,
    pub target: Option<Word>,
    pub span: Range<usize>,
}

/// A simple command: assignments, words and redirections between control operators.
#[derive(Debug, Clone)]
pub struct Command {
    /// All words, leading `NAME=value` assignments included.
    pub words: Vec<Word>,
    /// How many of `words` are leading assignments.
    pub assignments: usize,
    pub redirects: Vec<Redirect>,
    pub span: Range<usize>,
    pub stdin: Stdin,
    /// Its output goes into a pipe.
    pub piped_out: bool,
    /// Inside (the condition or body of) a loop.
    pub in_loop: bool,
    /// Inside a function body.
    pub in_function: bool,
    pub nesting: Nesting,
}

impl Command {
    /// The command word (after assignments), if any.
    pub fn name(&self) -> Option<&Word> {
        self.words.get(self.assignments)
    }

    /// The command word unquoted and without its directory (`/usr/bin/psql` → `psql`).
    pub fn program(&self) -> Option<String> {
        let name = self.name()?.unquoted();
        Some(match name.rsplit_once('/') {
            Some((_, base)) => base.to_string(),
            None => name,
        })
    }

    /// The words after the command word.
    pub fn args(&self) -> &[Word] {
        self.words.get(self.assignments + 1..).unwrap_or(&[])
    }

    /// Whether the command reads its standard input from the terminal it was started from.
    pub fn stdin_is_inherited(&self) -> bool {
        self.stdin == Stdin::Inherited
    }
}

/// A here-document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// Index into [`ShellBlock::commands`] of the command it feeds (`None` for `done <<EOF`).
    pub command: Option<usize>,
    /// The `<<EOF` / `<<-'EOF'` operator and delimiter word.
    pub op: Range<usize>,
    /// The delimiter, unquoted.
    pub delimiter: String,
    /// The delimiter was quoted: the body is literal, no expansions.
    pub quoted: bool,
    /// `<<-`: leading tabs are stripped.
    pub strip_tabs: bool,
    /// The body lines, without the delimiter line.
    pub body: Range<usize>,
}

/// SQL (or a psql meta-command like `\dt`) written where bash expects a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatement {
    /// The first word as written: `SELECT`, `vacuum`, `\dt`.
    pub keyword: String,
    /// From the keyword to the end of the statement's last line.
    pub span: Range<usize>,
    /// From the keyword to the end of its line.
    pub first_line: Range<usize>,
}

/// Analyses a shell block (kept in the block: the second call is a lookup).
pub fn analyse(block: &CodeBlock) -> Arc<ShellBlock> {
    block
        .shell
        .get_or_init(|| {
            let console = matches!(
                block.info.as_deref(),
                Some("console" | "shell-session" | "shellsession")
            );
            Arc::new(build(&block.content.text, console))
        })
        .clone()
}

/// Parses a shell block: the analysis when bash would accept it, the syntax error otherwise.
pub fn parse(block: &CodeBlock) -> Result<Arc<ShellBlock>, ShellSyntax> {
    let analysed = analyse(block);
    match &analysed.syntax {
        Some(err) => Err(err.clone()),
        None => Ok(analysed),
    }
}

/// [`analyse`] on a bare text; `console` when it is a console session.
pub fn analyse_text(body: &str, console: bool) -> Arc<ShellBlock> {
    Arc::new(build(body, console))
}

fn build(raw: &str, console_info: bool) -> ShellBlock {
    let prep = prepare(raw, console_info);
    let mut out = ShellBlock {
        text: prep.text.clone(),
        console: prep.console,
        commands: Vec::new(),
        heredocs: Vec::new(),
        sql: prep.sql.clone(),
        shebang: raw.trim_start_matches([' ', '\t']).starts_with("#!"),
        strict: false,
        functions: 0,
        loops: 0,
        lexed: false,
        syntax: None,
    };
    if let Some(first) = raw.lines().next() {
        if first.starts_with("#!") && first.split_whitespace().skip(1).any(is_errexit_cluster) {
            out.strict = true;
        }
    }
    let text = &prep.parse_text;
    let mut nested = Vec::new();
    let prog = program(
        raw,
        text,
        0..text.len(),
        Nesting::Top,
        prep.open_heredoc.as_ref(),
        0,
        &mut nested,
    );
    out.lexed = prog.lexed;
    out.syntax = prog.syntax;
    if let Some(walked) = prog.walked {
        absorb(&mut out, walked);
    }
    // Scripts written by heredocs (`cat > /opt/backup.sh <<'EOF'`): their commands too.
    for h in &out.heredocs {
        let Some(cmd) = h.command.map(|i| &out.commands[i]) else {
            continue;
        };
        if writes_script(cmd, &text[h.body.clone()]) {
            let toks = fast_lex(&text[h.body.clone()], h.body.start)
                .ok()
                .or_else(|| lex_slice(text, h.body.clone()).ok().map(|t| t.0));
            if let Some(toks) = toks {
                let walked = walk(raw, &toks, Nesting::ScriptFile);
                out.functions += walked.functions;
                out.loops += walked.loops;
                nested.extend(walked.commands);
            }
        }
    }
    out.commands.extend(nested);
    out.strict |= out.commands.iter().any(|c| {
        c.program().as_deref() == Some("set")
            && c.args().iter().enumerate().any(|(i, a)| {
                is_errexit_cluster(&a.text)
                    || (a.text == "-o" && c.args().get(i + 1).is_some_and(|n| n.text == "errexit"))
            })
    });
    out
}

struct Program {
    walked: Option<Walked>,
    syntax: Option<ShellSyntax>,
    lexed: bool,
}

/// Lexes, walks and checks `range` of `text` (a whole block, or the inside of a `$(...)`);
/// commands found inside its command substitutions go to `nested`.
///
/// The fast lexer below reads the block; when the result is a plain list of simple commands
/// that it can check completely, that is the verdict. Anything else (compound commands,
/// parentheses, a suspected error, text the fast lexer gives up on) is decided by brush-parser.
fn program(
    raw: &str,
    text: &str,
    range: Range<usize>,
    nesting: Nesting,
    open_heredoc: Option<&Pending>,
    depth: usize,
    nested: &mut Vec<Command>,
) -> Program {
    let slice = &text[range.clone()];
    let base = range.start;
    if let Ok(toks) = fast_lex(slice, base) {
        let walked = walk(raw, &toks, nesting);
        let inner_error = inner_programs(raw, text, &walked, depth, nested);
        let syntax = if walked.complex || walked.error.is_some() {
            // brush-parser's grammar on our tokens (the same stream its tokenizer makes).
            let brush_toks = to_brush(&toks, slice, base);
            parse_with(&walked, &toks, brush_toks, slice, base)
        } else {
            None
        };
        return Program {
            syntax: syntax.or(inner_error),
            walked: Some(walked),
            lexed: true,
        };
    }
    match lex(slice, base) {
        Ok((toks, brush_toks)) => {
            let walked = walk(raw, &toks, nesting);
            let inner_error = inner_programs(raw, text, &walked, depth, nested);
            let syntax = parse_with(&walked, &toks, brush_toks, slice, base);
            Program {
                syntax: syntax.or(inner_error),
                walked: Some(walked),
                lexed: true,
            }
        }
        Err(e) => {
            let syntax = shift(
                tokenizer_error(slice, open_heredoc.filter(|_| base == 0), &e),
                base,
            );
            // Keep what can be read: the lines before the one the error starts on.
            let at = (syntax.span.start - base).min(slice.len());
            let cut = slice[..at].rfind('\n').map_or(0, |i| i + 1);
            let mut head = slice[..cut].to_string();
            head.extend(std::iter::repeat_n(' ', slice.len() - cut));
            let toks = fast_lex(&head, base)
                .ok()
                .or_else(|| lex(&head, base).ok().map(|t| t.0));
            let walked = toks.map(|toks| walk(raw, &toks, nesting));
            Program {
                walked,
                syntax: Some(syntax),
                lexed: false,
            }
        }
    }
}

/// Walks the `$(...)` and backquoted parts of every word; returns the first syntax error found
/// inside a `$(...)` (bash parses those with the line; backquotes it reads only when run).
fn inner_programs(
    raw: &str,
    text: &str,
    walked: &Walked,
    depth: usize,
    nested: &mut Vec<Command>,
) -> Option<ShellSyntax> {
    if depth >= 3 {
        return None;
    }
    let mut error = None;
    for cmd in &walked.commands {
        for w in cmd
            .words
            .iter()
            .chain(cmd.redirects.iter().filter_map(|r| r.target.as_ref()))
        {
            let word = &text[w.span.clone()];
            if !word.contains("$(") && !word.contains('`') {
                continue;
            }
            for (inner, backquoted) in substitution_ranges(word) {
                let range = w.span.start + inner.start..w.span.start + inner.end;
                let p = program(
                    raw,
                    text,
                    range,
                    Nesting::Substitution,
                    None,
                    depth + 1,
                    nested,
                );
                if let Some(inner_walk) = p.walked {
                    nested.extend(inner_walk.commands);
                }
                if !backquoted && error.is_none() {
                    error = p.syntax;
                }
            }
        }
    }
    error
}

/// What brush-parser alone says about `slice` (at `base` in the block): what the fast path must
/// agree with.
#[cfg(test)]
fn brush_check(
    raw: &str,
    slice: &str,
    base: usize,
    nesting: Nesting,
    open_heredoc: Option<&Pending>,
) -> Option<ShellSyntax> {
    match lex(slice, base) {
        Ok((toks, brush_toks)) => {
            let walked = walk(raw, &toks, nesting);
            parse_with(&walked, &toks, brush_toks, slice, base)
        }
        Err(e) => Some(shift(
            tokenizer_error(slice, open_heredoc.filter(|_| base == 0), &e),
            base,
        )),
    }
}

fn parse_with(
    walked: &Walked,
    toks: &[Tok<'_>],
    mut brush_toks: Vec<Token>,
    slice: &str,
    base: usize,
) -> Option<ShellSyntax> {
    // brush-parser 0.4 does not know `select`; its grammar is `for`'s.
    for &i in &walked.select_at {
        let loc = brush_toks[i].location().clone();
        brush_toks[i] = Token::Word("for".into(), loc);
    }
    let e = brush_parser::parse_tokens(&brush_toks, &ParserOptions::default()).err()?;
    Some(
        walked
            .error
            .clone()
            .unwrap_or_else(|| parse_error(slice, base, toks, &e)),
    )
}

/// brush-parser tokens for our tokens of `slice` (at `base`): the text brush would give each
/// (line continuations removed), positions in characters.
fn to_brush(toks: &[Tok<'_>], slice: &str, base: usize) -> Vec<Token> {
    // Character index of each byte offset (only needed when the text is not ASCII).
    let char_at: Option<Vec<u32>> = (!slice.is_ascii()).then(|| {
        let mut v = Vec::with_capacity(slice.len() + 1);
        let mut n = 0u32;
        v.push(0);
        for b in slice.bytes() {
            if b & 0xC0 != 0x80 {
                n += 1;
            }
            v.push(n);
        }
        v
    });
    let chars = |byte: usize| char_at.as_ref().map_or(byte, |v| v[byte] as usize);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(slice.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let pos = |byte: usize| {
        let byte = byte.saturating_sub(base).min(slice.len());
        let line = line_starts.partition_point(|&s| s <= byte) - 1;
        Arc::new(brush_parser::SourcePosition {
            index: chars(byte),
            line: line + 1,
            column: chars(byte) - chars(line_starts[line]) + 1,
        })
    };
    toks.iter()
        .map(|t| {
            let loc = brush_parser::SourceSpan {
                start: pos(t.span.start),
                end: pos(t.span.end),
            };
            if t.op {
                Token::Operator(t.text.to_string(), loc)
            } else if t.text.contains("\\\n") && !t.body {
                Token::Word(t.text.replace("\\\n", ""), loc)
            } else {
                Token::Word(t.text.to_string(), loc)
            }
        })
        .collect()
}

fn shift(mut s: ShellSyntax, base: usize) -> ShellSyntax {
    s.span = s.span.start + base..s.span.end + base;
    s.related = s.related.map(|r| r.start + base..r.end + base);
    s
}

fn absorb(out: &mut ShellBlock, walked: Walked) {
    out.functions += walked.functions;
    out.loops += walked.loops;
    out.commands = walked.commands;
    out.heredocs = walked.heredocs;
}

/// `-e`, `-eu`, `-Eeuo` (an option cluster holding `e`).
fn is_errexit_cluster(w: &str) -> bool {
    w.len() > 1
        && w.starts_with('-')
        && !w.starts_with("--")
        && w[1..].chars().all(|c| c.is_ascii_alphabetic())
        && w.contains('e')
}

/// `cat > x.sh <<'EOF'`, `tee /opt/backup.sh <<EOF`, or any heredoc body that starts with `#!`.
fn writes_script(cmd: &Command, body: &str) -> bool {
    if body.trim_start().starts_with("#!") {
        return true;
    }
    let sh = |w: &Word| {
        let t = w.unquoted();
        t.ends_with(".sh") || t.ends_with(".bash")
    };
    match cmd.program().as_deref() {
        Some("cat") => cmd
            .redirects
            .iter()
            .any(|r| r.op.starts_with('>') && r.target.as_ref().is_some_and(sh)),
        Some("tee") => cmd.args().iter().any(sh),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Documentation conventions: prompts, console output, placeholders, SQL lines.

struct Prepared {
    text: String,
    /// `text` with SQL statements blanked: what is tokenized and parsed.
    parse_text: String,
    console: bool,
    sql: Vec<SqlStatement>,
    /// A heredoc still open at the end of the block.
    open_heredoc: Option<Pending>,
}

#[derive(Debug, Clone)]
struct Pending {
    delim: String,
    strip_tabs: bool,
    op: Range<usize>,
}

/// `$ `, `user@host:~$ `, `[root@db ~]# `: the length of the prompt at the start of a line.
fn prompt_len(line: &str) -> Option<usize> {
    static PROMPT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[ \t]*(?:(?:[\w.-]+@[\w.-]+(?::[^\s$#]*)?|\[[^\]]*\])\s?[$#]|\$)(?: |$)")
            .unwrap()
    });
    let t = line.trim_start_matches([' ', '\t']);
    let maybe = t.starts_with('$') || t.starts_with('[') || t.contains('@');
    if !maybe {
        return None;
    }
    PROMPT.find(line).map(|m| m.end())
}

fn blank(bytes: &mut [u8], range: Range<usize>) {
    for b in &mut bytes[range] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
}

fn prepare(raw: &str, console_info: bool) -> Prepared {
    let mut bytes = raw.as_bytes().to_vec();
    // CRLF files: a carriage return would stick to the last word of each line (`EOF\r` closes
    // no heredoc). Make it a line break (a `\` before it moves over, to keep the continuation).
    for i in 0..bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1).is_none_or(|b| *b == b'\n') {
            if i > 0 && bytes[i - 1] == b'\\' {
                bytes[i - 1] = b' ';
                bytes[i] = b'\\';
            } else {
                bytes[i] = b'\n';
            }
        }
    }
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in raw.bytes().enumerate() {
        if b == b'\n' {
            lines.push(start..i);
            start = i + 1;
        }
    }
    if start < raw.len() {
        lines.push(start..raw.len());
    }
    let line_text = |r: &Range<usize>| raw[r.clone()].trim_end_matches('\r');
    let console = console_info || lines.iter().any(|l| prompt_len(line_text(l)).is_some());

    let mut st = Scan::default();
    let mut sql: Vec<SqlStatement> = Vec::new();
    let mut sql_ranges: Vec<Range<usize>> = Vec::new();
    let mut cur: Option<SqlState> = None;
    for range in &lines {
        let s = range.start;
        let line = line_text(range);
        if let Some(h) = st.heredoc.clone() {
            let mut body = line;
            if console {
                if let Some(rest) = body.strip_prefix("> ") {
                    blank(&mut bytes, s..s + 2);
                    body = rest;
                }
            }
            let cmp = if h.strip_tabs {
                body.trim_start_matches('\t')
            } else {
                body
            };
            if cmp == h.delim {
                if body.len() < line.len() {
                    // `> EOF` typed at a PS2 prompt: the delimiter must be a line of its own, so
                    // move it over the prompt and end the line there (only this line's offsets
                    // shift, and nothing is reported on a delimiter).
                    let at = s + (line.len() - body.len());
                    bytes.copy_within(at..at + body.len(), s);
                    bytes[s + body.len()] = b'\n';
                    blank(&mut bytes, s + body.len() + 1..s + line.len());
                }
                st.heredoc = (!st.pending.is_empty()).then(|| st.pending.remove(0));
            }
            continue;
        }
        if let Some(q) = cur.as_mut() {
            if q.continues(line) {
                q.feed(line);
                q.stmt.span.end = s + line.trim_end().len();
                if q.ended {
                    finish_sql(&mut cur, &mut sql, &mut sql_ranges);
                }
                continue;
            }
            finish_sql(&mut cur, &mut sql, &mut sql_ranges);
        }
        let fresh = st.fresh();
        let mut from = 0;
        if console {
            if let Some(p) = prompt_len(line) {
                blank(&mut bytes, s..s + p);
                from = p;
            } else if !fresh || st.depth > 0 {
                if let Some(rest) = line.strip_prefix("> ") {
                    blank(&mut bytes, s..s + 2);
                    from = line.len() - rest.len();
                }
            } else {
                blank(&mut bytes, s..s + line.len());
                continue;
            }
        }
        let cmd = &line[from..];
        if fresh {
            if let Some((at, keyword)) = sql_start(cmd) {
                let k = s + from + at;
                let first_line = k..s + line.trim_end().len();
                let mut q = SqlState {
                    stmt: SqlStatement {
                        keyword: keyword.clone(),
                        span: first_line.clone(),
                        first_line,
                    },
                    indent: cmd.len() - cmd.trim_start().len(),
                    quote: false,
                    dollar: false,
                    parens: 0,
                    ended: keyword.starts_with('\\'),
                };
                q.feed(&cmd[at..]);
                cur = Some(q);
                if cur.as_ref().is_some_and(|q| q.ended) {
                    finish_sql(&mut cur, &mut sql, &mut sql_ranges);
                }
                continue;
            }
        }
        placeholders(&mut bytes, s + from, s + line.len());
        st.scan_line(cmd, s + from, console);
    }
    finish_sql(&mut cur, &mut sql, &mut sql_ranges);

    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let mut parse = text.clone().into_bytes();
    for r in &sql_ranges {
        blank(&mut parse, r.clone());
    }
    let parse_text = String::from_utf8(parse)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Prepared {
        text,
        parse_text,
        console,
        sql,
        open_heredoc: st.heredoc,
    }
}

fn finish_sql(
    cur: &mut Option<SqlState>,
    sql: &mut Vec<SqlStatement>,
    ranges: &mut Vec<Range<usize>>,
) {
    if let Some(q) = cur.take() {
        // Blank whole lines from the keyword on (a psql prompt before it goes too).
        ranges.push(q.stmt.first_line.start..q.stmt.span.end);
        sql.push(q.stmt);
    }
}

/// Turns `<container>` / `<nombre-del-pod>` / `<db name>` into one word (`_container_`): in a
/// runbook they are placeholders, not redirections.
fn placeholders(bytes: &mut [u8], start: usize, end: usize) {
    let mut i = start;
    while i < end {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let prev = if i > start { bytes[i - 1] } else { b' ' };
        let word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        if b"<>&|$".contains(&prev)
            || prev.is_ascii_digit()
            || !bytes.get(i + 1).is_some_and(|b| word_byte(*b))
        {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut ok = false;
        while j < end && j - i <= 64 {
            let b = bytes[j];
            if b == b'>' {
                ok = bytes[j - 1] != b' ' && !bytes.get(j + 1).is_some_and(|n| b">&|(".contains(n));
                break;
            }
            let allowed = word_byte(b)
                || b"-.:/@".contains(&b)
                || (b == b' '
                    && bytes[j - 1] != b' '
                    && bytes.get(j + 1).is_some_and(|n| word_byte(*n)));
            if !allowed {
                break;
            }
            j += 1;
        }
        if ok {
            bytes[i] = b'_';
            bytes[j] = b'_';
            i = j + 1;
        } else {
            i += 1;
        }
    }
}

/// Line-level shell state: quotes, continuations, `$(` nesting and heredocs across lines.
#[derive(Default)]
struct Scan {
    quote: Option<u8>,
    cont: bool,
    subst: u32,
    parens: u32,
    /// Open compound commands (`for ... do` without `done` yet), counted roughly for console
    /// blocks, where continuation lines carry no prompt.
    depth: i32,
    heredoc: Option<Pending>,
    pending: Vec<Pending>,
}

impl Scan {
    /// The next line starts a new command.
    fn fresh(&self) -> bool {
        self.quote.is_none() && !self.cont && self.subst == 0 && self.heredoc.is_none()
    }

    fn scan_line(&mut self, line: &str, base: usize, console: bool) {
        let b = line.as_bytes();
        let n = b.len();
        let mut i = 0;
        let mut last = [0u8; 2];
        let mut word_start = true;
        let mut comment_at = n;
        self.cont = false;
        while i < n {
            let c = b[i];
            match self.quote {
                Some(b'\'') => {
                    if c == b'\'' {
                        self.quote = None;
                    }
                    i += 1;
                    continue;
                }
                Some(q) => {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == q {
                        self.quote = None;
                        last = [last[1], c];
                    }
                    i += 1;
                    continue;
                }
                None => {}
            }
            match c {
                b'\\' => {
                    if i + 1 >= n {
                        self.cont = true;
                        return self.end_line();
                    }
                    last = [last[1], b[i + 1]];
                    word_start = false;
                    i += 2;
                    continue;
                }
                b'\'' | b'"' | b'`' => self.quote = Some(c),
                b'#' if word_start => {
                    comment_at = i;
                    break;
                }
                b'$' if b.get(i + 1) == Some(&b'(') => {
                    self.subst += 1;
                    last = [b'$', b'('];
                    word_start = true;
                    i += 2;
                    continue;
                }
                b'(' if self.subst > 0 => self.parens += 1,
                b')' => {
                    if self.parens > 0 {
                        self.parens -= 1;
                    } else if self.subst > 0 {
                        self.subst -= 1;
                    }
                }
                b'<' if b.get(i + 1) == Some(&b'<') => {
                    if b.get(i + 2) == Some(&b'<') {
                        last = [b'<', b'<'];
                        i += 3;
                        continue;
                    }
                    let op_start = i;
                    let mut j = i + 2;
                    let strip_tabs = b.get(j) == Some(&b'-');
                    if strip_tabs {
                        j += 1;
                    }
                    while j < n && (b[j] == b' ' || b[j] == b'\t') {
                        j += 1;
                    }
                    let mut delim = String::new();
                    let mut q: Option<u8> = None;
                    let word_from = j;
                    while j < n {
                        let d = b[j];
                        match q {
                            Some(qq) if d == qq => q = None,
                            Some(_) => delim.push(d as char),
                            None if d == b'\'' || d == b'"' => q = Some(d),
                            None if d == b'\\' => {}
                            None if d.is_ascii_whitespace() || b";|&<>()".contains(&d) => break,
                            None => delim.push(d as char),
                        }
                        j += 1;
                    }
                    if !delim.is_empty() {
                        let delim = line[word_from..j]
                            .chars()
                            .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                            .collect();
                        self.pending.push(Pending {
                            delim,
                            strip_tabs,
                            op: base + op_start..base + j,
                        });
                    }
                    last = [b'<', b'x'];
                    word_start = false;
                    i = j;
                    continue;
                }
                _ => {}
            }
            word_start = c.is_ascii_whitespace() || b";&|()<>".contains(&c);
            if !c.is_ascii_whitespace() {
                last = [last[1], c];
            }
            i += 1;
        }
        if self.quote.is_none() && (last[1] == b'|' || last == [b'&', b'&']) {
            self.cont = true;
        }
        if console {
            for w in line[..comment_at].split(|c: char| c.is_whitespace() || c == ';') {
                match w {
                    "if" | "case" | "for" | "while" | "until" | "select" | "{" => self.depth += 1,
                    "fi" | "esac" | "done" | "}" => self.depth -= 1,
                    _ => {}
                }
            }
            self.depth = self.depth.max(0);
        }
        self.end_line();
    }

    fn end_line(&mut self) {
        if self.heredoc.is_none() && !self.pending.is_empty() {
            self.heredoc = Some(self.pending.remove(0));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SQL at command position.

const SQL_STARTS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "ALTER",
    "DROP",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "ANALYSE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SET",
    "SHOW",
    "GRANT",
    "REVOKE",
    "TRUNCATE",
    "WITH",
    "EXPLAIN",
    "CHECKPOINT",
    "CLUSTER",
    "COPY",
    "REFRESH",
    "COMMENT",
    "DO",
    "LISTEN",
    "NOTIFY",
    "LOCK",
    "RESET",
    "CALL",
    "END",
];

/// For lower-case keywords, what the rest of the line must look like to be SQL rather than a
/// command that happens to share the name (`set -e`, `truncate -s 0`, bash's `select`).
static LOWER_SQL: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    let table: &[(&str, &str)] = &[
        (
            "select",
            r"^select\s+(?:\*|distinct\b|count\s*\(|[\w.]+\s*\(|.*\bfrom\b|.*;\s*$|[^;]*,)",
        ),
        ("insert", r"^insert\s+into\b"),
        (
            "update",
            r#"^update\s+(?:only\s+)?[\w."]+(?:\s+(?:as\s+)?\w+)?\s*(?:\bset\b|$)"#,
        ),
        ("delete", r"^delete\s+from\b"),
        (
            "create",
            r"^create\s+(?:or\s+replace\s+|unique\s+|temp(?:orary)?\s+|unlogged\s+)*(?:table|index|extension|role|user|database|schema|view|materialized|function|procedure|trigger|sequence|type|publication|subscription|policy|tablespace)\b",
        ),
        (
            "drop",
            r"^drop\s+(?:table|index|database|schema|role|user|extension|view|materialized|function|procedure|trigger|sequence|type|publication|subscription|owned|policy|tablespace)\b",
        ),
        (
            "alter",
            r"^alter\s+(?:table|system|role|user|database|index|schema|sequence|view|extension|default|materialized|function|type|publication|subscription)\b",
        ),
        ("vacuum", r"^vacuum(?:\s|;|\(|$)"),
        (
            "reindex",
            r"^reindex\s+(?:\(|table|index|database|schema|system|concurrently)\b",
        ),
        (
            "analyze",
            r"^analyze(?:\s+verbose)?(?:\s+[a-z_][\w.]*)?\s*;?\s*$",
        ),
        (
            "analyse",
            r"^analyse(?:\s+verbose)?(?:\s+[a-z_][\w.]*)?\s*;?\s*$",
        ),
        (
            "begin",
            r"^begin\s*(?:;|\s+(?:transaction|work|isolation)\b|$)",
        ),
        ("commit", r"^commit\s*(?:;|$)"),
        ("end", r"^end\s*;\s*$"),
        ("rollback", r"^rollback\s*(?:;|$|\s+to\b)"),
        (
            "set",
            r"^set\s+(?:session\s+|local\s+)?[a-z_][\w.]*\s*(?:=|\bto\b)",
        ),
        ("show", r"^show\s+(?:all\b|[a-z_][\w.]*\s*;)"),
        ("reset", r"^reset\s+(?:all\b|[a-z_][\w.]*\s*;)"),
        ("grant", r"^grant\s+.+\b(?:to|on)\b"),
        ("revoke", r"^revoke\s+.+\b(?:from|on)\b"),
        (
            "truncate",
            r"^truncate\s+(?:table\s+)?[a-z_][\w.]*(?:\s*,\s*[a-z_][\w.]*)*(?:\s+(?:restart\s+identity|cascade))*\s*;",
        ),
        (
            "with",
            r"^with\s+(?:recursive\s+)?\w+(?:\s*\([^)]*\))?\s+as\s*(?:not\s+)?(?:materialized\s*)?\(",
        ),
        (
            "explain",
            r"^explain\s+(?:\(|analy[sz]e\b|verbose\b|select\b|insert\b|update\b|delete\b|with\b)",
        ),
        ("checkpoint", r"^checkpoint\s*;?\s*$"),
        ("cluster", r"^cluster\b.*;\s*$"),
        ("copy", r#"^copy\s+[\w."(]+.*\b(?:from|to)\b"#),
        ("refresh", r"^refresh\s+materialized\b"),
        ("comment", r"^comment\s+on\b"),
        ("do", r"^do\s+(?:\$|language\b)"),
        ("listen", r"^listen\s+\w+\s*;"),
        ("notify", r"^notify\s+\w+"),
        ("lock", r"^lock\s+(?:table\s+)?[\w.]+.*;"),
        ("call", r"^call\s+[\w.]+\s*\("),
    ];
    table
        .iter()
        .map(|(k, re)| (*k, Regex::new(re).unwrap()))
        .collect()
});

static PSQL_PROMPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][\w.-]*[=\-(][#>] ?").unwrap());

static PSQL_META: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\\(?:d[a-zA-Z]{0,3}\+?|l\+?|c|connect|conninfo|x|q|timing|copy|i|ir|watch|gx?|pset|echo|h|\?|sf|sv|password)(?:\s|$)")
        .unwrap()
});

/// SQL clause words that continue a statement on the next line.
const SQL_CLAUSES: &[&str] = &[
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "FULL",
    "CROSS",
    "ON",
    "USING",
    "GROUP",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "RETURNING",
    "SET",
    "VALUES",
    "AS",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CASE",
    "INTO",
    "NOT",
    "IN",
    "IS",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "SELECT",
    "ASC",
    "DESC",
    "WINDOW",
    "FILTER",
    "LATERAL",
    "TABLE",
    "WITH",
    "FOR",
];

/// If a line (at command position) starts an SQL statement: the keyword's offset and text.
fn sql_start(line: &str) -> Option<(usize, String)> {
    let lead = line.len() - line.trim_start().len();
    let mut at = lead;
    let mut rest = line[lead..].trim_end();
    let first = rest.split_whitespace().next().unwrap_or("");
    if first.ends_with(['#', '>']) {
        if let Some(m) = PSQL_PROMPT.find(rest) {
            at += m.end();
            rest = &rest[m.end()..];
        }
    }
    if rest.starts_with('\\') {
        return PSQL_META.is_match(rest).then(|| {
            (
                at,
                rest.split_whitespace().next().unwrap_or(rest).to_string(),
            )
        });
    }
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let word = &rest[..end];
    if word.is_empty()
        || !matches!(
            rest[end..].chars().next(),
            None | Some(' ' | '\t' | ';' | '(')
        )
    {
        return None;
    }
    let upper = word.to_ascii_uppercase();
    if !SQL_STARTS.contains(&upper.as_str()) {
        return None;
    }
    if word.len() >= 2 && word == upper {
        // `SELECT`, `VACUUM`: no command is spelled like that; but not `SET -e` style.
        let next = rest[end..].trim_start();
        return (!next.starts_with('-') || next.starts_with("--")).then(|| (at, word.to_string()));
    }
    let lower = rest.to_ascii_lowercase();
    static BASH_SELECT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^select\s+\w+\s+in\b").unwrap());
    if word.eq_ignore_ascii_case("select") && BASH_SELECT.is_match(&lower) {
        return None;
    }
    LOWER_SQL
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .filter(|(_, re)| re.is_match(&lower))
        .map(|_| (at, word.to_string()))
}

struct SqlState {
    stmt: SqlStatement,
    indent: usize,
    quote: bool,
    dollar: bool,
    parens: i32,
    ended: bool,
}

impl SqlState {
    fn feed(&mut self, line: &str) {
        let b = line.as_bytes();
        let mut i = 0;
        let mut last = 0u8;
        while i < b.len() {
            let c = b[i];
            if self.dollar {
                if c == b'$' && b.get(i + 1) == Some(&b'$') {
                    self.dollar = false;
                    i += 1;
                }
            } else if self.quote {
                if c == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        self.quote = false;
                    }
                }
            } else {
                match c {
                    b'-' if b.get(i + 1) == Some(&b'-') => break,
                    b'\'' => self.quote = true,
                    b'$' if b.get(i + 1) == Some(&b'$') => {
                        self.dollar = true;
                        i += 1;
                    }
                    b'(' => self.parens += 1,
                    b')' => self.parens -= 1,
                    _ => {}
                }
                if !c.is_ascii_whitespace() {
                    last = c;
                }
            }
            i += 1;
        }
        if !self.quote && !self.dollar && self.parens <= 0 && last == b';' {
            self.ended = true;
        }
    }

    fn continues(&self, line: &str) -> bool {
        if self.ended || line.trim().is_empty() {
            return false;
        }
        if self.quote || self.dollar || self.parens > 0 {
            return true;
        }
        let t = line.trim_start();
        if line.len() - t.len() > self.indent {
            return true;
        }
        if t.starts_with(['(', ')', ',', '\'', '*']) || t.starts_with(|c: char| c.is_ascii_digit())
        {
            return true;
        }
        let w: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        SQL_CLAUSES.contains(&w.to_ascii_uppercase().as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens.

#[derive(Debug, Clone)]
struct Tok<'a> {
    op: bool,
    /// The token as written (a slice of the lexed text).
    text: &'a str,
    span: Range<usize>,
    /// A heredoc body or its closing delimiter (out of source order in the stream).
    body: bool,
}

/// Byte offset of each char index of `s` (identity for ASCII).
struct CharMap {
    bytes: Option<Vec<usize>>,
    len: usize,
}

impl CharMap {
    fn new(s: &str) -> Self {
        let bytes =
            (!s.is_ascii()).then(|| s.char_indices().map(|(b, _)| b).chain([s.len()]).collect());
        CharMap {
            bytes,
            len: s.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.bytes {
            None => char_index.min(self.len),
            Some(v) => v.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

fn lex(text: &str, base: usize) -> Result<(Vec<Tok<'_>>, Vec<Token>), TokenizerError> {
    let opts = ParserOptions::default();
    let tokens = brush_parser::uncached_tokenize_str(text, &opts.tokenizer_options())?;
    let map = CharMap::new(text);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(tokens.len());
    let mut heredoc = 0u8;
    for t in &tokens {
        let loc = t.location();
        let (start, end) = (
            map.byte(loc.start.index),
            map.byte(loc.end.index).max(map.byte(loc.start.index)),
        );
        let (op, s) = match t {
            Token::Operator(s, _) => (true, s.as_str()),
            Token::Word(s, _) => (false, s.as_str()),
        };
        let mut body = false;
        let span = if op {
            end.saturating_sub(s.len()).max(start)..end
        } else if heredoc >= 2 {
            body = true;
            if heredoc == 2 {
                // The body runs up to the delimiter line; brush's span includes that line.
                let to = if end > start && bytes.get(end - 1) == Some(&b'\n') {
                    end - 1
                } else {
                    end
                };
                let tag = text[..to].rfind('\n').map_or(0, |i| i + 1).max(start);
                start..tag.max(start)
            } else {
                start..start
            }
        } else {
            let mut st = start;
            while st < end {
                match bytes[st] {
                    b' ' | b'\t' => st += 1,
                    b'\\' if bytes.get(st + 1) == Some(&b'\n') => st += 2,
                    _ => break,
                }
            }
            st..end
        };
        heredoc = match (heredoc, op, s) {
            (_, true, "<<" | "<<-") => 1,
            (1, false, _) => 2,
            (2, _, _) => 3,
            _ => 0,
        };
        out.push(Tok {
            op,
            text: &text[span.clone()],
            span: span.start + base..span.end + base,
            body,
        });
    }
    Ok((out, tokens))
}

/// Lexes `range` of `text` on its own, with spans in `text`.
fn lex_slice(
    text: &str,
    range: Range<usize>,
) -> Result<(Vec<Tok<'_>>, Vec<Token>), TokenizerError> {
    lex(&text[range.clone()], range.start)
}

/// Operators, longest first.
const OPERATORS: &[&str] = &[
    ";;&", "&>>", "<<<", "<<-", ";;", ";&", "&&", "||", "|&", ">>", "<&", ">&", "<>", ">|", "&>",
    "<<", ";", "&", "|", "(", ")", "<", ">",
];

/// A tokenizer for the common case, many times faster than brush-parser's: words (quotes,
/// escapes, `$(...)`, `${...}`, backquotes, extglobs), operators, comments and heredoc bodies,
/// in brush's token order. `Err` means "not sure": the caller falls back to brush-parser, which
/// also words the error.
fn fast_lex(text: &str, base: usize) -> Result<Vec<Tok<'_>>, ()> {
    let mut lx = FastLexer {
        src: text,
        b: text.as_bytes(),
        i: 0,
        base,
        out: Vec::new(),
        pending: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

struct FastLexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    base: usize,
    out: Vec<Tok<'a>>,
    /// Heredocs whose bodies start after the next newline: delimiter, `<<-`, index of the body
    /// token to fill in.
    pending: Vec<(Vec<u8>, bool, usize)>,
}

impl<'a> FastLexer<'a> {
    fn push(&mut self, op: bool, range: Range<usize>, body: bool) {
        let text = self.src.get(range.clone()).unwrap_or("");
        self.out.push(Tok {
            op,
            text,
            span: range.start + self.base..range.end + self.base,
            body,
        });
    }

    fn run(&mut self) -> Result<(), ()> {
        let n = self.b.len();
        while self.i < n {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' => self.i += 1,
                b'\\' if self.b.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'#' => {
                    while self.i < n && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'\n' => {
                    self.push(true, self.i..self.i + 1, false);
                    self.i += 1;
                    self.bodies()?;
                }
                b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => {
                    let op = OPERATORS
                        .iter()
                        .find(|o| self.b[self.i..].starts_with(o.as_bytes()))
                        .ok_or(())?;
                    let start = self.i;
                    self.push(true, start..start + op.len(), false);
                    self.i += op.len();
                    if *op == "<<" || *op == "<<-" {
                        self.heredoc(*op == "<<-")?;
                    }
                }
                _ => self.word()?,
            }
        }
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(())
        }
    }

    fn heredoc(&mut self, strip_tabs: bool) -> Result<(), ()> {
        while self.i < self.b.len() && (self.b[self.i] == b' ' || self.b[self.i] == b'\t') {
            self.i += 1;
        }
        let start = self.i;
        self.word()?;
        let delim = unquote(&String::from_utf8_lossy(&self.b[start..self.i])).into_bytes();
        if delim.is_empty() {
            return Err(());
        }
        let index = self.out.len();
        self.push(false, self.i..self.i, true);
        self.push(false, self.i..self.i, true);
        self.pending.push((delim, strip_tabs, index));
        Ok(())
    }

    /// After a newline: the bodies of the heredocs started on the line before.
    fn bodies(&mut self) -> Result<(), ()> {
        for (delim, strip_tabs, index) in std::mem::take(&mut self.pending) {
            let body_start = self.i;
            loop {
                let line_start = self.i;
                if line_start >= self.b.len() {
                    return Err(());
                }
                let end = self.b[line_start..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(self.b.len(), |p| line_start + p);
                let mut line = &self.b[line_start..end];
                if strip_tabs {
                    while let [b'\t', rest @ ..] = line {
                        line = rest;
                    }
                }
                self.i = (end + 1).min(self.b.len());
                if line == delim.as_slice() {
                    self.out[index].span = body_start + self.base..line_start + self.base;
                    self.out[index].text = self.src.get(body_start..line_start).unwrap_or("");
                    self.out[index + 1].span = self.i + self.base..self.i + self.base;
                    break;
                }
            }
        }
        Ok(())
    }

    fn word(&mut self) -> Result<(), ()> {
        let start = self.i;
        let n = self.b.len();
        while self.i < n {
            match self.b[self.i] {
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b')' => break,
                b'(' => {
                    // `@(a|b)`, `!(x)`: an extended glob, part of the word.
                    if self.i > start && b"@!+*?".contains(&self.b[self.i - 1]) {
                        self.i += 1;
                        self.parens()?;
                    } else {
                        break;
                    }
                }
                b'\\' => self.i += 2,
                b'\'' => self.single()?,
                b'"' => self.double()?,
                b'`' => self.backquote()?,
                b'$' => self.dollar()?,
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(n);
        if self.i == start {
            return Err(());
        }
        self.push(false, start..self.i, false);
        Ok(())
    }

    fn single(&mut self) -> Result<(), ()> {
        let close = self.b[self.i + 1..]
            .iter()
            .position(|&c| c == b'\'')
            .ok_or(())?;
        self.i += close + 2;
        Ok(())
    }

    fn double(&mut self) -> Result<(), ()> {
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Ok(());
                }
                b'`' => self.backquote()?,
                b'$' => self.dollar()?,
                _ => self.i += 1,
            }
        }
        Err(())
    }

    fn backquote(&mut self) -> Result<(), ()> {
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'`' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => self.i += 1,
            }
        }
        Err(())
    }

    /// At a `$`: `$(...)`, `$((...))`, `${...}`, `$'...'`, `$[...]`, or a plain `$`.
    fn dollar(&mut self) -> Result<(), ()> {
        match self.b.get(self.i + 1) {
            Some(b'(') => {
                self.i += 2;
                self.parens()
            }
            Some(b'{') => {
                self.i += 2;
                self.braces()
            }
            Some(b'\'') => {
                self.i += 2;
                while self.i < self.b.len() {
                    match self.b[self.i] {
                        b'\\' => self.i += 2,
                        b'\'' => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => self.i += 1,
                    }
                }
                Err(())
            }
            Some(b'[') => {
                let close = self.b[self.i..].iter().position(|&c| c == b']').ok_or(())?;
                self.i += close + 1;
                Ok(())
            }
            _ => {
                self.i += 1;
                Ok(())
            }
        }
    }

    /// After an opening `(`: up to and past the matching `)`, through quotes, comments and
    /// heredocs inside.
    fn parens(&mut self) -> Result<(), ()> {
        let mut depth = 1;
        let mut word_start = true;
        let mut docs: Vec<(Vec<u8>, bool)> = Vec::new();
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b'\\' => {
                    self.i += 2;
                    word_start = false;
                    continue;
                }
                b'\'' => {
                    self.single()?;
                    word_start = false;
                    continue;
                }
                b'"' => {
                    self.double()?;
                    word_start = false;
                    continue;
                }
                b'`' => {
                    self.backquote()?;
                    word_start = false;
                    continue;
                }
                b'$' => {
                    self.dollar()?;
                    word_start = false;
                    continue;
                }
                b'#' if word_start => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                    continue;
                }
                b'<' if self.b.get(self.i + 1) == Some(&b'<')
                    && self.b.get(self.i + 2) != Some(&b'<') =>
                {
                    self.i += 2;
                    let strip = self.b.get(self.i) == Some(&b'-');
                    if strip {
                        self.i += 1;
                    }
                    while self.i < self.b.len()
                        && (self.b[self.i] == b' ' || self.b[self.i] == b'\t')
                    {
                        self.i += 1;
                    }
                    let start = self.i;
                    while self.i < self.b.len() && !b" \t\n;&|<>()".contains(&self.b[self.i]) {
                        self.i += 1;
                    }
                    let delim =
                        unquote(&String::from_utf8_lossy(&self.b[start..self.i])).into_bytes();
                    if delim.is_empty() {
                        return Err(());
                    }
                    docs.push((delim, strip));
                    word_start = false;
                    continue;
                }
                b'\n' if !docs.is_empty() => {
                    self.i += 1;
                    for (delim, strip) in std::mem::take(&mut docs) {
                        loop {
                            if self.i >= self.b.len() {
                                return Err(());
                            }
                            let end = self.b[self.i..]
                                .iter()
                                .position(|&c| c == b'\n')
                                .map_or(self.b.len(), |p| self.i + p);
                            let mut line = &self.b[self.i..end];
                            if strip {
                                while let [b'\t', rest @ ..] = line {
                                    line = rest;
                                }
                            }
                            self.i = (end + 1).min(self.b.len());
                            if line == delim.as_slice() {
                                break;
                            }
                        }
                    }
                    word_start = true;
                    continue;
                }
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            word_start = matches!(c, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')');
            self.i += 1;
        }
        Err(())
    }

    fn braces(&mut self) -> Result<(), ()> {
        let mut depth = 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'\'' => self.single()?,
                b'"' => self.double()?,
                b'`' => self.backquote()?,
                b'$' => self.dollar()?,
                b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' => {
                    depth -= 1;
                    self.i += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => self.i += 1,
            }
        }
        Err(())
    }
}

// ---------------------------------------------------------------------------------------------
// The walk over tokens: simple commands, compound structure, bash-like error messages.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Normal,
    RedirTarget(usize),
    ForVar,
    ForList,
    CaseWord,
    CaseIn,
    CasePattern,
    ExtTest,
    FuncName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    If,
    Loop,
    Case,
    Brace,
    Paren,
    ProcSubst,
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    /// If: 0 condition, 1 after `then`, 2 after `else`. Loop: 0 condition, 1 body. Case: 0
    /// patterns, 1 item body.
    stage: u8,
    /// The opening keyword.
    open: Range<usize>,
    /// The latest keyword of the construct (`then`, `do`).
    last: Range<usize>,
    last_word: &'static str,
    function: bool,
    first_cmd: usize,
    piped_in: bool,
    saved: Option<Builder>,
}

#[derive(Debug, Default)]
struct Builder {
    words: Vec<Word>,
    assignments: usize,
    redirects: Vec<Redirect>,
    heredocs: Vec<Heredoc>,
    stdin: Option<Stdin>,
    piped_in: bool,
    start: usize,
    end: usize,
}

struct Walked {
    commands: Vec<Command>,
    heredocs: Vec<Heredoc>,
    error: Option<ShellSyntax>,
    select_at: Vec<usize>,
    functions: usize,
    loops: usize,
    /// Not a plain list of simple commands: brush-parser must decide.
    complex: bool,
}

struct Walker<'a> {
    raw: &'a str,
    toks: &'a [Tok<'a>],
    i: usize,
    nesting: Nesting,
    commands: Vec<Command>,
    heredocs: Vec<Heredoc>,
    cur: Option<Builder>,
    at_start: bool,
    expect: Expect,
    stack: Vec<Frame>,
    pipe_next: bool,
    pending_function: bool,
    closed_loop: Option<(usize, Range<usize>)>,
    error: Option<ShellSyntax>,
    select_at: Vec<usize>,
    functions: usize,
    loops: usize,
    complex: bool,
    /// What came last, for the simple-list grammar: 0 nothing (start, newline), 1 a word,
    /// 2 `|` / `&&` / `||`, 3 `;` / `&`.
    prev: u8,
}

static ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=").unwrap());

const REDIRECTS: &[&str] = &["<", ">", ">>", "<&", ">&", "<>", ">|", "&>", "&>>", "<<<"];

fn walk<'a>(raw: &'a str, toks: &'a [Tok<'a>], nesting: Nesting) -> Walked {
    let mut w = Walker {
        raw,
        toks,
        i: 0,
        nesting,
        commands: Vec::new(),
        heredocs: Vec::new(),
        cur: None,
        at_start: true,
        expect: Expect::Normal,
        stack: Vec::new(),
        pipe_next: false,
        pending_function: false,
        closed_loop: None,
        error: None,
        select_at: Vec::new(),
        functions: 0,
        loops: 0,
        complex: false,
        prev: 0,
    };
    while w.i < w.toks.len() {
        let t = w.toks[w.i].clone();
        w.i += 1;
        if t.body {
            continue;
        }
        if t.op {
            w.op(&t);
        } else {
            w.word(&t);
        }
    }
    w.end();
    if w.prev == 2 {
        w.complex = true;
    }
    Walked {
        complex: w.complex || w.error.is_some(),
        commands: w.commands,
        heredocs: w.heredocs,
        error: w.error,
        select_at: w.select_at,
        functions: w.functions,
        loops: w.loops,
    }
}

impl<'a> Walker<'a> {
    fn peek(&self) -> Option<&'a Tok<'a>> {
        self.toks[self.i..].iter().find(|t| !t.body)
    }

    fn word_of(&self, t: &Tok) -> Word {
        Word {
            text: self.raw.get(t.span.clone()).unwrap_or(t.text).to_string(),
            span: t.span.clone(),
        }
    }

    fn fail(
        &mut self,
        span: Range<usize>,
        message: String,
        note: Option<String>,
        related: Option<Range<usize>>,
    ) {
        if self.error.is_none() {
            self.error = Some(ShellSyntax {
                span,
                message,
                note,
                related,
            });
        }
    }

    fn unexpected(&mut self, t: &Tok<'_>) {
        let shown = if t.text == "\n" {
            "newline".to_string()
        } else {
            t.text.to_string()
        };
        let top = self
            .stack
            .last()
            .map(|f| (f.kind, f.stage, f.open.clone(), f.last.clone(), f.last_word));
        let (note, related) = match (t.text, top) {
            ("fi", Some((Kind::Case, _, open, _, _))) => (Some("this `case` must be closed with `esac`, not `fi`".into()), Some(open)),
            ("done", Some((Kind::Case, _, open, _, _))) => (Some("this `case` must be closed with `esac`, not `done`".into()), Some(open)),
            ("esac" | "done" | "}", Some((Kind::If, _, open, _, _))) => {
                (Some(format!("this `if` must be closed with `fi` before `{}`", t.text)), Some(open))
            }
            ("fi" | "esac" | "}", Some((Kind::Loop, 1, _, last, _))) => {
                (Some(format!("this `do` must be closed with `done` before `{}`", t.text)), Some(last))
            }
            ("fi", _) => (Some("there is no open `if` for this `fi`".into()), None),
            ("done", _) => (Some("there is no open loop (`for`/`while`/`until` ... `do`) for this `done`".into()), None),
            ("esac", _) => (Some("there is no open `case` for this `esac`".into()), None),
            ("then", Some((Kind::If, 1, _, last, _))) => {
                (Some("this `if` already has its `then`: use `elif CONDITION; then` for another branch".into()), Some(last))
            }
            ("then", _) => (Some("`then` without an `if` before it".into()), None),
            ("do", Some((Kind::Loop, 1, _, last, _))) => (Some("this loop already has its `do`".into()), Some(last)),
            ("do", _) => (Some("`do` without a `for`, `while` or `until` before it".into()), None),
            ("else" | "elif", _) => (Some(format!("`{}` outside an `if ... then`", t.text)), None),
            (")", _) => (
                Some("this `)` closes nothing: an extra parenthesis, or one that should be inside quotes".into()),
                None,
            ),
            ("}", _) => (Some("this `}` closes no `{`".into()), None),
            ("(", _) => (
                Some("a `(` cannot appear here: quote the text that contains it (bash reads `(` as the start of a subshell or a function)".into()),
                None,
            ),
            (";;", _) => (Some("`;;` outside a `case`".into()), None),
            _ => (None, None),
        };
        self.fail(
            t.span.clone(),
            format!("syntax error near unexpected token `{shown}`"),
            note,
            related,
        );
    }

    fn builder(&mut self, start: usize) -> &mut Builder {
        if self.cur.is_none() {
            let piped_in = std::mem::take(&mut self.pipe_next);
            self.cur = Some(Builder {
                piped_in,
                start,
                end: start,
                ..Default::default()
            });
        }
        self.cur.as_mut().unwrap()
    }

    fn finish(&mut self) {
        let Some(b) = self.cur.take() else { return };
        let index = (!b.words.is_empty()).then_some(self.commands.len());
        for mut h in b.heredocs {
            h.command = index;
            self.heredocs.push(h);
        }
        if b.words.is_empty() {
            return;
        }
        let in_loop = self.stack.iter().any(|f| f.kind == Kind::Loop);
        let in_function = self.stack.iter().any(|f| f.function);
        let nesting = if self.stack.iter().any(|f| f.kind == Kind::ProcSubst) {
            Nesting::Substitution
        } else {
            self.nesting
        };
        let stdin = if b.piped_in {
            Stdin::Pipe
        } else {
            b.stdin.unwrap_or(Stdin::Inherited)
        };
        let piped_out = self.toks[self.i.saturating_sub(1)..]
            .iter()
            .find(|t| !t.body)
            .is_some_and(|t| t.op && (t.text == "|" || t.text == "|&"));
        self.commands.push(Command {
            words: b.words,
            assignments: b.assignments,
            redirects: b.redirects,
            span: b.start..b.end,
            stdin,
            piped_out,
            in_loop,
            in_function,
            nesting,
        });
    }

    fn push(&mut self, kind: Kind, t: &Tok<'_>, word: &'static str) {
        let function =
            std::mem::take(&mut self.pending_function) && matches!(kind, Kind::Brace | Kind::Paren);
        let piped_in = std::mem::take(&mut self.pipe_next);
        self.stack.push(Frame {
            kind,
            stage: 0,
            open: t.span.clone(),
            last: t.span.clone(),
            last_word: word,
            function,
            first_cmd: self.commands.len(),
            piped_in,
            saved: None,
        });
    }

    fn top(&self, kind: Kind) -> Option<u8> {
        self.stack
            .last()
            .filter(|f| f.kind == kind)
            .map(|f| f.stage)
    }

    fn set_stage(&mut self, stage: u8, t: &Tok<'_>, word: &'static str) {
        if let Some(f) = self.stack.last_mut() {
            f.stage = stage;
            f.last = t.span.clone();
            f.last_word = word;
        }
    }

    /// Reserved words at command position; false when `t` is an ordinary word.
    fn keyword(&mut self, t: &Tok) -> bool {
        match t.text {
            "if" => self.push(Kind::If, t, "if"),
            "then" => match self.top(Kind::If) {
                Some(0) => self.set_stage(1, t, "then"),
                _ => self.unexpected(t),
            },
            "elif" => match self.top(Kind::If) {
                Some(1) => self.set_stage(0, t, "elif"),
                _ => self.unexpected(t),
            },
            "else" => match self.top(Kind::If) {
                Some(1) => self.set_stage(2, t, "else"),
                _ => self.unexpected(t),
            },
            "fi" => match self.top(Kind::If) {
                Some(1 | 2) => {
                    self.stack.pop();
                    self.at_start = false;
                    return true;
                }
                _ => self.unexpected(t),
            },
            "while" | "until" => {
                self.loops += 1;
                self.push(
                    Kind::Loop,
                    t,
                    if t.text == "while" { "while" } else { "until" },
                );
            }
            "for" | "select" => {
                self.loops += 1;
                if t.text == "select" {
                    self.select_at.push(self.i - 1);
                }
                self.push(Kind::Loop, t, "for");
                self.expect = Expect::ForVar;
            }
            "do" => match self.top(Kind::Loop) {
                Some(0) => self.set_stage(1, t, "do"),
                _ => self.unexpected(t),
            },
            "done" => match self.top(Kind::Loop) {
                Some(1) => {
                    let f = self.stack.pop().unwrap();
                    if f.piped_in {
                        self.mark_loop_input(f.first_cmd);
                    }
                    self.closed_loop = Some((f.first_cmd, t.span.clone()));
                    self.at_start = false;
                    return true;
                }
                _ => self.unexpected(t),
            },
            "case" => {
                self.push(Kind::Case, t, "case");
                self.expect = Expect::CaseWord;
            }
            "esac" => match self.top(Kind::Case) {
                Some(_) => {
                    self.stack.pop();
                    self.at_start = false;
                    return true;
                }
                None => self.unexpected(t),
            },
            "{" => self.push(Kind::Brace, t, "{"),
            "}" => match self.top(Kind::Brace) {
                Some(_) => {
                    self.stack.pop();
                    self.at_start = false;
                    return true;
                }
                None => self.unexpected(t),
            },
            "!" | "time" | "coproc" => {}
            "function" => self.expect = Expect::FuncName,
            _ => return false,
        }
        self.at_start = true;
        true
    }

    fn mark_loop_input(&mut self, first: usize) {
        for c in &mut self.commands[first..] {
            if c.stdin == Stdin::Inherited {
                c.stdin = Stdin::Loop;
            }
        }
    }

    fn word(&mut self, t: &Tok<'_>) {
        self.prev = 1;
        if self.expect != Expect::Normal && !matches!(self.expect, Expect::RedirTarget(_)) {
            self.complex = true;
        }
        match self.expect {
            Expect::RedirTarget(ri) => {
                let word = self.word_of(t);
                if let Some(b) = self.cur.as_mut() {
                    if let Some(r) = b.redirects.get_mut(ri) {
                        r.span.end = t.span.end;
                        r.target = Some(word);
                    }
                    b.end = t.span.end;
                }
                self.expect = Expect::Normal;
                return;
            }
            Expect::FuncName => {
                self.expect = Expect::Normal;
                self.pending_function = true;
                self.functions += 1;
                self.at_start = true;
                return;
            }
            Expect::ForVar => {
                self.expect = Expect::ForList;
                return;
            }
            Expect::ForList => {
                if t.text == "do" {
                    self.expect = Expect::Normal;
                    self.keyword(t);
                }
                return;
            }
            Expect::CaseWord => {
                self.expect = Expect::CaseIn;
                return;
            }
            Expect::CaseIn => {
                if t.text != "in" {
                    self.unexpected(t);
                }
                self.expect = Expect::CasePattern;
                return;
            }
            Expect::CasePattern => {
                if t.text == "esac" {
                    self.stack.pop();
                    self.expect = Expect::Normal;
                    self.at_start = false;
                } else if matches!(t.text, "fi" | "done" | "}")
                    && !self
                        .peek()
                        .is_some_and(|n| n.op && (n.text == ")" || n.text == "|"))
                {
                    let open = self.stack.last().map(|f| f.open.clone());
                    self.fail(
                        t.span.clone(),
                        format!("syntax error: `case` closed with `{}`", t.text),
                        Some("a `case` must be closed with `esac`".into()),
                        open,
                    );
                }
                return;
            }
            Expect::ExtTest | Expect::Normal => {}
        }
        if self.expect == Expect::Normal && self.at_start && self.cur.is_none() && self.keyword(t) {
            self.complex = true;
            return;
        }
        self.closed_loop = None;
        let word = self.word_of(t);
        let b = self.builder(t.span.start);
        if b.words.len() == b.assignments && ASSIGNMENT.is_match(t.text) {
            b.assignments += 1;
        }
        b.words.push(word);
        b.end = t.span.end;
        let is_test = b.words.len() == b.assignments + 1 && t.text == "[[";
        self.at_start = false;
        if self.expect == Expect::ExtTest {
            if t.text == "]]" {
                self.expect = Expect::Normal;
            }
        } else if is_test {
            self.expect = Expect::ExtTest;
            self.complex = true;
        }
    }

    /// Skips a `((...))` after its first `(`: arithmetic, not commands.
    fn skip_arith(&mut self) -> Option<usize> {
        let mut depth = 1i32;
        while self.i < self.toks.len() {
            let t = &self.toks[self.i];
            self.i += 1;
            if t.op && t.text == "(" {
                depth += 1;
            } else if t.op && t.text == ")" {
                depth -= 1;
                if depth == 0 {
                    return Some(t.span.end);
                }
            }
        }
        None
    }

    fn adjacent_next(&self, t: &Tok<'_>, text: &str) -> bool {
        self.toks
            .get(self.i)
            .is_some_and(|n| n.op && n.text == text && n.span.start == t.span.end)
    }

    fn op(&mut self, t: &Tok<'_>) {
        let text = t.text;
        if self.expect == Expect::ExtTest && !matches!(text, "\n") {
            // `[[ $a < $b || -f x ]]`: operators belong to the test.
            return;
        }
        match text {
            "\n" | ";" | "&" | "&&" | "||" | "|" | "|&" => {
                match text {
                    "\n" => {
                        if self.prev != 2 {
                            self.prev = 0;
                        }
                    }
                    ";" | "&" => {
                        self.complex |= self.prev != 1;
                        self.prev = 3;
                    }
                    _ => {
                        self.complex |= self.prev != 1;
                        self.prev = 2;
                    }
                }
                if let Expect::RedirTarget(ri) = self.expect {
                    let span = self
                        .cur
                        .as_ref()
                        .and_then(|b| b.redirects.get(ri))
                        .map_or(t.span.clone(), |r| r.span.clone());
                    let shown = if text == "\n" { "newline" } else { text };
                    self.fail(
                        span,
                        format!("syntax error near unexpected token `{shown}`"),
                        Some("this redirection has no target; a placeholder like `<container>` must be one word".into()),
                        None,
                    );
                    self.expect = Expect::Normal;
                }
                self.finish();
                self.closed_loop = None;
                self.at_start = true;
                self.pipe_next = text == "|" || text == "|&";
                if matches!(self.expect, Expect::ForVar | Expect::ForList) {
                    self.expect = Expect::Normal;
                }
                if text == "\n"
                    && matches!(
                        self.expect,
                        Expect::CaseWord | Expect::CaseIn | Expect::CasePattern
                    )
                {
                    return;
                }
                if matches!(self.expect, Expect::ExtTest) {
                    self.expect = Expect::Normal;
                }
            }
            ";;" | ";&" | ";;&" => {
                self.complex = true;
                self.finish();
                match self.top(Kind::Case) {
                    Some(1) => {
                        self.set_stage(0, t, "case");
                        self.expect = Expect::CasePattern;
                    }
                    _ => self.unexpected(t),
                }
                self.at_start = true;
            }
            "(" => {
                self.complex = true;
                if self.expect == Expect::ForVar {
                    self.i += usize::from(self.adjacent_next(t, "("));
                    self.skip_arith();
                    self.expect = Expect::Normal;
                    return;
                }
                if self.expect == Expect::CasePattern {
                    return;
                }
                if let Some(b) = &self.cur {
                    // `name() {`: a function definition.
                    if b.words.len() == 1
                        && b.assignments == 0
                        && self.peek().is_some_and(|n| n.op && n.text == ")")
                    {
                        self.cur = None;
                        self.peek_consume(")");
                        self.pending_function = true;
                        self.functions += 1;
                        self.at_start = true;
                        return;
                    }
                    // `a=(1 2 3)`: an array assignment, one word.
                    if b.words.len() == b.assignments
                        && b.words
                            .last()
                            .is_some_and(|w| w.text.ends_with('=') && w.span.end == t.span.start)
                    {
                        let end = self.skip_parens();
                        let raw = self.raw;
                        if let Some(b) = self.cur.as_mut() {
                            let w = b.words.last_mut().unwrap();
                            w.span.end = end;
                            w.text = raw.get(w.span.clone()).unwrap_or_default().to_string();
                            b.end = end;
                        }
                        return;
                    }
                }
                if self.at_start && self.cur.is_none() {
                    if self.adjacent_next(t, "(") {
                        self.i += 1;
                        self.skip_arith();
                        self.at_start = false;
                        return;
                    }
                    self.push(Kind::Paren, t, "(");
                    self.at_start = true;
                    return;
                }
                self.unexpected(t);
            }
            ")" => {
                self.complex = true;
                if self.expect == Expect::CasePattern {
                    self.set_stage(1, t, ")");
                    self.expect = Expect::Normal;
                    self.at_start = true;
                    return;
                }
                match self.stack.last().map(|f| f.kind) {
                    Some(Kind::Paren) => {
                        self.finish();
                        self.stack.pop();
                        self.at_start = false;
                    }
                    Some(Kind::ProcSubst) => {
                        self.finish();
                        let f = self.stack.pop().unwrap();
                        self.cur = f.saved;
                        if let Some(b) = self.cur.as_mut() {
                            b.end = t.span.end;
                        }
                        self.at_start = false;
                    }
                    _ => self.unexpected(t),
                }
            }
            "<<" | "<<-" => {
                self.prev = 1;
                let mut idx = self.i;
                let mut next = || {
                    let t = self.toks.get(idx).cloned();
                    idx += 1;
                    t
                };
                let (tag, body) = (next(), next());
                let _end = next();
                self.i = idx.min(self.toks.len());
                let (Some(tag), Some(body)) = (tag, body) else {
                    return;
                };
                let fd = self.take_fd(t);
                let b = self.builder(t.span.start);
                if fd.as_deref().is_none_or(|f| f == "0") {
                    b.stdin = Some(Stdin::Heredoc);
                }
                b.end = b.end.max(tag.span.end);
                b.heredocs.push(Heredoc {
                    command: None,
                    op: t.span.start..tag.span.end,
                    delimiter: unquote(tag.text),
                    quoted: tag.text.contains(['\'', '"', '\\']),
                    strip_tabs: text == "<<-",
                    body: body.span.clone(),
                });
                self.mark_closed_loop();
            }
            _ if REDIRECTS.contains(&text) => {
                self.prev = 1;
                if (text == "<" || text == ">") && self.adjacent_next(t, "(") {
                    self.complex = true;
                    // `<(cmd)` / `>(cmd)`: process substitution.
                    self.i += 1;
                    if matches!(self.expect, Expect::RedirTarget(_)) {
                        self.expect = Expect::Normal;
                    }
                    let saved = self.cur.take();
                    self.push(Kind::ProcSubst, t, "<(");
                    if let Some(f) = self.stack.last_mut() {
                        f.saved = saved;
                    }
                    self.at_start = true;
                    return;
                }
                let fd = self.take_fd(t);
                if text.starts_with('<') && fd.as_deref().is_none_or(|f| f == "0") {
                    self.mark_closed_loop();
                }
                let b = self.builder(t.span.start);
                if text.starts_with('<') && fd.as_deref().is_none_or(|f| f == "0") {
                    b.stdin = Some(if text == "<<<" {
                        Stdin::HereString
                    } else {
                        Stdin::File
                    });
                }
                b.redirects.push(Redirect {
                    op: text.to_string(),
                    fd,
                    target: None,
                    span: t.span.clone(),
                });
                b.end = t.span.end;
                self.expect = Expect::RedirTarget(b.redirects.len() - 1);
            }
            _ => self.complex = true,
        }
    }

    /// `done < hosts` / `done <<EOF`: the loop just closed reads from the redirection.
    fn mark_closed_loop(&mut self) {
        if self.cur.as_ref().is_none_or(|b| b.words.is_empty()) {
            if let Some((first, _)) = self.closed_loop.take() {
                self.mark_loop_input(first);
            }
        }
    }

    /// Skips to the `)` closing an array's `(`; returns its end.
    fn skip_parens(&mut self) -> usize {
        let mut depth = 1;
        let mut end = 0;
        while self.i < self.toks.len() {
            let t = &self.toks[self.i];
            self.i += 1;
            end = t.span.end;
            if t.op && t.text == "(" {
                depth += 1;
            } else if t.op && t.text == ")" {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
        }
        end
    }

    fn peek_consume(&mut self, text: &str) {
        if let Some(pos) = self.toks[self.i..].iter().position(|t| !t.body) {
            if self.toks[self.i + pos].op && self.toks[self.i + pos].text == text {
                self.i += pos + 1;
            }
        }
    }

    /// `2>`: the digits right before a redirection are its file descriptor, not an argument.
    fn take_fd(&mut self, op: &Tok<'_>) -> Option<String> {
        let b = self.cur.as_mut()?;
        let last = b.words.last()?;
        if b.words.len() > b.assignments
            && last.span.end == op.span.start
            && !last.text.is_empty()
            && last.text.bytes().all(|c| c.is_ascii_digit())
        {
            let w = b.words.pop().unwrap();
            return Some(w.text);
        }
        None
    }

    fn end(&mut self) {
        if let Expect::RedirTarget(ri) = self.expect {
            let span = self
                .cur
                .as_ref()
                .and_then(|b| b.redirects.get(ri))
                .map(|r| r.span.clone())
                .unwrap_or(0..0);
            self.fail(
                span,
                "syntax error near unexpected token `newline`".into(),
                Some("this redirection has no target; a placeholder like `<container>` must be one word".into()),
                None,
            );
        }
        self.finish();
        if let Some(f) = self.stack.last() {
            let (span, what) = match (f.kind, f.stage) {
                (Kind::If, 0) => (f.last.clone(), format!("`{}` without `then`", f.last_word)),
                (Kind::If, _) => (f.open.clone(), "`if` is never closed with `fi`".to_string()),
                (Kind::Loop, 0) => (f.open.clone(), format!("`{}` without `do`", f.last_word)),
                (Kind::Loop, _) => (
                    f.last.clone(),
                    "`do` is never closed with `done`".to_string(),
                ),
                (Kind::Case, _) => (
                    f.open.clone(),
                    "`case` is never closed with `esac`".to_string(),
                ),
                (Kind::Brace, _) => (f.open.clone(), "`{` is never closed with `}`".to_string()),
                (Kind::Paren | Kind::ProcSubst, _) => {
                    (f.open.clone(), "`(` is never closed with `)`".to_string())
                }
            };
            self.fail(
                span,
                format!("syntax error: unexpected end of file: {what}"),
                None,
                None,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors from brush.

fn parse_error(text: &str, base: usize, toks: &[Tok], e: &ParseError) -> ShellSyntax {
    match e {
        ParseError::ParsingNear(pos) => {
            let map = CharMap::new(text);
            let at = base + map.byte(pos.index);
            let t = toks
                .iter()
                .filter(|t| !t.body)
                .find(|t| t.span.start >= at)
                .or_else(|| toks.last());
            match t {
                Some(t) => {
                    let shown = if t.text == "\n" {
                        "newline".to_string()
                    } else {
                        t.text.to_string()
                    };
                    ShellSyntax {
                        span: t.span.clone(),
                        message: format!("syntax error near unexpected token `{shown}`"),
                        note: None,
                        related: None,
                    }
                }
                None => shift(at_end(text), base),
            }
        }
        _ => shift(at_end(text), base),
    }
}

fn at_end(text: &str) -> ShellSyntax {
    let end = text.trim_end().len();
    let start = text[..end].char_indices().next_back().map_or(0, |(i, _)| i);
    ShellSyntax {
        span: start..end,
        message: "syntax error: unexpected end of file".into(),
        note: None,
        related: None,
    }
}

/// `text` is what was tokenized; the error's offsets are in it.
fn tokenizer_error(text: &str, open_heredoc: Option<&Pending>, e: &TokenizerError) -> ShellSyntax {
    let map = CharMap::new(text);
    let one = |i: usize| {
        let b = map.byte(i);
        b..(b + text[b..].chars().next().map_or(0, char::len_utf8))
    };
    let quote = |pos: &brush_parser::SourcePosition, q: &str| {
        let span = one(pos.index);
        let before = text[..span.start].chars().next_back();
        let after = text[span.end..].chars().next();
        let apostrophe = q == "'"
            && before.is_some_and(char::is_alphabetic)
            && after.is_some_and(char::is_alphabetic);
        ShellSyntax {
            message: format!(
                "syntax error: unexpected end of file while looking for the matching `{q}`"
            ),
            note: Some(if apostrophe {
                "an apostrophe inside a word opens a quote: write it inside double quotes (`\"it's\"`) or escape it (`it\\'s`)".into()
            } else {
                format!("the `{q}` opened here is never closed")
            }),
            span,
            related: None,
        }
    };
    match e {
        TokenizerError::UnterminatedSingleQuote(p) => quote(p, "'"),
        TokenizerError::UnterminatedDoubleQuote(p) => quote(p, "\""),
        TokenizerError::UnterminatedBackquote(p) => quote(p, "`"),
        TokenizerError::UnterminatedAnsiCQuote(p) => quote(p, "'"),
        TokenizerError::UnterminatedExtendedGlob(p) => ShellSyntax {
            span: one(p.index),
            message: "syntax error: unexpected end of file while looking for the matching `)`"
                .into(),
            note: Some("this extended glob `@(`/`!(` is never closed".into()),
            related: None,
        },
        TokenizerError::UnterminatedHereDocuments(tags, _) => {
            let (span, delim) = match open_heredoc {
                Some(h) => (h.op.clone(), h.delim.clone()),
                None => (
                    at_end(text).span,
                    tags.split(',').next().unwrap_or(tags).trim().to_string(),
                ),
            };
            // A delimiter line that almost matches: indented, or with trailing blanks.
            let near = text[span.end..]
                .split_inclusive('\n')
                .scan(span.end, |pos, l| {
                    let s = *pos;
                    *pos += l.len();
                    Some((s, l.trim_end_matches('\n')))
                })
                .find(|(_, l)| l.trim() == delim && *l != delim);
            let (note, related) = match near {
                Some((s, l)) => (
                    format!(
                        "the line `{l}` does not close it: the delimiter must be alone at the start of its line, with no spaces (`<<-` strips leading tabs only)"
                    ),
                    Some(s..s + l.len()),
                ),
                None => (format!("add a line `{delim}` after the heredoc's last line"), None),
            };
            ShellSyntax {
                span,
                message: format!("syntax error: here-document is never closed: no line `{delim}` before the end of the block"),
                note: Some(note),
                related,
            }
        }
        TokenizerError::UnterminatedCommandSubstitution
        | TokenizerError::UnterminatedExpansion
        | TokenizerError::UnterminatedVariable => match unclosed_expansion(text) {
            Some((at, open, close)) => ShellSyntax {
                span: at..at + open.len(),
                message: format!(
                    "syntax error: unexpected end of file while looking for the matching `{close}`"
                ),
                note: Some(format!("the `{open}` opened here is never closed")),
                related: None,
            },
            None => at_end(text),
        },
        other => {
            let mut s = at_end(text);
            s.message = format!("syntax error: {other}");
            s
        }
    }
}

/// The innermost `$(`, `${` or `$((` left open, found with a small quote-aware scan.
fn unclosed_expansion(text: &str) -> Option<(usize, &'static str, &'static str)> {
    let b = text.as_bytes();
    let mut stack: Vec<(usize, &'static str, &'static str)> = Vec::new();
    let mut single = false;
    let mut double = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if single {
            single = c != b'\'';
            i += 1;
            continue;
        }
        match c {
            b'\\' => i += 1,
            b'\'' if !double => single = true,
            b'"' => double = !double,
            b'#' if !double && (i == 0 || b[i - 1].is_ascii_whitespace()) && stack.is_empty() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'$' if b.get(i + 1) == Some(&b'(') && b.get(i + 2) == Some(&b'(') => {
                stack.push((i, "$((", "))"));
                i += 2;
            }
            b'$' if b.get(i + 1) == Some(&b'(') => {
                stack.push((i, "$(", ")"));
                i += 1;
            }
            b'$' if b.get(i + 1) == Some(&b'{') => {
                stack.push((i, "${", "}"));
                i += 1;
            }
            b'(' if !double && !stack.is_empty() => stack.push((i, "(", ")")),
            b')' if stack.last().is_some_and(|s| s.2 != "}") => {
                if stack.last().is_some_and(|s| s.2 == "))") {
                    if b.get(i + 1) == Some(&b')') {
                        i += 1;
                        stack.pop();
                    }
                } else {
                    stack.pop();
                }
            }
            b'}' if stack.last().is_some_and(|s| s.2 == "}") => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack.into_iter().rev().find(|s| s.1 != "(")
}

// ---------------------------------------------------------------------------------------------
// Nested commands.

/// Ranges (relative to `word`) of the text inside each top-level `$(...)` (not `$((`) and
/// backquote pair; `true` for backquotes.
fn substitution_ranges(word: &str) -> Vec<(Range<usize>, bool)> {
    let b = word.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut single = false;
    while i < b.len() {
        let c = b[i];
        if single {
            single = c != b'\'';
            i += 1;
            continue;
        }
        match c {
            b'\\' => i += 1,
            b'\'' => single = true,
            b'`' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'`' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if j < b.len() {
                    out.push((start..j, true));
                }
                i = j;
            }
            b'$' if b.get(i + 1) == Some(&b'(') && b.get(i + 2) != Some(&b'(') => {
                let start = i + 2;
                let mut depth = 1;
                let mut j = start;
                let mut q: Option<u8> = None;
                while j < b.len() {
                    let d = b[j];
                    match q {
                        Some(qq) => {
                            if d == b'\\' && qq == b'"' {
                                j += 1;
                            } else if d == qq {
                                q = None;
                            }
                        }
                        None => match d {
                            b'\\' => j += 1,
                            b'\'' | b'"' => q = Some(d),
                            b'(' => depth += 1,
                            b')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        },
                    }
                    j += 1;
                }
                if j < b.len() {
                    out.push((start..j, false));
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Helpers for rules.

/// Removes quotes and backslash escapes (and escaped newlines) from a shell word.
pub fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut q: Option<char> = None;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match (q, c) {
            (None, '\'' | '"') => q = Some(c),
            (Some(x), c) if c == x => q = None,
            (None, '\\') | (Some('"'), '\\') => match chars.next() {
                Some('\n') => {}
                Some(n) => {
                    if q == Some('"') && !matches!(n, '"' | '\\' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(n);
                }
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    out
}

/// Splits `args` into its leading options and the rest (from the first operand on), given the
/// options that take a separate value (`-e`, `--user`). A `--` ends the options and is dropped.
pub fn split_options<'a>(args: &'a [Word], with_value: &[&str]) -> (&'a [Word], &'a [Word]) {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" {
            return (&args[..i], &args[i + 1..]);
        }
        if !args[i].is_option() {
            break;
        }
        if with_value.contains(&t) {
            i += 1;
        }
        i += 1;
    }
    let i = i.min(args.len());
    (&args[..i], &args[i..])
}

/// Whether the short option `c` is among `opts`, in clusters too (`-it`); a cluster stops at an
/// option in `short_with_value` (in `-uroot`, `root` is a value).
pub fn has_short_option(opts: &[Word], c: char, short_with_value: &str) -> bool {
    opts.iter().any(|w| {
        let t = w.text.as_str();
        if !t.starts_with('-') || t.starts_with("--") {
            return false;
        }
        for o in t[1..].chars() {
            if o == c {
                return true;
            }
            if short_with_value.contains(o) {
                return false;
            }
        }
        false
    })
}

/// Whether `--name` (or `--name=value`) is among `opts`.
pub fn has_long_option(opts: &[Word], name: &str) -> bool {
    opts.iter().any(|w| {
        w.text
            .strip_prefix("--")
            .is_some_and(|t| t == name || t.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Arc<ShellBlock> {
        analyse_text(s, false)
    }

    fn err(s: &str) -> ShellSyntax {
        a(s).syntax
            .clone()
            .unwrap_or_else(|| panic!("no syntax error in {s:?}"))
    }

    fn at(s: &str, e: &ShellSyntax) -> String {
        s[e.span.clone()].to_string()
    }

    #[test]
    fn valid_scripts_parse() {
        for s in [
            "set -euo pipefail\nfor f in /backups/*.gz; do\n  gunzip -t \"$f\" || echo \"$f roto\"\ndone\n",
            "case \"$1\" in\n  start|stop) systemctl \"$1\" api ;;\n  *) echo uso >&2; exit 2 ;;\nesac\n",
            "select db in a b; do echo $db; break; done\n",
            "psql -v ON_ERROR_STOP=1 <<-SQL\n\tSELECT 1;\n\tSQL\n",
            "diff <(ls a) <(ls b)\nx=$(cat <<EOF\nhola\nEOF\n)\n",
            "f() { local x=$1; echo \"$x\"; }\nfunction g {\n  :\n}\n",
            "arr=(1 2 \"x y\")\n[[ $a < $b || -f x ]] && echo ok\n(( i++ ))\nfor ((i=0;i<3;i++)); do :; done\n",
            "docker logs <container> --tail 50\ndocker exec -it <nombre-del-contenedor> psql -U <user>\n",
            "# don't panic\necho \"it's fine\"\n",
            "[[ $x =~ ^(a|b)$ ]] && echo si\n[[ \"$v\" =~ ^[0-9]+$ ]] || exit 1\n",
            "case $x in (a|b) echo;; esac\necho $(( (1+2) * 3 ))\na=( $(ls) )\nf() ( cd /; ls )\n",
            "cat <(ls) >(wc)\n{ echo a; } >&2\ntime { sleep 1; }\n! true\necho {a,b}{c,d}\n",
            "trap 'rm -f \"$tmp\"' EXIT\nwhile IFS=, read -r a b; do :; done <<< \"$csv\"\nuntil pg_isready -h db; do sleep 1; done\n",
            "ssh db-01 bash -s <<'EOF'\nset -e\nls\nEOF\nif ! grep -q x f; then :; elif true; then :; fi\n",
            "for f in \"${files[@]}\"; do :; done\necho ${x:+\"$x\"} ${y//\\//_} \"${a[*]// /,}\"\n",
            "read -r -d '' VAR <<'EOF'\nx\nEOF\ndeclare -A m=([k]=v [k2]=\"v 2\")\necho $'\\t'\nlet \"x = 1 + 2\"\n",
            "exec 3>&1 4>&2\ncmd 2> >(tee err.log >&2)\necho $((x<y ? x : y))\n[ \"$a\" -lt 3 ] && { echo; exit 1; }\n",
            "mapfile -t lines < <(grep x f)\n((i++)) || true\ncase \"$x\" in\n  *.tar.gz) tar xzf \"$x\";;\n  *) ;;\nesac\n",
            "if [ -f x ]\nthen\n  echo\nfi\nwhile read l\ndo\n  :\ndone < f\nfunction g() {\n  :\n}\n",
        ] {
            assert_eq!(a(s).syntax, None, "{s}");
        }
    }

    #[test]
    fn case_closed_with_fi() {
        let s = "case \"$1\" in\n  start) docker compose up -d ;;\nfi\n";
        let e = err(s);
        assert_eq!(at(s, &e), "fi");
        assert!(
            e.message.contains("`case` closed with `fi`"),
            "{}",
            e.message
        );
        assert_eq!(
            at(
                s,
                &ShellSyntax {
                    span: e.related.clone().unwrap(),
                    ..e.clone()
                }
            ),
            "case"
        );
    }

    #[test]
    fn extra_paren_and_unclosed_things() {
        let s = "echo \"hola\")\n";
        let e = err(s);
        assert_eq!(
            (at(s, &e).as_str(), e.message.as_str()),
            (")", "syntax error near unexpected token `)`")
        );

        let s = "for i in 1 2; do\n  echo $i\n";
        let e = err(s);
        assert_eq!(at(s, &e), "do");
        assert!(e.message.contains("`do` is never closed with `done`"));

        let s = "echo 'hola\nls\n";
        let e = err(s);
        assert_eq!(e.span, 5..6);
        assert!(e.message.contains("matching `'`"));

        let s = "cat <<EOF > /etc/x.conf\nkey=1\n  EOF\necho fin\n";
        let e = err(s);
        assert_eq!(at(s, &e), "<<EOF");
        assert!(e.note.as_deref().unwrap().contains("`  EOF`"));

        let s = "echo $(date\n";
        let e = err(s);
        assert_eq!(at(s, &e), "$(");

        let s = "while true; do echo x; done; done\n";
        assert_eq!(at(s, &err(s)), "done");
    }

    #[test]
    fn prompts_and_output_are_not_shell() {
        let s = "$ docker compose ps\nNAME   STATUS\ndb     Up 3 hours (healthy)\n$ curl -fsS localhost/health\n{\"ok\": true}\n";
        let b = a(s);
        assert!(b.console);
        assert_eq!(b.syntax, None);
        let names: Vec<_> = b.commands.iter().map(|c| c.program().unwrap()).collect();
        assert_eq!(names, ["docker", "curl"]);
        assert_eq!(b.text.len(), s.len());
        let s =
            "$ cat <<EOF > /tmp/x\n> hola\n> EOF\n$ for i in 1 2; do\n>   echo $i\n> done\n1\n2\n";
        let b = a(s);
        assert_eq!(b.syntax, None);
        let names: Vec<_> = b.commands.iter().map(|c| c.program().unwrap()).collect();
        assert_eq!(names, ["cat", "echo"]);
    }

    #[test]
    fn sql_lines_are_found_and_not_parsed() {
        let s = "docker exec -it db psql -U app shop\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity\n  WHERE state = 'idle';\nvacuum full pedidos;\nset -e\nselect x in a b; do :; done\npsql -c \"VACUUM ANALYZE\"\npsql <<EOF\nVACUUM;\nEOF\n";
        let b = a(s);
        let kw: Vec<_> = b.sql.iter().map(|q| q.keyword.as_str()).collect();
        assert_eq!(kw, ["SELECT", "vacuum"]);
        assert_eq!(
            &s[b.sql[0].span.clone()],
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity\n  WHERE state = 'idle';"
        );
        assert_eq!(b.syntax, None);
    }

    #[test]
    fn words_spans_and_options() {
        let s =
            "PGPASSWORD=x docker exec -it \\\n  db psql -U app -c \"SELECT 1\" 2>&1 | tee log\n";
        let b = a(s);
        let c = &b.commands[0];
        assert_eq!(c.program().as_deref(), Some("docker"));
        assert_eq!(c.assignments, 1);
        let words: Vec<_> = c.words.iter().map(|w| &s[w.span.clone()]).collect();
        assert_eq!(
            words,
            [
                "PGPASSWORD=x",
                "docker",
                "exec",
                "-it",
                "db",
                "psql",
                "-U",
                "app",
                "-c",
                "\"SELECT 1\""
            ]
        );
        assert_eq!(c.words[9].unquoted(), "SELECT 1");
        assert_eq!(c.redirects[0].fd.as_deref(), Some("2"));
        assert!(c.piped_out);
        assert_eq!(b.commands[1].stdin, Stdin::Pipe);
        let (opts, rest) = split_options(&c.args()[1..], &["-e", "-u"]);
        assert!(has_short_option(opts, 't', "eu"));
        assert_eq!(rest[0].text, "db");
    }

    #[test]
    fn loops_functions_heredocs_and_nesting() {
        let s = "#!/bin/bash\nset -e\nbackup() {\n  while read -r db; do\n    docker exec -it pg pg_dump \"$db\"\n  done < dbs.txt\n}\nn=$(docker exec -it pg psql -tc 'select 1')\ncat > /opt/x.sh <<'EOF'\nread -p 'ok?' r\nEOF\n";
        let b = a(s);
        assert!(b.shebang && b.strict);
        assert_eq!((b.functions, b.loops), (1, 1));
        let dump = b
            .commands
            .iter()
            .find(|c| c.args().iter().any(|w| w.text == "pg_dump"))
            .unwrap();
        assert!(dump.in_loop && dump.in_function);
        assert_eq!(dump.stdin, Stdin::Loop);
        let sub = b
            .commands
            .iter()
            .find(|c| c.nesting == Nesting::Substitution)
            .unwrap();
        assert_eq!(
            &s[sub.span.clone()],
            "docker exec -it pg psql -tc 'select 1'"
        );
        let h = &b.heredocs[0];
        assert_eq!((h.delimiter.as_str(), h.quoted), ("EOF", true));
        assert_eq!(&s[h.body.clone()], "read -p 'ok?' r\n");
        let script = b
            .commands
            .iter()
            .find(|c| c.nesting == Nesting::ScriptFile)
            .unwrap();
        assert_eq!(script.program().as_deref(), Some("read"));
    }

    #[test]
    fn crlf_and_placeholders() {
        let s = "cat > /etc/x.conf <<'EOF'\r\nkey=1\r\nEOF\r\ndocker run --rm \\\r\n  -v /srv:/srv alpine ls\r\n";
        let b = a(s);
        assert_eq!(b.syntax, None);
        assert_eq!(b.commands.len(), 2);
        assert_eq!(b.commands[1].words.last().unwrap().text, "ls");
        // Real redirections stay redirections; placeholders become words.
        let b = a("sort <in.txt >out.txt\nkubectl logs <pod-name> -n <namespace>\ncurl http://<host>:<port>/health\n");
        assert_eq!(b.syntax, None);
        assert_eq!(b.commands[0].redirects.len(), 2);
        let words: Vec<_> = b.commands[1]
            .words
            .iter()
            .map(|w| w.text.as_str())
            .collect();
        assert_eq!(
            words,
            ["kubectl", "logs", "<pod-name>", "-n", "<namespace>"]
        );
        assert_eq!(b.commands[2].words[1].text, "http://<host>:<port>/health");
        // A lone `<word>` at the end of a line that is a real redirection typo is still a word.
        assert_eq!(a("cat <archivo>\n").syntax, None);
    }

    #[test]
    fn errors_inside_command_substitutions() {
        let s = "echo \"hoy: $(date +%F)\"\nx=$(for f in *; do echo $f)\n";
        let e = err(s);
        assert_eq!(at(s, &e), "do", "{e:?}");
        assert!(
            e.message.contains("`do` is never closed with `done`"),
            "{e:?}"
        );
    }

    #[test]
    fn non_ascii_offsets() {
        let s = "echo \"año\" # ñ\ncase x in\n a) echo ñ ;;\nfi\n";
        let e = err(s);
        assert_eq!(at(s, &e), "fi");
    }
}

#[cfg(test)]
mod agreement {
    use super::*;

    fn samples() -> Vec<String> {
        let mut out: Vec<String> = [
            "echo a && echo b || echo c; ls -la ~/x 2>&1 | tee log &\n",
            "x=$(cat <<EOF\nhola )\nEOF\n)\necho \"${x:-$(date +%F)}\" `date` $'a\\'b' $[1+2] ${a[$((i+1))]}\n",
            "cmd <<A 3<<-B; ls\nx\nA\n\ty\n\tB\necho\n",
            "ls !(x) @(a|b) *.{gz,sql}\necho foo\\\nbar baz \\\n  --flag # c'omment\n",
            "echo a; ; echo b\n", "| grep x\n", "a &&\n", "a &&\n  b\n", "echo $(if)\n", "echo \"$(fi)\"\n",
            "echo `done`\n", "cat <x >y <<<z &>/dev/null >|f <>g\n", "echo a &; b\n", "echo ${x\n", "echo 'a\n",
            "kill %1; wait $!; echo $# $? $$\n", "echo a#b #c\n", "printf '%s\\n' \"a\\\"b\"\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for e in walkdir::WalkDir::new("fixtures")
            .into_iter()
            .filter_map(Result::ok)
        {
            if e.path().extension().is_some_and(|x| x == "md") {
                let rb = crate::runbook::Runbook::load(e.path()).unwrap();
                out.extend(
                    rb.blocks
                        .iter()
                        .filter(|b| b.is_shell())
                        .map(|b| prepare(&b.content.text, false).parse_text),
                );
            }
        }
        out
    }

    #[test]
    fn fast_lexer_matches_brush_tokens() {
        let mut compared = 0;
        for text in samples() {
            let (Ok(fast), Ok((slow, _))) = (fast_lex(&text, 0), lex(&text, 0)) else {
                continue;
            };
            compared += 1;
            let f: Vec<_> = fast
                .iter()
                .map(|t| {
                    (
                        t.op,
                        t.span.clone(),
                        t.body,
                        if t.body {
                            String::new()
                        } else {
                            t.text.to_string()
                        },
                    )
                })
                .collect();
            let s: Vec<_> = slow
                .iter()
                .map(|t| {
                    (
                        t.op,
                        t.span.clone(),
                        t.body,
                        if t.body {
                            String::new()
                        } else {
                            text[t.span.clone()].to_string()
                        },
                    )
                })
                .collect();
            assert_eq!(f, s, "{text:?}");
            let (_, brush) = lex(&text, 0).unwrap();
            let ours = to_brush(&fast, &text, 0);
            let words = |v: &[Token]| -> Vec<(String, usize)> {
                v.iter()
                    .zip(&fast)
                    .filter(|(_, t)| !t.body)
                    .map(|(b, _)| (b.to_str().to_string(), 0))
                    .collect()
            };
            assert_eq!(words(&ours), words(&brush), "{text:?}");
        }
        assert!(compared > 50, "{compared}");
    }

    #[test]
    fn fast_path_agrees_with_brush() {
        for text in samples() {
            let mut nested = Vec::new();
            let ours = program(
                &text,
                &text,
                0..text.len(),
                Nesting::Top,
                None,
                3,
                &mut nested,
            )
            .syntax
            .is_some();
            let brush = brush_check(&text, &text, 0, Nesting::Top, None).is_some();
            assert_eq!(ours, brush, "{text:?}");
        }
    }
}
