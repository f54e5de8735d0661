//! Pod actions: `restart_pod` deletes one pod so that its controller recreates it.
//!
//! The delete carries the pod's uid as a precondition, so a replacement that took the
//! same name (a StatefulSet pod) is never deleted by a stale plan. A pod without a
//! controller would not come back: it is refused unless the decision forces it.
//!
//! Planning reads only; it must not delete anything itself (the executor applies the
//! plan, after the policy stage allowed it).

use super::diff;
use super::plan::{Change, Plan, PlanInput};
use super::read::{get_existing, kind_and_name, not_applicable};
use super::target::acting_on;
use super::{ActionError, ActionKind, RestartPod};
use crate::cluster::{ObjectRef, Operation};

/// Plans `restart_pod`: one `DELETE` of the pod, guarded by its uid.
pub async fn plan_restart_pod(
    p: &RestartPod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::RestartPod;
    let target = acting_on(kind, target, input).await?;
    let pod = get_existing(input, kind.name(), &target).await?;
    if pod
        .0
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        return Err(not_applicable(
            kind.name(),
            &target,
            "the pod is already being deleted (metadata.deletionTimestamp is set)",
        ));
    }
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

// ---- placeholders for the new catalog entries (being written) ----
use super::{DeleteStuckPods, EvictPod, IsolatePod, QuarantinePod};

/// Plans `evict_pod`. (Placeholder: being written.)
pub async fn plan_evict_pod(
    p: &EvictPod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `delete_stuck_pods`. (Placeholder: being written.)
pub async fn plan_delete_stuck_pods(
    p: &DeleteStuckPods,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `quarantine_pod`. (Placeholder: being written.)
pub async fn plan_quarantine_pod(
    p: &QuarantinePod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `isolate_pod`. (Placeholder: being written.)
pub async fn plan_isolate_pod(
    p: &IsolatePod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
