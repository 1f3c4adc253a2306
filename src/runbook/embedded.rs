//! Code inside code: SQL in ```sql blocks, in `psql -c "..."` strings and in heredocs fed to psql;
//! PromQL in ```promql blocks, in `curl .../api/v1/query?query=...` URLs (URL-decoded) and in the
//! `expr:` of Prometheus rule files. Each piece is a [`Fragment`] whose snippet maps every byte back
//! to the runbook: a rule that finds a problem at `i..j` of `fragment.snippet.text` reports
//! `fragment.snippet.source_range(i..j)`.
//!
//! Shell text is read with a light lexical scan of its own (`words`), not with `runbook::shell`:
//! quotes, escapes, line continuations, pipelines, `$(...)`, redirections and heredocs, nothing more.
//! [`sql`] and [`promql`] skip shell blocks that cannot hold what they look for (no `psql`, no
//! `/api/v1/query`) before scanning, so two rules calling them cost little.

pub mod sql_tokens;
mod words;

use std::ops::Range;

use super::{Lang, Runbook, Snippet};
use words::{Command, Piece, Redirect, Word};

/// A piece of code found inside a runbook, possibly inside other code.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// `Sql` or `Promql`.
    pub lang: Lang,
    pub origin: Origin,
    /// The code itself (unquoted, unescaped, URL-decoded), mapped back to the runbook.
    pub snippet: Snippet,
    /// Index into `Runbook::blocks` of the block it was found in.
    pub block: usize,
}

/// Where a fragment was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The body of a ```sql block; for PromQL, one query of a ```promql block.
    Block,
    /// The argument of `psql -c` / `--command` (also through `docker exec`, `kubectl exec`, `ssh`,
    /// `sh -c`, `$(...)`).
    PsqlCommand,
    /// A heredoc body fed to psql (`psql <<EOF`, `cat <<'SQL' | psql`) or written to a `*.sql` file.
    Heredoc,
    /// Text piped into psql: `psql <<< '...'`, `echo '...' | psql`.
    Stdin,
    /// The `query` parameter of a Prometheus HTTP API call (`/api/v1/query`, `query_range`), in the
    /// URL or in `-d` / `--data-urlencode`, decoded.
    QueryUrl,
    /// The expression argument of `promtool query instant|range`.
    CommandArg,
    /// An `expr:` value of a Prometheus rule file: a YAML block, or a heredoc in a shell block.
    YamlExpr,
}

impl Origin {
    /// A few words for messages: "in a `psql -c` string".
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Block => "in a code block",
            Origin::PsqlCommand => "in a `psql -c` string",
            Origin::Heredoc => "in a heredoc",
            Origin::Stdin => "piped into psql",
            Origin::QueryUrl => "in the URL-decoded `query` parameter",
            Origin::CommandArg => "in a `promtool query` argument",
            Origin::YamlExpr => "in an alert rule `expr`",
        }
    }
}

/// Every piece of SQL in the runbook, in file order: ```sql blocks (`CodeBlock::lang() == Sql`),
/// `psql -c` / `--command` strings, heredocs and here-strings fed to psql.
pub fn sql(runbook: &Runbook) -> Vec<Fragment> {
    let src = runbook.text();
    let mut out = Vec::new();
    for (i, block) in runbook.blocks.iter().enumerate() {
        match block.lang() {
            Lang::Sql if !block.content.text.trim().is_empty() => out.push(Fragment {
                lang: Lang::Sql,
                origin: Origin::Block,
                snippet: block.content.clone(),
                block: i,
            }),
            Lang::Bash
                if block.content.text.contains("psql") || block.content.text.contains(".sql") =>
            {
                shell_sql(&block.content, src, i, 0, &mut out);
            }
            _ => {}
        }
    }
    out.sort_by_key(|f| f.snippet.source_start());
    out
}

/// Every PromQL query in the runbook, in file order: each query of a ```promql block, the `query`
/// of Prometheus API calls in shell blocks, `promtool query` expressions, and `expr:` values of
/// rule files (YAML blocks, or heredocs in shell blocks). Rule files whose expressions use `|`
/// (Loki's LogQL) are left out.
pub fn promql(runbook: &Runbook) -> Vec<Fragment> {
    let src = runbook.text();
    let mut out = Vec::new();
    for (i, block) in runbook.blocks.iter().enumerate() {
        let text = &block.content.text;
        match block.lang() {
            Lang::Promql => {
                let declared = block.declared == Some(Lang::Promql);
                for q in split_queries(&block.content) {
                    if declared || !looks_like_logql(&q.text) {
                        out.push(Fragment {
                            lang: Lang::Promql,
                            origin: Origin::Block,
                            snippet: q,
                            block: i,
                        });
                    }
                }
            }
            Lang::Yaml => {
                for q in yaml_exprs(&block.content, src) {
                    out.push(Fragment {
                        lang: Lang::Promql,
                        origin: Origin::YamlExpr,
                        snippet: q,
                        block: i,
                    });
                }
            }
            Lang::Bash
                if text.contains("/api/v1/query")
                    || text.contains("promtool")
                    || text.contains("expr:") =>
            {
                shell_promql(&block.content, src, i, 0, &mut out);
            }
            _ => {}
        }
    }
    out.sort_by_key(|f| f.snippet.source_start());
    out
}

// ---------------------------------------------------------------------------------------------
// Snippets of snippets.

/// Whether `from.text[r]` is a byte-for-byte copy of the runbook at its mapped offset.
fn is_copy(from: &Snippet, r: Range<usize>, src: &str) -> bool {
    let s = from.source_offset(r.start);
    from.source_offset(r.end - 1) == s + (r.len() - 1)
        && src.get(s..s + r.len()) == Some(&from.text[r])
}

/// Appends `from.text[range]` to `out`, every byte keeping where it came from in the runbook
/// (`src` is the runbook text).
fn append(out: &mut Snippet, from: &Snippet, range: Range<usize>, src: &str) {
    let text = &from.text;
    let mut i = range.start;
    while i < range.end {
        let line_end = text[i..range.end]
            .find('\n')
            .map_or(range.end, |k| i + k + 1);
        if is_copy(from, i..line_end, src) {
            out.push(&text[i..line_end], from.source_offset(i));
            i = line_end;
            continue;
        }
        // Something synthetic on this line: go character by character, merging runs.
        let mut run: Option<(usize, bool)> = None; // (start, verbatim)
        let flush = |out: &mut Snippet, run: &mut Option<(usize, bool)>, end: usize| {
            if let Some((start, verbatim)) = run.take() {
                if verbatim {
                    out.push(&text[start..end], from.source_offset(start));
                } else {
                    out.push_synthetic(&text[start..end], from.source_offset(start));
                }
            }
        };
        while i < line_end {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            let verbatim = is_copy(from, i..i + len, src);
            let s = from.source_offset(i);
            let continues = match run {
                Some((start, true)) if verbatim => from.source_offset(start) + (i - start) == s,
                Some((start, false)) if !verbatim => from.source_offset(start) == s,
                _ => false,
            };
            if !continues {
                flush(out, &mut run, i);
                run = Some((i, verbatim));
            }
            i += len;
        }
        flush(out, &mut run, i);
    }
}

/// The snippet of pieces of `from.text`.
fn pieces_snippet(pieces: &[Piece], from: &Snippet, src: &str) -> Snippet {
    let mut out = Snippet::default();
    for p in pieces {
        match p {
            Piece::Text(r) => append(&mut out, from, r.clone(), src),
            Piece::Synth(c, at) => {
                out.push_synthetic(c.encode_utf8(&mut [0; 4]), from.source_offset(*at))
            }
        }
    }
    out
}

fn word_snippet(w: &Word, from: &Snippet, src: &str) -> Snippet {
    pieces_snippet(&w.pieces, from, src)
}

fn tail(sn: Snippet, skip: usize) -> Snippet {
    if skip == 0 {
        sn
    } else {
        sn.slice(skip.min(sn.text.len())..sn.text.len())
    }
}

// ---------------------------------------------------------------------------------------------
// SQL in shell.

/// Index of the `psql` word of a command (`psql`, `/usr/bin/psql`, after `docker exec db`...).
fn psql_word(cmd: &Command, text: &str) -> Option<usize> {
    cmd.words.iter().position(|w| {
        let v = w.value(text);
        v == "psql" || v.ends_with("/psql")
    })
}

/// psql short options without an argument, and with one.
const PSQL_FLAGS: &[u8] = b"aAbeEHlnqsStxX1wW?V";
const PSQL_FLAGS_WITH_ARG: &[u8] = b"dfFhLoPpRTUv";
const PSQL_LONG_WITH_ARG: &[&str] = &[
    "--dbname",
    "--file",
    "--field-separator",
    "--host",
    "--log-file",
    "--output",
    "--port",
    "--pset",
    "--record-separator",
    "--table-attr",
    "--username",
    "--set",
    "--variable",
];

/// The `-c` arguments among psql's arguments: (index of the word, bytes of its value to skip).
fn psql_commands(args: &[String]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.starts_with("--command=") {
            out.push((i, "--command=".len()));
        } else if a == "--command" {
            out.push((i + 1, 0));
            i += 1;
        } else if a.starts_with("--") {
            if PSQL_LONG_WITH_ARG.contains(&a.as_str()) {
                i += 1;
            }
        } else if a.len() > 1 && a.starts_with('-') {
            let b = a.as_bytes();
            for j in 1..b.len() {
                if b[j] == b'c' {
                    if j + 1 < b.len() {
                        out.push((i, j + 1));
                    } else {
                        out.push((i + 1, 0));
                        i += 1;
                    }
                    break;
                }
                if PSQL_FLAGS_WITH_ARG.contains(&b[j]) {
                    if j + 1 == b.len() {
                        i += 1;
                    }
                    break;
                }
                if !PSQL_FLAGS.contains(&b[j]) {
                    break;
                }
            }
        }
        i += 1;
    }
    out.retain(|(w, _)| *w < args.len());
    out
}

/// Whether a command writes its input to a file with one of these endings (`cat > fix.sql`,
/// `tee rules.yml`).
fn writes_file(cmd: &Command, text: &str, endings: &[&str]) -> bool {
    let ends = |v: &str| endings.iter().any(|e| v.ends_with(e));
    let redirected = cmd
        .redirects
        .iter()
        .any(|r| matches!(r, Redirect::Out(w) if ends(&w.value(text))));
    let teed = cmd
        .words
        .iter()
        .position(|w| w.value(text) == "tee")
        .is_some_and(|t| {
            cmd.words[t + 1..].iter().any(|w| {
                let v = w.value(text);
                !v.starts_with('-') && ends(&v)
            })
        });
    redirected || teed
}

fn shell_sql(input: &Snippet, src: &str, block: usize, depth: usize, out: &mut Vec<Fragment>) {
    let text = input.text.as_str();
    let script = words::scan(text);
    let mut push = |origin, snippet: Snippet| {
        if !snippet.text.trim().is_empty() {
            out.push(Fragment {
                lang: Lang::Sql,
                origin,
                snippet,
                block,
            });
        }
    };
    let mut nested = Vec::new();
    for pipeline in &script.pipelines {
        let psql_at: Vec<Option<usize>> = pipeline.iter().map(|c| psql_word(c, text)).collect();
        for (ci, cmd) in pipeline.iter().enumerate() {
            let feeds_psql = psql_at[ci..].iter().any(Option::is_some);
            if let Some(p) = psql_at[ci] {
                let args = &cmd.words[p + 1..];
                let values: Vec<String> = args.iter().map(|w| w.value(text)).collect();
                for (w, skip) in psql_commands(&values) {
                    if args[w].literal {
                        push(
                            Origin::PsqlCommand,
                            tail(word_snippet(&args[w], input, src), skip),
                        );
                    }
                }
            }
            for r in &cmd.redirects {
                match r {
                    Redirect::Heredoc(h) if feeds_psql || writes_file(cmd, text, &[".sql"]) => {
                        push(
                            Origin::Heredoc,
                            pieces_snippet(&script.heredocs[*h].body, input, src),
                        );
                    }
                    Redirect::HereString(w) if psql_at[ci].is_some() && w.literal => {
                        push(Origin::Stdin, word_snippet(w, input, src));
                    }
                    _ => {}
                }
            }
            // `echo 'SELECT ...' | psql`
            if psql_at[ci].is_none() && feeds_psql {
                let first = cmd.words.first().map(|w| w.value(text));
                if matches!(first.as_deref(), Some("echo" | "printf")) {
                    let args: Vec<&Word> = cmd.words[1..]
                        .iter()
                        .filter(|w| !w.value(text).starts_with('-'))
                        .collect();
                    if let [w] = args[..] {
                        if w.literal
                            && !(first.as_deref() == Some("printf") && w.value(text).contains('%'))
                        {
                            push(Origin::Stdin, word_snippet(w, input, src));
                        }
                    }
                }
            }
            // `ssh db1 "psql -c '...'"`, `sh -c "psql ..."`
            if depth < 3 {
                for w in cmd.words.iter().filter(|w| w.quoted) {
                    let v = w.value(text);
                    if v.contains("psql ")
                        && v.split_whitespace()
                            .any(|t| t == "psql" || t.ends_with("/psql"))
                    {
                        nested.push(word_snippet(w, input, src));
                    }
                }
            }
        }
    }
    for sn in nested {
        shell_sql(&sn, src, block, depth + 1, out);
    }
}

// ---------------------------------------------------------------------------------------------
// PromQL in shell.

/// Where the path of a Prometheus query endpoint ends in a URL (`/api/v1/query`,
/// `/api/v1/query_range`); Loki's `/loki/api/v1/query` is not PromQL.
fn query_endpoint(url: &str) -> Option<usize> {
    let at = url.find("/api/v1/query")?;
    // A URL has no blanks before its path (a word with blanks is a command line: `sh -c "curl ..."`).
    if url[..at].contains(char::is_whitespace)
        || url[..at].ends_with("/loki")
        || url[..at].contains("/loki/")
    {
        return None;
    }
    let rest = &url[at + "/api/v1/query".len()..];
    let path_len = rest.find(['?', '#', '"', '\'', ' ']).unwrap_or(rest.len());
    matches!(
        &rest[..path_len],
        "" | "_range" | "_exemplars" | "/" | "_range/"
    )
    .then_some(at + "/api/v1/query".len() + path_len)
}

/// Decodes `sn.text[range]` as `application/x-www-form-urlencoded` (`%5B` → `[`, `+` → space),
/// decoded characters mapped to their `%`.
fn url_decode(sn: &Snippet, range: Range<usize>, src: &str) -> Snippet {
    let b = sn.text.as_bytes();
    let mut out = Snippet::default();
    let mut plain = range.start;
    let mut i = range.start;
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    while i < range.end {
        let c = b[i];
        if c == b'+' {
            append(&mut out, sn, plain..i, src);
            out.push_synthetic(" ", sn.source_offset(i));
            i += 1;
            plain = i;
        } else if c == b'%'
            && i + 2 < range.end
            && hex(b[i + 1]).is_some()
            && hex(b[i + 2]).is_some()
        {
            append(&mut out, sn, plain..i, src);
            let run = i;
            let mut bytes = Vec::new();
            while i + 2 < range.end && b[i] == b'%' {
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        bytes.push(h * 16 + l);
                        i += 3;
                    }
                    _ => break,
                }
            }
            match std::str::from_utf8(&bytes) {
                Ok(s) => {
                    for (k, ch) in s.char_indices() {
                        out.push_synthetic(
                            ch.encode_utf8(&mut [0; 4]),
                            sn.source_offset(run + 3 * k),
                        );
                    }
                }
                Err(_) => {
                    out.push_synthetic(&String::from_utf8_lossy(&bytes), sn.source_offset(run))
                }
            }
            plain = i;
        } else {
            i += 1;
        }
    }
    append(&mut out, sn, plain..range.end, src);
    out
}

/// The decoded `query` values of a form-encoded `a=1&query=...` string at `range` of `sn.text`.
fn form_queries(sn: &Snippet, range: Range<usize>, src: &str) -> Vec<Snippet> {
    let mut out = Vec::new();
    let mut start = range.start;
    for part in sn.text[range.clone()].split('&') {
        let end = start + part.len();
        if let Some(value) = part.strip_prefix("query=") {
            if !value.is_empty() {
                out.push(url_decode(sn, end - value.len()..end, src));
            }
        }
        start = end + 1;
    }
    out
}

const CURL_DATA: &[&str] = &[
    "-d",
    "--data",
    "--data-raw",
    "--data-ascii",
    "--data-binary",
];

fn shell_promql(input: &Snippet, src: &str, block: usize, depth: usize, out: &mut Vec<Fragment>) {
    let text = input.text.as_str();
    let script = words::scan(text);
    let mut push = |origin, snippet: Snippet| {
        if !snippet.text.trim().is_empty() {
            out.push(Fragment {
                lang: Lang::Promql,
                origin,
                snippet,
                block,
            });
        }
    };
    let mut nested = Vec::new();
    for cmd in script.pipelines.iter().flatten() {
        let values: Vec<String> = cmd.words.iter().map(|w| w.value(text)).collect();
        let mut api = false;
        for (w, v) in cmd.words.iter().zip(&values) {
            let Some(path_end) = query_endpoint(v) else {
                continue;
            };
            api = true;
            if let Some(q) = v[path_end..].find('?') {
                let sn = word_snippet(w, input, src);
                let start = path_end + q + 1;
                let end = sn.text[start..]
                    .find('#')
                    .map_or(sn.text.len(), |k| start + k);
                for query in form_queries(&sn, start..end, src) {
                    push(Origin::QueryUrl, query);
                }
            }
        }
        if api {
            let mut i = 0;
            while i < values.len() {
                let v = &values[i];
                if CURL_DATA.contains(&v.as_str()) || v == "--data-urlencode" {
                    if let Some(w) = cmd.words.get(i + 1) {
                        let sn = word_snippet(w, input, src);
                        if v == "--data-urlencode" {
                            // curl encodes the content itself: it is PromQL as written.
                            if sn.text.starts_with("query=") {
                                push(Origin::QueryUrl, tail(sn, "query=".len()));
                            }
                        } else {
                            let len = sn.text.len();
                            for query in form_queries(&sn, 0..len, src) {
                                push(Origin::QueryUrl, query);
                            }
                        }
                    }
                    i += 1;
                } else if v.len() > 2 && v.starts_with("-d") && !v.starts_with("--") {
                    let sn = word_snippet(&cmd.words[i], input, src);
                    let len = sn.text.len();
                    for query in form_queries(&sn, 2..len, src) {
                        push(Origin::QueryUrl, query);
                    }
                }
                i += 1;
            }
        }
        // promtool query instant|range [flags] URL 'expr'
        if let Some(p) = values
            .iter()
            .position(|v| v == "promtool" || v.ends_with("/promtool"))
        {
            if values.get(p + 1).map(String::as_str) == Some("query")
                && matches!(
                    values.get(p + 2).map(String::as_str),
                    Some("instant" | "range")
                )
            {
                let mut positional = 0;
                let mut k = p + 3;
                while k < values.len() {
                    let v = &values[k];
                    if v.starts_with('-') {
                        let takes_value = !v.contains('=')
                            && matches!(
                                v.as_str(),
                                "--time"
                                    | "--start"
                                    | "--end"
                                    | "--step"
                                    | "-o"
                                    | "--format"
                                    | "--http.config.file"
                                    | "--header"
                            );
                        k += if takes_value { 2 } else { 1 };
                        continue;
                    }
                    positional += 1;
                    if positional == 2 {
                        push(Origin::CommandArg, word_snippet(&cmd.words[k], input, src));
                        break;
                    }
                    k += 1;
                }
            }
        }
        // `cat > rules.yml <<'EOF'` with a rule group inside.
        for r in &cmd.redirects {
            if let Redirect::Heredoc(h) = r {
                let body = pieces_snippet(&script.heredocs[*h].body, input, src);
                for q in yaml_exprs(&body, src) {
                    push(Origin::YamlExpr, q);
                }
            }
        }
        if depth < 3 {
            for (w, v) in cmd.words.iter().zip(&values) {
                if w.quoted && (v.contains("curl ") || v.contains("promtool ")) {
                    nested.push(word_snippet(w, input, src));
                }
            }
        }
    }
    for sn in nested {
        shell_promql(&sn, src, block, depth + 1, out);
    }
}

// ---------------------------------------------------------------------------------------------
// PromQL in blocks and rule files.

/// PromQL has no `|` outside strings; LogQL pipelines (`|=`, `| json`) do.
fn looks_like_logql(q: &str) -> bool {
    let mut quote: Option<u8> = None;
    let b = q.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(qc) => {
                if c == b'\\' && qc != b'`' {
                    i += 1;
                } else if c == qc {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' | b'`' => quote = Some(c),
                b'|' => return true,
                _ => {}
            },
        }
        i += 1;
    }
    false
}

const CONTINUATION_WORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
];

/// The code part of a PromQL line (a `#` comment cut off) and the bracket depth change.
fn promql_line(line: &str) -> (&str, i32) {
    let b = line.as_bytes();
    let mut depth = 0;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' && q != b'`' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' | b'`' => quote = Some(c),
                b'#' => return (line[..i].trim_end(), depth),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                _ => {}
            },
        }
        i += 1;
    }
    (line.trim_end(), depth)
}

fn first_word(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

fn last_word(s: &str) -> &str {
    let start = s
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &s[start..]
}

/// Splits a ```promql block into its queries: blank lines at bracket depth 0 separate queries, and
/// so does a line that neither continues the previous one (an operator, `by`, a closing bracket) nor
/// follows one left open. Comment lines before a query are left out.
fn split_queries(content: &Snippet) -> Vec<Snippet> {
    let mut out = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut depth = 0i32;
    let mut open_end = false;
    let mut flush = |current: &mut Option<Range<usize>>| {
        if let Some(r) = current.take() {
            out.push(content.slice(r));
        }
    };
    for (start, line) in content.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if depth <= 0 {
                flush(&mut current);
                open_end = false;
            }
            continue;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        let (code, delta) = promql_line(line);
        let code_trim = code.trim_start();
        let begins_continuation = code_trim.starts_with([
            ')', ']', '}', '/', '*', '%', '^', '+', '-', '=', '!', '<', '>', ',', '@',
        ]) || CONTINUATION_WORDS
            .contains(&first_word(code_trim).to_ascii_lowercase().as_str());
        if !(depth > 0 || open_end || begins_continuation) {
            flush(&mut current);
        }
        let lead = line.len() - line.trim_start().len();
        let end = start + line.trim_end().len();
        current = Some(current.map_or(start + lead..end, |r| r.start..end));
        depth += delta;
        open_end = code.ends_with([
            '(', '[', '{', ',', '+', '-', '*', '/', '%', '^', '=', '<', '>', '~', '!',
        ]) || CONTINUATION_WORDS
            .contains(&last_word(code).to_ascii_lowercase().as_str());
    }
    flush(&mut current);
    out
}

/// A YAML key at the start of a line (after indentation and `- ` markers).
fn yaml_key<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let mut rest = line.trim_start();
    while let Some(r) = rest.strip_prefix("- ") {
        rest = r.trim_start();
    }
    let after = rest.strip_prefix(key)?.strip_prefix(':')?;
    (after.is_empty() || after.starts_with([' ', '\t', '\r'])).then_some(after)
}

/// Looks like a Prometheus (or Grafana, or Loki) rule file: `rules:` with `alert:` or `record:`
/// and `expr:`.
fn is_rule_file(text: &str) -> bool {
    let (mut rules, mut named, mut expr) = (false, false, false);
    for line in text.lines() {
        rules |= yaml_key(line, "rules").is_some();
        named |= yaml_key(line, "alert").is_some() || yaml_key(line, "record").is_some();
        expr |= yaml_key(line, "expr").is_some();
    }
    rules && named && expr
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Cuts a ` # comment` off a plain YAML scalar.
fn plain_end(s: &str) -> usize {
    let b = s.as_bytes();
    let cut = (1..b.len())
        .find(|&i| b[i] == b'#' && matches!(b[i - 1], b' ' | b'\t'))
        .unwrap_or(s.len());
    s[..cut].trim_end().len()
}

/// The `expr:` values of a Prometheus rule file, each mapped back through `sn`: plain, quoted
/// (`"..."`, `'...'`) and block (`|`, `>-`) scalars, over several lines. Expressions in LogQL are
/// left out.
fn yaml_exprs(sn: &Snippet, src: &str) -> Vec<Snippet> {
    let text = sn.text.as_str();
    if !text.contains("expr:") || !is_rule_file(text) {
        return Vec::new();
    }
    let lines: Vec<(usize, &str)> = sn.lines().collect();
    let line_end = |i: usize| lines.get(i + 1).map_or(text.len(), |(s, _)| *s);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        i += 1;
        let Some(after) = yaml_key(line, "expr") else {
            continue;
        };
        let key_col = line.len() - after.len() - "expr:".len();
        let value = after.trim_start();
        let vstart = start + line.len() - value.len();
        let mut q = Snippet::default();
        match value.as_bytes().first() {
            Some(b'|' | b'>') => {
                let mut content_indent = None;
                while i < lines.len() {
                    let (ls, l) = lines[i];
                    if l.trim().is_empty() {
                        i += 1;
                        continue;
                    }
                    let ind = indent_of(l);
                    let ci = *content_indent.get_or_insert(ind);
                    if ind < ci || ind <= key_col {
                        break;
                    }
                    append(&mut q, sn, ls + ci..line_end(i), src);
                    i += 1;
                }
            }
            Some(&q0) if q0 == b'"' || q0 == b'\'' => {
                let quote = q0;
                let b = text.as_bytes();
                let mut k = vstart + 1;
                let mut plain = k;
                while k < b.len() {
                    if quote == b'"' && b[k] == b'\\' && k + 1 < b.len() {
                        append(&mut q, sn, plain..k, src);
                        let escaped = match b[k + 1] {
                            b'n' => Some("\n"),
                            b't' => Some("\t"),
                            _ => None,
                        };
                        match escaped {
                            Some(e) => q.push_synthetic(e, sn.source_offset(k)),
                            None => {
                                let len = text[k + 1..].chars().next().map_or(1, char::len_utf8);
                                append(&mut q, sn, k + 1..k + 1 + len, src);
                                k += len - 1;
                            }
                        }
                        k += 2;
                        plain = k;
                    } else if b[k] == quote {
                        if quote == b'\'' && b.get(k + 1) == Some(&b'\'') {
                            append(&mut q, sn, plain..k + 1, src);
                            k += 2;
                            plain = k;
                            continue;
                        }
                        break;
                    } else {
                        k += 1;
                    }
                }
                append(&mut q, sn, plain..k.min(b.len()), src);
                while i < lines.len() && lines[i].0 <= k {
                    i += 1;
                }
            }
            _ => {
                let first = &value[..plain_end(value)];
                if !first.is_empty() {
                    append(&mut q, sn, vstart..vstart + first.len(), src);
                }
                // Continuation lines, more indented than the key.
                while i < lines.len() {
                    let (ls, l) = lines[i];
                    let t = l.trim_start();
                    if t.is_empty() || t.starts_with('#') || indent_of(l) <= key_col {
                        break;
                    }
                    let cstart = ls + (l.len() - t.len());
                    if !q.text.is_empty() {
                        q.push_synthetic(" ", sn.source_offset(cstart));
                    }
                    append(&mut q, sn, cstart..cstart + plain_end(t), src);
                    i += 1;
                }
            }
        }
        if !q.text.trim().is_empty() && !looks_like_logql(&q.text) {
            out.push(q);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Template variables.

/// Functions whose first argument is a number.
const SCALAR_FIRST: &[&str] = &[
    "topk",
    "bottomk",
    "quantile",
    "histogram_quantile",
    "quantile_over_time",
    "limitk",
    "limit_ratio",
];

/// PromQL with template variables — Grafana's `$__rate_interval`, `$job`, `${instance}`,
/// `[[var]]`, Helm's `{{ .Values.x }}` — replaced by something of the kind the place needs (`5m`
/// in a range or after `offset`, a label name in `by (...)` or braces, `1` where a number goes,
/// else a metric name), so the query can be parsed. Variables inside strings are left alone. Each
/// replacement maps to the variable's first byte; everything else keeps its map.
pub fn promql_without_templates(q: &Snippet, src: &str) -> Snippet {
    let t = q.text.as_str();
    if !t.contains('$') && !t.contains("[[") && !t.contains("{{") {
        return q.clone();
    }
    let b = t.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Snippet::default();
    let mut copied = 0;
    let (mut brackets, mut braces, mut parens) = (0i32, 0i32, 0i32);
    let mut label_list: Option<i32> = None;
    let mut prev_word = String::new(); // the identifier just before, if the last token was one
    let mut before_paren = String::new(); // the identifier before the last `(`
    let mut prev: u8 = 0; // the last significant character
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // A variable?
        let var_end = match c {
            b'$' if b.get(i + 1) == Some(&b'{') => t[i..].find('}').map(|k| i + k + 1),
            b'$' if b.get(i + 1).is_some_and(|c| ident(*c)) => {
                Some((i + 1..b.len()).find(|&k| !ident(b[k])).unwrap_or(b.len()))
            }
            b'[' if t[i..].starts_with("[[") => {
                let name_end = (i + 2..b.len()).find(|&k| !ident(b[k])).unwrap_or(b.len());
                (name_end > i + 2 && t[name_end..].starts_with("]]")).then_some(name_end + 2)
            }
            b'{' if t[i..].starts_with("{{") => t[i..].find("}}").map(|k| i + k + 2),
            _ => None,
        };
        if let Some(end) = var_end {
            let name = t[i..end].trim_matches(|c: char| "${}[] ".contains(c));
            let next = t[end..].trim_start().as_bytes().first().copied();
            let glued = (i > 0 && ident(b[i - 1])) || b.get(end).is_some_and(|c| ident(*c));
            let replacement = if brackets > 0 || prev_word == "offset" {
                "5m"
            } else if braces > 0 {
                if matches!(prev, b'=' | b'~') {
                    "\"x\""
                } else {
                    "x"
                }
            } else if label_list.is_some() || glued || matches!(next, Some(b'{' | b'[')) {
                "x"
            } else if name.ends_with("_s") || name.ends_with("_ms") || prev == b',' {
                "1"
            } else if prev == b'(' && SCALAR_FIRST.contains(&before_paren.as_str()) {
                "1"
            } else {
                "x"
            };
            append(&mut out, q, copied..i, src);
            out.push_synthetic(replacement, q.source_offset(i));
            copied = end;
            i = end;
            prev = b'x';
            prev_word.clear();
            continue;
        }
        match c {
            b'"' | b'\'' | b'`' => {
                let mut k = i + 1;
                while k < b.len() && b[k] != c {
                    k += if b[k] == b'\\' && c != b'`' { 2 } else { 1 };
                }
                i = (k + 1).min(b.len());
                prev = c;
                prev_word.clear();
                continue;
            }
            b'#' => {
                i = t[i..].find('\n').map_or(b.len(), |k| i + k);
                continue;
            }
            b'[' => brackets += 1,
            b']' => brackets -= 1,
            b'{' => braces += 1,
            b'}' => braces -= 1,
            b'(' => {
                parens += 1;
                if matches!(
                    prev_word.as_str(),
                    "by" | "without" | "on" | "ignoring" | "group_left" | "group_right"
                ) {
                    label_list = Some(parens);
                }
                before_paren = std::mem::take(&mut prev_word);
            }
            b')' => {
                if label_list == Some(parens) {
                    label_list = None;
                }
                parens -= 1;
            }
            c if ident(c) => {
                let end = (i..b.len()).find(|&k| !ident(b[k])).unwrap_or(b.len());
                prev_word = t[i..end].to_ascii_lowercase();
                prev = c;
                i = end;
                continue;
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            prev = c;
            if c != b'(' {
                prev_word.clear();
            }
        }
        i += 1;
    }
    append(&mut out, q, copied..b.len(), src);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(s: &str) -> Runbook {
        Runbook::from_text(Path::new("t.md"), s)
    }

    /// Line and column, in the file, of the first `needle` in the fragment's text.
    fn at(rb: &Runbook, f: &Fragment, needle: &str) -> (usize, usize) {
        let i = f
            .snippet
            .text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {:?}", f.snippet.text));
        let lc = rb.line_col(f.snippet.source_offset(i));
        (lc.line, lc.column)
    }

    /// Line and column of the first `needle` in the file at or after `line`.
    fn in_file(src: &str, needle: &str, line: usize) -> (usize, usize) {
        let start: usize = src.split_inclusive('\n').take(line - 1).map(str::len).sum();
        let i = start + src[start..].find(needle).unwrap();
        let lc = crate::runbook::SourceText::new(src.to_string()).line_col(i);
        (lc.line, lc.column)
    }

    #[test]
    fn sql_blocks_and_psql_strings_map_back_inside_list_items() {
        let src = "# DB\n\n1. Mirar las consultas:\n\n   ```bash\n   docker exec -i db psql -U app \\\n     -tAc \"SELECT total_time FROM \\\"pg_stat_statements\\\"\"\n   kubectl exec -it pg-0 -- psql --command='SELECT 2'\n   ```\n\n```sql\nSELECT pg_start_backup('x');\n```\n";
        let rb = parse(src);
        let f = sql(&rb);
        assert_eq!(f.len(), 3, "{f:#?}");
        assert_eq!(f[0].origin, Origin::PsqlCommand);
        assert_eq!(
            f[0].snippet.text,
            "SELECT total_time FROM \"pg_stat_statements\""
        );
        assert_eq!(at(&rb, &f[0], "total_time"), (7, 19));
        assert_eq!(
            at(&rb, &f[0], "pg_stat_statements"),
            in_file(src, "pg_stat_statements", 7)
        );
        assert_eq!(f[1].snippet.text, "SELECT 2");
        assert_eq!(at(&rb, &f[1], "2"), in_file(src, "2'", 8));
        assert_eq!(f[2].origin, Origin::Block);
        assert_eq!(at(&rb, &f[2], "pg_start_backup"), (12, 8));
    }

    #[test]
    fn heredocs_here_strings_pipes_and_nested_shells() {
        let src = "```bash\npsql -v ON_ERROR_STOP=1 shop <<-'SQL'\n\tSELECT mean_time\n\tFROM pg_stat_statements;\n\tSQL\ncat <<EOF | docker compose exec -T db psql\nSELECT \\$1, 'x';\nEOF\npsql <<< \"SELECT 3\"\necho 'SELECT 4' | psql\nssh db1 \"sudo -u postgres psql -c \\\"SELECT 5\\\"\"\nN=$(psql -Atc 'SELECT 6')\n```\n";
        let rb = parse(src);
        let f = sql(&rb);
        let texts: Vec<&str> = f.iter().map(|f| f.snippet.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "SELECT mean_time\nFROM pg_stat_statements;\n",
                "SELECT $1, 'x';\n",
                "SELECT 3",
                "SELECT 4",
                "SELECT 5",
                "SELECT 6"
            ]
        );
        assert_eq!(f[0].origin, Origin::Heredoc);
        assert_eq!(at(&rb, &f[0], "FROM"), (4, 2));
        assert_eq!(at(&rb, &f[1], "$1"), in_file(src, "$1", 7));
        assert_eq!(at(&rb, &f[1], "'x'"), in_file(src, "'x'", 7));
        assert_eq!(f[2].origin, Origin::Stdin);
        assert_eq!(at(&rb, &f[4], "5"), in_file(src, "5", 11));
        assert_eq!(at(&rb, &f[5], "6"), in_file(src, "6", 12));
    }

    #[test]
    fn psql_options_and_non_sql() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(psql_commands(&args("-U app -d shop -c x")), vec![(5, 0)]);
        assert_eq!(
            psql_commands(&args("-qtAcSELECT -X --command=y")),
            vec![(0, 5), (2, 10)]
        );
        assert_eq!(psql_commands(&args("-f fix.sql -v c=1")), vec![]);
        // A variable is not SQL; `which psql` has no -c.
        let rb = parse("```bash\npsql -c \"$QUERY\"\nwhich psql\npg_dump -c shop\n```\n");
        assert!(sql(&rb).is_empty());
    }

    #[test]
    fn curl_queries_are_decoded_and_mapped() {
        let src = "```bash\ncurl -s 'http://prom:9090/api/v1/query?query=sum(rate(http_requests_total%7Bjob%3D%22api%22%7D%5B5m%5D))+by+(route)&time=1'\ncurl -G http://prom:9090/api/v1/query_range --data-urlencode 'query=up == 0' -d 'step=15&query=max%28x%29'\ncurl http://loki:3100/loki/api/v1/query?query=x\n```\n";
        let rb = parse(src);
        let f = promql(&rb);
        let texts: Vec<&str> = f.iter().map(|f| f.snippet.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "sum(rate(http_requests_total{job=\"api\"}[5m])) by (route)",
                "up == 0",
                "max(x)"
            ]
        );
        assert!(f.iter().all(|f| f.origin == Origin::QueryUrl));
        // `[` is the `%5B` at column ...; `5m` after it is verbatim.
        assert_eq!(at(&rb, &f[0], "["), in_file(src, "%5B", 2));
        assert_eq!(at(&rb, &f[0], "5m"), in_file(src, "5m", 2));
        assert_eq!(at(&rb, &f[0], "by"), in_file(src, "by", 2));
        assert_eq!(at(&rb, &f[0], "route"), in_file(src, "route", 2));
        assert_eq!(at(&rb, &f[1], "=="), in_file(src, "==", 3));
        assert_eq!(at(&rb, &f[2], "x)"), in_file(src, "x%29", 3));
    }

    #[test]
    fn promql_blocks_split_into_queries() {
        let src = "- Paneles:\n\n  ```promql\n  # errores\n  sum(rate(http_requests_total{status=~\"5..\"}[5m]))\n    / sum(rate(http_requests_total[5m]))\n\n  histogram_quantile(0.95,\n    sum by (le) (rate(x_bucket[5m])))\n  up == 0\n  ```\n";
        let rb = parse(src);
        let f = promql(&rb);
        let texts: Vec<&str> = f.iter().map(|f| f.snippet.text.as_str()).collect();
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert!(texts[0].starts_with("sum(rate") && texts[0].ends_with("[5m]))"));
        assert!(texts[1].starts_with("histogram_quantile(0.95,") && texts[1].ends_with("[5m])))"));
        assert_eq!(texts[2], "up == 0");
        assert_eq!(at(&rb, &f[0], "/ sum"), (6, 5));
        assert_eq!(at(&rb, &f[1], "sum by"), (9, 5));
        assert_eq!(at(&rb, &f[2], "up"), (10, 3));
    }

    #[test]
    fn rule_file_exprs_in_yaml_blocks_and_heredocs() {
        let src = "```yaml\ngroups:\n  - name: api\n    rules:\n      - alert: ApiDown\n        expr: up{job=\"api\"} == 0 # caído\n        for: 1m\n      - alert: Latency\n        expr: |\n          histogram_quantile(0.95,\n            sum by (le) (rate(x_bucket[5m]))) > 0.5\n        for: 5m\n      - record: job:errors:rate5m\n        expr: \"sum by (job) (rate(errors_total{code=\\\"500\\\"}[5m]))\"\n      - alert: Logs\n        expr: sum(rate({app=\"api\"} |= \"error\" [5m])) > 0\n```\n\n```bash\ncat > /etc/prometheus/rules/db.yml <<'EOF'\ngroups:\n- name: db\n  rules:\n  - alert: PgDown\n    expr: pg_up\n      == 0\nEOF\n```\n";
        let rb = parse(src);
        let f = promql(&rb);
        let texts: Vec<&str> = f.iter().map(|f| f.snippet.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "up{job=\"api\"} == 0",
                "histogram_quantile(0.95,\n  sum by (le) (rate(x_bucket[5m]))) > 0.5\n",
                "sum by (job) (rate(errors_total{code=\"500\"}[5m]))",
                "pg_up == 0",
            ]
        );
        assert!(f.iter().all(|f| f.origin == Origin::YamlExpr));
        assert_eq!(at(&rb, &f[0], "=="), (6, 29));
        assert_eq!(at(&rb, &f[1], "sum by"), (11, 13));
        assert_eq!(at(&rb, &f[2], "500"), in_file(src, "500", 14));
        assert_eq!(at(&rb, &f[2], "[5m]"), in_file(src, "[5m]", 14));
        assert_eq!(at(&rb, &f[3], "=="), (26, 7));
    }

    #[test]
    fn promtool_and_nested_curl() {
        let src = "```bash\npromtool query instant --time=1 http://localhost:9090 'rate(x[5m])'\nwatch -n 5 \"curl -s 'http://prom/api/v1/query?query=up%3D%3D0'\"\n```\n";
        let rb = parse(src);
        let f = promql(&rb);
        let texts: Vec<&str> = f.iter().map(|f| f.snippet.text.as_str()).collect();
        assert_eq!(texts, vec!["rate(x[5m])", "up==0"]);
        assert_eq!(f[0].origin, Origin::CommandArg);
        assert_eq!(at(&rb, &f[1], "=="), in_file(src, "%3D", 3));
    }

    #[test]
    fn template_variables_are_replaced_in_place() {
        let src = "sum by (le, $group) (rate(x_bucket{job=~\"$job\", instance=${instance}}[$__rate_interval])) > $threshold\n";
        let q = Snippet::verbatim(src.trim_end(), 0);
        let out = promql_without_templates(&q, src);
        assert_eq!(
            out.text,
            "sum by (le, x) (rate(x_bucket{job=~\"$job\", instance=\"x\"}[5m])) > x"
        );
        let i = out.text.find("[5m]").unwrap() + 1;
        assert_eq!(out.source_offset(i), src.find("$__rate").unwrap());
        let gt = out.text.find('>').unwrap();
        assert_eq!(out.source_offset(gt), src.find('>').unwrap());
        let q2 = Snippet::verbatim("topk($n, rate(x[5m] offset $off)) * ${__range_s}", 0);
        let out2 = promql_without_templates(&q2, &q2.text.clone());
        assert_eq!(out2.text, "topk(1, rate(x[5m] offset 5m)) * 1");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn pieces() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("```bash\n".to_string()),
                Just("```sql\n".to_string()),
                Just("```promql\n".to_string()),
                Just("```yaml\n".to_string()),
                Just("```\n".to_string()),
                Just("1. Paso:\n\n   ```bash\n".to_string()),
                Just("   psql -tAc \"SELECT é\\\"x\\\" ─\" \\\n".to_string()),
                Just("psql <<-'SQL'\n\tSELECT ñ;\n".to_string()),
                Just("cat <<EOF | psql\n".to_string()),
                Just("SQL\n".to_string()),
                Just("EOF\n".to_string()),
                Just("echo $'a\\nb' | psql\n".to_string()),
                Just("ssh h \"psql -c \\\"SELECT 1\\\"\"\n".to_string()),
                Just(
                    "curl 'http://p/api/v1/query?query=rate(x%5B5m%5D)+by+(é)%E2%94%80%zz%'\n"
                        .to_string()
                ),
                Just(
                    "curl -G http://p/api/v1/query --data-urlencode 'query=up ─' -d query=%C3\n"
                        .to_string()
                ),
                Just("groups:\n- name: g\n  rules:\n  - alert: A\n".to_string()),
                Just("    expr: |\n      sum(x) ─ $__rate_interval\n".to_string()),
                Just("    expr: \"a\\\"b\\né\n".to_string()),
                Just("    expr: 'x''y'\n".to_string()),
                Just("    expr: up # ñ\n      == 0\n".to_string()),
                Just("sum(rate(x[${w}]))\n  / ñ by ($l) ([[v]]) {{ .V }}\n".to_string()),
                "[a-zA-Z0-9 ñé─{}()\\[\\]$\"'`|<>#*_=%&;\\\\-]{0,40}\n",
            ];
            prop::collection::vec(piece, 0..30).prop_map(|v| v.concat())
        }

        fn check(rb: &Runbook, frags: &[Fragment]) {
            let src = rb.text();
            for f in frags {
                for (i, _) in f.snippet.text.char_indices() {
                    let o = f.snippet.source_offset(i);
                    assert!(
                        o <= src.len() && src.is_char_boundary(o),
                        "{o} in {:?}",
                        f.snippet.text
                    );
                }
                let sub = promql_without_templates(&f.snippet, src);
                for (i, _) in sub.text.char_indices() {
                    let o = sub.source_offset(i);
                    assert!(
                        o <= src.len() && src.is_char_boundary(o),
                        "{o} in {:?}",
                        sub.text
                    );
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn fragments_map_to_char_boundaries(text in pieces()) {
                let rb = parse(&text);
                check(&rb, &sql(&rb));
                check(&rb, &promql(&rb));
            }
        }
    }
}
