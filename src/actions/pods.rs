//! Pod actions, one pod (or a workload's stuck pods) at a time:
//!
//! - `restart_pod` deletes one pod so that its controller recreates it. The delete
//!   carries the pod's uid as a precondition, so a replacement that took the same name (a
//!   StatefulSet pod) is never deleted by a stale plan. A pod without a controller would
//!   not come back: it is refused unless the decision forces it.
//! - `evict_pod` ([`evict`]) asks the Eviction API, which honours PodDisruptionBudgets.
//! - `delete_stuck_pods` ([`stuck`]) force-deletes pods Terminating past their deadline.
//! - `quarantine_pod` ([`quarantine`]) relabels a pod out of its controller and Services.
//! - `isolate_pod` ([`isolate`]) cuts a pod off the network with a NetworkPolicy.
//!
//! Planning reads only; it must not write anything itself (the executor applies the
//! plan, after the policy stage allowed it).

pub mod evict;
pub mod isolate;
mod labels;
pub mod quarantine;
pub mod stuck;

pub use evict::plan_evict_pod;
pub use isolate::plan_isolate_pod;
pub use quarantine::plan_quarantine_pod;
pub use stuck::{plan_delete_stuck_pods, plan_delete_stuck_pods_at};

use super::diff;
use super::plan::{Change, Plan, PlanInput};
use super::read::{kind_and_name, not_applicable};
use super::target::acting_on_live;
use super::{ActionError, ActionKind, RestartPod};
use crate::cluster::{Object, ObjectRef, Operation};

/// Plans `restart_pod`: one `DELETE` of the pod, guarded by its uid.
pub async fn plan_restart_pod(
    p: &RestartPod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::RestartPod;
    let (target, pod) = live_pod(kind, target, input).await?;
    let controller = pod.controller();
    let (summary, note) = match &controller {
        Some(owner) => (
            format!("delete {target} so that its {} recreates it", owner.kind.kind),
            replacement_note(owner),
        ),
        None if p.force => (
            format!("delete {target}, which has no controller (forced)"),
            "the pod has no controller: nothing will recreate it".to_string(),
        ),
        None => {
            return Err(not_applicable(
                kind.name(),
                &target,
                "the pod has no controller, so nothing would recreate it (set params.force to delete it anyway)",
            ));
        }
    };
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target.clone()),
        summary,
        operations: vec![Operation::Delete {
            target: target.clone(),
            grace_period_seconds: None,
            uid: pod.uid().map(str::to_string),
        }],
        changes: vec![Change {
            object: target,
            diff: diff::deleted(&pod),
        }],
        notes: vec![note],
        artifacts: Vec::new(),
    })
}

/// What the pod's controller does after the delete.
fn replacement_note(owner: &ObjectRef) -> String {
    if owner.kind.is("StatefulSet") {
        format!(
            "its {} will recreate it under the same name, with the same volumes",
            kind_and_name(owner)
        )
    } else {
        format!("its {} will create a replacement", kind_and_name(owner))
    }
}

/// Why a pod that is already being deleted is not acted on.
const BEING_DELETED: &str = "the pod is already being deleted (metadata.deletionTimestamp is set)";

/// The pod `kind` acts on, as it is now; refused when it is already being deleted.
async fn live_pod(
    kind: ActionKind,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<(ObjectRef, Object), ActionError> {
    let (target, pod) = acting_on_live(kind, target, input).await?;
    if terminating(&pod) {
        return Err(not_applicable(kind.name(), &target, BEING_DELETED));
    }
    Ok((target, pod))
}

/// Whether the object is being deleted (`metadata.deletionTimestamp` is set).
fn terminating(obj: &Object) -> bool {
    obj.0
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}
