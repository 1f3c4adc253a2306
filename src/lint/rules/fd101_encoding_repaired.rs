use crate::declare_rule;
use crate::lint::{FileContext, Finding, Rule, RuleMeta};
use crate::runbook::encoding::EncodingReport;

declare_rule! {
    /// ## What it does
    /// Reports, once per file, that the runbook is not clean UTF-8: either UTF-8 that was decoded
    /// as Windows-1252 or Mac Roman and saved again (`DescripciÃ³n`, `â”€`, `√≥`), or bytes in a
    /// legacy 8-bit encoding. firedrill repairs the text before analysing it and says which repair
    /// it applied.
    ///
    /// ## Why is this bad?
    /// Runbooks travel through wikis and chat tools and come back garbled. At 3 a.m. a command
    /// copied from a garbled page carries the garbage with it: `â€”` where a `--` flag was, a
    /// non-breaking space inside a path. Readers also lose trust in a page that looks broken.
    ///
    /// ## Example
    /// ```text
    /// ## RecuperaciÃ³n de la base de datos
    /// ```
    ///
    /// ## Fix
    /// Run `firedrill lint --fix-encoding FILE`: it writes the repaired text in place and keeps the
    /// original as `FILE.orig`.
    pub struct EncodingRepaired {
        code: "FD101",
        name: "encoding-repaired",
        severity: Warning,
        summary: "The file is not clean UTF-8 (double-encoded or legacy); analysed as repaired",
    }
}

impl Rule for EncodingRepaired {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileContext, out: &mut Vec<Finding>) {
        let help = "run `firedrill lint --fix-encoding` on this file to save the repaired text (the original is kept as .orig)";
        match &cx.runbook.encoding {
            EncodingReport::Utf8 | EncodingReport::Utf16 { .. } => {}
            EncodingReport::Legacy { first_invalid_line } => {
                let line = cx.runbook.source.line_span(first_invalid_line - 1);
                out.push(
                    Finding::new(line, "file is not UTF-8; read as Windows-1252 (Latin-1)")
                        .help(help),
                );
            }
            EncodingReport::DoubleEncoded { via, repairs, example } => {
                let end = example.offset + example.repaired.len();
                out.push(
                    Finding::new(
                        example.offset..end,
                        format!(
                            "UTF-8 text was decoded as {via} and saved again: {repairs} sequence(s) repaired, first `{}` → `{}`",
                            example.broken, example.repaired
                        ),
                    )
                    .help(help),
                );
            }
        }
    }
}
