use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::lint::ops::{self, Invocation};
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded::sql_tokens;
use crate::runbook::{shell, Runbook};

declare_rule! {
    /// ## What it does
    /// Finds steps that destroy data with nothing before them, in the same section, that takes a
    /// fresh backup or confirms the target:
    /// - SQL: `DROP DATABASE`, `DROP SCHEMA`, `DROP TABLE` (of a table the same SQL did not just
    ///   create), `TRUNCATE`, `DELETE FROM ...` without `WHERE`, in ```sql blocks, `psql -c` strings
    ///   and heredocs;
    /// - shell: `dropdb` (`--force` also ends its sessions), `docker compose down -v`, `docker volume
    ///   rm|prune`, `docker system prune --volumes`, `rm -rf` on a data directory (`pgdata`,
    ///   `./volumes/db/data`, `/var/lib/postgresql`, `redis-data`), `redis-cli FLUSHALL|FLUSHDB`,
    ///   `pg_restore --clean`.
    ///
    /// A guard is a backup command earlier in the section (`pg_dump`, `pg_dumpall`,
    /// `pg_basebackup`, `redis-cli --rdb`, `BGSAVE`, `tar c...`, pgBackRest, WAL-G, Barman,
    /// restic, borg), or a confirmation of the target: a variable or check named `CONFIRM...`/
    /// `CONFIRMAR...`, a comparison with `hostname`, or a `read` whose answer is tested before the
    /// step.
    ///
    /// ## Why is this bad?
    /// These steps cannot be undone. Run against the wrong host, database or volume — easy at
    /// 3 a.m. with several terminals open — or run when the backup the procedure counts on turns out
    /// to be a day old or empty, they turn an incident into data loss.
    ///
    /// ## Example
    /// ```bash
    /// docker compose down -v
    /// rm -rf ./volumes/db/data
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// : "${CONFIRM_TARGET:?set CONFIRM_TARGET to the name of this host}"
    /// [[ "$CONFIRM_TARGET" == "$(hostname -s)" ]] || exit 1
    /// docker compose exec -T db pg_dumpall -U postgres > "/backups/before-rebuild-$(date +%s).sql"
    /// docker compose down -v
    /// ```
    ///
    /// ## Fix
    /// Put a fresh, checked backup and an explicit confirmation of the target before the step,
    /// in the same procedure; or say why neither is needed with a `firedrill-disable` comment.
    pub struct UnguardedDestructiveStep {
        code: "FD205",
        name: "unguarded-destructive-step",
        severity: Error,
        summary: "A step destroys data with no fresh backup or target check before it",
    }
}

impl Rule for UnguardedDestructiveStep {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        let mut steps: Vec<(Range<usize>, Option<usize>, String, &'static str)> = Vec::new();
        for block in rb.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !["rm", "drop", "down", "volume", "prune", "FLUSH", "flush", "pg_restore"].iter().any(|w| body.contains(w)) {
                continue;
            }
            let analysed = shell::analyse(block);
            for cmd in ops::steps(&analysed) {
                let inv = ops::invocation(cmd);
                if let Some((what, kind)) = destructive_command(&inv) {
                    let span = block.content.source_range(cmd.span.clone());
                    steps.push((span, block.section, what, kind));
                }
            }
        }
        {
            for (frag, tokens) in rb.sql_with_tokens() {
                let sql = frag.snippet.text.as_str();
                if !["DROP", "drop", "TRUNCATE", "truncate", "DELETE", "delete", "Drop", "Delete"].iter().any(|w| sql.contains(w)) {
                    continue;
                }
                let mut created: HashSet<String> = HashSet::new();
                for st in sql_tokens::statements(tokens, sql) {
                    if let Some((range, what)) = destructive_statement(st, sql, &mut created) {
                        let section = rb.blocks[frag.block].section;
                        steps.push((frag.snippet.source_range(range), section, what, "sql"));
                    }
                }
            }
        }
        steps.sort_by_key(|s| s.0.start);
        for (span, section, what, kind) in steps {
            if guarded(rb, section, span.start) {
                continue;
            }
            let title = section.and_then(|s| rb.headings.get(s)).map(|h| h.title.as_str());
            let place = title.map_or("before it".to_string(), |t| format!("before it in its section (“{t}”)"));
            let backup = if kind == "redis" { "`redis-cli --rdb /backups/before.rdb`" } else { "`pg_dump -Fc ... > before.dump && pg_restore --list before.dump`" };
            out.push(
                Finding::new(span, format!("{what}, and nothing {place} takes a fresh backup or confirms the target"))
                    .help(format!("take a fresh, checked backup first ({backup}) and confirm the target (`: \"${{CONFIRM_TARGET:?}}\"; [[ $CONFIRM_TARGET == $(hostname -s) ]] || exit 1`)")),
            );
        }
    }
}

/// A destructive shell command: what it destroys, in words, and its kind (`redis` or `data`).
fn destructive_command(inv: &Invocation) -> Option<(String, &'static str)> {
    let program = inv.program()?;
    // Most commands are none of these: decide before collecting their arguments.
    if !matches!(&*program, "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" | "dropdb" | "rm" | "redis-cli" | "pg_restore") {
        return None;
    }
    let args: Vec<String> = inv.args().iter().map(|w| w.unquoted()).collect();
    let operands: Vec<&str> = args.iter().filter(|a| !a.starts_with('-')).map(String::as_str).collect();
    if let Some((compose, sub, after)) = ops::docker_subcommand(inv.words) {
        let after_args: Vec<String> = after.iter().map(|w| w.unquoted()).collect();
        let has = |f: &str| after_args.iter().any(|a| a == f);
        return match sub.as_str() {
            "down" if compose && (has("-v") || has("--volumes")) => {
                Some(("`docker compose down -v` deletes the project's volumes, and the data of every service with them".into(), "data"))
            }
            "volume" => match after_args.first().map(String::as_str) {
                Some("rm" | "remove") => {
                    let names: Vec<&str> = after_args[1..].iter().filter(|a| !a.starts_with('-')).map(String::as_str).collect();
                    let force = if has("--force") || has("-f") { " (`--force` even while a container uses them)" } else { "" };
                    Some((format!("`docker volume rm` deletes the volume(s) `{}`{force}", names.join(" ")), "data"))
                }
                Some("prune") => Some(("`docker volume prune` deletes every volume no container uses right now".into(), "data")),
                _ => None,
            },
            "system" if after_args.first().is_some_and(|a| a == "prune") && has("--volumes") => {
                Some(("`docker system prune --volumes` deletes every unused volume".into(), "data"))
            }
            _ => None,
        };
    }
    match &*program {
        "dropdb" => {
            let db = operands.last().copied().unwrap_or("the database");
            let force = if args.iter().any(|a| a == "--force" || a == "-f") { " (`--force` also ends every session on it)" } else { "" };
            Some((format!("`dropdb` drops the database `{db}`{force}"), "data"))
        }
        "rm" => {
            let recursive = args.iter().any(|a| a == "--recursive" || (a.starts_with('-') && !a.starts_with("--") && (a.contains('r') || a.contains('R'))));
            let dirs: Vec<&str> = operands.iter().copied().filter(|p| ops::is_data_dir(p)).collect();
            let what = if dirs.len() == 1 { "the data directory" } else { "the data directories" };
            (recursive && !dirs.is_empty()).then(|| (format!("`rm -r` deletes {what} `{}`", dirs.join(" ")), "data"))
        }
        "redis-cli" => {
            if inv.has_word("FLUSHALL") {
                Some(("`FLUSHALL` empties every Redis database".into(), "redis"))
            } else if inv.has_word("FLUSHDB") {
                Some(("`FLUSHDB` empties the Redis database".into(), "redis"))
            } else {
                None
            }
        }
        "pg_restore" if (inv.has_flag(&["--clean"]) || inv.has_short('c', "dfFIjLnNPStTU")) && (inv.has_flag(&["--dbname"]) || inv.has_short('d', "fFIjLnNPStTU")) => {
            Some(("`pg_restore --clean` drops every object of the dump from the target database before recreating it".into(), "data"))
        }
        _ => None,
    }
}

/// A destructive SQL statement: the range to report (keyword to object name) and what it does.
/// `created` collects the tables the same SQL creates: dropping those again is cleaning up.
fn destructive_statement(st: &[sql_tokens::Token], sql: &str, created: &mut HashSet<String>) -> Option<(Range<usize>, String)> {
    let word = |i: usize, w: &str| st.get(i).is_some_and(|t| t.is_word(sql, w));
    let name_at = |i: usize| -> Option<(String, usize)> {
        // A possibly qualified name from token i: returns it and the index of its last token.
        let mut j = i;
        let mut name = st.get(j)?.name(sql)?;
        while st.get(j + 1).is_some_and(|t| t.is_punct(sql, '.')) {
            let part = st.get(j + 2)?.name(sql)?;
            name = format!("{name}.{part}");
            j += 2;
        }
        Some((name, j))
    };
    let skip_if_exists = |i: usize| if word(i, "if") && word(i + 1, "exists") { i + 2 } else { i };
    let range_to = |last: usize| st[0].range.start..st[last].range.end;
    if word(0, "create") {
        let mut i = 1;
        while ["temp", "temporary", "unlogged", "or", "replace"].iter().any(|w| word(i, w)) {
            i += 1;
        }
        if word(i, "table") {
            let i = if word(i + 1, "if") && word(i + 2, "not") && word(i + 3, "exists") { i + 4 } else { i + 1 };
            if let Some((n, _)) = name_at(i) {
                created.insert(n);
            }
        }
        return None;
    }
    if word(0, "drop") {
        let (what, kind) = if word(1, "database") {
            ("database", "drops the database")
        } else if word(1, "schema") {
            ("schema", "drops the schema")
        } else if word(1, "table") {
            ("table", "drops the table")
        } else {
            return None;
        };
        let (n, last) = name_at(skip_if_exists(2))?;
        if what == "table" && created.contains(&n) {
            return None;
        }
        let cascade = st.iter().any(|t| t.is_word(sql, "cascade"));
        let tail = if cascade { " and everything that depends on it (`CASCADE`)" } else { "" };
        return Some((range_to(last), format!("`DROP {} {n}` {kind}{tail}", what.to_ascii_uppercase())));
    }
    if word(0, "truncate") {
        let i = if word(1, "table") { 2 } else { 1 };
        let i = if word(i, "only") { i + 1 } else { i };
        let (n, last) = name_at(i)?;
        if created.contains(&n) {
            return None;
        }
        return Some((range_to(last), format!("`TRUNCATE {n}` empties the table")));
    }
    if word(0, "delete") && word(1, "from") {
        let i = if word(2, "only") { 3 } else { 2 };
        let (n, last) = name_at(i)?;
        if created.contains(&n) || st.iter().any(|t| t.is_word(sql, "where")) {
            return None;
        }
        return Some((range_to(last), format!("`DELETE FROM {n}` without `WHERE` deletes every row")));
    }
    None
}

/// Words that say a procedure confirms its target.
static CONFIRMS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)confirm|\bhostname\b").unwrap());

/// Whether a backup or a target check comes before `before` in `section`.
fn guarded(rb: &Runbook, section: Option<usize>, before: usize) -> bool {
    for (block, analysed) in ops::earlier_in_section(rb, section, before) {
        let mut asked: Vec<String> = Vec::new();
        for cmd in ops::steps(&analysed) {
            if block.content.source_offset(cmd.span.start) >= before {
                break;
            }
            let inv = ops::invocation(cmd);
            if ops::backup_tool(&inv).is_some() {
                return true;
            }
            match inv.program().as_deref() {
                Some("read") => asked.extend(inv.args().iter().filter(|w| !w.is_option()).map(|w| w.unquoted()).last()),
                Some("[" | "[[" | "test" | "case") => {
                    if asked.iter().any(|v| inv.args().iter().any(|w| w.text.contains(&format!("${v}")) || w.text.contains(&format!("${{{v}}}")))) {
                        return true;
                    }
                }
                _ => {}
            }
        }
    }
    let text = ops::section_text_before(rb, section, before);
    CONFIRMS.is_match(&text) || BACKUP_IN_TEXT.is_match(&text)
}

/// Backup commands written in the steps' prose (`1. Take a dump: `pg_dump -Fc shop > x.dump``).
static BACKUP_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:pg_dump|pg_dumpall|pg_basebackup|mysqldump|BGSAVE|pgbackrest\s+[^\n]*backup|wal-g\s+backup-push|barman\s+backup)\b|--rdb\b").unwrap()
});

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::UnguardedDestructiveStep, src)
    }

    #[test]
    fn unguarded_steps() {
        let src = "## DR\n\n```bash\n#!/bin/bash\nread -p \"Which dump? \" DUMP\ndocker compose down -v\nrm -rf ./volumes/db/data /tmp/x\ndocker exec redis redis-cli FLUSHALL\npsql -c 'DROP SCHEMA tienda CASCADE;'\n```\n";
        let got = run(src);
        let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, vec![6, 7, 8, 9], "{got:?}");
        assert!(got[3].2.contains("`DROP SCHEMA tienda` drops the schema and everything that depends on it"), "{}", got[3].2);
        assert!(got[1].2.contains("`./volumes/db/data`"), "{}", got[1].2);
    }

    #[test]
    fn backups_and_confirmations_guard() {
        let src = "## Drop\n\n```bash\ndocker exec db pg_dump -Fc shop > /backups/before.dump\ndropdb shop\n```\n\n## Confirmed\n\n```bash\nread -p \"Type the host name: \" answer\n[ \"$answer\" = \"$(hostname -s)\" ] || exit 1\ndocker compose down -v\n```\n\n## Scratch\n\n```sql\nCREATE TEMP TABLE t AS SELECT 1;\nDROP TABLE t;\nDELETE FROM carts WHERE updated_at < now() - interval '30 days';\n```\n\n## Old backups\n\n```bash\nfind /srv/backups -mtime +7 -exec rm -rf -- {} +\nrm -rf /srv/backups/base/2026-01-01\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
