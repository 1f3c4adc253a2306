//! `firedrill certs check`: certificates generated at run time (never committed) in PEM files and
//! served over real TLS on loopback, reported by the days they have left.

use std::process::{Command, Output};

use firedrill::upstream::{CertificateAuthority, MockConfig, MockUpstream, Validity};

fn certs_check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill")).arg("certs").arg("check").args(args).output().expect("firedrill runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn files_are_reported_by_the_days_they_have_left() {
    let ca = CertificateAuthority::new("firedrill test CA").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let valid = ca.issue(&["api.internal"], Validity::Valid).unwrap();
    let soon = ca.issue(&["soon.internal"], Validity::expires_in_days(5)).unwrap();
    let expired = ca.issue(&["old.internal"], Validity::Expired).unwrap();
    let valid_path = write("valid.pem", &valid.cert_pem);
    // A chain file: the leaf on line 1, the CA after it.
    let chain_path = write("soon-chain.crt", &format!("{}{}", soon.cert_pem, ca.cert_pem()));
    let expired_path = write("expired.pem", &expired.cert_pem);
    let key_path = write("key.txt", &valid.key_pem);

    let out = certs_check(&[&valid_path, "--min-days", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // 365 days minus the moment since it was issued: 364 whole days, or 365 within the same second.
    assert!(text(&out).contains("ok, 364 days left") || text(&out).contains("ok, 365 days left"), "{}", text(&out));

    // The folder: the valid one passes, the other two are reported, with file and line.
    let folder = dir.path().display().to_string();
    let out = certs_check(&[&folder, "--min-days", "30"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains(&format!("{expired_path}:1")) && t.contains("EXPIRED"), "{t}");
    assert!(t.contains(&format!("{chain_path}:1")), "{t}");
    assert!(t.contains("expires in 4 days (< 30)") || t.contains("expires in 5 days (< 30)"), "{t}");
    // Four certificates: the chain file holds the CA too, which has years left.
    assert!(t.contains("4 certificate(s), 2 expiring within 30 days or expired"), "{t}");

    // A shorter window lets the one expiring in days pass; the expired one never does.
    let out = certs_check(&[&chain_path, &expired_path, "--min-days", "3", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc["failing"], 1, "{doc}");
    assert_eq!(doc["certificates"][2]["expired"], true, "{doc}");

    // A file without a certificate is an error that names it, not a silent pass.
    let out = certs_check(&[&key_path]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("key.txt") && text(&out).contains("no `-----BEGIN CERTIFICATE-----`"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_certificate_is_read_even_when_expired() {
    let ca = CertificateAuthority::new("firedrill test CA").unwrap();
    let expired = ca.issue(&["localhost"], Validity::Expired).unwrap();
    let config = MockConfig { tls: Some(expired.tls_material("expired")), ..MockConfig::default() };
    let mock = MockUpstream::start(config).await.unwrap();
    let url = format!("https://localhost:{}", mock.addr().port());
    let out = tokio::task::spawn_blocking(move || certs_check(&[&url, "--min-days", "30"])).await.unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("(chain #1)") && t.contains("EXPIRED"), "{t}");

    let valid = ca.issue(&["localhost"], Validity::Valid).unwrap();
    let config = MockConfig { tls: Some(valid.tls_material("valid")), ..MockConfig::default() };
    let mock = MockUpstream::start(config).await.unwrap();
    let url = format!("https://localhost:{}", mock.addr().port());
    let out = tokio::task::spawn_blocking(move || certs_check(&[&url, "--min-days", "30"])).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
