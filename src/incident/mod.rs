//! Incidents: what medic is asked to deal with.
//!
//! An incident is one occurrence of trouble from one signal; today the only signal is an
//! Alertmanager alert (`alertmanager` parses the webhook body, `model` holds the domain
//! type, `target` resolves the Kubernetes object an alert is about from its labels).
//!
//! This module is pure data and parsing: it must not import kube, sqlx or axum, and must
//! never talk to the network or the store.

pub mod alertmanager;
pub mod model;
pub mod target;

pub use alertmanager::{Alert, AlertParseError, WebhookBody, parse_alert_file, parse_webhook};
pub use model::{AlertStatus, Incident, IncidentKey, Labels};
pub use target::{TargetKind, TargetRef, resolve_target};
