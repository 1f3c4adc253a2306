use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::lint::secrets::{self, normalize, Candidates};
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::{CodeBlock, Lang, Table};

declare_rule! {
    /// ## What it does
    /// Finds placeholders left where a real value belongs:
    ///
    /// - anywhere: `[Teléfono]`, `[Nombre]` and other bracketed blanks, phone numbers with `X`
    ///   digits (`+34 6XX XXX XXX`), `your-webhook-here`, `YOUR_API_KEY`, `tu-token`, `/path/to/…`,
    ///   Slack webhook URLs with made-up parts (`…/services/XXX/YYY/ZZZ`);
    /// - in contact and escalation tables (a phone, e-mail, on-call or escalation column) and in
    ///   value columns: `TODO`, `TBD`, `FIXME`, `<nombre>`, `XXXXXXXX`, `name@example.com`; in
    ///   labelled lines (`Teléfono: TBD`, `Contraseña: <clave-correcta>`); rows holding only `...`;
    /// - in commands and config blocks: `changeme`, `KEY=TODO`, `example.com` hosts, and
    ///   `<placeholders>` that the runbook never explains.
    ///
    /// It stays silent on template parameters the runbook explains (“sustituye `<container>` por
    /// el nombre que muestra `docker ps`”, or a `# <pid>: …` comment in the block), on HTML tags,
    /// autolinks (`<https://…>`), generics (`Vec<u8>`), `<!-- comments -->`, tool output such as
    /// `<none>`, `2x` or `XL`, a `-` meaning "none", `TODO` notes in prose, and comment lines in
    /// code.
    ///
    /// ## Why is this bad?
    /// Runbooks are followed at 3 a.m. by someone who did not write them. A `[Teléfono]` in the
    /// escalation table means nobody gets called; a `changeme` copied into a command either fails
    /// or sets a password everybody knows; an unexplained `<clave-correcta>` sends the on-call
    /// hunting for a value while the incident runs.
    ///
    /// ## Example
    /// ```markdown
    /// | Rol | Nombre | Teléfono |
    /// |---|---|---|
    /// | Guardia DBA | [Nombre] | +34 6XX XXX XXX |
    ///
    /// redis-cli -a <clave-correcta> CONFIG GET maxmemory
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | Rol | Nombre | Teléfono |
    /// |---|---|---|
    /// | Guardia DBA | Marta Ibáñez | +34 611 204 377 |
    ///
    /// redis-cli -a "$(vault kv get -field=password secret/data/redis)" CONFIG GET maxmemory
    /// ```
    ///
    /// ## How to fix
    /// Write the real value, or say where it comes from: the on-call rota, the secret store path,
    /// the command that prints it. For a template parameter, explain it next to the command.
    pub struct Placeholder {
        code: "FD502",
        name: "placeholder",
        severity: Warning,
        summary: "A placeholder was left where a real value belongs",
    }
}

impl Rule for Placeholder {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        let text = rb.text();
        let mut hits = Hits::default();
        let gaps = secrets::outside_code(rb);
        let gates = Gates::new(text);
        for t in &rb.tables {
            check_table(text, t, &gates, &mut hits);
        }
        let mut explained: HashSet<String> = HashSet::new();
        for gap in &gaps {
            let g = &text[gap.clone()];
            for (_, inner) in angle_placeholders(g) {
                explained.insert(normalize(inner));
            }
            let comments = secrets::html_comments(g);
            check_prose(g, gap.clone(), &comments, &gates, &mut hits);
        }
        for b in &rb.blocks {
            check_block(b, &explained, &gates, &mut hits);
        }
        secrets::keep_first_non_overlapping(&mut hits.0, |h| &h.0);
        for (span, message, help) in hits.0 {
            out.push(Finding::new(span, message).help(help));
        }
    }
}

/// Findings collected so far; at the end, one overlapping an earlier one is dropped.
#[derive(Default)]
struct Hits(Vec<(Range<usize>, String, &'static str)>);

impl Hits {
    fn add(&mut self, span: Range<usize>, message: String, help: &'static str) {
        self.0.push((span, message, help));
    }
}

const HELP_FILL: &str =
    "write the real value, or where to find it (the on-call rota, the secret store path)";
const HELP_CONTACT: &str =
    "write the real contact, or link the on-call rota that has it: at 3 a.m. nobody can ask";
const HELP_EXPLAIN: &str = "say what goes there next to the command (\"replace `<x>` with …\"), or compute it in the command";
const HELP_CHANGEME: &str = "set the real value from the secret store; a default password copied from a runbook ends up in production";
const HELP_HOST: &str = "use the real host, or a variable the runbook sets earlier";
const HELP_WEBHOOK: &str =
    "put the real webhook in the secret store and reference it; alerts sent to this URL go nowhere";

// ---------------------------------------------------------------------------------------------
// Vocabulary.

/// Label words of a line or column that holds a value someone will use (a contact, a host, a
/// credential).
const VALUE_LABELS: &[&str] = &[
    "telefono",
    "tel",
    "tlf",
    "phone",
    "movil",
    "mobile",
    "whatsapp",
    "email",
    "e-mail",
    "mail",
    "correo",
    "contacto",
    "contact",
    "responsable",
    "owner",
    "on-call",
    "oncall",
    "guardia",
    "escalado",
    "escalation",
    "nombre",
    "name",
    "slack",
    "canal",
    "channel",
    "webhook",
    "url",
    "endpoint",
    "host",
    "hostname",
    "servidor",
    "server",
    "ip",
    "dominio",
    "domain",
    "usuario",
    "user",
    "password",
    "contrasena",
    "clave",
    "token",
    "bucket",
    "region",
    "cuenta",
    "account",
    "proveedor",
    "vendor",
    "soporte",
    "support",
    "acceso",
    "access",
    "credenciales",
    "credentials",
];

/// Column words that make a table a contact or escalation table.
const CONTACT_COLUMNS: &[&str] = &[
    "telefono",
    "tel",
    "tlf",
    "phone",
    "movil",
    "mobile",
    "whatsapp",
    "email",
    "e-mail",
    "correo",
    "contacto",
    "contact",
    "guardia",
    "on-call",
    "oncall",
    "escalado",
    "escalation",
    "escalamiento",
    "slack",
    "pager",
];

/// First words of a `[bracketed blank]`.
const BRACKET_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "telefono",
    "movil",
    "mobile",
    "cell",
    "numero",
    "number",
    "name",
    "nombre",
    "apellido",
    "apellidos",
    "surname",
    "email",
    "e-mail",
    "mail",
    "correo",
    "contacto",
    "contact",
    "usuario",
    "user",
    "username",
    "login",
    "password",
    "contrasena",
    "clave",
    "token",
    "url",
    "link",
    "enlace",
    "fecha",
    "date",
    "equipo",
    "team",
    "responsable",
    "owner",
    "persona",
    "person",
    "empresa",
    "company",
    "proveedor",
    "vendor",
    "direccion",
    "address",
    "cargo",
    "puesto",
    "role",
    "rol",
    "host",
    "hostname",
    "servidor",
    "server",
    "ip",
    "dominio",
    "domain",
    "todo",
    "tbd",
    "tbc",
    "fixme",
    "pendiente",
    "placeholder",
    "valor",
    "value",
    "insert",
    "inserta",
    "insertar",
    "anadir",
    "anade",
    "poner",
    "pon",
    "escribir",
    "escribe",
    "rellenar",
    "rellena",
    "completar",
    "completa",
    "your",
    "tu",
    "su",
    "fill",
    "add",
    "enter",
    "replace",
    "sustituir",
    "sustituye",
];

const HTML_TAGS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "article",
    "aside",
    "audio",
    "b",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "li",
    "link",
    "main",
    "mark",
    "meta",
    "nav",
    "ol",
    "option",
    "p",
    "picture",
    "pre",
    "q",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];

/// `<words>` that tools print or keyboards have: not placeholders.
const ANGLE_LITERALS: &[&str] = &[
    "none", "nil", "null", "empty", "unknown", "defunct", "pending", "invalid", "redacted",
    "omitted", "omitido", "enter", "intro", "return", "tab", "esc", "ctrl", "space", "eof",
    "stdin", "stdout", "stderr", "br",
];

// ---------------------------------------------------------------------------------------------
// Detectors over plain text.

static ANGLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<([\p{L}][\p{L}\p{N}_.-]*(?: [\p{L}\p{N}_.-]+){0,3})>").unwrap());

/// `<placeholder>`s in a text: ranges of the whole `<…>` and the inner name. Not HTML tags, not
/// generics (`Vec<u8>`), not `<none>`-style tool output, not autolinks.
fn angle_placeholders(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    // Most texts hold no `<`: a memchr instead of a search that allocates its captures.
    let found = text.contains('<').then(|| ANGLE.captures_iter(text)).into_iter().flatten();
    found.filter_map(move |c| {
        let m = c.get(0).unwrap();
        let inner = c.get(1).unwrap().as_str();
        let before = text[..m.start()].chars().next_back();
        if before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':' || b == '<') {
            return None;
        }
        let lower = inner.to_lowercase();
        if HTML_TAGS.contains(&lower.as_str()) || ANGLE_LITERALS.contains(&lower.as_str()) {
            return None;
        }
        Some((m.range(), inner))
    })
}

static BRACKET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[([^\[\]\n]{1,40})\]").unwrap());

static LEFTOVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:(?:your|tu)[-_][A-Za-z0-9][A-Za-z0-9_-]*|replace[-_]?me(?-u:\b)|insert[-_][A-Za-z0-9_-]+)").unwrap()
});

/// `…-here`, `…_aquí`: found by the suffix, then widened to the whole word.
static HERE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)[-_](?:here|aqu[ií])").unwrap());

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

static CHANGEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:change[-_]?me|changeit|c[aá]mbiame)(?-u:\b)").unwrap()
});

static TODO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)(?:TODO|TBD|TBC|FIXME)(?-u:\b)").unwrap());

static PATH_TO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/(?:path/to|ruta/(?:a|al|hacia))(?:/[^\s'`|)<>]*)?").unwrap());

static EXAMPLE_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[a-z0-9._%+-]+@)?(?-u:\b)(?:[a-z0-9-]+\.)*example\.(?:com|org|net)(?-u:\b)")
        .unwrap()
});

static SLACK_HOOK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"https://hooks\.slack\.com/services/([A-Za-z0-9_/-]*)").unwrap());

static X_RUN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[Xx]{2,}").unwrap());

/// Where in the runbook each detector run on every gap and code block can match, one pass over
/// the text each (see `secrets::Candidates`): a gap or block none touches skips the detector.
struct Gates {
    leftover: Candidates,
    here: Candidates,
    path_to: Candidates,
    slack_hook: Candidates,
    changeme: Candidates,
    todo: Candidates,
    example_host: Candidates,
}

impl Gates {
    fn new(text: &str) -> Self {
        // Literals every match holds, lower-cased for the `(?i)` detectors (`c[aá]mbiame` holds
        // `mbiame`); `HERE`, `PATH_TO` and `SLACK_HOOK` have no `\b` and are their own gates.
        static LEFTOVER_GATE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"your[-_]|tu[-_]|replace|insert[-_]").unwrap());
        static CHANGEME_GATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"change|mbiame").unwrap());
        static TODO_GATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"TODO|TBD|TBC|FIXME").unwrap());
        static EXAMPLE_HOST_GATE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"example\.(?:com|org|net)").unwrap());
        let folded = secrets::Folded::new(text);
        Self {
            leftover: folded.candidates(&LEFTOVER_GATE),
            here: Candidates::find(&HERE, text),
            path_to: Candidates::find(&PATH_TO, text),
            slack_hook: Candidates::find(&SLACK_HOOK, text),
            changeme: folded.candidates(&CHANGEME_GATE),
            todo: Candidates::find(&TODO_GATE, text),
            example_host: folded.candidates(&EXAMPLE_HOST_GATE),
        }
    }
}

/// Phone numbers with `X` digits, as ranges. A number without real digits (`XXXXXXXX`) only
/// counts when `contact` says the text is a phone slot.
fn phone_placeholders(text: &str, contact: bool) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let phone_char = |b: u8| {
        b.is_ascii_digit() || matches!(b, b'X' | b'x' | b'+' | b'(' | b')' | b'-' | b'.' | b' ')
    };
    let mut out: Vec<Range<usize>> = Vec::new();
    for m in X_RUN.find_iter(text) {
        if out.last().is_some_and(|r| m.start() < r.end) {
            continue;
        }
        let mut start = m.start();
        while start > 0
            && phone_char(bytes[start - 1])
            && !(bytes[start - 1] == b' ' && start >= 2 && bytes[start - 2] == b' ')
        {
            start -= 1;
        }
        let mut end = m.end();
        while end < bytes.len()
            && phone_char(bytes[end])
            && !(bytes[end] == b' ' && bytes.get(end + 1) == Some(&b' '))
        {
            end += 1;
        }
        let run = &text[start..end];
        let lead = run.len() - run.trim_start_matches([' ', '-', '.', ')']).len();
        let run = run
            .trim_start_matches([' ', '-', '.', ')'])
            .trim_end_matches([' ', '-', '.', '(']);
        let start = start + lead;
        let end = start + run.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric) {
            continue;
        }
        let xs = run.chars().filter(|c| *c == 'X' || *c == 'x').count();
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let real_part = digits > 0 || run.starts_with('+');
        if xs >= 3 && xs + digits >= 7 && (real_part || contact) {
            out.push(start..end);
        }
    }
    out
}

fn mentions_phone(line: &str) -> bool {
    let l = normalize(line);
    [
        "tel", "tlf", "phone", "movil", "mobile", "whatsapp", "sms", "llamar", "call",
    ]
    .iter()
    .any(|w| l.contains(w))
}

fn words_of(s: &str) -> Vec<String> {
    normalize(s)
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether any word of `text` (list markers and emphasis around it allowed) is a value label: a
/// necessary condition for `LABELLED` to match with a value label.
fn mentions_value_label(text: &str) -> bool {
    if text.is_ascii() {
        // What `normalize` does to ASCII, without allocating: words compared ignoring case.
        return text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|w| is_value_label_word(w.trim_matches('-')));
    }
    normalize(text)
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .any(|w| VALUE_LABELS.contains(&w.trim_matches('-')))
}

/// An ASCII word that is a value label, whatever its case.
fn is_value_label_word(word: &str) -> bool {
    VALUE_LABELS.iter().any(|l| l.eq_ignore_ascii_case(word))
}

fn is_value_label(label: &str) -> bool {
    if label.is_ascii() {
        return label
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(is_value_label_word);
    }
    normalize(label)
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .any(|w| VALUE_LABELS.contains(&w))
}

/// A whole value that is a blank: `TODO`, `TBD`, `???`, `<nombre>`, `...`.
fn filler(v: &str, weak_too: bool) -> Option<&'static str> {
    // The longest blank is 13 characters and `normalize` never shortens a text: most cells
    // need no lower-cased copy.
    if v.trim().chars().nth(13).is_some() {
        return None;
    }
    let t = normalize(v.trim());
    match t.as_str() {
        "todo" | "tbd" | "tbc" | "fixme" | "???" | "??" => Some("a to-do marker"),
        "..." | "…" | "?" | "pendiente" | "por definir" | "a definir" | "por confirmar"
            if weak_too =>
        {
            Some("a blank")
        }
        _ => None,
    }
}

/// Is `at` inside one of `ranges` (sorted, not overlapping)?
fn in_ranges(ranges: &[Range<usize>], at: usize) -> bool {
    let i = ranges.partition_point(|r| r.start <= at);
    i > 0 && ranges[i - 1].contains(&at)
}

// ---------------------------------------------------------------------------------------------
// Prose (outside code): brackets, phones, leftovers, paths, webhooks, labelled values.

static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t>]*(?:[-*+]|\d+[.)])?[ \t]*(?:\*\*|__)?([\p{L}][\p{L}\p{N} ./_-]{0,30}?)(?:\*\*|__)?[ \t]*:(?:\*\*|__)?[ \t]+(.+?)[ \t]*$")
        .unwrap()
});

static LINK_DEF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[ \t]{0,3}\[([^\]\n]+)\]:").unwrap());

fn check_prose(g: &str, gap: Range<usize>, comments: &[Range<usize>], gates: &Gates, hits: &mut Hits) {
    let base = gap.start;
    let at = |r: Range<usize>| base + r.start..base + r.end;
    let mut link_defs: Option<HashSet<String>> = None;
    for c in BRACKET.captures_iter(g) {
        let m = c.get(0).unwrap();
        if in_ranges(comments, m.start()) {
            continue;
        }
        let inner = c.get(1).unwrap().as_str().trim();
        let before = g[..m.start()].chars().next_back();
        let after = g[m.end()..].chars().next();
        if matches!(before, Some('!' | ']' | '\\')) || matches!(after, Some('(' | '[' | ':')) {
            continue;
        }
        let words = words_of(inner);
        let Some(first) = words.first() else { continue };
        if !BRACKET_WORDS.contains(&first.as_str()) || words.len() > 6 {
            continue;
        }
        // A reference-style link with a definition renders as a link.
        let defs = link_defs.get_or_insert_with(|| {
            LINK_DEF
                .captures_iter(g)
                .map(|c| normalize(c[1].trim()))
                .collect::<HashSet<String>>()
        });
        if defs.contains(&normalize(inner)) {
            continue;
        }
        hits.add(
            at(m.range()),
            format!(
                "placeholder `{}` left where a real value belongs",
                m.as_str()
            ),
            HELP_FILL,
        );
    }
    // Only lines with a run of `X`s can hold a phone placeholder: each such line once, in order.
    let mut next_line = 0;
    for m in X_RUN.find_iter(g) {
        if m.start() < next_line {
            continue;
        }
        let line_start = g[..m.start()].rfind('\n').map_or(0, |i| i + 1);
        let line_end = g[m.end()..].find('\n').map_or(g.len(), |i| m.end() + i);
        next_line = line_end + 1;
        let line = &g[line_start..line_end];
        for r in phone_placeholders(line, mentions_phone(line)) {
            let r = line_start + r.start..line_start + r.end;
            if !in_ranges(comments, r.start) {
                hits.add(
                    at(r.clone()),
                    format!("placeholder phone number `{}`", &g[r]),
                    HELP_CONTACT,
                );
            }
        }
    }
    common_leftovers(g, base, Some(gap), &|o| in_ranges(comments, o), gates, hits);
    // One label per line: each line with a `:` is matched on its own (over the whole text, the
    // pattern's search backwards from every `:` was a large share of this rule's time). The
    // lines are found from their first `:` (a memchr), not walked one by one.
    let mut from = 0;
    while let Some(i) = g.get(from..).and_then(|rest| rest.find(':')) {
        let first_colon = from + i;
        let ls = g[..first_colon].rfind('\n').map_or(0, |i| i + 1);
        let le = g[first_colon..].find('\n').map_or(g.len(), |i| first_colon + i);
        from = le + 1;
        let line = &g[ls..le];
        let colon = first_colon - ls;
        // Only a blank (a few characters once blanks and emphasis are trimmed: `filler`), a
        // `changeme` or a `<placeholder>` after the colon is reported. Most labelled lines hold a
        // real value and are skipped before the pattern, whose captures are costly.
        let value = &line[colon + 1..];
        let core = value.trim_matches(|ch: char| ch.is_whitespace() || matches!(ch, '*' | '_' | '`'));
        if core.chars().nth(13).is_some()
            && !value.contains('<')
            && !gates.changeme.touch(&(base + ls..base + le))
        {
            continue;
        }
        // The label ends at the line's first `:` and names a value: checked before the pattern.
        if !mentions_value_label(&line[..colon]) || in_ranges(comments, ls) {
            continue;
        }
        let Some(c) = LABELLED.captures(line) else { continue };
        if !is_value_label(&c[1]) {
            continue;
        }
        let v = c.get(2).unwrap();
        let value_start = ls + v.start();
        let raw = v.as_str();
        let trimmed = raw.trim_matches(|ch| ch == '`' || ch == '*' || ch == '_');
        let lead = raw.find(trimmed).unwrap_or(0);
        let r = value_start + lead..value_start + lead + trimmed.len();
        let label = c[1].trim();
        if let Some(what) = filler(trimmed, true) {
            hits.add(
                at(r),
                format!("`{label}` is {what} (`{trimmed}`), not a value"),
                HELP_FILL,
            );
        } else if CHANGEME.is_match(trimmed) && !trimmed.contains(' ') {
            hits.add(
                at(r),
                format!("`{trimmed}` is a placeholder, not a value"),
                HELP_CHANGEME,
            );
        } else {
            for (ar, inner) in angle_placeholders(raw) {
                let ar = value_start + ar.start..value_start + ar.end;
                hits.add(
                    at(ar),
                    format!("placeholder `<{inner}>` where the `{label}` belongs"),
                    HELP_FILL,
                );
            }
        }
    }
}

/// Detectors that apply to prose and code alike: `your-…`/`…-here` leftovers, `/path/to/…` and
/// made-up Slack webhooks. `skip` says which offsets to ignore (comments), `base` is added to
/// the ranges found, and `piece` is where `g` is in the runbook (a gap, or the block whose body
/// `g` is), for the gates; `None` runs every detector.
fn common_leftovers(
    g: &str,
    base: usize,
    piece: Option<Range<usize>>,
    skip: &dyn Fn(usize) -> bool,
    gates: &Gates,
    hits: &mut Hits,
) {
    let at = |r: Range<usize>| base + r.start..base + r.end;
    let bytes = g.as_bytes();
    // A detector no gate match touches finds nothing here: it searches an empty text.
    let gated = |gate: &Candidates| match &piece {
        Some(piece) if !gate.touch(piece) => "",
        _ => g,
    };
    let here = HERE.find_iter(gated(&gates.here)).filter_map(|m| {
        if bytes.get(m.end()).is_some_and(|&b| is_word_byte(b)) {
            return None;
        }
        let start = bytes[..m.start()]
            .iter()
            .rposition(|&b| !is_word_byte(b))
            .map_or(0, |i| i + 1);
        (start < m.start()).then_some(start..m.end())
    });
    let leftovers: Vec<Range<usize>> = LEFTOVER
        .find_iter(gated(&gates.leftover))
        .map(|m| m.range())
        .chain(here)
        .collect();
    for r in leftovers {
        // Inside `<…>` the angle-bracket logic decides.
        let wrapped = g[..r.start].ends_with('<') && g[r.end..].starts_with('>');
        if !skip(r.start) && !wrapped {
            hits.add(
                at(r.clone()),
                format!("placeholder `{}` left in the runbook", &g[r]),
                HELP_FILL,
            );
        }
    }
    for m in PATH_TO.find_iter(gated(&gates.path_to)) {
        if !skip(m.start()) {
            hits.add(
                at(m.range()),
                format!("placeholder path `{}`", m.as_str()),
                "write the real path, or a variable set earlier in the runbook",
            );
        }
    }
    for c in SLACK_HOOK.captures_iter(gated(&gates.slack_hook)) {
        let m = c.get(0).unwrap();
        let path = c.get(1).unwrap().as_str().trim_end_matches('/');
        let followed_by_ref = g[m.end()..].starts_with(['$', '<', '{', '.', '…']);
        if skip(m.start())
            || path.is_empty()
            || followed_by_ref
            || secrets::slack_webhook_path_is_real(path)
        {
            continue;
        }
        hits.add(
            at(m.range()),
            "placeholder Slack webhook URL".to_string(),
            HELP_WEBHOOK,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tables.

fn check_table(text: &str, t: &Table, gates: &Gates, hits: &mut Hits) {
    let header: Vec<Vec<String>> = t.header.iter().map(|h| words_of(&h.text)).collect();
    let contact_table = header
        .iter()
        .flatten()
        .any(|w| CONTACT_COLUMNS.contains(&w.as_str()));
    // What each column holds, from its header: once per table, not once per cell.
    let value_columns: Vec<bool> = header
        .iter()
        .map(|col| col.iter().any(|w| VALUE_LABELS.contains(&w.as_str())))
        .collect();
    let phone_columns: Vec<bool> = header
        .iter()
        .map(|col| {
            col.iter().any(|w| {
                [
                    "telefono", "tel", "tlf", "phone", "movil", "mobile", "whatsapp",
                ]
                .contains(&w.as_str())
            })
        })
        .collect();
    for row in &t.rows {
        // A row of nothing but `...`: a template row never filled in.
        let inners: Vec<(Range<usize>, &str)> = row
            .iter()
            .map(|c| {
                let s = &text[c.span.clone()];
                let lead = s.len() - s.trim_start().len();
                let r = c.span.start + lead..c.span.start + lead + s.trim().len();
                let v = &text[r.clone()];
                (r, v)
            })
            .collect();
        let blank = |v: &str| {
            matches!(
                v.trim_matches('`'),
                "" | "-" | "—" | "–" | "..." | "…" | "?" | "TBD" | "TODO"
            )
        };
        let dots = |v: &str| matches!(v.trim_matches('`'), "..." | "…" | "?" | "TBD" | "TODO");
        if row.len() > 1
            && inners.iter().all(|(_, v)| blank(v))
            && inners.iter().any(|(_, v)| dots(v))
        {
            let span = inners.first().unwrap().0.start..inners.last().unwrap().0.end;
            let shown = inners.iter().find(|(_, v)| dots(v)).unwrap().1;
            hits.add(
                span,
                format!("table row holds only placeholders (`{shown}`)"),
                "fill the row in, or delete it",
            );
            continue;
        }
        for (i, (r, v)) in inners.iter().enumerate() {
            let value_column = value_columns.get(i).copied().unwrap_or(false);
            let phone_column = phone_columns.get(i).copied().unwrap_or(false);
            let slot = contact_table || value_column;
            let col_name = t.header.get(i).map_or("", |h| h.text.as_str());
            let inner = v.trim_matches(|c| c == '`' || c == '*');
            // Where `inner` starts in `v` (what `v.find(inner)` gives, without a substring search).
            let lead = if inner.is_empty() { 0 } else { inner.as_ptr() as usize - v.as_ptr() as usize };
            let ir = r.start + lead..r.start + lead + inner.len();
            if slot {
                if let Some(what) = filler(inner, value_column) {
                    hits.add(
                        ir,
                        format!("`{col_name}` is {what} (`{inner}`), not a value"),
                        HELP_CONTACT,
                    );
                    continue;
                }
                for (ar, name) in angle_placeholders(v) {
                    let ar = r.start + ar.start..r.start + ar.end;
                    hits.add(
                        ar,
                        format!("placeholder `<{name}>` where the `{col_name}` belongs"),
                        HELP_FILL,
                    );
                }
                if contact_table && gates.example_host.touch(r) {
                    for m in EXAMPLE_HOST.find_iter(v) {
                        hits.add(
                            r.start + m.start()..r.start + m.end(),
                            format!("`{}` is a documentation domain, not a contact", m.as_str()),
                            HELP_CONTACT,
                        );
                    }
                }
                if phone_column
                    || contact_table && inner.chars().all(|c| c == 'X' || c == 'x' || c == ' ')
                {
                    for p in phone_placeholders(v, true) {
                        let p = r.start + p.start..r.start + p.end;
                        hits.add(
                            p.clone(),
                            format!("placeholder phone number `{}`", &text[p]),
                            HELP_CONTACT,
                        );
                    }
                }
            }
            if gates.changeme.touch(&ir) && CHANGEME.is_match(inner) && !inner.contains(' ') {
                hits.add(
                    ir,
                    format!("`{inner}` is a placeholder, not a value"),
                    HELP_CHANGEME,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Code blocks.

/// Blocks meant to be run or copied as configuration.
fn copyable(b: &CodeBlock) -> bool {
    match b.lang() {
        Lang::Bash | Lang::Sql | Lang::Yaml | Lang::Json | Lang::Promql => true,
        Lang::Text => false,
        Lang::Other => matches!(
            b.info.as_deref(),
            Some(
                "env"
                    | "dotenv"
                    | "ini"
                    | "toml"
                    | "conf"
                    | "cfg"
                    | "properties"
                    | "http"
                    | "nginx"
                    | "dockerfile"
                    | "docker"
                    | "systemd"
                    | "hcl"
                    | "caddyfile"
                    | "redis"
            )
        ),
    }
}

fn is_comment_line(line: &str) -> bool {
    let l = line.trim_start();
    (l.starts_with('#') && !l.starts_with("#!"))
        || l.starts_with("--")
        || l.starts_with("//")
        || l.starts_with(';')
}

fn check_block(b: &CodeBlock, explained: &HashSet<String>, gates: &Gates, hits: &mut Hits) {
    if !copyable(b) {
        return;
    }
    let code = &b.content.text;
    // The gates apply when the body's lines are copies of the runbook's text (inside the block).
    let piece = b.content.lines_are_verbatim().then(|| b.span.clone());
    let gated = |gate: &Candidates| match &piece {
        Some(piece) if !gate.touch(piece) => "",
        _ => code.as_str(),
    };
    let comment_at = |o: usize| {
        let start = code[..o].rfind('\n').map_or(0, |i| i + 1);
        let end = code[o..].find('\n').map_or(code.len(), |i| o + i);
        is_comment_line(&code[start..end])
    };
    let map = |r: Range<usize>| b.content.source_range(r);
    let mut local = Hits::default();
    // Template parameters the block's own comments explain.
    let mut explained_here: HashSet<String> = HashSet::new();
    let angles = code.contains('<');
    for (_, line) in b.content.lines().filter(|(_, l)| angles && is_comment_line(l)) {
        for (_, inner) in angle_placeholders(line) {
            explained_here.insert(normalize(inner));
        }
    }
    let mut reported: HashSet<String> = HashSet::new();
    for (r, inner) in angle_placeholders(code) {
        let key = normalize(inner);
        if comment_at(r.start)
            || explained.contains(&key)
            || explained_here.contains(&key)
            || !reported.insert(key)
        {
            continue;
        }
        local.add(
            r.clone(),
            format!(
                "placeholder `{}` in a command is not explained anywhere in the runbook",
                &code[r]
            ),
            HELP_EXPLAIN,
        );
    }
    for m in CHANGEME.find_iter(gated(&gates.changeme)) {
        if !comment_at(m.start()) {
            local.add(
                m.range(),
                format!("`{}` is a placeholder, not a value", m.as_str()),
                HELP_CHANGEME,
            );
        }
    }
    for m in TODO.find_iter(gated(&gates.todo)) {
        let before = code[..m.start()].trim_end_matches([' ', '\t', '"', '\'']);
        if !comment_at(m.start()) && (before.ends_with('=') || before.ends_with(':')) {
            local.add(
                m.range(),
                format!("`{}` where a value belongs", m.as_str()),
                HELP_FILL,
            );
        }
    }
    for m in EXAMPLE_HOST.find_iter(gated(&gates.example_host)) {
        if !comment_at(m.start()) {
            local.add(
                m.range(),
                format!("`{}` is a documentation domain, not your host", m.as_str()),
                HELP_HOST,
            );
        }
    }
    common_leftovers(code, 0, piece.clone(), &comment_at, gates, &mut local);
    for (r, message, help) in local.0 {
        hits.add(map(r), message, help);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::lint::config::RuleSetting;
    use crate::lint::{lint_runbooks, rules, Config};
    use crate::runbook::Runbook;

    fn found(src: &str) -> Vec<String> {
        let mut config = Config::default();
        for r in rules::all() {
            if r.meta().code != "FD502" {
                config
                    .rules
                    .insert(r.meta().code.to_string(), RuleSetting::Off);
            }
        }
        let report = lint_runbooks(vec![Runbook::from_text(Path::new("rb.md"), src)], &config);
        report
            .diagnostics
            .iter()
            .map(|d| src[d.span.clone()].to_string())
            .collect()
    }

    #[test]
    fn contact_tables() {
        let src = "| Rol | Nombre | Teléfono | Correo |\n|---|---|---|---|\n| DBA | [Nombre] | +34 6XX XXX XXX | TBD |\n\
                   | Jefe | <nombre-jefe> | XXXXXXXX | guardia@example.com |\n| ... | ... | ... | ... |\n| Soporte | Ana | - | - |\n";
        assert_eq!(
            found(src),
            [
                "[Nombre]",
                "+34 6XX XXX XXX",
                "TBD",
                "<nombre-jefe>",
                "XXXXXXXX",
                "guardia@example.com",
                "... | ... | ... | ..."
            ]
        );
    }

    #[test]
    fn prose() {
        let src = "Llama al [Teléfono] de guardia.\n\n- Teléfono: TBD\n- Contraseña: <clave-correcta>\n- Webhook: your-webhook-here\n\n\
                   Sube el volcado a `/path/to/backups/`.\n";
        assert_eq!(
            found(src),
            [
                "[Teléfono]",
                "TBD",
                "<clave-correcta>",
                "your-webhook-here",
                "/path/to/backups/"
            ]
        );
    }

    #[test]
    fn commands() {
        let src = "```bash\nredis-cli -a <clave-correcta> PING\ncurl -fsS https://api.example.com/health\n\
                   export ADMIN_PASSWORD=changeme\nSLACK_WEBHOOK=TODO\n# TODO: automatizar\n```\n";
        assert_eq!(
            found(src),
            ["<clave-correcta>", "api.example.com", "changeme", "TODO"]
        );
    }

    #[test]
    fn near_misses() {
        let src = "Sustituye `<container>` por el nombre que muestra `docker ps`.\n\n```bash\ndocker logs --tail 200 <container>\n\
                   # <pid>: el pid de la consulta anterior\npsql -c \"SELECT pg_cancel_backend(<pid>)\"\n\
                   docker images | grep '<none>'\nread -p \"¿Seguir? <s/n> \" ok\n```\n\n```rust\nlet v: Vec<u8> = Vec::new();\n```\n\n\
                   Ver <https://wiki.interno/guardia> o <br> <!-- TODO: revisar [Nombre] -->\n\n\
                   TODO: automatizar este paso. Réplica 2x, disco XL.\n\n- [ ] Revisar alertas\n- [x] Backups\n\n\
                   | Servicio | Estado | Notas |\n|---|---|---|\n| API | TODO | - |\n| Cola | - | - |\n\n\
                   Ver [Nombre del runbook][1].\n\n[1]: https://wiki.interno/rb\n";
        assert_eq!(found(src), Vec::<String>::new());
    }

    #[test]
    fn phones_need_x_digits_and_shape() {
        assert_eq!(
            super::phone_placeholders("Tel +34 6XX XXX XXX, móvil 611 204 377", false),
            vec![4..19]
        );
        assert!(super::phone_placeholders("XXXXXXXX", false).is_empty());
        assert_eq!(super::phone_placeholders("XXXXXXXX", true), vec![0..8]);
        assert!(super::phone_placeholders("2x, XL, XXL, 0x1F, 1920x1080", true).is_empty());
    }
}
