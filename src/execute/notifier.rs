//! The notification seam: [`Notifier`] posts a message about an incident to a configured
//! channel ([`NotifyChannel`]); [`super::webhook::HttpNotifier`] is the HTTP implementation.
//!
//! A channel's URL is a secret (it authorizes posting): it must never appear in a log
//! line, an error, an outcome or the store. Errors name the channel instead.

use async_trait::async_trait;

use crate::actions::settings::NotifyChannel;
use crate::cluster::ObjectRef;
use crate::incident::Incident;

/// One message and what it is about (the JSON body format carries all of it; the Slack
/// format only the text).
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The text for people.
    pub text: &'a str,
    /// The incident.
    pub incident: &'a Incident,
    /// The action that sends it (`notify`, `escalate`).
    pub action: &'a str,
    /// The plan's summary.
    pub summary: &'a str,
    /// The object acted on, if any.
    pub target: Option<&'a ObjectRef>,
    /// Whether medic runs in dry-run (nothing in the cluster is changed).
    pub dry_run: bool,
}

/// Why a notification was not delivered. No variant carries the channel's URL.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The plan names a channel that is not in `actions.notify`.
    #[error("notify channel {0:?} is not configured (actions.notify)")]
    UnknownChannel(String),
    /// The channel has neither `url` nor `url_env`.
    #[error("notify channel {0:?} has neither url nor url_env configured")]
    NoUrl(String),
    /// `url_env` names an environment variable that is not set.
    #[error("notify channel {channel:?}: the environment variable {var} (its url_env) is not set")]
    MissingEnv {
        /// The channel.
        channel: String,
        /// The variable.
        var: String,
    },
    /// The URL does not parse.
    #[error("notify channel {channel:?}: its URL is not valid: {message}")]
    InvalidUrl {
        /// The channel.
        channel: String,
        /// Why (without the URL).
        message: String,
    },
    /// The webhook could not be reached or did not answer in time.
    #[error("notify channel {channel:?}: the webhook could not be reached: {message}")]
    Transport {
        /// The channel.
        channel: String,
        /// Why (without the URL).
        message: String,
    },
    /// The webhook answered with a status other than 2xx.
    #[error("notify channel {channel:?}: the webhook answered {status}: {body}")]
    Status {
        /// The channel.
        channel: String,
        /// The HTTP status.
        status: u16,
        /// The first 200 bytes of the answer's body.
        body: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for notifications: {0}")]
    Client(String),
}

/// Delivers notifications.
///
/// Driven by the executor for each [`crate::cluster::Operation::Notify`] it runs; one call
/// is one delivery attempt (no retries). `Ok` carries a short description of the answer
/// (`delivered (200 OK)`); errors never contain the channel's URL.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Posts `message` to `channel`.
    async fn send(&self, channel: &NotifyChannel, message: &Message<'_>) -> Result<String, NotifyError>;
}

/// A notifier that sends nothing and says so: for one-off runs that must not reach
/// anyone (`medic recommend`), where even an escalation's notification stays a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct Withheld;

#[async_trait]
impl Notifier for Withheld {
    async fn send(&self, channel: &NotifyChannel, _message: &Message<'_>) -> Result<String, NotifyError> {
        Ok(format!(
            "withheld from {} (this command sends no notifications)",
            channel.name
        ))
    }
}
