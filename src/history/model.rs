//! The history domain types: what the history and statistics queries take and return.
//!
//! Plain data; the store fills them, the API and the CLI show them, and
//! [`super::facts`] condenses them into what deciders see.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::assess::Assessment;
use crate::execute::OutcomeStatus;
use crate::store::ProcessingState;

/// An assessed attempt scoring at least this counts as a success in the statistics:
/// with the default weights, an attempt after which the alert recurred (0.75) or kept
/// firing (0.65) is not one.
pub const SUCCESS_SCORE: f64 = 0.8;

/// Filters of `GET /api/v1/history` and `medic history`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only incidents in this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Only incidents about this workload: its name, or the name of the alert's target.
    #[serde(default)]
    pub workload: Option<String>,
    /// Only this alertname.
    #[serde(default)]
    pub alertname: Option<String>,
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

impl HistoryQuery {
    /// The effective limit.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }
}

/// Filters of `GET /api/v1/stats` and `medic history stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Only this alertname.
    #[serde(default)]
    pub alertname: Option<String>,
    /// Only this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Only this workload (or, for incidents without one, this target name).
    #[serde(default)]
    pub workload: Option<String>,
}

/// One incident of the history, with its latest decision, outcome and assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// medic's id of the incident.
    pub incident_id: String,
    /// `alertname`.
    pub alertname: String,
    /// Alertmanager's fingerprint.
    pub fingerprint: String,
    /// `firing` or `resolved`, as last reported.
    pub alert_status: String,
    /// Processing state.
    pub state: ProcessingState,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The alert's target, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The workload's kind (`Deployment`), once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_kind: Option<String>,
    /// The workload's name, once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// When it was received.
    pub received_at: Timestamp,
    /// When its resolved notification arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    /// Why processing failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The latest decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<PastDecision>,
}

/// A decision of the history, with its outcome and assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastDecision {
    /// The action's catalog name.
    pub action: String,
    /// Its parameters.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
    /// The object acted on, as text (`deployment/shop/api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The decider (`rules`, `builtin-rules`, `llm`, `fallback`).
    pub decider: String,
    /// The rule or model that answered.
    pub decided_by: String,
    /// The model, for LLM decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Prompt tokens, for LLM decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_in: Option<i64>,
    /// Completion tokens, for LLM decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_out: Option<i64>,
    /// The decider's confidence.
    pub confidence: f64,
    /// `allow`, `hold` or `deny`.
    pub verdict: String,
    /// When it was decided.
    pub decided_at: Timestamp,
    /// Milliseconds from receipt to decision.
    pub latency_ms: i64,
    /// The workload's desired replicas when decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas_before: Option<i64>,
    /// What execution did.
    pub outcome: PastOutcome,
    /// Its effectiveness assessment, for executed actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
}

impl PastDecision {
    /// Whether the action was attempted against the cluster (executed or failed).
    pub fn attempted(&self) -> bool {
        matches!(self.outcome.status, OutcomeStatus::Executed | OutcomeStatus::Failed)
    }

    /// The assessment's score, once scored.
    pub fn score(&self) -> Option<f64> {
        self.assessment.as_ref().and_then(|a| a.score)
    }
}

/// What execution did, as the history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastOutcome {
    /// `planned`, `executed`, `failed` or `skipped`.
    pub status: OutcomeStatus,
    /// The API error or why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When execution started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
}

/// Statistics of one action for one alertname on one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionStats {
    /// `alertname`.
    pub alertname: String,
    /// The action's catalog name.
    pub action: String,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The workload's kind, or the target's for incidents without a workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_kind: Option<String>,
    /// The workload's name, or the target's for incidents without a workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Times the action was decided.
    pub decisions: i64,
    /// Of which only planned (dry-run).
    pub planned: i64,
    /// Times it was attempted against the cluster (executed or failed).
    pub attempts: i64,
    /// Attempts whose execution failed.
    pub failures: i64,
    /// Attempts with an effectiveness score.
    pub assessed: i64,
    /// Assessed attempts scoring at least [`SUCCESS_SCORE`].
    pub successes: i64,
    /// The mean score of the assessed attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_score: Option<f64>,
    /// The outcome of the latest decision.
    pub last_outcome: OutcomeStatus,
    /// The latest decision's score, once scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_score: Option<f64>,
    /// When the latest decision was made.
    pub last_at: Timestamp,
}
