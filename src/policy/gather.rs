//! Gathering [`PolicyFacts`] for one decision: the oscillation guard's finding from the
//! context's history, recent activity from the store, the plan's impact on the cluster.
//!
//! Reads only; it never writes to the store or the cluster, and decides nothing: a fact
//! that cannot be read is recorded (in [`PolicyFacts::problems`] and the fact's own
//! error field) for the checks to judge. No store given (`medic recommend`, the eval
//! harness) is not a problem: the activity is simply unknown.

use jiff::{SignedDuration, Timestamp};

use super::facts::{ApprovalGrant, PolicyFacts};
use crate::actions::plan::Plan;
use crate::cluster::Cluster;
use crate::context::Context;
use crate::decide::Decision;
use crate::incident::Incident;
use crate::store::{ActivityQuery, Store};

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

/// How far back the last action on a target or fingerprint is looked for: the longest
/// cooldown the config accepts ([`super::config::MAX_COOLDOWN_SECS`]).
pub const LOOKBACK: SignedDuration = SignedDuration::from_secs(super::config::MAX_COOLDOWN_SECS);

/// Collects the facts for one decision. Actions that change nothing need no facts
/// beyond the time.
pub async fn gather(input: GatherInput<'_>) -> PolicyFacts {
    let mut facts = PolicyFacts::at(input.now);
    facts.approval = input.approval;
    facts.oscillation =
        crate::history::oscillation::policy_check(input.context.history.as_ref(), input.decision, input.context);
    if !input.decision.action.kind().mutates() {
        return facts;
    }
    if let Some(store) = input.store {
        let target = input
            .decision
            .target
            .as_ref()
            .or(input.plan.and_then(|p| p.target.as_ref()));
        let query = ActivityQuery {
            action: input.decision.action_name().to_string(),
            target: target.map(ToString::to_string),
            fingerprint: input.incident.fingerprint.clone(),
            namespace: target
                .and_then(|t| t.namespace.clone())
                .or_else(|| input.incident.target.as_ref().and_then(|t| t.namespace.clone()))
                .or_else(|| input.incident.labels.get("namespace").cloned()),
            now: input.now,
            since: input.now - LOOKBACK,
        };
        match store.activity(&query).await {
            Ok(activity) => facts.activity = Some(activity),
            Err(e) => {
                facts.problems.push(format!("recent activity: {e}"));
                facts.activity_error = Some(e.to_string());
            }
        }
    }
    if let Some(plan) = input.plan {
        facts.plan_target = plan.target.clone().filter(|_| input.decision.target.is_none());
        match super::impact::impact(input.cluster, plan).await {
            Ok(impact) => facts.impact = Some(impact),
            Err(e) => {
                facts.problems.push(format!("impact on the cluster: {e}"));
                facts.impact_error = Some(e.to_string());
            }
        }
    }
    facts
}
