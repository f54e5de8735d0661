//! Storage: incidents, decisions and outcomes, in SQLite (embedded default) or
//! PostgreSQL, through sqlx.
//!
//! [`Store`] is the seam; [`sql::SqlStore`] implements it for both backends with the
//! same SQL (sqlx's `Any` driver, `$n` placeholders) and per-backend migrations under
//! `migrations/sqlite` and `migrations/postgres`, run at start-up. Writes that belong
//! together happen in one transaction, so nothing is half-written.
//!
//! The history and assessment parts of the seam are [`HistoryStore`] and
//! [`AssessmentStore`]; claiming work under a lease and the fenced, two-phase writes of the
//! pipeline are [`ProcessingStore`]; approvals of held decisions are [`ApprovalStore`]: all
//! supertraits of [`Store`].
//!
//! The store keeps records; it must not decide, plan or call the cluster.

pub mod activity;
pub mod history;
pub mod processing;
pub mod records;
pub mod sql;

use async_trait::async_trait;
use jiff::Timestamp;

pub use activity::{ActivityQuery, ActivityStore};
pub use history::{AssessmentStore, HistoryStore};
pub use processing::{
    Answer, Answered, Approval, ApprovalState, ApprovalStore, ApprovalView, Claimed, Finish, ProcessingStore,
};
pub use records::{DecisionRecord, IncidentQuery, IncidentSummary, ProcessingState, Recorded, StoredIncident};
pub use sql::SqlStore;

use crate::incident::Incident;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached (callers answer 503 so senders retry).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A query failed for another reason.
    #[error("store query failed: {0}")]
    Query(String),
    /// Migrations failed at start-up.
    #[error("store migration failed: {0}")]
    Migration(String),
    /// A stored record could not be read back (corrupt JSON, unknown state).
    #[error("stored record {id} is unreadable: {message}")]
    Corrupt {
        /// The record.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The caller no longer holds the incident's claim lease (it expired and another
    /// process took the incident over): nothing was written.
    #[error("the lease on incident {id} is no longer held by this process ({owner}); nothing was written")]
    LeaseLost {
        /// The incident.
        id: String,
        /// The process that lost it.
        owner: String,
    },
    /// The configured database URL is not usable.
    #[error("invalid database URL {url:?}: {message}")]
    BadUrl {
        /// The URL, with any password masked.
        url: String,
        /// Why.
        message: String,
    },
}

/// Where incidents and their history live.
///
/// Driven by the web handler (record alerts), the pipeline (claim, save results) and the
/// API (read). `record_alerts` is idempotent: the same (fingerprint, startsAt) twice is one
/// incident; a resolved notification updates the incident it resolves. Every method is
/// atomic: on error nothing of its writes remains. The history queries and the
/// assessment schedule come with it ([`HistoryStore`], [`AssessmentStore`]).
#[async_trait]
pub trait Store:
    HistoryStore + AssessmentStore + ActivityStore + ProcessingStore + ApprovalStore + Send + Sync
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores the alerts of one notification in one transaction, returning what happened
    /// to each, in order.
    async fn record_alerts(&self, incidents: &[Incident], received_at: Timestamp) -> Result<Vec<Recorded>, StoreError>;

    /// Incidents waiting for a worker (`received`, `approved`, or `deciding`/`executing`
    /// whose process may have died), oldest first.
    async fn pending(&self, limit: i64) -> Result<Vec<String>, StoreError>;

    /// Moves an incident from `received` to `deciding` under a two-minute lease of an
    /// anonymous owner; `false` if it was not claimable (someone else took it, or it is
    /// done). For tools and tests that store results with [`Store::save_result`]; the
    /// pipeline claims through [`ProcessingStore`].
    async fn claim(&self, id: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Stores a decision with its context, verdict and outcome, and moves the incident
    /// to the record's state, in one transaction; with the record's assessment, if it has
    /// one, scheduled in the same transaction. Not fenced on a lease (tools, tests); the
    /// pipeline writes through [`ProcessingStore`].
    async fn save_result(&self, id: &str, record: &DecisionRecord) -> Result<(), StoreError>;

    /// Marks an incident failed with a reason (the pipeline could not finish it).
    async fn mark_failed(&self, id: &str, error: &str, now: Timestamp) -> Result<(), StoreError>;

    /// One incident with everything known about it.
    async fn get(&self, id: &str) -> Result<Option<StoredIncident>, StoreError>;

    /// Incidents, newest first.
    async fn list(&self, query: &IncidentQuery) -> Result<Vec<IncidentSummary>, StoreError>;

    /// Number of incidents per processing state (for `/metrics`).
    async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError>;
}
