//! The store's history and assessment seams, parts of [`super::Store`].
//!
//! [`HistoryStore`] answers the history and statistics queries and enforces retention;
//! [`AssessmentStore`] keeps the assessment schedule, so that a restart forgets nothing:
//! assessments are claimed like incidents (an atomic update with a lease), scored, and
//! revised when the alert recurs. Both only keep records: scoring is the assessor's job.

use async_trait::async_trait;
use jiff::Timestamp;

use super::StoreError;
use crate::assess::{AssessmentResult, DueAssessment};
use crate::history::{ActionStats, HistoryEntry, HistoryQuery, StatsQuery};

/// History and statistics of incidents, decisions, outcomes and assessments.
///
/// Driven by the API, the CLI and the pipeline (to give deciders the history). Reads are
/// single statements (one snapshot). `purge_older_than` deletes incidents with everything
/// recorded about them.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Incidents matching the filters, newest first, each with its latest decision,
    /// outcome and assessment. `workload` matches the incident's workload or its target.
    async fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Statistics per (alertname, action, namespace, workload), most recently used first.
    /// An incident without a workload counts under its target's name.
    async fn stats(&self, query: &StatsQuery) -> Result<Vec<ActionStats>, StoreError>;

    /// Deletes the incidents received before `cutoff`, with their decisions, outcomes and
    /// assessments, returning how many incidents were deleted.
    async fn purge_older_than(&self, cutoff: Timestamp) -> Result<u64, StoreError>;
}

/// The assessment schedule.
///
/// Driven by the pipeline (which schedules an assessment with the decision, in
/// [`super::Store::save_result`]) and by the assessor (which claims, scores and revises).
/// Every method is atomic; two assessors never score the same assessment at once.
#[async_trait]
pub trait AssessmentStore: Send + Sync {
    /// Claims up to `limit` assessments due at `now` (or claimed longer ago than the lease
    /// by an assessor that died), oldest due first, moving them to `scoring`. Each comes
    /// with the facts the store knows: the incident's resolution, and the first recurrence
    /// within the window.
    async fn claim_due_assessments(&self, now: Timestamp, limit: i64) -> Result<Vec<DueAssessment>, StoreError>;

    /// Stores the scores of claimed assessments, given by id, in one transaction; for each,
    /// `false` when it is no longer `scoring` (it was purged, or another assessor took it
    /// over after the lease and scored it).
    async fn save_assessments(&self, scored: &[(i64, AssessmentResult)]) -> Result<Vec<bool>, StoreError>;

    /// Provisionally scored assessments whose alert has recurred since (up to `limit`),
    /// with the recurrence, to be revised.
    async fn recurred_assessments(&self, limit: i64) -> Result<Vec<DueAssessment>, StoreError>;

    /// Stores a revised score if the assessment is still provisional and was revised
    /// `revisions` times so far; `false` when someone else revised it first.
    async fn revise_assessment(&self, id: i64, revisions: i64, result: &AssessmentResult) -> Result<bool, StoreError>;

    /// Marks `final` the provisional assessments whose recurrence window ended by `now`
    /// without a recurrence, returning how many.
    async fn finalize_assessments(&self, now: Timestamp) -> Result<u64, StoreError>;
}
