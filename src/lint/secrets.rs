//! What secrets, references to secrets and placeholders look like in runbook text: the detectors
//! shared by the secret rules (FD501 hard-coded secrets, FD502 placeholders, and rules on secrets
//! echoed or archived). Pure functions over a piece of text; positions are byte ranges into it.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::runbook::Runbook;

/// How much evidence a value needs: code is read literally, prose needs a password-looking value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Code,
    Prose,
}

/// A secret found in a text. Neither field holds the secret itself, so both can be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMatch {
    /// Exactly the secret value.
    pub span: Range<usize>,
    /// What it is: "password", "AWS access key", "JWT".
    pub what: &'static str,
    /// Where it sits ("in `PGPASSWORD`"), or empty.
    pub place: String,
}

/// What the value written after a secret's name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Empty,
    /// Read at run time: `$VAR`, `${VAR}`, `$(cat …)`, `{{ … }}`, a file or Vault path.
    Reference,
    /// Masked or elided on purpose: `****`, `•••`, `[REDACTED]`, `eyJhbGci...`.
    Redacted,
    /// Stands for a value someone still has to write: `<password>`, `changeme`, `your-token`.
    Placeholder,
    /// A word that is not a secret: `true`, `none`, `required`.
    Keyword,
    /// Anything else: taken as the secret itself.
    Literal,
}

/// Lower-cases and strips Spanish accents, so `Contraseña`, `contrasena` and `CONTRASEÑA` compare
/// equal.
pub fn normalize(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' => 'a',
            'é' | 'è' | 'ë' => 'e',
            'í' | 'ì' | 'ï' => 'i',
            'ó' | 'ò' | 'ö' => 'o',
            'ú' | 'ù' | 'ü' => 'u',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

/// Words that mean "fill me in" when they are the whole value.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "replaceme",
    "replace_me",
    "replace-me",
    "cambiame",
    "password",
    "passwd",
    "pass",
    "pwd",
    "contrasena",
    "clave",
    "secret",
    "secreto",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "example",
    "dummy",
    "foo",
    "bar",
    "foobar",
    "todo",
    "tbd",
    "tbc",
    "fixme",
    "placeholder",
    "xxx",
    "valor",
    "value",
    "pendiente",
];

/// Values that are settings, not secrets.
const KEYWORDS: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "si",
    "on",
    "off",
    "null",
    "nil",
    "none",
    "ninguna",
    "ninguno",
    "n/a",
    "na",
    "required",
    "optional",
    "obligatoria",
    "obligatorio",
    "opcional",
    "empty",
    "vacia",
    "vacio",
    "env",
    "file",
    "vault",
    "prompt",
    "stdin",
    "~",
];

/// Classifies a value written where a secret could be.
pub fn classify_value(v: &str) -> ValueKind {
    let v = v
        .trim()
        .trim_matches(|c| c == '`' || c == '"' || c == '\'')
        .trim();
    if v.is_empty() {
        return ValueKind::Empty;
    }
    let lower = normalize(v);
    let reference_prefixes = [
        "$",
        "%",
        "<%",
        "!",
        "/",
        "./",
        "../",
        "~/",
        "@",
        "file:",
        "env:",
        "vault:",
        "op://",
        "arn:",
        "enc[",
        "secret/",
        "kv/",
        "process.env",
        "os.environ",
        "secrets.",
        "http://",
        "https://",
    ];
    if reference_prefixes.iter().any(|p| lower.starts_with(p))
        || v.contains("${")
        || v.contains("$(")
        || v.contains("{{")
    {
        return ValueKind::Reference;
    }
    if v.contains("...")
        || v.contains('…')
        || lower.contains("redact")
        || lower.contains("oculta")
        || lower.contains("omitid")
    {
        return ValueKind::Redacted;
    }
    if v.chars().all(|c| "*•·xX#._-".contains(c)) {
        return ValueKind::Redacted;
    }
    let wrapped = |a: char, b: char| v.len() >= 2 && v.starts_with(a) && v.ends_with(b);
    if wrapped('<', '>') || wrapped('[', ']') || wrapped('{', '}') || wrapped('(', ')') {
        return ValueKind::Placeholder;
    }
    if PLACEHOLDER_WORDS.contains(&lower.as_str())
        || lower.starts_with("your")
        || lower.starts_with("tu_")
        || lower.starts_with("tu-")
        || lower.ends_with("here")
        || lower.ends_with("aqui")
        || lower.contains("example")
        || lower.contains("changeme")
        || lower.contains("xxxx")
    {
        return ValueKind::Placeholder;
    }
    if KEYWORDS.contains(&lower.as_str()) {
        return ValueKind::Keyword;
    }
    // An environment variable's name (`DB_PASSWORD`), not its value.
    if v.contains('_')
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return ValueKind::Reference;
    }
    ValueKind::Literal
}

/// Does a variable, key, header or flag with this name hold a secret? `PGPASSWORD`,
/// `client_secret`, `X-API-Key`, `--token`, `Contraseña` do; `PASSWORD_FILE`, `password_encryption`,
/// `PWD`, `NEXT_PUBLIC_ANON_KEY` do not.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.trim_matches(|c: char| c == '-' || c == '"' || c == '\'' || c.is_whitespace());
    let lower = normalize(name);
    let compact: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    if compact.is_empty() || compact == "pwd" || compact == "oldpwd" {
        return false;
    }
    if ["nextpublic", "vite", "reactapp", "public", "expopublic"]
        .iter()
        .any(|p| compact.starts_with(p))
    {
        return false;
    }
    const ENDINGS: &[&str] = &[
        "password",
        "passwd",
        "contrasena",
        "secret",
        "secreto",
        "token",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "encryptionkey",
        "signingkey",
        "masterkey",
        "servicerolekey",
        "servicekey",
        "authkey",
        "licensekey",
        "clave",
        "claveapi",
        "credentials",
        "credential",
        "credenciales",
        "passphrase",
        "secretkeybase",
        // PagerDuty's Events API keys: whoever has one can page the on-call.
        "routingkey",
        "integrationkey",
    ];
    if ENDINGS.iter().any(|e| compact.ends_with(e)) {
        return true;
    }
    lower == "pass"
        || ["_pass", "-pass", ".pass", "_pwd", "-pwd"]
            .iter()
            .any(|e| lower.ends_with(e))
        || compact == "mysqlpwd"
}

/// What a secret held under this name is called in a message: "token", "key", "secret" or
/// "password".
pub fn kind_of_name(name: &str) -> &'static str {
    let compact: String = normalize(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if compact.ends_with("token") {
        "token"
    } else if compact.ends_with("key")
        || compact.ends_with("keybase")
        || compact.ends_with("claveapi")
    {
        "key"
    } else if compact.ends_with("secret") || compact.ends_with("secreto") {
        "secret"
    } else if compact.ends_with("credentials")
        || compact.ends_with("credential")
        || compact.ends_with("credenciales")
    {
        "credential"
    } else {
        "password"
    }
}

/// A value that looks like a password even in prose: six or more characters, no spaces, a letter
/// and a digit or symbol (`Sup3rS3creta`, `s3cret!`, not `Madrid` nor `stored`).
pub fn looks_like_password(v: &str) -> bool {
    let n = v.chars().count();
    let letter = v.chars().any(char::is_alphabetic);
    let other = v
        .chars()
        .any(|c| c.is_ascii_digit() || (c.is_ascii_punctuation() && c != '.'));
    (6..=128).contains(&n) && !v.chars().any(char::is_whitespace) && letter && other
}

/// Is a Slack incoming-webhook path (`T…/B…/…` after `/services/`) a real one?
pub fn slack_webhook_path_is_real(path: &str) -> bool {
    static REAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}$").unwrap());
    REAL.is_match(path) && !looks_fake(path)
}

/// Tokens that have the shape of a credential but are obviously made up.
fn looks_fake(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.contains("xxxx")
        || lower.contains("example")
        || lower.contains("your")
        || lower.contains("0000000000")
        || lower.contains("1234567890")
        || lower.contains("abcdefgh")
        || s.contains("...")
        || s.contains('…')
}

/// Byte ranges of the runbook outside code blocks (prose, lists, tables, HTML comments), in order.
pub fn outside_code(runbook: &Runbook) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(runbook.blocks.len() + 1);
    let mut pos = 0;
    for b in &runbook.blocks {
        if b.span.start > pos {
            out.push(pos..b.span.start);
        }
        pos = pos.max(b.span.end);
    }
    if pos < runbook.text().len() {
        out.push(pos..runbook.text().len());
    }
    out
}

/// Byte ranges of `<!-- … -->` comments in a piece of text.
pub fn html_comments(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = find_comment_open(text, from) {
        let end = text[start + 4..]
            .find("-->")
            .map_or(text.len(), |j| start + 4 + j + 3);
        out.push(start..end);
        from = end;
    }
    out
}

/// Where the next `<!--` at or after `from` starts: a memchr for `<` (rare in prose), then a
/// comparison, instead of a substring search over every gap.
fn find_comment_open(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let start = at + text[at..].find('<')?;
        if text[start..].starts_with("<!--") {
            return Some(start);
        }
        at = start + 1;
    }
}

/// Where in a runbook's text a detector can match at all: the matches of a looser pattern (a
/// gate) over the whole text, found in one pass instead of one search per gap and per code block,
/// most of which find nothing.
///
/// The gate must match inside every match of its detector (a literal every match holds, or the
/// detector without its `\b`s) and never match a line break. Then a detector match in a gap (a
/// slice of the text), or in a line of a code block's body whose lines are copies of the text
/// (`Snippet::lines_are_verbatim`), holds a gate match that is in the runbook's text too, within
/// the gap or the block. A piece that no gate match overlaps cannot hold a detector match and the
/// detector is not run on it; on the others it runs as before, so what is found does not change.
pub struct Candidates(Option<Vec<Range<usize>>>);

impl Candidates {
    pub fn find(gate: &Regex, text: &str) -> Self {
        Self(Some(gate.find_iter(text).map(|m| m.range()).collect()))
    }

    /// No gate: the detector runs everywhere.
    pub fn everywhere() -> Self {
        Self(None)
    }

    /// Could a detector match inside `piece` (a byte range of the runbook's text)? A gate match
    /// that starts in it, or one that starts before it and hides one in it, overlaps it.
    pub fn touch(&self, piece: &Range<usize>) -> bool {
        let Some(found) = &self.0 else { return true };
        let i = found.partition_point(|m| m.end <= piece.start);
        found.get(i).is_some_and(|m| m.start < piece.end)
    }
}

/// A runbook's text with its ASCII letters lower-cased (every offset the same), where the gates of
/// case-insensitive detectors are plain lower-case literals: a fast literal search instead of a
/// case-insensitive one (several times slower).
pub struct Folded {
    text: String,
    /// The text has `ſ` or the Kelvin sign, which `(?i)` patterns take for `s` and `k`: lower-case
    /// literals would miss those matches, so there are no gates.
    exotic: bool,
}

impl Folded {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_ascii_lowercase(), exotic: text.contains('\u{17F}') || text.contains('\u{212A}') }
    }

    /// Where a `(?i)` detector could match; `gate` is a case-sensitive pattern of lower-case
    /// literals, one inside every match of the detector once its ASCII letters are lower-cased.
    pub fn candidates(&self, gate: &Regex) -> Candidates {
        if self.exotic {
            Candidates::everywhere()
        } else {
            Candidates::find(gate, &self.text)
        }
    }
}

/// Sorts items by where they start and drops every item that overlaps one kept before it. Ties
/// keep insertion order, so detectors pushed first win.
pub fn keep_first_non_overlapping<T>(items: &mut Vec<T>, span: impl Fn(&T) -> &Range<usize>) {
    items.sort_by_key(|i| span(i).start);
    let mut end = 0;
    items.retain(|i| {
        let s = span(i);
        let keep = !s.is_empty() && s.start >= end;
        if keep {
            end = s.end;
        }
        keep
    });
}

/// Does `text` hold a word written in lower, upper or title case (`[lower, upper, title]`)?
fn contains_either_case(text: &str, cases: [&str; 3]) -> bool {
    cases.iter().any(|w| text.contains(w))
}

const PASSWORD: [&str; 3] = ["password", "PASSWORD", "Password"];
const IDENTIFIED: [&str; 3] = ["identified", "IDENTIFIED", "Identified"];
const CONTRASE: [&str; 3] = ["contrase", "CONTRASE", "Contrase"];
const CLAVE: [&str; 3] = ["clave", "CLAVE", "Clave"];

/// The detectors of [`scan`] that [`SecretGates`] can skip. The others are skipped by a cheap
/// substring test on the piece itself (`://`, `Authorization`, `value:`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detector {
    Tokens,
    /// `ASSIGNMENT` and `LONG_FLAG`: a secret word (`pass`, `token`, `key`, ...) in any case.
    SecretWord,
}

/// Where in a runbook the costly detectors of [`scan`] could match (see [`Candidates`]), found
/// once per runbook for [`scan_piece`] on its gaps and code blocks.
pub struct SecretGates {
    tokens: Candidates,
    secret_words: Candidates,
}

impl SecretGates {
    pub fn new(text: &str) -> Self {
        // `TOKENS` without its `\b`s; its private key header holds spaces, but no line break.
        static TOKENS_GATE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(&TOKENS.as_str().replace(r"(?-u:\b)", "")).unwrap());
        // The secret words of `ASSIGNMENT` and `LONG_FLAG` (`passw(?:or)?d` holds `pass`,
        // `contrase(?:ñ|n)a` holds `contrase`, ...), lower-cased.
        static SECRET_WORD_GATE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new("pass|pwd|secret|token|key|contrase|clave|credenci|credenti").unwrap()
        });
        Self {
            tokens: Candidates::find(&TOKENS_GATE, text),
            secret_words: Folded::new(text).candidates(&SECRET_WORD_GATE),
        }
    }

    fn touch(&self, detector: Detector, piece: &Range<usize>) -> bool {
        match detector {
            Detector::Tokens => self.tokens.touch(piece),
            Detector::SecretWord => self.secret_words.touch(piece),
        }
    }
}

fn push(out: &mut Vec<SecretMatch>, span: Range<usize>, what: &'static str, place: String) {
    out.push(SecretMatch { span, what, place });
}

/// Finds every hard-coded secret in `text`: credential-shaped tokens (AWS, GitHub, Slack, Stripe,
/// JWT, private key blocks), passwords in URLs, headers, command flags, SQL and `NAME=value` /
/// `name: value` pairs whose name holds a secret. Returned in order, never overlapping.
pub fn scan(text: &str, cx: Context) -> Vec<SecretMatch> {
    scan_where(text, cx, &|_| true)
}

/// [`scan`] on a piece of a runbook with the runbook's gates: the same matches, with the gated
/// detectors run only if their gates touch the piece. `piece` is where `text` is in the runbook
/// (a gap, or the code block `text` is the body of); `None` runs every detector (a block body
/// whose lines are not copies of the runbook's, see `Snippet::lines_are_verbatim`).
pub fn scan_piece(
    text: &str,
    cx: Context,
    gates: &SecretGates,
    piece: Option<&Range<usize>>,
) -> Vec<SecretMatch> {
    match piece {
        Some(piece) => scan_where(text, cx, &|d| gates.touch(d, piece)),
        None => scan(text, cx),
    }
}

fn scan_where(text: &str, cx: Context, may: &dyn Fn(Detector) -> bool) -> Vec<SecretMatch> {
    // Each detector needs a character or word its pattern cannot match without; looking for it
    // first (a fast substring search) skips most detectors on most blocks.
    let mut out = Vec::new();
    if may(Detector::Tokens) {
        scan_tokens(text, &mut out);
    }
    if text.contains("://") && text.contains('@') {
        scan_urls(text, &mut out);
    }
    scan_headers(text, &mut out);
    scan_commands(text, may, &mut out);
    if cx == Context::Code {
        if contains_either_case(text, PASSWORD) || contains_either_case(text, IDENTIFIED) {
            scan_sql(text, &mut out);
        }
        if text.contains("value:") {
            scan_k8s_env(text, &mut out);
        }
    }
    if may(Detector::SecretWord) && text.contains([':', '=']) {
        scan_assignments(text, cx, &mut out);
    }
    if cx == Context::Prose
        && [PASSWORD, CONTRASE, CLAVE].into_iter().any(|w| contains_either_case(text, w))
    {
        scan_prose_is(text, &mut out);
    }
    keep_first_non_overlapping(&mut out, |m| &m.span);
    out
}

static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<pk>-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)",
        r"|(?P<aws>(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b))",
        r"|(?P<gh>(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255})(?-u:\b))",
        r"|(?P<gl>(?-u:\b)glpat-[A-Za-z0-9_-]{20,})",
        r"|(?P<slack>(?-u:\b)xox[abposr]-[A-Za-z0-9-]{20,})",
        r"|(?P<slackhook>https://hooks\.slack\.com/services/)",
        r"|(?P<discord>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/)",
        r"|(?P<stripe>(?-u:\b)(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})",
        r"|(?P<whsec>(?-u:\b)whsec_[A-Za-z0-9+/=]{24,})",
        r"|(?P<openai>(?-u:\b)sk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_-]{32,})",
        r"|(?P<sendgrid>(?-u:\b)SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,})",
        r"|(?P<google>(?-u:\b)AIza[0-9A-Za-z_-]{35})",
        r"|(?P<npm>(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b))",
        r"|(?P<vault>(?-u:\b)hvs\.[A-Za-z0-9_-]{24,})",
        r"|(?P<jwt>(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,})",
    ))
    .unwrap()
});

const TOKEN_KINDS: &[(&str, &str)] = &[
    ("aws", "AWS access key"),
    ("gh", "GitHub token"),
    ("gl", "GitLab token"),
    ("slack", "Slack token"),
    ("stripe", "Stripe secret key"),
    ("whsec", "webhook signing secret"),
    ("openai", "API key"),
    ("sendgrid", "SendGrid API key"),
    ("google", "Google API key"),
    ("npm", "npm token"),
    ("vault", "Vault token"),
];

fn scan_tokens(text: &str, out: &mut Vec<SecretMatch>) {
    for caps in TOKENS.captures_iter(text) {
        let m = caps.get(0).unwrap();
        if caps.name("pk").is_some() {
            if let Some(body) = private_key_body(text, m.end()) {
                let kind = m
                    .as_str()
                    .trim_matches('-')
                    .trim_start_matches("BEGIN ")
                    .to_string();
                push(out, body, "private key", format!("(`{kind}` block)"));
            }
        } else if caps.name("slackhook").is_some() || caps.name("discord").is_some() {
            let len = text[m.end()..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-'))
                .unwrap_or(text.len() - m.end());
            let path = &text[m.end()..m.end() + len];
            let path = path.trim_end_matches('/');
            let real = if caps.name("slackhook").is_some() {
                slack_webhook_path_is_real(path)
            } else {
                static DISCORD: LazyLock<Regex> =
                    LazyLock::new(|| Regex::new(r"^\d{15,}/[A-Za-z0-9_-]{40,}$").unwrap());
                DISCORD.is_match(path) && !looks_fake(path)
            };
            if real {
                let what = if caps.name("slackhook").is_some() {
                    "Slack webhook URL"
                } else {
                    "Discord webhook URL"
                };
                push(out, m.end()..m.end() + path.len(), what, String::new());
            }
        } else if caps.name("jwt").is_some() {
            if !looks_fake(m.as_str()) && !jwt_is_public(m.as_str()) {
                push(out, m.range(), "JWT", String::new());
            }
        } else if let Some((_, what)) = TOKEN_KINDS.iter().find(|(g, _)| caps.name(g).is_some()) {
            let s = m.as_str();
            let needs_digit = caps.name("slack").is_some() || caps.name("openai").is_some();
            if !looks_fake(s) && (!needs_digit || s.chars().any(|c| c.is_ascii_digit())) {
                push(out, m.range(), what, String::new());
            }
        }
    }
}

/// The key material after a `-----BEGIN … PRIVATE KEY-----` line, if there is real material (a
/// base64 line of 40 or more characters), not `...` or a description.
fn private_key_body(text: &str, after_begin: usize) -> Option<Range<usize>> {
    let rest = &text[after_begin..];
    let end = rest
        .find("-----END")
        .or_else(|| rest.find("\n\n"))
        .unwrap_or(rest.len());
    let body = &rest[..end];
    let real = body.lines().any(|l| {
        let l = l.trim().trim_start_matches('>').trim();
        l.len() >= 40
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
    });
    if !real {
        return None;
    }
    let lead = body.len() - body.trim_start().len();
    let trimmed = body.trim();
    Some(after_begin + lead..after_begin + lead + trimmed.len())
}

/// A Supabase `anon` key is a JWT meant to be public: it is not a leaked secret.
fn jwt_is_public(jwt: &str) -> bool {
    let Some(payload) = jwt.split('.').nth(1) else {
        return false;
    };
    let decoded = base64url_decode(payload);
    let s = String::from_utf8_lossy(&decoded);
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("\"role\":\"anon\"")
}

fn base64url_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => break,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

static URL_CREDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)([a-z][a-z0-9+.-]{1,20})://([^\s:/@'`<>\[\]|]*):([^\s@/'`<>|]+)@[^\s/@]",
    )
    .unwrap()
});

fn scan_urls(text: &str, out: &mut Vec<SecretMatch>) {
    for caps in URL_CREDS.captures_iter(text) {
        let pass = caps.get(3).unwrap();
        let value = pass.as_str().trim_matches('"');
        if classify_value(value) == ValueKind::Literal && value.chars().count() >= 3 {
            let scheme = caps[1].to_ascii_lowercase();
            push(
                out,
                pass.range(),
                "password",
                format!("in a `{scheme}://` URL"),
            );
        }
    }
}

static AUTH_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)((?:proxy-)?authorization)[ \t]*:[ \t]*(bearer|basic|token|bot|apikey|key)[ \t]+([^\s'`\\]+)").unwrap()
});
static API_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:-H|--header)[ \t]*=?[ \t]*['"]?([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*([^\s'"`\\]+)"#,
    )
    .unwrap()
});

fn scan_headers(text: &str, out: &mut Vec<SecretMatch>) {
    let auth = text.contains("uthorization") || text.contains("UTHORIZATION");
    if auth {
        for caps in AUTH_HEADER.captures_iter(text) {
            let v = caps.get(3).unwrap();
            let value = v.as_str().trim_end_matches('"');
            if classify_value(value) == ValueKind::Literal && value.len() >= 8 {
                let scheme = &caps[2];
                push(
                    out,
                    v.start()..v.start() + value.len(),
                    "credential",
                    format!("in an `Authorization: {scheme}` header"),
                );
            }
        }
    }
    let header = text.contains("-H") || text.contains("--header");
    if header {
        for caps in API_HEADER.captures_iter(text) {
            let name = caps.get(1).unwrap().as_str();
            let compact: String = name
                .to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            let secret = !compact.contains("authorization")
                && ["apikey", "token", "secret", "password", "accesskey", "auth"]
                    .iter()
                    .any(|w| compact.contains(w));
            let v = caps.get(2).unwrap();
            if secret && classify_value(v.as_str()) == ValueKind::Literal && v.len() >= 8 {
                push(out, v.range(), "API key", format!("in the `{name}` header"));
            }
        }
    }
}

/// Where a command ends: a newline not escaped with `\`, a pipe, `;`, `&&` or a backtick.
fn command_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' if i == 0 || bytes[i - 1] != b'\\' => return i,
            b'|' | b';' | b'&' | b'`' => return i,
            _ => i += 1,
        }
    }
    i
}

/// Splits a command line on blanks, keeping quoted strings whole. Ranges are into `text`.
fn words(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        while i < range.end && (bytes[i].is_ascii_whitespace() || bytes[i] == b'\\') {
            i += 1;
        }
        if i >= range.end {
            break;
        }
        let start = i;
        let mut quote = None;
        while i < range.end {
            let c = bytes[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'"' || c == b'\'' => quote = Some(c),
                None if c.is_ascii_whitespace() => break,
                None => {}
            }
            i += 1;
        }
        out.push(start..i);
    }
    out
}

/// A word with its surrounding quotes removed.
fn unquote(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    if s.len() >= 2
        && (s.starts_with('"') && s.ends_with('"') || s.starts_with('\'') && s.ends_with('\''))
    {
        r.start + 1..r.end - 1
    } else {
        r
    }
}

static COMMANDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(mysql(?:dump|admin|sh|import|check)?|mariadb(?:-dump|-admin)?|redis-cli|docker login|sshpass|mongo(?:sh|dump|restore)?|curl|openssl)(?-u:\b)").unwrap()
});
static REDIS_AUTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t>$]*(?:[\w.:-]*>[ \t]*)?AUTH[ \t]+(\S+)(?:[ \t]+(\S+))?[ \t]*$").unwrap()
});
static LONG_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)--([a-z0-9-]*?(?:passw(?:or)?d|pass|token|api-?key|secret(?:-key)?|access-key|passphrase))[ \t]+").unwrap()
});

fn literal_value(text: &str, r: &Range<usize>) -> bool {
    let v = &text[r.clone()];
    classify_value(v) == ValueKind::Literal && v.chars().count() >= 3
}

fn scan_commands(text: &str, may: &dyn Fn(Detector) -> bool, out: &mut Vec<SecretMatch>) {
    for m in COMMANDS.find_iter(text) {
        let cmd = m.as_str();
        let args = words(text, m.end()..command_end(text, m.end()));
        for (i, w) in args.iter().enumerate() {
            let word = &text[w.clone()];
            let next = args.get(i + 1).map(|n| unquote(text, n.clone()));
            let found: Option<(Range<usize>, &str)> =
                if cmd.starts_with("mysql") || cmd.starts_with("mariadb") {
                    (word.starts_with("-p") && word.len() > 2)
                        .then(|| (unquote(text, w.start + 2..w.end), "-p"))
                } else if cmd == "redis-cli" {
                    match word {
                        "-a" => next.map(|n| (n, "redis-cli -a")),
                        "AUTH" | "auth" => {
                            let last = args.get(i + 2).map(|n| unquote(text, n.clone())).or(next);
                            last.map(|n| (n, "redis-cli AUTH"))
                        }
                        _ => None,
                    }
                } else if cmd == "docker login" || cmd.starts_with("mongo") {
                    (word == "-p").then_some(next).flatten().map(|n| (n, "-p"))
                } else if cmd == "sshpass" {
                    if word == "-p" {
                        next.map(|n| (n, "sshpass -p"))
                    } else if word.starts_with("-p") && word.len() > 2 {
                        Some((unquote(text, w.start + 2..w.end), "sshpass -p"))
                    } else {
                        None
                    }
                } else if cmd == "curl" {
                    match word {
                        "-u" | "--user" => next.and_then(|n| {
                            let colon = text[n.clone()].find(':')?;
                            Some((n.start + colon + 1..n.end, "curl -u"))
                        }),
                        _ => None,
                    }
                } else if cmd == "openssl" {
                    let inner = unquote(text, w.clone());
                    text[inner.clone()]
                        .strip_prefix("pass:")
                        .map(|_| (inner.start + 5..inner.end, "openssl pass:"))
                } else {
                    None
                };
            if let Some((r, flag)) = found {
                if !text[r.clone()].starts_with('-') && literal_value(text, &r) {
                    push(out, r, "password", format!("in `{flag}`"));
                }
            }
        }
    }
    if text.contains("AUTH") {
        for caps in REDIS_AUTH.captures_iter(text) {
            let line_start = text[..caps.get(0).unwrap().start()]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let line = &text[line_start..caps.get(0).unwrap().end()];
            if !(line.contains('>') || line.trim_start().starts_with("AUTH")) {
                continue;
            }
            let v = caps.get(2).or_else(|| caps.get(1)).unwrap().range();
            let v = unquote(text, v);
            if literal_value(text, &v) {
                push(out, v, "password", "in `AUTH`".to_string());
            }
        }
    }
    if may(Detector::SecretWord) && text.contains("--") {
        for caps in LONG_FLAG.captures_iter(text) {
            let m = caps.get(0).unwrap();
            if m.start() > 0
                && !matches!(
                    text.as_bytes()[m.start() - 1],
                    b' ' | b'\t' | b'\n' | b'"' | b'\''
                )
            {
                continue;
            }
            let flag = caps.get(1).unwrap().as_str();
            if !is_secret_name(flag) {
                continue;
            }
            let end = command_end(text, m.end());
            if let Some(first) = words(text, m.end()..end).first() {
                let v = unquote(text, first.clone());
                if first.start == m.end()
                    && !text[v.clone()].starts_with('-')
                    && literal_value(text, &v)
                {
                    push(out, v, kind_of_name(flag), format!("in `--{flag}`"));
                }
            }
        }
    }
}

static SQL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)(?-u:\b)(?:ALTER|CREATE)\s+(?:USER|ROLE)(?-u:\b)[^;]{0,200}?(?-u:\b)(?:PASSWORD|IDENTIFIED\s+BY)\s+'([^'\n]+)'").unwrap()
});

fn scan_sql(text: &str, out: &mut Vec<SecretMatch>) {
    for caps in SQL_PASSWORD.captures_iter(text) {
        let v = caps.get(1).unwrap();
        let s = v.as_str();
        let hashed = s.starts_with("SCRAM-SHA-256$") || (s.starts_with("md5") && s.len() == 35);
        if !hashed && literal_value(text, &v.range()) {
            push(
                out,
                v.range(),
                "password",
                "in SQL `PASSWORD '…'`".to_string(),
            );
        }
    }
}

static K8S_ENV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u:\b)name:[ \t]*["']?([A-Za-z_][A-Za-z0-9_]*)["']?[ \t]*\r?\n[ \t]*(?:-[ \t]+)?value:[ \t]*"#).unwrap()
});

fn scan_k8s_env(text: &str, out: &mut Vec<SecretMatch>) {
    for caps in K8S_ENV.captures_iter(text) {
        let name = &caps[1];
        if !is_secret_name(name) {
            continue;
        }
        if let Some(v) = value_after(text, caps.get(0).unwrap().end(), Context::Code) {
            if literal_value(text, &v) {
                push(out, v, kind_of_name(name), format!("in `{name}`"));
            }
        }
    }
}

/// The value that starts at `from` (after a separator): a quoted string, or a bare word.
fn value_after(text: &str, from: usize, cx: Context) -> Option<Range<usize>> {
    let rest = &text[from..];
    let skip = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let start = from + skip;
    let rest = &text[start..];
    let first = rest.chars().next()?;
    if first == '"' || first == '\'' {
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let close = rest[1..line_end].find(first).map_or(line_end, |i| i + 1);
        return Some(start + 1..start + close);
    }
    let stops: &[char] = match cx {
        Context::Code => &['\'', '"', '`', ';', '&', '|', ')', '<', '>'],
        Context::Prose => &[
            '\'', '"', '`', ';', '&', '|', ')', '(', '<', '>', ',', '*', '[', ']',
        ],
    };
    let len = rest
        .find(|c: char| c.is_whitespace() || stops.contains(&c))
        .unwrap_or(rest.len());
    let mut v = &rest[..len];
    v = v.trim_end_matches([',', ';']);
    // Sentence punctuation after a bare word in prose; inside inline code it is part of the value.
    if cx == Context::Prose && !rest[len..].starts_with('`') {
        v = v.trim_end_matches(['.', ':']);
    }
    Some(start..start + v.len())
}

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:passw(?:or)?d|pass|pwd|secreto?|token|key|contrase(?:ñ|n)a|clave|credentials?|credenciales|passphrase)["']?[ \t]*[:=]"#)
        .unwrap()
});

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

fn scan_assignments(text: &str, cx: Context, out: &mut Vec<SecretMatch>) {
    for m in ASSIGNMENT.find_iter(text) {
        // The whole name the secret word ends.
        let word_end = m.as_str().find(['"', '\'', ' ', '\t', ':', '=']).unwrap() + m.start();
        if text[word_end..].starts_with(|c: char| is_key_char(c)) {
            continue;
        }
        let key_start = text[..m.start()]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_key_char(c))
            .last()
            .map_or(m.start(), |(i, _)| i);
        let key = &text[key_start..word_end];
        if key.len() > 64 || !is_secret_name(key) {
            continue;
        }
        let before = text[..key_start].chars().next_back();
        if matches!(before, Some('$' | '{' | '%')) {
            continue;
        }
        let sep = m.end() - 1;
        let after = text[m.end()..].chars().next();
        match text.as_bytes()[sep] {
            b':' => {
                if !matches!(
                    after,
                    None | Some(' ' | '\t' | '"' | '\'' | '\n' | '\r' | '`')
                ) {
                    continue;
                }
            }
            _ => {
                if matches!(after, Some('=' | '>' | '~'))
                    || matches!(text[..sep].chars().next_back(), Some('!' | '<' | '>'))
                {
                    continue;
                }
            }
        }
        // A backtick right after the separator opens inline code in prose: read inside it.
        let from = if cx == Context::Prose {
            let rest = &text[m.end()..];
            let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            if rest[ws..].starts_with('`') {
                m.end() + ws + 1
            } else {
                m.end()
            }
        } else {
            m.end()
        };
        let Some(v) = value_after(text, from, cx) else {
            continue;
        };
        let value = &text[v.clone()];
        let strong_enough = match cx {
            Context::Code => value.chars().count() >= 3,
            Context::Prose => looks_like_password(value),
        };
        if classify_value(value) == ValueKind::Literal && strong_enough {
            let key = key.trim_start_matches('-');
            push(out, v, kind_of_name(key), format!("in `{key}`"));
        }
    }
}

static PROSE_IS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(password|contrase(?:ñ|n)a|clave)(?:[ \t]+(?:de|del|de la|for|of|para)[ \t]+[\w.-]+)?[ \t]+(?:es|is)[ \t]*:?[ \t]*`?").unwrap()
});

fn scan_prose_is(text: &str, out: &mut Vec<SecretMatch>) {
    for caps in PROSE_IS.captures_iter(text) {
        let Some(v) = value_after(text, caps.get(0).unwrap().end(), Context::Prose) else {
            continue;
        };
        let value = &text[v.clone()];
        if classify_value(value) == ValueKind::Literal && looks_like_password(value) {
            push(out, v, "password", format!("after “{} is”", &caps[1]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, cx: Context) -> Vec<&str> {
        scan(text, cx).into_iter().map(|m| &text[m.span]).collect()
    }

    #[test]
    fn names_that_hold_secrets() {
        for n in [
            "PGPASSWORD",
            "client_secret",
            "X-API-Key",
            "--token",
            "Contraseña",
            "DB_ENCRYPTION_KEY",
            "REDIS_PASS",
            "jwtSecret",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "PASSWORD_FILE",
            "password_encryption",
            "PWD",
            "NEXT_PUBLIC_SUPABASE_ANON_KEY",
            "primary_key",
            "bypass",
            "token_ttl",
            "secretKeyRef",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn values() {
        use ValueKind::*;
        for (v, k) in [
            ("$PGPASSWORD", Reference),
            ("${API_KEY}", Reference),
            ("\"$(cat /run/secrets/db)\"", Reference),
            ("${{ secrets.DB }}", Reference),
            ("{{ vault_db_password }}", Reference),
            ("<password>", Placeholder),
            ("changeme", Placeholder),
            ("your-token-here", Placeholder),
            ("****", Redacted),
            ("•••••", Redacted),
            ("[REDACTED]", Redacted),
            ("eyJhbGciOi...", Redacted),
            ("DB_PASSWORD", Reference),
            ("true", Keyword),
            ("s3cret", Literal),
        ] {
            assert_eq!(classify_value(v), k, "{v}");
        }
    }

    #[test]
    fn commands() {
        let t = "PGPASSWORD=Pg4dm1n psql -h db\nredis-cli -h cache -a 'R3d1sPass' PING\nmysql -uroot -pMyS3cret shop\n\
                 mysql -u root -p shop\ncurl -u ops:Gr4fana! https://g/api\ncurl -u ops https://g/api\n\
                 docker login -u ci -p Dk3rH0b registry\nexport API_KEY=sk_live_51HxQ2aLkdjf83hfJdkq9\n";
        assert_eq!(
            found(t, Context::Code),
            [
                "Pg4dm1n",
                "R3d1sPass",
                "MyS3cret",
                "Gr4fana!",
                "Dk3rH0b",
                "sk_live_51HxQ2aLkdjf83hfJdkq9"
            ]
        );
    }

    #[test]
    fn references_are_not_secrets() {
        let t = "PGPASSWORD=\"$PGPASSWORD\" psql\nexport API_KEY=${API_KEY}\nDB_PASS=\"$(cat /run/secrets/db)\"\n\
                 password: ${{ secrets.DB_PASSWORD }}\nredis-cli -a \"$REDIS_PASSWORD\" ping\n\
                 curl -H \"Authorization: Bearer $TOKEN\" https://x\ncurl -H 'apikey: <anon-key>' https://x\n\
                 POSTGRES_PASSWORD_FILE=/run/secrets/pg\nif [ \"$PASSWORD\" == \"\" ]; then exit 1; fi\n\
                 password_encryption = 'scram-sha-256'\npsql \"postgres://app:${DB_PASS}@db/shop\"\n\
                 mysql -u root -p shop\ndocker login --password-stdin\n";
        assert_eq!(found(t, Context::Code), Vec::<&str>::new());
    }

    #[test]
    fn urls_headers_and_tokens() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS0xMjM0NQ";
        let t = format!(
            "psql postgres://app:Sh0pDb2024@db:5432/shop\ncurl -H \"Authorization: Bearer {jwt}\" x\n\
             curl -H 'X-Api-Key: 9f8e7d6c5b4a3210' x\nAKIAQ3EGRT5YHN7JK2LM\nghp_aB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA3bC5\n"
        );
        assert_eq!(
            found(&t, Context::Code),
            [
                "Sh0pDb2024",
                jwt,
                "9f8e7d6c5b4a3210",
                "AKIAQ3EGRT5YHN7JK2LM",
                "ghp_aB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA3bC5"
            ]
        );
        // The Supabase anon key is public by design; the AWS documentation key is an example.
        let anon = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS0xMjM0NQ";
        assert!(found(
            &format!("ANON={anon}\nAKIAIOSFODNN7EXAMPLE\n"),
            Context::Code
        )
        .is_empty());
    }

    #[test]
    fn private_key_body_only_when_real() {
        let t = "-----BEGIN OPENSSH PRIVATE KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5\nQyNTUx\n-----END OPENSSH PRIVATE KEY-----\n";
        let m = scan(t, Context::Code);
        assert_eq!(m.len(), 1);
        assert!(
            t[m[0].span.clone()].starts_with("QUJD") && t[m[0].span.clone()].ends_with("QyNTUx")
        );
        assert!(scan(
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
            Context::Code
        )
        .is_empty());
    }

    #[test]
    fn prose_needs_a_password_looking_value() {
        assert_eq!(
            found("usuario: admin, contraseña: Sup3rS3creta.", Context::Prose),
            ["Sup3rS3creta"]
        );
        assert_eq!(
            found("La contraseña de Grafana es `Gr4f4n4!`", Context::Prose),
            ["Gr4f4n4!"]
        );
        assert!(found(
            "Password: stored in Vault. La clave está en Vault: secret/data/app",
            Context::Prose
        )
        .is_empty());
        assert!(found(
            "Token: se renueva cada 90 días. Contraseña: la del gestor.",
            Context::Prose
        )
        .is_empty());
    }
}
