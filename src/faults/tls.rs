//! TLS on the mock upstreams: the certificate authority a drill makes for its run (the one the
//! service under test trusts), the certificate each TLS mock serves, and `cert-expired` — the mock
//! serves an expired certificate from that CA until the heal renews it with a fresh one.
//!
//! Every key is made at run time and lives in memory only. Each certificate goes to the mock with
//! a label that its request log writes on every connection served with it, which is how the
//! drill counts what was accepted over the expired one.

use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use futures_util::future::BoxFuture;

use super::Fault;
use crate::drill::MOCK_ADMIN_PORT;
use crate::environment::Environment;
use crate::scenario::{Scenario, SimpleFault};
use crate::upstream::{CertificateAuthority, LeafCertificate, UpstreamClient, Validity};

/// The label of the certificate a TLS mock serves from the start.
pub const BASELINE_LABEL: &str = "valid";

/// The label of the expired certificate of the `cert-expired` fault named `fault`.
pub fn expired_label(fault: &str) -> String {
    format!("{fault}: expired")
}

/// The label of the certificate that renews it.
pub fn renewed_label(fault: &str) -> String {
    format!("{fault}: renewed")
}

/// The CA of one drill run.
pub struct DrillCa {
    ca: CertificateAuthority,
}

impl std::fmt::Debug for DrillCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrillCa").finish_non_exhaustive()
    }
}

impl DrillCa {
    pub fn new() -> Result<DrillCa> {
        Ok(DrillCa {
            ca: CertificateAuthority::new("firedrill drill CA").context("making the drill's CA")?,
        })
    }

    /// A CA for this run when some mock of `scenario` serves TLS.
    pub fn for_scenario(scenario: &Scenario) -> Result<Option<Arc<DrillCa>>> {
        if tls_mocks(scenario).next().is_none() {
            return Ok(None);
        }
        Ok(Some(Arc::new(DrillCa::new()?)))
    }

    /// The CA certificate in PEM: what the service must trust.
    pub fn cert_pem(&self) -> String {
        self.ca.cert_pem()
    }

    /// A leaf for `mock`, the mock's DNS name on the drill network.
    pub fn issue(&self, mock: &str, validity: Validity) -> Result<LeafCertificate> {
        self.ca
            .issue(&[mock], validity)
            .with_context(|| format!("issuing a certificate for `{mock}`"))
    }

    /// Issues a leaf for `mock` and has the mock serve it from its next connection on.
    pub async fn serve(
        &self,
        env: &Environment,
        mock: &str,
        validity: Validity,
        label: &str,
    ) -> Result<LeafCertificate> {
        let leaf = self.issue(mock, validity)?;
        install(env, mock, &leaf, label).await?;
        Ok(leaf)
    }

    /// Every TLS mock of `scenario` serves a valid certificate ([`BASELINE_LABEL`]).
    pub async fn serve_baseline(&self, env: &Environment, scenario: &Scenario) -> Result<()> {
        for name in tls_mocks(scenario) {
            self.serve(env, name, Validity::Valid, BASELINE_LABEL)
                .await?;
        }
        Ok(())
    }
}

/// The mocks of `scenario` with `tls: true`.
pub fn tls_mocks(scenario: &Scenario) -> impl Iterator<Item = &str> {
    scenario
        .services
        .iter()
        .filter(|(_, d)| d.mock.is_some() && d.tls)
        .map(|(n, _)| n.as_str())
}

async fn install(env: &Environment, mock: &str, leaf: &LeafCertificate, label: &str) -> Result<()> {
    let container = env
        .container(mock)
        .ok_or_else(|| anyhow!("no container `{mock}` in this drill"))?;
    let client = UpstreamClient::new(container.http_url(MOCK_ADMIN_PORT, "")?);
    let view = client
        .set_tls(&leaf.tls_material(label))
        .await
        .with_context(|| format!("installing `{label}` on mock `{mock}`"))?;
    if view.label.as_deref() != Some(label) {
        anyhow::bail!(
            "mock `{mock}` reports certificate {:?} after `{label}` was installed",
            view.label
        );
    }
    Ok(())
}

/// `cert-expired`: the mock serves a certificate from the drill's CA whose validity ended
/// yesterday; the heal installs a freshly issued valid one (new key), as a renewal would.
pub struct CertExpiry {
    service: String,
    name: String,
    ca: Arc<DrillCa>,
    expired: LeafCertificate,
}

impl CertExpiry {
    /// `name`: the fault's name in the timeline (its id, else its kind).
    pub fn new(step: &SimpleFault, name: &str, ca: Arc<DrillCa>) -> Result<CertExpiry> {
        let expired = ca.issue(&step.service, Validity::Expired)?;
        Ok(CertExpiry {
            service: step.service.clone(),
            name: name.to_string(),
            ca,
            expired,
        })
    }
}

impl Fault for CertExpiry {
    fn describe(&self) -> String {
        format!(
            "{} serves a certificate from the drill's CA that expired at {} (label `{}`); the heal renews it (`{}`)",
            self.service,
            jiff::Timestamp::try_from(self.expired.not_after).map_or_else(|_| "?".to_string(), |t| t.to_string()),
            expired_label(&self.name),
            renewed_label(&self.name)
        )
    }

    fn inject<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            install(
                env,
                &self.service,
                &self.expired,
                &expired_label(&self.name),
            )
            .await
        })
    }

    fn heal<'a>(&'a self, env: &'a Environment) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.ca
                .serve(
                    env,
                    &self.service,
                    Validity::Valid,
                    &renewed_label(&self.name),
                )
                .await
                .map(drop)
        })
    }
}
