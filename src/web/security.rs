//! The service's security, assembled at start from the config: credentials read from the
//! environment or files ([`Security::from_config`]), the webhook's rate limiter, the HTTP
//! limits and the TLS acceptor; and [`protect`], which wraps the whole router in the
//! middlewares enforcing them.
//!
//! A secret that is missing or empty stops medic at start, naming the config key and the
//! variable or file, never the value. Nothing here logs a header value.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use tokio_rustls::TlsAcceptor;

use super::AppState;
use super::auth::{Admission, Auth, Credentials, RouteClass, Secret, classify};
use super::limits::{RateLimiter, limit_requests, too_many_requests};
use crate::config::Config;
use crate::config::security::{AuthConfig, CredentialsConfig, HttpConfig, RateLimitConfig, SecretSource};

/// Why the security settings cannot be put in place.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// A secret's variable or file is missing or empty.
    #[error("{key}: {problem}")]
    Secret {
        /// The config key (`auth.webhook.bearer_token`).
        key: String,
        /// What is wrong, naming the variable or file.
        problem: String,
    },
    /// A TLS file is unusable.
    #[error("{key}: cannot use {path}: {message}")]
    Tls {
        /// The config key.
        key: String,
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// What the HTTP layer enforces.
pub struct Security {
    /// Credentials per class of route.
    pub auth: Auth,
    /// The webhook's per-client rate limit; `None`: off.
    pub webhook_rate: Option<RateLimiter>,
    /// Timeouts and header limits.
    pub http: HttpConfig,
    /// TLS; `None`: plain HTTP.
    pub tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("auth", &self.auth)
            .field("webhook_rate", &self.webhook_rate)
            .field("http", &self.http)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Default for Security {
    /// What no config means: webhook and read API open, approvals over HTTP refused, the
    /// default rate limit and HTTP limits, plain HTTP.
    fn default() -> Self {
        Security {
            auth: Auth::default(),
            webhook_rate: RateLimiter::from_config(&RateLimitConfig::default()),
            http: HttpConfig::default(),
            tls: None,
        }
    }
}

impl Security {
    /// Reads the secrets and TLS files the config names (from the process environment).
    pub fn from_config(config: &Config) -> Result<Security, SecurityError> {
        Security::from_config_with_env(config, |name| std::env::var(name).ok())
    }

    /// [`Security::from_config`] with the environment given (for tests).
    pub fn from_config_with_env(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Security, SecurityError> {
        let auth = auth_from_config(&config.auth, &env)?;
        let tls = config.tls.as_ref().map(super::tls::acceptor).transpose()?;
        Ok(Security {
            auth,
            webhook_rate: RateLimiter::from_config(&config.webhook.rate_limit),
            http: config.http.clone(),
            tls,
        })
    }

    /// These settings, with approvals over HTTP accepted for bearer token `token`.
    pub fn with_approver_token(mut self, token: &str) -> Security {
        self.auth.approver = Some(Credentials::bearer(Secret::new(token)));
        self
    }

    /// These settings, with the webhook (and read API) requiring bearer token `token`.
    pub fn with_webhook_token(mut self, token: &str) -> Security {
        self.auth.webhook = Some(Credentials::bearer(Secret::new(token)));
        self.auth.api = self.auth.webhook.clone();
        self
    }

    /// These settings without the webhook's rate limit.
    pub fn without_rate_limit(mut self) -> Security {
        self.webhook_rate = None;
        self
    }
}

fn auth_from_config(config: &AuthConfig, env: &impl Fn(&str) -> Option<String>) -> Result<Auth, SecurityError> {
    let read = |name: &str, c: &Option<CredentialsConfig>| -> Result<Option<Credentials>, SecurityError> {
        let Some(c) = c else { return Ok(None) };
        let mut out: Option<Credentials> = None;
        if let Some(source) = &c.bearer_token {
            let token = read_secret(&format!("auth.{name}.bearer_token"), source, env)?;
            out = Some(Credentials::bearer(token));
        }
        if let Some(basic) = &c.basic_auth {
            let password = read_secret(&format!("auth.{name}.basic_auth.password"), &basic.password, env)?;
            let creds = Credentials::basic(basic.username.clone(), password);
            out = Some(match out {
                Some(bearer) => bearer.or(creds),
                None => creds,
            });
        }
        Ok(out)
    };
    let webhook = read("webhook", &config.webhook)?;
    let api = match read("api", &config.api)? {
        Some(api) => Some(api),
        None => webhook.clone(),
    };
    let approver = read("approver", &config.approver)?;
    Ok(Auth { webhook, api, approver })
}

/// Reads one secret; whitespace around it (a file's final newline) is dropped.
fn read_secret(
    key: &str,
    source: &SecretSource,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Secret, SecurityError> {
    let missing = |problem: String| SecurityError::Secret {
        key: key.to_string(),
        problem,
    };
    let value = match (&source.env, &source.file) {
        (Some(name), None) => {
            let value = env(name).ok_or_else(|| missing(format!("environment variable {name} is not set")))?;
            if value.trim().is_empty() {
                return Err(missing(format!("environment variable {name} is empty")));
            }
            value
        }
        (None, Some(path)) => {
            let value = std::fs::read_to_string(path)
                .map_err(|e| missing(format!("cannot read secret file {}: {e}", path.display())))?;
            if value.trim().is_empty() {
                return Err(missing(format!("secret file {} is empty", path.display())));
            }
            value
        }
        _ => return Err(missing("set exactly one of env or file".into())),
    };
    Ok(Secret::new(value.trim()))
}

/// Wraps every route of `router` (including ones added later and the 404 fallback) in the
/// limits (outermost: header size, request timeout) and the guard (rate limit, then
/// authentication).
pub fn protect(router: Router, state: AppState) -> Router {
    router
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn_with_state(state, limit_requests))
}

/// The client's address: from the connection (`ConnectInfo`), else unspecified.
fn peer(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The rate limit (webhook) and authentication, by the request's class.
async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let class = classify(req.method(), req.uri().path());
    let client = peer(&req);
    if class == RouteClass::Webhook
        && let Some(limiter) = &state.security.webhook_rate
        && let Err(wait) = limiter.check(client)
    {
        state.metrics.rate_limited(class.as_str());
        state.metrics.webhook_answered(429);
        tracing::debug!(client = %client, "webhook rate limit reached");
        return too_many_requests(wait);
    }
    match state.security.auth.admit(class, req.headers()) {
        Admission::Allow(who) => {
            if let Some(who) = who {
                req.extensions_mut().insert(who);
            }
            next.run(req).await
        }
        Admission::Unauthorized { challenges, message } => {
            state.metrics.unauthorized(class.as_str());
            if class == RouteClass::Webhook {
                state.metrics.webhook_answered(401);
            }
            tracing::info!(route = class.as_str(), client = %client, path = req.uri().path(), "unauthorized request");
            let mut resp = (StatusCode::UNAUTHORIZED, Json(json!({ "error": message }))).into_response();
            for challenge in challenges {
                resp.headers_mut().append(header::WWW_AUTHENTICATE, challenge);
            }
            resp
        }
        Admission::Forbidden(message) => {
            state.metrics.unauthorized(class.as_str());
            (StatusCode::FORBIDDEN, Json(json!({ "error": message }))).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::security::BasicAuthConfig;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOOK" => Some("hook-token\n".into()),
            "EMPTY" => Some("  ".into()),
            "PW" => Some("pw".into()),
            _ => None,
        }
    }

    fn source_env(name: &str) -> SecretSource {
        SecretSource {
            env: Some(name.into()),
            file: None,
        }
    }

    #[test]
    fn api_defaults_to_the_webhook_credentials_and_secrets_are_trimmed() {
        let mut config = Config::default();
        config.auth.webhook = Some(CredentialsConfig {
            bearer_token: Some(source_env("HOOK")),
            basic_auth: Some(BasicAuthConfig {
                username: "am".into(),
                password: source_env("PW"),
            }),
        });
        let s = Security::from_config_with_env(&config, env).unwrap();
        let h = |v: &str| axum::http::HeaderValue::from_str(v).unwrap();
        let api = s.auth.api.as_ref().unwrap();
        assert!(api.check(Some(&h("Bearer hook-token"))).is_some());
        assert!(s.auth.approver.is_none());
        assert!(!format!("{s:?}").contains("hook-token"));
    }

    #[test]
    fn a_missing_or_empty_secret_names_the_key_and_the_variable_or_file() {
        for (source, key, words) in [
            (source_env("NOPE"), "auth.approver.bearer_token", "NOPE is not set"),
            (source_env("EMPTY"), "auth.approver.bearer_token", "EMPTY is empty"),
            (
                SecretSource {
                    env: None,
                    file: Some("/nonexistent/medic-token".into()),
                },
                "auth.approver.bearer_token",
                "/nonexistent/medic-token",
            ),
        ] {
            let mut config = Config::default();
            config.auth.approver = Some(CredentialsConfig {
                bearer_token: Some(source),
                basic_auth: None,
            });
            let e = Security::from_config_with_env(&config, env).unwrap_err().to_string();
            assert!(e.starts_with(key) && e.contains(words), "{e}");
        }
    }

    #[test]
    fn an_empty_secret_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "\n").unwrap();
        let mut config = Config::default();
        config.auth.webhook = Some(CredentialsConfig {
            bearer_token: Some(SecretSource {
                env: None,
                file: Some(file.clone()),
            }),
            basic_auth: None,
        });
        let e = Security::from_config_with_env(&config, env).unwrap_err().to_string();
        assert!(e.contains("is empty") && e.contains(&file.display().to_string()), "{e}");
        std::fs::write(&file, "from-a-file\n").unwrap();
        let s = Security::from_config_with_env(&config, env).unwrap();
        let h = axum::http::HeaderValue::from_static("Bearer from-a-file");
        assert!(s.auth.webhook.unwrap().check(Some(&h)).is_some());
    }
}
