//! Certificates made at run time (rcgen) for TLS drills: a throwaway CA and leaves it signs for a
//! hostname — valid, expired, or expiring in N days. Keys live in memory only; never commit one.

use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

use super::tls::TlsMaterial;

const DAY: Duration = Duration::from_secs(86_400);

/// How long a leaf is valid, relative to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From a day ago to a year from now.
    Valid,
    /// From 30 days ago to yesterday.
    Expired,
    /// From a day ago to this long from now.
    ExpiresIn(Duration),
}

impl Validity {
    pub fn expires_in_days(days: u64) -> Self {
        Validity::ExpiresIn(DAY * days as u32)
    }

    fn window(self, now: SystemTime) -> (SystemTime, SystemTime) {
        match self {
            Validity::Valid => (now - DAY, now + DAY * 365),
            Validity::Expired => (now - DAY * 30, now - DAY),
            Validity::ExpiresIn(d) => (now - DAY, now + d),
        }
    }
}

/// A CA made for one drill; its certificate is what the service under test trusts.
pub struct CertificateAuthority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority").finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// A new CA valid from 60 days ago to two years from now, named `name`.
    pub fn new(name: &str) -> Result<Self> {
        let now = SystemTime::now();
        let mut params = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = offset_date_time(now - DAY * 60)?;
        params.not_after = offset_date_time(now + DAY * 730)?;
        let key = KeyPair::generate().context("generating the CA key")?;
        let issuer = CertifiedIssuer::self_signed(params, key).context("self-signing the CA")?;
        Ok(CertificateAuthority { issuer })
    }

    /// The CA certificate in PEM: the file the client trusts (e.g. `SUPPLIER_CA_FILE`).
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `hostnames` (DNS names, or IP addresses as text) signed by this CA.
    pub fn issue(&self, hostnames: &[&str], validity: Validity) -> Result<LeafCertificate> {
        let names: Vec<String> = hostnames.iter().map(|h| h.to_string()).collect();
        let mut params =
            CertificateParams::new(names).with_context(|| format!("leaf parameters for {}", hostnames.join(", ")))?;
        if let Some(first) = hostnames.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let (not_before, not_after) = validity.window(SystemTime::now());
        params.not_before = offset_date_time(not_before)?;
        params.not_after = offset_date_time(not_after)?;
        let key = KeyPair::generate().context("generating a leaf key")?;
        let cert = params.signed_by(&key, &self.issuer).context("signing the leaf")?;
        Ok(LeafCertificate {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            hostnames: hostnames.iter().map(|h| h.to_string()).collect(),
            not_before: truncate_to_second(not_before),
            not_after: truncate_to_second(not_after),
        })
    }
}

/// A leaf certificate and its key, in PEM.
#[derive(Clone)]
pub struct LeafCertificate {
    pub cert_pem: String,
    pub key_pem: String,
    pub hostnames: Vec<String>,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl std::fmt::Debug for LeafCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeafCertificate")
            .field("hostnames", &self.hostnames)
            .field("not_before", &super::log::rfc3339(self.not_before))
            .field("not_after", &super::log::rfc3339(self.not_after))
            .finish_non_exhaustive()
    }
}

impl LeafCertificate {
    /// What to hand the mock (`PUT /tls`): this leaf as the chain (the CA is the trust anchor).
    pub fn tls_material(&self, label: &str) -> TlsMaterial {
        TlsMaterial { cert_chain_pem: self.cert_pem.clone(), key_pem: self.key_pem.clone(), label: Some(label.to_string()) }
    }
}

fn offset_date_time(t: SystemTime) -> Result<time::OffsetDateTime> {
    let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    time::OffsetDateTime::from_unix_timestamp(secs).with_context(|| format!("{secs} s since 1970 is out of range"))
}

/// X.509 times have whole seconds.
fn truncate_to_second(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}
