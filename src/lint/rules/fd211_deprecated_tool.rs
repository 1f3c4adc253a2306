use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell;

declare_rule! {
    /// ## What it does
    /// Finds commands whose tool is deprecated or gone from current systems, with what replaces
    /// them:
    /// - `docker-compose` (Compose v1, unsupported since July 2023) → `docker compose`;
    /// - `netstat`, `ifconfig`, `route`, `arp` (net-tools, not installed by default on current
    ///   Debian, Ubuntu or RHEL) → `ss`, `ip addr`, `ip route`, `ip neigh`;
    /// - `npm audit --production` (deprecated since npm 8) → `npm audit --omit=dev`;
    /// - `egrep` / `fgrep` (GNU grep 3.8 warns on every call) → `grep -E` / `grep -F`;
    /// - `apt-key` (deprecated, removed in Debian 13 and Ubuntu 24.04) → a keyring with `signed-by`.
    ///
    /// ## Why is this bad?
    /// On a new host — the disaster-recovery one, typically — the command is not there: `command
    /// not found` in the middle of the procedure, or output that differs from what the runbook
    /// describes. Low severity: the fix is mechanical, but it is better made before the incident.
    ///
    /// ## Example
    /// ```bash
    /// docker-compose ps
    /// netstat -tlnp | grep 5432
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// docker compose ps
    /// ss -tlnp | grep 5432
    /// ```
    pub struct DeprecatedTool {
        code: "FD211",
        name: "deprecated-tool",
        severity: Info,
        summary: "A command uses a deprecated tool (docker-compose v1, netstat, npm audit --production, ...)",
    }
}

impl Rule for DeprecatedTool {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !["docker-compose", "netstat", "ifconfig", "route", "arp", "npm", "egrep", "fgrep", "apt-key"].iter().any(|w| body.contains(w)) {
                continue;
            }
            let analysed = shell::analyse(block);
            for cmd in &analysed.commands {
                let inv = ops::invocation(cmd);
                // `docker-compose exec ...` peels to the inner command: look at the outer one too.
                for (words, name) in [(&cmd.words[cmd.assignments.min(cmd.words.len())..], cmd.name()), (inv.words, inv.name())] {
                    let Some(name) = name else { continue };
                    let program = ops::plain(name);
                    let program = program.rsplit('/').next().unwrap_or(&program);
                    let args = || words.iter().skip(1).map(ops::plain);
                    let replacement = match program {
                        "docker-compose" => Some(("Compose v1 (`docker-compose`) has been unsupported since July 2023", "use `docker compose` (the v2 plugin); the subcommands are the same")),
                        "netstat" => Some(("`netstat` (net-tools) is deprecated and missing from current distributions", "use `ss` with the same flags (`ss -tlnp`)")),
                        "ifconfig" => Some(("`ifconfig` (net-tools) is deprecated and missing from current distributions", "use `ip addr`")),
                        "route" => Some(("`route` (net-tools) is deprecated and missing from current distributions", "use `ip route`")),
                        "arp" => Some(("`arp` (net-tools) is deprecated and missing from current distributions", "use `ip neigh`")),
                        "egrep" | "fgrep" => Some(("`egrep` and `fgrep` are deprecated: GNU grep 3.8 warns on every call", "use `grep -E` / `grep -F`")),
                        "apt-key" => Some(("`apt-key` is deprecated and removed from Debian 13 and Ubuntu 24.04", "put the key in `/etc/apt/keyrings/` and name it with `signed-by=` in the source")),
                        "npm" if args().next().is_some_and(|a| a == "audit") && args().any(|a| a == "--production" || a == "--only=prod" || a == "--only=production") => {
                            Some(("`npm audit --production` is deprecated since npm 8", "use `npm audit --omit=dev`"))
                        }
                        _ => None,
                    };
                    if let Some((message, help)) = replacement {
                        out.push(Finding::new(block.content.source_range(name.span.clone()), message).help(help));
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::DeprecatedTool, src)
    }

    #[test]
    fn deprecated_and_current() {
        let src = "```bash\ndocker-compose ps\nnetstat -tlnp | egrep '5432|6379'\ncd web && npm audit --production\ndocker compose ps\nss -tlnp\nnpm audit --omit=dev\n```\n";
        let got = run(src);
        let at: Vec<(usize, usize)> = got.iter().map(|g| (g.0, g.1)).collect();
        assert_eq!(at, vec![(2, 1), (3, 1), (3, 17), (4, 11)], "{got:?}");
    }
}
