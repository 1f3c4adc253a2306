use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Finds SQL keywords run as programs: `docker exec db vacuum full`, `docker exec -it db
    /// vacuumfull;`, `docker compose exec postgres reindex shop`, `docker exec db VACUUM ANALYZE
    /// orders`, or a bare `reindex --all` line. `VACUUM`, `REINDEX`, `ANALYZE`, `CLUSTER`,
    /// `CHECKPOINT` and the rest are SQL statements; no executable has those names. (SQL written
    /// where bash expects a whole statement, `VACUUM FULL pedidos;`, is FD202's.)
    ///
    /// ## Why is this bad?
    /// The step fails with `exec: "vacuum": executable file not found in $PATH` (or `command not
    /// found`) and does nothing: the bloat, the broken index or the stale statistics the runbook
    /// was fixing are still there, usually discovered only when someone reads the output.
    ///
    /// ## Example
    /// ```bash
    /// docker exec supabase-db reindex --all
    /// docker exec shop-postgres-1 VACUUM ANALYZE orders
    /// ```
    ///
    /// Use instead (the client programs, or the statement through psql):
    /// ```bash
    /// docker exec supabase-db reindexdb -U postgres --all --concurrently
    /// docker exec shop-postgres-1 psql -v ON_ERROR_STOP=1 -U postgres -d shop -c 'VACUUM (ANALYZE) orders;'
    /// ```
    ///
    /// ## Fix
    /// Use `vacuumdb`, `reindexdb` or `clusterdb`, which wrap those statements, or run the
    /// statement with `psql -c`.
    pub struct SqlKeywordAsCommand {
        code: "FD204",
        name: "sql-keyword-as-command",
        severity: Error,
        summary: "An SQL keyword (VACUUM, REINDEX, ...) is run as if it were a program",
    }
}

/// SQL statement keywords that are not the names of programs (`truncate` and `copy`-like words
/// that are programs are left out).
const SQL_WORDS: &[&str] = &[
    "vacuum", "vacuumfull", "vacuum_full", "reindex", "analyze", "analyse", "cluster", "checkpoint", "select", "insert",
    "update", "delete", "alter", "grant", "revoke", "create", "drop", "explain", "begin", "commit", "rollback", "refresh",
];

impl Rule for SqlKeywordAsCommand {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            // The shell analysis is made (and kept) for every shell block by FD201 anyway.
            let analysed = crate::runbook::shell::analyse(block);
            for cmd in &analysed.commands {
                let inv = ops::invocation(cmd);
                let Some(name) = inv.name() else { continue };
                let plain = ops::plain(name);
                let plain = plain.trim_end_matches(';');
                if !SQL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(plain)) {
                    continue;
                }
                let word = plain.to_ascii_lowercase();
                // Bash's own `select` loop at top level is a keyword, not a program.
                if inv.wrapper.is_none() && word == "select" {
                    continue;
                }
                let args: Vec<String> = inv.args().iter().map(|w| w.unquoted().to_ascii_lowercase()).collect();
                let full = word.contains("full") || args.iter().any(|a| a == "full");
                let statement = std::iter::once(word.to_ascii_uppercase())
                    .chain(inv.args().iter().map(|w| w.unquoted()))
                    .collect::<Vec<_>>()
                    .join(" ");
                let instead = match word.as_str() {
                    "vacuum" | "vacuumfull" | "vacuum_full" if full => "`vacuumdb --full` (or `psql -c 'VACUUM FULL ...'`)".to_string(),
                    "vacuum" | "vacuumfull" | "vacuum_full" => "`vacuumdb` (`--analyze` for `VACUUM ANALYZE`)".to_string(),
                    "analyze" | "analyse" => "`vacuumdb --analyze-only`".to_string(),
                    "reindex" => "`reindexdb` (`--concurrently` keeps writes going)".to_string(),
                    "cluster" => "`clusterdb`".to_string(),
                    _ => format!("`psql -c \"{};\"`", statement.trim_end_matches(';')),
                };
                let place = match (inv.wrapper, inv.container) {
                    (Some(w), Some(c)) => format!(" inside `{w} {}`", c.text),
                    _ => String::new(),
                };
                out.push(
                    Finding::new(
                        block.content.source_range(name.span.clone()),
                        format!("`{}` is SQL, not a program: run{place} it fails with \"executable file not found\" and changes nothing", name.text.trim_end_matches(';')),
                    )
                    .help(format!("use {instead}, or pass the statement to psql with `-c`")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::SqlKeywordAsCommand, src)
    }

    #[test]
    fn keywords_inside_containers_and_bare() {
        let src = "```bash\ndocker exec -it db vacuumfull;\ndocker compose exec postgres reindex shop\nreindex --all\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (2, 20));
        assert!(got[0].2.contains("inside `docker exec db`"), "{}", got[0].2);
    }

    #[test]
    fn the_client_programs_are_fine() {
        let src = "```bash\ndocker exec db vacuumdb --analyze-only -d shop\ndocker exec db reindexdb --concurrently -d shop\ndocker exec db psql -c 'VACUUM ANALYZE orders'\nselect opt in a b; do echo $opt; done\ntruncate -s 0 app.log\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
