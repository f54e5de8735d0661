//! Answering an approval, shared by the API (`POST /api/v1/approvals/{id}/approve`) and
//! the CLI (`medic approve ID`): the request, its validation, and the answer's effect.
//!
//! An answer only records who decided what; the worker that claims the approved incident
//! checks the policy again before anything is executed. Nothing here touches the cluster.

use jiff::Timestamp;
use serde::Deserialize;

use crate::store::{Answer, Answered, Store, StoreError};

/// The longest accepted `by`.
const MAX_BY: usize = 200;
/// The longest accepted `reason`.
const MAX_REASON: usize = 2000;

/// Who answers and why (`{"by": "alice", "reason": "checked the dashboards"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// Who answers: required.
    #[serde(default)]
    pub by: Option<String>,
    /// Why: optional.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A request field that is missing or unacceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidAnswer {
    /// The field (`by`, `reason`).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// A validated answer: who (trimmed, not empty) and why (trimmed; empty is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAnswer {
    /// Who answers.
    pub by: String,
    /// Why.
    pub reason: Option<String>,
}

impl AnswerRequest {
    /// Checks the request.
    pub fn validate(&self) -> Result<ValidAnswer, InvalidAnswer> {
        let by = self.by.as_deref().map(str::trim).unwrap_or_default();
        if by.is_empty() {
            return Err(InvalidAnswer {
                field: "by",
                message: "required: who answers the approval (a name or an e-mail address)".into(),
            });
        }
        if by.chars().count() > MAX_BY || by.chars().any(char::is_control) {
            return Err(InvalidAnswer {
                field: "by",
                message: format!("must be at most {MAX_BY} characters without control characters"),
            });
        }
        let reason = self.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason
            && r.chars().count() > MAX_REASON
        {
            return Err(InvalidAnswer {
                field: "reason",
                message: format!("must be at most {MAX_REASON} characters, found {}", r.chars().count()),
            });
        }
        Ok(ValidAnswer {
            by: by.to_string(),
            reason: reason.map(str::to_string),
        })
    }
}

/// Records `answer` to approval `id` at `now`.
pub async fn answer(
    store: &dyn Store,
    id: i64,
    answer: Answer,
    valid: &ValidAnswer,
    now: Timestamp,
) -> Result<Answered, StoreError> {
    store.answer(id, answer, &valid.by, valid.reason.as_deref(), now).await
}

/// Why an answer was refused, in words (for a 409 and the CLI): `None` when it was
/// recorded.
pub fn refusal(id: &str, answered: &Answered) -> Option<String> {
    match answered {
        Answered::Done(_) => None,
        Answered::NotFound => Some(format!("approval {id} not found")),
        Answered::NotPending(a) => Some(format!(
            "approval {id} is not pending: it was {} by {} at {}",
            a.state.as_str(),
            a.decided_by.as_deref().unwrap_or("unknown"),
            a.decided_at
                .map(|t| t.to_string())
                .unwrap_or_else(|| "an unknown time".into())
        )),
        Answered::Expired(a) => Some(format!(
            "approval {id} expired at {} before it was answered; the incident was not executed",
            a.expires_at
        )),
    }
}
