//! The `Incident` domain type and its identity.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::target::TargetRef;

/// Label or annotation set, ordered so that renderings and hashes are stable.
pub type Labels = BTreeMap<String, String>;

/// Whether the condition behind an alert still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// The alert is active.
    Firing,
    /// Alertmanager reported the alert as no longer active.
    Resolved,
}

impl AlertStatus {
    /// The lower-case wire name (`firing`, `resolved`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "firing" => Some(AlertStatus::Firing),
            "resolved" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }
}

/// What makes two notifications the same incident: Alertmanager's fingerprint plus the
/// time the alert started. A re-fire after resolution has a new `startsAt`, so it is a
/// new incident; a redelivery of the same notification is not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IncidentKey {
    /// Alertmanager's fingerprint (a hash of the label set).
    pub fingerprint: String,
    /// When the alert started firing.
    pub starts_at: Timestamp,
}

/// One occurrence of trouble, built from one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Where the signal came from (`alertmanager`).
    pub source: String,
    /// Alertmanager's fingerprint of the label set.
    pub fingerprint: String,
    /// Firing or resolved, as last reported.
    pub status: AlertStatus,
    /// The `alertname` label.
    pub alertname: String,
    /// The `severity` label, when present.
    pub severity: Option<String>,
    /// Every label of the alert.
    pub labels: Labels,
    /// Every annotation of the alert.
    pub annotations: Labels,
    /// When the alert started firing.
    pub starts_at: Timestamp,
    /// When it ended; `None` while unset (Alertmanager's `0001-01-01T00:00:00Z`).
    pub ends_at: Option<Timestamp>,
    /// Link to the expression that fired, if any.
    pub generator_url: Option<String>,
    /// The Alertmanager receiver that delivered it.
    pub receiver: Option<String>,
    /// Alertmanager's group key (alerts of one group share it).
    pub group_key: Option<String>,
    /// The Kubernetes object the alert is about, as far as the labels tell.
    pub target: Option<TargetRef>,
}

impl Incident {
    /// The identity used for idempotent storage.
    pub fn key(&self) -> IncidentKey {
        IncidentKey {
            fingerprint: self.fingerprint.clone(),
            starts_at: self.starts_at,
        }
    }

    /// The `summary` annotation, or the `description`, or the alert name.
    pub fn summary(&self) -> &str {
        self.annotations
            .get("summary")
            .or_else(|| self.annotations.get("description"))
            .or_else(|| self.annotations.get("message"))
            .map(String::as_str)
            .unwrap_or(&self.alertname)
    }
}
