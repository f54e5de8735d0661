//! History: what medic did before, and what it learns from it.
//!
//! [`model`] holds the history and statistics the store answers (per incident: decision,
//! decider, model, verdict, execution, assessment; per alertname, action and workload:
//! attempts, successes, mean score, last outcome). [`facts`] condenses them into the
//! `history` section of the context: the statistics and last outcomes of the same trouble,
//! the actions judged ineffective (which the rules decider skips), and the oscillations
//! found by [`oscillation`] (which the policy stage refuses). [`lookup`] reads them from
//! the store for the pipeline.
//!
//! This module judges from records only: it never reads the cluster, never decides an
//! action, and never writes to the store.

pub mod facts;
pub mod lookup;
pub mod model;
pub mod oscillation;

#[cfg(test)]
mod tests;

pub use facts::{HistoryFacts, Ineffective, RecentOutcome};
pub use model::{ActionStats, HistoryEntry, HistoryQuery, PastDecision, PastOutcome, SUCCESS_SCORE, StatsQuery};
pub use oscillation::{Oscillation, OscillationKind};

use crate::cluster::ObjectRef;
use crate::context::Context;
use crate::incident::Incident;

/// The kinds that are a workload, whose history outlives its pods.
const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];

/// The workload a context is about: the outermost workload among the target's owners
/// (a CronJob rather than its Job), else the context's workload, else the target itself
/// when it is one. The same rule as the rules decider's `workload` target.
pub fn workload_of(context: &Context) -> Option<ObjectRef> {
    let is_workload = |r: &&ObjectRef| WORKLOAD_KINDS.contains(&r.kind.kind.as_str());
    context
        .owners
        .iter()
        .rev()
        .find(is_workload)
        .cloned()
        .or_else(|| context.workload.as_ref().map(|w| w.reference.clone()))
        .or_else(|| context.target.as_ref().filter(is_workload).cloned())
}

/// What an incident's history is keyed on, as (namespace, name): its workload, else the
/// object the alert names. `None` when the alert names nothing.
pub fn subject_of(incident: &Incident, context: &Context) -> Option<(Option<String>, String)> {
    if let Some(w) = workload_of(context) {
        return Some((w.namespace, w.name));
    }
    let target = context
        .target
        .clone()
        .or_else(|| incident.target.as_ref().map(ObjectRef::from_target))?;
    Some((target.namespace, target.name))
}
