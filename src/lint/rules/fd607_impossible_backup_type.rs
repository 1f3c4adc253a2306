use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::claims::ClaimKind;
use crate::declare_rule;
use crate::lint::consistency::{component, Component};
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::{shell, Runbook};

declare_rule! {
    /// ## What it does
    /// Finds backups called incremental or differential that the tool named cannot make:
    /// - a backup policy (table row or line) of type incremental or differential made with
    ///   `pg_dump`, `pg_dumpall` or a Redis RDB snapshot;
    /// - the same policy with no tool named, when the runbook's procedure for it (a section about
    ///   incremental or differential copies) runs `pg_dump`;
    /// - `pg_dump` / `pg_dumpall` run in a section about incremental or differential copies.
    ///
    /// Tools that do make incremental backups (pgBackRest, Barman, WAL-G, `pg_basebackup
    /// --incremental` from PostgreSQL 17, restic, borg) are left alone.
    ///
    /// ## Why is this bad?
    /// `pg_dump` always writes a complete logical copy of what it is asked for. An "incremental"
    /// made with it is a second, partial full dump (`-t orders`, `-n tienda`, `--data-only`): it
    /// cannot be applied on top of the last full dump, it misses every table it did not name, and
    /// the RPO computed from "incrementals every 6 hours" does not exist.
    ///
    /// ## Example
    /// ```markdown
    /// | Almacén | Frecuencia |
    /// |---|---|
    /// | Postgres (incremental) | Cada 6 horas |
    ///
    /// ### 6.2 Copia incremental
    ///
    /// docker exec db pg_dump -U postgres -n tienda --data-only postgres > /backups/incr.sql
    /// ```
    ///
    /// ## Fix
    /// For incremental Postgres backups use WAL archiving with a base-backup tool (pgBackRest,
    /// Barman, WAL-G, or `pg_basebackup --incremental` on PostgreSQL 17); otherwise call the copy
    /// what it is — a partial dump — and do not count it in the RPO.
    pub struct ImpossibleBackupType {
        code: "FD607",
        name: "impossible-backup-type",
        severity: Warning,
        summary: "A backup is called incremental or differential, but the tool only makes full copies",
    }
}

static INCREMENTAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bincrementa(l|les)\b|\bdiferencia(l|les)\b|\bdifferential\b").unwrap());

/// `No es incremental`, `not an incremental`: the word, denied.
static DENIED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(no|not|nunca|never|ni)\b[^,;.\n]{0,12}$").unwrap());

/// Whether a text calls something incremental or differential (and does not deny it).
fn says_incremental(text: &str) -> bool {
    INCREMENTAL.find_iter(text).any(|m| !DENIED.is_match(&text[text[..m.start()].rfind('\n').map_or(0, |n| n + 1)..m.start()]))
}

/// Tools that only ever make full copies.
fn full_only(method: &str) -> bool {
    let m = method.to_ascii_lowercase();
    m.contains("pg_dump") || m.contains("rdb") || m.contains("bgsave")
}

impl Rule for ImpossibleBackupType {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        // The words without their first letter, whatever its case, before the regex.
        let text = rb.text();
        let hinted = ["ncremental", "NCREMENTAL", "iferencial", "IFERENCIAL", "ifferential", "IFFERENTIAL"].iter().any(|w| text.contains(w));
        if !hinted || !INCREMENTAL.is_match(text) {
            return;
        }
        let dumps = dumps_in_incremental_sections(rb);
        for (span, tool) in &dumps {
            out.push(
                Finding::new(span.clone(), format!("this section is about incremental copies, but `{tool}` makes a full logical dump of what it is given: the result cannot be applied on top of the last full backup"))
                    .help("for incremental Postgres backups use pgBackRest, Barman, WAL-G or `pg_basebackup --incremental` (PostgreSQL 17) with WAL archiving; or call this a partial dump"),
            );
        }
        for claim in cx.claims {
            let ClaimKind::Backup(b) = &claim.kind else { continue };
            let Some(kind) = b.backup_type.as_deref().filter(|t| *t == "incremental" || *t == "differential") else { continue };
            let made_with = match b.method.as_deref() {
                Some(m) if full_only(m) => Some(format!("`{m}`")),
                Some(_) => None,
                None if component(&b.store) == Some(Component::Database) => dumps.first().map(|(span, tool)| format!("`{tool}` (line {})", rb.line_col(span.start).line)),
                None => None,
            };
            let Some(tool) = made_with else { continue };
            out.push(
                Finding::new(claim.span.clone(), format!("“{}” is called {kind}, but it is made with {tool}, which only makes full copies", b.store))
                    .help("use a tool that makes incremental backups (pgBackRest, Barman, WAL-G, `pg_basebackup --incremental`), or call it a partial dump and leave it out of the RPO"),
            );
        }
    }
}

/// `pg_dump` / `pg_dumpall` commands in sections whose title (or the paragraph before the block)
/// says the copy is incremental or differential.
fn dumps_in_incremental_sections(rb: &Runbook) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    for (i, block) in rb.blocks.iter().enumerate().filter(|(_, b)| b.is_shell()) {
        if !block.content.text.contains("pg_dump") {
            continue;
        }
        let title = block.section.and_then(|s| rb.headings.get(s)).map_or("", |h| h.title.as_str());
        let prev_end = i.checked_sub(1).map_or(0, |p| rb.blocks[p].span.end);
        let said_before = rb.paragraphs.iter().any(|p| p.section == block.section && p.span.start >= prev_end && p.span.end <= block.span.start && says_incremental(&p.text.text));
        if !says_incremental(title) && !said_before {
            continue;
        }
        let analysed = shell::analyse(block);
        for cmd in &analysed.commands {
            let inv = ops::invocation(cmd);
            if let Some(tool @ ("pg_dump" | "pg_dumpall")) = ops::backup_tool(&inv) {
                let name = inv.name().map_or(cmd.span.clone(), |w| w.span.clone());
                out.push((block.content.source_range(name), tool.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::ImpossibleBackupType, src)
    }

    #[test]
    fn incrementals_with_pg_dump() {
        let src = "| Almacén | Frecuencia |\n|---|---|\n| Postgres (incremental) | Cada 6 horas |\n| Redis (RDB incremental) | Cada hora |\n\n### 6.2 Copia incremental\n\n```bash\ndocker exec db pg_dump -U postgres -n tienda --data-only postgres > /b/incr.sql\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(9, 16), (3, 2), (4, 2)], "{got:?}");
        assert!(got[1].2.contains("`pg_dump` (line 9)"), "{}", got[1].2);
    }

    #[test]
    fn real_incrementals_are_fine() {
        let src = "| Store | Frequency | Method |\n|---|---|---|\n| Postgres incremental | every 6 hours | pgBackRest |\n\n### Incremental backups\n\n```bash\npgbackrest --stanza=shop --type=incr backup\n```\n\n### Full dump\n\n```bash\npg_dump -Fc shop > /b/shop.dump\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
