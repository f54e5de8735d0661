//! The service's security settings: authentication (`auth:`), TLS (`tls:`), HTTP limits
//! (`http:`) and the webhook's per-client rate limit (`webhook.rate_limit`).
//!
//! Secrets are never written in the config file: a [`SecretSource`] names the environment
//! variable or the file holding one, and the web layer reads it at start
//! (`web::auth::Security::from_config`). This module only describes; it reads no
//! variable or file.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::assess::config::Interval;

/// Who may call what. Every part is optional; with none, the webhook and the read API
/// are open (medic warns at start when it listens on a non-loopback address) and
/// approvals over HTTP are refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Credentials the Alertmanager webhook (`POST /api/v1/alerts`) requires, as
    /// Alertmanager's `http_config` sends them (`authorization: {credentials_file}` for a
    /// bearer token, or `basic_auth`). Absent: the webhook is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<CredentialsConfig>,
    /// Credentials the read API (`GET /api/v1/...`) requires. Absent: the webhook's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<CredentialsConfig>,
    /// Credentials approving or rejecting held decisions over HTTP
    /// (`POST /api/v1/approvals/{id}/approve|reject`) requires; keep them apart from the
    /// webhook's. Absent: approvals over HTTP are refused (403); `medic approve ID` works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<CredentialsConfig>,
}

/// One set of accepted credentials: a bearer token, basic auth, or both (either is then
/// accepted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CredentialsConfig {
    /// `Authorization: Bearer TOKEN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<SecretSource>,
    /// `Authorization: Basic base64(USERNAME:PASSWORD)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuthConfig>,
}

/// A user name and the password's source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthConfig {
    /// The user name (not secret; it names the approver in the audit log).
    pub username: String,
    /// Where the password is.
    pub password: SecretSource,
}

/// Where a secret is read from at start: exactly one of `env` or `file`. A missing or
/// empty variable or file stops medic at start, naming the key and the variable or file.
/// Surrounding whitespace (a file's final newline) is ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SecretSource {
    /// An environment variable holding the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// A file holding the secret (e.g. a mounted Kubernetes Secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

/// TLS for the HTTP server (rustls with aws-lc-rs; TLS 1.2 and 1.3; HTTP/2 and 1.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, the server's certificate first.
    pub cert_file: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// Limits of the HTTP server, on every route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Longest time from a request's headers to its answer (the body is read within it);
    /// past it the answer is 503 with `Retry-After`, so Alertmanager retries. Default 30s.
    pub request_timeout: Interval,
    /// Longest time a client may take to send a request's headers (and a TLS handshake).
    /// Default 10s.
    pub header_read_timeout: Interval,
    /// Largest total size of a request's headers in bytes; larger is 431. Default 16384.
    pub max_header_bytes: usize,
    /// Most headers in one request; more is 431. Default 100.
    pub max_headers: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_timeout: Interval::from_secs(30),
            header_read_timeout: Interval::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_headers: 100,
        }
    }
}

/// A token bucket per client IP address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Requests per second refilled; 0 turns the limit off. Default 20.
    pub per_second: f64,
    /// Requests a client may make at once after being quiet. Default 200.
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            per_second: 20.0,
            burst: 200,
        }
    }
}

/// Problems of the security settings, as (path, message).
pub fn problems(auth: &AuthConfig, http: &HttpConfig, rate: &RateLimitConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, creds) in [
        ("webhook", &auth.webhook),
        ("api", &auth.api),
        ("approver", &auth.approver),
    ] {
        let Some(creds) = creds else { continue };
        let path = format!("auth.{name}");
        if creds.bearer_token.is_none() && creds.basic_auth.is_none() {
            out.push((path.clone(), "needs bearer_token or basic_auth (or both)".into()));
        }
        if let Some(source) = &creds.bearer_token {
            source_problems(&format!("{path}.bearer_token"), source, &mut out);
        }
        if let Some(basic) = &creds.basic_auth {
            if basic.username.is_empty() || basic.username.contains(':') {
                out.push((
                    format!("{path}.basic_auth.username"),
                    format!("must be non-empty and without ':', found {:?}", basic.username),
                ));
            }
            source_problems(&format!("{path}.basic_auth.password"), &basic.password, &mut out);
        }
    }
    if http.request_timeout.as_secs() < 1 {
        out.push(("http.request_timeout".into(), "must be at least 1s".into()));
    }
    if http.header_read_timeout.as_secs() < 1 {
        out.push(("http.header_read_timeout".into(), "must be at least 1s".into()));
    }
    if http.max_header_bytes < 1024 {
        out.push((
            "http.max_header_bytes".into(),
            format!("must be at least 1024, found {}", http.max_header_bytes),
        ));
    }
    if http.max_headers < 8 {
        out.push((
            "http.max_headers".into(),
            format!("must be at least 8, found {}", http.max_headers),
        ));
    }
    if !(rate.per_second.is_finite() && rate.per_second >= 0.0) {
        out.push((
            "webhook.rate_limit.per_second".into(),
            format!("must be 0 (off) or positive, found {}", rate.per_second),
        ));
    }
    if rate.per_second > 0.0 && rate.burst == 0 {
        out.push(("webhook.rate_limit.burst".into(), "must be at least 1, found 0".into()));
    }
    out
}

fn source_problems(path: &str, source: &SecretSource, out: &mut Vec<(String, String)>) {
    match (&source.env, &source.file) {
        (Some(_), Some(_)) => out.push((path.into(), "set env or file, not both".into())),
        (None, None) => out.push((path.into(), "needs env (a variable name) or file (a path)".into())),
        (Some(env), None) if env.is_empty() || env.contains('=') => {
            out.push((format!("{path}.env"), format!("{env:?} is not a variable name")))
        }
        _ => {}
    }
}
