use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::embedded::sql_tokens::{self, Token, TokenKind};

declare_rule! {
    /// ## What it does
    /// Finds SQL that uses a catalog column, function or setting that the target PostgreSQL major
    /// version (`postgres_version` in `firedrill.toml`, default 17) does not have: renamed, moved
    /// to another view, or removed. It reads ```sql blocks, `psql -c "..."` strings (also through
    /// `docker exec`, `kubectl exec`, `ssh`, `$(...)`) and heredocs fed to psql.
    ///
    /// Among others:
    /// - PostgreSQL 13 renamed `pg_stat_statements.total_time`, `mean_time`, `min_time`,
    ///   `max_time` and `stddev_time` to `*_exec_time`; 17 renamed `blk_read_time` /
    ///   `blk_write_time` to `shared_blk_read_time` / `shared_blk_write_time`.
    /// - PostgreSQL 15 removed `pg_start_backup()` / `pg_stop_backup()` (now `pg_backup_start()` /
    ///   `pg_backup_stop()`, non-exclusive only), `pg_is_in_backup()` and `pg_backup_start_time()`.
    /// - PostgreSQL 17 moved the checkpoint counters of `pg_stat_bgwriter` to `pg_stat_checkpointer`
    ///   (`checkpoints_timed` → `num_timed`, ...) and dropped `buffers_backend` (see `pg_stat_io`).
    /// - PostgreSQL 10 renamed `pg_*xlog*` functions to `pg_*wal*` and `*_location` to `*_lsn`.
    ///
    /// With an older target, names that only appear later (`total_exec_time` before 13,
    /// `pg_stat_checkpointer` before 17) are reported too.
    ///
    /// A column name counts only when the same statement reads the catalog view that has it (and,
    /// when qualified, through that view or its alias): `total_time` of your own `jobs` table, or an
    /// alias `AS total_time`, is left alone. Strings and comments are never read as names.
    ///
    /// ## Why is this bad?
    /// The query fails with `column "total_time" does not exist` or `function pg_start_backup(...)
    /// does not exist` in the middle of an incident or a backup, when the runbook is the only
    /// thing the on-call has.
    ///
    /// ## Example
    /// ```sql
    /// SELECT query, calls, mean_time FROM pg_stat_statements ORDER BY total_time DESC LIMIT 10;
    /// SELECT pg_start_backup('nightly', true);
    /// ```
    ///
    /// Use instead (PostgreSQL 13 and later; 15 and later for the backup functions):
    /// ```sql
    /// SELECT query, calls, mean_exec_time FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10;
    /// SELECT pg_backup_start('nightly', true);
    /// ```
    ///
    /// ## How to fix
    /// Use the replacement the message names; when a runbook serves several server versions, say
    /// which version each query is for, or set `postgres_version` to the one you run.
    pub struct CatalogDrift {
        code: "FD301",
        name: "catalog-drift",
        severity: Error,
        summary: "SQL uses a catalog column or function the target Postgres no longer has",
    }
}

/// A PostgreSQL version: (major, minor) for 9.x, (major, 0) from 10 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Version(u32, u32);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < 10 {
            write!(f, "{}.{}", self.0, self.1)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Where a name is the catalog's.
#[derive(Debug, Clone, Copy)]
enum Context {
    /// A call `name(...)`, unqualified or `pg_catalog.`.
    Function,
    /// A column of one of these views, in a statement that reads one of them.
    Column(&'static [&'static str]),
    /// A server setting: `SHOW`, `SET`, `ALTER SYSTEM`, `current_setting('...')`.
    Setting,
}

/// What happens to a function's arguments under its new name.
#[derive(Debug, Clone, Copy)]
enum Args {
    Keep,
    /// Only the first n are kept (`pg_start_backup(label, fast, exclusive)`).
    First(usize),
    /// The first one goes (`pg_stop_backup(exclusive, wait_for_archive)`).
    DropFirst,
}

/// One change in the catalog.
struct Drift {
    /// The first version without `old`.
    version: Version,
    old: &'static str,
    /// The replacement from `version` on; `""` when nothing takes its place.
    new: &'static str,
    context: Context,
    /// The view the replacement lives in, when it moved.
    moved_to: Option<&'static str>,
    /// What else changed, or what to use when nothing replaces `old`.
    note: &'static str,
    args: Args,
}

const STATEMENTS: &[&str] = &["pg_stat_statements"];
const BGWRITER: &[&str] = &["pg_stat_bgwriter"];
const ACTIVITY: &[&str] = &["pg_stat_activity"];
const REPLICATION: &[&str] = &["pg_stat_replication"];
const VACUUM: &[&str] = &["pg_stat_progress_vacuum"];

const fn func(version: Version, old: &'static str, new: &'static str) -> Drift {
    Drift {
        version,
        old,
        new,
        context: Context::Function,
        moved_to: None,
        note: "",
        args: Args::Keep,
    }
}

const fn col(
    version: Version,
    view: &'static [&'static str],
    old: &'static str,
    new: &'static str,
) -> Drift {
    Drift {
        version,
        old,
        new,
        context: Context::Column(view),
        moved_to: None,
        note: "",
        args: Args::Keep,
    }
}

const fn moved(old: &'static str, new: &'static str) -> Drift {
    Drift {
        version: V17,
        old,
        new,
        context: Context::Column(BGWRITER),
        moved_to: Some("pg_stat_checkpointer"),
        note: "",
        args: Args::Keep,
    }
}

const V92: Version = Version(9, 2);
const V95: Version = Version(9, 5);
const V96: Version = Version(9, 6);
const V10: Version = Version(10, 0);
const V13: Version = Version(13, 0);
const V15: Version = Version(15, 0);
const V17: Version = Version(17, 0);

/// The catalog changes this rule knows, oldest first.
const DRIFT: &[Drift] = &[
    col(V92, ACTIVITY, "procpid", "pid"),
    Drift {
        note: "idle sessions show `state = 'idle'` instead of `<IDLE>`",
        ..col(V92, ACTIVITY, "current_query", "query")
    },
    Drift {
        version: V95,
        old: "checkpoint_segments",
        new: "max_wal_size",
        context: Context::Setting,
        moved_to: None,
        note: "it is a size (`1GB`), not a count of segments",
        args: Args::Keep,
    },
    Drift { note: "lock waits are `wait_event_type = 'Lock'`", ..col(V96, ACTIVITY, "waiting", "wait_event_type") },
    func(V10, "pg_current_xlog_location", "pg_current_wal_lsn"),
    func(V10, "pg_current_xlog_insert_location", "pg_current_wal_insert_lsn"),
    func(V10, "pg_current_xlog_flush_location", "pg_current_wal_flush_lsn"),
    func(V10, "pg_last_xlog_receive_location", "pg_last_wal_receive_lsn"),
    func(V10, "pg_last_xlog_replay_location", "pg_last_wal_replay_lsn"),
    func(V10, "pg_xlog_location_diff", "pg_wal_lsn_diff"),
    func(V10, "pg_xlogfile_name", "pg_walfile_name"),
    func(V10, "pg_xlogfile_name_offset", "pg_walfile_name_offset"),
    func(V10, "pg_switch_xlog", "pg_switch_wal"),
    func(V10, "pg_xlog_replay_pause", "pg_wal_replay_pause"),
    func(V10, "pg_xlog_replay_resume", "pg_wal_replay_resume"),
    func(V10, "pg_is_xlog_replay_paused", "pg_is_wal_replay_paused"),
    col(V10, REPLICATION, "sent_location", "sent_lsn"),
    col(V10, REPLICATION, "write_location", "write_lsn"),
    col(V10, REPLICATION, "flush_location", "flush_lsn"),
    col(V10, REPLICATION, "replay_location", "replay_lsn"),
    col(V13, STATEMENTS, "total_time", "total_exec_time"),
    col(V13, STATEMENTS, "mean_time", "mean_exec_time"),
    col(V13, STATEMENTS, "min_time", "min_exec_time"),
    col(V13, STATEMENTS, "max_time", "max_exec_time"),
    col(V13, STATEMENTS, "stddev_time", "stddev_exec_time"),
    Drift {
        version: V13,
        old: "wal_keep_segments",
        new: "wal_keep_size",
        context: Context::Setting,
        moved_to: None,
        note: "it is a size (`1GB`), not a count of 16 MB segments",
        args: Args::Keep,
    },
    Drift {
        note: "exclusive backups are gone: `pg_backup_stop()` must run in the same session",
        args: Args::First(2),
        ..func(V15, "pg_start_backup", "pg_backup_start")
    },
    Drift {
        note: "it only ends the non-exclusive backup started in the same session",
        args: Args::DropFirst,
        ..func(V15, "pg_stop_backup", "pg_backup_stop")
    },
    Drift {
        note: "it went with exclusive backups; `pg_stat_progress_basebackup` shows running base backups",
        ..func(V15, "pg_is_in_backup", "")
    },
    Drift { note: "it went with exclusive backups", ..func(V15, "pg_backup_start_time", "") },
    col(V17, STATEMENTS, "blk_read_time", "shared_blk_read_time"),
    col(V17, STATEMENTS, "blk_write_time", "shared_blk_write_time"),
    moved("checkpoints_timed", "num_timed"),
    moved("checkpoints_req", "num_requested"),
    moved("checkpoint_write_time", "write_time"),
    moved("checkpoint_sync_time", "sync_time"),
    moved("buffers_checkpoint", "buffers_written"),
    Drift {
        note: "backend writes are counted in `pg_stat_io`: \
               `SELECT sum(writes) FROM pg_stat_io WHERE backend_type = 'client backend'`",
        ..col(V17, BGWRITER, "buffers_backend", "")
    },
    Drift {
        note: "backend fsyncs are counted in `pg_stat_io`: \
               `SELECT sum(fsyncs) FROM pg_stat_io WHERE backend_type = 'client backend'`",
        ..col(V17, BGWRITER, "buffers_backend_fsync", "")
    },
    Drift { note: "it counts bytes now, not tuples", ..col(V17, VACUUM, "max_dead_tuples", "max_dead_tuple_bytes") },
    col(V17, VACUUM, "num_dead_tuples", "num_dead_item_ids"),
];

/// Catalog views that appear in a version: (version, view, what to read before it).
const ADDED_VIEWS: &[(Version, &str, &str)] = &[
    (
        V17,
        "pg_stat_checkpointer",
        "checkpoint counters are in `pg_stat_bgwriter` before PostgreSQL 17",
    ),
    (
        Version(16, 0),
        "pg_stat_io",
        "I/O per backend type is only in `pg_stat_bgwriter` before PostgreSQL 16",
    ),
    (
        Version(14, 0),
        "pg_stat_wal",
        "WAL statistics have no view before PostgreSQL 14",
    ),
];

/// Rows of `DRIFT` by the names they match (old and new), and the views columns belong to.
static BY_NAME: LazyLock<HashMap<&'static str, Vec<usize>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for (row, d) in DRIFT.iter().enumerate() {
        map.entry(d.old).or_default().push(row);
        if is_name(d.new) {
            map.entry(d.new).or_default().push(row);
        }
    }
    map
});

static VIEWS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    DRIFT
        .iter()
        .filter_map(|d| match d.context {
            Context::Column(v) => Some(v),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
});

/// Words that end a `FROM view` before an alias could.
const NOT_ALIAS: &[&str] = &[
    "where",
    "join",
    "left",
    "right",
    "inner",
    "full",
    "cross",
    "on",
    "using",
    "order",
    "group",
    "limit",
    "offset",
    "union",
    "except",
    "intersect",
    "having",
    "window",
    "natural",
    "lateral",
    "fetch",
    "for",
    "returning",
    "set",
];

impl Rule for CatalogDrift {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let target = Version(cx.config.postgres_version, 0);
        for (frag, tokens) in cx.runbook.sql_with_tokens() {
            let sql = frag.snippet.text.as_str();
            for st in sql_tokens::statements(tokens, sql) {
                for (range, finding) in check_statement(st, sql, target) {
                    out.push(Finding {
                        span: frag.snippet.source_range(range),
                        ..finding
                    });
                }
            }
        }
    }
}

/// One statement, read for drift: its findings with ranges in the fragment's text (the finding's
/// own span is left empty for the caller to map).
fn check_statement(
    st: &[Token],
    sql: &str,
    target: Version,
) -> Vec<(std::ops::Range<usize>, Finding)> {
    let names: Vec<Option<String>> = st.iter().map(|t| t.name(sql)).collect();
    let name = |i: usize| names.get(i).and_then(|n| n.as_deref());
    let punct = |i: usize, c: char| st.get(i).is_some_and(|t| t.is_punct(sql, c));
    let word = |i: usize, w: &str| st.get(i).is_some_and(|t| t.is_word(sql, w));
    let called = |i: usize| punct(i + 1, '(');
    let qualifier = |i: usize| (i >= 2 && punct(i - 1, '.')).then(|| name(i - 2)).flatten();

    // Views the statement reads, with their aliases; names given with `AS`.
    let mut views: HashSet<&str> = HashSet::new();
    let mut alias_of: Vec<(String, &str)> = Vec::new();
    let mut as_names: HashSet<&str> = HashSet::new();
    let known = &*VIEWS;
    for i in 0..st.len() {
        let Some(n) = name(i) else { continue };
        if let Some(&view) = known.get(n) {
            if punct(i + 1, '.') {
                continue; // `pg_stat_statements.calls`: a qualifier, the view is read elsewhere
            }
            views.insert(view);
            let a = if word(i + 1, "as") { i + 2 } else { i + 1 };
            if let Some(alias) = name(a).filter(|n| !NOT_ALIAS.contains(n) && !punct(a + 1, '(')) {
                alias_of.push((alias.to_string(), view));
            }
        }
        if i > 0 && word(i - 1, "as") && !called(i) {
            as_names.insert(n);
        }
    }
    let first = name(0).unwrap_or("");
    let setting_statement = matches!(first, "show" | "set" | "reset")
        || (first == "alter" && name(1) == Some("system"));
    let reads_settings = names
        .iter()
        .flatten()
        .any(|n| matches!(n.as_str(), "current_setting" | "set_config" | "pg_settings"));

    let mut out = Vec::new();
    let mut seen: HashSet<(usize, bool)> = HashSet::new();
    for i in 0..st.len() {
        let t = &st[i];
        // Settings named in strings: `current_setting('wal_keep_segments')`.
        let string_setting = if reads_settings {
            t.string_value(sql)
        } else {
            None
        };
        let Some(n) = name(i).or(string_setting) else {
            continue;
        };
        for &row in BY_NAME.get(n).map_or(&[][..], Vec::as_slice) {
            let d = &DRIFT[row];
            let gone = target >= d.version && n == d.old;
            let early = target < d.version && n == d.new && d.moved_to.is_none() && is_name(d.new);
            if !(gone || early) || seen.contains(&(row, gone)) {
                continue;
            }
            let hit = match d.context {
                Context::Function => {
                    t.kind != TokenKind::String
                        && called(i)
                        && qualifier(i).is_none_or(|q| q == "pg_catalog")
                }
                Context::Setting => {
                    if t.kind == TokenKind::String {
                        true
                    } else {
                        setting_statement && i <= 4 && !called(i)
                    }
                }
                Context::Column(in_views) => {
                    t.kind != TokenKind::String
                        && !called(i)
                        && !punct(i + 1, '.')
                        && !word(i.wrapping_sub(1), "as")
                        && !as_names.contains(n)
                        && in_views.iter().any(|v| views.contains(v))
                        && qualifier(i).is_none_or(|q| {
                            in_views.contains(&q)
                                || alias_of.iter().any(|(a, v)| a == q && in_views.contains(v))
                        })
                }
            };
            if !hit {
                continue;
            }
            seen.insert((row, gone));
            let finding = if gone {
                gone_finding(d, st, sql, i, target, &views)
            } else {
                Finding::new(
                    0..0,
                    format!(
                        "`{n}` does not exist before PostgreSQL {} (target: {target})",
                        d.version
                    ),
                )
                .help(format!("on PostgreSQL {target} use `{}`", d.old))
            };
            out.push((t.range.clone(), finding));
        }
        // Views that do not exist yet.
        if t.kind != TokenKind::String {
            for (row, (version, view, before)) in ADDED_VIEWS.iter().enumerate() {
                if target < *version
                    && n == *view
                    && !called(i)
                    && seen.insert((DRIFT.len() + row, false))
                {
                    out.push((
                        t.range.clone(),
                        Finding::new(0..0, format!("`{view}` does not exist before PostgreSQL {version} (target: {target})"))
                            .help(*before),
                    ));
                }
            }
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The finding for a name that is gone in the target version.
fn gone_finding(
    d: &Drift,
    st: &[Token],
    sql: &str,
    i: usize,
    target: Version,
    views: &HashSet<&str>,
) -> Finding {
    let what = match d.context {
        Context::Function => format!("`{}()`", d.old),
        Context::Setting => format!("setting `{}`", d.old),
        Context::Column(in_views) => {
            let view = in_views
                .iter()
                .find(|v| views.contains(*v))
                .unwrap_or(&in_views[0]);
            format!("`{view}.{}`", d.old)
        }
    };
    let change = match (d.new, d.moved_to, d.context) {
        ("", _, _) => format!("removed in PostgreSQL {}", d.version),
        (new, Some(view), _) => format!("PostgreSQL {} moved it to `{view}.{new}`", d.version),
        (new, None, Context::Function) => format!("PostgreSQL {} renamed it `{new}()`", d.version),
        (new, None, Context::Setting) => {
            format!("PostgreSQL {} replaced it with `{new}`", d.version)
        }
        (new, None, Context::Column(_)) if !is_name(new) => {
            format!("PostgreSQL {} replaced it with `{new}`", d.version)
        }
        (new, None, Context::Column(_)) => format!("PostgreSQL {} renamed it `{new}`", d.version),
    };
    let mut message = format!("{what} does not exist in PostgreSQL {target}: {change}");
    if !d.note.is_empty() && !d.new.is_empty() {
        message.push_str(&format!("; {}", d.note));
    }
    let help = match (d.new, d.moved_to, d.context) {
        ("", _, _) => d.note.to_string(),
        (new, Some(view), _) => format!("read it from the new view: `SELECT {new} FROM {view}`"),
        (new, None, Context::Function) => {
            format!("write `{}`", fixed_call(st, sql, i, new, d.args))
        }
        (new, None, Context::Column(_)) => {
            let q = if i >= 2 && st[i - 1].is_punct(sql, '.') {
                format!("{}.", st[i - 2].text(sql))
            } else {
                String::new()
            };
            format!("write `{q}{new}`")
        }
        (new, None, Context::Setting) => format!("use `{new}`"),
    };
    Finding::new(0..0, message).help(help)
}

/// `old(a, b, c)` at `i`, rewritten as `new(...)` with the arguments it keeps.
fn fixed_call(st: &[Token], sql: &str, i: usize, new: &str, args: Args) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut depth = 0;
    let mut start: Option<usize> = None;
    let mut end = 0;
    for t in &st[i + 1..] {
        if t.is_punct(sql, '(') || t.is_punct(sql, '[') {
            depth += 1;
            if depth == 1 {
                continue;
            }
        } else if t.is_punct(sql, ')') || t.is_punct(sql, ']') {
            depth -= 1;
            if depth == 0 {
                if let Some(s) = start {
                    parts.push(sql[s..end].to_string());
                }
                break;
            }
        } else if depth == 1 && t.is_punct(sql, ',') {
            if let Some(s) = start.take() {
                parts.push(sql[s..end].to_string());
            }
            continue;
        }
        start.get_or_insert(t.range.start);
        end = t.range.end;
    }
    let kept: Vec<String> = match args {
        Args::Keep => parts,
        Args::First(n) => parts.into_iter().take(n).collect(),
        Args::DropFirst => parts.into_iter().skip(1).collect(),
    };
    format!("{new}({})", kept.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Config, FileContext};
    use crate::runbook::Runbook;
    use std::path::Path;

    fn lint(md: &str, pg: u32) -> Vec<(String, String, Option<String>)> {
        let rb = Runbook::from_text(Path::new("t.md"), md);
        let config = Config {
            postgres_version: pg,
            ..Config::default()
        };
        let cx = FileContext {
            runbook: &rb,
            claims: &[],
            config: &config,
        };
        let mut out = Vec::new();
        CatalogDrift.check_file(&cx, &mut out);
        out.into_iter()
            .map(|f| (rb.text()[f.span].to_string(), f.message, f.help))
            .collect()
    }

    fn sql(s: &str) -> String {
        format!("```sql\n{s}\n```\n")
    }

    #[test]
    fn renamed_columns_need_their_view() {
        let hits = lint(
            &sql("SELECT query, s.mean_time FROM pg_stat_statements s ORDER BY total_time DESC;"),
            17,
        );
        assert_eq!(hits.len(), 2, "{hits:#?}");
        assert_eq!(hits[0].0, "mean_time");
        assert_eq!(
            hits[0].1,
            "`pg_stat_statements.mean_time` does not exist in PostgreSQL 17: PostgreSQL 13 renamed it `mean_exec_time`"
        );
        assert_eq!(hits[0].2.as_deref(), Some("write `s.mean_exec_time`"));
        // Our own table, an alias, another table's column, a string, a comment: silent.
        assert!(lint(
            &sql("SELECT job, total_time FROM batch_runs ORDER BY total_time;"),
            17
        )
        .is_empty());
        assert!(lint(
            &sql("SELECT round(total_exec_time::numeric, 1) AS total_time FROM pg_stat_statements ORDER BY total_time;"),
            17
        )
        .is_empty());
        assert!(lint(
            &sql("SELECT r.total_time FROM pg_stat_statements s JOIN runs r ON r.q = s.query;"),
            17
        )
        .is_empty());
        assert!(lint(
            &sql("SELECT 'total_time' FROM pg_stat_statements -- total_time\n;"),
            17
        )
        .is_empty());
        // Separate statements do not share context.
        assert!(lint(
            &sql("CREATE EXTENSION pg_stat_statements;\nSELECT total_time FROM runs;"),
            17
        )
        .is_empty());
    }

    #[test]
    fn versions_decide() {
        let q = sql("SELECT total_time FROM pg_stat_statements;");
        assert!(lint(&q, 12).is_empty());
        assert_eq!(lint(&q, 13).len(), 1);
        let hits = lint(&sql("SELECT total_exec_time FROM pg_stat_statements;"), 12);
        assert_eq!(
            hits[0].1,
            "`total_exec_time` does not exist before PostgreSQL 13 (target: 12)"
        );
        assert_eq!(
            hits[0].2.as_deref(),
            Some("on PostgreSQL 12 use `total_time`")
        );
        let hits = lint(&sql("SELECT num_timed FROM pg_stat_checkpointer;"), 16);
        assert_eq!(hits[0].0, "pg_stat_checkpointer");
        assert!(lint(&sql("SELECT num_timed FROM pg_stat_checkpointer;"), 17).is_empty());
    }

    #[test]
    fn backup_functions_show_the_fixed_call() {
        let hits = lint(&sql("SELECT pg_start_backup('nightly', true, false);\nSELECT * FROM pg_stop_backup(false, true);"), 17);
        assert_eq!(hits.len(), 2);
        assert!(hits[0].1.starts_with("`pg_start_backup()` does not exist in PostgreSQL 17: PostgreSQL 15 renamed it `pg_backup_start()`"));
        assert_eq!(
            hits[0].2.as_deref(),
            Some("write `pg_backup_start('nightly', true)`")
        );
        assert_eq!(hits[1].2.as_deref(), Some("write `pg_backup_stop(true)`"));
        assert!(lint(&sql("SELECT pg_is_in_backup();"), 17)[0]
            .1
            .contains("removed in PostgreSQL 15"));
        // A user function of the same name in another schema is not the catalog's.
        assert!(lint(&sql("SELECT ops.pg_start_backup('x');"), 17).is_empty());
    }

    #[test]
    fn bgwriter_moves_and_settings() {
        let hits = lint(
            &sql("SELECT checkpoints_timed, buffers_backend FROM pg_catalog.pg_stat_bgwriter;"),
            17,
        );
        assert_eq!(hits.len(), 2, "{hits:#?}");
        assert!(hits[0]
            .1
            .contains("PostgreSQL 17 moved it to `pg_stat_checkpointer.num_timed`"));
        assert_eq!(
            hits[0].2.as_deref(),
            Some("read it from the new view: `SELECT num_timed FROM pg_stat_checkpointer`")
        );
        assert!(hits[1].2.as_deref().unwrap().contains("pg_stat_io"));
        let hits = lint("```bash\npsql -c 'SHOW wal_keep_segments' -c \"SELECT current_setting('wal_keep_segments')\"\n```\n", 17);
        assert_eq!(hits.len(), 2, "{hits:#?}");
        assert_eq!(hits[0].0, "wal_keep_segments");
        assert_eq!(hits[1].0, "'wal_keep_segments'");
    }

    #[test]
    fn wal_functions_in_heredocs() {
        let md = "```bash\ndocker exec -i db psql -U postgres <<'SQL'\nSELECT pg_xlog_location_diff(pg_current_xlog_location(), replay_location)\nFROM pg_stat_replication;\nSQL\n```\n";
        let hits = lint(md, 17);
        let names: Vec<&str> = hits.iter().map(|h| h.0.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "pg_xlog_location_diff",
                "pg_current_xlog_location",
                "replay_location"
            ]
        );
        assert_eq!(
            hits[0].2.as_deref(),
            Some("write `pg_wal_lsn_diff(pg_current_xlog_location(), replay_location)`")
        );
    }
}
