use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, Command, Stdin};

declare_rule! {
    /// ## What it does
    /// Finds restores that report success when they failed:
    /// - `psql` fed a dump or an SQL file — piped from `gunzip -c`, `zcat`, `cat` or `pg_dump`,
    ///   redirected from a `*.sql` file, or given one with `-f` — without `-v ON_ERROR_STOP=1`;
    /// - `pg_restore -d ...` without `--exit-on-error` (`-e`) or `--single-transaction` (`-1`,
    ///   which implies it).
    ///
    /// `--single-transaction` alone does not help psql: without `ON_ERROR_STOP` it keeps reading
    /// after the first error, the final `COMMIT` quietly rolls everything back, and psql still
    /// exits 0.
    ///
    /// ## Why is this bad?
    /// By default psql prints an error for each failing statement and carries on; at the end it
    /// exits 0. pg_restore carries on too and only exits non-zero at the very end. A restore whose
    /// first `CREATE TABLE` failed (wrong owner, the database not empty, an extension missing)
    /// scrolls past as a wall of output, the script moves on, and the service is started on a
    /// half-restored database.
    ///
    /// ## Example
    /// ```bash
    /// gunzip -c /backups/shop.sql.gz | docker exec -i db psql -U postgres shop
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// gunzip -c /backups/shop.sql.gz | docker exec -i db psql -v ON_ERROR_STOP=1 --single-transaction -U postgres shop
    /// ```
    ///
    /// ## Fix
    /// Add `-v ON_ERROR_STOP=1` to psql (with `--single-transaction` to get all or nothing) and
    /// `--exit-on-error` to pg_restore, and run the restore with `set -o pipefail` so a failing
    /// `gunzip` is not lost either.
    pub struct RestoreHidesFailure {
        code: "FD206",
        name: "restore-hides-failure",
        severity: Warning,
        summary: "A restore carries on after errors and exits 0 (no ON_ERROR_STOP / --exit-on-error)",
    }
}

/// Programs whose output piped into psql is a dump or an SQL script.
const DUMP_SOURCES: &[&str] = &["gunzip", "zcat", "gzcat", "cat", "xzcat", "bzcat", "zstdcat", "zstd", "xz", "pg_dump", "pg_dumpall", "unzip"];

impl Rule for RestoreHidesFailure {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !body.contains("psql") && !body.contains("pg_restore") {
                continue;
            }
            let analysed = shell::analyse(block);
            let commands: Vec<&Command> = ops::steps(&analysed).collect();
            for (i, cmd) in commands.iter().enumerate() {
                let inv = ops::invocation(cmd);
                let Some(name) = inv.name() else { continue };
                let at = block.content.source_range(name.span.clone());
                match inv.program().as_deref() {
                    Some("psql") => {
                        if inv.args().iter().any(|w| w.text.contains("ON_ERROR_STOP")) {
                            continue;
                        }
                        let Some(input) = script_input(cmd, &inv, commands[..i].last().copied()) else { continue };
                        let single = inv.has_flag(&["--single-transaction"]) || inv.has_short('1', "cdfhpUvoLTPFR");
                        let then = if single {
                            "psql keeps reading after the first error; `--single-transaction` then rolls it all back, and psql still exits 0"
                        } else {
                            "psql prints each error, carries on with the next statement and exits 0"
                        };
                        out.push(
                            Finding::new(at, format!("`psql` runs {input} without `ON_ERROR_STOP`: {then}, so the step looks successful"))
                                .help("add `-v ON_ERROR_STOP=1` (and `--single-transaction` for all or nothing); with a pipe, `set -o pipefail` too"),
                        );
                    }
                    Some("pg_restore") => {
                        let lists = inv.has_flag(&["--list"]) || inv.has_short('l', "dfFIjLnNPStTU");
                        let into_db = inv.has_flag(&["--dbname"]) || inv.has_short('d', "fFIjLnNPStTU");
                        let stops = inv.has_flag(&["--exit-on-error", "--single-transaction"])
                            || inv.has_short('e', "dfFIjLnNPStTU")
                            || inv.has_short('1', "dfFIjLnNPStTU");
                        if lists || !into_db || stops {
                            continue;
                        }
                        out.push(
                            Finding::new(at, "`pg_restore` without `--exit-on-error` carries on after a failed object and the database is left half restored")
                                .help("add `--exit-on-error` (or `--single-transaction`, which implies it)"),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

/// What psql is made to run, if it is a dump or script: "the output of `gunzip`", "`shop.sql`".
fn script_input(cmd: &Command, inv: &ops::Invocation, previous: Option<&Command>) -> Option<String> {
    // `-f file` / `--file=file`.
    let args = inv.args();
    for (i, w) in args.iter().enumerate() {
        let t = w.unquoted();
        let file = if t == "-f" || t == "--file" {
            args.get(i + 1).map(|n| n.unquoted())
        } else {
            t.strip_prefix("--file=").map(str::to_string)
        };
        if let Some(f) = file.filter(|f| f != "-") {
            return Some(format!("`{f}`"));
        }
    }
    match cmd.stdin {
        Stdin::Pipe => {
            let source = previous.filter(|p| p.piped_out)?;
            let program = ops::invocation(source).program()?;
            DUMP_SOURCES.contains(&&*program).then(|| format!("the output of `{program}`"))
        }
        Stdin::File => {
            let target = cmd.redirects.iter().find(|r| r.op == "<")?.target.as_ref()?.unquoted();
            let lower = target.to_ascii_lowercase();
            (lower.contains(".sql") || lower.contains(".dump") || lower.contains("dump")).then(|| format!("`{target}`"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::RestoreHidesFailure, src)
    }

    #[test]
    fn restores_without_stop() {
        let src = "```bash\ngunzip -c d.sql.gz | docker exec -i db psql -U postgres shop\ndocker exec -i db psql -1 -U postgres -f /tmp/x.sql shop\ndocker compose exec -T db psql shop < /backups/incr.sql\ndocker exec -i db pg_restore -U postgres -d shop --clean < x.dump\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (2, 40));
        assert!(got[1].2.contains("rolls it all back"), "{}", got[1].2);
    }

    #[test]
    fn stopping_restores_and_other_psql_are_fine() {
        let src = "```bash\ngunzip -c d.sql.gz | psql -v ON_ERROR_STOP=1 shop\npsql --set=ON_ERROR_STOP=on -f x.sql\npg_restore -d shop --exit-on-error x.dump\npg_restore -1 -d shop x.dump\npg_restore --list x.dump\npsql -c 'select 1'\nPGPASSWORD=x psql <<'SQL'\nselect 1;\nSQL\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
