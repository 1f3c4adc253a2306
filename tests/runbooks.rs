//! The example runbooks in `fixtures/runbooks/`: the clean ones stay silent at warning and above,
//! the defective ones produce the findings in their snapshots (`EXPECTED.md` lists them), a
//! double-encoded copy is analysed exactly like the file it was garbled from (plus one encoding
//! finding), and the small ones show that a `.txt` and a Latin-1 file are read like Markdown.

use std::path::{Path, PathBuf};

use firedrill::lint::{self, Config, Severity};

fn config() -> Config {
    Config { today: Some("2026-12-02".parse().unwrap()), ..Config::default() }
}

fn runbooks(marker: &[&str]) -> Vec<PathBuf> {
    let files = lint::collect_files(&[PathBuf::from("fixtures/runbooks")], &["*.md".into(), "*.txt".into()]).unwrap();
    files.into_iter().filter(|p| marker.iter().any(|m| p.to_string_lossy().contains(m))).collect()
}

/// `line:column CODE severity message`, one finding a line.
fn listing(path: &Path) -> String {
    let report = lint::lint_files(&[path.to_path_buf()], &config());
    assert!(report.load_errors.is_empty(), "{:?}", report.load_errors);
    report
        .diagnostics
        .iter()
        .map(|d| format!("{}:{} {} {} {}", d.line, d.column, d.code, d.severity, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn clean_runbooks_have_nothing_at_warning_or_above() {
    let clean = runbooks(&["LIMPIO", "CLEAN"]);
    assert!(!clean.is_empty());
    for path in clean {
        let report = lint::lint_files(&[path.clone()], &config());
        let loud: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
            .map(|d| format!("{}:{}:{} {} {}", d.file, d.line, d.column, d.code, d.message))
            .collect();
        assert!(loud.is_empty(), "{}:\n{}", path.display(), loud.join("\n"));
        // A clean runbook still states its promises: the certification report needs them.
        let claims = &report.files[0].claims;
        assert!(claims.len() >= 10, "{}: only {} claims", path.display(), claims.len());
    }
}

#[test]
fn defective_runbooks_match_their_snapshots_and_cover_every_family() {
    let defective: Vec<PathBuf> = runbooks(&["DEFECTUOSO", "DEFECTIVE"]).into_iter().filter(|p| !p.to_string_lossy().contains("DOBLE")).collect();
    assert!(defective.len() >= 2);
    for path in defective {
        let text = listing(&path);
        for family in ["FD1", "FD2", "FD3", "FD4", "FD5", "FD6"] {
            assert!(text.contains(&format!(" {family}")), "{}: no {family}xx finding", path.display());
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn double_encoded_copy_is_analysed_like_the_original() {
    let original = Path::new("fixtures/runbooks/es/tienda-supabase-DEFECTUOSO.md");
    let garbled = Path::new("fixtures/runbooks/es/tienda-supabase-DOBLE-CODIFICADO.md");
    let original_report = lint::lint_files(&[original.to_path_buf()], &config());
    let garbled_report = lint::lint_files(&[garbled.to_path_buf()], &config());
    let key = |r: &lint::Report| -> Vec<(usize, usize, &'static str, String)> {
        r.diagnostics.iter().filter(|d| d.code != "FD101").map(|d| (d.line, d.column, d.code, d.message.clone())).collect()
    };
    assert_eq!(key(&original_report), key(&garbled_report));
    let encoding: Vec<_> = garbled_report.diagnostics.iter().filter(|d| d.code == "FD101").collect();
    assert_eq!(encoding.len(), 1, "the encoding problem is reported once per file");
    assert!(encoding[0].message.contains("Windows-1252"), "{}", encoding[0].message);
}

/// `(line, code)` of every finding, to compare with the defects planted in a small fixture.
fn planted(report: &lint::Report) -> Vec<(usize, &'static str)> {
    report.diagnostics.iter().map(|d| (d.line, d.code)).collect()
}

#[test]
fn txt_runbook_is_linted_when_named_explicitly() {
    let notes = PathBuf::from("fixtures/runbooks/en/ops-notes.txt");
    // Named on the command line, any extension is taken; a folder walk takes `*.md` unless told.
    assert_eq!(lint::collect_files(&[notes.clone()], &[]).unwrap(), vec![notes.clone()]);
    let walked = lint::collect_files(&[PathBuf::from("fixtures/runbooks/en")], &[]).unwrap();
    assert!(!walked.contains(&notes), "{walked:?}");
    let walked = lint::collect_files(&[PathBuf::from("fixtures/runbooks/en")], &["*.txt".into()]).unwrap();
    assert!(walked.contains(&notes) && walked.iter().all(|p| p.extension().is_some_and(|x| x == "txt")), "{walked:?}");

    let report = lint::lint_files(&[notes.clone()], &config());
    assert!(report.load_errors.is_empty(), "{:?}", report.load_errors);
    // The four planted defects, each once, at its line: `case` closed with `fi`, PG12's
    // `total_time`, a password in `PGPASSWORD`, an API key left as `YOUR_API_KEY`.
    assert_eq!(planted(&report), vec![(28, "FD201"), (35, "FD301"), (45, "FD501"), (52, "FD502")]);
    insta::assert_snapshot!("ops-notes", listing(&notes));
}

#[test]
fn latin1_runbook_reports_its_encoding_once_and_its_defects_at_their_lines() {
    let notas = PathBuf::from("fixtures/runbooks/es/latin1-notas.md");
    let bytes = std::fs::read(&notas).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture must stay ISO-8859-1 bytes, not UTF-8");
    assert!(bytes.contains(&0xF1), "`ñ` as the single Latin-1 byte 0xF1");

    let report = lint::lint_files(&[notas.clone()], &config());
    assert!(report.load_errors.is_empty(), "{:?}", report.load_errors);
    let encoding: Vec<_> = report.diagnostics.iter().filter(|d| d.code == "FD101").collect();
    assert_eq!(encoding.len(), 1, "the encoding problem is reported once per file");
    let message = &encoding[0].message;
    assert!(message.contains("Latin-1") || message.contains("ISO-8859-1"), "{message}");
    // Accents decoded, not replaced: the structure and the text are both usable.
    let runbook = &report.files[0].runbook;
    assert_eq!(runbook.headings[0].title, "Notas de guardia - Taller Peñalara (tienda de repuestos)");
    // A review date in the past and a placeholder for a phone number; columns count characters, so the
    // placeholder after `Dueño` and `Íñigo Sáez` is at 35 whatever the encoding's byte widths.
    assert_eq!(planted(&report), vec![(1, "FD101"), (4, "FD102"), (14, "FD502")]);
    let placeholder = report.diagnostics.iter().find(|d| d.code == "FD502").unwrap();
    assert_eq!((placeholder.line, placeholder.column), (14, 35));
    insta::assert_snapshot!("latin1-notas", listing(&notas));
}
