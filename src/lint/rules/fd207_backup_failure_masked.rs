use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, Nesting};

declare_rule! {
    /// ## What it does
    /// Finds backup commands in scripts whose failure nobody would see:
    /// - piped into another command (`pg_dump shop | gzip > shop.sql.gz`) in a script without
    ///   `set -o pipefail`: the pipeline's status is `gzip`'s, which succeeds on empty input;
    /// - run in a script without `set -e`, with later commands and nothing checking its status
    ///   (`|| exit 1`, `&&`, `if`): the script goes on and its last `echo "backup done"` succeeds.
    ///
    /// Scripts are blocks that start with `#!`, use `set -e` or define functions, and scripts a
    /// block writes with a heredoc. Backup commands are `pg_dump`, `pg_dumpall`, `pg_basebackup`,
    /// `mysqldump`, `redis-cli --rdb` / `BGSAVE`, `tar c...` and the backup subcommands of
    /// pgBackRest, WAL-G, Barman, restic and borg.
    ///
    /// ## Why is this bad?
    /// A failed dump (the database refused the connection, the disk filled up) still leaves a file
    /// named like a good one — 20 bytes of gzip header — and an exit status of 0 for cron. The
    /// failure is found on the day the backup is needed.
    ///
    /// ## Example
    /// ```bash
    /// #!/bin/bash
    /// docker exec db pg_dump -U postgres shop | gzip > /backups/shop-$(date +%F).sql.gz
    /// echo "Backup OK"
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// #!/bin/bash
    /// set -euo pipefail
    /// docker exec db pg_dump -U postgres -Fc shop > "/backups/shop-$(date +%F).dump"
    /// docker exec -i db pg_restore --list < "/backups/shop-$(date +%F).dump" > /dev/null
    /// ```
    ///
    /// ## Fix
    /// Start the script with `set -euo pipefail` (bash), or check the dump's status yourself.
    pub struct BackupFailureMasked {
        code: "FD207",
        name: "backup-failure-masked",
        severity: Warning,
        summary: "A backup script would carry on (and report success) after the dump failed",
    }
}

impl Rule for BackupFailureMasked {
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
            let pipefail = body.contains("pipefail");
            let steps: Vec<_> = ops::steps(&analysed).collect();
            let mut piped_reported = false;
            let mut unchecked: Option<(std::ops::Range<usize>, &'static str)> = None;
            for (i, cmd) in steps.iter().enumerate() {
                if !(script || cmd.nesting == Nesting::ScriptFile) {
                    continue;
                }
                let inv = ops::invocation(cmd);
                let Some(tool) = ops::backup_tool(&inv) else { continue };
                let at = block.content.source_range(inv.name().map_or(cmd.span.clone(), |w| w.span.clone()));
                if cmd.piped_out && !pipefail {
                    let next = steps.get(i + 1).and_then(|n| ops::invocation(n).program()).unwrap_or_else(|| "the next command".into());
                    out.push(
                        Finding::new(at, format!("`{tool}` writes into a pipe and this script has no `set -o pipefail`: if it fails, the pipeline still succeeds with `{next}`'s status and an empty or cut-off backup is kept"))
                            .help("start the script with `set -euo pipefail` (bash), or write the dump to a file and check its status"),
                    );
                    piped_reported = true;
                    continue;
                }
                if !analysed.strict && unchecked.is_none() && i + 1 < steps.len() && !cmd.piped_out && !status_checked(body, &cmd.span) {
                    unchecked = Some((at, tool));
                }
            }
            // One finding for the missing `set -e`, unless the pipe findings already name the fix.
            if let (Some((at, tool)), false) = (unchecked, piped_reported) {
                out.push(
                    Finding::new(at, format!("this script has no `set -e` and nothing checks `{tool}`'s status: after a failed backup it carries on, and its last command decides the exit status"))
                        .help("start the script with `set -euo pipefail`, or add `|| exit 1` after the backup command"),
                );
            }
        }
    }
}

/// `cmd || exit 1`, `cmd && ...`, `if cmd; then`: the script looks at the command's status.
fn status_checked(body: &str, span: &std::ops::Range<usize>) -> bool {
    let end = span.end.min(body.len());
    let start = span.start.min(end);
    let after = body[end..].trim_start_matches([' ', '\t']);
    let line_start = body[..start].rfind('\n').map_or(0, |n| n + 1);
    let before = body[line_start..start].trim_start();
    after.starts_with("||") || after.starts_with("&&") || ["if ", "until ", "while ", "! "].iter().any(|k| before.starts_with(k))
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::BackupFailureMasked, src)
    }

    #[test]
    fn masked_failures() {
        let src = "```bash\n#!/bin/sh\ndocker exec db pg_dump -U postgres shop | gzip > /b/shop.sql.gz\necho ok\n```\n\n```bash\n#!/bin/bash\npg_dumpall > /b/all.sql\necho done\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (3, 16));
        assert!(got[0].2.contains("`gzip`'s status"), "{}", got[0].2);
        assert!(got[1].2.contains("no `set -e`"), "{}", got[1].2);
    }

    #[test]
    fn strict_or_checked_backups_are_fine() {
        let src = "```bash\n#!/bin/bash\nset -euo pipefail\npg_dump shop | gzip > /b/shop.sql.gz\n```\n\n```bash\n#!/bin/bash\npg_dump -Fc shop > /b/shop.dump || exit 1\necho done\n```\n\n```bash\npg_dump shop | gzip > /b/by-hand.sql.gz\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
