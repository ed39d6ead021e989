//! The one way this workspace builds an HTTPS client (the alert webhook, the identity
//! provider): rustls with the *ring* provider already used by the database driver, so no
//! other TLS stack is built, and short timeouts, so a stalled peer never holds a task.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::SyncError;

/// Longest wait for a whole exchange.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An HTTP client trusting `own_roots` when given (an internal certificate authority),
/// Mozilla's root certificates otherwise. `setting` names the setting the client serves,
/// for the error.
pub fn https_client(
    setting: &'static str,
    own_roots: Vec<CertificateDer<'static>>,
) -> Result<reqwest::Client, SyncError> {
    let failed = |reason: String| SyncError::Config { setting, reason };
    // Other reqwest clients in the process (built with `rustls-no-provider`) need a
    // process-wide provider: install ring unless the binary already chose one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    if own_roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        let (added, _) = roots.add_parsable_certificates(own_roots);
        if added == 0 {
            return Err(failed("no usable certificate authority".to_owned()));
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| failed(format!("TLS setup: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| failed(format!("HTTP client: {e}")))
}
