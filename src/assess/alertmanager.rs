//! A small client of Alertmanager's API v2: is an alert still active?
//!
//! `GET {base}/api/v2/alerts?active=true&filter=alertname="X"` answers a JSON array of
//! `gettableAlert` objects (`fingerprint`, `status: {state, silencedBy, inhibitedBy}`,
//! `labels`, `annotations`, `startsAt`, `endsAt`, `updatedAt`, `receivers`,
//! `generatorURL`). An alert listed there, silenced or not, still fires; one absent from
//! the list has resolved. This module only reads Alertmanager; it never silences or
//! changes anything there.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

/// Why Alertmanager could not answer.
#[derive(Debug, thiserror::Error)]
pub enum AlertmanagerError {
    /// The configured base URL cannot be used.
    #[error("invalid Alertmanager URL {url:?}: {message}")]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// Why.
        message: String,
    },
    /// The request did not complete (refused, timed out, TLS).
    #[error("request to {url} failed: {message}")]
    Request {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Alertmanager answered with an error status.
    #[error("{url} answered {status}: {body}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer was not the expected JSON.
    #[error("{url} answered something other than a list of alerts: {message}")]
    Decode {
        /// The URL requested.
        url: String,
        /// The decoding error.
        message: String,
    },
}

/// One alert as Alertmanager lists it (the fields medic reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableAlert {
    /// The alert's fingerprint (a hash of its labels), as in webhook notifications.
    pub fingerprint: String,
    /// Whether it is active, silenced or inhibited.
    pub status: AlertState,
    /// Its labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// When it started firing.
    #[serde(default)]
    pub starts_at: Option<String>,
}

/// The `status` of a listed alert.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertState {
    /// `active`, `suppressed` or `unprocessed`.
    pub state: String,
    /// Silences muting it.
    #[serde(default)]
    pub silenced_by: Vec<String>,
    /// Alerts inhibiting it.
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

/// Reads alerts from one Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    alerts_url: Url,
    http: reqwest::Client,
}

impl AlertmanagerClient {
    /// A client of the Alertmanager at `base` (`http://alertmanager:9093`, with any route
    /// prefix), giving up on a request after `timeout`.
    pub fn new(base: &str, timeout: Duration) -> Result<AlertmanagerClient, AlertmanagerError> {
        let bad = |message: String| AlertmanagerError::BadUrl {
            url: base.to_string(),
            message,
        };
        let mut alerts_url = Url::parse(base).map_err(|e| bad(e.to_string()))?;
        if !matches!(alerts_url.scheme(), "http" | "https") {
            return Err(bad(format!("scheme {:?} is not http or https", alerts_url.scheme())));
        }
        let path = format!("{}/api/v2/alerts", alerts_url.path().trim_end_matches('/'));
        alerts_url.set_path(&path);
        alerts_url.set_query(None);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| bad(format!("cannot build an HTTP client: {e}")))?;
        Ok(AlertmanagerClient { alerts_url, http })
    }

    /// The active alerts (silenced and inhibited ones included) named `alertname`.
    pub async fn active_alerts(&self, alertname: &str) -> Result<Vec<GettableAlert>, AlertmanagerError> {
        let mut url = self.alerts_url.clone();
        url.query_pairs_mut()
            .append_pair("active", "true")
            .append_pair("filter", &format!("alertname={}", quote(alertname)));
        let shown = url.to_string();
        let response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| AlertmanagerError::Request {
                url: shown.clone(),
                message: error_chain(&e),
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| AlertmanagerError::Request {
            url: shown.clone(),
            message: error_chain(&e),
        })?;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&bytes).chars().take(200).collect();
            return Err(AlertmanagerError::Status {
                url: shown,
                status: status.as_u16(),
                body,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| AlertmanagerError::Decode {
            url: shown,
            message: e.to_string(),
        })
    }

    /// The alert with this fingerprint if Alertmanager still lists it as active.
    pub async fn find_active(
        &self,
        alertname: &str,
        fingerprint: &str,
    ) -> Result<Option<GettableAlert>, AlertmanagerError> {
        let alerts = self.active_alerts(alertname).await?;
        Ok(alerts.into_iter().find(|a| a.fingerprint == fingerprint))
    }
}

/// A matcher value in Alertmanager's syntax: double-quoted, `\` and `"` escaped.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An error with its sources, one after the other.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alerts_url_keeps_a_route_prefix() {
        let c = AlertmanagerClient::new("http://am.example:9093/alertmanager/", Duration::from_secs(1)).unwrap();
        assert_eq!(
            c.alerts_url.as_str(),
            "http://am.example:9093/alertmanager/api/v2/alerts"
        );
        let c = AlertmanagerClient::new("https://am.example", Duration::from_secs(1)).unwrap();
        assert_eq!(c.alerts_url.as_str(), "https://am.example/api/v2/alerts");
        assert!(matches!(
            AlertmanagerClient::new("am.example:9093", Duration::from_secs(1)),
            Err(AlertmanagerError::BadUrl { .. })
        ));
    }

    #[test]
    fn matcher_values_are_quoted() {
        assert_eq!(quote("KubePodCrashLooping"), "\"KubePodCrashLooping\"");
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
