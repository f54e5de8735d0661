//! The Alertmanager webhook body (version 4) and its conversion into incidents.
//!
//! Parsing is strict where medic relies on a field (labels, `alertname`, `startsAt`,
//! `status`, `version`) and tolerant of what it does not use. Every error names the JSON
//! path of the offending field and quotes the bad value.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{AlertStatus, Incident, Labels};
use super::target::resolve_target;

/// Why an alert payload was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AlertParseError {
    /// The bytes are not JSON (or YAML, for alert files).
    #[error("invalid alert payload: not valid JSON: {0}")]
    Syntax(String),
    /// A field is missing or has the wrong type.
    #[error("invalid alert payload at {path}: {message}")]
    Field {
        /// JSON path of the field, e.g. `alerts[0].labels`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl AlertParseError {
    fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        AlertParseError::Field {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The path of the offending field, when the error is about one.
    pub fn path(&self) -> Option<&str> {
        match self {
            AlertParseError::Field { path, .. } => Some(path),
            AlertParseError::Syntax(_) => None,
        }
    }
}

/// A webhook notification as Alertmanager posts it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    /// Payload version; medic speaks version `4`.
    pub version: String,
    /// Key of the alert group.
    #[serde(default)]
    pub group_key: String,
    /// How many alerts Alertmanager left out because of `max_alerts`.
    #[serde(default)]
    pub truncated_alerts: u64,
    /// `firing` if any alert of the group fires.
    pub status: AlertStatus,
    /// The receiver's name.
    #[serde(default)]
    pub receiver: String,
    /// Labels the group is keyed on.
    #[serde(default)]
    pub group_labels: Labels,
    /// Labels shared by every alert.
    #[serde(default)]
    pub common_labels: Labels,
    /// Annotations shared by every alert.
    #[serde(default)]
    pub common_annotations: Labels,
    /// Alertmanager's external URL.
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    /// The alerts of the notification.
    pub alerts: Vec<Alert>,
}

/// One alert of a webhook body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// `firing` or `resolved`; defaults to `firing` in alert files.
    #[serde(default = "firing")]
    pub status: AlertStatus,
    /// The alert's labels; `alertname` is required.
    pub labels: Labels,
    /// The alert's annotations.
    #[serde(default)]
    pub annotations: Labels,
    /// When the alert started; alert files may leave it out (then: now).
    #[serde(default)]
    pub starts_at: Option<Timestamp>,
    /// When it ended; the zero time `0001-01-01T00:00:00Z` means unset.
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// Link to the expression that fired.
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    /// Alertmanager's fingerprint; alert files may leave it out (then derived from labels).
    #[serde(default)]
    pub fingerprint: String,
}

fn firing() -> AlertStatus {
    AlertStatus::Firing
}

/// Parses and validates a webhook body.
pub fn parse_webhook(bytes: &[u8]) -> Result<WebhookBody, AlertParseError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| AlertParseError::Syntax(e.to_string()))?;
    webhook_from_value(value)
}

fn webhook_from_value(value: serde_json::Value) -> Result<WebhookBody, AlertParseError> {
    if !value.is_object() {
        return Err(AlertParseError::field(
            "$",
            format!("expected a webhook body (a JSON object), found {}", kind_of(&value)),
        ));
    }
    let body: WebhookBody = serde_path_to_error::deserialize(value).map_err(path_error)?;
    if body.version != "4" {
        return Err(AlertParseError::field(
            "version",
            format!("unsupported webhook version {:?}, expected \"4\"", body.version),
        ));
    }
    for (i, alert) in body.alerts.iter().enumerate() {
        validate_alert(alert, &format!("alerts[{i}]"), true)?;
    }
    Ok(body)
}

/// Parses an alert file for `medic recommend`: either a whole webhook body or one alert,
/// in JSON or YAML. Returns the webhook body (a single alert is wrapped in one).
pub fn parse_alert_file(bytes: &[u8]) -> Result<WebhookBody, AlertParseError> {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(json_err) => serde_yaml_ng::from_slice(bytes)
            .map_err(|_| AlertParseError::Syntax(format!("{json_err} (and not valid YAML either)")))?,
    };
    if value.get("alerts").is_some() {
        return webhook_from_value(value);
    }
    if !value.is_object() {
        return Err(AlertParseError::field(
            "$",
            format!("expected a webhook body or one alert, found {}", kind_of(&value)),
        ));
    }
    let alert: Alert = serde_path_to_error::deserialize(value).map_err(path_error)?;
    validate_alert(&alert, "$", false)?;
    Ok(WebhookBody {
        version: "4".into(),
        group_key: String::new(),
        truncated_alerts: 0,
        status: alert.status,
        receiver: String::new(),
        group_labels: BTreeMap::new(),
        common_labels: alert.labels.clone(),
        common_annotations: alert.annotations.clone(),
        external_url: String::new(),
        alerts: vec![alert],
    })
}

fn validate_alert(alert: &Alert, at: &str, from_alertmanager: bool) -> Result<(), AlertParseError> {
    let prefix = if at == "$" { String::new() } else { format!("{at}.") };
    match alert.labels.get("alertname") {
        Some(name) if !name.trim().is_empty() => {}
        Some(name) => {
            return Err(AlertParseError::field(
                format!("{prefix}labels.alertname"),
                format!("must not be empty, found {name:?}"),
            ));
        }
        None => {
            return Err(AlertParseError::field(
                format!("{prefix}labels.alertname"),
                "missing: every alert needs an alertname label",
            ));
        }
    }
    if from_alertmanager {
        if alert.starts_at.is_none() {
            return Err(AlertParseError::field(format!("{prefix}startsAt"), "missing"));
        }
        if alert.fingerprint.trim().is_empty() {
            return Err(AlertParseError::field(
                format!("{prefix}fingerprint"),
                "missing: Alertmanager always sends one",
            ));
        }
    }
    Ok(())
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>) -> AlertParseError {
    let path = e.path().to_string();
    let path = if path == "." { "$".to_string() } else { path };
    AlertParseError::field(path, e.into_inner().to_string())
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The year Alertmanager uses for "unset" (`0001-01-01T00:00:00Z`); anything before
/// 1970 is treated as unset too.
fn unset_if_zero(t: Option<Timestamp>) -> Option<Timestamp> {
    t.filter(|t| t.as_second() > 0)
}

/// A stable fingerprint for alerts that carry none (alert files, scenarios): the hex of
/// the first 8 bytes of SHA-256 over the sorted label set.
pub fn derive_fingerprint(labels: &Labels) -> String {
    let mut h = Sha256::new();
    for (k, v) in labels {
        h.update(k.as_bytes());
        h.update([0xff]);
        h.update(v.as_bytes());
        h.update([0xfe]);
    }
    hex::encode(&h.finalize()[..8])
}

impl WebhookBody {
    /// Converts every alert into an incident; `now` stands in for a missing `startsAt`.
    pub fn incidents(&self, now: Timestamp) -> Vec<Incident> {
        self.alerts.iter().map(|a| a.to_incident(self, now)).collect()
    }
}

impl Alert {
    /// Converts the alert into an incident, in the context of its notification.
    pub fn to_incident(&self, body: &WebhookBody, now: Timestamp) -> Incident {
        let fingerprint = if self.fingerprint.trim().is_empty() {
            derive_fingerprint(&self.labels)
        } else {
            self.fingerprint.clone()
        };
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Incident {
            source: "alertmanager".into(),
            fingerprint,
            status: self.status,
            alertname: self.labels.get("alertname").cloned().unwrap_or_default(),
            severity: self.labels.get("severity").cloned(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            starts_at: unset_if_zero(self.starts_at).unwrap_or(now),
            ends_at: unset_if_zero(self.ends_at),
            generator_url: non_empty(&self.generator_url),
            receiver: non_empty(&body.receiver),
            group_key: non_empty(&body.group_key),
            target: resolve_target(&self.labels),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::TargetKind;

    const FIRING: &str = include_str!("../../tests/fixtures/alertmanager/kubepodcrashlooping-firing.json");
    const RESOLVED: &str = include_str!("../../tests/fixtures/alertmanager/kubepodcrashlooping-resolved.json");

    #[test]
    fn parses_real_firing_notification() {
        let body = parse_webhook(FIRING.as_bytes()).unwrap();
        assert_eq!(body.version, "4");
        assert_eq!(body.receiver, "webhook");
        let now = Timestamp::now();
        let incidents = body.incidents(now);
        assert_eq!(incidents.len(), 1);
        let i = &incidents[0];
        assert_eq!(i.fingerprint, "fb497679806c8bfd");
        assert_eq!(i.status, AlertStatus::Firing);
        assert_eq!(i.alertname, "KubePodCrashLooping");
        assert_eq!(i.severity.as_deref(), Some("warning"));
        assert_eq!(i.ends_at, None, "0001-01-01 means unset");
        assert_eq!(i.starts_at.to_string(), "2026-11-22T01:45:08.134870845Z");
        assert_eq!(i.group_key.as_deref(), Some("{}:{alertname=\"KubePodCrashLooping\"}"));
        let t = i.target.as_ref().unwrap();
        assert_eq!((t.kind, t.name.as_str()), (TargetKind::Pod, "web-7d4b9c-xyz"));
        assert_eq!(t.namespace.as_deref(), Some("default"));
    }

    #[test]
    fn parses_real_resolved_notification_with_same_key() {
        let now = Timestamp::now();
        let f = &parse_webhook(FIRING.as_bytes()).unwrap().incidents(now)[0];
        let r = &parse_webhook(RESOLVED.as_bytes()).unwrap().incidents(now)[0];
        assert_eq!(r.status, AlertStatus::Resolved);
        assert_eq!(r.key(), f.key());
        assert_eq!(r.ends_at.unwrap().to_string(), "2026-11-22T01:45:15.88927Z");
    }

    #[test]
    fn errors_name_the_field() {
        let mut v: serde_json::Value = serde_json::from_str(FIRING).unwrap();
        v["alerts"][0]["labels"] = serde_json::json!(["x"]);
        let e = parse_webhook(v.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.path(), Some("alerts[0].labels"), "{e}");

        let mut v: serde_json::Value = serde_json::from_str(FIRING).unwrap();
        v["alerts"][0]["labels"].as_object_mut().unwrap().remove("alertname");
        let e = parse_webhook(v.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.path(), Some("alerts[0].labels.alertname"));

        let mut v: serde_json::Value = serde_json::from_str(FIRING).unwrap();
        v["alerts"][0]["startsAt"] = serde_json::json!("yesterday");
        let e = parse_webhook(v.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.path(), Some("alerts[0].startsAt"), "{e}");
        assert!(
            e.to_string().contains("yesterday") || e.to_string().contains("invalid"),
            "{e}"
        );

        let mut v: serde_json::Value = serde_json::from_str(FIRING).unwrap();
        v["version"] = serde_json::json!("3");
        assert_eq!(
            parse_webhook(v.to_string().as_bytes()).unwrap_err().path(),
            Some("version")
        );

        let mut v: serde_json::Value = serde_json::from_str(FIRING).unwrap();
        v.as_object_mut().unwrap().remove("alerts");
        let e = parse_webhook(v.to_string().as_bytes()).unwrap_err();
        assert!(e.to_string().contains("alerts"), "{e}");

        assert!(matches!(parse_webhook(b"{not json"), Err(AlertParseError::Syntax(_))));
        assert_eq!(parse_webhook(b"[1,2]").unwrap_err().path(), Some("$"));
    }

    #[test]
    fn alert_file_may_be_one_alert_in_yaml() {
        let body = parse_alert_file(
            b"labels: {alertname: KubeDeploymentReplicasMismatch, namespace: shop, deployment: api}\n",
        )
        .unwrap();
        let i = &body.incidents(Timestamp::now())[0];
        assert_eq!(i.status, AlertStatus::Firing);
        assert_eq!(i.fingerprint.len(), 16);
        assert_eq!(i.target.as_ref().unwrap().kind, TargetKind::Deployment);
        assert!(parse_alert_file(b"annotations: {}\nlabels: {}\n").is_err());
    }
}
