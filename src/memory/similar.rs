//! [`SimilarIncident`]: one past incident like the current one, as the context carries
//! it to deciders, the policy stage and the user. Plain data: no I/O here.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A past incident similar to the one being decided, with what was done about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarIncident {
    /// medic's id of the past incident.
    pub incident_id: String,
    /// Cosine similarity of the two incidents' texts, -1..1 (1: the same).
    pub similarity: f32,
    /// Its `alertname`.
    pub alertname: String,
    /// Its target, as text (`Deployment/shop/api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Its namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// When it started firing.
    pub started_at: Timestamp,
    /// Its summary annotation (or description, or alert name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The action its latest decision chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Where it ended up (`executed`, `planned`, `escalated`, `denied`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// How well the action worked, 0..1, once assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effectiveness: Option<f64>,
}
