use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell;

declare_rule! {
    /// ## What it does
    /// Finds a Redis RDB file copied into place (`docker cp dump.rdb cache:/data/dump.rdb`,
    /// `docker compose cp ...`, `cp backup.rdb /srv/redis-data/dump.rdb`) and then a restart of
    /// the server (`docker restart`, `docker compose restart`, `systemctl restart`), with no stop
    /// before the copy in the same section.
    ///
    /// ## Why is this bad?
    /// A running Redis keeps its data in memory and, when it is shut down for the restart, saves
    /// that data to its RDB file — over the file just copied. It comes back with what it had
    /// before, the restore silently did nothing, and the backup file under `/data` is gone too.
    ///
    /// ## Example
    /// ```bash
    /// docker cp /backups/redis/dump.rdb redis:/data/dump.rdb
    /// docker restart redis
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// docker stop redis
    /// docker cp /backups/redis/dump.rdb redis:/data/dump.rdb
    /// docker start redis
    /// ```
    ///
    /// ## Fix
    /// Stop, copy, start. (With AOF enabled, Redis loads the AOF instead of the RDB: restore that,
    /// or turn AOF off for the restart.)
    pub struct RedisRestoreWhileRunning {
        code: "FD209",
        name: "redis-restore-while-running",
        severity: Error,
        summary: "An RDB file is copied under a running Redis that is then restarted (it overwrites it)",
    }
}

impl Rule for RedisRestoreWhileRunning {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        for (index, block) in rb.blocks.iter().enumerate().filter(|(_, b)| b.is_shell()) {
            if !block.content.text.contains(".rdb") {
                continue;
            }
            let analysed = shell::analyse(block);
            for (i, cmd) in ops::steps(&analysed).enumerate() {
                let inv = ops::invocation(cmd);
                let Some(destination) = rdb_destination(&inv) else { continue };
                let copy_at = block.content.source_offset(cmd.span.start);
                // Stopped earlier in the section (this block included)?
                let stopped = ops::earlier_in_section(rb, block.section, copy_at).iter().any(|(b, a)| {
                    ops::steps(a)
                        .take_while(|c| b.content.source_offset(c.span.start) < copy_at)
                        .any(|c| ops::stops_service(&ops::invocation(c)))
                });
                if stopped {
                    continue;
                }
                // Restarted afterwards: later in this block, or in the section's next blocks.
                let restarted_here = ops::steps(&analysed).skip(i + 1).any(|c| restarts(&ops::invocation(c)));
                let restarted_after = rb.blocks[index + 1..]
                    .iter()
                    .take_while(|b| b.section == block.section)
                    .filter(|b| b.is_shell())
                    .any(|b| ops::steps(&shell::analyse(b)).any(|c| restarts(&ops::invocation(c))));
                if !(restarted_here || restarted_after) {
                    continue;
                }
                out.push(
                    Finding::new(
                        block.content.source_range(cmd.span.clone()),
                        format!("the RDB is copied to `{destination}` while Redis is running, then Redis is restarted: on shutdown it saves its memory over the copied file, so the restore is lost"),
                    )
                    .help("stop Redis first (`docker stop ...` / `docker compose stop redis`), copy the file, then start it"),
                );
            }
        }
    }
}

/// The destination of a command that puts an `.rdb` file in place, if it does.
fn rdb_destination(inv: &ops::Invocation) -> Option<String> {
    let program = inv.program()?;
    let operands: Vec<String> = inv.args().iter().filter(|w| !w.is_option()).map(|w| w.unquoted()).collect();
    let (source, dest) = match ops::docker_subcommand(inv.words) {
        Some((_, sub, after)) if sub == "cp" => {
            let ops_: Vec<String> = after.iter().filter(|w| !w.is_option()).map(|w| w.unquoted()).collect();
            (ops_.first()?.clone(), ops_.last()?.clone())
        }
        Some(_) => return None,
        None if matches!(&*program, "cp" | "mv" | "install" | "rsync") && operands.len() >= 2 => {
            (operands[0].clone(), operands.last()?.clone())
        }
        None => return None,
    };
    // Copying out of a container, or to a backup folder, is a backup, not a restore.
    let into_server = dest.ends_with(".rdb") && !dest.to_ascii_lowercase().contains("backup") && !dest.to_ascii_lowercase().contains("copia");
    (into_server && source.ends_with(".rdb") && source != dest).then_some(dest)
}

/// `docker restart x`, `docker compose restart [svc]`, `systemctl restart redis`, `service redis restart`.
fn restarts(inv: &ops::Invocation) -> bool {
    if let Some((_, sub, _)) = ops::docker_subcommand(inv.words) {
        return sub == "restart";
    }
    match inv.program().as_deref() {
        Some("systemctl") => inv.args().first().is_some_and(|w| w.text == "restart"),
        Some("service") => inv.args().get(1).is_some_and(|w| w.text == "restart"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::RedisRestoreWhileRunning, src)
    }

    #[test]
    fn copy_then_restart() {
        let src = "## Redis\n\n```bash\ndocker cp /b/dump.rdb cache:/data/dump.rdb && docker restart cache\n```\n\n## Bind mount\n\n```bash\ncp /b/dump-1.rdb /srv/redis-data/dump.rdb\n```\n\n```bash\ndocker compose restart redis\n```\n";
        let got = run(src);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (4, 1));
        assert_eq!(got[1].0, 10);
    }

    #[test]
    fn stop_copy_start_and_backups_are_fine() {
        let src = "```bash\ndocker stop cache\ndocker cp /b/dump.rdb cache:/data/dump.rdb\ndocker start cache\n```\n\n```bash\ndocker cp cache:/data/dump.rdb /backups/redis/dump-1.rdb\ndocker restart cache\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
