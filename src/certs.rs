//! `firedrill certs check`: for the go-live checklist, every certificate in PEM files and behind
//! `https://` URLs of the drill's own services, with the days it has left. A certificate that
//! expires inside the window (or already has) is a finding.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use x509_parser::prelude::*;

/// Where a certificate was read.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateInfo {
    /// `path:line` of its PEM block, or the URL it was served at.
    pub source: String,
    pub subject: String,
    pub issuer: String,
    /// Not-after, RFC 3339 UTC.
    pub not_after: String,
    /// Whole days left from `now` (negative: expired that many days ago).
    pub days_left: i64,
    pub expired: bool,
}

/// Every certificate of a PEM text, with `label:line` as its source.
pub fn from_pem(label: &str, text: &[u8], now: SystemTime) -> Result<Vec<CertificateInfo>> {
    let mut out = Vec::new();
    for (i, pem) in Pem::iter_from_buffer(text).enumerate() {
        let pem = pem.map_err(|e| anyhow!("{label}: PEM block {} is not valid PEM: {e}", i + 1))?;
        if pem.label != "CERTIFICATE" {
            continue;
        }
        let line = line_of_block(text, i);
        out.push(describe(&format!("{label}:{line}"), &pem.contents, now)?);
    }
    Ok(out)
}

/// Reads PEM files (folders: `*.pem`, `*.crt`, `*.cer`) and fails on a file with no certificate.
pub fn from_path(path: &Path, now: SystemTime) -> Result<Vec<CertificateInfo>> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut f: Vec<PathBuf> = walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "pem" || x == "crt" || x == "cer"))
            .collect();
        f.sort();
        f
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let found = from_pem(&file.display().to_string(), &bytes, now)?;
        if found.is_empty() && !path.is_dir() {
            bail!("{}: no `-----BEGIN CERTIFICATE-----` block in this file", file.display());
        }
        out.extend(found);
    }
    Ok(out)
}

/// The certificate chain an `https://host:port` URL serves, read without trusting it (an expired
/// or self-signed certificate is exactly what this command must be able to report).
pub async fn from_url(url: &str, now: SystemTime) -> Result<Vec<CertificateInfo>> {
    let rest = url.strip_prefix("https://").ok_or_else(|| anyhow!("{url}: only https:// URLs carry a certificate"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse::<u16>().with_context(|| format!("{url}: bad port"))?),
        None => (authority.to_string(), 443),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ReadOnly))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| anyhow!("{url}: no answer within 5 s"))?
        .with_context(|| format!("{url}: connecting"))?;
    let name = rustls::pki_types::ServerName::try_from(host.clone()).with_context(|| format!("{url}: bad host name"))?;
    let tls = tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp))
        .await
        .map_err(|_| anyhow!("{url}: TLS handshake did not finish within 5 s"))?
        .with_context(|| format!("{url}: TLS handshake"))?;
    let chain = tls.get_ref().1.peer_certificates().ok_or_else(|| anyhow!("{url}: the server sent no certificate"))?;
    chain.iter().enumerate().map(|(i, der)| describe(&format!("{url} (chain #{})", i + 1), der.as_ref(), now)).collect()
}

fn describe(source: &str, der: &[u8], now: SystemTime) -> Result<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| anyhow!("{source}: not an X.509 certificate: {e}"))?;
    let not_after = cert.validity().not_after.timestamp();
    let now_s = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let left = not_after - now_s;
    Ok(CertificateInfo {
        source: source.to_string(),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_after: jiff::Timestamp::from_second(not_after).map_or_else(|_| not_after.to_string(), |t| t.to_string()),
        // Floor division: a certificate expiring in 12 hours has 0 days left, not 1.
        days_left: left.div_euclid(86_400),
        expired: left <= 0,
    })
}

/// The 1-based line of the `n`-th `-----BEGIN` in `text`.
fn line_of_block(text: &[u8], n: usize) -> usize {
    let needle = b"-----BEGIN";
    let mut seen = 0;
    let mut i = 0;
    while i + needle.len() <= text.len() {
        if &text[i..i + needle.len()] == needle {
            if seen == n {
                return text[..i].iter().filter(|b| **b == b'\n').count() + 1;
            }
            seen += 1;
        }
        i += 1;
    }
    1
}

/// Accepts any certificate: `from_url` only reads the chain, it sends nothing over the connection.
#[derive(Debug)]
struct ReadOnly;

impl rustls::client::danger::ServerCertVerifier for ReadOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider().signature_verification_algorithms.supported_schemes()
    }
}
