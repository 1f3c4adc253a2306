use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell;

use super::fd503_secret_printed::secret_var;

declare_rule! {
    /// ## What it does
    /// Finds secrets the shell pastes into SQL text: a secret's variable expanded inside the
    /// statement of `psql -c "..."` (`"SELECT pgp_sym_decrypt(iban, '$CLAVE_IBAN') ..."`) or in a
    /// heredoc fed to psql whose delimiter is unquoted (`psql <<EOF`), where the shell expands it
    /// before psql sees the statement. Single-quoted `-c` strings and quoted heredocs
    /// (`<<'SQL'`) expand nothing and are left alone.
    ///
    /// ## Why is this bad?
    /// The secret becomes part of the command line — visible to every user of the host in `ps`,
    /// and kept in shell history — and part of the statement text, which the server shows in
    /// `pg_stat_activity`, writes to its log on any error (`log_min_error_statement`) or always
    /// (`log_statement = 'all'`), and `pg_stat_statements` may keep.
    ///
    /// ## Example
    /// ```bash
    /// docker exec db psql -U postgres -c "SELECT pgp_sym_decrypt(iban, '$CLAVE_IBAN') FROM proveedores;"
    /// ```
    ///
    /// Use instead (psql reads the variable itself and sends it as a bind parameter, psql 16+):
    /// ```bash
    /// docker exec -i -e CLAVE_IBAN db psql -v ON_ERROR_STOP=1 -U postgres <<'SQL'
    /// \getenv clave CLAVE_IBAN
    /// SELECT pgp_sym_decrypt(iban, $1) FROM proveedores \bind :'clave' \g
    /// SQL
    /// ```
    pub struct SecretInSqlText {
        code: "FD504",
        name: "secret-in-sql-text",
        severity: Warning,
        summary: "A secret is pasted into SQL text by the shell (psql -c \"...$SECRET...\")",
    }
}

impl Rule for SecretInSqlText {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !body.contains("psql") || !body.contains('$') {
                continue;
            }
            let analysed = shell::analyse(block);
            let mut hits: Vec<(String, std::ops::Range<usize>)> = Vec::new();
            for (i, cmd) in analysed.commands.iter().enumerate() {
                let inv = ops::invocation(cmd);
                if inv.program().as_deref() != Some("psql") {
                    continue;
                }
                // The `-c` statements: `-c "..."`, `-Atc "..."`, `--command="..."`.
                let args = inv.args();
                for (k, w) in args.iter().enumerate() {
                    let t = w.text.as_str();
                    let statement = if t == "--command" || (t.starts_with('-') && !t.starts_with("--") && t.ends_with('c')) {
                        args.get(k + 1)
                    } else if t.starts_with("--command=") {
                        Some(w)
                    } else {
                        None
                    };
                    let Some(s) = statement else { continue };
                    for e in ops::expansions(&s.text, false) {
                        if e.expanded && e.yields_value && secret_var(&e.name) {
                            hits.push((e.name, s.span.start + e.range.start..s.span.start + e.range.end));
                        }
                    }
                }
                // Heredocs with an unquoted delimiter: everything in them is expanded.
                for h in analysed.heredocs.iter().filter(|h| h.command == Some(i) && !h.quoted) {
                    let text = &body[h.body.clone()];
                    for e in ops::expansions(text, true) {
                        if e.yields_value && secret_var(&e.name) {
                            hits.push((e.name, h.body.start + e.range.start..h.body.start + e.range.end));
                        }
                    }
                }
            }
            for (name, span) in hits {
                out.push(
                    Finding::new(block.content.source_range(span), format!("the shell pastes the secret in `${name}` into the SQL text: it shows in `ps`, in shell history, in `pg_stat_activity` and in the server log"))
                        .help(format!("let psql read it (`\\getenv v {name}`, psql 15+) and pass it as a bind parameter (`... $1 \\bind :'v' \\g`, psql 16+) in a heredoc with a quoted delimiter")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::SecretInSqlText, src)
    }

    #[test]
    fn pasted_secrets() {
        let src = "```bash\ndocker exec db psql -U postgres -c \"SELECT pgp_sym_decrypt(iban, '$CLAVE_IBAN') FROM p;\"\npsql <<EOF\nALTER ROLE app PASSWORD '${APP_DB_PASSWORD}';\nEOF\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 67), (4, 26)], "{got:?}");
    }

    #[test]
    fn literal_or_psql_variables_are_fine() {
        let src = "```bash\npsql -c 'SELECT $JWT_SECRET AS literally_this'\npsql -v ON_ERROR_STOP=1 <<'SQL'\nSELECT '$APP_DB_PASSWORD';\nSQL\npsql -c \"SELECT count(*) FROM $TABLE_NAME;\"\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
