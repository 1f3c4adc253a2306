//! Every rule against its own fixtures: `fixtures/rules/CODE.md` must trigger it,
//! `fixtures/rules/CODE-ok.md` (a realistic near-miss) must not. Each is linted with only that
//! rule enabled, and the human and JSON outputs are snapshots.

use std::path::{Path, PathBuf};

use firedrill::lint::{self, config::RuleSetting, Config};

fn config_for(code: &str) -> Config {
    let mut config = Config::load(Path::new("fixtures/rules/firedrill.toml")).expect("fixture config");
    for rule in lint::rules::all() {
        if rule.meta().code != code {
            config.rules.insert(rule.meta().code.to_string(), RuleSetting::Off);
        }
    }
    config
}

#[test]
fn every_rule_triggers_on_its_fixture_and_not_on_its_near_miss() {
    let mut problems = Vec::new();
    // `FIREDRILL_RULES=FD201,FD202` narrows the run while working on a few rules (never set in CI).
    let only: Vec<String> = std::env::var("FIREDRILL_RULES")
        .map(|v| v.split(',').map(|c| c.trim().to_ascii_uppercase()).collect())
        .unwrap_or_default();
    for rule in lint::rules::all() {
        let code = rule.meta().code;
        if !only.is_empty() && !only.iter().any(|c| c == code) {
            continue;
        }
        let bad = PathBuf::from(format!("fixtures/rules/{code}.md"));
        let ok = PathBuf::from(format!("fixtures/rules/{code}-ok.md"));
        if !bad.exists() || !ok.exists() {
            problems.push(format!("{code}: missing {} or {}", bad.display(), ok.display()));
            continue;
        }
        let config = config_for(code);

        let report = lint::lint_files(&[bad.clone()], &config);
        assert!(report.load_errors.is_empty(), "{code}: {:?}", report.load_errors);
        let hits = report.diagnostics.iter().filter(|d| d.code == code).count();
        if hits == 0 {
            problems.push(format!("{code}: no finding in {}", bad.display()));
        }
        insta::assert_snapshot!(format!("{code}-human"), lint::format::human::render(&report, false));
        insta::assert_snapshot!(format!("{code}-json"), lint::format::json::render(&report));

        let quiet = lint::lint_files(&[ok.clone()], &config);
        let wrong: Vec<String> = quiet
            .diagnostics
            .iter()
            .map(|d| format!("{}:{}:{} {}", d.file, d.line, d.column, d.message))
            .collect();
        if !wrong.is_empty() {
            problems.push(format!("{code}: near-miss {} triggered:\n  {}", ok.display(), wrong.join("\n  ")));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
