use std::ops::Range;

use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded::sql_tokens::{self, Token};
use crate::runbook::embedded::{Fragment, Origin};
use crate::runbook::{shell, Runbook};

declare_rule! {
    /// ## What it does
    /// Finds statements PostgreSQL refuses to run inside a transaction block, written where they
    /// run inside one: between `BEGIN` (or `START TRANSACTION`) and `COMMIT` in the same SQL, or
    /// in SQL given to `psql -1` / `--single-transaction` (`-c`, heredoc or file). The statements:
    /// `VACUUM`, `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ...
    /// CONCURRENTLY`, `REINDEX DATABASE|SYSTEM`, `CREATE DATABASE`, `DROP DATABASE`, `ALTER
    /// DATABASE ... SET TABLESPACE`, `CREATE|DROP TABLESPACE`, `ALTER SYSTEM`, `CLUSTER` without a
    /// table, `CREATE SUBSCRIPTION`, `DISCARD ALL`.
    ///
    /// ## Why is this bad?
    /// The statement fails with `ERROR: VACUUM cannot run inside a transaction block`, the
    /// transaction is aborted, and every statement after it fails with `current transaction is
    /// aborted` until the `COMMIT`, which rolls everything back. The whole step did nothing.
    ///
    /// ## Example
    /// ```sql
    /// BEGIN;
    /// DELETE FROM carts WHERE updated_at < now() - interval '30 days';
    /// VACUUM ANALYZE carts;
    /// COMMIT;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// BEGIN;
    /// DELETE FROM carts WHERE updated_at < now() - interval '30 days';
    /// COMMIT;
    /// VACUUM ANALYZE carts;
    /// ```
    pub struct NotAllowedInTransaction {
        code: "FD306",
        name: "not-allowed-in-transaction",
        severity: Error,
        summary: "A statement that cannot run inside a transaction block (VACUUM, CREATE INDEX CONCURRENTLY, ...) is inside one",
    }
}

impl Rule for NotAllowedInTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        for (frag, tokens) in rb.sql_with_tokens() {
            let sql = frag.snippet.text.as_str();
            const WORDS: &[&str] = &[
                "VACUUM", "vacuum", "CONCURRENTLY", "concurrently", "DATABASE", "database", "TABLESPACE", "tablespace", "SYSTEM",
                "system", "CLUSTER", "cluster", "SUBSCRIPTION", "subscription", "DISCARD", "discard", "REINDEX", "reindex",
            ];
            if !WORDS.iter().any(|w| sql.contains(w)) {
                continue;
            }
            let single = single_transaction(rb, frag);
            let mut open: Option<usize> = None;
            for st in sql_tokens::statements(tokens, sql) {
                let word = |i: usize, w: &str| st.get(i).is_some_and(|t| t.is_word(sql, w));
                if word(0, "begin") || (word(0, "start") && word(1, "transaction")) {
                    open = Some(st[0].range.start);
                    continue;
                }
                if ["commit", "end", "rollback", "abort"].iter().any(|w| word(0, w)) && !word(1, "prepared") {
                    open = None;
                    continue;
                }
                let Some((range, what)) = refused(st, sql) else { continue };
                let context = match (open, single) {
                    (Some(at), _) => format!("it runs inside the transaction opened by `BEGIN` on line {}", rb.line_col(frag.snippet.source_offset(at)).line),
                    (None, Some(flag)) => format!("psql runs this SQL as one transaction (`{flag}`)"),
                    (None, None) => continue,
                };
                let fix = if open.is_some() { "move it after the `COMMIT` (or before the `BEGIN`)" } else { "run it in a psql call of its own, without `--single-transaction`" };
                out.push(
                    Finding::new(frag.snippet.source_range(range), format!("`{what}` cannot run inside a transaction block, and {context}: it fails and aborts the transaction"))
                        .help(fix),
                );
            }
        }
    }
}

/// A statement PostgreSQL refuses inside a transaction block: its keywords' range and its name.
fn refused(st: &[Token], sql: &str) -> Option<(Range<usize>, String)> {
    let word = |i: usize, w: &str| st.get(i).is_some_and(|t| t.is_word(sql, w));
    let has = |w: &str| st.iter().any(|t| t.is_word(sql, w));
    let upto = |last: usize| (st[0].range.start..st[last.min(st.len() - 1)].range.end, st[..=last.min(st.len() - 1)].iter().map(|t| t.text(sql).to_ascii_uppercase()).collect::<Vec<_>>().join(" "));
    if word(0, "vacuum") {
        return Some(upto(0));
    }
    if word(0, "create") || word(0, "drop") {
        let unique = usize::from(word(1, "unique"));
        if word(1 + unique, "index") && word(2 + unique, "concurrently") {
            return Some(upto(2 + unique));
        }
        if word(1, "database") || word(1, "tablespace") || (word(0, "create") && word(1, "subscription")) {
            return Some(upto(1));
        }
        return None;
    }
    if word(0, "reindex") {
        if has("concurrently") || word(1, "database") || word(1, "system") {
            let last = (1..st.len()).find(|&k| word(k, "concurrently")).unwrap_or(1);
            return Some(upto(last));
        }
        return None;
    }
    if word(0, "alter") && word(1, "system") {
        return Some(upto(1));
    }
    if word(0, "alter") && word(1, "database") && st.windows(2).any(|w| w[0].is_word(sql, "set") && w[1].is_word(sql, "tablespace")) {
        return Some(upto(1));
    }
    if word(0, "cluster") && (st.len() == 1 || (st.len() == 2 && word(1, "verbose"))) {
        return Some(upto(0));
    }
    if word(0, "discard") && word(1, "all") {
        return Some(upto(1));
    }
    None
}

/// `-1` / `--single-transaction` when the fragment is SQL a psql command with that flag runs.
fn single_transaction(rb: &Runbook, frag: &Fragment) -> Option<&'static str> {
    if !matches!(frag.origin, Origin::PsqlCommand | Origin::Heredoc) {
        return None;
    }
    let block = &rb.blocks[frag.block];
    let text = &block.content.text;
    if !text.contains("-1") && !text.contains("--single-transaction") {
        return None;
    }
    let analysed = shell::analyse(block);
    let at = frag.snippet.source_start();
    for (i, cmd) in analysed.commands.iter().enumerate() {
        let inv = ops::invocation(cmd);
        if inv.program().as_deref() != Some("psql") {
            continue;
        }
        let covers = block.content.source_range(cmd.span.clone()).contains(&at)
            || analysed.heredocs.iter().any(|h| h.command == Some(i) && block.content.source_range(h.body.clone()).contains(&at));
        if !covers {
            continue;
        }
        if inv.has_flag(&["--single-transaction"]) {
            return Some("--single-transaction");
        }
        if inv.has_short('1', "cdfhpUvoLTPFR") {
            return Some("-1");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::NotAllowedInTransaction, src)
    }

    #[test]
    fn inside_begin_and_single_transaction() {
        let src = "```sql\nBEGIN;\nDELETE FROM carts WHERE old;\nVACUUM ANALYZE carts;\nCOMMIT;\nVACUUM carts;\n```\n\n```bash\npsql -1 -c 'CREATE INDEX CONCURRENTLY i ON t (a);'\npsql --single-transaction <<'SQL'\nCREATE DATABASE shop_copy;\nSQL\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(4, 1), (10, 13), (12, 1)], "{got:?}");
        assert!(got[0].2.contains("`BEGIN` on line 2"), "{}", got[0].2);
    }

    #[test]
    fn outside_transactions_is_fine() {
        let src = "```sql\nBEGIN;\nSET LOCAL app.x = '1';\nSELECT 1;\nCOMMIT;\nVACUUM (ANALYZE) carts;\nCREATE INDEX CONCURRENTLY i ON t (a);\n```\n\n```bash\npsql -c 'VACUUM carts;'\npsql -1 -f migration.sql\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
