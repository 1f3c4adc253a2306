//! `firedrill certify` end to end: lint-only certifications of the bundled runbooks (snapshots),
//! a GO with a real drill whose HTML report headless Chromium renders, and a NO-GO with a
//! defective service, a runbook with an error and a claim the measurements contradict.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CLEAN: [&str; 2] = ["fixtures/runbooks/en/shop-compose-CLEAN.md", "fixtures/runbooks/es/tienda-supabase-LIMPIO.md"];

fn firedrill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("firedrill runs")
}

fn text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&text(p)).unwrap()
}

/// Timestamps and wall times change from run to run.
fn normalised(s: &str) -> String {
    let stamp = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    let elapsed = regex::Regex::new(r#"("elapsed_s": )[0-9.e-]+|in \d+ s\."#).unwrap();
    let s = stamp.replace_all(s, "[timestamp]");
    elapsed.replace_all(&s, |c: &regex::Captures| if c.get(1).is_some() { "\"elapsed_s\": [elapsed]".to_string() } else { "in [elapsed] s.".to_string() }).into_owned()
}

#[test]
fn skip_drills_on_the_clean_runbooks_is_go() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = firedrill(&["certify", "--skip-drills", "--today", "2026-12-04", "--runbooks", CLEAN[0], "--runbooks", CLEAN[1], "--out", o]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("firedrill certify: GO (drills skipped"), "{stdout}");
    for f in ["certification.json", "certification.html", "certification.md", "junit.xml", "lint.sarif"] {
        assert!(out.path().join(f).is_file(), "{f} written");
    }
    insta::assert_snapshot!("skip-drills-clean-md", normalised(&text(&out.path().join("certification.md"))));
    insta::assert_snapshot!("skip-drills-clean-json", normalised(&text(&out.path().join("certification.json"))));
}

#[test]
fn skip_drills_on_a_defective_runbook_is_no_go_with_every_error_as_a_reason() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let defective = "fixtures/runbooks/en/shop-compose-DEFECTIVE.md";
    let run = firedrill(&["certify", "--skip-drills", "--today", "2026-12-04", "--runbooks", defective, "--out", o]);
    assert_eq!(run.status.code(), Some(1), "NO-GO exits 1");
    let c = json(&out.path().join("certification.json"));
    assert_eq!(c["decision"], "NO-GO");
    let lint = firedrill(&["lint", "--today", "2026-12-04", "--format", "json", defective]);
    let lint: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    let errors: Vec<String> = lint["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{}:{}:{}", d["file"].as_str().unwrap(), d["line"], d["column"]))
        .collect();
    let reasons: Vec<String> =
        c["reasons"].as_array().unwrap().iter().filter(|r| r["kind"] == "lint-error").map(|r| r["source"].as_str().unwrap().to_string()).collect();
    assert!(!errors.is_empty());
    assert_eq!(reasons, errors, "one reason per lint error, same positions");
    // Secrets never reach the report in clear: the fixture's planted passwords are masked.
    for file in ["certification.json", "certification.html", "certification.md", "junit.xml"] {
        let body = text(&out.path().join(file));
        assert!(body.contains("••••"), "{file}: masked secret shown");
        for planted in ["Gr4fana-Adm1n!", "postgres / Sup3r"] {
            assert!(!body.contains(planted), "{file} shows a secret in clear: {planted}");
        }
    }
    // Warnings block only when asked.
    let strict = firedrill(&["certify", "--skip-drills", "--warnings-block", "--today", "2026-12-04", "--runbooks", defective, "--out", o]);
    assert_eq!(strict.status.code(), Some(1));
    let c = json(&out.path().join("certification.json"));
    assert!(c["reasons"].as_array().unwrap().iter().any(|r| r["kind"] == "lint-warning"));
}

#[test]
fn certify_refuses_a_broken_scenario_before_any_container_starts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "name: x\ncompression: zero\n").unwrap();
    let out = dir.path().join("out");
    let run = firedrill(&[
        "certify",
        "--runbooks",
        CLEAN[0],
        "--scenarios",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.yaml:"), "error names the file: {stderr}");
    assert!(!out.join("certification.json").exists());
}

/// A copy of a bundled scenario with its `claims:` replaced by `claims`.
fn scenario_with_claims(dir: &Path, name: &str, claims: &str) -> PathBuf {
    let original = text(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name));
    let body = match original.find("\nclaims:") {
        Some(i) => {
            // The claims block runs to the next top-level key or the end.
            let rest = &original[i + 1..];
            let end = rest.lines().skip(1).position(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with('#'));
            let end = end.map_or(rest.len(), |n| rest.lines().take(n + 1).map(|l| l.len() + 1).sum());
            format!("{}\n{}", &original[..i], &rest[end.min(rest.len())..])
        }
        None => original,
    };
    let path = dir.join(name);
    std::fs::write(&path, format!("{body}\n{claims}")).unwrap();
    path
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// Renders `page` in headless Chromium: the DOM after load, the console, and a PNG.
fn render(page: &Path, png: &Path) -> (String, String) {
    let browser = chromium().unwrap_or_else(|| {
        assert!(std::env::var_os("CI").is_none(), "CI installs chromium (scripts/test)");
        panic!("chromium is not installed: apt-get install chromium (scripts/test does it)")
    });
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"];
    let dom = Command::new(browser).args(common).args(["--dump-dom", &url]).output().expect("chromium runs");
    assert!(dom.status.success(), "chromium --dump-dom: {}", String::from_utf8_lossy(&dom.stderr));
    let shot = Command::new(browser)
        .args(common)
        .args(["--window-size=1200,1600", &format!("--screenshot={}", png.display()), &url])
        .output()
        .expect("chromium runs");
    assert!(shot.status.success() && png.is_file(), "chromium --screenshot: {}", String::from_utf8_lossy(&shot.stderr));
    let console = format!("{}{}", String::from_utf8_lossy(&dom.stderr), String::from_utf8_lossy(&shot.stderr));
    (String::from_utf8_lossy(&dom.stdout).into_owned(), console)
}

/// The share of the screenshot's top band (where the verdict banner is) painted `rgb`.
fn banner_share(png: &Path, rgb: [u8; 3]) -> f64 {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, rows) = (info.width as usize, 60.min(info.height as usize));
    let mut hits = 0;
    for y in 0..rows {
        for x in 0..w {
            let p = &buf[(y * w + x) * channels..][..3];
            if p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 6) {
                hits += 1;
            }
        }
    }
    hits as f64 / (w * rows) as f64
}

fn assert_page(dir: &Path, verdict_class: &str, rgb: [u8; 3], drills: usize) {
    let png = dir.join("certification.png");
    let (dom, console) = render(&dir.join("certification.html"), &png);
    for bad in ["Uncaught", "ERROR:CONSOLE", "Failed to load resource", "net::ERR_"] {
        assert!(!console.contains(bad), "page error ({bad}):\n{console}");
    }
    assert!(dom.contains(&format!("class=\"verdict {verdict_class}\"")), "verdict in the rendered DOM");
    assert_eq!(dom.matches("<svg class=\"timeline\"").count(), drills, "one chart per drill");
    assert!(dom.matches("class=\"series requests\"").count() >= drills, "each chart draws its requests");
    let share = banner_share(&png, rgb);
    assert!(share > 0.8, "verdict banner visible at the top of the page: {:.0} % of the band in its colour", share * 100.0);
}

const GREEN: [u8; 3] = [0x1a, 0x7f, 0x37];
const RED: [u8; 3] = [0xcf, 0x22, 0x2e];

#[test]
fn certify_go_and_no_go_with_real_drills() {
    let dir = tempfile::tempdir().unwrap();

    // GO: the clean runbooks, the Redis outage drill, its claim about Redis's RTO.
    let go = scenario_with_claims(
        dir.path(),
        "redis-outage.yaml",
        &format!("claims:\n  - file: {}/{}\n    subject: RTO Redis perdido\n", env!("CARGO_MANIFEST_DIR"), CLEAN[1]),
    );
    let out = dir.path().join("go");
    let history = dir.path().join("history.jsonl");
    let run = firedrill(&[
        "certify",
        "--today",
        "2026-12-04",
        "--runbooks",
        CLEAN[0],
        "--runbooks",
        CLEAN[1],
        "--scenarios",
        go.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--history",
        history.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains(&format!("report: {}", out.join("certification.html").display())), "{stdout}");
    let c = json(&out.join("certification.json"));
    assert_eq!(c["decision"], "GO");
    let comparisons = c["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 1, "{comparisons:?}");
    assert_eq!(comparisons[0]["quantity"], "RTO");
    assert_eq!(comparisons[0]["outcome"], "holds");
    assert_eq!(comparisons[0]["compression"], 60.0);
    assert!(out.join(c["drills"][0]["result_file"].as_str().unwrap()).is_file(), "the drill's own result JSON");
    assert_page(&out, "go", GREEN, 1);

    // NO-GO: a defective service, a runbook with a hard-coded password, and an objective the
    // drill contradicts (a 1 ms p95 no real service over HTTP meets).
    let runbook = dir.path().join("tienda.md");
    std::fs::write(
        &runbook,
        "# Tienda\n\n## Objetivos\n\n| Métrica | Objetivo |\n|---|---|\n| Latencia p95 | < 1 ms |\n\n## Restaurar\n\n```bash\nPGPASSWORD='Xq7-tienda-2026' psql -h db -U tienda -v ON_ERROR_STOP=1 -f dump.sql\n```\n",
    )
    .unwrap();
    let no_go_dir = dir.path().join("no-go-scenario");
    std::fs::create_dir(&no_go_dir).unwrap();
    let no_go = scenario_with_claims(
        &no_go_dir,
        "redis-outage.yaml",
        &format!("claims:\n  - file: {}\n    subject: latency p95\n", runbook.display()),
    );
    let out = dir.path().join("no-go");
    let run = firedrill(&[
        "certify",
        "--today",
        "2026-12-04",
        "--runbooks",
        runbook.to_str().unwrap(),
        "--scenarios",
        no_go.to_str().unwrap(),
        "--defect",
        "no-cache-fallback",
        "--out",
        out.to_str().unwrap(),
        "--history",
        history.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
    let c = json(&out.join("certification.json"));
    assert_eq!(c["decision"], "NO-GO");
    let reasons = c["reasons"].as_array().unwrap();
    let has = |kind: &str, needle: &str| reasons.iter().any(|r| r["kind"] == kind && r.to_string().contains(needle));
    assert!(has("drill-target", "error_rate.during"), "the defect's missed target: {reasons:#?}");
    assert!(has("lint-error", "FD501"), "the runbook's error: {reasons:#?}");
    assert!(has("claim-contradicted", "latency p95"), "the contradicted claim: {reasons:#?}");
    assert!(!text(&out.join("certification.html")).contains("Xq7-tienda-2026"), "secret masked in the report");
    let junit = text(&out.join("junit.xml"));
    assert!(junit.contains("name=\"error_rate.during\"") && junit.contains("<failure"), "{junit}");
    assert_page(&out, "nogo", RED, 1);

    // Both runs are in the history, and the trend shows them.
    let trend = firedrill(&["report", "trend", history.to_str().unwrap()]);
    let trend = String::from_utf8_lossy(&trend.stdout);
    assert!(trend.contains("2 certification run(s); last decision: NO-GO"), "{trend}");
    assert!(trend.contains("redis-outage+no-cache-fallback") && trend.contains("FAIL"), "{trend}");
    assert!(trend.lines().any(|l| l.starts_with("redis-outage ") && l.contains("PASS")), "{trend}");

    for out in [dir.path().join("go"), dir.path().join("no-go")] {
        let c = json(&out.join("certification.json"));
        let result = json(&out.join(c["drills"][0]["result_file"].as_str().unwrap()));
        let run_id = result["run_id"].as_str().unwrap();
        assert!(common::leftovers(run_id).is_empty(), "containers of {run_id} left behind");
    }
}
