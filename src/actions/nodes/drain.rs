//! `drain_node`, as `kubectl drain` does it: cordon the node (unless it already is), then
//! evict every pod on it through the Eviction API, so that PodDisruptionBudgets are
//! honoured, waiting for them up to the drain's timeout.
//!
//! DaemonSet pods (their controller ignores `unschedulable`) and mirror pods (the
//! kubelet's static pods) stay. Pods that would be lost are refused rather than evicted:
//! pods no controller recreates (kubectl needs `--force` for them) and, unless
//! `delete_emptydir_data`, pods whose emptyDir data would go with them. Pods that have
//! finished lose nothing and are evicted without those checks; pods already being
//! deleted are left alone.
//!
//! Planning reads only.

use std::collections::BTreeMap;

use super::super::diff;
use super::super::plan::{Plan, PlanInput};
use super::super::read::{kind_and_name, not_applicable};
use super::super::target::acting_on_live;
use super::super::{ActionError, ActionKind, DrainNode};
use super::budgets::covering;
use super::{MIRROR_ANNOTATION, cordon_patch, is_cordoned, is_finished, is_ready, is_terminating, names, pods_on};
use crate::cluster::{Object, ObjectRef, Operation};

/// Where each pod on the node goes in a drain.
#[derive(Default)]
struct Sorted<'a> {
    /// Evicted.
    evict: Vec<&'a Object>,
    /// DaemonSet pods: stay.
    daemon: Vec<&'a Object>,
    /// Mirror pods: stay.
    mirror: Vec<&'a Object>,
    /// Being deleted already: left alone.
    terminating: Vec<&'a Object>,
    /// No controller (or their DaemonSet is gone): would be lost. Refused.
    unmanaged: Vec<&'a Object>,
    /// emptyDir volumes without `delete_emptydir_data`: data would be lost. Refused.
    local_data: Vec<&'a Object>,
}

/// Plans `drain_node`: the cordon patch (unless already cordoned), then one eviction per
/// pod, each waiting up to the timeout while a disruption budget refuses it.
pub async fn plan_drain_node(
    p: &DrainNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::DrainNode;
    let (target, node) = acting_on_live(kind, target, input).await?;
    let timeout = p.timeout(input.bounds);
    let pods = pods_on(input.cluster, node.name()).await?;
    let sorted = sort(&pods, p, input).await?;
    refuse_losses(&target, &sorted)?;
    let cordoned = is_cordoned(&node);
    if cordoned && sorted.evict.is_empty() {
        return Err(not_applicable(
            kind.name(),
            &target,
            "the node is already cordoned and has no pods to evict",
        ));
    }

    let mut operations = Vec::new();
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    if cordoned {
        notes.push("the node is already cordoned".to_string());
    } else {
        let patch = cordon_patch();
        changes.push(diff::patch_change(kind.name(), &node, &patch)?);
        operations.push(Operation::Patch {
            target: target.clone(),
            subresource: None,
            patch,
        });
    }
    for pod in &sorted.evict {
        operations.push(Operation::Evict {
            namespace: pod.namespace().unwrap_or_default().to_string(),
            pod: pod.name().to_string(),
            wait_seconds: Some(timeout),
        });
    }
    notes.extend(eviction_notes(&sorted, timeout));
    for covered in covering(input.cluster, &sorted.evict).await? {
        notes.push(format!(
            "PodDisruptionBudget {} ({}) covers {}: an eviction it refuses is retried until the timeout",
            covered.budget,
            covered.requirement,
            covered.pods.join(", ")
        ));
    }
    if !is_ready(&node) {
        notes.push(
            "the node is not Ready: evicted pods may stay Terminating until its kubelet returns \
             (delete_stuck_pods force-deletes them)"
                .into(),
        );
    }
    let count = match sorted.evict.len() {
        1 => "1 pod".to_string(),
        n => format!("{n} pods"),
    };
    let summary = if cordoned {
        format!("drain {target} (already cordoned): evict {count}")
    } else if sorted.evict.is_empty() {
        format!("drain {target}: cordon it (no pods to evict)")
    } else {
        format!("drain {target}: cordon it and evict {count}")
    };
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target),
        summary,
        operations,
        changes,
        notes,
        artifacts: Vec::new(),
    })
}

/// Sorts the node's pods into what the drain does with each.
async fn sort<'a>(pods: &'a [Object], p: &DrainNode, input: &PlanInput<'_>) -> Result<Sorted<'a>, ActionError> {
    let mut sorted = Sorted::default();
    for pod in pods {
        let controller = pod.controller();
        if is_terminating(pod) {
            sorted.terminating.push(pod);
        } else if pod.annotation(MIRROR_ANNOTATION).is_some() {
            sorted.mirror.push(pod);
        } else if is_finished(pod) {
            sorted.evict.push(pod);
        } else if let Some(ds) = controller.as_ref().filter(|c| c.kind.is("DaemonSet")) {
            if input.cluster.get(ds).await?.is_some() {
                sorted.daemon.push(pod);
            } else {
                sorted.unmanaged.push(pod);
            }
        } else if controller.is_none() {
            sorted.unmanaged.push(pod);
        } else if has_empty_dir(pod) && !p.delete_emptydir_data {
            sorted.local_data.push(pod);
        } else {
            sorted.evict.push(pod);
        }
    }
    Ok(sorted)
}

/// Refuses a drain that would lose pods or their data, naming every such pod.
fn refuse_losses(target: &ObjectRef, sorted: &Sorted<'_>) -> Result<(), ActionError> {
    let mut reasons = Vec::new();
    if !sorted.unmanaged.is_empty() {
        reasons.push(format!(
            "pods without a controller would be lost, as nothing recreates them (move or delete them first; \
             kubectl drain needs --force for them): {}",
            names(&sorted.unmanaged)
        ));
    }
    if !sorted.local_data.is_empty() {
        reasons.push(format!(
            "pods with emptyDir volumes would lose their data (set params.delete_emptydir_data to evict them anyway): {}",
            names(&sorted.local_data)
        ));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(not_applicable(ActionKind::DrainNode.name(), target, reasons.join("; ")))
    }
}

/// What happens to the evicted pods, and which pods stay.
fn eviction_notes(sorted: &Sorted<'_>, timeout: u64) -> Vec<String> {
    let mut notes = Vec::new();
    let mut by_controller: BTreeMap<String, usize> = BTreeMap::new();
    let mut finished = Vec::new();
    for pod in &sorted.evict {
        match pod.controller() {
            Some(c) if !is_finished(pod) => *by_controller.entry(kind_and_name(&c)).or_default() += 1,
            _ => finished.push(*pod),
        }
    }
    if !by_controller.is_empty() {
        let owners: Vec<String> = by_controller
            .iter()
            .map(|(owner, n)| format!("{owner} ({n})"))
            .collect();
        notes.push(format!(
            "the evicted pods are recreated on other nodes by their controllers: {}",
            owners.join(", ")
        ));
    }
    if !finished.is_empty() {
        notes.push(format!("finished pods are removed: {}", names(&finished)));
    }
    if !sorted.evict.is_empty() {
        notes.push(format!(
            "the drain waits at most {timeout}s for disruption budgets, then fails with the budget's message"
        ));
    }
    if !sorted.daemon.is_empty() {
        notes.push(format!("DaemonSet pods stay on the node: {}", names(&sorted.daemon)));
    }
    if !sorted.mirror.is_empty() {
        notes.push(format!(
            "mirror (static) pods stay on the node: {}",
            names(&sorted.mirror)
        ));
    }
    if !sorted.terminating.is_empty() {
        notes.push(format!(
            "already terminating, left alone: {}",
            names(&sorted.terminating)
        ));
    }
    notes
}

/// Whether the pod has an emptyDir volume.
fn has_empty_dir(pod: &Object) -> bool {
    pod.0
        .pointer("/spec/volumes")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .any(|v| v.get("emptyDir").is_some_and(|e| !e.is_null()))
}
