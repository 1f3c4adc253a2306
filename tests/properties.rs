//! Whatever the input, lint does not panic and every position it reports lies inside the file.

use std::path::Path;

use firedrill::lint::{self, Config};
use firedrill::runbook::Runbook;
use proptest::prelude::*;

fn check_positions(bytes: &[u8]) {
    let Ok(runbook) = Runbook::from_bytes(Path::new("prop.md"), bytes) else { return };
    let lines: Vec<String> = runbook.text().split('\n').map(|l| l.trim_end_matches('\r').to_string()).collect();
    let report = lint::lint_runbooks(vec![runbook], &Config::default());
    for d in &report.diagnostics {
        assert!(d.line >= 1 && d.line <= lines.len(), "{d:?}");
        assert!(d.end_line >= d.line && d.end_line <= lines.len(), "{d:?}");
        let width = lines[d.line - 1].chars().count() + 1;
        assert!(d.column >= 1 && d.column <= width + 1, "{d:?} line width {width}");
        let _ = lint::format::human::render(&report, false);
    }
}

/// Markdown-shaped text built from pieces runbooks are made of.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("# Título\n".to_string()),
        Just("### 3.2.1 Restaurar\n".to_string()),
        Just("```bash\n".to_string()),
        Just("```sql\n".to_string()),
        Just("```\n".to_string()),
        Just("| a | b |\n|---|---|\n| 15 min | 0 |\n".to_string()),
        Just("- [ ] tarea\n".to_string()),
        Just("  - [x] hecha\n".to_string()),
        Just("<!-- firedrill-disable FD201 -->\n".to_string()),
        Just("psql -c \"SELECT 1\" <<EOF\n".to_string()),
        Just("EOF\n".to_string()),
        Just("curl 'http://p/api/v1/query?query=rate(x%5B5m%5D)'\n".to_string()),
        Just("Próxima revisión: 1 de marzo de 2025\n".to_string()),
        Just("DescripciÃ³n â”€\n".to_string()),
        Just("    indented code\n".to_string()),
        Just("> quote ```\n".to_string()),
        "[a-zA-Z0-9 ñé{}()\\[\\]$\"'`|<>#*_-]{0,40}\n",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn lint_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_positions(&bytes);
    }

    #[test]
    fn lint_never_panics_on_arbitrary_markdown(text in markdownish()) {
        check_positions(text.as_bytes());
    }
}
