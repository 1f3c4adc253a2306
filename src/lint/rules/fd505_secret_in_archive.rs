use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::shell::{self, Word};

use super::fd503_secret_printed::secret_file;

declare_rule! {
    /// ## What it does
    /// Finds secrets files put into backups and archives: `.env`, `.env.prod`, files under a
    /// `secrets/` folder, private keys (`*.pem`, `*.key`, `id_rsa`), `.pgpass`, named as members of
    /// `tar c...`, `zip` or `7z a`, or copied with `cp` / `rsync` into a backup folder. A secrets
    /// file an `--exclude` leaves out is fine; so is `.env.example`.
    ///
    /// ## Why is this bad?
    /// Backups are copied off the host, kept for weeks, readable by whoever restores, and rarely
    /// encrypted with the care the secret store gets. A `.env` in the nightly config archive is
    /// every production credential, in every copy, for the whole retention period — and rotating
    /// a secret does not reach the copies already made.
    ///
    /// ## Example
    /// ```bash
    /// tar czf /backups/config/shop-config.tgz docker-compose.yml .env.prod
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// tar czf /backups/config/shop-config.tgz --exclude='.env*' docker-compose.yml caddy/
    /// ```
    ///
    /// ## Fix
    /// Leave secrets out of the archive (they live in the secret store, which has its own
    /// backup), and rotate the ones already archived.
    pub struct SecretInArchive {
        code: "FD505",
        name: "secret-in-archive",
        severity: Warning,
        summary: "A secrets file (.env, keys) is archived into a backup",
    }
}

/// tar options that take a value as the next word.
const TAR_WITH_VALUE: &[&str] = &["-f", "--file", "-C", "--directory", "-T", "--files-from", "-X", "--exclude-from", "--exclude", "-g", "--listed-incremental", "-I", "--use-compress-program"];

impl Rule for SecretInArchive {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        for block in cx.runbook.blocks.iter().filter(|b| b.is_shell()) {
            let body = &block.content.text;
            if !["tar", "zip", "7z", "cp", "rsync"].iter().any(|w| body.contains(w)) || !["env", "secret", ".pem", ".key", "id_", "pgpass", "credentials", "netrc"].iter().any(|w| body.contains(w)) {
                continue;
            }
            let analysed = shell::analyse(block);
            for cmd in &analysed.commands {
                let inv = ops::invocation(cmd);
                let Some(program) = inv.program() else { continue };
                let (members, excludes, how): (Vec<&Word>, Vec<String>, &str) = match &*program {
                    "tar" if ops::tar_creates(&inv) => {
                        let (m, e) = tar_members(inv.args());
                        (m, e, "archived by `tar`")
                    }
                    "zip" | "7z" | "7za" => {
                        let args = inv.args();
                        let skip = usize::from(program != "zip"); // `7z a archive ...`
                        let operands: Vec<&Word> = args.iter().filter(|w| !w.is_option()).skip(skip + 1).collect();
                        (operands, Vec::new(), "archived")
                    }
                    "cp" | "rsync" => {
                        let operands: Vec<&Word> = inv.args().iter().filter(|w| !w.is_option()).collect();
                        let Some((dest, sources)) = operands.split_last() else { continue };
                        let d = dest.unquoted().to_ascii_lowercase();
                        if !(d.contains("backup") || d.contains("copia") || d.contains("respaldo")) {
                            continue;
                        }
                        (sources.to_vec(), Vec::new(), "copied into the backups")
                    }
                    _ => continue,
                };
                for m in members {
                    let path = m.unquoted();
                    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
                    if !secret_file(&path) || excludes.iter().any(|x| glob_matches(x, &name)) {
                        continue;
                    }
                    out.push(
                        Finding::new(block.content.source_range(m.span.clone()), format!("`{path}` holds secrets and is {how}: every copy of the backup carries them for its whole retention"))
                            .help("leave it out (`--exclude='.env*'`): secrets belong to the secret store, which is backed up on its own; rotate what was already archived"),
                    );
                }
            }
        }
    }
}

/// The members a `tar` command names, and its `--exclude` patterns.
fn tar_members(args: &[Word]) -> (Vec<&Word>, Vec<String>) {
    let mut members = Vec::new();
    let mut excludes = Vec::new();
    let mut i = 0;
    // The first word may be an old-style cluster (`czf archive`): its `f` takes the next word.
    if let Some(first) = args.first() {
        let t = first.unquoted();
        if !t.starts_with('-') {
            i = 1 + usize::from(t.contains('f'));
        }
    }
    while i < args.len() {
        let t = args[i].unquoted();
        if let Some(p) = t.strip_prefix("--exclude=") {
            excludes.push(p.to_string());
        } else if t == "--exclude" {
            excludes.extend(args.get(i + 1).map(|w| w.unquoted()));
            i += 1;
        } else if TAR_WITH_VALUE.contains(&t.as_str()) || (t.starts_with('-') && !t.starts_with("--") && t.ends_with('f')) {
            i += 1;
        } else if !t.starts_with('-') {
            members.push(&args[i]);
        }
        i += 1;
    }
    (members, excludes)
}

/// A tar `--exclude` pattern: `*` and `?` wildcards on the file name.
fn glob_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let pattern = pattern.rsplit('/').next().unwrap_or(pattern);
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::SecretInArchive, src)
    }

    #[test]
    fn archived_secrets() {
        let src = "```bash\ntar czf /b/cfg.tgz docker-compose.yml .env.prod\ntar -czf /b/x.tgz -C /opt/supabase docker/.env docker/volumes/api/kong.yml\ncp /srv/shop/secrets/db_password /srv/backups/config/\n```\n";
        let got = run(src);
        assert_eq!(got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(), vec![(2, 39), (3, 36), (4, 4)], "{got:?}");
    }

    #[test]
    fn excluded_or_harmless_files_are_fine() {
        let src = "```bash\ntar czf /b/cfg.tgz --exclude='.env*' -C /opt/supabase docker\ntar czf /b/cfg.tgz --exclude=.env.prod .env.prod compose.yaml\ntar czf /b/cfg.tgz .env.example compose.yaml\ntar tzf /b/cfg.tgz .env\ncp .env /tmp/scratch\n```\n";
        assert_eq!(run(src), vec![]);
    }
}
