//! TLS for the mock's front: a certificate chain + key (PEM) turned into a rustls server config, held
//! in a slot that can be swapped at run time — each new handshake reads the slot, so renewal is one call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

/// The body of `PUT /tls`: the chain the mock presents (leaf first) and the leaf's private key.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsMaterial {
    pub cert_chain_pem: String,
    pub key_pem: String,
    /// A name for this certificate, written into every log entry served with it (default `cert-N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl std::fmt::Debug for TlsMaterial {
    // Keeps the private key out of debug output and panic messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial").field("label", &self.label).finish_non_exhaustive()
    }
}

/// The TLS state as `GET /tls` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsView {
    pub enabled: bool,
    pub label: Option<String>,
    /// Counts certificates installed since start (1 for the first).
    pub generation: Option<u64>,
}

pub(crate) struct ActiveTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    pub(crate) label: String,
    generation: u64,
}

#[derive(Default)]
pub(crate) struct TlsSlot {
    current: RwLock<Option<Arc<ActiveTls>>>,
    installed: AtomicU64,
}

impl TlsSlot {
    /// What a connection accepted now is served with (`None`: plain HTTP).
    pub(crate) fn current(&self) -> Option<Arc<ActiveTls>> {
        self.current.read().unwrap().clone()
    }

    /// Checks and installs `material`; the old certificate keeps serving connections it already has.
    pub(crate) fn install(&self, material: &TlsMaterial) -> Result<TlsView, String> {
        let config = server_config(material)?;
        let generation = self.installed.fetch_add(1, Ordering::Relaxed) + 1;
        let label = material.label.clone().unwrap_or_else(|| format!("cert-{generation}"));
        *self.current.write().unwrap() = Some(Arc::new(ActiveTls { config, label, generation }));
        Ok(self.view())
    }

    pub(crate) fn disable(&self) -> TlsView {
        *self.current.write().unwrap() = None;
        self.view()
    }

    pub(crate) fn view(&self) -> TlsView {
        match self.current() {
            Some(tls) => TlsView { enabled: true, label: Some(tls.label.clone()), generation: Some(tls.generation) },
            None => TlsView { enabled: false, label: None, generation: None },
        }
    }
}

/// A rustls server config (ring, TLS 1.2 and 1.3, HTTP/1.1 only) from PEM text.
pub(crate) fn server_config(material: &TlsMaterial) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain = CertificateDer::pem_slice_iter(material.cert_chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cert_chain_pem: {e}; give PEM `CERTIFICATE` blocks, leaf first"))?;
    if chain.is_empty() {
        return Err("cert_chain_pem: no `BEGIN CERTIFICATE` block found; give the leaf (then any intermediates) in PEM".into());
    }
    let key = PrivateKeyDer::from_pem_slice(material.key_pem.as_bytes()).map_err(|e| {
        format!("key_pem: {e}; give the leaf's private key in PEM (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)")
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("cert_chain_pem / key_pem: {e}; check that the key belongs to the first certificate"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
