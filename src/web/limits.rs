//! Request limits: the webhook's per-client rate limit (a token bucket per IP address)
//! and the middlewares that refuse oversized headers (431) and answer requests that take
//! too long (503 with `Retry-After`, so Alertmanager retries).
//!
//! The clock is tokio's, so tests can pause it. Nothing here reads a header's value.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use super::AppState;
use crate::config::security::RateLimitConfig;

/// Clients tracked before idle ones (full buckets) are forgotten.
const MAX_TRACKED_CLIENTS: usize = 10_000;

/// A token bucket per client IP address.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// The limiter a config describes; `None` when it is off (`per_second: 0`).
    pub fn from_config(config: &RateLimitConfig) -> Option<RateLimiter> {
        (config.per_second > 0.0).then(|| RateLimiter::new(config.per_second, config.burst.max(1)))
    }

    /// `per_second` tokens refilled per second, at most `burst` saved.
    pub fn new(per_second: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second,
            burst: f64::from(burst),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client`; when none is left, how long until one is.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&client) {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refilled).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second))
        }
    }
}

/// 429 with `Retry-After` (whole seconds, at least 1).
pub fn too_many_requests(retry_after: Duration) -> Response {
    let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    let mut resp = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(
            json!({ "error": format!("too many requests from this client (webhook.rate_limit); retry in {seconds}s") }),
        ),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    resp
}

/// Refuses requests whose headers are too many or too large (431), then answers 503 with
/// `Retry-After` when the rest of the request takes longer than `http.request_timeout`.
pub async fn limit_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let http = &state.security.http;
    let headers = req.headers();
    let size: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if headers.len() > http.max_headers || size > http.max_header_bytes {
        state.metrics.rejected("headers_too_large");
        let message = format!(
            "request headers too large: {} headers, {size} bytes (limits: http.max_headers {}, http.max_header_bytes {})",
            headers.len(),
            http.max_headers,
            http.max_header_bytes
        );
        return (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Json(json!({ "error": message })),
        )
            .into_response();
    }
    let timeout = http.request_timeout.std();
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            state.metrics.rejected("timeout");
            let mut resp = (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "error": format!("request not answered within {} (http.request_timeout); try again", http.request_timeout)
                })),
            )
                .into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_bucket_empties_and_refills_per_client() {
        let limiter = RateLimiter::new(2.0, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(wait <= Duration::from_millis(500) && wait > Duration::ZERO, "{wait:?}");
        assert!(limiter.check(b).is_ok(), "another client has its own bucket");
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_err());
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok(), "refilled up to the burst");
        }
        assert!(limiter.check(a).is_err());
    }

    #[test]
    fn off_when_per_second_is_zero() {
        assert!(
            RateLimiter::from_config(&RateLimitConfig {
                per_second: 0.0,
                burst: 5
            })
            .is_none()
        );
        assert!(RateLimiter::from_config(&RateLimitConfig::default()).is_some());
    }
}
