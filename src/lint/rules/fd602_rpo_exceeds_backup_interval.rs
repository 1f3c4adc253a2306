use std::time::Duration;

use crate::claims::{Claim, ClaimKind};
use crate::declare_rule;
use crate::lint::consistency::{self, component, human, recovery_component, Component};
use crate::lint::{Finding, LintedFile, ProjectContext, ProjectFinding, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Compares each recovery point objective with the backup schedule of the data it is about,
    /// and reports an RPO shorter than the time between two backups: `RPO 1 hora` for the
    /// database when the most frequent Postgres backup runs every 6 hours. The scenario says which
    /// data (`Redis perdido` → Redis, `Base de datos corrupta` → the database, `Host loss` or a
    /// general `RPO: 1 h` → the database); backups are matched by their store (`Postgres (dump
    /// completo)`, `Redis RDB`). Continuous WAL archiving or replication counts as an interval of
    /// zero. The backup policy is looked up in the same runbook first, then in the other runbooks
    /// of the run that describe the same system.
    ///
    /// ## Why is this bad?
    /// With a dump every 6 hours, a failure just before the next dump loses almost 6 hours of
    /// orders, whatever the runbook promises. The RPO is what the business plans with (and what
    /// a drill or an audit will measure); a schedule that cannot meet it is a promise already
    /// broken.
    ///
    /// ## Example
    /// ```markdown
    /// | Escenario | RTO | RPO |
    /// |---|---|---|
    /// | Base de datos corrupta | 30 minutos | 1 hora |
    ///
    /// | Almacén | Frecuencia |
    /// |---|---|
    /// | Postgres (dump completo) | Diario (03:30) |
    /// ```
    ///
    /// ## Fix
    /// Back up as often as the RPO requires (for Postgres, continuous WAL archiving gives minutes),
    /// or state the RPO the schedule really gives.
    pub struct RpoExceedsBackupInterval {
        code: "FD602",
        name: "rpo-exceeds-backup-interval",
        severity: Warning,
        summary: "An RPO is shorter than the interval between the backups of that data",
    }
}

/// The most frequent backup of a component in one runbook.
pub(super) fn best_backup(claims: &[Claim], of: Component) -> Option<(&Claim, &str, Duration)> {
    claims
        .iter()
        .filter_map(|c| match &c.kind {
            ClaimKind::Backup(b) if component(&b.store) == Some(of) => b.frequency.map(|f| (c, b.store.as_str(), f.interval())),
            _ => None,
        })
        .min_by_key(|(_, _, d)| *d)
}

/// The data a recovery claim is about, for the backup rules: the database when it names none
/// or names the whole host; `None` when it loses no data of its own.
pub(super) fn data_of(claim: &Claim, recovery: &crate::claims::Recovery) -> Option<Component> {
    match recovery_component(claim, recovery) {
        None | Some(Component::Host) => Some(Component::Database),
        Some(Component::Stateless | Component::Config) => None,
        Some(c) => Some(c),
    }
}

impl Rule for RpoExceedsBackupInterval {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_project(&self, cx: &ProjectContext, out: &mut Vec<ProjectFinding>) {
        let files: &[LintedFile] = cx.files;
        if !files.iter().any(|f| f.claims.iter().any(|c| matches!(c.kind, ClaimKind::Recovery(_)))) {
            return;
        }
        let systems = cx.systems();
        let mut backups = consistency::Lookup::new();
        for (index, file) in files.iter().enumerate() {
            for (claim, recovery) in consistency::recoveries(&file.claims) {
                let Some(rpo) = recovery.rpo.filter(|r| !r.is_zero()) else { continue };
                let Some(data) = data_of(claim, recovery) else { continue };
                let found = backups.get(systems, index, data, |f, c| best_backup(&files[f].claims, c));
                let Some((at_file, (backup, store, interval))) = found else { continue };
                if rpo >= interval {
                    continue;
                }
                out.push(ProjectFinding {
                    file: index,
                    finding: Finding::new(
                        claim.span.clone(),
                        format!(
                            "RPO {} {}, but the most frequent backup of {} (“{store}”, {}) runs every {}: a failure just before it loses up to {} of data",
                            human(rpo),
                            consistency::scenario_phrase(claim, recovery),
                            data.name(),
                            consistency::place(files, index, at_file, backup.line),
                            human(interval),
                            human(interval)
                        ),
                    )
                    .help(format!("back up at least every {} (continuous WAL archiving for Postgres), or state an RPO of {}", human(rpo), human(interval))),
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

    fn run(files: &[(&str, &str)]) -> Vec<(String, usize, String)> {
        let runbooks = files.iter().map(|(p, t)| Runbook::from_text(Path::new(p), t)).collect();
        let report = lint_runbooks(runbooks, &Config::default());
        report.diagnostics.iter().filter(|d| d.code == "FD602").map(|d| (d.file.clone(), d.line, d.message.clone())).collect()
    }

    const RPO: &str = "# Tienda https://tienda.example.es\n\n| Escenario | RTO | RPO |\n|---|---|---|\n| Base de datos corrupta | 30 min | 1 hora |\n| Redis perdido | 10 min | 2 horas |\n| Contenedor de la API caído | 5 min | 0 |\n";

    #[test]
    fn schedule_in_the_same_or_another_runbook() {
        let backups = "| Almacén | Frecuencia |\n|---|---|\n| Postgres (dump) | Cada 6 horas |\n| Redis (RDB) | Cada hora |\n";
        let got = run(&[("a.md", &format!("{RPO}\n{backups}"))]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, 5);
        assert!(got[0].2.contains("runs every 6 h"), "{}", got[0].2);
        // Backups stated in another runbook of the same system.
        let other = format!("# Copias https://grafana.tienda.example.es\n\n{backups}");
        let got = run(&[("a.md", RPO), ("b.md", &other)]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].2.contains("b.md:5"), "{}", got[0].2);
        // Another system's backups do not count.
        let unrelated = format!("# Otra https://otra.example.com\n\n{backups}");
        assert!(run(&[("a.md", RPO), ("c.md", &unrelated)]).is_empty());
    }

    #[test]
    fn continuous_archiving_meets_any_rpo() {
        let backups = "| Almacén | Frecuencia |\n|---|---|\n| Postgres (WAL archivado) | Continuo |\n| Postgres (dump) | Diario |\n| Redis (RDB) | Cada hora |\n";
        assert!(run(&[("a.md", &format!("{RPO}\n{backups}"))]).is_empty());
    }
}
