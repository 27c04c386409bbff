//! Guard mode: the installer's `HTTP_PROXY`/`HTTPS_PROXY` point at the proxy too, so that
//! requests outside the index (direct URLs, extra indexes, URLs in requirements files) reach
//! it. `CONNECT` to a covered host is intercepted with a certificate from a certificate
//! authority made on the spot for this run, whose private key never leaves memory; the
//! installer is given only that CA's certificate to trust. Anything else is refused.
//!
//! ```
//! let guard = tuf_interpose::Guard::new(["pypi.org", "files.pythonhosted.org"]).unwrap();
//! assert!(guard.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
//! ```

use crate::InterposeError;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// An ephemeral CA and a TLS server configuration for the covered hosts.
pub struct Guard {
    ca_pem: String,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").finish_non_exhaustive()
    }
}

fn cert_err(e: impl std::fmt::Display) -> InterposeError {
    InterposeError::Proxy(format!("guard certificates: {e}"))
}

impl Guard {
    /// Makes a CA (P-256, in memory only) and one server certificate naming every host in
    /// `hosts`, signed by it.
    pub fn new<'a>(hosts: impl IntoIterator<Item = &'a str>) -> Result<Guard, InterposeError> {
        let ca_key = rcgen::KeyPair::generate().map_err(cert_err)?;
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "tuf-rs guard CA (this run only)");
        let ca = ca_params.self_signed(&ca_key).map_err(cert_err)?;
        let names: Vec<String> = hosts.into_iter().map(str::to_owned).collect();
        if names.is_empty() {
            return Err(InterposeError::Proxy(
                "guard mode needs a covered host".into(),
            ));
        }
        let key = rcgen::KeyPair::generate().map_err(cert_err)?;
        let params = rcgen::CertificateParams::new(names).map_err(cert_err)?;
        let cert = params.signed_by(&key, &ca, &ca_key).map_err(cert_err)?;
        let chain = vec![cert.der().clone(), ca.der().clone()];
        let private =
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).map_err(cert_err)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(cert_err)?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(cert_err)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Guard {
            ca_pem: ca.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The CA certificate (PEM) the installer must trust: pip `--cert`, uv `SSL_CERT_FILE`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}
