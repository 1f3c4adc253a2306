//! `certification.html`: one self-contained page (no script, no network, no external file) for
//! the people who sign off a launch: the verdict first, then per drill a timeline chart (inline
//! SVG) of requests/s, error rate and p95 latency with the fault window shaded and the recovery
//! marked, the claims set against measurements, and the worst lint findings with their source
//! lines (secrets already masked in the model).

use std::fmt::Write as _;

use crate::certify::{compare::trim_float, Certification, Decision, DrillSection, Outcome};

use super::markdown::kind_label;

const FINDINGS_SHOWN: usize = 15;

pub fn render(c: &Certification) -> String {
    let mut o = String::new();
    let (class, word) = match c.decision {
        Decision::Go => ("go", "GO"),
        Decision::NoGo => ("nogo", "NO-GO"),
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Certification: {word}</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(
        o,
        "<header id=\"verdict\" class=\"verdict {class}\"><div class=\"word\">{word}</div><div class=\"sub\">{}</div></header>",
        esc(&summary_line(c))
    );
    o.push_str("<main>\n");

    // Reasons, then warnings.
    if c.reasons.is_empty() {
        o.push_str("<section><h2>Reasons</h2><p>No blocking reason.</p></section>\n");
    } else {
        let _ = writeln!(o, "<section id=\"reasons\"><h2>Reasons for NO-GO ({})</h2><ul class=\"reasons\">", c.reasons.len());
        for r in &c.reasons {
            let _ = writeln!(o, "<li><b>{}</b> <code>{}</code> {}</li>", esc(kind_label(r.kind)), esc(&r.source), esc(&r.message));
        }
        o.push_str("</ul></section>\n");
    }
    if !c.warnings.is_empty() {
        let _ = writeln!(
            o,
            "<section id=\"warnings\"><details><summary>Warnings ({}{})</summary><ul>",
            c.warnings.len(),
            if c.policy.warnings_block { "" } else { ", not blocking" }
        );
        for r in &c.warnings {
            let _ = writeln!(o, "<li>{} <code>{}</code> {}</li>", esc(kind_label(r.kind)), esc(&r.source), esc(&r.message));
        }
        o.push_str("</ul></details></section>\n");
    }

    // Drills.
    o.push_str("<section id=\"drills\"><h2>Drills</h2>\n");
    if c.policy.drills_skipped {
        o.push_str("<p class=\"note\">Drills were skipped (<code>--skip-drills</code>): nothing was measured.</p>\n");
    }
    for d in &c.drills {
        drill(&mut o, d);
    }
    o.push_str("</section>\n");

    // Claims against measurements.
    o.push_str("<section id=\"claims\"><h2>Claims put to the test</h2>\n");
    if c.comparisons.is_empty() && c.policy.drills_skipped {
        o.push_str("<p>Drills skipped: no claim was compared with a measurement.</p>\n");
    } else if c.comparisons.is_empty() {
        o.push_str("<p>No scenario names a runbook claim.</p>\n");
    } else {
        o.push_str(
            "<p class=\"note\">Durations measured in a drill are multiplied by the drill's time-compression factor before \
             they are compared with the runbook; ratios and latencies are not compressed.</p>\n\
             <table><tr><th>claim</th><th>where</th><th>drill</th><th>quantity</th><th>claimed</th>\
             <th>measured in the drill</th><th>in the runbook's terms</th><th>result</th></tr>\n",
        );
        for m in &c.comparisons {
            let (cls, word) = match m.outcome {
                Outcome::Holds => ("pass", "holds"),
                Outcome::Contradicted => ("fail", "contradicted"),
                Outcome::NotComparable => ("na", "not comparable"),
            };
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td><code>{}:{}</code></td><td>{} (× {})</td><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td class=\"{cls}\">{word}</td></tr>",
                esc(&m.subject),
                esc(&m.file),
                m.line,
                esc(&m.scenario),
                trim_float(m.compression),
                esc(&m.quantity),
                esc(&m.claimed),
                esc(&m.measured_in_drill),
                esc(&m.basis),
                esc(&m.measured)
            );
        }
        o.push_str("</table>\n");
    }
    let _ = writeln!(o, "<details><summary>All {} claims the runbooks make</summary><table><tr><th>where</th><th>kind</th><th>subject</th><th>promise</th></tr>", c.claims.len());
    for k in &c.claims {
        let _ = writeln!(
            o,
            "<tr><td><code>{}:{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&k.file),
            k.line,
            esc(&k.kind),
            esc(&k.subject),
            esc(&k.statement)
        );
    }
    o.push_str("</table></details></section>\n");

    // Lint.
    let _ = writeln!(
        o,
        "<section id=\"lint\"><h2>Lint</h2><p>{} error(s), {} warning(s), {} info(s) in {} file(s).</p>",
        c.lint.errors,
        c.lint.warnings,
        c.lint.infos,
        c.lint.files.len()
    );
    if !c.lint.unreadable.is_empty() {
        o.push_str("<ul>");
        for u in &c.lint.unreadable {
            let _ = write!(o, "<li class=\"fail\">unreadable: {}</li>", esc(u));
        }
        o.push_str("</ul>\n");
    }
    for f in c.lint.findings.iter().filter(|f| f.severity != "info").take(FINDINGS_SHOWN) {
        let _ = writeln!(
            o,
            "<div class=\"finding {sev}\"><div><b>{sev} {code}</b> {rule} <code>{file}:{line}:{col}</code></div><div>{msg}</div><pre>{src}</pre>{help}</div>",
            sev = esc(&f.severity),
            code = esc(&f.code),
            rule = esc(&f.rule),
            file = esc(&f.file),
            line = f.line,
            col = f.column,
            msg = esc(&f.message),
            src = esc(&f.source_line),
            help = f.help.as_deref().map(|h| format!("<div class=\"help\">help: {}</div>", esc(h))).unwrap_or_default()
        );
    }
    o.push_str("</section>\n");
    let _ = writeln!(o, "</main><footer>firedrill {} · {} · schema {}</footer></body></html>", esc(&c.firedrill_version), esc(&c.generated_at), c.schema_version);
    o
}

fn summary_line(c: &Certification) -> String {
    let passed = c.drills.iter().filter(|d| d.passed).count();
    let mut s = format!(
        "{} reason(s) · drills {}/{} passed · lint {} error(s), {} warning(s) · {}",
        c.reasons.len(),
        passed,
        c.drills.len(),
        c.lint.errors,
        c.lint.warnings,
        c.generated_at
    );
    if c.policy.drills_skipped {
        s.push_str(" · drills skipped");
    }
    s
}

fn drill(o: &mut String, d: &DrillSection) {
    let (cls, word) = match (&d.error, d.passed) {
        (Some(_), _) => ("fail", "ERROR"),
        (None, true) => ("pass", "PASS"),
        (None, false) => ("fail", "FAIL"),
    };
    let defects = if d.defects.is_empty() { String::new() } else { format!(" · defects: {}", esc(&d.defects.join(", "))) };
    let _ = writeln!(
        o,
        "<article class=\"drill\" data-scenario=\"{}\"><h3>{} <span class=\"{cls}\">{word}</span></h3>\
         <p class=\"note\">{} · time compression × {} (one drill second stands for {} production seconds){defects}</p>",
        esc(&d.scenario),
        esc(&d.scenario),
        esc(&d.description),
        trim_float(d.compression),
        trim_float(d.compression)
    );
    if let Some(e) = &d.error {
        let _ = writeln!(o, "<p class=\"fail\">Could not run: {}</p></article>", esc(e));
        return;
    }
    chart(o, d);
    o.push_str("<table><tr><th>target</th><th>expected</th><th>measured</th><th>result</th></tr>\n");
    for k in &d.checks {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            esc(&k.target),
            esc(&k.expected),
            esc(&k.measured),
            if k.passed { "pass" } else { "fail" },
            if k.passed { "pass" } else { "FAIL" }
        );
    }
    o.push_str("</table>");
    if let Some(f) = &d.result_file {
        let _ = write!(o, "<p class=\"note\">Raw series and every measurement: <code>{}</code></p>", esc(f));
    }
    o.push_str("</article>\n");
}

const W: f64 = 900.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const PANEL: f64 = 96.0;
const GAP: f64 = 22.0;
const TOP: f64 = 14.0;

/// Three stacked panels sharing the time axis; fault windows shaded across all three, the
/// recovery point marked with the RTO.
fn chart(o: &mut String, d: &DrillSection) {
    let end = d.series.last().map_or(1.0, |p| p.t_s + (p.t_s - d.series.get(d.series.len().saturating_sub(2)).map_or(0.0, |q| q.t_s)).max(0.5));
    let end = end.max(d.faults.iter().filter_map(|f| f.to_s).fold(0.0, f64::max)).max(1.0);
    let height = TOP + 3.0 * PANEL + 2.0 * GAP + 30.0;
    let x = |t: f64| LEFT + (t / end) * (W - LEFT - RIGHT);
    let _ = writeln!(
        o,
        "<svg class=\"timeline\" role=\"img\" aria-label=\"{} timeline\" viewBox=\"0 0 {W} {height}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(&d.scenario)
    );
    let bottom = TOP + 3.0 * PANEL + 2.0 * GAP;
    for f in &d.faults {
        let (Some(from), to) = (f.from_s, f.to_s) else { continue };
        let to = to.unwrap_or(end);
        let _ = writeln!(
            o,
            "<rect class=\"fault\" x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {} ({:.1}–{:.1} s)</title></rect>\
             <text class=\"label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x(from),
            (x(to) - x(from)).max(1.0),
            bottom - TOP,
            esc(&f.name),
            esc(&f.what),
            from,
            to,
            x(from) + 3.0,
            TOP + 10.0,
            esc(&f.name)
        );
    }
    let panels: [(&str, &str, Box<dyn Fn(&crate::certify::SeriesPoint) -> Option<f64>>); 3] = [
        ("requests", "requests/s", Box::new(|p| Some(p.requests_per_s))),
        ("errors", "error rate %", Box::new(|p| Some(p.error_rate_percent))),
        ("latency", "p95 ms", Box::new(|p| p.p95_ms)),
    ];
    for (i, (class, label, value)) in panels.iter().enumerate() {
        let top = TOP + i as f64 * (PANEL + GAP);
        let max = d.series.iter().filter_map(value).fold(0.0, f64::max);
        let scale_max = nice_ceiling(if *class == "errors" { max.max(1.0).min(100.0) } else { max.max(1.0) });
        let y = |v: f64| top + PANEL - (v / scale_max).min(1.0) * PANEL;
        let _ = writeln!(
            o,
            "<rect class=\"panel\" x=\"{LEFT}\" y=\"{top}\" width=\"{:.1}\" height=\"{PANEL}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">0</text>\
             <text class=\"title\" x=\"{:.1}\" y=\"{:.1}\">{label}</text>",
            W - LEFT - RIGHT,
            LEFT - 4.0,
            top + 9.0,
            trim_float(scale_max),
            LEFT - 4.0,
            top + PANEL,
            LEFT + 4.0,
            top - 3.0
        );
        // A gap in the series (no answer in an interval) breaks the line rather than drawing zero.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for p in &d.series {
            match value(p) {
                Some(v) => runs.last_mut().expect("one run").push((x(p.t_s), y(v))),
                None => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|r| !r.is_empty()) {
            let points: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = writeln!(o, "<polyline class=\"series {class}\" points=\"{}\"/>", points.join(" "));
        }
    }
    // Time axis.
    let step = nice_ceiling(end / 8.0).max(1.0);
    let mut t = 0.0;
    while t <= end + 1e-9 {
        let _ = write!(o, "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} s</text>", x(t), bottom + 16.0, trim_float(t));
        t += step;
    }
    if let Some(rec) = d.recovered_at_s {
        let rto = d
            .rto_s
            .map(|r| if r < 1.0 { format!("recovered · RTO {:.0} ms", r * 1000.0) } else { format!("recovered · RTO {r:.2} s") })
            .unwrap_or_else(|| "recovered".into());
        let _ = writeln!(
            o,
            "<line class=\"recovered\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{TOP}\" y2=\"{bottom:.1}\"/><text class=\"label rto\" x=\"{1:.1}\" y=\"{2:.1}\">{3}</text>",
            x(rec),
            x(rec) + 3.0,
            TOP + 22.0,
            esc(&rto)
        );
    }
    o.push_str("</svg>\n");
}

/// 1, 2, 5 × 10^n at or above `v`.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * magnitude >= v {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;background:#fff}\
main{max-width:1000px;margin:0 auto;padding:8px 20px 40px}\
.verdict{padding:26px 20px 20px;text-align:center;color:#fff}\
.verdict.go{background:#1a7f37}.verdict.nogo{background:#cf222e}\
.verdict .word{font-size:64px;font-weight:800;letter-spacing:2px;line-height:1}\
.verdict .sub{margin-top:8px;font-size:15px;opacity:.95}\
h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}\
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13.5px}\
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}\
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:700}.na{color:#6e7781}\
.note{color:#57606a;font-size:13.5px}code{font-size:12.5px;background:#f6f8fa;padding:0 3px}\
.reasons li{margin:3px 0}.drill{margin:18px 0 30px}\
.finding{border-left:4px solid #d0d7de;padding:4px 10px;margin:10px 0}.finding.error{border-color:#cf222e}.finding.warning{border-color:#bf8700}\
pre{background:#f6f8fa;padding:6px;overflow-x:auto;margin:4px 0}.help{color:#57606a;font-size:13px}\
svg.timeline{display:block;margin:10px 0;font-size:11px}\
.panel{fill:none;stroke:#d0d7de}.fault{fill:#fb8f44;fill-opacity:.22}\
.series{fill:none;stroke-width:1.8}.series.requests{stroke:#0969da}.series.errors{stroke:#cf222e}.series.latency{stroke:#8250df}\
.axis{fill:#57606a}.title{fill:#1f2328;font-weight:600}.label{fill:#953800;font-weight:600}\
.recovered{stroke:#1a7f37;stroke-width:1.5;stroke-dasharray:4 3}.label.rto{fill:#1a7f37}\
footer{color:#6e7781;font-size:12px;text-align:center;padding:20px}";
