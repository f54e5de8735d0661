//! The store's recent-activity seam, part of [`super::Store`]: what medic started lately,
//! as the policy's cooldowns, rate limits and concurrency limit need it.
//!
//! It only counts records; judging them against the limits is the policy's job.

use async_trait::async_trait;
use jiff::Timestamp;

use super::StoreError;
use crate::policy::Activity;

/// The decision states that count as an action started: `executing`, `executed`,
/// `failed`, `interrupted`.
pub const STARTED_STATES: [&str; 4] = ["executing", "executed", "failed", "interrupted"];

/// What to count recent activity for: one proposed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityQuery {
    /// The action's catalog name.
    pub action: String,
    /// Its target as stored with decisions (`deployment/shop/api`); `None`: no target,
    /// no per-target cooldown.
    pub target: Option<String>,
    /// The alert's fingerprint.
    pub fingerprint: String,
    /// The target's namespace (else the incident's); `None`: cluster-scoped, not counted
    /// per namespace.
    pub namespace: Option<String>,
    /// The instant of the checks: the rate window is the hour before it.
    pub now: Timestamp,
    /// How far back the last action on the target or fingerprint is looked for (the
    /// longest cooldown, at least the rate window).
    pub since: Timestamp,
}

/// Recent activity.
///
/// Driven by the policy stage's fact gathering, for every decision of an incident
/// processed with a store. One read, one snapshot; it never writes.
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// Counts the actions started (decisions in [`STARTED_STATES`], by their decision
    /// time) in the hour before `now`, everywhere and in the namespace, finds the latest
    /// one since `since` of the same action on the same target and for the same alert
    /// fingerprint, and counts the incidents `executing` right now.
    async fn activity(&self, query: &ActivityQuery) -> Result<Activity, StoreError>;
}
