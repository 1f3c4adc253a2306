use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, ShellBlock, SqlStatement};
use crate::runbook::{CodeBlock, Lang};

declare_rule! {
    /// ## What it does
    /// Finds SQL statements (`SELECT ...`, `VACUUM FULL pedidos;`, `DELETE FROM ...`) and psql
    /// meta-commands (`\dt`) written as lines of a block fenced as shell (`bash`, `sh`,
    /// `console`), where bash expects a command. SQL handed to psql is fine: inside
    /// `psql -c "..."`, in a heredoc (`psql <<'SQL'`) or piped in. A block that holds nothing but
    /// SQL is reported once; SQL lines among shell commands are reported one by one.
    ///
    /// Upper-case keywords are SQL; lower-case ones must also read like SQL, so `set -e`,
    /// `truncate -s 0 app.log` and bash's `select x in ...` stay shell.
    ///
    /// ## Why is this bad?
    /// Bash runs the first word as a program: `SELECT: command not found`, or a syntax error at
    /// the first `(`. Worse, the line usually follows an interactive `psql` that the author typed
    /// by hand: pasted as a block, `psql` opens, waits, and the SQL only reaches bash after the
    /// operator quits it. The step the incident needed never ran.
    ///
    /// ## Example
    /// ```bash
    /// docker compose exec postgres psql -U app shop
    /// SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction';
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// docker compose exec -T postgres psql -U app shop -c \
    ///   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction';"
    /// ```
    ///
    /// ## Fix
    /// Run the statement through psql (`psql -c "..."`, or a heredoc for several), or move it
    /// into a ```sql block of its own that says where to type it.
    pub struct SqlInShellBlock {
        code: "FD202",
        name: "sql-in-shell-block",
        severity: Error,
        summary: "SQL written as shell commands",
    }
}

impl Rule for SqlInShellBlock {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx
            .runbook
            .blocks
            .iter()
            .filter(|b| b.declared == Some(Lang::Bash))
        {
            let analysed = shell::analyse(block);
            if analysed.sql.is_empty() {
                continue;
            }
            let fence = block.info.as_deref().unwrap_or("shell");
            if analysed.commands.is_empty() {
                let first = &analysed.sql[0];
                let n = analysed.sql.len();
                let meta = analysed
                    .sql
                    .iter()
                    .filter(|q| q.keyword.starts_with('\\'))
                    .count();
                let what = match (n, meta) {
                    (1, 1) => "a psql meta-command".to_string(),
                    (1, _) => "an SQL statement".to_string(),
                    (n, m) if m == n => format!("{n} psql meta-commands"),
                    (n, _) => format!("{n} SQL statements"),
                };
                out.push(
                    Finding::new(span(block, first), format!("this ```{fence} block holds {what}, not shell commands: bash would run `{}` as a program", first.keyword.trim_start_matches('\\')))
                        .help("fence it as ```sql and say where to run it, or feed it to psql from the shell: `psql -v ON_ERROR_STOP=1 <<'SQL' ... SQL`"),
                );
                continue;
            }
            for stmt in &analysed.sql {
                out.push(finding(block, &analysed, stmt));
            }
        }
    }
}

fn span(block: &CodeBlock, stmt: &SqlStatement) -> std::ops::Range<usize> {
    block.content.source_range(stmt.first_line.clone())
}

fn finding(block: &CodeBlock, analysed: &ShellBlock, stmt: &SqlStatement) -> Finding {
    let text = &block.content.text[stmt.first_line.clone()];
    let excerpt = if text.chars().count() > 50 {
        format!("{}…", text.chars().take(49).collect::<String>())
    } else {
        text.to_string()
    };
    let message = if stmt.keyword.starts_with('\\') {
        format!("psql meta-command `{excerpt}` written as a shell command: bash would run `{}` as a program", stmt.keyword.trim_start_matches('\\'))
    } else {
        format!(
            "SQL `{excerpt}` written as a shell command: bash would run `{}` as a program",
            stmt.keyword
        )
    };
    // The shell command right before, if it opens an interactive psql.
    let before = analysed
        .commands
        .iter()
        .filter(|c| c.nesting == shell::Nesting::Top && c.span.end <= stmt.span.start)
        .max_by_key(|c| c.span.end);
    let opens_psql = before.is_some_and(|c| {
        let words: Vec<String> = c.words.iter().map(|w| w.unquoted()).collect();
        let at = words
            .iter()
            .position(|w| w == "psql" || w.ends_with("/psql"));
        at.is_some_and(|i| {
            let rest = &c.words[i + 1..];
            !shell::has_short_option(rest, 'c', "dfhpUvoLTPFR")
                && !shell::has_short_option(rest, 'f', "cdhpUvoLTPFR")
                && !shell::has_long_option(rest, "command")
                && !shell::has_long_option(rest, "file")
        }) && c.stdin_is_inherited()
    });
    let help = if opens_psql {
        "the line before opens an interactive psql: pasted as a block, this line reaches bash only after psql exits; pass the statement with `psql -c \"...\"` (or a heredoc), or move it into a ```sql block"
    } else {
        "run it through psql (`psql -c \"...\"`, or `psql <<'SQL' ... SQL` for several statements), or move it into a ```sql block"
    };
    Finding::new(span(block, stmt), message).help(help)
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::SqlInShellBlock, src)
    }

    #[test]
    fn sql_among_commands_is_reported_per_statement() {
        let src = "```bash\ndocker compose exec postgres psql -U app shop\nSELECT pid\n  FROM pg_stat_activity;\nvacuum full pedidos;\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1), (3, 1));
        assert!(got[0].2.contains("`SELECT pid`"));
        assert_eq!((got[1].0, got[1].1), (5, 1));
    }

    #[test]
    fn all_sql_block_is_reported_once() {
        let src = "- Ver bloqueos:\n\n  ```sh\n  SELECT pid FROM pg_locks;\n  SELECT 1;\n  ```\n";
        let got = run(src);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1), (4, 3));
        assert!(got[0].2.contains("2 SQL statements"));
    }

    #[test]
    fn sql_handed_to_psql_and_shell_lookalikes_are_fine() {
        let src = "```bash\nset -euo pipefail\ntruncate -s 0 /var/log/app.log\npsql -c \"VACUUM ANALYZE pedidos;\"\npsql <<'SQL'\nSELECT 1;\nSQL\necho \"SELECT 1;\" | psql\nselect opt in start stop; do echo $opt; break; done\n```\n\n```sql\nSELECT 1;\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
