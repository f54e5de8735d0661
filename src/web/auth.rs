//! Authentication: which credentials each request needs, and checking them.
//!
//! [`classify`] sorts a request by method and path into a [`RouteClass`]: health and
//! metrics are open; `POST /api/v1/alerts` is the webhook; every other request that is
//! not a GET or HEAD (approving, rejecting, anything added later) is a write and needs the
//! approver's credentials; everything else is the read API. Classifying by method and
//! path, in a middleware wrapping the whole router, covers routes added later without
//! touching them, and fails closed (an unknown path needs the read API's credentials).
//!
//! Credentials are compared in constant time (SHA-256 digests compared with `subtle`).
//! Secrets live in [`Secret`], whose `Debug` and `Display` print `****` and which cannot be
//! serialized. Nothing here logs a header value.

use std::fmt;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, Method, header};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret (a token, a password): shown as `****`, never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Arc::from(value.into()))
    }

    /// The value, for the one place that needs it (a comparison, a header being sent).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// Equality of two byte strings in time independent of their contents and lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

/// One set of accepted credentials: a bearer token, basic auth, or both.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    bearer: Option<Secret>,
    basic: Option<(String, Secret)>,
}

impl Credentials {
    /// Accepts `Authorization: Bearer TOKEN`.
    pub fn bearer(token: Secret) -> Credentials {
        Credentials {
            bearer: Some(token),
            basic: None,
        }
    }

    /// Accepts `Authorization: Basic base64(USERNAME:PASSWORD)`.
    pub fn basic(username: impl Into<String>, password: Secret) -> Credentials {
        Credentials {
            bearer: None,
            basic: Some((username.into(), password)),
        }
    }

    /// These credentials, also accepting `other`'s.
    pub fn or(mut self, other: Credentials) -> Credentials {
        self.bearer = self.bearer.or(other.bearer);
        self.basic = self.basic.or(other.basic);
        self
    }

    /// Who the `Authorization` header authenticates, if it matches: the basic-auth user
    /// name, or `token` for a bearer token.
    pub fn check(&self, authorization: Option<&HeaderValue>) -> Option<String> {
        let value = authorization?.to_str().ok()?.trim();
        let (scheme, rest) = value.split_once(' ')?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            let token = self.bearer.as_ref()?;
            return same(rest.as_bytes(), token.expose().as_bytes()).then(|| "token".to_string());
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let (username, password) = self.basic.as_ref()?;
            let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
            let (user, pass) = decoded.split_at(decoded.iter().position(|&b| b == b':')?);
            let pass = &pass[1..];
            // Both compared, whatever the first gives.
            let user_ok = same(user, username.as_bytes());
            let pass_ok = same(pass, password.expose().as_bytes());
            return (user_ok & pass_ok).then(|| username.clone());
        }
        None
    }

    /// The `WWW-Authenticate` challenges for these credentials.
    pub fn challenges(&self) -> Vec<HeaderValue> {
        let mut out = Vec::new();
        if self.bearer.is_some() {
            out.push(HeaderValue::from_static("Bearer realm=\"medic\""));
        }
        if self.basic.is_some() {
            out.push(HeaderValue::from_static("Basic realm=\"medic\", charset=\"UTF-8\""));
        }
        out
    }
}

/// What a request is, for authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// `/healthz`, `/readyz`, `/metrics`: never authenticated.
    Open,
    /// `POST /api/v1/alerts`: the webhook's credentials.
    Webhook,
    /// GET and HEAD elsewhere: the read API's credentials.
    ReadApi,
    /// Any other method elsewhere (approvals): the approver's credentials.
    Write,
}

impl RouteClass {
    /// The `route` label of the metrics, and the name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteClass::Open => "open",
            RouteClass::Webhook => "webhook",
            RouteClass::ReadApi => "api",
            RouteClass::Write => "approvals",
        }
    }

    /// The config key of the credentials it needs.
    fn key(self) -> &'static str {
        match self {
            RouteClass::Open => "",
            RouteClass::Webhook => "auth.webhook",
            RouteClass::ReadApi => "auth.api (or auth.webhook)",
            RouteClass::Write => "auth.approver",
        }
    }
}

/// The class of a request by its method and path.
pub fn classify(method: &Method, path: &str) -> RouteClass {
    let reads = method == Method::GET || method == Method::HEAD;
    match path {
        "/healthz" | "/readyz" | "/metrics" if reads => RouteClass::Open,
        "/api/v1/alerts" if method == Method::POST => RouteClass::Webhook,
        _ if reads => RouteClass::ReadApi,
        _ => RouteClass::Write,
    }
}

/// Who has been authenticated, inserted into the request's extensions for handlers: the
/// basic-auth user name, or `token` for a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated(pub String);

/// The credentials of each class of route.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// The webhook's; `None`: open.
    pub webhook: Option<Credentials>,
    /// The read API's (already the webhook's when `auth.api` is absent); `None`: open.
    pub api: Option<Credentials>,
    /// The approver's; `None`: writes are refused.
    pub approver: Option<Credentials>,
}

/// What the guard does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Let it through, with who was authenticated (if anyone).
    Allow(Option<Authenticated>),
    /// 401: credentials missing or wrong; the challenges to send.
    Unauthorized {
        /// `WWW-Authenticate` values.
        challenges: Vec<HeaderValue>,
        /// The message (names the config key, never a value).
        message: String,
    },
    /// 403: this class of request is disabled.
    Forbidden(String),
}

impl Auth {
    /// Decides on a request of class `class` with these headers.
    pub fn admit(&self, class: RouteClass, headers: &HeaderMap) -> Admission {
        let required = match class {
            RouteClass::Open => return Admission::Allow(None),
            RouteClass::Webhook => self.webhook.as_ref(),
            RouteClass::ReadApi => self.api.as_ref(),
            RouteClass::Write => match self.approver.as_ref() {
                Some(c) => Some(c),
                None => {
                    return Admission::Forbidden(
                        "approvals over HTTP are disabled: configure auth.approver (a bearer token or \
                         basic auth, separate from the webhook's) to enable them, or use `medic approve ID` / \
                         `medic reject ID`"
                            .into(),
                    );
                }
            },
        };
        let Some(credentials) = required else {
            return Admission::Allow(None);
        };
        match credentials.check(headers.get(header::AUTHORIZATION)) {
            Some(who) => Admission::Allow(Some(Authenticated(who))),
            None => Admission::Unauthorized {
                challenges: credentials.challenges(),
                message: format!(
                    "missing or wrong credentials for the {} (configured by {})",
                    class.as_str(),
                    class.key()
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        h
    }

    fn basic(user: &str, pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    }

    #[test]
    fn classification_by_method_and_path() {
        use RouteClass::*;
        let cases = [
            (Method::GET, "/healthz", Open),
            (Method::GET, "/readyz", Open),
            (Method::GET, "/metrics", Open),
            (Method::POST, "/metrics", Write),
            (Method::POST, "/api/v1/alerts", Webhook),
            (Method::GET, "/api/v1/alerts", ReadApi),
            (Method::GET, "/api/v1/incidents", ReadApi),
            (Method::GET, "/api/v1/approvals", ReadApi),
            (Method::HEAD, "/api/v1/incidents/x", ReadApi),
            (Method::POST, "/api/v1/approvals/x/approve", Write),
            (Method::POST, "/api/v1/approvals/x/reject", Write),
            (Method::POST, "/api/v1/%61pprovals/x/approve", Write),
            (Method::POST, "/api/v1/alerts/", Write),
            (Method::DELETE, "/api/v1/incidents/x", Write),
            (Method::PUT, "/api/v1/alerts", Write),
            (Method::GET, "/healthz/", ReadApi),
            (Method::GET, "/anything", ReadApi),
        ];
        for (method, path, class) in cases {
            assert_eq!(classify(&method, path), class, "{method} {path}");
        }
    }

    #[test]
    fn bearer_and_basic_are_checked() {
        let c = Credentials::bearer(Secret::new("s3cret")).or(Credentials::basic("am", Secret::new("pw")));
        assert_eq!(
            c.check(Some(&HeaderValue::from_static("Bearer s3cret"))),
            Some("token".into())
        );
        assert_eq!(
            c.check(Some(&HeaderValue::from_static("bearer  s3cret "))),
            Some("token".into())
        );
        assert_eq!(c.check(Some(&HeaderValue::from_static("Bearer s3cre"))), None);
        assert_eq!(c.check(Some(&HeaderValue::from_static("Bearer s3cret2"))), None);
        assert_eq!(c.check(Some(&HeaderValue::from_static("s3cret"))), None);
        assert_eq!(c.check(None), None);
        assert_eq!(
            c.check(Some(&HeaderValue::from_str(&basic("am", "pw")).unwrap())),
            Some("am".into())
        );
        assert_eq!(
            c.check(Some(&HeaderValue::from_str(&basic("am", "pw:x")).unwrap())),
            None
        );
        assert_eq!(
            c.check(Some(&HeaderValue::from_str(&basic("bob", "pw")).unwrap())),
            None
        );
        assert_eq!(c.check(Some(&HeaderValue::from_static("Basic !!!"))), None);
        let only_basic = Credentials::basic("am", Secret::new("pw"));
        assert_eq!(only_basic.check(Some(&HeaderValue::from_static("Bearer pw"))), None);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "****");
        assert_eq!(format!("{s:?}"), "Secret(****)");
        let c = Credentials::basic("am", s);
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn admission_per_class() {
        let auth = Auth {
            webhook: Some(Credentials::bearer(Secret::new("hook"))),
            api: Some(Credentials::bearer(Secret::new("hook"))),
            approver: None,
        };
        assert_eq!(auth.admit(RouteClass::Open, &HeaderMap::new()), Admission::Allow(None));
        assert!(matches!(
            auth.admit(RouteClass::Webhook, &HeaderMap::new()),
            Admission::Unauthorized { .. }
        ));
        assert_eq!(
            auth.admit(RouteClass::Webhook, &headers("Bearer hook")),
            Admission::Allow(Some(Authenticated("token".into())))
        );
        assert!(matches!(
            auth.admit(RouteClass::Write, &headers("Bearer hook")),
            Admission::Forbidden(m) if m.contains("auth.approver")
        ));
        let open = Auth::default();
        assert_eq!(
            open.admit(RouteClass::Webhook, &HeaderMap::new()),
            Admission::Allow(None)
        );
        assert_eq!(
            open.admit(RouteClass::ReadApi, &HeaderMap::new()),
            Admission::Allow(None)
        );
        assert!(matches!(
            open.admit(RouteClass::Write, &HeaderMap::new()),
            Admission::Forbidden(_)
        ));
    }
}
