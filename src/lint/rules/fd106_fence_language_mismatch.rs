use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::Lang;

declare_rule! {
    /// ## What it does
    /// Finds blocks fenced as SQL (```` ```sql ````, `psql`, `postgresql`) or PromQL whose content
    /// is shell commands (`docker exec ...`, `psql -c ...`, `curl ...`). (The reverse, SQL in a
    /// block fenced as shell, is FD202's.)
    ///
    /// ## Why is this bad?
    /// The fence says where the block is to be pasted. Shell pasted into psql is a syntax error at
    /// `docker`; pasted into Prometheus it is a parse error. And the block is not checked as what
    /// it is: its shell is never parsed, its SQL (inside `psql -c`) is read as if the whole line
    /// were SQL.
    ///
    /// ## Example
    /// ````markdown
    /// ```sql
    /// docker exec db psql -U postgres -c "SELECT count(*) FROM orders;"
    /// ```
    /// ````
    ///
    /// Use instead:
    /// ````markdown
    /// ```bash
    /// docker exec db psql -U postgres -c "SELECT count(*) FROM orders;"
    /// ```
    /// ````
    pub struct FenceLanguageMismatch {
        code: "FD106",
        name: "fence-language-mismatch",
        severity: Warning,
        summary: "A block fenced as SQL or PromQL holds shell commands",
    }
}

impl Rule for FenceLanguageMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in &cx.runbook.blocks {
            let fence = match block.declared {
                Some(Lang::Sql) => "SQL",
                Some(Lang::Promql) => "PromQL",
                _ => continue,
            };
            if block.sniffed != Lang::Bash || !block.content.text.lines().any(starts_with_a_program) {
                continue;
            }
            let line = cx.runbook.source.line_index(block.span.start);
            let info = block.info.as_deref().unwrap_or("");
            out.push(
                Finding::new(cx.runbook.source.line_span(line), format!("this block is fenced as {fence} (```{info}), but it holds shell commands"))
                    .help("fence it as ```bash (and keep the SQL or PromQL it runs inside its command)"),
            );
        }
    }
}

/// Programs no SQL or PromQL line starts with (`set`, which SQL shares with bash, is not one).
const PROGRAMS: &[&str] = &[
    "docker", "docker-compose", "psql", "pg_dump", "pg_dumpall", "pg_restore", "curl", "wget", "kubectl", "sudo",
    "systemctl", "redis-cli", "ssh", "cd", "echo", "export", "cat", "grep", "tar", "gunzip", "zcat", "rm", "cp", "mv",
    "vacuumdb", "reindexdb", "promtool", "amtool",
];

fn starts_with_a_program(line: &str) -> bool {
    let l = line.trim_start();
    let l = l.strip_prefix("$ ").unwrap_or(l);
    let first = l.split_whitespace().next().unwrap_or("");
    first.starts_with("./") || PROGRAMS.contains(&first)
}
