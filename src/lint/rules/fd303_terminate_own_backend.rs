use std::ops::Range;

use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded::sql_tokens::{self, Token, TokenKind};
use crate::runbook::embedded::Fragment;

declare_rule! {
    /// ## What it does
    /// Finds `pg_terminate_backend(pid)` run over `pg_stat_activity` with no condition that leaves
    /// out the session running it (`pid <> pg_backend_pid()`): `SELECT pg_terminate_backend(pid)
    /// FROM pg_stat_activity;`, or `... WHERE datname = 'shop'` (you are connected to `shop`
    /// too), or `... WHERE state <> 'idle'` (your own session is active). Statements that pick
    /// their backends by pid (`pid = 12345`, `pid = ANY(pg_blocking_pids(...))`) or by an idle
    /// state (`state = 'idle in transaction'`, which the running session never is) are left
    /// alone.
    ///
    /// ## Why is this bad?
    /// The statement terminates its own backend along with the others: psql reports `FATAL:
    /// terminating connection due to administrator command`, the statement stops part-way (the
    /// backends after yours in the scan are never terminated) and the rest of the script runs
    /// without a connection.
    ///
    /// ## Example
    /// ```sql
    /// SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'shop';
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// SELECT pg_terminate_backend(pid)
    /// FROM pg_stat_activity
    /// WHERE datname = 'shop'
    ///   AND backend_type = 'client backend'
    ///   AND pid <> pg_backend_pid();
    /// ```
    pub struct TerminateOwnBackend {
        code: "FD303",
        name: "terminate-own-backend",
        severity: Error,
        summary: "pg_terminate_backend over pg_stat_activity does not exclude its own session",
    }
}

/// What a `pg_terminate_backend` statement over `pg_stat_activity` selects.
pub(super) struct Termination {
    /// The `pg_terminate_backend` token.
    pub at: Range<usize>,
    pub excludes_self: bool,
    /// The `WHERE` narrows the backends to a database, a user, an application or client backends.
    pub scoped: bool,
}

/// Columns that narrow `pg_stat_activity` to some sessions rather than all of them.
const SCOPING_COLUMNS: &[&str] = &[
    "datname", "datid", "backend_type", "usename", "usesysid", "application_name", "client_addr", "client_hostname", "query",
    "wait_event", "wait_event_type",
];

/// `None` for statements that do not terminate backends over `pg_stat_activity`, or pick them by pid.
pub(super) fn termination(st: &[Token], sql: &str) -> Option<Termination> {
    let call = st.iter().position(|t| t.is_word(sql, "pg_terminate_backend"))?;
    if !st.iter().any(|t| t.is_word(sql, "pg_stat_activity")) {
        return None;
    }
    let op = |i: usize, o: &[&str]| st.get(i).is_some_and(|t| t.kind == TokenKind::Operator && o.contains(&t.text(sql)));
    let word = |i: usize, w: &str| st.get(i).is_some_and(|t| t.is_word(sql, w));
    let where_at = st.iter().position(|t| t.is_word(sql, "where"));
    let filter = where_at.map_or(&st[..0], |w| &st[w..]);
    let base = where_at.unwrap_or(st.len());
    let mut excludes_self = false;
    let mut by_pid = false;
    let mut scoped = false;
    for (k, t) in filter.iter().enumerate() {
        let i = base + k;
        if t.is_word(sql, "pg_backend_pid") {
            // `pid <> pg_backend_pid()`, `pg_backend_pid() != pid`, `NOT IN (pg_backend_pid())`,
            // `IS DISTINCT FROM pg_backend_pid()`.
            excludes_self |= op(i.wrapping_sub(1), &["<>", "!="])
                || op(i + 3, &["<>", "!="])
                || (word(i.wrapping_sub(3), "not") && word(i.wrapping_sub(2), "in"))
                || (word(i.wrapping_sub(2), "distinct") && word(i.wrapping_sub(1), "from"));
        }
        if t.is_word(sql, "pid") {
            let value = |j: usize| st.get(j).is_some_and(|n| n.kind == TokenKind::Number || n.kind == TokenKind::Param);
            by_pid |= (op(i + 1, &["="]) && (value(i + 2) || word(i + 2, "any")))
                || (word(i + 1, "in") && st.get(i + 2).is_some_and(|p| p.is_punct(sql, '(')) && (value(i + 3) || word(i + 3, "select")));
        }
        if let Some(n) = t.name(sql) {
            if SCOPING_COLUMNS.contains(&n.as_str()) {
                scoped = true;
            }
            // `state = 'idle in transaction'` only matches client sessions, and never the one
            // running the statement (it is `active`).
            if n == "state" && op(i + 1, &["="]) && st.get(i + 2).and_then(|v| v.string_value(sql)).is_some_and(|v| v.starts_with("idle")) {
                scoped = true;
                excludes_self = true;
            }
        }
    }
    if by_pid {
        return None;
    }
    Some(Termination { at: st[call].range.clone(), excludes_self, scoped })
}

/// Calls `found` for every `pg_terminate_backend` over `pg_stat_activity` in the runbook's SQL,
/// with the fragment it is in (FD304 judges the same statements for their scope).
pub(super) fn each_termination(cx: &FileContext, mut found: impl FnMut(&Fragment, Termination)) {
    for (frag, tokens) in cx.runbook.sql_with_tokens() {
        let sql = frag.snippet.text.as_str();
        if !sql.contains("pg_terminate_backend") {
            continue;
        }
        for st in sql_tokens::statements(tokens, sql) {
            if let Some(t) = termination(st, sql) {
                found(frag, t);
            }
        }
    }
}

impl Rule for TerminateOwnBackend {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        each_termination(cx, |frag, t| {
            if !t.excludes_self {
                out.push(
                    Finding::new(frag.snippet.source_range(t.at), "`pg_terminate_backend` over `pg_stat_activity` also terminates the session running it: the statement stops part-way and the connection is gone")
                        .help("add `AND pid <> pg_backend_pid()` to the `WHERE`"),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::TerminateOwnBackend, src)
    }

    #[test]
    fn own_backend_included() {
        let src = "```sql\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity;\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'shop';\n```\n\n```bash\npsql -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state <> 'idle';\"\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 8), (3, 8), (7, 17)], "{got:?}");
    }

    #[test]
    fn self_excluded_or_picked_by_pid() {
        let src = "```sql\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = 'shop';\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = 12345;\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids(4321));\nSELECT pg_terminate_backend(12345);\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
