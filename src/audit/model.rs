//! The audit log's records: what callers append and what is stored.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an audit record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// The policy stage's verdict on a decision (allow, hold, deny), with its reasons.
    Verdict,
    /// An action started executing against the cluster.
    ExecutionStarted,
    /// An action finished executing (its outcome).
    ExecutionFinished,
    /// A human approved or rejected a held decision (who, why).
    Approval,
    /// Unfinished work was resumed after a restart or an expired lease.
    Resumed,
    /// A held decision expired without an answer.
    Expired,
}

impl AuditKind {
    /// Every kind, in declaration order.
    pub const ALL: [AuditKind; 6] = [
        AuditKind::Verdict,
        AuditKind::ExecutionStarted,
        AuditKind::ExecutionFinished,
        AuditKind::Approval,
        AuditKind::Resumed,
        AuditKind::Expired,
    ];

    /// The stored name (`verdict`, `execution_started`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Verdict => "verdict",
            AuditKind::ExecutionStarted => "execution_started",
            AuditKind::ExecutionFinished => "execution_finished",
            AuditKind::Approval => "approval",
            AuditKind::Resumed => "resumed",
            AuditKind::Expired => "expired",
        }
    }

    /// The kind a stored name means.
    pub fn parse(name: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for AuditKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event to append to the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// When it happened (stored to the millisecond).
    pub at: Timestamp,
    /// What happened.
    pub kind: AuditKind,
    /// The incident it concerns, if any.
    pub incident_id: Option<String>,
    /// Who did it: `medic` (or a replica's name) for the agent, the approver for approvals.
    pub actor: String,
    /// The details (verdict with reasons, action and outcome, who and why...). Never a
    /// secret: it is stored and shown as it is.
    pub payload: Value,
}

/// One stored record, its columns as read back (text kept as stored, so verification
/// hashes exactly what is in the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When it happened, epoch milliseconds.
    pub at_ms: i64,
    /// What happened (an [`AuditKind`] name).
    pub kind: String,
    /// The incident it concerns, if any.
    pub incident_id: Option<String>,
    /// Who did it.
    pub actor: String,
    /// The details, as canonical JSON text.
    pub payload_json: String,
    /// The previous record's hash ([`super::GENESIS_HASH`] for the first), lowercase hex.
    pub prev_hash: String,
    /// This record's hash, lowercase hex.
    pub hash: String,
}
