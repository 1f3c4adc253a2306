//! The binary as a user runs it: exit codes, bad input, formats, `--fix-encoding`.

use std::path::Path;
use std::process::{Command, Output};

fn firedrill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill")).args(args).output().expect("run firedrill")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn clean_file_exits_0_and_findings_exit_1() {
    let clean = firedrill(&["lint", "fixtures/rules/FD101-ok.md", "--today", "2026-06-01"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let dirty = firedrill(&["lint", "fixtures/rules/FD101.md", "--today", "2026-06-01"]);
    assert_eq!(dirty.status.code(), Some(1), "{}", stdout(&dirty));
    assert!(stdout(&dirty).contains("FD101"));
}

#[test]
fn fail_on_sets_the_threshold() {
    // FD103 findings are info: they fail only at --fail-on info.
    let file = "fixtures/rules/FD103.md";
    let info_only = |fail_on: &str| {
        firedrill(&["lint", file, "--fail-on", fail_on, "--format", "json", "--today", "2026-06-01"])
    };
    let json: serde_json::Value = serde_json::from_slice(&info_only("info").stdout).unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty() && diagnostics.iter().all(|d| d["severity"] == "info"), "{json}");
    assert_eq!(info_only("warning").status.code(), Some(0));
    assert_eq!(info_only("info").status.code(), Some(1));
    assert_eq!(info_only("never").status.code(), Some(0));
}

#[test]
fn json_output_keeps_its_field_names() {
    let o = firedrill(&["lint", "fixtures/rules/FD101.md", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(json["version"], 1);
    let d = &json["diagnostics"][0];
    for field in ["code", "rule", "severity", "file", "line", "column", "end_line", "end_column", "message", "help"] {
        assert!(d.get(field).is_some(), "missing {field} in {d}");
    }
    assert!(json["summary"]["warnings"].as_u64().unwrap() >= 1);
}

#[test]
fn sarif_output_is_sarif_2_1_0() {
    let o = firedrill(&["lint", "fixtures/rules/FD101.md", "--format", "sarif"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(json["version"], "2.1.0");
    let run = &json["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "firedrill");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "FD101");
    let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][rule_index]["id"], "FD101");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 3);
}

#[test]
fn binary_file_is_a_clear_error_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("dump.md");
    std::fs::write(&bin, b"# title\n\x00\x01\x02\x03binary").unwrap();
    let o = firedrill(&["lint", bin.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("dump.md:2:1"), "{out}");
    assert!(out.contains("binary file"), "{out}");
}

#[test]
fn missing_path_and_bad_usage_exit_2() {
    let o = firedrill(&["lint", "no/such/runbook.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/runbook.md"), "{}", stderr(&o));
    assert_eq!(firedrill(&["lint", "--format", "yaml"]).status.code(), Some(2));
    assert_eq!(firedrill(&["rules", "FD999"]).status.code(), Some(2));
}

#[test]
fn bad_config_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("firedrill.toml"), "postgres_version = 16\n[rules]\nFD999 = \"off\"\n").unwrap();
    std::fs::write(dir.path().join("a.md"), "# ok\n").unwrap();
    let o = firedrill(&["lint", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("firedrill.toml:3:1"), "{}", stderr(&o));
    assert!(stderr(&o).contains("FD999"), "{}", stderr(&o));

    std::fs::write(dir.path().join("firedrill.toml"), "postgres_version = \"sixteen\"\n").unwrap();
    let o = firedrill(&["lint", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("firedrill.toml:1:20"), "{}", stderr(&o));
}

#[test]
fn explicit_files_are_linted_whatever_their_extension_and_folders_only_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let garbled = std::fs::read("fixtures/rules/FD101.md").unwrap();
    std::fs::write(dir.path().join("runbook.txt"), &garbled).unwrap();
    let o = firedrill(&["lint", dir.path().join("runbook.txt").to_str().unwrap(), "--format", "json"]);
    assert!(stdout(&o).contains("FD101"));
    let o = firedrill(&["lint", dir.path().to_str().unwrap(), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 0);
    let o = firedrill(&["lint", dir.path().to_str().unwrap(), "--include", "*.txt", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn fix_encoding_repairs_in_place_and_keeps_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runbook.md");
    let garbled = std::fs::read("fixtures/rules/FD101.md").unwrap();
    std::fs::write(&file, &garbled).unwrap();
    let o = firedrill(&["lint", file.to_str().unwrap(), "--fix-encoding", "--today", "2026-06-01"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let repaired = std::fs::read_to_string(&file).unwrap();
    assert!(repaired.contains("Próxima revisión"));
    assert!(repaired.contains("┌──────────┐"));
    assert_eq!(repaired.lines().count(), String::from_utf8_lossy(&garbled).lines().count());
    assert_eq!(std::fs::read(dir.path().join("runbook.md.orig")).unwrap(), garbled);
    // A second repair would overwrite the kept original: refused.
    std::fs::write(&file, &garbled).unwrap();
    let o = firedrill(&["lint", file.to_str().unwrap(), "--fix-encoding"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"));
    assert_eq!(std::fs::read(&file).unwrap(), garbled, "nothing lost");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
    assert!(leftovers.is_empty());
}

#[test]
fn rules_lists_every_rule_and_prints_docs() {
    let o = firedrill(&["rules", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = json.as_array().unwrap();
    assert_eq!(rules.len(), firedrill::lint::rules::all().len());
    assert!(rules.len() >= 35, "the catalog has {} rules", rules.len());
    for r in rules {
        for f in ["code", "name", "severity", "summary"] {
            assert!(r[f].is_string(), "{r}");
        }
        let code = r["code"].as_str().unwrap();
        assert!(code.len() == 5 && code.starts_with("FD") && ('1'..='7').contains(&code.chars().nth(2).unwrap()), "{code}");
        assert!(["error", "warning", "info"].contains(&r["severity"].as_str().unwrap()), "{r}");
    }
    let o = firedrill(&["rules", "FD101"]);
    assert!(stdout(&o).contains("## What it does"));
    assert!(Path::new(env!("CARGO_BIN_EXE_firedrill")).exists());
}
