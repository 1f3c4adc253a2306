//! A light lexical scan of shell text: words with their unquoted values, simple commands,
//! pipelines, redirections and heredoc bodies, each piece kept as byte ranges of the scanned text.
//!
//! Enough to find the SQL and PromQL that shell commands carry; not a parser: it reports no syntax
//! errors and expands nothing (`$x`, `$(...)` stay as written). Commands inside `$(...)` are
//! scanned too and come out as pipelines of their own.

use std::ops::Range;

/// One piece of a word's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Bytes of the scanned text, as they are.
    Text(Range<usize>),
    /// A character that stands for the escape sequence at this offset (`\n` in `$'...'`).
    Synth(char, usize),
}

/// A shell word: its value once quotes and escapes are removed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Word {
    pub pieces: Vec<Piece>,
    /// The word as written, quotes included.
    pub raw: Range<usize>,
    /// Some part of it was quoted or escaped.
    pub quoted: bool,
    /// Some part of it is literal text, not an expansion (`$x`, `${x}`, `$(...)`, backticks).
    pub literal: bool,
}

impl Word {
    fn push_text(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        if let Some(Piece::Text(last)) = self.pieces.last_mut() {
            if last.end == range.start {
                last.end = range.end;
                return;
            }
        }
        self.pieces.push(Piece::Text(range));
    }

    /// The value, with quotes and escapes removed.
    pub fn value(&self, text: &str) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(r) => out.push_str(&text[r.clone()]),
                Piece::Synth(c, _) => out.push(*c),
            }
        }
        out
    }
}

/// Where a redirection sends or takes data.
#[derive(Debug, Clone)]
pub(crate) enum Redirect {
    /// `> file`, `>> file`, `&> file`, `>&2`.
    Out(Word),
    /// `< file`.
    #[allow(dead_code)]
    In(Word),
    /// `<<EOF`: index into `Script::heredocs`.
    Heredoc(usize),
    /// `<<< word`.
    HereString(Word),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Heredoc {
    pub delimiter: String,
    /// The delimiter was quoted (`<<'EOF'`): the body is literal.
    pub quoted: bool,
    /// `<<-`: leading tabs are stripped.
    pub strip_tabs: bool,
    /// The body, without the delimiter line.
    pub body: Vec<Piece>,
    /// The delimiter line was found.
    pub terminated: bool,
}

/// A simple command: its words (assignments and the command name included) and redirections.
#[derive(Debug, Clone, Default)]
pub(crate) struct Command {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    /// Commands joined by `|`; everything else (`;`, `&&`, newlines, subshells) separates pipelines.
    pub pipelines: Vec<Vec<Command>>,
    pub heredocs: Vec<Heredoc>,
}

/// Scans shell text.
pub(crate) fn scan(text: &str) -> Script {
    let mut s = Scanner {
        t: text,
        b: text.as_bytes(),
        pos: 0,
        script: Script::default(),
        pending: Vec::new(),
    };
    s.list(false);
    s.script
}

struct Scanner<'a> {
    t: &'a str,
    b: &'a [u8],
    pos: usize,
    script: Script,
    /// Heredocs whose bodies start after the next newline.
    pending: Vec<usize>,
}

fn is_meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.pos + ahead).copied()
    }

    fn char_len(&self, at: usize) -> usize {
        self.t[at..].chars().next().map_or(1, char::len_utf8)
    }

    fn skip_blanks(&mut self) {
        loop {
            match self.peek(0) {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'\r') if self.peek(1) != Some(b'\n') => self.pos += 1,
                Some(b'\r') => self.pos += 1,
                Some(b'\\') if self.peek(1) == Some(b'\n') => self.pos += 2,
                Some(b'\\') if self.peek(1) == Some(b'\r') && self.peek(2) == Some(b'\n') => {
                    self.pos += 3
                }
                _ => return,
            }
        }
    }

    /// A command list, up to the end of the text or (when `nested`) the `)` closing a `$(`.
    fn list(&mut self, nested: bool) {
        let mut pipeline: Vec<Command> = Vec::new();
        let mut cmd = Command::default();
        let mut depth = 0usize;
        loop {
            self.skip_blanks();
            let Some(c) = self.peek(0) else { break };
            match c {
                b'\n' => {
                    self.pos += 1;
                    self.end_pipeline(&mut pipeline, &mut cmd);
                    self.read_heredocs();
                }
                b'#' => {
                    let end = self.t[self.pos..]
                        .find('\n')
                        .map_or(self.b.len(), |i| self.pos + i);
                    self.pos = end;
                }
                b';' => {
                    self.pos += 1;
                    if matches!(self.peek(0), Some(b';' | b'&')) {
                        self.pos += 1;
                    }
                    self.end_pipeline(&mut pipeline, &mut cmd);
                }
                b'&' => {
                    if self.peek(1) == Some(b'>') {
                        self.pos += 2;
                        if self.peek(0) == Some(b'>') {
                            self.pos += 1;
                        }
                        if let Some(w) = self.target() {
                            cmd.redirects.push(Redirect::Out(w));
                        }
                    } else {
                        self.pos += if self.peek(1) == Some(b'&') { 2 } else { 1 };
                        self.end_pipeline(&mut pipeline, &mut cmd);
                    }
                }
                b'|' => {
                    if self.peek(1) == Some(b'|') {
                        self.pos += 2;
                        self.end_pipeline(&mut pipeline, &mut cmd);
                    } else {
                        self.pos += if self.peek(1) == Some(b'&') { 2 } else { 1 };
                        end_command(&mut pipeline, &mut cmd);
                    }
                }
                b'(' => {
                    self.pos += 1;
                    depth += 1;
                    self.end_pipeline(&mut pipeline, &mut cmd);
                }
                b')' => {
                    self.pos += 1;
                    if depth == 0 {
                        if nested {
                            break;
                        }
                    } else {
                        depth -= 1;
                    }
                    self.end_pipeline(&mut pipeline, &mut cmd);
                }
                b'<' | b'>' => self.redirect(&mut cmd),
                _ => {
                    let w = self.word();
                    let fd = !w.quoted
                        && !w.raw.is_empty()
                        && self.b[w.raw.clone()].iter().all(u8::is_ascii_digit)
                        && matches!(self.peek(0), Some(b'<' | b'>'));
                    if w.raw.is_empty() {
                        // A stray byte the word reader does not take (cannot happen for valid
                        // UTF-8, but never loop forever).
                        self.pos += self.char_len(self.pos);
                    } else if !fd {
                        cmd.words.push(w);
                    }
                }
            }
        }
        self.end_pipeline(&mut pipeline, &mut cmd);
    }

    fn end_pipeline(&mut self, pipeline: &mut Vec<Command>, cmd: &mut Command) {
        end_command(pipeline, cmd);
        if !pipeline.is_empty() {
            self.script.pipelines.push(std::mem::take(pipeline));
        }
    }

    /// The word after a redirection operator.
    fn target(&mut self) -> Option<Word> {
        self.skip_blanks();
        match self.peek(0) {
            Some(c) if !is_meta(c) => Some(self.word()),
            _ => None,
        }
    }

    fn redirect(&mut self, cmd: &mut Command) {
        let rest = &self.t[self.pos..];
        if rest.starts_with("<<<") {
            self.pos += 3;
            if let Some(w) = self.target() {
                cmd.redirects.push(Redirect::HereString(w));
            }
        } else if rest.starts_with("<<") {
            self.pos += 2;
            let strip_tabs = self.peek(0) == Some(b'-');
            if strip_tabs {
                self.pos += 1;
            }
            if let Some(w) = self.target() {
                let index = self.script.heredocs.len();
                self.script.heredocs.push(Heredoc {
                    delimiter: w.value(self.t),
                    quoted: w.quoted,
                    strip_tabs,
                    body: Vec::new(),
                    terminated: false,
                });
                self.pending.push(index);
                cmd.redirects.push(Redirect::Heredoc(index));
            }
        } else if rest.starts_with("<(") || rest.starts_with(">(") {
            // Process substitution: the `(` opens a nested list.
            self.pos += 1;
        } else {
            let input = rest.starts_with('<') && !rest.starts_with("<&");
            self.pos += 1;
            if matches!(self.peek(0), Some(b'>' | b'&' | b'|')) {
                self.pos += 1;
            }
            if let Some(w) = self.target() {
                cmd.redirects.push(if input {
                    Redirect::In(w)
                } else {
                    Redirect::Out(w)
                });
            }
        }
    }

    /// Reads the bodies of the heredocs opened on the line that just ended.
    fn read_heredocs(&mut self) {
        for index in std::mem::take(&mut self.pending) {
            let (delimiter, quoted, strip) = {
                let h = &self.script.heredocs[index];
                (h.delimiter.clone(), h.quoted, h.strip_tabs)
            };
            let mut body = Word::default();
            let mut terminated = false;
            while self.pos < self.b.len() {
                let line_end = self.t[self.pos..]
                    .find('\n')
                    .map_or(self.b.len(), |i| self.pos + i);
                let next = (line_end + 1).min(self.b.len());
                let line = self.t[self.pos..line_end].trim_end_matches('\r');
                let content = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if content == delimiter {
                    self.pos = next;
                    terminated = true;
                    break;
                }
                let start = self.pos + (line.len() - content.len());
                if quoted {
                    body.push_text(start..next);
                } else {
                    let mut i = start;
                    while i < next {
                        if self.b[i] == b'\\' && i + 1 < next {
                            match self.b[i + 1] {
                                b'$' | b'`' | b'\\' => {
                                    body.push_text(i + 1..i + 2);
                                    i += 2;
                                    continue;
                                }
                                b'\n' => {
                                    i += 2;
                                    continue;
                                }
                                _ => {}
                            }
                        }
                        body.push_text(i..i + 1);
                        i += 1;
                    }
                }
                self.pos = next;
            }
            let h = &mut self.script.heredocs[index];
            h.body = body.pieces;
            h.terminated = terminated;
        }
    }

    /// One word, from the current position up to an unquoted metacharacter.
    fn word(&mut self) -> Word {
        let start = self.pos;
        let mut w = Word::default();
        while let Some(c) = self.peek(0) {
            match c {
                c if is_meta(c) => break,
                b'\\' => match self.peek(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(b'\r') if self.peek(2) == Some(b'\n') => self.pos += 3,
                    Some(_) => {
                        let len = self.char_len(self.pos + 1);
                        w.push_text(self.pos + 1..self.pos + 1 + len);
                        w.quoted = true;
                        w.literal = true;
                        self.pos += 1 + len;
                    }
                    None => self.pos += 1,
                },
                b'\'' => {
                    let end = self.t[self.pos + 1..]
                        .find('\'')
                        .map_or(self.b.len(), |i| self.pos + 1 + i);
                    w.push_text(self.pos + 1..end);
                    w.quoted = true;
                    w.literal |= end > self.pos + 1;
                    self.pos = (end + 1).min(self.b.len());
                }
                b'"' => self.double_quoted(&mut w),
                b'$' if self.peek(1) == Some(b'\'') => self.ansi_c(&mut w),
                b'$' | b'`' => self.expansion(&mut w),
                _ => {
                    w.push_text(self.pos..self.pos + 1);
                    w.literal = true;
                    self.pos += 1;
                }
            }
        }
        w.raw = start..self.pos;
        w
    }

    fn double_quoted(&mut self, w: &mut Word) {
        w.quoted = true;
        self.pos += 1;
        while let Some(c) = self.peek(0) {
            match c {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => match self.peek(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(b'\r') if self.peek(2) == Some(b'\n') => self.pos += 3,
                    Some(b'$' | b'`' | b'"' | b'\\') => {
                        w.push_text(self.pos + 1..self.pos + 2);
                        w.literal = true;
                        self.pos += 2;
                    }
                    _ => {
                        w.push_text(self.pos..self.pos + 1);
                        w.literal = true;
                        self.pos += 1;
                    }
                },
                b'$' | b'`' => self.expansion(w),
                _ => {
                    w.push_text(self.pos..self.pos + 1);
                    w.literal = true;
                    self.pos += 1;
                }
            }
        }
    }

    /// `$'...'`: backslash escapes like C.
    fn ansi_c(&mut self, w: &mut Word) {
        w.quoted = true;
        w.literal = true;
        self.pos += 2;
        while let Some(c) = self.peek(0) {
            match c {
                b'\'' => {
                    self.pos += 1;
                    return;
                }
                b'\\' if self.pos + 1 < self.b.len() => {
                    let at = self.pos;
                    let synth = match self.b[at + 1] {
                        b'n' => Some('\n'),
                        b't' => Some('\t'),
                        b'r' => Some('\r'),
                        b'a' => Some('\u{7}'),
                        b'b' => Some('\u{8}'),
                        b'e' | b'E' => Some('\u{1b}'),
                        b'f' => Some('\u{c}'),
                        b'v' => Some('\u{b}'),
                        _ => None,
                    };
                    match synth {
                        Some(ch) => {
                            w.pieces.push(Piece::Synth(ch, at));
                            self.pos += 2;
                        }
                        None if matches!(self.b[at + 1], b'\\' | b'\'' | b'"' | b'?') => {
                            w.push_text(at + 1..at + 2);
                            self.pos += 2;
                        }
                        None => {
                            w.push_text(at..at + 1);
                            self.pos += 1;
                        }
                    }
                }
                _ => {
                    w.push_text(self.pos..self.pos + 1);
                    self.pos += 1;
                }
            }
        }
    }

    /// `$name`, `${...}`, `$(...)`, `$((...))` or a backtick substitution, kept as written.
    fn expansion(&mut self, w: &mut Word) {
        let start = self.pos;
        if self.peek(0) == Some(b'`') {
            let mut i = self.pos + 1;
            while i < self.b.len() && self.b[i] != b'`' {
                i += if self.b[i] == b'\\' { 2 } else { 1 };
            }
            self.pos = (i + 1).min(self.b.len());
        } else {
            match self.peek(1) {
                Some(b'(') => {
                    self.pos += 2;
                    // The commands inside are scanned as pipelines of their own.
                    let pending = std::mem::take(&mut self.pending);
                    self.list(true);
                    self.pending.splice(0..0, pending);
                }
                Some(b'{') => {
                    let mut depth = 0usize;
                    let mut i = self.pos + 1;
                    while i < self.b.len() {
                        match self.b[i] {
                            b'{' => depth += 1,
                            b'}' => {
                                depth -= 1;
                                if depth == 0 {
                                    i += 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    self.pos = i.min(self.b.len());
                }
                Some(c) if c.is_ascii_alphanumeric() || c == b'_' => {
                    let mut i = self.pos + 1;
                    while i < self.b.len()
                        && (self.b[i].is_ascii_alphanumeric() || self.b[i] == b'_')
                    {
                        i += 1;
                    }
                    self.pos = i;
                }
                Some(b'@' | b'*' | b'#' | b'?' | b'$' | b'!' | b'-') => self.pos += 2,
                _ => {
                    // A lone `$` is literal.
                    w.push_text(self.pos..self.pos + 1);
                    w.literal = true;
                    self.pos += 1;
                    return;
                }
            }
        }
        w.push_text(start..self.pos);
    }
}

fn end_command(pipeline: &mut Vec<Command>, cmd: &mut Command) {
    if !cmd.words.is_empty() || !cmd.redirects.is_empty() {
        pipeline.push(std::mem::take(cmd));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<Vec<String>> {
        let s = scan(text);
        s.pipelines
            .iter()
            .flatten()
            .map(|c| c.words.iter().map(|w| w.value(text)).collect())
            .collect()
    }

    #[test]
    fn quotes_escapes_and_continuations() {
        let t = "docker exec db psql \\\n  -c \"SELECT \\\"x\\\" FROM t\" -c 'a b'\necho $'x\\ny'";
        assert_eq!(
            values(t),
            vec![
                vec![
                    "docker",
                    "exec",
                    "db",
                    "psql",
                    "-c",
                    "SELECT \"x\" FROM t",
                    "-c",
                    "a b"
                ],
                vec!["echo", "x\ny"],
            ]
        );
    }

    #[test]
    fn pipelines_redirects_and_substitutions() {
        let t = "N=$(psql -tAc \"SELECT 1\") && cat <<EOF | psql 2>&1 > out.txt\nSELECT \\$1;\nEOF\nls # comment\n";
        let s = scan(t);
        let v = values(t);
        assert!(v.contains(&vec!["psql".to_string(), "-tAc".into(), "SELECT 1".into()]));
        assert!(v.contains(&vec!["ls".to_string()]));
        let pipe = s.pipelines.iter().find(|p| p.len() == 2).unwrap();
        assert_eq!(pipe[0].words[0].value(t), "cat");
        let Redirect::Heredoc(h) = pipe[0].redirects[0] else {
            panic!()
        };
        let body = Word {
            pieces: s.heredocs[h].body.clone(),
            ..Default::default()
        };
        assert_eq!(body.value(t), "SELECT $1;\n");
        assert!(s.heredocs[h].terminated);
        assert!(matches!(&pipe[1].redirects[0], Redirect::Out(w) if w.value(t) == "1"));
        assert!(matches!(&pipe[1].redirects[1], Redirect::Out(w) if w.value(t) == "out.txt"));
    }

    #[test]
    fn quoted_and_tab_stripped_heredocs() {
        let t = "psql <<-'SQL'\n\tSELECT $x\n\tSQL\necho done\n";
        let s = scan(t);
        let h = &s.heredocs[0];
        assert!(h.quoted && h.strip_tabs && h.terminated);
        let body = Word {
            pieces: h.body.clone(),
            ..Default::default()
        };
        assert_eq!(body.value(t), "SELECT $x\n");
        assert_eq!(
            values(t).last().unwrap(),
            &vec!["echo".to_string(), "done".into()]
        );
    }
}
