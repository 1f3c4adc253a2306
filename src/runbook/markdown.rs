//! The walk over pulldown-cmark's offset events that fills the runbook model.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::{sniff, BlockKind, Cell, CodeBlock, Heading, ListItem, Paragraph, Snippet, Suppression, Table};

#[derive(Default)]
pub(super) struct Parts {
    pub headings: Vec<Heading>,
    pub blocks: Vec<CodeBlock>,
    pub tables: Vec<Table>,
    pub items: Vec<ListItem>,
    pub paragraphs: Vec<Paragraph>,
    pub suppressions: Vec<Suppression>,
}

/// Where inline text currently goes.
enum Sink {
    Heading { level: u8, span: Range<usize>, text: String },
    Code { info: Option<String>, kind: BlockKind, span: Range<usize>, content: Snippet },
    Cell { span: Range<usize>, text: String },
    Item { index: usize },
    Paragraph { span: Range<usize>, text: Snippet },
}

pub(super) fn parse(text: &str) -> Parts {
    let options = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut parts = Parts::default();
    let mut stack: Vec<Sink> = Vec::new();
    let mut heading_path: Vec<(u8, String)> = Vec::new();
    let mut table: Option<Table> = None;
    let mut row: Vec<Cell> = Vec::new();
    let mut in_head = false;
    let mut list_depth = 0usize;
    let mut item_stack: Vec<usize> = Vec::new();
    // Top-level block ranges, to find what a suppression comment applies to.
    let mut top_blocks: Vec<Range<usize>> = Vec::new();
    let mut depth = 0usize;
    let mut pending_comments: Vec<(Range<usize>, String)> = Vec::new();

    let section = |parts: &Parts| parts.headings.len().checked_sub(1);

    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match &event {
            Event::Start(_) => {
                if depth == 0 {
                    top_blocks.push(range.clone());
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {
                if depth == 0 {
                    top_blocks.push(range.clone());
                }
            }
        }
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                stack.push(Sink::Heading { level: level as u8, span: range, text: String::new() });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(Sink::Heading { level, span, text }) = stack.pop() {
                    let title = text.trim().to_string();
                    heading_path.retain(|(l, _)| *l < level);
                    heading_path.push((level, title.clone()));
                    parts.headings.push(Heading {
                        level,
                        number: section_number(&title),
                        title,
                        span,
                        path: heading_path.iter().map(|(_, t)| t.clone()).collect(),
                    });
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let (info, kind) = match kind {
                    CodeBlockKind::Fenced(info) => {
                        let word = info.split(|c: char| c.is_whitespace() || c == ',' || c == '{').next().unwrap_or("");
                        let word = word.trim().to_ascii_lowercase();
                        ((!word.is_empty()).then_some(word), BlockKind::Fenced)
                    }
                    CodeBlockKind::Indented => (None, BlockKind::Indented),
                };
                stack.push(Sink::Code { info, kind, span: range, content: Snippet::default() });
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(Sink::Code { info, kind, span, content }) = stack.pop() {
                    let declared = info.as_deref().and_then(sniff::Lang::from_info);
                    let sniffed = sniff::sniff(&content.text);
                    parts.blocks.push(CodeBlock { kind, declared, sniffed, info, span, content, section: section(&parts), shell: Default::default() });
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(Table { span: range, header: Vec::new(), rows: Vec::new(), section: section(&parts) });
            }
            Event::End(TagEnd::Table) => parts.tables.extend(table.take()),
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                if let Some(t) = table.as_mut() {
                    t.header = std::mem::take(&mut row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = table.as_mut() {
                    let cells = std::mem::take(&mut row);
                    if in_head {
                        t.header = cells;
                    } else {
                        t.rows.push(cells);
                    }
                }
            }
            Event::Start(Tag::TableCell) => stack.push(Sink::Cell { span: range, text: String::new() }),
            Event::End(TagEnd::TableCell) => {
                if let Some(Sink::Cell { span, text }) = stack.pop() {
                    row.push(Cell { text: text.trim().to_string(), span });
                }
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) => {
                parts.items.push(ListItem {
                    text: Snippet::default(),
                    span: range,
                    checked: None,
                    depth: list_depth,
                    section: section(&parts),
                });
                item_stack.push(parts.items.len() - 1);
                stack.push(Sink::Item { index: parts.items.len() - 1 });
            }
            Event::End(TagEnd::Item) => {
                item_stack.pop();
                if let Some(Sink::Item { .. }) = stack.last() {
                    stack.pop();
                }
            }
            Event::TaskListMarker(checked) => {
                if let Some(i) = item_stack.last() {
                    parts.items[*i].checked = Some(checked);
                }
            }
            Event::Start(Tag::Paragraph) => {
                // Paragraphs inside items and cells feed their container.
                if !matches!(stack.last(), Some(Sink::Item { .. }) | Some(Sink::Cell { .. })) {
                    stack.push(Sink::Paragraph { span: range, text: Snippet::default() });
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(Sink::Paragraph { .. }) = stack.last() {
                    if let Some(Sink::Paragraph { span, text }) = stack.pop() {
                        parts.paragraphs.push(Paragraph { text, span, section: section(&parts) });
                    }
                } else if let Some(Sink::Item { index }) = stack.last() {
                    // Separate the paragraphs of a loose item.
                    let item = &mut parts.items[*index];
                    item.text.push_synthetic("\n", range.end.saturating_sub(1));
                }
            }
            Event::Text(t) => {
                let verbatim = text.get(range.clone()) == Some(t.as_ref());
                push_inline(&mut stack, &mut parts, &t, range.start, verbatim);
            }
            Event::Code(t) => {
                // The range includes the backticks; find the code inside it.
                let raw = &text[range.clone()];
                let found = raw.find(t.as_ref());
                let start = found.map_or(range.start, |i| range.start + i);
                push_inline(&mut stack, &mut parts, &t, start, found.is_some());
            }
            Event::SoftBreak | Event::HardBreak => {
                push_inline(&mut stack, &mut parts, "\n", range.start, false);
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                if html.contains("firedrill-disable") {
                    pending_comments.push((range, html.to_string()));
                }
            }
            _ => {}
        }
    }
    parts.suppressions = pending_comments
        .into_iter()
        .filter_map(|(span, html)| suppression(text, span, &html, &top_blocks))
        .collect();
    parts
}

fn push_inline(stack: &mut [Sink], parts: &mut Parts, t: &str, start: usize, verbatim: bool) {
    let push = |snip: &mut Snippet| {
        if verbatim {
            snip.push(t, start)
        } else {
            snip.push_synthetic(t, start)
        }
    };
    match stack.last_mut() {
        Some(Sink::Heading { text, .. }) | Some(Sink::Cell { text, .. }) => text.push_str(t),
        // Code block bodies: always the source bytes, so positions are exact.
        Some(Sink::Code { content, .. }) => push(content),
        Some(Sink::Item { index }) => push(&mut parts.items[*index].text),
        Some(Sink::Paragraph { text, .. }) => push(text),
        None => {}
    }
}

/// `3.2.1 Restaurar` → `3.2.1`.
fn section_number(title: &str) -> Option<String> {
    let end = title.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(title.len());
    let number = title[..end].trim_end_matches('.');
    (!number.is_empty() && number.starts_with(|c: char| c.is_ascii_digit())).then(|| number.to_string())
}

/// Parses `<!-- firedrill-disable FD203, FD204: reason -->` and finds what it applies to: the
/// next top-level block after the comment, or (for an inline comment) the rest of its line.
fn suppression(text: &str, span: Range<usize>, html: &str, top_blocks: &[Range<usize>]) -> Option<Suppression> {
    let inner = html.trim().strip_prefix("<!--")?.trim_end().strip_suffix("-->")?.trim();
    let (whole_file, rest) = if let Some(r) = inner.strip_prefix("firedrill-disable-file") {
        (true, r)
    } else {
        (false, inner.strip_prefix("firedrill-disable")?)
    };
    let (codes, reason) = match rest.split_once(':') {
        Some((c, r)) => (c, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
        None => (rest, None),
    };
    let codes: Vec<String> = codes
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if codes.is_empty() {
        return None;
    }
    let target = if whole_file {
        0..text.len()
    } else {
        let line_end = text[span.end..].find('\n').map_or(text.len(), |i| span.end + i);
        let rest_of_line = text[span.end..line_end].trim();
        if !rest_of_line.is_empty() {
            span.end..line_end
        } else {
            top_blocks
                .iter()
                .find(|b| b.start >= span.end && !text[(*b).clone()].trim_start().starts_with("<!--"))
                .cloned()
                .unwrap_or(span.end..line_end)
        }
    };
    Some(Suppression { codes, reason, span, target })
}

#[cfg(test)]
mod tests {
    use crate::runbook::{Lang, Runbook};
    use std::path::Path;

    fn parse(s: &str) -> Runbook {
        Runbook::from_text(Path::new("t.md"), s)
    }

    #[test]
    fn headings_have_paths_and_numbers() {
        let r = parse("# Runbook\n\n## 3. Recuperación\n\n### 3.2.1 Restaurar\n\n## 4. Otro\n");
        let h: Vec<_> = r.headings.iter().map(|h| (h.number.clone(), h.path.join(" > "))).collect();
        assert_eq!(h[2], (Some("3.2.1".into()), "Runbook > 3. Recuperación > 3.2.1 Restaurar".into()));
        assert_eq!(h[3].1, "Runbook > 4. Otro");
    }

    #[test]
    fn code_block_positions_are_exact_in_lists() {
        let src = "1. Paso:\n\n   ```bash\n   docker ps\n   psql -c 'select 1'\n   ```\n";
        let r = parse(src);
        let b = &r.blocks[0];
        assert_eq!(b.declared, Some(Lang::Bash));
        let at = b.content.text.find("psql").unwrap();
        let lc = r.line_col(b.content.source_offset(at));
        assert_eq!((lc.line, lc.column), (5, 4));
    }

    #[test]
    fn tables_and_tasks() {
        let src = "| Escenario | RTO |\n|---|---|\n| DB caída | 15 min |\n\n- [x] backups\n- [ ] alertas\n";
        let r = parse(src);
        assert_eq!(r.tables[0].header[0].text, "Escenario");
        assert_eq!(r.tables[0].rows[0][1].text, "15 min");
        assert_eq!(r.line_col(r.tables[0].rows[0][1].span.start).line, 3);
        let checked: Vec<_> = r.items.iter().map(|i| i.checked).collect();
        assert_eq!(checked, vec![Some(true), Some(false)]);
        assert_eq!(r.items[1].text.text.trim(), "alertas");
    }

    #[test]
    fn suppression_applies_to_next_block() {
        let src = "<!-- firedrill-disable FD203: needs a TTY on purpose -->\n```bash\nread -p ok\n```\n\nread -p x\n";
        let r = parse(src);
        let s = &r.suppressions[0];
        assert_eq!(s.codes, vec!["FD203"]);
        assert_eq!(s.reason.as_deref(), Some("needs a TTY on purpose"));
        let block = &r.blocks[0].span;
        assert!(r.is_suppressed("FD203", block));
        assert!(!r.is_suppressed("FD203", &(src.len() - 3..src.len())));
        assert!(!r.is_suppressed("FD201", block));
    }
}
