use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::{BlockKind, Lang};

declare_rule! {
    /// ## What it does
    /// Finds code blocks with no language tag — a bare ```` ``` ```` fence or an indented block —
    /// whose content is clearly shell, SQL, PromQL or YAML, and says which tag to give them.
    /// Untagged blocks of diagrams, output or prose are left alone.
    ///
    /// ## Why is this bad?
    /// The tag tells the reader where to paste the block (a terminal, psql, Prometheus), lets the
    /// wiki highlight it, and lets tools check it: firedrill parses an untagged block as shell only
    /// when it is plainly a script (a `#!` line, `set -e`), so syntax errors in an untagged block
    /// go unnoticed.
    ///
    /// ## Example
    /// ````markdown
    /// ```
    /// docker exec db vacuumdb --analyze-only -d shop
    /// ```
    /// ````
    ///
    /// Use instead:
    /// ````markdown
    /// ```bash
    /// docker exec db vacuumdb --analyze-only -d shop
    /// ```
    /// ````
    pub struct CodeBlockWithoutLanguage {
        code: "FD105",
        name: "code-block-without-language",
        severity: Info,
        summary: "A code block holding shell, SQL, PromQL or YAML has no language tag",
    }
}

impl Rule for CodeBlockWithoutLanguage {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.info.is_none()) {
            let tag = match block.sniffed {
                Lang::Bash => "bash",
                Lang::Sql => "sql",
                Lang::Promql => "promql",
                Lang::Yaml => "yaml",
                _ => continue,
            };
            let (span, message) = match block.kind {
                BlockKind::Fenced => {
                    let line = cx.runbook.source.line_index(block.span.start);
                    (cx.runbook.source.line_span(line), format!("this code block has no language tag, and it holds {}", describe(tag)))
                }
                BlockKind::Indented => {
                    let start = block.content.source_start();
                    let end = cx.runbook.text()[start..].find('\n').map_or(cx.runbook.text().len(), |n| start + n);
                    (start..end, format!("this indented code block holds {}, and indented blocks cannot say so", describe(tag)))
                }
            };
            out.push(Finding::new(span, message).help(format!("fence it as ```{tag}")));
        }
    }
}

fn describe(tag: &str) -> &'static str {
    match tag {
        "bash" => "shell commands",
        "sql" => "SQL",
        "promql" => "PromQL",
        _ => "YAML",
    }
}
