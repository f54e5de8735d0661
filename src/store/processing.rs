//! The store's processing and approval seams, parts of [`super::Store`].
//!
//! [`ProcessingStore`] hands incidents to workers under a lease held by one process (a
//! random owner id per process) and stores what the pipeline did, every write fenced on
//! that owner, so a process that lost its lease cannot overwrite the work of the one that
//! took the incident over. Execution is two-phase: the decision and its plan are stored
//! with the incident `executing` before anything is applied, the outcome after.
//! [`ApprovalStore`] keeps the approvals of held decisions.
//!
//! These only keep records: deciding, planning and the cluster are the pipeline's.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{DecisionRecord, ProcessingState, StoreError};
use crate::assess::Assessment;
use crate::execute::Outcome;
use crate::incident::Incident;

/// An incident taken by one worker, under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The incident's id.
    pub id: String,
    /// What to do with it: `deciding` (decide it; nothing was applied yet), `approved`
    /// (re-check the stored decision and execute it) or `executing` (a process died while
    /// applying its plan: check the cluster before anything is retried).
    pub state: ProcessingState,
    /// The incident as last reported.
    pub incident: Incident,
    /// When it was received.
    pub received_at: Timestamp,
    /// The lease's owner (the claiming process).
    pub owner: String,
}

/// Work claimed with a lease, and the fenced writes of the pipeline.
///
/// Driven by the worker. A claim takes `received` and `approved` incidents, and `deciding`
/// or `executing` ones whose lease expired (their process died); on PostgreSQL concurrent
/// claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`), so two replicas never get
/// the same incident. Every write here requires the caller to still own the lease, else
/// it fails with [`StoreError::LeaseLost`] and writes nothing; the final writes clear it.
#[async_trait]
pub trait ProcessingStore: Send + Sync {
    /// Claims up to `limit` incidents for `owner` until `until`, oldest first: `received`
    /// ones move to `deciding`; the others keep their state.
    async fn claim_next(
        &self,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError>;

    /// Claims the incident `id` as [`ProcessingStore::claim_next`] would; `None` when it is
    /// not claimable (taken, done, or unknown).
    async fn claim_id(
        &self,
        id: &str,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Option<Claimed>, StoreError>;

    /// Extends `owner`'s lease on `id` to `until` (the heartbeat); `false` when the lease
    /// is no longer `owner`'s.
    async fn renew_lease(&self, id: &str, owner: &str, until: Timestamp) -> Result<bool, StoreError>;

    /// Stores a decision that executes nothing now (planned, escalated, denied, held,
    /// failed) and moves the incident to the record's state, releasing the lease, in one
    /// transaction. A `held` record gets a pending approval expiring at `approval_expires`,
    /// whose id is returned.
    async fn save_decided(
        &self,
        id: &str,
        owner: &str,
        record: &DecisionRecord,
        approval_expires: Option<Timestamp>,
    ) -> Result<Option<i64>, StoreError>;

    /// The first phase of execution: stores the decision and its plan (the record's
    /// outcome, not yet applied) with the incident `executing`, keeping the lease until
    /// `until`.
    async fn start_execution(
        &self,
        id: &str,
        owner: &str,
        record: &DecisionRecord,
        until: Timestamp,
    ) -> Result<(), StoreError>;

    /// The second phase: stores what applying the plan did on the `executing` incident's
    /// current decision, moves incident and decision to `state` (`executed`, `failed`,
    /// `interrupted`), schedules `assessment` and releases the lease, in one transaction.
    async fn finish_execution(&self, id: &str, owner: &str, finish: &Finish<'_>) -> Result<(), StoreError>;
}

/// What [`ProcessingStore::finish_execution`] stores.
#[derive(Debug, Clone, Copy)]
pub struct Finish<'a> {
    /// The outcome of applying the plan.
    pub outcome: &'a Outcome,
    /// The state the incident ends in.
    pub state: ProcessingState,
    /// Why, when it did not execute (the incident's `error`).
    pub error: Option<&'a str>,
    /// The assessment to schedule, when the action executed.
    pub assessment: Option<&'a Assessment>,
    /// When.
    pub at: Timestamp,
    /// What the audit log calls it (`execution_finished`, `resumed`).
    pub resumed: bool,
}

/// Where an approval is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Waiting for a human.
    Pending,
    /// Approved: the decision is re-checked and executed.
    Approved,
    /// Rejected by a human.
    Rejected,
    /// Nobody answered before it expired.
    Expired,
}

impl ApprovalState {
    /// Every state.
    pub const ALL: [ApprovalState; 4] = [
        ApprovalState::Pending,
        ApprovalState::Approved,
        ApprovalState::Rejected,
        ApprovalState::Expired,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Rejected => "rejected",
            ApprovalState::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A held decision's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The approval's id (`medic approve ID`).
    pub id: i64,
    /// The incident.
    pub incident_id: String,
    /// The held decision.
    pub decision_id: i64,
    /// Where it is.
    pub state: ApprovalState,
    /// When the decision was held.
    pub requested_at: Timestamp,
    /// When a pending approval expires.
    pub expires_at: Timestamp,
    /// Who approved or rejected it (`medic` for expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
}

/// One line of `GET /api/v1/approvals`: the approval and what it is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    /// The approval.
    #[serde(flatten)]
    pub approval: Approval,
    /// The incident's `alertname`.
    pub alertname: String,
    /// The incident's processing state.
    pub incident_state: ProcessingState,
    /// The held action.
    pub action: String,
    /// Its target, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The plan's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_summary: Option<String>,
    /// Why the policy held it (the reasons of the checks that did not pass).
    pub reasons: Vec<String>,
}

/// A human's answer to an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Execute the decision (after the policy is checked again).
    Approve,
    /// Do not.
    Reject,
}

impl Answer {
    /// The approval state the answer moves to.
    pub fn state(self) -> ApprovalState {
        match self {
            Answer::Approve => ApprovalState::Approved,
            Answer::Reject => ApprovalState::Rejected,
        }
    }
}

/// What answering an approval did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// Recorded; the incident moved to `approved` or `rejected`.
    Done(Approval),
    /// No approval with that id.
    NotFound,
    /// It was already answered or expired.
    NotPending(Approval),
    /// It expired before the answer (now marked `expired`, with its incident).
    Expired(Approval),
}

/// The approvals of held decisions.
///
/// Driven by the pipeline (which creates them, in [`ProcessingStore::save_decided`]), the
/// API and CLI (which answer them) and the worker's sweep (which expires them). Each
/// method is one transaction; an approval is answered at most once.
#[async_trait]
pub trait ApprovalStore: Send + Sync {
    /// Approvals in `state` (all when `None`), newest first, at most `limit`.
    async fn approvals(&self, state: Option<ApprovalState>, limit: i64) -> Result<Vec<ApprovalView>, StoreError>;

    /// The latest approval of an incident.
    async fn approval_of(&self, incident_id: &str) -> Result<Option<Approval>, StoreError>;

    /// Answers a pending approval and moves its incident from `held` to `approved` or
    /// `rejected`.
    async fn answer(
        &self,
        id: i64,
        answer: Answer,
        by: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Answered, StoreError>;

    /// Marks pending approvals past their expiry `expired`, with their incidents (up to
    /// `limit`), returning them.
    async fn expire_approvals(&self, now: Timestamp, limit: i64) -> Result<Vec<Approval>, StoreError>;
}
