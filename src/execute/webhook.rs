//! [`HttpNotifier`]: notifications as HTTP POSTs to webhooks, in Slack's body format
//! (`{"text": ...}`, also taken by Mattermost and Rocket.Chat) or medic's own JSON.
//!
//! The URL comes from the channel's `url`, else from the environment variable its
//! `url_env` names; it is used for the request and nothing else (never logged, never in
//! an error: reqwest's errors are stripped of it).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::notifier::{Message, Notifier, NotifyError};
use crate::actions::settings::{NotifyChannel, NotifyFormat};

/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How much of an error answer's body is quoted.
const MAX_QUOTED_BODY: usize = 200;

/// Looks an environment variable up.
type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Posts notifications to webhooks over HTTP(S).
#[derive(Clone)]
pub struct HttpNotifier {
    client: reqwest::Client,
    env: EnvLookup,
}

impl std::fmt::Debug for HttpNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpNotifier").finish_non_exhaustive()
    }
}

impl HttpNotifier {
    /// A notifier with a 10 s timeout per delivery, reading `url_env` variables from the
    /// process environment.
    pub fn new() -> Result<HttpNotifier, NotifyError> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| NotifyError::Client(e.without_url().to_string()))?;
        Ok(HttpNotifier {
            client,
            env: Arc::new(|name| std::env::var(name).ok()),
        })
    }

    /// Reads `url_env` variables through `lookup` instead of the process environment.
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> HttpNotifier {
        self.env = Arc::new(lookup);
        self
    }

    /// The channel's URL: `url`, else the value of the variable `url_env` names.
    fn url(&self, channel: &NotifyChannel) -> Result<reqwest::Url, NotifyError> {
        let text = match (&channel.url, &channel.url_env) {
            (Some(url), _) => url.clone(),
            (None, Some(var)) => (self.env)(var).ok_or_else(|| NotifyError::MissingEnv {
                channel: channel.name.clone(),
                var: var.clone(),
            })?,
            (None, None) => return Err(NotifyError::NoUrl(channel.name.clone())),
        };
        reqwest::Url::parse(text.trim()).map_err(|e| NotifyError::InvalidUrl {
            channel: channel.name.clone(),
            message: e.to_string(),
        })
    }
}

#[async_trait]
impl Notifier for HttpNotifier {
    async fn send(&self, channel: &NotifyChannel, message: &Message<'_>) -> Result<String, NotifyError> {
        let url = self.url(channel)?;
        let transport = |e: reqwest::Error| NotifyError::Transport {
            channel: channel.name.clone(),
            message: error_chain(e.without_url()),
        };
        let response = self
            .client
            .post(url)
            .json(&body(channel.format, message))
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(channel = %channel.name, status = status.as_u16(), action = message.action, "notification delivered");
            return Ok(format!("delivered ({status})"));
        }
        let bytes = response.bytes().await.unwrap_or_default();
        let quoted = &bytes[..bytes.len().min(MAX_QUOTED_BODY)];
        Err(NotifyError::Status {
            channel: channel.name.clone(),
            status: status.as_u16(),
            body: String::from_utf8_lossy(quoted).into_owned(),
        })
    }
}

/// The request body in the channel's format.
pub fn body(format: NotifyFormat, m: &Message<'_>) -> Value {
    match format {
        NotifyFormat::Slack => json!({"text": m.text}),
        NotifyFormat::Json => {
            let i = m.incident;
            json!({
                "source": "medic",
                "text": m.text,
                "action": m.action,
                "summary": m.summary,
                "target": m.target.map(ToString::to_string),
                "dry_run": m.dry_run,
                "incident": {
                    "alertname": i.alertname,
                    "status": i.status.as_str(),
                    "severity": i.severity,
                    "fingerprint": i.fingerprint,
                    "starts_at": i.starts_at.to_string(),
                    "summary": i.summary(),
                    "labels": i.labels,
                    "annotations": i.annotations,
                },
            })
        }
    }
}

/// An error and its causes, `outer: inner`, without repeating what the parent quotes.
fn error_chain(e: reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
