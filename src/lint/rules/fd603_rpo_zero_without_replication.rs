use std::sync::LazyLock;

use regex::Regex;

use crate::claims::{ClaimKind, Frequency};
use crate::declare_rule;
use crate::lint::consistency::{self, component, Component};
use crate::lint::{Finding, LintedFile, ProjectContext, ProjectFinding, Rule, RuleMeta};

use super::fd602_rpo_exceeds_backup_interval::data_of;

declare_rule! {
    /// ## What it does
    /// Finds an RPO of zero ("no data loss") claimed for data that nothing copies continuously:
    /// `| Redis perdido | 10 minutos | 0 |` when the runbook says Redis keeps RDB snapshots, with
    /// no AOF and no replica. Zero data loss needs a copy written at the same time as the data:
    /// for Postgres, WAL archiving or (synchronous) replication; for Redis, a replica or AOF. The
    /// evidence is a continuous backup policy for that store, or those mechanisms named in the
    /// runbooks of the same system — not after "sin", "no", "without". Scenarios of stateless
    /// processes (an API container) lose no data and are left alone.
    ///
    /// ## Why is this bad?
    /// With snapshots only, losing the data loses everything written since the last snapshot.
    /// The RPO of zero is then the one number in the runbook that is known to be false, and the
    /// business plans (refunds, reconciliations, SLAs) are built on it.
    ///
    /// ## Example
    /// ```markdown
    /// | Componente | Notas |
    /// |---|---|
    /// | Caché / límites | RDB cada 6 h, sin AOF, sin réplica |
    ///
    /// | Escenario | RTO | RPO |
    /// |---|---|---|
    /// | Redis perdido | 10 minutos | 0 |
    /// ```
    ///
    /// ## Fix
    /// State the RPO the backups give (the snapshot interval), or add what makes it zero (a
    /// replica, `appendfsync always`, WAL archiving with synchronous replication) and say so.
    pub struct RpoZeroWithoutReplication {
        code: "FD603",
        name: "rpo-zero-without-replication",
        severity: Warning,
        summary: "RPO 0 is claimed for data with no replication or continuous archiving",
    }
}

/// Mechanisms that only one kind of store has: named, they are evidence on their own.
static DATABASE_SPECIFIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bwal\b[^.\n]{0,40}\barchiv|archiv\w*[^.\n]{0,20}\bwal\b|archive_command|archive_mode|streaming replication|synchronous_commit|synchronous_standby_names|pgbackrest|wal-g|\bbarman\b|\bpitr\b|point-in-time").unwrap()
});
static CACHE_SPECIFIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\baof\b|appendonly|appendfsync|replicaof|slaveof|redis sentinel|\bsentinel\b|redis cluster").unwrap());
/// Words any store may use: evidence only on a line that names the store too.
static GENERIC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\breplica\b|r[eé]plica|replicaci[oó]n|replicat\w*|\bstandby\b|versioning|versionado").unwrap());
static NAMES_DATABASE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)postgres|base de datos|database|\bdb\b|\bwal\b").unwrap());
static NAMES_CACHE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)redis|cach[eé]|valkey").unwrap());
static NAMES_FILES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)storage|ficheros|files|uploads|bucket|s3|minio").unwrap());
static NEGATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(sin|no|not|without|never|nunca|ni|disabled|desactivad[oa]s?|off)\b[^,;.\n]{0,12}$").unwrap());
/// `AOF disabled`, `réplica desactivada`: the negation after the mechanism.
static NEGATED_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^[^,;.\n]{0,12}\b(disabled|off|desactivad[oa]s?|deshabilitad[oa]s?|apagad[oa]s?|not used|no se usa)\b").unwrap());

/// Whether a runbook says, without negating it, that the component's data is copied as written.
fn evidence(file: &LintedFile, of: Component) -> bool {
    let continuous = file.claims.iter().any(|c| matches!(&c.kind, ClaimKind::Backup(b) if b.frequency == Some(Frequency::Continuous) && component(&b.store) == Some(of)));
    if continuous {
        return true;
    }
    let (specific, names): (Option<&Regex>, &Regex) = match of {
        Component::Database => (Some(&*DATABASE_SPECIFIC), &*NAMES_DATABASE),
        Component::Cache => (Some(&*CACHE_SPECIFIC), &*NAMES_CACHE),
        Component::Files => (None, &*NAMES_FILES),
        _ => return false,
    };
    let text = file.runbook.text();
    // Words one of the mechanisms always contains, before any regex runs over the whole text.
    let hints: &[&str] = match of {
        Component::Database => &["WAL", "wal", "archiv", "Archiv", "replic", "Replic", "réplica", "standby", "Standby", "PITR", "point-in-time", "synchronous", "backrest", "BackRest", "barman", "Barman"],
        Component::Cache => &["AOF", "aof", "append", "replic", "Replic", "réplica", "slaveof", "entinel", "cluster", "Cluster"],
        _ => &["replic", "Replic", "réplica", "version"],
    };
    if !hints.iter().any(|h| text.contains(h)) {
        return false;
    }
    let line_of = |at: usize| {
        let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        start..end
    };
    let positive = |m: regex::Match| {
        let line = line_of(m.start());
        !NEGATION.is_match(&text[line.start..m.start()]) && !NEGATED_AFTER.is_match(&text[m.end()..line.end])
    };
    specific.is_some_and(|re| re.find_iter(text).any(positive))
        || GENERIC.find_iter(text).any(|m| positive(m) && names.is_match(&text[line_of(m.start())]))
}

impl Rule for RpoZeroWithoutReplication {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_project(&self, cx: &ProjectContext, out: &mut Vec<ProjectFinding>) {
        let files = cx.files;
        if !files.iter().any(|f| consistency::recoveries(&f.claims).any(|(_, r)| r.rpo.is_some_and(|d| d.is_zero()))) {
            return;
        }
        let systems = cx.systems();
        let mut evidenced = consistency::Lookup::new();
        for (index, file) in files.iter().enumerate() {
            for (claim, recovery) in consistency::recoveries(&file.claims) {
                if !recovery.rpo.is_some_and(|d| d.is_zero()) {
                    continue;
                }
                let Some(data) = data_of(claim, recovery) else { continue };
                if evidenced.get(systems, index, data, |f, c| evidence(&files[f], c).then_some(())).is_some() {
                    continue;
                }
                let needs = match data {
                    Component::Cache => "a replica or AOF with `appendfsync always`",
                    Component::Files => "replication of the storage",
                    _ => "WAL archiving or synchronous replication",
                };
                out.push(ProjectFinding {
                    file: index,
                    finding: Finding::new(
                        claim.span.clone(),
                        format!("RPO 0 (no data loss) {}, but nothing the runbooks describe copies {} as it is written: zero loss needs {needs}", consistency::scenario_phrase(claim, recovery), data.name()),
                    )
                    .help("state the RPO the backups give (the interval between snapshots), or describe the replication that makes it zero"),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{lint_runbooks, Config};
    use crate::runbook::Runbook;
    use std::path::Path;

    fn run(text: &str) -> Vec<(usize, String)> {
        let report = lint_runbooks(vec![Runbook::from_text(Path::new("a.md"), text)], &Config::default());
        report.diagnostics.iter().filter(|d| d.code == "FD603").map(|d| (d.line, d.message.clone())).collect()
    }

    #[test]
    fn zero_without_copies() {
        let text = "Redis: RDB cada 6 h, sin AOF, sin réplica.\n\n| Escenario | RTO | RPO |\n|---|---|---|\n| Redis perdido | 10 min | 0 |\n| Contenedor de la API caído | 5 min | 0 |\n";
        let got = run(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 5);
    }

    #[test]
    fn replication_or_archiving_is_evidence() {
        let text = "Redis runs with a replica on the second host.\n\nPostgres archives its WAL continuously.\n\n| Scenario | RTO | RPO |\n|---|---|---|\n| Redis lost | 10 min | 0 |\n| Database down | 10 min | 0 |\n";
        assert!(run(text).is_empty(), "{:?}", run(text));
    }
}
