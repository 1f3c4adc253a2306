use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, Nesting};

declare_rule! {
    /// ## What it does
    /// Finds backup scripts that never read back what they wrote: a script (a block that starts
    /// with `#!`, uses `set -e` or defines functions, or a script a heredoc writes) that runs a
    /// backup command (`pg_dump`, `pg_dumpall`, `pg_basebackup`, `redis-cli --rdb`, `tar c...`,
    /// ...) and no check of the artefact anywhere in it: `pg_restore --list`, `pg_verifybackup`,
    /// `gzip -t`, `tar -t`, `test -s` / `[ -s ... ]`, `sha256sum -c`, `redis-check-rdb`,
    /// `restic check`, `pgbackrest verify`.
    ///
    /// ## Why is this bad?
    /// An exit status of 0 says the command ended, not that the file can be restored: a dump cut
    /// off by a full disk, an empty file from a dump that failed inside a pipe, a base backup
    /// missing WAL. Backups that were never read back are the ones that turn out not to restore.
    ///
    /// ## Example
    /// ```bash
    /// #!/bin/bash
    /// set -euo pipefail
    /// docker exec db pg_dump -U postgres -Fc shop > "/backups/shop-$(date +%F).dump"
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// #!/bin/bash
    /// set -euo pipefail
    /// dump="/backups/shop-$(date +%F).dump"
    /// docker exec db pg_dump -U postgres -Fc shop > "$dump.partial"
    /// docker exec -i db pg_restore --list < "$dump.partial" > /dev/null
    /// mv "$dump.partial" "$dump"
    /// ```
    ///
    /// ## Fix
    /// After the backup command, read the artefact back with the tool that will restore it, and
    /// keep it under its final name only when that succeeds.
    pub struct BackupNotVerified {
        code: "FD208",
        name: "backup-not-verified",
        severity: Warning,
        summary: "A backup script never checks that what it wrote can be read back",
    }
}

impl Rule for BackupNotVerified {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !ops::may_make_a_backup(body) {
                continue;
            }
            let analysed = shell::analyse(block);
            let script = ops::is_script(&analysed);
            let mut first_backup = None;
            let mut verified = false;
            for cmd in &analysed.commands {
                let inv = ops::invocation(cmd);
                verified |= ops::verifies_artifact(&inv);
                if first_backup.is_none() && (script || cmd.nesting == Nesting::ScriptFile) {
                    if let Some(tool) = ops::backup_tool(&inv) {
                        first_backup = Some((tool, inv.name().map_or(cmd.span.clone(), |w| w.span.clone())));
                    }
                }
            }
            let Some((tool, span)) = first_backup else { continue };
            if verified {
                continue;
            }
            let check = match tool {
                "pg_basebackup" => "`pg_verifybackup` on the backup directory",
                "redis-cli --rdb" => "`redis-check-rdb` (or at least `test -s`) on the copy",
                "tar" => "`tar -tzf` on the archive",
                _ => "`pg_restore --list` on a `-Fc` dump (or `gzip -t` on a compressed one)",
            };
            out.push(
                Finding::new(block.content.source_range(span), format!("this backup script runs `{tool}` and never checks what it wrote: a cut-off or empty backup is kept as if it were good"))
                    .help(format!("read the artefact back before declaring success: {check}")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::BackupNotVerified, src)
    }

    #[test]
    fn unverified_scripts() {
        let src = "```bash\n#!/bin/bash\nset -euo pipefail\ndocker exec db pg_dump -Fc shop > /b/shop.dump\ntar czf /b/cfg.tgz compose.yaml\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (4, 16));
    }

    #[test]
    fn verified_or_typed_by_hand() {
        let src = "```bash\n#!/bin/bash\nset -euo pipefail\npg_dump -Fc shop > /b/x.dump\npg_restore --list /b/x.dump > /dev/null\n```\n\n```bash\n#!/bin/bash\nredis-cli --rdb /b/r.rdb\ntest -s /b/r.rdb\n```\n\n```bash\npg_dump -Fc shop > /tmp/one-off.dump\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
