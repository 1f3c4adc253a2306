use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::lint::ops;
use crate::lint::{Finding, ProjectContext, ProjectFinding, Rule, RuleMeta};
use crate::runbook::{shell, Runbook};

declare_rule! {
    /// ## What it does
    /// With a repository root configured (`root` in `firedrill.toml`, or `--root DIR`), finds
    /// scripts the runbooks tell you to run that the repository does not contain: commands like
    /// `./restore_full.sh` or `/opt/scripts/purge-logs.sh`, scripts given to `bash`, `sh`, `source`
    /// or `python`, and script paths in inline code (`` run `./scripts/restore_full.sh` ``). A
    /// script counts as present when a file of that name exists anywhere under the root (server
    /// paths like `/opt/scripts/` rarely match the repository's layout).
    ///
    /// Scripts the runbooks show are not reported: those a block writes (`cat > /opt/x.sh <<'EOF'`,
    /// `tee`), and a script named in the text right before a block that starts with `#!` (the
    /// block is the script). Without a root the rule does nothing.
    ///
    /// ## Why is this bad?
    /// The step that says "if anything fails, run `./restore_full.sh`" is the fallback of the
    /// procedure. If the script lives only on a server that is gone, or was never committed, the
    /// fallback does not exist, and nobody finds out until it is needed.
    ///
    /// ## Example
    /// ```markdown
    /// 3. Si algo falla, usar el script completo: `./restore_full.sh tienda.sql.gz`.
    /// ```
    ///
    /// ## Fix
    /// Commit the script to the repository (and say where it is), or write its steps into the
    /// runbook.
    pub struct MissingScript {
        code: "FD104",
        name: "missing-script",
        severity: Warning,
        summary: "A script the runbook runs is not in the repository",
    }
}

const SCRIPT_ENDINGS: &[&str] = &[".sh", ".bash", ".py", ".rb", ".pl", ".ps1"];

fn is_script_path(p: &str) -> bool {
    let lower = p.to_ascii_lowercase();
    !p.contains(['$', '*', '<', '>', '{', '`'])
        && SCRIPT_ENDINGS.iter().any(|e| lower.ends_with(e))
        && (p.contains('/') || lower.ends_with(".sh"))
}

fn file_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Inline code spans outside code blocks.
static INLINE_CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`\n]+)`").unwrap());

impl Rule for MissingScript {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_project(&self, cx: &ProjectContext, out: &mut Vec<ProjectFinding>) {
        let Some(root) = &cx.config.root else { return };
        let present = file_names_under(root);
        let mut written: HashSet<String> = HashSet::new();
        let mut references: Vec<(usize, Range<usize>, String)> = Vec::new();
        for (index, file) in cx.files.iter().enumerate() {
            collect(&file.runbook, index, &mut references, &mut written);
        }
        for (file, span, path) in references {
            let name = file_name(&path);
            if present.contains(name) || written.contains(name) {
                continue;
            }
            out.push(ProjectFinding {
                file,
                finding: Finding::new(span, format!("`{path}` is run here, but no file named `{name}` exists under the repository root ({})", root.display()))
                    .help("commit the script to the repository, or write its steps into the runbook"),
            });
        }
    }
}

/// The names of the files under `root` (hidden folders, `target` and `node_modules` skipped).
fn file_names_under(root: &Path) -> HashSet<String> {
    walkdir::WalkDir::new(root)
        .max_depth(12)
        .into_iter()
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            e.depth() == 0 || !(n.starts_with('.') || n == "target" || n == "node_modules")
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .take(200_000)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The scripts a runbook runs (with where), and the files its blocks write.
fn collect(rb: &Runbook, index: usize, refs: &mut Vec<(usize, Range<usize>, String)>, written: &mut HashSet<String>) {
    for block in rb.blocks.iter().filter(|b| b.is_shell()) {
        let body = &block.content.text;
        if !SCRIPT_ENDINGS.iter().any(|e| body.contains(e)) {
            continue;
        }
        let analysed = shell::analyse(block);
        for cmd in &analysed.commands {
            for r in &cmd.redirects {
                if r.op.starts_with('>') {
                    if let Some(t) = &r.target {
                        written.insert(file_name(&t.unquoted()).to_string());
                    }
                }
            }
            let inv = ops::invocation(cmd);
            let Some(name) = inv.name() else { continue };
            let program = name.unquoted();
            if program == "tee" {
                written.extend(inv.args().iter().filter(|w| !w.is_option()).map(|w| file_name(&w.unquoted()).to_string()));
                continue;
            }
            let script = if is_script_path(&program) && (program.contains('/')) {
                Some(name)
            } else if matches!(program.as_str(), "bash" | "sh" | "zsh" | "source" | "." | "python" | "python3" | "ruby" | "perl") {
                inv.args().iter().find(|w| !w.is_option()).filter(|w| is_script_path(&w.unquoted()))
            } else {
                None
            };
            if let Some(w) = script {
                refs.push((index, block.content.source_range(w.span.clone()), w.unquoted()));
            }
        }
    }
    let text = rb.text();
    if !text.contains('`') {
        return;
    }
    for m in INLINE_CODE.captures_iter(text) {
        let code = m.get(1).unwrap();
        if rb.is_in_code(code.start()) {
            continue;
        }
        let mut words = code.as_str().split_whitespace();
        let mut first = words.next().unwrap_or("");
        if matches!(first, "bash" | "sh" | "source" | "." | "python" | "python3") {
            first = words.next().unwrap_or("");
        }
        if !is_script_path(first) || !(first.starts_with("./") || first.starts_with('/') || first.starts_with("../") || first.contains('/')) {
            continue;
        }
        if shown_right_after(rb, code.start()) {
            written.insert(file_name(first).to_string());
            continue;
        }
        // `first` may be the second word (`bash scripts/x.sh`): its own offset in the span.
        let at = code.start() + (first.as_ptr() as usize - code.as_str().as_ptr() as usize);
        refs.push((index, at..at + first.len(), first.to_string()));
    }
}

/// Whether the next code block after `offset`, in the same section, is a script (`#!`): the text
/// names the script the block shows.
fn shown_right_after(rb: &Runbook, offset: usize) -> bool {
    let section = rb.section_at(offset).map(|h| h.span.start);
    rb.blocks
        .iter()
        .find(|b| b.span.start > offset)
        .is_some_and(|b| rb.section_at(b.span.start).map(|h| h.span.start) == section && b.content.text.trim_start().starts_with("#!"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_paths() {
        assert!(is_script_path("./restore_full.sh"));
        assert!(is_script_path("/opt/scripts/purge-logs.sh"));
        assert!(is_script_path("restore.sh"));
        assert!(!is_script_path("rotate.py"));
        assert!(!is_script_path("/srv/shop/$X.sh"));
        assert!(!is_script_path("/etc/prometheus/rules.yml"));
    }
}
