use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, Command};

use super::fd503_secret_printed::{echoed_secrets, redirected_file};

declare_rule! {
    /// ## What it does
    /// Finds secrets written into ordinary files: `echo "$DB_PASSWORD" > /tmp/pw`, `printf '%s'
    /// "$API_TOKEN" >> notes.txt`, `echo "$SECRET" | tee debug.log`, and whole environments saved
    /// to a file (`env > /tmp/env.txt`, `docker exec api printenv > api-env.txt`). Writing a secret
    /// where secrets are kept is fine: a path under a `secrets` folder or `/run/secrets`, or after
    /// `umask 077` / with a `chmod 600` of the file in the same block.
    ///
    /// ## Why is this bad?
    /// The file outlives the incident: it is left in `/tmp` or the home folder, world-readable
    /// with the default umask, picked up by the next backup or attached to a ticket. Nobody
    /// remembers to delete it, and nobody knows to rotate what was in it.
    ///
    /// ## Example
    /// ```bash
    /// docker compose exec api printenv > /tmp/api-env.txt
    /// ```
    ///
    /// Use instead (names only, or the one value you need, kept in a variable):
    /// ```bash
    /// docker compose exec api printenv | cut -d= -f1 > /tmp/api-env-names.txt
    /// ```
    pub struct SecretWrittenToFile {
        code: "FD506",
        name: "secret-written-to-file",
        severity: Warning,
        summary: "A secret (or a whole environment) is written into an ordinary file",
    }
}

impl Rule for SecretWrittenToFile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !["echo", "printf", "env"].iter().any(|w| body.contains(w)) || !(body.contains('>') || body.contains("tee")) {
                continue;
            }
            let protected_block = body.contains("umask 077") || body.contains("umask 0077");
            let analysed = shell::analyse(block);
            let steps: Vec<&Command> = analysed.commands.iter().collect();
            for (i, cmd) in steps.iter().enumerate() {
                let inv = ops::invocation(cmd);
                let Some(program) = inv.program() else { continue };
                // Where the output lands: a redirection, or `| tee FILE`.
                let tee_file = steps
                    .get(i + 1)
                    .filter(|_| cmd.piped_out)
                    .map(|n| ops::invocation(n))
                    .filter(|n| n.program().as_deref() == Some("tee"))
                    .and_then(|n| n.args().iter().find(|w| !w.is_option()).map(|w| w.unquoted()));
                let Some(file) = redirected_file(cmd).or(tee_file) else { continue };
                if protected_block || safe_place(&file) || body.contains(&format!("chmod 600 {file}")) || body.contains(&format!("chmod 600 \"{file}\"")) {
                    continue;
                }
                let at = |r: std::ops::Range<usize>| block.content.source_range(r);
                match &*program {
                    "echo" | "printf" => {
                        for (name, span) in echoed_secrets(&inv) {
                            out.push(
                                Finding::new(at(span), format!("the secret in `${name}` is written to `{file}`, an ordinary file that outlives the incident"))
                                    .help("keep it in the variable (or the secret store); if a file is needed, create it under `/run/secrets` or with `umask 077` and delete it afterwards"),
                            );
                        }
                    }
                    "env" | "printenv" if inv.args().iter().all(|w| w.is_option()) => {
                        let what = if inv.wrapper.is_some() { "the container's whole environment" } else { "the whole environment" };
                        out.push(
                            Finding::new(at(inv.name().map_or(cmd.span.clone(), |w| w.span.clone())), format!("`{program}` writes {what}, secrets included, to `{file}`"))
                                .help("save the names only (`env | cut -d= -f1 > ...`), or the variables you need without their secrets"),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

/// A place meant for secrets.
fn safe_place(path: &str) -> bool {
    path.starts_with("/run/secrets") || path.split('/').any(|s| s == "secrets" || s == ".secrets")
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::SecretWrittenToFile, src)
    }

    #[test]
    fn secrets_in_files() {
        let src = "```bash\necho \"$DB_PASSWORD\" > /tmp/pw\ndocker compose exec api printenv > /tmp/api-env.txt\necho \"token: $API_TOKEN\" | tee -a notes.txt\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 7), (3, 25), (4, 14)], "{got:?}");
    }

    #[test]
    fn secret_stores_and_harmless_output_are_fine() {
        let src = "```bash\nprintf '%s' \"$DB_PASSWORD\" > /srv/shop/secrets/db_password\necho \"$DB_PASSWORD\" > /dev/null\nenv | cut -d= -f1 > /tmp/names.txt\necho \"$HOSTNAME\" > /tmp/host\n```\n\n```bash\numask 077\nprintf '%s' \"$API_TOKEN\" > ~/.config/tool/token\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
