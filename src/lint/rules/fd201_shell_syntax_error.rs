use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::{shell, CodeBlock, Lang};

declare_rule! {
    /// ## What it does
    /// Parses every shell block (fenced as `bash`, `sh`, `shell` or `console`, or unfenced but
    /// clearly a script: a `#!` line or `set -e`) the way bash would, and reports the first
    /// syntax error at its exact line and column: a `case` closed with `fi`, a `do` with no
    /// `done`, an extra `)`, a quote or a heredoc that is never closed.
    ///
    /// Documentation conventions are not errors: `$ ` prompts are dropped, output lines of a
    /// console session are skipped, and `<container>`-style placeholders count as one word. SQL
    /// written as shell lines is reported by FD202 instead, not here.
    ///
    /// ## Why is this bad?
    /// A block that does not parse does not run. Pasted into a terminal during an incident it
    /// leaves the operator at a `>` prompt or runs half of the steps; saved as a script it stops
    /// at the first line with `syntax error near unexpected token`. Either way the runbook was
    /// never tried as written.
    ///
    /// ## Example
    /// ```bash
    /// case "$1" in
    ///   start) docker compose up -d ;;
    ///   stop)  docker compose down ;;
    /// fi
    /// ```
    ///
    /// Use instead:
    /// ```bash
    /// case "$1" in
    ///   start) docker compose up -d ;;
    ///   stop)  docker compose down ;;
    /// esac
    /// ```
    ///
    /// ## Fix
    /// Correct the construct the message points at, then check the block with `bash -n`
    /// (or `shellcheck`) before saving the runbook.
    pub struct ShellSyntaxError {
        code: "FD201",
        name: "shell-syntax-error",
        severity: Error,
        summary: "A shell block does not parse",
    }
}

impl Rule for ShellSyntaxError {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let rb = cx.runbook;
        for block in rb.blocks.iter().filter(|b| checked(b)) {
            let analysed = shell::analyse(block);
            if block.declared.is_none_or(|d| d != Lang::Bash)
                && !(analysed.shebang || analysed.strict)
            {
                // Unfenced blocks that merely look like shell are often terminal output.
                continue;
            }
            let Some(err) = &analysed.syntax else {
                continue;
            };
            let span = block.content.source_range(err.span.clone());
            let mut help = err.note.clone().unwrap_or_default();
            if let Some(related) = &err.related {
                let at = rb.line_col(block.content.source_offset(related.start));
                let what = block.content.text.get(related.clone()).unwrap_or("");
                help = if what.trim() == what && !what.contains(char::is_whitespace) {
                    format!("{help} (`{what}` is on line {})", at.line)
                } else {
                    format!("{help} (line {})", at.line)
                };
            }
            if !help.is_empty() {
                help.push_str("; ");
            }
            help.push_str("check the block with `bash -n` before relying on it");
            out.push(Finding::new(span, err.message.clone()).help(help));
        }
    }
}

/// Shell blocks in bash syntax: bash-compatible fences, or unfenced blocks that look like shell.
fn checked(b: &CodeBlock) -> bool {
    b.is_shell() && !matches!(b.info.as_deref(), Some("zsh" | "ksh"))
}

#[cfg(test)]
mod tests {
    fn run(src: &str) -> Vec<(usize, usize, String)> {
        crate::lint::rule::findings_in(&super::ShellSyntaxError, src)
    }

    #[test]
    fn positions_are_exact_inside_lists() {
        let src = "# Arranque\n\n1. Servicio:\n\n   ```bash\n   case \"$1\" in\n     start) docker compose up -d ;;\n   fi\n   ```\n";
        let got = run(src);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1), (8, 4));
        assert!(got[0].2.contains("`case` closed with `fi`"));
    }

    #[test]
    fn sql_and_docs_conventions_are_not_syntax_errors() {
        let src = "```bash\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity;\n```\n\n```console\n$ docker ps\nCONTAINER ID   STATUS\nab12           Up 2 hours (healthy)\n```\n\n```bash\ndocker logs <container> --tail 100\n```\n";
        assert_eq!(run(src), vec![]);
    }

    #[test]
    fn unfenced_blocks_need_to_be_scripts() {
        let output = "```\ndocker ps\nab12   postgres   Up 2 hours (healthy)\n```\n";
        assert_eq!(run(output), vec![]);
        let script = "```\n#!/bin/bash\nif true; then\n  echo x\n```\n";
        assert_eq!(run(script).len(), 1);
    }
}
