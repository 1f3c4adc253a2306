use std::cell::OnceCell;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, Command, Nesting, ShellBlock, Stdin, Word};
use crate::runbook::{CodeBlock, Runbook};

declare_rule! {
    /// ## What it does
    /// Finds commands that need a person at a terminal inside shell blocks meant to run without
    /// one:
    /// - `docker exec -it` / `docker run -t` (any spelling of `-t` / `--tty`) in a script (the block
    ///   starts with `#!`, uses `set -e`, defines a function, is written to a `.sh` file by a
    ///   heredoc, or sits in a section about scripts, cron or automation), or wherever its input
    ///   is a pipe, a file or a loop's redirection; `docker-compose exec` (v1, which always
    ///   allocates a terminal) without `-T` in a job that runs unattended;
    /// - `read -p` / `read -s` in a job that runs unattended (cron, automation, disaster recovery,
    ///   as its section or the sentence before the block says);
    /// - `psql` with no `-c`, `-f` or input in a script: it opens an interactive prompt.
    ///
    /// Commands typed by hand stay silent: `docker exec -it db psql` in a console session is how
    /// one opens psql, and a `read -p` confirmation in a script a person runs is a safety net.
    /// A section or sentence that says the steps are run by hand (`a mano`, `by hand`,
    /// `interactive`, helpers for `~/.bashrc`) overrides a heading that mentions scripts and a
    /// function definition. A loop alone is not a script: typed at a terminal it still has one;
    /// only loops that read from a redirection count.
    ///
    /// ## Why is this bad?
    /// Under cron, CI, systemd or `ssh host ./script.sh` there is no terminal. `docker exec -t`
    /// stops with "the input device is not a TTY", so the backup never ran; `read -p` reads an
    /// empty answer and the script goes on with it; `psql` waits for input forever or runs
    /// nothing. These failures show up only at 3 a.m., in the job that was meant to save you.
    ///
    /// ## Example
    /// ```bash
    /// #!/bin/bash
    /// # cron: 0 4 * * *
    /// read -p "¿Borrar carritos viejos? (s/n) " resp
    /// docker exec -it db psql -U app -c "DELETE FROM carritos WHERE actualizado < now() - interval '30 days';"
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// #!/bin/bash
    /// set -euo pipefail
    /// docker exec -i db psql -v ON_ERROR_STOP=1 -U app -c "DELETE FROM carritos WHERE actualizado < now() - interval '30 days';"
    /// ```
    ///
    /// ## Fix
    /// Drop `-t` (keep `-i` only when the command reads its input), add `-T` to
    /// `docker-compose exec`, take answers from arguments or variables instead of `read -p`, and
    /// give `psql` its SQL with `-c`, `-f` or a heredoc.
    pub struct InteractiveInScript {
        code: "FD203",
        name: "interactive-in-script",
        severity: Warning,
        summary: "An interactive command inside a script meant to run unattended",
    }
}

impl Rule for InteractiveInScript {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        for (index, block) in rb.blocks.iter().enumerate().filter(|(_, b)| b.is_shell()) {
            // Cheap pre-filter: every command this rule reports names one of these.
            let body = &block.content.text;
            if !["docker", "podman", "nerdctl", "read", "psql"].iter().any(|w| body.contains(w)) {
                continue;
            }
            let analysed = shell::analyse(block);
            if analysed.commands.is_empty() {
                continue;
            }
            let ctx = LazyContext { cell: OnceCell::new(), rb, index, block, analysed: &analysed };
            for cmd in &analysed.commands {
                check(block, &ctx, cmd, out);
            }
        }
    }
}

/// A block's context, worked out the first time a command needs it: reading the prose around a
/// block is the costly part of this rule, and most blocks have no command that asks.
struct LazyContext<'a> {
    cell: OnceCell<BlockContext>,
    rb: &'a Runbook,
    index: usize,
    block: &'a CodeBlock,
    analysed: &'a ShellBlock,
}

impl LazyContext<'_> {
    fn get(&self) -> &BlockContext {
        self.cell.get_or_init(|| BlockContext::of(self.rb, self.index, self.block, self.analysed))
    }
}

/// Why a block runs without a person at a terminal, if it does.
struct BlockContext {
    /// It is a script (`#!`, `set -e`, a function, a section about scripts).
    script: Option<String>,
    /// It runs unattended (cron, automation, DR, as the runbook says).
    unattended: Option<String>,
    /// `set -e` is on: a failing command stops the script.
    strict: bool,
}

/// A word pattern, matched first without its `\b`s: Unicode word boundaries make the regex
/// engine leave its fast DFA on non-ASCII text (most Spanish prose), and text the looser pattern
/// does not match cannot match the exact one. Most prose names none of the words.
struct Words {
    exact: Regex,
    looser: Regex,
}

impl Words {
    fn new(pattern: &str) -> Self {
        let looser = pattern.replace(r"\b", "");
        Self { exact: Regex::new(pattern).unwrap(), looser: Regex::new(&looser).unwrap() }
    }

    fn is_match(&self, text: &str) -> bool {
        self.looser.is_match(text) && self.exact.is_match(text)
    }
}

/// Words that say a job runs on its own.
static UNATTENDED: LazyLock<Words> = LazyLock::new(|| {
    Words::new(
        r"(?i)\bcron(?:tab|job)?s?\b|\bautom[aá]tic|\bautomatiz|\bautomat(?:ed|ion|ically)\b|\bunattended\b|\bdesatendid|\bnightly\b|\bnocturn[oa]s?\b|\bsystemd\s+timer|\bscheduled\s+(?:job|task)|\btarea\s+programada|\bdisaster\s+recovery\b|\brecuperaci[oó]n\s+ante\s+desastres\b|\bcada\s+noche\b|\bevery\s+night\b|\bci/cd\b",
    )
});

/// Upper-case abbreviations (not matched case-insensitively: `dr` and `ci` are common syllables).
static UNATTENDED_ABBR: LazyLock<Words> = LazyLock::new(|| Words::new(r"\b(?:DR|CI)\b"));

static SCRIPT_HEADING: LazyLock<Words> = LazyLock::new(|| Words::new(r"(?i)\bscripts?\b"));

/// Words that say the steps are typed by hand.
static MANUAL: LazyLock<Words> = LazyLock::new(|| {
    Words::new(
        r"(?i)\ba mano\b|\bby hand\b|\bmanual(?:mente|ly)?\b|\binteractiv|\bse teclea|\bno es un script|\bnot a script|\.(?:bash|zsh)rc\b|\bbash_aliases\b|\balias(?:es)?\b|\binto your (?:shell|terminal)\b|\ben (?:tu|la) (?:shell|terminal|consola)\b",
    )
});

static CRONTAB_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*(?:@(?:reboot|hourly|daily|weekly|monthly|yearly)|(?:[\d*/,-]+[ \t]+){4}[\d*/,-]+)[ \t]+\S").unwrap()
});

impl BlockContext {
    fn of(rb: &Runbook, index: usize, block: &CodeBlock, analysed: &ShellBlock) -> Self {
        let heading = block.section.and_then(|s| rb.headings.get(s));
        let title = heading.map(|h| h.title.as_str()).unwrap_or("");
        let path = heading.map(|h| h.path.join(" > ")).unwrap_or_default();
        let before = text_before(rb, index, block);
        let manual = MANUAL.is_match(title)
            || before.is_some_and(|t| MANUAL.is_match(t))
            || block.content.text.contains("bashrc")
            || block.content.text.contains("bash_aliases");
        let says_unattended = |t: &str| UNATTENDED.is_match(t) || UNATTENDED_ABBR.is_match(t);

        let installs_cron = CRONTAB_LINE.is_match(&block.content.text)
            || analysed
                .commands
                .iter()
                .any(|c| c.program().as_deref() == Some("crontab"));
        let unattended = if installs_cron {
            Some("the block sets up a cron job".to_string())
        } else if manual {
            None
        } else if says_unattended(&path) {
            Some(format!(
                "its section (“{}”) says it runs unattended",
                heading_named(rb, block, says_unattended)
            ))
        } else if before.is_some_and(says_unattended) {
            Some("the text before the block says it runs unattended".to_string())
        } else {
            None
        };
        let script = if analysed.shebang {
            Some("the block is a script (it starts with `#!`)".to_string())
        } else if analysed.strict {
            Some("the block is a script (`set -e`)".to_string())
        } else if analysed.functions > 0 && !manual {
            Some("the block defines a function, a script's building block".to_string())
        } else if let Some(u) = &unattended {
            Some(u.clone())
        } else if !manual && SCRIPT_HEADING.is_match(&path) {
            Some(format!(
                "its section (“{}”) is about scripts",
                heading_named(rb, block, |t| SCRIPT_HEADING.is_match(t))
            ))
        } else {
            None
        };
        BlockContext {
            script,
            unattended,
            strict: analysed.strict,
        }
    }
}

/// The title of the innermost heading over `block` that matches.
fn heading_named(rb: &Runbook, block: &CodeBlock, matches: impl Fn(&str) -> bool) -> String {
    let path = block
        .section
        .and_then(|s| rb.headings.get(s))
        .map(|h| h.path.clone())
        .unwrap_or_default();
    path.iter()
        .rev()
        .find(|t| matches(t))
        .cloned()
        .unwrap_or_default()
}

/// The paragraph right before the block (no other block in between), or the text of the list
/// item the block sits in.
fn text_before<'a>(rb: &'a Runbook, index: usize, block: &CodeBlock) -> Option<&'a str> {
    let start = block.span.start;
    let prev_block_end = index.checked_sub(1).map_or(0, |i| rb.blocks[i].span.end);
    let item = rb.items.iter().rfind(|i| {
        i.span.start < start && i.span.end >= block.span.end && i.span.start >= prev_block_end
    });
    let para = rb.paragraphs.iter().rfind(|p| {
        p.span.end <= start && p.span.start >= prev_block_end && p.section == block.section
    });
    match (item, para) {
        (Some(i), Some(p)) if p.span.start > i.span.start => Some(p.text.text.as_str()),
        (Some(i), _) => Some(i.text.text.as_str()),
        (None, Some(p)) => Some(p.text.text.as_str()),
        (None, None) => None,
    }
}

fn stdin_reason(cmd: &Command) -> Option<&'static str> {
    match cmd.stdin {
        Stdin::Pipe => Some("its input is a pipe"),
        Stdin::File => Some("its input is a file"),
        Stdin::Loop => Some("its input is the loop's redirection"),
        Stdin::Heredoc | Stdin::HereString => Some("its input is a heredoc"),
        Stdin::Inherited => None,
    }
}

fn script_reason(ctx: &BlockContext, cmd: &Command) -> Option<String> {
    if cmd.nesting == Nesting::ScriptFile {
        return Some("the block writes this line into a script file".to_string());
    }
    ctx.script.clone()
}

const DOCKER_GLOBAL_WITH_VALUE: &[&str] = &[
    "-H",
    "--host",
    "--context",
    "-c",
    "--config",
    "-l",
    "--log-level",
];
const COMPOSE_GLOBAL_WITH_VALUE: &[&str] = &[
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--env-file",
    "--profile",
    "--project-directory",
    "--ansi",
    "--progress",
    "--parallel",
];
const EXEC_WITH_VALUE: &[&str] = &[
    "-e",
    "--env",
    "--env-file",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "--detach-keys",
    "--index",
];
const RUN_WITH_VALUE: &[&str] = &[
    "-a",
    "--attach",
    "--add-host",
    "--cap-add",
    "--cap-drop",
    "--cidfile",
    "--cpus",
    "--cpu-shares",
    "--device",
    "--dns",
    "--entrypoint",
    "-e",
    "--env",
    "--env-file",
    "--expose",
    "--gpus",
    "--group-add",
    "-h",
    "--hostname",
    "--ip",
    "-l",
    "--label",
    "--link",
    "--log-driver",
    "--log-opt",
    "-m",
    "--memory",
    "--mount",
    "--name",
    "--network",
    "--net",
    "--network-alias",
    "-p",
    "--publish",
    "--platform",
    "--pull",
    "--restart",
    "--runtime",
    "--security-opt",
    "--shm-size",
    "--stop-signal",
    "--stop-timeout",
    "--tmpfs",
    "--ulimit",
    "-u",
    "--user",
    "-v",
    "--volume",
    "--volumes-from",
    "-w",
    "--workdir",
    "--health-cmd",
    "--health-interval",
];
/// Short docker options that take a value (they end an option cluster: `-ue`).
const DOCKER_SHORT_WITH_VALUE: &str = "aehlmpuvw";
const PSQL_SHORT_WITH_VALUE: &str = "cdfhpUvoLTPFR";

/// A container command line: `docker exec`, `docker run`, `docker compose exec|run`,
/// `docker-compose exec|run`.
struct Container<'a> {
    /// `docker exec`, `docker-compose exec`, ... for messages.
    tool: String,
    /// Compose v1 (`docker-compose`), whose `exec` always allocates a terminal without `-T`.
    compose_v1: bool,
    compose: bool,
    options: &'a [Word],
    /// The command run inside (after the container or service name).
    inner: &'a [Word],
}

fn container(cmd: &Command) -> Option<Container<'_>> {
    let program = cmd.program()?;
    let args = cmd.args();
    let (compose, compose_v1, rest) = match program.as_str() {
        "docker" | "podman" => {
            let (_, rest) = shell::split_options(args, DOCKER_GLOBAL_WITH_VALUE);
            match rest.first().map(|w| w.unquoted()) {
                Some(c) if c == "compose" => {
                    let (_, rest) = shell::split_options(&rest[1..], COMPOSE_GLOBAL_WITH_VALUE);
                    (true, false, rest)
                }
                Some(c) if c == "container" => (false, false, &rest[1..]),
                _ => (false, false, rest),
            }
        }
        "docker-compose" | "podman-compose" => {
            let (_, rest) = shell::split_options(args, COMPOSE_GLOBAL_WITH_VALUE);
            (true, program == "docker-compose", rest)
        }
        _ => return None,
    };
    let sub = rest.first()?.unquoted();
    let with_value = match sub.as_str() {
        "exec" => EXEC_WITH_VALUE,
        "run" => RUN_WITH_VALUE,
        _ => return None,
    };
    let (options, operands) = shell::split_options(&rest[1..], with_value);
    let tool = if compose && !compose_v1 {
        format!("docker compose {sub}")
    } else {
        format!("{program} {sub}")
    };
    Some(Container {
        tool,
        compose_v1,
        compose,
        options,
        inner: operands.get(1..).unwrap_or(&[]),
    })
}

/// The option word that asks for a TTY (`-it`, `-t`, `--tty`).
fn tty_flag(options: &[Word]) -> Option<&Word> {
    options.iter().find(|w| {
        shell::has_short_option(std::slice::from_ref(*w), 't', DOCKER_SHORT_WITH_VALUE)
            || (shell::has_long_option(std::slice::from_ref(*w), "tty")
                && !w.text.ends_with("=false"))
    })
}

fn check(block: &CodeBlock, ctx: &LazyContext, cmd: &Command, out: &mut Vec<Finding>) {
    let at = |w: &Word| block.content.source_range(w.span.clone());
    let script = || script_reason(ctx.get(), cmd);
    if let Some(c) = container(cmd) {
        // v2 `docker compose` detects a missing terminal by itself; plain docker does not.
        if !c.compose || c.compose_v1 {
            if let Some(flag) = tty_flag(c.options) {
                let reason = stdin_reason(cmd)
                    .map(str::to_string)
                    .or_else(|| ctx.get().unattended.clone())
                    .or_else(script);
                if let Some(reason) = reason {
                    out.push(
                        Finding::new(
                            at(flag),
                            format!(
                                "`{} {}` asks for a terminal, but {reason}: without one docker stops with \"the input device is not a TTY\"",
                                c.tool, flag.text
                            ),
                        )
                        .help(tty_help(cmd, flag)),
                    );
                }
            }
        }
        if c.compose_v1
            && c.tool.ends_with("exec")
            && !shell::has_short_option(c.options, 'T', "euw")
            && !shell::has_long_option(c.options, "no-TTY")
        {
            if let Some(reason) = &ctx.get().unattended {
                let name = cmd.name().unwrap();
                let end = cmd
                    .words
                    .get(cmd.assignments + 1)
                    .map_or(name.span.end, |w| w.span.end);
                out.push(
                    Finding::new(
                        block.content.source_range(name.span.start..end),
                        format!("`docker-compose exec` allocates a terminal by default, but {reason}: without one it fails with \"the input device is not a TTY\""),
                    )
                    .help("add `-T` (`docker-compose exec -T ...`), or move to `docker compose` v2"),
                );
            }
        }
        check_psql(block, cmd, c.inner, script, out);
        return;
    }
    match cmd.program().as_deref() {
        Some("read") => {
            let ctx = ctx.get();
            let Some(reason) = &ctx.unattended else {
                return;
            };
            if !cmd.stdin_is_inherited() {
                return;
            }
            let args = cmd.args();
            let (opts, rest) =
                shell::split_options(args, &["-a", "-d", "-i", "-n", "-N", "-p", "-t", "-u"]);
            let asks = shell::has_short_option(opts, 'p', "adinNtu")
                || shell::has_short_option(opts, 's', "adinNptu");
            let waits = !shell::has_short_option(opts, 't', "adinNpu")
                && !shell::has_short_option(opts, 'u', "adinNpt");
            if !(asks && waits) {
                return;
            }
            let var = rest
                .last()
                .map(|w| w.unquoted())
                .unwrap_or_else(|| "REPLY".into());
            let flag = opts
                .iter()
                .find(|w| w.text.contains('p') || w.text.contains('s'))
                .unwrap_or(cmd.name().unwrap());
            let then = if ctx.strict {
                "it reads nothing, fails, and `set -e` stops the script there".to_string()
            } else {
                format!("it reads nothing and the script goes on with an empty `{var}`")
            };
            out.push(
                Finding::new(at(flag), format!("`read {}` waits for someone to type an answer, but {reason}: {then}", flag.text))
                .help(format!("take the answer from an argument or the environment (`{var}=${{1:?missing argument}}`), or fail early when there is no terminal (`[ -t 0 ] || exit 1`)")),
            );
        }
        Some("sudo") => {
            let (_, inner) = shell::split_options(
                cmd.args(),
                &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"],
            );
            check_psql(block, cmd, inner, script, out);
        }
        Some("kubectl") | Some("oc") => {
            let args = cmd.args();
            if args.first().is_some_and(|w| w.text == "exec") {
                if let Some(dash) = args.iter().position(|w| w.text == "--") {
                    check_psql(block, cmd, &args[dash + 1..], script, out);
                }
            }
        }
        Some("psql") => {
            check_psql(block, cmd, &cmd.words[cmd.assignments..], script, out);
        }
        _ => {}
    }
}

fn tty_help(cmd: &Command, flag: &Word) -> String {
    let without = if flag.text.starts_with("--") || flag.text == "-t" {
        format!("remove `{}`", flag.text)
    } else {
        format!(
            "write `{}` instead of `{}`",
            flag.text.replacen('t', "", 1),
            flag.text
        )
    };
    match cmd.stdin {
        Stdin::Loop => "drop `-t` and `-i`: `-t` needs a terminal and `-i` would swallow the rest of the loop's input (add `< /dev/null` if the command reads nothing)".to_string(),
        Stdin::Pipe | Stdin::File | Stdin::Heredoc | Stdin::HereString => format!("{without}: `-i` alone passes the input through"),
        Stdin::Inherited => format!("{without} (keep `-i` only if the command reads its input)"),
    }
}

/// `inner` is a command line (`psql -U app shop`) run by `cmd`, whose input it shares; `reason`
/// says why the block is a script, if it is (asked last: it reads the prose around the block).
fn check_psql(
    block: &CodeBlock,
    cmd: &Command,
    inner: &[Word],
    reason: impl FnOnce() -> Option<String>,
    out: &mut Vec<Finding>,
) {
    let Some(name) = inner.first() else { return };
    let program = name.unquoted();
    if program != "psql" && !program.ends_with("/psql") {
        return;
    }
    if !cmd.stdin_is_inherited() {
        return;
    }
    let opts = &inner[1..];
    let runs_something = ['c', 'f', 'l', 'V', '?']
        .iter()
        .any(|c| shell::has_short_option(opts, *c, PSQL_SHORT_WITH_VALUE))
        || ["command", "file", "list", "version", "help"]
            .iter()
            .any(|o| shell::has_long_option(opts, o));
    if runs_something {
        return;
    }
    let Some(reason) = reason() else { return };
    out.push(
        Finding::new(
            block.content.source_range(name.span.clone()),
            format!("`psql` without `-c` or `-f` opens an interactive prompt, but {reason}: the script stops there waiting for input, or runs nothing"),
        )
        .help("give psql its SQL: `psql -c \"...\"`, `psql -f file.sql`, or a heredoc `psql -v ON_ERROR_STOP=1 <<'SQL' ... SQL`"),
    );
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::InteractiveInScript, src)
    }

    #[test]
    fn tty_in_a_script_and_in_a_pipe() {
        let src = "## Backup\n\n```bash\n#!/bin/bash\ndocker exec -it db pg_dump -U app shop > /backups/shop.sql\n```\n\n```bash\ngunzip -c shop.sql.gz | docker exec -i -t db psql -U app shop\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (5, 13));
        assert!(got[0].2.contains("starts with `#!`"));
        assert_eq!((got[1].0, got[1].1), (9, 40));
        assert!(got[1].2.contains("its input is a pipe"));
    }

    #[test]
    fn by_hand_is_fine() {
        let src = "## Scripts útiles\n\nSe teclea a mano:\n\n```bash\ndocker exec -it db psql -U app shop\n```\n\n## Consola\n\n```console\n$ docker exec -it db psql -U app\n```\n\n```bash\nfor db in shop blog; do docker exec -it pg psql -U app \"$db\" -c 'select 1'; done\ndocker exec db psql -t -c 'select 1'\n```\n";
        assert_eq!(run(src), vec![]);
    }

    #[test]
    fn read_only_when_unattended() {
        let manual =
            "## Restauración manual\n\n```bash\n#!/bin/bash\nread -p \"¿Seguro? (s/n) \" ok\n```\n";
        assert_eq!(run(manual), vec![]);
        let cron = "## Limpieza nocturna (cron)\n\n```bash\n#!/bin/bash\nread -rp \"¿Seguro? \" ok\nwhile read -r line; do echo \"$line\"; done < lista.txt\n```\n";
        let got = run(cron);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (5, 6));
        assert!(got[0].2.contains("empty `ok`"));
    }

    #[test]
    fn psql_prompt_in_a_script() {
        let src = "```bash\nset -euo pipefail\ndocker exec -i db psql -U app shop\ndocker exec -i db psql -U app shop < fix.sql\nsudo -u postgres psql -Atc 'select 1'\npsql -U app <<'SQL'\nselect 1;\nSQL\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (3, 19));
    }

    #[test]
    fn shell_helpers_are_interactive() {
        let src = "## Atajos\n\nAñadir a `~/.bashrc`:\n\n```bash\npsql_prod() { docker exec -it db psql -U app \"$@\"; }\n```\n";
        assert_eq!(run(src), vec![]);
        let src = "## Atajos\n\n```bash\nbackup() { docker exec -it db pg_dump -U app shop > /backups/shop.sql; }\nbackup\n```\n";
        assert_eq!(run(src).len(), 1);
    }

    #[test]
    fn compose() {
        let src = "## Backup nocturno\n\n```bash\ndocker-compose exec db pg_dumpall > all.sql\ndocker-compose exec -T db pg_dumpall > all.sql\ndocker compose exec db pg_dumpall > all.sql\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (4, 1));
    }
}
