//! Where a key or value sits in the scenario text. yaml_serde reports positions only for the
//! errors it raises itself; semantic checks (and errors from inside internally tagged enums, which
//! serde buffers) need the line and column of a path like `timeline[1].at`. This reads the block
//! style YAML that scenarios are written in — indentation, `key: value`, `- item` — into a tree of
//! positions. Anything it does not follow (flow collections, anchors) is an opaque value whose
//! position is still known; a path it cannot resolve gives `None`, never a wrong answer.

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug)]
pub enum Node {
    Map(Pos, Vec<Entry>),
    Seq(Pos, Vec<Node>),
    /// A scalar (unquoted text) or anything opaque (flow collection, block scalar).
    Scalar(Pos, String),
    /// `key:` with nothing after it.
    Empty(Pos),
}

#[derive(Debug)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    pub fn pos(&self) -> Pos {
        match self {
            Node::Map(p, _) | Node::Seq(p, _) | Node::Scalar(p, _) | Node::Empty(p) => *p,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match self {
            Node::Map(_, e) => e,
            _ => &[],
        }
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }

    pub fn scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar(_, s) => Some(s),
            _ => None,
        }
    }
}

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// `timeline[1].at` → `[Key(timeline), Index(1), Key(at)]`. `None` for text that is not a path.
pub fn parse_path(path: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    if path.is_empty() || path == "." {
        return Some(segs);
    }
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            segs.push(Seg::Key(name.to_owned()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            segs.push(Seg::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() || (name.is_empty() && segs.is_empty()) {
            return None;
        }
    }
    Some(segs)
}

/// The position tree of a YAML text.
#[derive(Debug)]
pub struct Index {
    pub root: Option<Node>,
}

/// What a path resolves to.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The key's position, when the last step is a mapping key.
    pub key: Option<Pos>,
    pub node: &'a Node,
}

impl Found<'_> {
    /// The key if there is one, else the value.
    pub fn key_or_value(&self) -> Pos {
        self.key.unwrap_or_else(|| self.node.pos())
    }
}

impl Index {
    pub fn new(text: &str) -> Index {
        let lines = lex(text);
        let mut parser = Parser { lines, i: 0 };
        let root = parser.block(0);
        Index { root }
    }

    pub fn find(&self, path: &[Seg]) -> Option<Found<'_>> {
        let mut node = self.root.as_ref()?;
        let mut key = None;
        for seg in path {
            match (seg, node) {
                (Seg::Key(k), Node::Map(..)) => {
                    let e = node.get(k)?;
                    key = Some(e.key_pos);
                    node = &e.value;
                }
                (Seg::Index(i), Node::Seq(_, items)) => {
                    node = items.get(*i)?;
                    key = None;
                }
                _ => return None,
            }
        }
        Some(Found { key, node })
    }

    /// Like [`Index::find`], from a path string such as `workload.mix[0].weight`.
    pub fn find_str(&self, path: &str) -> Option<Found<'_>> {
        self.find(&parse_path(path)?)
    }

    /// The position of `path`'s key (or value, for sequence items), or of its nearest ancestor
    /// that exists.
    pub fn nearest(&self, path: &[Seg]) -> Option<Pos> {
        (0..=path.len()).rev().find_map(|n| {
            self.find(&path[..n])
                .filter(|_| n > 0)
                .map(|f| f.key_or_value())
        })
    }

    /// Keys that appear twice in one mapping: the path, the repeated key's position, and the
    /// first one's.
    pub fn duplicate_keys(&self) -> Vec<(String, Pos, Pos)> {
        let mut out = Vec::new();
        if let Some(root) = &self.root {
            dupes(root, String::new(), &mut out);
        }
        out
    }
}

fn dupes(node: &Node, path: String, out: &mut Vec<(String, Pos, Pos)>) {
    match node {
        Node::Map(_, entries) => {
            for (i, e) in entries.iter().enumerate() {
                let child = if path.is_empty() {
                    e.key.clone()
                } else {
                    format!("{path}.{}", e.key)
                };
                if let Some(first) = entries[..i].iter().find(|p| p.key == e.key) {
                    out.push((child.clone(), e.key_pos, first.key_pos));
                }
                dupes(&e.value, child, out);
            }
        }
        Node::Seq(_, items) => {
            for (i, item) in items.iter().enumerate() {
                dupes(item, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
struct Line {
    /// 1-based line number.
    number: usize,
    /// Indentation in characters (spaces).
    indent: usize,
    /// The content after the indentation, comments removed, trailing spaces trimmed.
    content: String,
}

fn lex(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start_matches(' ');
        let indent = raw.len() - trimmed.len();
        let content = strip_comment(trimmed).trim_end().to_owned();
        if content.is_empty()
            || content == "---"
            || content == "..."
            || (indent == 0 && content.starts_with('%'))
        {
            continue;
        }
        out.push(Line {
            number: i + 1,
            indent,
            content,
        });
    }
    out
}

/// Removes a `# comment` (a `#` at the start or after a space, outside quotes).
fn strip_comment(s: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && prev != '\\' => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return &s[..i],
            _ => {}
        }
        prev = c;
    }
    s
}

/// Where `key:` ends in a line: the byte index of the `:` (followed by a space or the end).
fn key_colon(content: &str) -> Option<usize> {
    if content.starts_with(['[', '{', '|', '>', '!', '&', '*']) {
        return None;
    }
    let search_from = match content.chars().next() {
        Some(q @ ('"' | '\'')) => 1 + content[1..].find(q)? + 1,
        _ => 0,
    };
    let bytes = content.as_bytes();
    let mut i = search_from;
    while let Some(off) = content[i..].find(':') {
        let at = i + off;
        if at + 1 == bytes.len() || bytes[at + 1] == b' ' {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_owned();
        }
    }
    s.to_owned()
}

fn column(line: &Line, byte_in_content: usize) -> usize {
    line.indent + line.content[..byte_in_content].chars().count() + 1
}

struct Parser {
    lines: Vec<Line>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Line> {
        self.lines.get(self.i)
    }

    /// Parses the node that starts at the current line, if its indentation is at least `min`.
    fn block(&mut self, min: usize) -> Option<Node> {
        let line = self.peek()?.clone();
        if line.indent < min {
            return None;
        }
        if line.content == "-" || line.content.starts_with("- ") {
            Some(self.seq(line.indent))
        } else if key_colon(&line.content).is_some() {
            Some(self.map(line.indent))
        } else {
            let pos = Pos {
                line: line.number,
                column: line.indent + 1,
            };
            self.i += 1;
            self.skip_deeper(line.indent);
            Some(Node::Scalar(pos, unquote(&line.content)))
        }
    }

    /// Skips continuation lines (multi-line scalars, block scalars, multi-line flow collections)
    /// indented deeper than `indent`.
    fn skip_deeper(&mut self, indent: usize) {
        while self.peek().is_some_and(|l| l.indent > indent) {
            self.i += 1;
        }
    }

    fn seq(&mut self, indent: usize) -> Node {
        let first = self.peek().expect("a line");
        let pos = Pos {
            line: first.number,
            column: indent + 1,
        };
        let mut items = Vec::new();
        while let Some(line) = self.peek().cloned() {
            if line.indent != indent || !(line.content == "-" || line.content.starts_with("- ")) {
                break;
            }
            let rest = line.content[1..].trim_start();
            if rest.is_empty() {
                self.i += 1;
                let item_pos = Pos {
                    line: line.number,
                    column: indent + 1,
                };
                items.push(self.block(indent + 1).unwrap_or(Node::Empty(item_pos)));
            } else {
                // `- key: value` or `- scalar`: re-read the rest as a line indented where it starts.
                let offset = line.content.len() - rest.len();
                let inner_indent = indent + line.content[..offset].chars().count();
                self.lines[self.i] = Line {
                    number: line.number,
                    indent: inner_indent,
                    content: rest.to_owned(),
                };
                items.push(self.block(inner_indent).expect("the rest of the item"));
            }
            // Lines deeper than the dash that no item consumed: skip.
            while self.peek().is_some_and(|l| l.indent > indent) {
                self.i += 1;
            }
        }
        Node::Seq(pos, items)
    }

    fn map(&mut self, indent: usize) -> Node {
        let first = self.peek().expect("a line");
        let pos = Pos {
            line: first.number,
            column: indent + 1,
        };
        let mut entries = Vec::new();
        while let Some(line) = self.peek().cloned() {
            if line.indent != indent {
                break;
            }
            let Some(colon) = key_colon(&line.content) else {
                break;
            };
            let key = unquote(&line.content[..colon]);
            let key_pos = Pos {
                line: line.number,
                column: indent + 1,
            };
            let after = &line.content[colon + 1..];
            let value_text = after.trim_start();
            self.i += 1;
            let value = if value_text.is_empty() {
                let here = Pos {
                    line: line.number,
                    column: column(&line, colon) + 1,
                };
                match self.peek() {
                    Some(next) if next.indent > indent => {
                        self.block(indent + 1).unwrap_or(Node::Empty(here))
                    }
                    // `key:` followed by `- item` at the same indentation is a sequence.
                    Some(next)
                        if next.indent == indent
                            && (next.content == "-" || next.content.starts_with("- ")) =>
                    {
                        self.seq(indent)
                    }
                    _ => Node::Empty(here),
                }
            } else {
                let start = colon + 1 + (after.len() - value_text.len());
                let vpos = Pos {
                    line: line.number,
                    column: column(&line, start),
                };
                self.skip_deeper(indent);
                Node::Scalar(vpos, unquote(value_text))
            };
            entries.push(Entry {
                key,
                key_pos,
                value,
            });
        }
        Node::Map(pos, entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# a scenario
name: demo   # trailing comment
services:
  db:
    image: \"firedrill/postgres:15\"
workload:
  mix:
    - name: read
      weight: 80
    -
      name: write
      body: |
        {\"id\": \"{id}\"}
      ledger: true
timeline:
- kind: db-outage
  at: 10s
targets: {rto: 5s}
";

    fn at(index: &Index, path: &str) -> (usize, usize) {
        let f = index.find_str(path).unwrap_or_else(|| panic!("{path}"));
        let p = f.key_or_value();
        (p.line, p.column)
    }

    #[test]
    fn finds_keys_and_items() {
        let index = Index::new(TEXT);
        assert_eq!(at(&index, "name"), (2, 1));
        assert_eq!(index.find_str("name").unwrap().node.scalar(), Some("demo"));
        assert_eq!(at(&index, "services.db.image"), (5, 5));
        assert_eq!(
            index.find_str("services.db.image").unwrap().node.pos(),
            Pos {
                line: 5,
                column: 12
            }
        );
        assert_eq!(at(&index, "workload.mix[0].weight"), (9, 7));
        assert_eq!(at(&index, "workload.mix[1].name"), (11, 7));
        assert_eq!(at(&index, "workload.mix[1].ledger"), (14, 7));
        assert_eq!(at(&index, "workload.mix[1]"), (11, 7));
        assert_eq!(at(&index, "timeline[0].at"), (17, 3));
        assert_eq!(at(&index, "targets"), (18, 1));
        assert!(
            index.find_str("targets.rto").is_none(),
            "flow mappings are opaque"
        );
        assert!(index.find_str("workload.mix[2]").is_none());
    }

    #[test]
    fn paths_and_duplicates() {
        assert_eq!(
            parse_path("a[1].b").unwrap(),
            vec![Seg::Key("a".into()), Seg::Index(1), Seg::Key("b".into())]
        );
        assert_eq!(parse_path("").unwrap(), vec![]);
        assert!(parse_path("a[x]").is_none());
        let index = Index::new("a: 1\nb:\n  c: 2\n  c: 3\n");
        assert_eq!(
            index.duplicate_keys(),
            vec![(
                "b.c".to_string(),
                Pos { line: 4, column: 3 },
                Pos { line: 3, column: 3 }
            )]
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "",
            "- ",
            ":",
            "a:\n  - \n  -",
            "\t- x",
            "a: [1,\n  2]\nb: 3",
            "- - a: 1",
            "\"k: v",
        ] {
            let _ = Index::new(text).duplicate_keys();
        }
        let index = Index::new("a: [1,\n  2]\nb: 3\n");
        assert_eq!(at(&index, "b"), (3, 1));
    }
}
