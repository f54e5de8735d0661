//! TLS for the HTTP server: a rustls acceptor (aws-lc-rs, TLS 1.2 and 1.3, ALPN h2 and
//! http/1.1) from PEM certificate and key files. It reads the files once, at start; it
//! must never log the key.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use super::security::SecurityError;
use crate::config::security::TlsConfig;

/// The acceptor for `tls.cert_file` and `tls.key_file`.
pub fn acceptor(config: &TlsConfig) -> Result<TlsAcceptor, SecurityError> {
    let tls_error = |key: &str, path: &Path, message: String| SecurityError::Tls {
        key: key.into(),
        path: path.display().to_string(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&config.cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| tls_error("tls.cert_file", &config.cert_file, e.to_string()))?;
    if certs.is_empty() {
        return Err(tls_error(
            "tls.cert_file",
            &config.cert_file,
            "no PEM certificate in the file".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&config.key_file)
        .map_err(|e| tls_error("tls.key_file", &config.key_file, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("tls", &config.cert_file, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            tls_error(
                "tls.key_file",
                &config.key_file,
                format!("does not fit the certificate: {e}"),
            )
        })?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}
