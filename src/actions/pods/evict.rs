//! `evict_pod`: one `POST pods/{name}/eviction`, so that the API server deletes the pod
//! only if no PodDisruptionBudget forbids it (a budget that does is answered 429 and
//! reported as refused by the executor, never retried around).
//!
//! A pod without a controller would be gone for good, and a mirror (static) pod comes
//! back from its node's kubelet whatever the API does: both are refused. The plan names
//! the budgets that cover the pod, so a reader knows whether the eviction may be held.
//!
//! Planning reads only; it must not evict anything itself.

use serde_json::Value;

use super::{live_pod, replacement_note};
use crate::actions::diff;
use crate::actions::plan::{Change, Plan, PlanInput};
use crate::actions::read::{budget_requirement, kind_and_name, label_selector_selects, not_applicable};
use crate::actions::{ActionError, ActionKind, EvictPod};
use crate::cluster::{Kind, Object, ObjectRef, Operation};

/// Plans `evict_pod`: one eviction of the pod, refused at once by a budget that forbids
/// it (`wait_seconds: None`).
pub async fn plan_evict_pod(
    _p: &EvictPod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::EvictPod;
    let (target, pod) = live_pod(kind, target, input).await?;
    let Some(owner) = pod.controller() else {
        return Err(not_applicable(
            kind.name(),
            &target,
            "the pod has no controller: evicted, it would be gone for good (restart_pod with params.force deletes it knowingly)",
        ));
    };
    if owner.kind.is("Node") {
        return Err(not_applicable(
            kind.name(),
            &target,
            format!(
                "it is a static pod of node {}: its kubelet recreates it whatever the API does",
                owner.name
            ),
        ));
    }
    let namespace = target.namespace.clone().unwrap_or_default();
    let mut notes = vec![replacement_note(&owner)];
    notes.extend(budget_notes(input, &pod, &namespace).await?);
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target.clone()),
        summary: format!(
            "evict {target} through the Eviction API so that its {} recreates it",
            owner.kind.kind
        ),
        operations: vec![Operation::Evict {
            namespace,
            pod: target.name.clone(),
            wait_seconds: None,
        }],
        changes: vec![Change {
            object: target,
            diff: diff::deleted(&pod),
        }],
        notes,
        artifacts: Vec::new(),
    })
}

/// One note per PodDisruptionBudget selecting the pod (what it requires and, when its
/// status says, how many disruptions it allows now), or one saying none does.
async fn budget_notes(input: &PlanInput<'_>, pod: &Object, namespace: &str) -> Result<Vec<String>, ActionError> {
    let mut budgets = input
        .cluster
        .list(&Kind::of("PodDisruptionBudget"), Some(namespace), None)
        .await?;
    budgets.sort_by(|a, b| a.name().cmp(b.name()));
    let labels = pod.0.pointer("/metadata/labels");
    let notes: Vec<String> = budgets
        .iter()
        .filter(|pdb| {
            pdb.0
                .pointer("/spec/selector")
                .filter(|s| !s.is_null())
                .is_some_and(|s| label_selector_selects(s, labels))
        })
        .map(|pdb| {
            let allowed = match pdb.0.pointer("/status/disruptionsAllowed").and_then(Value::as_i64) {
                Some(0) => ": it allows no disruption right now, so the eviction will be refused".to_string(),
                Some(1) => ": it allows 1 disruption right now".to_string(),
                Some(n) => format!(": it allows {n} disruptions right now"),
                None => ": the API refuses the eviction if it would break the budget".to_string(),
            };
            format!(
                "{} covers it ({}){allowed}",
                kind_and_name(&pdb.reference()),
                budget_requirement(pdb)
            )
        })
        .collect();
    if notes.is_empty() {
        return Ok(vec![
            "no PodDisruptionBudget covers it: nothing holds the eviction back".into(),
        ]);
    }
    Ok(notes)
}
