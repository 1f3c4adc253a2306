use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded::sql_tokens::{self, Token};
use crate::runbook::{shell, Runbook};

declare_rule! {
    /// ## What it does
    /// Finds maintenance that locks a table against writes (or reads) for as long as it runs:
    /// `VACUUM FULL`, `CLUSTER`, `REINDEX` without `CONCURRENTLY`, `CREATE INDEX` without
    /// `CONCURRENTLY` (on a table the same SQL did not just create), `REFRESH MATERIALIZED VIEW`
    /// without `CONCURRENTLY`; and their client programs `vacuumdb --full`, `clusterdb` and
    /// `reindexdb` without `--concurrently`. Sections whose text says the work runs in a
    /// maintenance window with the service down (`maintenance window`, `downtime`, `ventana de
    /// mantenimiento`) are left alone.
    ///
    /// ## Why is this bad?
    /// `VACUUM FULL` and `CLUSTER` rewrite the table under an `ACCESS EXCLUSIVE` lock: every query
    /// on it waits, for minutes on a big table. `CREATE INDEX` and `REINDEX` block every write.
    /// Run during an incident — the usual moment someone reaches for them — they turn a slow
    /// service into a stopped one, and the connection pool fills with waiting queries.
    ///
    /// ## Example
    /// ```sql
    /// VACUUM FULL orders;
    /// CREATE INDEX orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// VACUUM (ANALYZE) orders;
    /// CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// ## Fix
    /// Use the `CONCURRENTLY` forms; for bloat, `pg_repack` or plain `VACUUM`; keep `VACUUM FULL`
    /// and `CLUSTER` for a maintenance window with the service stopped, and say so in the section.
    pub struct LockHeavyMaintenance {
        code: "FD302",
        name: "lock-heavy-maintenance",
        severity: Warning,
        summary: "Maintenance that locks the table (VACUUM FULL, CLUSTER, REINDEX/CREATE INDEX without CONCURRENTLY)",
    }
}

static WINDOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)maintenance window|downtime|ventana de mantenimiento|parada programada|con (?:el servicio|la tienda) (?:parad[oa]|cerrad[oa])|with the service (?:stopped|down)").unwrap()
});

impl Rule for LockHeavyMaintenance {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        for (frag, tokens) in rb.sql_with_tokens() {
            let sql = frag.snippet.text.as_str();
            if !["VACUUM", "vacuum", "CLUSTER", "cluster", "INDEX", "index", "REFRESH", "refresh"].iter().any(|w| sql.contains(w)) {
                continue;
            }
            let mut created: HashSet<String> = HashSet::new();
            let mut hits = Vec::new();
            for st in sql_tokens::statements(tokens, sql) {
                if let Some(hit) = lock_heavy(st, sql, &mut created) {
                    hits.push(hit);
                }
            }
            if hits.is_empty() || in_window(rb, rb.blocks[frag.block].section, frag.snippet.source_start()) {
                continue;
            }
            for (range, message, help) in hits {
                out.push(Finding::new(frag.snippet.source_range(range), message).help(help));
            }
        }
        for block in rb.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !["vacuumdb", "clusterdb", "reindexdb"].iter().any(|w| body.contains(w)) {
                continue;
            }
            let analysed = shell::analyse(block);
            for cmd in &analysed.commands {
                let inv = ops::invocation(cmd);
                let Some(name) = inv.name() else { continue };
                let (message, help) = match inv.program().as_deref() {
                    Some("vacuumdb") if inv.has_flag(&["--full"]) || inv.has_short('f', "dtjNnSUhpaP") => {
                        ("`vacuumdb --full` runs `VACUUM FULL`: each table is locked against reads and writes while it is rewritten", "drop `--full` (plain vacuum runs alongside queries), or use `pg_repack`")
                    }
                    Some("clusterdb") => ("`clusterdb` runs `CLUSTER`: each table is locked against reads and writes while it is rewritten", "keep it for a maintenance window with the service stopped"),
                    Some("reindexdb") if !inv.has_flag(&["--concurrently"]) => {
                        ("`reindexdb` without `--concurrently` blocks writes to each table while its indexes are rebuilt", "add `--concurrently`")
                    }
                    _ => continue,
                };
                if in_window(rb, block.section, block.span.start) {
                    continue;
                }
                out.push(Finding::new(block.content.source_range(name.span.clone()), message).help(help));
            }
        }
    }
}

/// Whether the section says, before `offset`, that its work runs in a maintenance window.
fn in_window(rb: &Runbook, section: Option<usize>, offset: usize) -> bool {
    let title = section.and_then(|s| rb.headings.get(s)).map_or("", |h| h.title.as_str());
    WINDOW.is_match(title)
        || rb.paragraphs.iter().any(|p| p.section == section && p.span.end <= offset && WINDOW.is_match(&p.text.text))
}

/// A lock-heavy statement: the range of its keywords, the message and the help.
fn lock_heavy(st: &[Token], sql: &str, created: &mut HashSet<String>) -> Option<(Range<usize>, String, String)> {
    let word = |i: usize, w: &str| st.get(i).is_some_and(|t| t.is_word(sql, w));
    let has = |w: &str| st.iter().any(|t| t.is_word(sql, w));
    let through = |last: usize| st[0].range.start..st[last.min(st.len() - 1)].range.end;
    if word(0, "create") {
        let mut i = 1;
        while ["temp", "temporary", "unlogged", "unique", "or", "replace"].iter().any(|w| word(i, w)) {
            i += 1;
        }
        if word(i, "table") {
            let j = if word(i + 1, "if") { i + 4 } else { i + 1 };
            // `schema.table`: the table's own name is what `ON ...` below is compared with.
            let j = if st.get(j + 1).is_some_and(|t| t.is_punct(sql, '.')) { j + 2 } else { j };
            if let Some(n) = st.get(j).and_then(|t| t.name(sql)) {
                created.insert(n);
            }
            return None;
        }
        if !word(i, "index") || word(i + 1, "concurrently") {
            return None;
        }
        // The table: the name after `ON` (`ON ONLY t`).
        let on = st.iter().position(|t| t.is_word(sql, "on"))?;
        let on_only = if word(on + 1, "only") { on + 2 } else { on + 1 };
        let mut table = st.get(on_only)?.name(sql)?;
        if st.get(on_only + 1).is_some_and(|t| t.is_punct(sql, '.')) {
            table = st.get(on_only + 2)?.name(sql)?;
        }
        if created.contains(&table) {
            return None;
        }
        return Some((
            through(i),
            format!("`CREATE INDEX` without `CONCURRENTLY` blocks every write to `{table}` until the index is built"),
            "write `CREATE INDEX CONCURRENTLY` (outside a transaction block)".into(),
        ));
    }
    if word(0, "vacuum") {
        // `VACUUM FULL t`, `VACUUM (FULL, VERBOSE) t`, `VACUUM (FULL true) t`.
        let full = word(1, "full")
            || (st.get(1).is_some_and(|t| t.is_punct(sql, '('))
                && st.iter().enumerate().take_while(|(_, t)| !t.is_punct(sql, ')')).any(|(k, t)| t.is_word(sql, "full") && !word(k + 1, "false") && !word(k + 1, "off")));
        return full.then(|| {
            (through(1), "`VACUUM FULL` rewrites the table under an exclusive lock: every query on it waits until it ends".to_string(), "use plain `VACUUM (ANALYZE)`, or `pg_repack` to reclaim space without the lock".to_string())
        });
    }
    if word(0, "cluster") {
        return Some((through(0), "`CLUSTER` rewrites the table under an exclusive lock: every query on it waits until it ends".into(), "keep it for a maintenance window with the service stopped, or use `pg_repack --order-by`".into()));
    }
    if word(0, "reindex") && !has("concurrently") {
        let what = (1..4).find(|&k| ["index", "table", "schema", "database", "system"].iter().any(|w| word(k, w))).unwrap_or(1);
        return Some((through(what), "`REINDEX` without `CONCURRENTLY` blocks writes to the table (and reads that use the index) while it runs".into(), "write `REINDEX ... CONCURRENTLY` (PostgreSQL 12+, outside a transaction block)".into()));
    }
    if word(0, "refresh") && word(1, "materialized") && !word(3, "concurrently") {
        return Some((through(2), "`REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` blocks every read of the view while it runs".into(), "write `REFRESH MATERIALIZED VIEW CONCURRENTLY` (the view needs a unique index)".into()));
    }
    None
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::LockHeavyMaintenance, src)
    }

    #[test]
    fn locking_statements_and_tools() {
        let src = "## Bloat\n\n```sql\nVACUUM FULL VERBOSE orders;\nVACUUM (FULL, ANALYZE) items;\nREINDEX TABLE tienda.precios;\nCREATE UNIQUE INDEX i ON orders (a);\nCLUSTER orders USING orders_pkey;\n```\n\n```bash\ndocker exec db vacuumdb -U postgres --full -d shop\ndocker exec db reindexdb -d shop\n```\n";
        let got = run(src);
        let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, vec![4, 5, 6, 7, 8, 12, 13], "{got:?}");
    }

    #[test]
    fn concurrent_new_tables_and_windows_are_fine() {
        let src = "```sql\nVACUUM (ANALYZE, VERBOSE) orders;\nREINDEX INDEX CONCURRENTLY i;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (a);\nCREATE TABLE staging (a int);\nCREATE INDEX ON staging (a);\n```\n\n## Yearly maintenance window\n\nWith the shop closed:\n\n```sql\nVACUUM FULL orders;\n```\n\n```bash\nvacuumdb --analyze-only -d shop\nreindexdb --concurrently -d shop\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
