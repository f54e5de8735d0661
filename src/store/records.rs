//! What the store keeps and returns.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::assess::Assessment;
use crate::context::Context;
use crate::decide::Decision;
use crate::execute::Outcome;
use crate::incident::Incident;
use crate::policy::Verdict;

/// Where an incident is in the pipeline.
///
/// `received` → `deciding` → one of `planned`, `escalated`, `denied`, `held` (→ `approved`
/// → `executing` …, or `rejected`, `expired`), `executing` → `executed` / `failed` /
/// `interrupted`. `deciding`, `approved` and `executing` incidents carry a claim lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingState {
    /// Stored, not yet taken.
    Received,
    /// Being decided.
    Deciding,
    /// Decided and allowed; the plan is recorded (dry-run).
    Planned,
    /// Decided `escalate`: a human has it.
    Escalated,
    /// The policy refused the action.
    Denied,
    /// Waiting for a human's approval.
    Held,
    /// A human approved the held decision; a worker re-checks the policy and executes it.
    Approved,
    /// A human rejected the held decision.
    Rejected,
    /// Nobody approved the held decision in time.
    Expired,
    /// The decision and plan are stored and the plan is being applied (or was, when the
    /// process died: the incident is then checked against the cluster before anything is
    /// retried).
    Executing,
    /// The action was applied.
    Executed,
    /// Deciding, planning or executing failed.
    Failed,
    /// The process died while applying a plan that is not safe to apply twice, and the
    /// cluster did not show it applied: a human must check.
    Interrupted,
    /// A resolved notification for an alert medic never saw firing: nothing to do.
    Ignored,
}

impl ProcessingState {
    /// Every state.
    pub const ALL: [ProcessingState; 14] = [
        ProcessingState::Received,
        ProcessingState::Deciding,
        ProcessingState::Planned,
        ProcessingState::Escalated,
        ProcessingState::Denied,
        ProcessingState::Held,
        ProcessingState::Approved,
        ProcessingState::Rejected,
        ProcessingState::Expired,
        ProcessingState::Executing,
        ProcessingState::Executed,
        ProcessingState::Failed,
        ProcessingState::Interrupted,
        ProcessingState::Ignored,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingState::Received => "received",
            ProcessingState::Deciding => "deciding",
            ProcessingState::Planned => "planned",
            ProcessingState::Escalated => "escalated",
            ProcessingState::Denied => "denied",
            ProcessingState::Held => "held",
            ProcessingState::Approved => "approved",
            ProcessingState::Rejected => "rejected",
            ProcessingState::Expired => "expired",
            ProcessingState::Executing => "executing",
            ProcessingState::Executed => "executed",
            ProcessingState::Failed => "failed",
            ProcessingState::Interrupted => "interrupted",
            ProcessingState::Ignored => "ignored",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the pipeline is done with the incident: no worker will take it again.
    /// `held` is final for the pipeline (a human moves it on, to `approved`, `rejected`
    /// or `expired`); `received`, `deciding`, `approved` and `executing` are not.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            ProcessingState::Received
                | ProcessingState::Deciding
                | ProcessingState::Approved
                | ProcessingState::Executing
        )
    }
}

/// What `record_alerts` did with one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new firing incident, to be decided.
    New {
        /// Its id.
        id: String,
    },
    /// The same notification again: nothing changed.
    Duplicate {
        /// The existing incident.
        id: String,
    },
    /// A resolved notification for a known incident: marked resolved.
    Resolved {
        /// The incident.
        id: String,
    },
    /// A resolved notification for an alert never seen firing: stored as `ignored`.
    ResolvedUnseen {
        /// The new record.
        id: String,
    },
}

impl Recorded {
    /// The incident id.
    pub fn id(&self) -> &str {
        match self {
            Recorded::New { id }
            | Recorded::Duplicate { id }
            | Recorded::Resolved { id }
            | Recorded::ResolvedUnseen { id } => id,
        }
    }
}

/// Everything decided about an incident, stored in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The context the decision was made on.
    pub context: Context,
    /// The decision.
    pub decision: Decision,
    /// The policy's verdict.
    pub verdict: Verdict,
    /// What execution did (or would do).
    pub outcome: Outcome,
    /// The state the incident moves to.
    pub state: ProcessingState,
    /// When the decision was stored.
    pub decided_at: Timestamp,
    /// Milliseconds from receipt to decision (for the latency figures).
    pub latency_ms: i64,
    /// The model that decided (LLM deciders; `None` for rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Prompt tokens the model used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_in: Option<i64>,
    /// Completion tokens the model used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_out: Option<i64>,
    /// The effectiveness assessment of an executed action: scheduled with the decision,
    /// scored later by the assessor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
}

/// One incident with everything known about it (`GET /api/v1/incidents/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredIncident {
    /// medic's id for the incident.
    pub id: String,
    /// Where it is in the pipeline.
    pub state: ProcessingState,
    /// The incident as last reported.
    pub incident: Incident,
    /// When the first notification arrived.
    pub received_at: Timestamp,
    /// When the record last changed.
    pub updated_at: Timestamp,
    /// When the resolved notification arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    /// Why processing failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The latest decision, with context, verdict and outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionRecord>,
}

/// One line of `GET /api/v1/incidents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentSummary {
    /// medic's id.
    pub id: String,
    /// `alertname`.
    pub alertname: String,
    /// `firing` / `resolved`.
    pub status: String,
    /// Processing state.
    pub state: ProcessingState,
    /// The target, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The chosen action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The verdict (`allow`, `hold`, `deny`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// When it was received.
    pub received_at: Timestamp,
}

/// Filters for listing incidents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Only incidents in this processing state.
    #[serde(default)]
    pub state: Option<String>,
    /// Only this alertname.
    #[serde(default)]
    pub alertname: Option<String>,
    /// Only this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Only `firing` or `resolved`.
    #[serde(default)]
    pub status: Option<String>,
}

impl IncidentQuery {
    /// The effective limit.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }
}
