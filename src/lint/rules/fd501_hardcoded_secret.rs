use std::ops::Range;

use crate::declare_rule;
use crate::lint::secrets::{
    self, classify_value, is_secret_name, looks_like_password, normalize, Context, SecretMatch,
    ValueKind,
};
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::{Cell, Table};

declare_rule! {
    /// ## What it does
    /// Finds credentials written into the runbook:
    ///
    /// - passwords in tables (`| Grafana | admin / s3cret |`, a `Password` / `Contraseña` /
    ///   `Clave` / `Token` column with a value, a `| DB_PASSWORD | value |` row) and in prose
    ///   (`usuario: admin, contraseña: Sup3rS3creta`);
    /// - keys and passwords in commands and config: `PGPASSWORD=… psql`, `redis-cli -a …`,
    ///   `mysql -p…`, `curl -u user:…`, `-H "Authorization: Bearer …"`, `-H "apikey: …"`,
    ///   `postgres://user:…@host/db`, `export API_KEY=…`, `password: …` in YAML, JSON or `.env`
    ///   blocks, `ALTER ROLE … PASSWORD '…'`;
    /// - credential-shaped tokens anywhere: AWS access keys (`AKIA…`), GitHub (`ghp_…`) and GitLab
    ///   tokens, Slack tokens and webhook URLs, Stripe keys, JWTs, Vault tokens, private key blocks.
    ///
    /// References are not secrets and stay silent: `$PGPASSWORD`, `${API_KEY}`,
    /// `"$(cat /run/secrets/db)"`, `${{ secrets.X }}`, `{{ vault_pw }}`, file and Vault paths,
    /// variable names without a value. Neither are masked values (`****`, `[REDACTED]`,
    /// `eyJhbGci...`) nor placeholders (`<password>`, `changeme`: those are FD502's), nor the
    /// Supabase `anon` key, which is public by design.
    ///
    /// The diagnostic never shows the secret: it says what kind it is and where, and the excerpt
    /// masks it.
    ///
    /// ## Why is this bad?
    /// A runbook is read by everyone who can open the wiki or the repository, copied into chat
    /// during incidents and kept in version control for ever. A password in it is a password
    /// shared with all of them; rotating it later does not remove it from the history.
    ///
    /// ## Example
    /// ```markdown
    /// | Servicio | Acceso |
    /// |---|---|
    /// | Grafana | admin / Gr4fana-2024 |
    ///
    /// PGPASSWORD=Pg4dm1n psql -h db -U app shop
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | Servicio | Acceso |
    /// |---|---|
    /// | Grafana | usuario `admin`, clave en Vault `secret/data/grafana` |
    ///
    /// PGPASSWORD="$(vault kv get -field=password secret/data/shop-db)" psql -h db -U app shop
    /// ```
    ///
    /// ## How to fix
    /// Move the secret to the secret store the team already uses and have the runbook say where it
    /// is or read it at run time. Then rotate it: it has been in the repository history since the
    /// commit that added it.
    pub struct HardcodedSecret {
        code: "FD501",
        name: "hardcoded-secret",
        severity: Error,
        summary: "A credential is written in the runbook",
    }
}

const HELP: &str = "keep it in the secret store and read it at run time (`$VAR`, `\"$(vault kv get …)\"`) or say where it lives; then rotate it: it is in the repository history";

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        let text = rb.text();
        let mut found: Vec<SecretMatch> = Vec::new();
        let gates = secrets::SecretGates::new(text);
        for b in &rb.blocks {
            let piece = b.content.lines_are_verbatim().then_some(&b.span);
            for m in secrets::scan_piece(&b.content.text, Context::Code, &gates, piece) {
                let span = b.content.source_range(m.span.clone());
                found.push(SecretMatch { span, ..m });
            }
        }
        for t in &rb.tables {
            table_secrets(text, t, &mut found);
        }
        for gap in secrets::outside_code(rb) {
            for m in secrets::scan_piece(&text[gap.clone()], Context::Prose, &gates, Some(&gap)) {
                let span = gap.start + m.span.start..gap.start + m.span.end;
                found.push(SecretMatch { span, ..m });
            }
        }
        secrets::keep_first_non_overlapping(&mut found, |m| &m.span);
        for m in found {
            let place = if m.place.is_empty() {
                String::new()
            } else {
                format!(" {}", m.place)
            };
            out.push(
                Finding::new(m.span, format!("hard-coded {}{place}", m.what))
                    .help(HELP)
                    .redacted(),
            );
        }
    }
}

/// What a table column holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// Passwords, keys or tokens themselves.
    Secret,
    /// Logins: `admin / s3cret` pairs.
    Access,
    Other,
}

fn column_kind(header: &str, table_has_value_column: bool) -> Column {
    let h = normalize(header);
    let words: Vec<&str> = h
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    const ABOUT: &[&str] = &[
        "donde",
        "where",
        "ubicacion",
        "location",
        "ruta",
        "path",
        "vault",
        "gestor",
        "manager",
        "variable",
        "var",
        "env",
        "nombre",
        "name",
        "tipo",
        "type",
        "rotacion",
        "rotation",
        "caduca",
        "caducidad",
        "expira",
        "expires",
        "expiry",
        "ttl",
        "politica",
        "policy",
        "longitud",
        "length",
        "owner",
        "responsable",
        "formato",
        "format",
        "referencia",
        "ref",
        "fuente",
        "source",
        "almacen",
        "store",
        "id",
        "notas",
        "notes",
        "uso",
        "use",
        "scope",
    ];
    if words.iter().any(|w| ABOUT.contains(w)) {
        return Column::Other;
    }
    const SECRET: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "contrasena",
        "token",
        "secret",
        "secreto",
        "apikey",
        "clave",
    ];
    let api_key = h.contains("api key") || h.contains("api-key");
    if api_key || words.iter().any(|w| SECRET.contains(w)) {
        // `| Clave | Valor |` is a key/value table: "clave" names the key there.
        if words == ["clave"] && table_has_value_column {
            return Column::Other;
        }
        return Column::Secret;
    }
    const ACCESS: &[&str] = &[
        "acceso",
        "access",
        "credenciales",
        "credencial",
        "credentials",
        "credential",
        "login",
    ];
    if words.iter().any(|w| ACCESS.contains(w)) {
        return Column::Access;
    }
    Column::Other
}

/// Logins that are the first half of a credential pair wherever they appear.
const ADMIN_USERS: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "postgres",
    "grafana",
    "elastic",
    "sa",
    "superuser",
    "ubuntu",
    "deploy",
    "minioadmin",
    "supabase_admin",
    "kibana",
    "guest",
    "operator",
    "rabbitmq",
    "redis",
    "default",
];

/// The cell's value without surrounding blanks, backticks or emphasis, as a range into `text`.
fn cell_inner(text: &str, cell: &Cell) -> Range<usize> {
    let mut r = cell.span.clone();
    loop {
        let s = &text[r.clone()];
        let t = s.trim();
        let lead = s.len() - s.trim_start().len();
        r = r.start + lead..r.start + lead + t.len();
        let t = &text[r.clone()];
        let wrapper = ["**", "__", "`", "*", "_"]
            .into_iter()
            .find(|w| t.len() > 2 * w.len() && t.starts_with(w) && t.ends_with(w));
        match wrapper {
            Some(w) => r = r.start + w.len()..r.end - w.len(),
            None => return r,
        }
    }
}

fn is_numeric(v: &str) -> bool {
    v.chars().all(|c| c.is_ascii_digit() || " :./-".contains(c))
}

/// A single-token secret value in a table: literal, not a name, path or number.
fn table_value(v: &str, column: Column) -> bool {
    let n = v.chars().count();
    n >= 3
        && !v.contains(char::is_whitespace)
        && classify_value(v) == ValueKind::Literal
        && !is_secret_name(v)
        && !(v.contains('/')
            && v.split('/').all(|seg| {
                seg.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            }))
        && (column == Column::Secret || !is_numeric(v))
}

fn table_secrets(text: &str, table: &Table, out: &mut Vec<SecretMatch>) {
    let has_value_column = table.header.iter().any(|h| {
        matches!(
            normalize(&h.text).trim(),
            "valor" | "value" | "valores" | "values"
        )
    });
    let columns: Vec<Column> = table
        .header
        .iter()
        .map(|h| column_kind(&h.text, has_value_column))
        .collect();
    let push = |out: &mut Vec<SecretMatch>, span: Range<usize>, place: String| {
        out.push(SecretMatch {
            span,
            what: "password",
            place,
        });
    };
    for row in &table.rows {
        for (i, cell) in row.iter().enumerate() {
            let column = columns.get(i).copied().unwrap_or(Column::Other);
            let header = table.header.get(i).map_or("", |h| h.text.as_str());
            let inner = cell_inner(text, cell);
            let v = &text[inner.clone()];
            // `admin / s3cret`, `admin:s3cret`.
            if let Some(pass) = credential_pair(v, column) {
                push(
                    out,
                    inner.start + pass.start..inner.start + pass.end,
                    format!("in table column `{header}`"),
                );
                continue;
            }
            if column == Column::Secret && table_value(v, column) {
                push(out, inner, format!("in table column `{header}`"));
                continue;
            }
            // `| DB_PASSWORD | value |`.
            if let Some(next) = row.get(i + 1) {
                let name = v.trim_matches('`');
                if !name.contains(char::is_whitespace) && is_secret_name(name) {
                    let next_inner = cell_inner(text, next);
                    let nv = &text[next_inner.clone()];
                    let next_column = columns.get(i + 1).copied().unwrap_or(Column::Other);
                    if next_column != Column::Secret
                        && table_value(nv, Column::Other)
                        && nv.chars().count() >= 4
                    {
                        push(out, next_inner, format!("next to `{name}` in a table"));
                    }
                }
            }
        }
    }
}

/// The password half of a `user / password` or `user:password` cell, as a range into `v`.
fn credential_pair(v: &str, column: Column) -> Option<Range<usize>> {
    // Outside login columns only `user / password` with blanks: `grafana/grafana:11.2` is an image.
    let tight = column != Column::Other;
    let (user, pass_start) = if let Some(i) = v
        .find(" / ")
        .or_else(|| v.find('/').filter(|_| tight && !v.contains(' ')))
    {
        let sep = if v[i..].starts_with(" / ") { 3 } else { 1 };
        (v[..i].trim(), i + sep)
    } else if let Some(i) = v.find(':').filter(|_| tight) {
        (v[..i].trim(), i + 1)
    } else {
        return None;
    };
    let rest = &v[pass_start..];
    let lead = rest.len() - rest.trim_start().len();
    let pass = rest.trim().trim_matches('`');
    let offset = pass_start + lead + rest.trim().find(pass).unwrap_or(0);
    let user = user.trim_matches('`');
    if user.is_empty()
        || user.contains(char::is_whitespace)
        || pass.contains(char::is_whitespace)
        || pass.is_empty()
    {
        return None;
    }
    if classify_value(pass) != ValueKind::Literal || is_numeric(pass) || is_secret_name(pass) {
        return None;
    }
    let admin = ADMIN_USERS.contains(&normalize(user).as_str());
    let ok = match column {
        Column::Secret | Column::Access => pass.chars().count() >= 3,
        Column::Other => {
            admin && (looks_like_password(pass) || pass.chars().count() >= 5 && !pass.contains('/'))
        }
    };
    ok.then(|| offset..offset + pass.len())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::lint::config::RuleSetting;
    use crate::lint::{format, lint_runbooks, rules, Config};
    use crate::runbook::Runbook;

    fn lint(src: &str) -> crate::lint::Report {
        let mut config = Config::default();
        for r in rules::all() {
            if r.meta().code != "FD501" {
                config
                    .rules
                    .insert(r.meta().code.to_string(), RuleSetting::Off);
            }
        }
        lint_runbooks(vec![Runbook::from_text(Path::new("rb.md"), src)], &config)
    }

    fn secrets_found(src: &str) -> Vec<String> {
        let report = lint(src);
        report
            .diagnostics
            .iter()
            .map(|d| src[d.span.clone()].to_string())
            .collect()
    }

    #[test]
    fn tables() {
        let src = "| Servicio | Acceso |\n|---|---|\n| Grafana | admin / Gr4fana-2024 |\n| Kibana | `elastic:K1b4n4pw` |\n\n\
                   | Usuario | Contraseña | Dónde está la clave |\n|---|---|---|\n| app | S3cr3t0! | Vault `secret/data/app` |\n\n\
                   | Variable | Valor |\n|---|---|\n| `DB_PASSWORD` | pgAdm1n2024 |\n| `DB_HOST` | db.interno |\n";
        assert_eq!(
            secrets_found(src),
            ["Gr4fana-2024", "K1b4n4pw", "S3cr3t0!", "pgAdm1n2024"]
        );
    }

    #[test]
    fn tables_near_misses() {
        let src = "| Variable | Descripción | Dónde |\n|---|---|---|\n| `PGPASSWORD` | contraseña de `app` | Vault `secret/data/app` |\n\n\
                   | Clave | Valor |\n|---|---|\n| max_connections | 200 |\n\n\
                   | Servicio | Contraseña |\n|---|---|\n| Grafana | en Vault: secret/data/grafana |\n| Redis | `****` |\n| API | `$API_TOKEN` |\n| DB | `<clave-correcta>` |\n| Caché | - |\n\n\
                   | Métrica | Valor |\n|---|---|\n| p95 / p99 | 300 / 800 ms |\n\n\
                   | Servicio | Imagen | Puerto |\n|---|---|---|\n| `grafana` | grafana/grafana:11.2 | 3000 |\n| `redis` | redis:7.2 | 6379 |\n";
        assert_eq!(secrets_found(src), Vec::<String>::new());
    }

    #[test]
    fn positions_in_indented_blocks() {
        let src = "1. Conecta:\n\n   ```bash\n   PGPASSWORD=Pg4dm1n psql -h db\n   ```\n";
        let report = lint(src);
        let d = &report.diagnostics[0];
        assert_eq!((d.line, d.column, d.end_column), (4, 15, 22));
        assert_eq!(d.message, "hard-coded password in `PGPASSWORD`");
    }

    #[test]
    fn no_output_format_shows_the_secret() {
        let secrets = [
            "Mon1tor-7781",
            "Qp9-ops-db",
            "sk_live_73JqW8eRtY2uIo4pA6sDf",
            "Cach3-R3d1s",
        ];
        let src = format!(
            "# Accesos\n\n| Servicio | Acceso |\n|---|---|\n| Grafana | admin / {} |\n\n```bash\nPGPASSWORD={} psql -h db\n\
             export STRIPE_KEY={}\nredis-cli -a {} ping\n```\n",
            secrets[0], secrets[1], secrets[2], secrets[3]
        );
        let report = lint(&src);
        assert_eq!(report.diagnostics.len(), 4);
        assert!(report.diagnostics.iter().all(|d| d.redact));
        let outputs = [
            format::human::render(&report, false),
            format::json::render(&report),
            format::sarif::render(&report),
        ];
        for out in &outputs {
            for s in secrets {
                assert!(!out.contains(s), "secret `{s}` printed in:\n{out}");
            }
        }
        assert!(outputs[0].contains("•••••••"), "{}", outputs[0]);
    }
}
