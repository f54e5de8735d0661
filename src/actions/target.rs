//! Resolving which object an action acts on.
//!
//! The candidate is the decision's target, else the incident's. When its kind is one the
//! action acts on ([`ActionKind::target_kinds`]) it is the target. A pod (or ReplicaSet)
//! given to a workload action stands for its controlling workload: the top Deployment,
//! StatefulSet or DaemonSet of its owner chain, taken from the context when the context
//! knows the chain ([`resolve`]), else by following `ownerReferences` through the cluster
//! ([`acting_on`], which every planner calls). Anything else is
//! [`ActionError::NotApplicable`] with the target and the reason.
//!
//! This module reads only; it must not guess a target the incident does not point at
//! (no "some pod of the namespace").

use super::plan::PlanInput;
use super::read::{WORKLOAD_KINDS, get_existing, kind_and_name, not_applicable};
use super::{ActionError, ActionKind};
use crate::cluster::{Object, ObjectRef};

/// How deep an owner chain is followed (pod → ReplicaSet → Deployment needs 2).
const MAX_OWNER_DEPTH: usize = 4;

/// Resolves the object `kind` acts on from the decision's target, else the incident's
/// target, checked against the action's target kinds.
///
/// `escalate` gets the candidate as is (or `None`). A pod candidate of a workload action
/// becomes its workload when `input.context` holds the pod's owner chain; when it does
/// not, the pod is returned and the planner follows its owners through the cluster with
/// [`acting_on`].
pub fn resolve(kind: ActionKind, input: &PlanInput<'_>) -> Result<Option<ObjectRef>, ActionError> {
    let candidate = candidate(input);
    if kind.target_kinds().is_empty() {
        return Ok(candidate);
    }
    let candidate = candidate.ok_or_else(|| no_target(kind))?;
    match step(kind, &candidate)? {
        Step::Direct => Ok(Some(candidate)),
        Step::ViaOwners => {
            let ctx = input.context;
            if ctx.target.as_ref() == Some(&candidate) && !ctx.owners.is_empty() {
                top_workload(kind, &candidate, &ctx.owners).map(Some)
            } else {
                Ok(Some(candidate))
            }
        }
    }
}

/// The object `kind` acts on (see [`acting_on`]) and that object as it is now (gone is
/// [`ActionError::NotApplicable`]).
pub async fn acting_on_live(
    kind: ActionKind,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<(ObjectRef, Object), ActionError> {
    let target = acting_on(kind, target, input).await?;
    let live = get_existing(input, kind.name(), &target).await?;
    Ok((target, live))
}

/// The object `kind` acts on, given the (resolved) `target`: the target itself when its
/// kind fits, or, for a pod or ReplicaSet given to a workload action, its controlling
/// workload read through the cluster (a pod that no longer exists is
/// [`ActionError::NotApplicable`] "pod not found").
pub async fn acting_on(
    kind: ActionKind,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<ObjectRef, ActionError> {
    let target = target.ok_or_else(|| no_target(kind))?;
    match step(kind, target)? {
        Step::Direct => Ok(target.clone()),
        Step::ViaOwners => {
            let mut chain: Vec<ObjectRef> = Vec::new();
            let mut current = target.clone();
            for _ in 0..MAX_OWNER_DEPTH {
                let obj = get_existing(input, kind.name(), &current).await?;
                let Some(owner) = obj.controller() else { break };
                let is_workload = WORKLOAD_KINDS.contains(&owner.kind.kind.as_str());
                let follow = owner.kind.is("ReplicaSet");
                chain.push(owner.clone());
                if is_workload || !follow {
                    break;
                }
                current = owner;
            }
            top_workload(kind, target, &chain)
        }
    }
}

/// The decision's target, else the incident's.
fn candidate(input: &PlanInput<'_>) -> Option<ObjectRef> {
    input
        .target
        .cloned()
        .or_else(|| input.incident.target.as_ref().map(ObjectRef::from_target))
}

fn no_target(kind: ActionKind) -> ActionError {
    ActionError::NotApplicable {
        action: kind.name(),
        target: super::target_text(None),
        reason: "neither the decision nor the incident names an object to act on".into(),
    }
}

/// What to do with a candidate of a given kind.
enum Step {
    /// Its kind is one the action acts on.
    Direct,
    /// It stands for its controlling workload.
    ViaOwners,
}

fn step(kind: ActionKind, candidate: &ObjectRef) -> Result<Step, ActionError> {
    let wanted = kind.target_kinds();
    let found = candidate.kind.kind.as_str();
    if wanted.contains(&found) {
        return Ok(Step::Direct);
    }
    if kind == ActionKind::RestartPod {
        let hint = if WORKLOAD_KINDS.contains(&found) {
            " (rollout_restart restarts all of a workload's pods)"
        } else {
            ""
        };
        return Err(not_applicable(
            kind.name(),
            candidate,
            format!("restart_pod needs a pod, and this is a {found}{hint}"),
        ));
    }
    if wanted.iter().all(|w| WORKLOAD_KINDS.contains(w)) && matches!(found, "Pod" | "ReplicaSet") {
        return Ok(Step::ViaOwners);
    }
    Err(not_applicable(
        kind.name(),
        candidate,
        format!("{kind} acts on {}, not on a {found}", kinds_text(wanted)),
    ))
}

/// The top workload of an owner chain (nearest first), checked against the action.
fn top_workload(kind: ActionKind, from: &ObjectRef, owners: &[ObjectRef]) -> Result<ObjectRef, ActionError> {
    let Some(workload) = owners
        .iter()
        .rev()
        .find(|o| WORKLOAD_KINDS.contains(&o.kind.kind.as_str()))
    else {
        let reason = match owners {
            [] => format!(
                "it has no controller, so there is no {} to act on",
                kinds_text(kind.target_kinds())
            ),
            _ => format!(
                "it is controlled by {}, not by a {}",
                owners.iter().map(kind_and_name).collect::<Vec<_>>().join(" owned by "),
                kinds_text(kind.target_kinds())
            ),
        };
        return Err(not_applicable(kind.name(), from, reason));
    };
    if !kind.target_kinds().contains(&workload.kind.kind.as_str()) {
        return Err(not_applicable(
            kind.name(),
            from,
            format!(
                "it belongs to {}, and {kind} acts on {} only",
                kind_and_name(workload),
                kinds_text(kind.target_kinds())
            ),
        ));
    }
    Ok(workload.clone())
}

/// `Deployment`, `Deployment, StatefulSet or DaemonSet`.
fn kinds_text(kinds: &[&str]) -> String {
    match kinds {
        [] => "nothing".into(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
