//! A light PostgreSQL tokenizer: identifiers, literals, punctuation, with comments and whitespace
//! dropped and psql meta-commands (`\x`, `\dt`) kept as tokens of their own. Enough for rules that
//! look for names in SQL without being fooled by strings and comments; not a parser.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted name or keyword (`SELECT`, `pg_stat_statements`).
    Ident,
    /// `"Name"`: the range includes the quotes.
    QuotedIdent,
    /// `'...'`, `E'...'`, `$$...$$`, `$tag$...$tag$`: the range includes the quotes.
    String,
    Number,
    /// `$1`, or a psql variable `:name`.
    Param,
    /// One of `( ) [ ] , ; .`
    Punct,
    /// Any run of operator characters (`=`, `::`, `<>`, `->>`).
    Operator,
    /// A psql meta-command up to the end of its line (`\x`, `\c shop`).
    MetaCommand,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub range: Range<usize>,
}

impl Token {
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.range.clone()]
    }

    /// The name an identifier stands for: unquoted ones fold to lower case, quoted ones lose their
    /// quotes. `None` for other tokens.
    pub fn name(&self, sql: &str) -> Option<String> {
        let t = self.text(sql);
        match self.kind {
            TokenKind::Ident => Some(t.to_ascii_lowercase()),
            TokenKind::QuotedIdent => Some(
                t.trim_start_matches('"')
                    .trim_end_matches('"')
                    .replace("\"\"", "\""),
            ),
            _ => None,
        }
    }

    /// An unquoted identifier equal to `word`, ignoring case.
    pub fn is_word(&self, sql: &str, word: &str) -> bool {
        self.kind == TokenKind::Ident && self.text(sql).eq_ignore_ascii_case(word)
    }

    pub fn is_punct(&self, sql: &str, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text(sql).starts_with(c)
    }

    /// The contents of a string literal (without quotes; escapes left as written).
    pub fn string_value<'a>(&self, sql: &'a str) -> Option<&'a str> {
        if self.kind != TokenKind::String {
            return None;
        }
        let t = self.text(sql);
        if t.starts_with('$') {
            let tag_end = (t[1..].find('$')? + 2).min(t.len());
            let open = &t[..tag_end];
            let end = if t.len() >= 2 * tag_end && t.ends_with(open) {
                t.len() - tag_end
            } else {
                t.len()
            };
            return Some(&t[tag_end..end]);
        }
        let start = t.find('\'')? + 1;
        let end = if t.len() > start && t.ends_with('\'') {
            t.len() - 1
        } else {
            t.len()
        };
        Some(&t[start..end])
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Tokenizes SQL text.
pub fn tokenize(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let push = |out: &mut Vec<Token>, kind, range| out.push(Token { kind, range });
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(b.len(), |k| i + k);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'\\' => {
                // psql meta-command: to the end of the line, or to a `\\` separator.
                let line_end = sql[i..].find('\n').map_or(b.len(), |k| i + k);
                let end = sql[i + 1..line_end]
                    .find("\\\\")
                    .map_or(line_end, |k| i + 1 + k);
                i = end.max(i + 1);
                push(&mut out, TokenKind::MetaCommand, start..i);
                if i < line_end {
                    i += 2;
                }
            }
            b'\'' => {
                i = quoted_end(b, i, b'\'', false);
                push(&mut out, TokenKind::String, start..i);
            }
            b'"' => {
                i = quoted_end(b, i, b'"', false);
                push(&mut out, TokenKind::QuotedIdent, start..i);
            }
            b'$' => {
                if let Some(end) = dollar_quote_end(sql, i) {
                    i = end;
                    push(&mut out, TokenKind::String, start..i);
                } else {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    push(
                        &mut out,
                        if i > start + 1 {
                            TokenKind::Param
                        } else {
                            TokenKind::Operator
                        },
                        start..i,
                    );
                }
            }
            b'0'..=b'9' => {
                i = number_end(b, i);
                push(&mut out, TokenKind::Number, start..i);
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(b, i);
                push(&mut out, TokenKind::Number, start..i);
            }
            b'(' | b')' | b'[' | b']' | b',' | b';' | b'.' => {
                i += 1;
                push(&mut out, TokenKind::Punct, start..i);
            }
            b':' if b.get(i + 1) != Some(&b':')
                && b.get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == b'_') =>
            {
                // psql variable `:name`.
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                push(&mut out, TokenKind::Param, start..i);
            }
            _ => {
                let ch = sql[i..].chars().next().unwrap_or(' ');
                if is_ident_start(ch) {
                    // `E'...'` strings take backslash escapes.
                    if (ch == 'e' || ch == 'E') && b.get(i + 1) == Some(&b'\'') {
                        i = quoted_end(b, i + 1, b'\'', true);
                        push(&mut out, TokenKind::String, start..i);
                        continue;
                    }
                    while let Some(n) = sql[i..].chars().next().filter(|n| is_ident_char(*n)) {
                        i += n.len_utf8();
                    }
                    push(&mut out, TokenKind::Ident, start..i);
                } else if "+-*/<>=~!@#%^&|`?:".contains(ch) {
                    while i < b.len() && b"+-*/<>=~!@#%^&|`?:".contains(&b[i]) {
                        if (b[i] == b'-' && b.get(i + 1) == Some(&b'-'))
                            || (b[i] == b'/' && b.get(i + 1) == Some(&b'*'))
                        {
                            break;
                        }
                        i += 1;
                    }
                    push(&mut out, TokenKind::Operator, start..i.max(start + 1));
                    i = i.max(start + 1);
                } else {
                    i += ch.len_utf8();
                }
            }
        }
    }
    out
}

/// End of a quoted run starting at `i` (the opening quote); a doubled quote is an escaped one.
fn quoted_end(b: &[u8], i: usize, q: u8, backslash: bool) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// `$$...$$` or `$tag$...$tag$` starting at `i`.
fn dollar_quote_end(sql: &str, i: usize) -> Option<usize> {
    let rest = &sql[i + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    if !tag.chars().enumerate().all(|(k, c)| {
        if k == 0 {
            is_ident_start(c)
        } else {
            c.is_alphanumeric() || c == '_'
        }
    }) {
        return None;
    }
    let open = &sql[i..i + tag_len + 2];
    let body = i + tag_len + 2;
    Some(
        sql[body..]
            .find(open)
            .map_or(sql.len(), |k| body + k + open.len()),
    )
}

fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
        if (b[i] == b'e' || b[i] == b'E') && matches!(b.get(i + 1), Some(b'+' | b'-')) {
            i += 1;
        }
        i += 1;
    }
    i
}

/// The statements of a token list: runs split at `;` and at psql meta-commands (which end the
/// statement before them). Empty runs are skipped.
pub fn statements<'t>(tokens: &'t [Token], sql: &str) -> Vec<&'t [Token]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.kind == TokenKind::MetaCommand || t.is_punct(sql, ';') {
            if i > start {
                out.push(&tokens[start..i]);
            }
            start = i + 1;
        }
    }
    if start < tokens.len() {
        out.push(&tokens[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(TokenKind, &str)> {
        tokenize(sql)
            .into_iter()
            .map(|t| (t.kind, &sql[t.range]))
            .collect()
    }

    #[test]
    fn skips_comments_and_keeps_literals_whole() {
        let sql = "SELECT total_time -- total_time\n, 'it''s total_time', E'a\\'b', $$x;y$$ /* c /* n */ */ FROM \"T\"\"x\";";
        let k = kinds(sql);
        let idents: Vec<&str> = k
            .iter()
            .filter(|(k, _)| *k == TokenKind::Ident)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(idents, vec!["SELECT", "total_time", "FROM"]);
        let strings: Vec<&str> = k
            .iter()
            .filter(|(k, _)| *k == TokenKind::String)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(strings, vec!["'it''s total_time'", "E'a\\'b'", "$$x;y$$"]);
        let toks = tokenize(sql);
        let q = toks
            .iter()
            .find(|t| t.kind == TokenKind::QuotedIdent)
            .unwrap();
        assert_eq!(q.name(sql).as_deref(), Some("T\"x"));
        assert_eq!(statements(&toks, sql).len(), 1);
    }

    #[test]
    fn meta_commands_split_statements() {
        let sql = "\\x\nSELECT 1\n\\gx\nSELECT a::int, :'v', $1 FROM t";
        let toks = tokenize(sql);
        assert_eq!(toks[0].kind, TokenKind::MetaCommand);
        assert_eq!(toks[0].text(sql), "\\x");
        let st = statements(&toks, sql);
        assert_eq!(st.len(), 2);
        assert!(st[1]
            .iter()
            .any(|t| t.kind == TokenKind::Param && t.text(sql) == "$1"));
        assert!(st[1]
            .iter()
            .any(|t| t.kind == TokenKind::Operator && t.text(sql) == "::"));
    }

    #[test]
    fn string_values() {
        let sql = "SELECT 'wal_keep_segments', $f$x$f$";
        let toks = tokenize(sql);
        let s: Vec<_> = toks.iter().filter_map(|t| t.string_value(sql)).collect();
        assert_eq!(s, vec!["wal_keep_segments", "x"]);
    }
}
