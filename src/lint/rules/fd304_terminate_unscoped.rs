use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};

use super::fd303_terminate_own_backend::each_termination;

declare_rule! {
    /// ## What it does
    /// Finds `pg_terminate_backend(pid)` over `pg_stat_activity` whose `WHERE` does not narrow the
    /// sessions to the ones the step is about: no database (`datname`), no user or application,
    /// no `backend_type = 'client backend'`. `WHERE pid <> pg_backend_pid()` alone still ends
    /// everything else. Statements that pick backends by pid are left alone; a missing
    /// `pid <> pg_backend_pid()` is FD303's.
    ///
    /// ## Why is this bad?
    /// `pg_stat_activity` lists every session of the server: other databases and their
    /// applications, replication connections (`walsender`: the standby disconnects and falls
    /// behind), logical replication workers, `pg_dump` runs, autovacuum workers. A step meant to
    /// free the shop's connection pool takes all of them down with it.
    ///
    /// ## Example
    /// ```sql
    /// SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid();
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// SELECT pg_terminate_backend(pid)
    /// FROM pg_stat_activity
    /// WHERE datname = current_database()
    ///   AND backend_type = 'client backend'
    ///   AND pid <> pg_backend_pid();
    /// ```
    pub struct TerminateUnscoped {
        code: "FD304",
        name: "terminate-unscoped",
        severity: Warning,
        summary: "pg_terminate_backend over pg_stat_activity is not limited to one database or client sessions",
    }
}

impl Rule for TerminateUnscoped {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        each_termination(cx, |frag, t| {
            if !t.scoped {
                out.push(
                    Finding::new(frag.snippet.source_range(t.at), "`pg_terminate_backend` over all of `pg_stat_activity`: it also ends other databases' sessions, replication connections and background workers")
                        .help("narrow the `WHERE`: `datname = current_database() AND backend_type = 'client backend'` (and the state or application you mean)"),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::TerminateUnscoped, src)
    }

    #[test]
    fn unscoped_and_scoped() {
        let src = "```sql\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid();\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'shop' AND pid <> pg_backend_pid();\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction' AND pid <> pg_backend_pid();\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![2], "{got:?}");
    }
}
