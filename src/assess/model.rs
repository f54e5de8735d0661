//! The assessment domain types: a scheduled or scored [`Assessment`], its signals and
//! evidence, and what the store hands the assessor ([`DueAssessment`]) and takes back
//! ([`AssessmentResult`]).
//!
//! Plain data: no clock, no store, no cluster.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::cluster::ObjectRef;

/// Where an assessment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentState {
    /// Scheduled; waiting for its due time.
    Pending,
    /// Claimed by an assessor that is reading the signals.
    Scoring,
    /// Scored; a recurrence within the recurrence window may still lower the score.
    Provisional,
    /// Scored for good: the recurrence window has passed, or the alert recurred.
    Final,
}

impl AssessmentState {
    /// Every state.
    pub const ALL: [AssessmentState; 4] = [
        AssessmentState::Pending,
        AssessmentState::Scoring,
        AssessmentState::Provisional,
        AssessmentState::Final,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentState::Pending => "pending",
            AssessmentState::Scoring => "scoring",
            AssessmentState::Provisional => "provisional",
            AssessmentState::Final => "final",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a score exists.
    pub fn is_scored(self) -> bool {
        matches!(self, AssessmentState::Provisional | AssessmentState::Final)
    }
}

/// The three signals an assessment reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Pods of the target Ready, restart counts not increased, the condition gone.
    Health,
    /// The alert resolved (webhook) or no longer active (Alertmanager).
    Alert,
    /// The alert did not fire again within the recurrence window.
    Recurrence,
}

impl Signal {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Health => "health",
            Signal::Alert => "alert",
            Signal::Recurrence => "recurrence",
        }
    }
}

/// Each signal's score, 0..1; `None` when it could not be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Components {
    /// Target health.
    pub health: Option<f64>,
    /// Alert state.
    pub alert: Option<f64>,
    /// No recurrence.
    pub recurrence: Option<f64>,
}

/// One thing a signal saw, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The signal it belongs to.
    pub signal: Signal,
    /// What was seen.
    pub detail: String,
}

impl Evidence {
    /// Evidence for `signal`.
    pub fn new(signal: Signal, detail: impl Into<String>) -> Evidence {
        Evidence {
            signal,
            detail: detail.into(),
        }
    }
}

/// A container's restart count when the action was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartCount {
    /// Pod name.
    pub pod: String,
    /// Container name.
    pub container: String,
    /// Restarts so far.
    pub restarts: i64,
}

/// The subject's state when the action was decided, to compare with later.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Pods concerned.
    pub pods: usize,
    /// Of which Ready.
    pub ready: usize,
    /// Restart counts per container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restarts: Vec<RestartCount>,
}

/// The effectiveness assessment of one executed action: its schedule and, once scored,
/// its score, components and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Where it is.
    pub state: AssessmentState,
    /// The object whose health is read: the workload, else the action's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<ObjectRef>,
    /// When the action finished executing.
    pub executed_at: Timestamp,
    /// When it is scored: `executed_at` plus the action's stabilization window.
    pub due_at: Timestamp,
    /// Until when a new firing of the alert counts as a recurrence.
    pub recurrence_until: Timestamp,
    /// The subject's state when the action was decided.
    pub baseline: Baseline,
    /// The weighted score, 0..1 (absent until scored, or when no signal could be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Each signal's score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Components>,
    /// What the signals saw.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// When it was (last) scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored_at: Option<Timestamp>,
    /// How many times the score was revised after scoring.
    #[serde(default)]
    pub revisions: i64,
}

/// A new firing of the alert after the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    /// The new incident.
    pub incident_id: String,
    /// When it was received.
    pub received_at: Timestamp,
}

/// An assessment handed to the assessor, with the facts the store knows.
#[derive(Debug, Clone, PartialEq)]
pub struct DueAssessment {
    /// The assessment's id in the store.
    pub id: i64,
    /// The incident the action answered.
    pub incident_id: String,
    /// The incident's alertname.
    pub alertname: String,
    /// The incident's fingerprint.
    pub fingerprint: String,
    /// The action's catalog name.
    pub action: String,
    /// The assessment as stored.
    pub assessment: Assessment,
    /// When the incident's resolved notification arrived, if it did.
    pub resolved_at: Option<Timestamp>,
    /// The first recurrence within the window, if any.
    pub recurrence: Option<Recurrence>,
}

/// What the assessor stores for one assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentResult {
    /// `provisional` or `final`.
    pub state: AssessmentState,
    /// The weighted score.
    pub score: Option<f64>,
    /// Each signal's score.
    pub components: Components,
    /// What the signals saw.
    pub evidence: Vec<Evidence>,
    /// When.
    pub scored_at: Timestamp,
}
