//! `junit.xml` for CI systems: one test case per target per drill, one per lint error, one per
//! claim set against a measurement. A drill that could not run is one failing case.

use std::fmt::Write as _;

use crate::certify::{Certification, Outcome};

struct Case {
    name: String,
    /// `Some(message, detail)` when it failed.
    failure: Option<(String, String)>,
    skipped: Option<String>,
}

fn suite(out: &mut String, name: &str, cases: &[Case]) {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let skipped = cases.iter().filter(|c| c.skipped.is_some()).count();
    let _ = writeln!(out, "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">", xml(name), cases.len());
    for c in cases {
        let _ = write!(out, "    <testcase classname=\"{}\" name=\"{}\"", xml(name), xml(&c.name));
        match (&c.failure, &c.skipped) {
            (Some((message, detail)), _) => {
                let _ = writeln!(out, ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>", xml(message), xml(detail));
            }
            (None, Some(why)) => {
                let _ = writeln!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>", xml(why));
            }
            (None, None) => out.push_str("/>\n"),
        }
    }
    out.push_str("  </testsuite>\n");
}

pub fn render(c: &Certification) -> String {
    let mut body = String::new();
    let mut tests = 0;
    let mut failures = 0;
    let mut add = |body: &mut String, name: &str, cases: Vec<Case>| {
        tests += cases.len();
        failures += cases.iter().filter(|c| c.failure.is_some()).count();
        suite(body, name, &cases);
    };
    for d in &c.drills {
        let mut name = format!("drill.{}", d.scenario);
        for defect in &d.defects {
            name.push('+');
            name.push_str(defect);
        }
        let cases = match &d.error {
            Some(e) => vec![Case { name: "runs".into(), failure: Some(("the drill could not run".into(), e.clone())), skipped: None }],
            None => d
                .checks
                .iter()
                .map(|k| Case {
                    name: k.target.clone(),
                    failure: (!k.passed).then(|| (format!("expected {}, measured {}", k.expected, k.measured), format!("{}: {} expected {}, measured {}", d.scenario, k.target, k.expected, k.measured))),
                    skipped: None,
                })
                .collect(),
        };
        add(&mut body, &name, cases);
    }
    let mut lint_cases: Vec<Case> = c
        .lint
        .findings
        .iter()
        .filter(|f| f.severity == "error")
        .map(|f| Case {
            name: format!("{} {}:{}:{}", f.code, f.file, f.line, f.column),
            failure: Some((format!("{} {}: {}", f.code, f.rule, f.message), f.source_line.clone())),
            skipped: None,
        })
        .collect();
    lint_cases.extend(c.lint.unreadable.iter().map(|u| Case { name: "readable".into(), failure: Some((u.clone(), u.clone())), skipped: None }));
    if lint_cases.is_empty() {
        lint_cases.push(Case { name: "no lint error".into(), failure: None, skipped: None });
    }
    add(&mut body, "lint", lint_cases);
    if !c.comparisons.is_empty() {
        let cases = c
            .comparisons
            .iter()
            .map(|m| Case {
                name: if m.quantity.eq_ignore_ascii_case(&m.subject) {
                    format!("{} ({}:{}) vs {}", m.subject, m.file, m.line, m.scenario)
                } else {
                    format!("{} {} ({}:{}) vs {}", m.quantity, m.subject, m.file, m.line, m.scenario)
                },
                failure: (m.outcome == Outcome::Contradicted)
                    .then(|| (format!("claimed {}, measured {}", m.claimed, m.measured), m.basis.clone())),
                skipped: (m.outcome == Outcome::NotComparable).then(|| m.basis.clone()),
            })
            .collect();
        add(&mut body, "claims", cases);
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"firedrill certify: {}\" tests=\"{tests}\" failures=\"{failures}\">\n{body}</testsuites>\n",
        c.decision.as_str()
    )
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}
