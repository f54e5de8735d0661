//! HTTP transport shared by the providers: a timeout per attempt, retries with exponential
//! backoff and jitter on 429, 5xx, timeouts and connection errors (honouring
//! `Retry-After` and `retry-after-ms`), and a per-provider concurrency limit.
//!
//! The transport returns the provider's last answer, error statuses included, so that each
//! provider parses its own error body; it only fails by itself when no answer came at all.
//! What is retryable is decided in [`retryable_status`] and [`retryable_error`], and nowhere
//! else.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use jiff::Timestamp;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;

use super::error::LlmError;

/// Retry and concurrency settings of one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportSettings {
    /// Longest one attempt (request and whole response body) may take.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub backoff_base: Duration,
    /// The longest backoff.
    pub backoff_max: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is returned.
    pub max_retry_after: Duration,
    /// Attempts in flight at once.
    pub concurrency: usize,
}

impl Default for TransportSettings {
    fn default() -> Self {
        TransportSettings {
            timeout: Duration::from_secs(60),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            concurrency: 4,
        }
    }
}

/// The provider's answer to the last attempt.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// Attempts made (1 without retries).
    pub attempts: u32,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text, cut to `max` bytes, for error messages.
    pub fn body_text(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        if text.len() <= max {
            return text.into_owned();
        }
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &text[..end])
    }

    /// Rebuilds a `reqwest::Response` (for async-openai, which parses it).
    pub fn into_response(self) -> reqwest::Response {
        let mut response = axum::http::Response::new(self.body);
        *response.status_mut() =
            axum::http::StatusCode::from_u16(self.status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
        *response.headers_mut() = self.headers;
        reqwest::Response::from(response)
    }
}

/// Why no answer came at all.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Every attempt timed out.
    #[error("no answer within {seconds:.1}s ({attempts} attempts)")]
    Timeout {
        /// The per-attempt timeout in seconds.
        seconds: f64,
        /// Attempts made.
        attempts: u32,
    },
    /// The server could not be reached.
    #[error("cannot reach {url}: {message}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The last connection error.
        message: String,
    },
    /// The request could not be built.
    #[error("cannot build the request: {0}")]
    Build(String),
}

impl TransportError {
    /// The error as an [`LlmError`] naming the provider and the model.
    pub fn into_llm(self, provider: &str, model: &str) -> LlmError {
        let (provider, model) = (provider.to_string(), model.to_string());
        match self {
            TransportError::Timeout { seconds, attempts } => LlmError::Timeout {
                provider,
                model,
                seconds,
                attempts,
            },
            TransportError::Unreachable { url, message } => LlmError::Unreachable {
                provider,
                model,
                url,
                message,
            },
            TransportError::Build(message) => LlmError::Config {
                provider,
                model,
                message: format!("cannot build the request: {message}"),
            },
        }
    }
}

/// Whether an answer with this status (and body) is worth another attempt: 408, 429
/// (except an exhausted quota, which waiting does not fix) and every 5xx (Anthropic's
/// 529 "overloaded" included).
pub fn retryable_status(status: u16, body: &[u8]) -> bool {
    match status {
        408 => true,
        429 => !String::from_utf8_lossy(body).contains("insufficient_quota"),
        500..=599 => true,
        _ => false,
    }
}

/// Whether a failed send is worth another attempt: connection, timeout and body errors.
pub fn retryable_error(e: &reqwest::Error) -> bool {
    !(e.is_builder() || e.is_redirect() || e.is_status())
}

/// The wait a server asks for: `retry-after-ms` (OpenAI), else `Retry-After` in seconds
/// or as an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = at.duration_since(now);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// The backoff before retry number `retry` (1 for the first retry): `base * 2^(retry-1)`,
/// capped at `max`, then jittered into its upper half.
pub fn backoff(retry: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(20));
    let full = base.saturating_mul(factor).min(max);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// A number in `[0, 1)`, different on every call (jitter; not for cryptography).
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Sends requests to one provider with timeouts, retries and a concurrency limit.
#[derive(Debug)]
pub struct Transport {
    client: reqwest::Client,
    settings: TransportSettings,
    permits: Semaphore,
    label: String,
}

impl Transport {
    /// A transport over `client`; `label` (`openai gpt-4o`) names it in logs.
    pub fn new(client: reqwest::Client, settings: TransportSettings, label: impl Into<String>) -> Self {
        Transport {
            client,
            permits: Semaphore::new(settings.concurrency.max(1)),
            settings,
            label: label.into(),
        }
    }

    /// The HTTP client (to build requests with).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The settings.
    pub fn settings(&self) -> &TransportSettings {
        &self.settings
    }

    /// Sends the request `build` makes (called again for every attempt) and returns the
    /// last answer. Retries what [`retryable_status`] and [`retryable_error`] allow, up to
    /// `max_retries`, waiting what the server asks or the jittered backoff.
    pub async fn send<F, Fut, E>(&self, build: F) -> Result<Reply, TransportError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<reqwest::Request, E>>,
        E: std::fmt::Display,
    {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let request = build().await.map_err(|e| TransportError::Build(e.to_string()))?;
            let url = without_query(request.url());
            let outcome = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| TransportError::Build(e.to_string()))?;
                tokio::time::timeout(self.settings.timeout, self.attempt(request)).await
            };
            let can_retry = attempts <= self.settings.max_retries;
            let wait = match outcome {
                Err(_) => {
                    if !can_retry {
                        return Err(TransportError::Timeout {
                            seconds: self.settings.timeout.as_secs_f64(),
                            attempts,
                        });
                    }
                    tracing::warn!(transport = %self.label, %url, attempts, "model call timed out; retrying");
                    self.backoff(attempts)
                }
                Ok(Err(e)) => {
                    if !can_retry || !retryable_error(&e) {
                        return Err(TransportError::Unreachable {
                            url,
                            message: error_chain(&e),
                        });
                    }
                    tracing::warn!(transport = %self.label, %url, attempts, error = %error_chain(&e), "model call failed; retrying");
                    self.backoff(attempts)
                }
                Ok(Ok(mut reply)) => {
                    reply.attempts = attempts;
                    if !can_retry || !retryable_status(reply.status, &reply.body) {
                        return Ok(reply);
                    }
                    let wait = match retry_after(&reply.headers, Timestamp::now()) {
                        Some(asked) if asked > self.settings.max_retry_after => {
                            tracing::warn!(transport = %self.label, status = reply.status, wait_s = asked.as_secs_f64(), "server asks for a longer wait than allowed; giving up");
                            return Ok(reply);
                        }
                        Some(asked) => asked,
                        None => self.backoff(attempts),
                    };
                    tracing::warn!(transport = %self.label, %url, status = reply.status, attempts, wait_ms = wait.as_millis() as u64, "model call refused; retrying");
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, request: reqwest::Request) -> Result<Reply, reqwest::Error> {
        let response = self.client.execute(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        Ok(Reply {
            status,
            headers,
            body,
            attempts: 0,
        })
    }

    fn backoff(&self, retry: u32) -> Duration {
        backoff(
            retry,
            self.settings.backoff_base,
            self.settings.backoff_max,
            random_fraction(),
        )
    }
}

fn without_query(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn statuses_worth_retrying() {
        assert!(retryable_status(429, br#"{"error":{"type":"rate_limit_error"}}"#));
        assert!(!retryable_status(429, br#"{"error":{"code":"insufficient_quota"}}"#));
        assert!(retryable_status(529, b"overloaded"));
        assert!(retryable_status(503, b""));
        assert!(!retryable_status(400, b""));
        assert!(!retryable_status(401, b""));
    }

    #[test]
    fn retry_after_in_ms_seconds_and_dates() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(150)));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("Thu, 01 Jan 2026 00:00:07 GMT"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("Wed, 31 Dec 2025 23:00:00 GMT"));
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
    }

    #[test]
    fn backoff_doubles_caps_and_jitters_in_the_upper_half() {
        let (base, max) = (Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(backoff(1, base, max, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(2, base, max, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(3, base, max, 0.0), Duration::from_millis(200));
        assert_eq!(backoff(10, base, max, 1.0), max);
        assert_eq!(backoff(40, base, max, 1.0), max);
        let j = random_fraction();
        assert!((0.0..1.0).contains(&j));
        assert_ne!(random_fraction(), random_fraction());
    }
}
