//! The `Outcome` domain type: what execution did (or would do).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::actions::Plan;

/// How execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// Dry-run: the plan was recorded, nothing applied.
    Planned,
    /// Every operation was applied.
    Executed,
    /// An operation failed (see `error`); later ones were not attempted.
    Failed,
    /// The policy denied or held the action, or planning failed; nothing applied.
    Skipped,
}

impl OutcomeStatus {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Planned => "planned",
            OutcomeStatus::Executed => "executed",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Skipped => "skipped",
        }
    }
}

/// What happened to a decision after the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// How it ended.
    pub status: OutcomeStatus,
    /// The plan (absent when planning itself failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// One line per applied operation, as the API answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<String>,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When execution started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
}
