use crate::declare_rule;
use crate::lint::ops::{self, Invocation};
use crate::lint::secrets;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, Command, Nesting};

declare_rule! {
    /// ## What it does
    /// Finds steps that print secrets to the terminal:
    /// - `echo` / `printf` of a secret's variable (`echo "redis password is: $REDIS_PASSWORD"`,
    ///   `docker exec fn sh -c 'echo $JWT_SECRET'`);
    /// - `printenv DB_PASSWORD`;
    /// - the environment dumped and filtered for secrets (`env | grep KEY`, `docker exec app
    ///   printenv | grep -i secret`), or a container's whole environment (`docker exec app env`);
    /// - `cat .env`, `cat .env.prod`, `cat /run/secrets/db_password`.
    ///
    /// Secret variables are those named like one (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_KEY` of
    /// kinds that are secret, `CLAVE_*`); `${#VAR}` (its length) and `${VAR:+set}` print no
    /// secret. Output that goes into a pipe (`echo "$TOKEN" | docker login --password-stdin`) is
    /// not printed; output written to a file is FD506's.
    ///
    /// ## Why is this bad?
    /// What a terminal shows ends up in scrollback, in `script` logs and CI logs, in the screen
    /// share of the incident call and in the chat where someone pastes "here is what I see". A
    /// secret printed during an incident has to be rotated after it.
    ///
    /// ## Example
    /// ```bash
    /// echo "redis password is: $REDIS_PASSWORD"
    /// docker compose exec api printenv | grep -i secret
    /// ```
    ///
    /// Use instead (say whether it is set, not what it is):
    /// ```bash
    /// test -n "$REDIS_PASSWORD" && echo "REDIS_PASSWORD is set (${#REDIS_PASSWORD} characters)"
    /// docker compose exec api sh -c 'test -n "$JWT_SECRET" && echo JWT_SECRET is set'
    /// ```
    pub struct SecretPrinted {
        code: "FD503",
        name: "secret-printed",
        severity: Warning,
        summary: "A step prints a secret (echo $DB_PASSWORD, env | grep KEY, cat .env)",
    }
}

/// A variable name that holds a secret: what FD501 calls a secret name, plus `CLAVE_*`,
/// `SECRET_*`, `TOKEN_*` (names that start with the kind), but not `*_FILE` or `*_PATH`.
pub(super) fn secret_var(name: &str) -> bool {
    if secrets::is_secret_name(name) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    let mut parts = lower.split('_');
    let first = parts.next().unwrap_or("");
    let last = lower.rsplit('_').next().unwrap_or("");
    ["clave", "secret", "secreto", "token", "password", "passwd"].contains(&first)
        && lower.contains('_')
        && !["file", "path", "dir", "url", "name", "id", "user", "usuario", "fichero"].contains(&last)
}

/// A grep pattern that looks for secrets.
fn secret_pattern(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    ["key", "secret", "pass", "token", "pwd", "clave", "contrase", "credential", "auth"].iter().any(|w| l.contains(w))
}

/// A path that is a secrets file (`.env`, `.env.prod`, `/run/secrets/x`, `secrets/db_password`).
pub(super) fn secret_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let dotenv = name == ".env" || (name.starts_with(".env.") && !["example", "sample", "template", "dist", "defaults"].iter().any(|s| name.ends_with(s)));
    dotenv
        || [".pgpass", ".netrc", "id_rsa", "id_ed25519", "id_ecdsa", "credentials"].contains(&name)
        || [".pem", ".key", ".p12", ".pfx"].iter().any(|e| name.ends_with(e))
        || path.split('/').rev().skip(1).any(|seg| seg == "secrets")
}

/// Whether the command's output reaches the terminal: not piped, not redirected to a file.
pub(super) fn prints(cmd: &Command) -> bool {
    !cmd.piped_out && cmd.nesting != Nesting::Substitution && redirected_file(cmd).is_none()
}

/// The file a command's standard output is written to (`> f`, `>> f`), if any.
pub(super) fn redirected_file(cmd: &Command) -> Option<String> {
    cmd.redirects
        .iter()
        .filter(|r| (r.op == ">" || r.op == ">>" || r.op == ">|") && r.fd.as_deref().is_none_or(|fd| fd == "1"))
        .filter_map(|r| r.target.as_ref().map(|t| t.unquoted()))
        .find(|t| t != "/dev/null")
}

/// The secret variables an `echo` / `printf` prints: (name, span in the block).
pub(super) fn echoed_secrets(inv: &Invocation) -> Vec<(String, std::ops::Range<usize>)> {
    if !matches!(inv.program().as_deref(), Some("echo" | "printf")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for w in inv.args() {
        for e in ops::expansions(&w.text, false) {
            if e.expanded && e.yields_value && secret_var(&e.name) {
                out.push((e.name, w.span.start + e.range.start..w.span.start + e.range.end));
            }
        }
    }
    out
}

impl Rule for SecretPrinted {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !["echo", "printf", "env", "cat"].iter().any(|w| body.contains(w)) {
                continue;
            }
            let analysed = shell::analyse(block);
            let steps: Vec<&Command> = analysed.commands.iter().collect();
            for (i, cmd) in steps.iter().enumerate() {
                let inv = ops::invocation(cmd);
                let Some(program) = inv.program() else { continue };
                let at = |r: std::ops::Range<usize>| block.content.source_range(r);
                // The command this one pipes into, if any.
                let next = steps.get(i + 1).filter(|_| cmd.piped_out).map(|n| ops::invocation(n));
                match &*program {
                    "echo" | "printf" if prints(cmd) => {
                        for (name, span) in echoed_secrets(&inv) {
                            out.push(
                                Finding::new(at(span), format!("`{program}` prints the secret in `${name}` to the terminal"))
                                    .help(format!("say whether it is set instead: `test -n \"${name}\" && echo \"{name} is set (${{#{name}}} characters)\"`")),
                            );
                        }
                    }
                    "sh" | "bash" | "zsh" => {
                        let Some(pos) = inv.args().iter().position(|w| w.text == "-c" || (w.text.starts_with('-') && !w.text.starts_with("--") && w.text.ends_with('c'))) else { continue };
                        let Some(script) = inv.args().get(pos + 1) else { continue };
                        if !(script.text.contains("echo") || script.text.contains("printf")) || !prints(cmd) {
                            continue;
                        }
                        // Read the inner script as the second shell will, and look at its `echo`s.
                        let inner_text = script.unquoted();
                        let inner = shell::analyse_text(&inner_text, false);
                        let simple = script.text.len() == inner_text.len() + 2 && script.text.starts_with('\'');
                        for inner_cmd in &inner.commands {
                            if !prints(inner_cmd) {
                                continue;
                            }
                            for (name, span) in echoed_secrets(&ops::invocation(inner_cmd)) {
                                let span = if simple { script.span.start + 1 + span.start..script.span.start + 1 + span.end } else { script.span.clone() };
                                out.push(
                                    Finding::new(at(span), format!("the shell started here prints the secret in `${name}` to the terminal"))
                                        .help(format!("print whether it is set instead: `test -n \"${name}\" && echo {name} is set`")),
                                );
                            }
                        }
                    }
                    "printenv" | "env" => {
                        let named: Vec<&shell::Word> = inv.args().iter().filter(|w| !w.is_option() && !w.text.contains('=')).collect();
                        let name_span = inv.name().map_or(cmd.span.clone(), |w| w.span.clone());
                        if program == "printenv" && !named.is_empty() {
                            if let Some(w) = named.iter().find(|w| secret_var(&w.unquoted())) {
                                if prints(cmd) {
                                    out.push(Finding::new(at(w.span.clone()), format!("`printenv {}` prints the secret to the terminal", w.text)).help("check that it is set instead: `printenv NAME > /dev/null && echo set`"));
                                }
                            }
                            continue;
                        }
                        if !named.is_empty() {
                            continue; // `env VAR=x cmd` runs a command
                        }
                        let grep = next.as_ref().filter(|n| matches!(n.program().as_deref(), Some("grep" | "egrep" | "rg")));
                        if let Some(g) = grep {
                            let pattern = g.args().iter().find(|w| !w.is_option()).map(|w| w.unquoted()).unwrap_or_default();
                            if secret_pattern(&pattern) {
                                out.push(
                                    Finding::new(at(name_span), format!("`{program} | grep {pattern}` prints the matching secrets, values included"))
                                        .help("list the names only: `env | cut -d= -f1 | grep ...`, or test the one you need with `test -n`"),
                                );
                            }
                        } else if prints(cmd) && inv.wrapper.is_some() {
                            out.push(
                                Finding::new(at(name_span), format!("`{program}` inside the container prints its whole environment, secrets included"))
                                    .help("print the names only (`env | cut -d= -f1`), or test the variable you need"),
                            );
                        }
                    }
                    "cat" | "bat" | "less" | "more" | "head" | "tail" if prints(cmd) && cmd.nesting != Nesting::Substitution => {
                        if let Some(w) = inv.args().iter().find(|w| !w.is_option() && secret_file(&w.unquoted())) {
                            out.push(
                                Finding::new(at(w.span.clone()), format!("`{program} {}` prints a secrets file to the terminal", w.text))
                                    .help("list the variable names only (`cut -d= -f1 .env`), or read the one value you need into a variable"),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::SecretPrinted, src)
    }

    #[test]
    fn printed_secrets() {
        let src = "```bash\necho \"redis password is: $REDIS_PASSWORD\"\ndocker exec fn sh -c 'echo $JWT_SECRET'\ndocker exec raspador env | grep KEY\ncat /opt/app/.env.prod\nprintenv DB_PASSWORD\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 26), (3, 28), (4, 22), (5, 5), (6, 10)], "{got:?}");
    }

    #[test]
    fn lengths_pipes_and_references_are_fine() {
        let src = "```bash\necho \"KEY loaded (${#SERVICE_ROLE_KEY} chars)\"\necho \"$REGISTRY_TOKEN\" | docker login --password-stdin ghcr.io\nPGPASSWORD=\"$(cat /srv/secrets/pg)\" psql -c 'select 1'\nenv | grep -c PATH\necho \"$ANON_KEY is public\"\ncat .env.example\nenv | cut -d= -f1\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
