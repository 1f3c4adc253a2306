//! What shell commands do to the systems a runbook runs: the program a wrapper really runs
//! (`docker exec db psql`, `docker compose exec -T db ...`, `kubectl exec pod -- ...`,
//! `sudo -u postgres ...`), and which commands back up, verify, start, stop or destroy. Shared by
//! the operations rules (FD2xx), the SQL rules that need the psql command line (FD3xx) and the
//! secret-exposure rules (FD5xx). Everything here reads [`shell::Command`]s; nothing re-parses.

use std::borrow::Cow;
use std::ops::Range;

use crate::runbook::shell::{self, Command, Nesting, ShellBlock, Word};
use crate::runbook::{CodeBlock, Runbook};

/// A command line as it runs in the end: the program and its arguments once wrappers are peeled.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// The program word first (`psql`, `vacuum`, `redis-cli`); empty when there is none.
    pub words: &'a [Word],
    /// The container, service or pod a wrapper runs it in.
    pub container: Option<&'a Word>,
    /// `docker exec`, `docker compose exec`, `kubectl exec`, `sudo`, for messages.
    pub wrapper: Option<&'static str>,
}

impl<'a> Invocation<'a> {
    pub fn name(&self) -> Option<&'a Word> {
        self.words.first()
    }

    /// The program unquoted and without its directory (`/usr/bin/psql` → `psql`).
    pub fn program(&self) -> Option<Cow<'a, str>> {
        Some(base_name(plain(self.name()?)))
    }

    pub fn args(&self) -> &'a [Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// Whether any argument, unquoted, equals one of `flags` (`--list`) or starts with one
    /// followed by `=` (`--dbname=shop`).
    pub fn has_flag(&self, flags: &[&str]) -> bool {
        self.args().iter().any(|w| {
            let t = plain(w);
            flags.iter().any(|f| t == *f || t.strip_prefix(f).is_some_and(|r| r.starts_with('=')))
        })
    }

    /// Whether the short option `c` is set, alone or in a cluster (`-Fc` has `F` and `c`) that
    /// stops at an option in `with_value`.
    pub fn has_short(&self, c: char, with_value: &str) -> bool {
        shell::has_short_option(self.args(), c, with_value)
    }

    /// Whether any argument, upper-cased, is `word` (`FLUSHALL` in `redis-cli -n 0 flushall`).
    pub fn has_word(&self, word: &str) -> bool {
        self.args().iter().any(|w| plain(w).eq_ignore_ascii_case(word))
    }
}

const SUDO_WITH_VALUE: &[&str] = &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"];
const DOCKER_GLOBAL_WITH_VALUE: &[&str] = &["-H", "--host", "--context", "-c", "--config", "-l", "--log-level"];
const COMPOSE_GLOBAL_WITH_VALUE: &[&str] = &[
    "-f", "--file", "-p", "--project-name", "--env-file", "--profile", "--project-directory", "--ansi", "--progress",
    "--parallel",
];
const EXEC_WITH_VALUE: &[&str] = &["-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--detach-keys", "--index"];
const RUN_WITH_VALUE: &[&str] = &[
    "-a", "--attach", "--add-host", "--cap-add", "--cap-drop", "--cpus", "--entrypoint", "-e", "--env", "--env-file",
    "-h", "--hostname", "-l", "--label", "-m", "--memory", "--mount", "--name", "--network", "--net", "-p",
    "--publish", "--platform", "--pull", "--restart", "-u", "--user", "-v", "--volume", "--volumes-from", "-w",
    "--workdir",
];

/// `docker X ...`, `docker compose X ...`, `docker-compose X ...`, `docker container X ...`:
/// whether it is compose, the subcommand, and the words after it.
pub fn docker_subcommand(words: &[Word]) -> Option<(bool, String, &[Word])> {
    let program = base_name(plain(words.first()?));
    let args = &words[1..];
    let (compose, rest) = match &*program {
        "docker" | "podman" | "nerdctl" => {
            let (_, rest) = shell::split_options(args, DOCKER_GLOBAL_WITH_VALUE);
            match rest.first().map(plain).as_deref() {
                Some("compose") => (true, shell::split_options(&rest[1..], COMPOSE_GLOBAL_WITH_VALUE).1),
                Some("container") => (false, &rest[1..]),
                _ => (false, rest),
            }
        }
        "docker-compose" | "podman-compose" => (true, shell::split_options(args, COMPOSE_GLOBAL_WITH_VALUE).1),
        _ => return None,
    };
    let sub = rest.first()?.unquoted();
    Some((compose, sub, &rest[1..]))
}

/// A word's text when it has no quotes or escapes to remove (most words), unquoted otherwise:
/// rules look at every command, and most need no allocation to do it.
pub fn plain(w: &Word) -> Cow<'_, str> {
    if w.text.bytes().any(|b| matches!(b, b'\'' | b'"' | b'\\')) {
        Cow::Owned(w.unquoted())
    } else {
        Cow::Borrowed(w.text.as_str())
    }
}

/// `/usr/bin/psql` → `psql`.
fn base_name(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.rsplit_once('/').map_or(b, |(_, base)| base)),
        Cow::Owned(o) => match o.rsplit_once('/') {
            Some((_, base)) => Cow::Owned(base.to_string()),
            None => Cow::Owned(o),
        },
    }
}

/// Peels `sudo`, `env`, `nice`, `timeout`, `time`, `nohup`, `docker exec|run`,
/// `docker compose exec|run` and `kubectl exec ... --` off a command.
pub fn invocation(cmd: &Command) -> Invocation<'_> {
    let mut words = &cmd.words[cmd.assignments.min(cmd.words.len())..];
    let mut container = None;
    let mut wrapper = None;
    // A few layers at most (`sudo docker exec db ...`).
    for _ in 0..4 {
        let Some(first) = words.first() else { break };
        let program = base_name(plain(first));
        let rest = &words[1..];
        let next: Option<&[Word]> = match &*program {
            "sudo" | "doas" => {
                wrapper.get_or_insert("sudo");
                Some(shell::split_options(rest, SUDO_WITH_VALUE).1)
            }
            "env" => {
                let (_, r) = shell::split_options(rest, &["-u", "--unset", "-C", "--chdir"]);
                let skip = r.iter().take_while(|w| w.text.contains('=') && !w.text.starts_with('=')).count();
                Some(&r[skip..]).filter(|r| !r.is_empty())
            }
            "nice" | "ionice" | "nohup" | "time" | "stdbuf" => {
                Some(shell::split_options(rest, &["-n", "-c", "-i", "-o", "-e"]).1).filter(|r| !r.is_empty())
            }
            "timeout" => {
                let (_, r) = shell::split_options(rest, &["-s", "--signal", "-k", "--kill-after"]);
                r.get(1..).filter(|r| !r.is_empty())
            }
            "kubectl" | "oc" if rest.first().is_some_and(|w| w.text == "exec") => {
                let dash = rest.iter().position(|w| w.text == "--");
                container = rest[1..].iter().find(|w| !w.is_option());
                wrapper = Some("kubectl exec");
                dash.map(|d| &rest[d + 1..])
            }
            "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" => match docker_subcommand(words) {
                Some((compose, sub, after)) if sub == "exec" || sub == "run" => {
                    let with_value = if sub == "exec" { EXEC_WITH_VALUE } else { RUN_WITH_VALUE };
                    let (_, operands) = shell::split_options(after, with_value);
                    container = operands.first();
                    wrapper = Some(match (compose, sub.as_str()) {
                        (true, "exec") => "docker compose exec",
                        (true, _) => "docker compose run",
                        (false, "exec") => "docker exec",
                        (false, _) => "docker run",
                    });
                    Some(operands.get(1..).unwrap_or(&[]))
                }
                _ => None,
            },
            // Not a wrapper: the common case, decided without looking further.
            _ => None,
        };
        match next {
            Some(n) => words = n,
            None => break,
        }
    }
    Invocation { words, container, wrapper }
}

/// What a command does to data, for the rules that reason about procedures.
pub fn backup_tool(inv: &Invocation) -> Option<&'static str> {
    let program = inv.program()?;
    Some(match &*program {
        "pg_dump" => "pg_dump",
        "pg_dumpall" => "pg_dumpall",
        "pg_basebackup" => "pg_basebackup",
        "mysqldump" | "mariadb-dump" => "mysqldump",
        "mongodump" => "mongodump",
        "redis-cli" if inv.has_flag(&["--rdb"]) || inv.has_word("BGSAVE") || inv.has_word("SAVE") => "redis-cli --rdb",
        "pgbackrest" if inv.has_word("backup") => "pgbackrest backup",
        "wal-g" if inv.has_word("backup-push") => "wal-g backup-push",
        "barman" if inv.has_word("backup") => "barman backup",
        "restic" if inv.has_word("backup") => "restic backup",
        "borg" if inv.has_word("create") => "borg create",
        "tar" if tar_creates(inv) => "tar",
        _ => return None,
    })
}

/// `tar czf ...`, `tar -cf ...`, `tar --create ...`.
pub fn tar_creates(inv: &Invocation) -> bool {
    inv.args().first().is_some_and(|w| {
        let t = w.unquoted();
        let cluster = t.strip_prefix('-').unwrap_or(&t);
        !t.starts_with("--") && cluster.chars().all(|c| c.is_ascii_alphabetic()) && cluster.contains('c')
    }) || inv.has_flag(&["--create"])
}

/// A check that a backup artefact can be read back: `pg_restore --list`, `pg_verifybackup`,
/// `gzip -t`, `test -s`, a checksum check, `restic check`, ...
pub fn verifies_artifact(inv: &Invocation) -> bool {
    let Some(program) = inv.program() else { return false };
    match &*program {
        "pg_restore" => inv.has_flag(&["--list"]) || inv.has_short('l', "dfFIjLnNPStTU"),
        "pg_verifybackup" | "redis-check-rdb" | "redis-check-aof" => true,
        "gzip" | "gunzip" | "xz" | "bzip2" | "zstd" | "pigz" => inv.has_short('t', "") || inv.has_flag(&["--test"]),
        "test" | "[" | "[[" => inv.args().iter().any(|w| w.text == "-s"),
        "sha256sum" | "sha1sum" | "md5sum" | "b2sum" => inv.has_short('c', "") || inv.has_flag(&["--check"]),
        "tar" => inv.args().first().is_some_and(|w| {
            let t = w.unquoted();
            let c = t.strip_prefix('-').unwrap_or(&t);
            !t.starts_with("--") && c.contains('t') && !c.contains('c')
        }) || inv.has_flag(&["--list", "--compare", "--diff"]),
        "restic" | "borg" => inv.has_word("check"),
        "pgbackrest" => inv.has_word("verify"),
        "zcat" | "gzcat" => true,
        _ => false,
    }
}

/// Commands that (re)start a service: after one, the service is not ready yet.
pub fn starts_service(inv: &Invocation) -> Option<String> {
    let program = inv.program()?;
    let args: Vec<String> = inv.args().iter().map(|w| w.unquoted()).collect();
    let first = args.first().map(String::as_str);
    if let Some((compose, sub, _)) = docker_subcommand(inv.words) {
        let starts = matches!(sub.as_str(), "up" | "start" | "restart") || (!compose && sub == "run");
        return starts.then(|| format!("{} {sub}", if compose { "docker compose" } else { "docker" }));
    }
    match &*program {
        "systemctl" if matches!(first, Some("start" | "restart" | "reload-or-restart" | "try-restart")) => {
            Some(format!("systemctl {}", first.unwrap_or_default()))
        }
        "service" if matches!(args.get(1).map(String::as_str), Some("start" | "restart")) => Some("service ... restart".into()),
        "pg_ctl" | "pg_ctlcluster" if args.iter().any(|a| a == "start" || a == "restart") => Some(format!("{program} restart")),
        "kubectl" if first == Some("rollout") && args.get(1).is_some_and(|a| a == "restart") => Some("kubectl rollout restart".into()),
        "supabase" if first == Some("start") => Some("supabase start".into()),
        _ => None,
    }
}

/// Commands that stop a service (so files under it can be replaced safely).
pub fn stops_service(inv: &Invocation) -> bool {
    let Some(program) = inv.program() else { return false };
    if let Some((_, sub, _)) = docker_subcommand(inv.words) {
        return matches!(sub.as_str(), "stop" | "kill" | "down" | "rm");
    }
    let first = inv.args().first().map(|w| w.unquoted());
    match &*program {
        "systemctl" => first.as_deref() == Some("stop"),
        "service" => inv.args().get(1).is_some_and(|w| w.text == "stop"),
        "redis-cli" => inv.has_word("SHUTDOWN"),
        _ => false,
    }
}

/// The commands of a block in source order, scripts written by heredocs included, without those
/// inside `$(...)` (they run as part of their command).
pub fn steps(analysed: &ShellBlock) -> impl Iterator<Item = &Command> {
    analysed.commands.iter().filter(|c| c.nesting != Nesting::Substitution)
}

/// Where a block is a script rather than lines typed at a terminal: `#!`, `set -e`, a function,
/// or a script file it writes.
pub fn is_script(analysed: &ShellBlock) -> bool {
    analysed.shebang || analysed.strict || analysed.functions > 0
}

/// The commands, with the block they are in, of every shell block of section `section` that
/// starts before `before` (a byte offset in the runbook): what a reader has run by then.
pub fn earlier_in_section<'r>(
    rb: &'r Runbook,
    section: Option<usize>,
    before: usize,
) -> Vec<(&'r CodeBlock, std::sync::Arc<ShellBlock>)> {
    rb.blocks
        .iter()
        .filter(|b| b.section == section && b.span.start < before && b.is_shell())
        .map(|b| (b, shell::analyse(b)))
        .collect()
}

/// The text of the code blocks and list items of `section` before `before`: what a procedure
/// did or said before a step.
pub fn section_text_before(rb: &Runbook, section: Option<usize>, before: usize) -> String {
    let mut out = String::new();
    for b in rb.blocks.iter().filter(|b| b.section == section && b.span.start < before) {
        for (offset, line) in b.content.lines() {
            if b.content.source_offset(offset) >= before {
                break;
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    for i in rb.items.iter().filter(|i| i.section == section && i.span.start < before) {
        out.push_str(&i.text.text);
        out.push('\n');
    }
    out
}

/// A `$NAME` or `${NAME...}` expansion in a shell word, with whether the shell expands it there
/// (not inside single quotes) and whether it yields the value itself (`${#NAME}` is its length,
/// `${NAME:+x}` is `x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub name: String,
    /// The `$...` text's range in the scanned string.
    pub range: Range<usize>,
    pub expanded: bool,
    pub yields_value: bool,
}

/// Every parameter expansion in `text` (a shell word as written, or a heredoc body), tracking
/// quotes; `single_quoted_expands` treats single quotes like double ones (for a string that a
/// second shell will read, as in `sh -c '...'`).
pub fn expansions(text: &str, single_quoted_expands: bool) -> Vec<Expansion> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut in_single = false;
    let mut in_double = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if !in_single => i += 1,
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single => in_double = !in_double,
            b'$' => {
                let expanded = !in_single || single_quoted_expands;
                let start = i;
                if b.get(i + 1) == Some(&b'{') {
                    let close = text[i..].find('}').map(|k| i + k);
                    let inner = &text[i + 2..close.unwrap_or(b.len())];
                    let length = inner.starts_with('#');
                    let name: String = inner.trim_start_matches('#').chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    let op = &inner[inner.len().min(name.len() + usize::from(length))..];
                    let alternative = op.starts_with(":+") || op.starts_with('+');
                    if !name.is_empty() {
                        let end = close.map_or(b.len(), |c| c + 1);
                        out.push(Expansion { name, range: start..end, expanded, yields_value: !length && !alternative });
                        i = end;
                        continue;
                    }
                } else {
                    let name: String = text[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                        let end = i + 1 + name.len();
                        out.push(Expansion { name, range: start..end, expanded, yields_value: true });
                        i = end;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// A path that holds a database's or a cache's live data (`/var/lib/postgresql/data`,
/// `./volumes/db/data`, `/srv/shop/pgdata`, `redis-data`), not a backup or a log folder.
pub fn is_data_dir(path: &str) -> bool {
    let p = path.trim_end_matches('/').to_ascii_lowercase();
    let segments = || p.split('/');
    if p.is_empty() || p == "{}" || p.starts_with("/tmp") || p.contains("backup") || p.contains("copia") || segments().any(|s| s.starts_with("log")) {
        return false;
    }
    segments().any(|seg| matches!(seg, "data" | "pgdata" | "datos" | "pg_data" | "mysql") || seg.ends_with("-data")) || p.contains("/var/lib/postgresql")
        || p.contains("/var/lib/redis")
        || p.contains("/var/lib/docker/volumes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(s: &str) -> Command {
        shell::analyse_text(s, false).commands[0].clone()
    }

    #[test]
    fn wrappers_are_peeled() {
        let c = first("sudo docker compose -f x.yml exec -T -u postgres db psql -U app -c 'select 1'\n");
        let inv = invocation(&c);
        assert_eq!(inv.program().as_deref(), Some("psql"));
        assert_eq!(inv.container.map(|w| w.text.as_str()), Some("db"));
        assert_eq!(inv.wrapper, Some("docker compose exec"));
        let c = first("kubectl exec -n shop pod/db-0 -- pg_dump shop\n");
        assert_eq!(invocation(&c).program().as_deref(), Some("pg_dump"));
        let c = first("docker ps\n");
        assert_eq!(invocation(&c).program().as_deref(), Some("docker"));
    }

    #[test]
    fn expansions_know_quotes_and_lengths() {
        let e = expansions(r#"echo "${#KEY} $PASS" '$NOT' ${TOKEN:+set} ${X:?missing}"#, false);
        let got: Vec<(&str, bool, bool)> = e.iter().map(|x| (x.name.as_str(), x.expanded, x.yields_value)).collect();
        assert_eq!(got, vec![("KEY", true, false), ("PASS", true, true), ("NOT", false, true), ("TOKEN", true, false), ("X", true, true)]);
    }

    #[test]
    fn data_dirs() {
        assert!(is_data_dir("./volumes/db/data"));
        assert!(is_data_dir("/srv/shop/pgdata"));
        assert!(is_data_dir("/srv/shop/redis-data/"));
        assert!(!is_data_dir("/srv/backups/base/2026-01-01"));
        assert!(!is_data_dir("{}"));
        assert!(!is_data_dir("/tmp/restore/data"));
    }
}

/// A cheap test before a block is analysed by the backup rules (FD207, FD208): does its text hold
/// a word a backup command would?
pub fn may_make_a_backup(body: &str) -> bool {
    ["pg_dump", "pg_basebackup", "mysqldump", "--rdb", "BGSAVE", "tar ", "backup", "create"].iter().any(|w| body.contains(w))
}
