//! Workload actions: `rollout_restart`, `rollback_deployment` and `scale_deployment`,
//! each planned as the one API call kubectl would make.
//!
//! - `rollout_restart` is `kubectl rollout restart`: a strategic-merge patch stamping
//!   `kubectl.kubernetes.io/restartedAt` into the pod template, so the workload's own
//!   controller replaces its pods following its update strategy.
//! - `rollback_deployment` is `kubectl rollout undo`: a JSON patch replacing the
//!   Deployment's pod template with the template of an older ReplicaSet (without its
//!   `pod-template-hash` label), guarded by a `test` of the resourceVersion read.
//! - `scale_deployment` is `kubectl scale`: a merge patch of the `scale` subresource.
//!
//! Planning reads only; it must not write anything (the executor applies the plan, after
//! the policy stage allowed it), and it must not clamp a parameter: out of bounds is
//! refused.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::diff::patch_change;
use super::plan::{Plan, PlanInput};
use super::read::{
    POD_TEMPLATE_HASH, is_paused, not_applicable, owned_replicasets, replicas, revision, template_images,
};
use super::scaling::plan_scale_subresource;
use super::target::acting_on_live;
use super::{ActionError, ActionKind, RollbackDeployment, RolloutRestart, ScaleDeployment};
use crate::cluster::{Object, ObjectRef, PatchBody};

/// The pod-template annotation `kubectl rollout restart` sets.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Plans `rollout_restart`, stamped with the current time.
pub async fn plan_rollout_restart(
    p: &RolloutRestart,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    plan_rollout_restart_at(p, target, input, Timestamp::now()).await
}

/// Plans `rollout_restart` with `now` as the restart time (RFC 3339, whole seconds, UTC).
pub async fn plan_rollout_restart_at(
    _p: &RolloutRestart,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
    now: Timestamp,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::RolloutRestart;
    let (target, live) = acting_on_live(kind, target, input).await?;
    let workload_kind = target.kind.kind.clone();
    if workload_kind == "Deployment" && is_paused(&live) {
        return Err(not_applicable(
            kind.name(),
            &target,
            "rollout is paused: a restart would not replace any pod until it is resumed",
        ));
    }
    let strategy = update_strategy(&live);
    if strategy == "OnDelete" {
        return Err(not_applicable(
            kind.name(),
            &target,
            format!(
                "its update strategy is OnDelete: a {workload_kind} with it replaces no pod when its template changes"
            ),
        ));
    }
    let stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let patch = PatchBody::Strategic(json!({
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}
    }));
    let change = patch_change(kind.name(), &live, &patch)?;
    let note = match workload_kind.as_str() {
        "Deployment" if strategy == "Recreate" => format!(
            "the Deployment uses the Recreate strategy: all {} pods stop before the new ones start",
            replicas(&live)
        ),
        "Deployment" => format!(
            "the Deployment replaces its {} pods through a new ReplicaSet, following its RollingUpdate strategy",
            replicas(&live)
        ),
        "StatefulSet" => format!(
            "the StatefulSet replaces its {} pods one at a time, highest ordinal first",
            replicas(&live)
        ),
        _ => "the DaemonSet replaces its pod on each node, following its RollingUpdate strategy".to_string(),
    };
    Ok(Plan::one_patch(
        kind.name(),
        format!("restart the pods of {target} by stamping its pod template ({RESTARTED_AT}={stamp})"),
        target,
        None,
        patch,
        change,
        vec![note],
    ))
}

/// The workload's update strategy type, with the API's default (`RollingUpdate`).
fn update_strategy(workload: &Object) -> String {
    ["/spec/strategy/type", "/spec/updateStrategy/type"]
        .iter()
        .find_map(|p| workload.0.pointer(p).and_then(Value::as_str))
        .unwrap_or("RollingUpdate")
        .to_string()
}

/// Plans `rollback_deployment`: restore the pod template of the previous (or the given)
/// revision.
pub async fn plan_rollback(
    p: &RollbackDeployment,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::RollbackDeployment;
    p.validate()?;
    let (target, live) = acting_on_live(kind, target, input).await?;
    let refuse = |reason: String| not_applicable(kind.name(), &target, reason);
    if is_paused(&live) {
        return Err(refuse(
            "rollout is paused: a paused Deployment cannot be rolled back until it is resumed".into(),
        ));
    }
    let revisions = owned_replicasets(input.cluster, &live).await?;
    let Some(newest) = revisions.last().map(|(r, _)| *r) else {
        return Err(refuse(
            "it owns no ReplicaSet with a revision, so there is no revision to roll back to".into(),
        ));
    };
    let current = revision(&live).unwrap_or(newest);
    let list = revisions
        .iter()
        .map(|(r, _)| r.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let (to, rs) = match p.to_revision {
        Some(wanted) if wanted == current => {
            return Err(refuse(format!("revision {wanted} is the current revision")));
        }
        Some(wanted) => revisions
            .iter()
            .find(|(r, _)| *r == wanted)
            .ok_or_else(|| refuse(format!("revision {wanted} not found (revisions: {list})")))?,
        None => revisions.iter().rev().find(|(r, _)| *r < current).ok_or_else(|| {
            refuse(format!(
                "no previous revision to roll back to (current revision {current}; revisions: {list})"
            ))
        })?,
    };
    let mut template =
        rs.0.pointer("/spec/template")
            .cloned()
            .ok_or_else(|| refuse(format!("ReplicaSet {} of revision {to} has no pod template", rs.name())))?;
    if let Some(labels) = template.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove(POD_TEMPLATE_HASH);
    }
    let live_template = live.0.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    if template == live_template {
        return Err(refuse(format!(
            "its pod template already matches revision {to} (ReplicaSet {})",
            rs.name()
        )));
    }
    let mut ops = Vec::new();
    if let Some(rv) = live.resource_version() {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops.push(json!({"op": "replace", "path": "/spec/template", "value": template}));
    let patch = PatchBody::Json(Value::Array(ops));
    let change = patch_change(kind.name(), &live, &patch)?;
    let notes = vec![
        format!(
            "rolls back from revision {current} (image {}) to revision {to} (image {})",
            template_images(&live_template),
            template_images(&template)
        ),
        format!(
            "the Deployment controller scales ReplicaSet {} back up; it becomes revision {}",
            rs.name(),
            newest.max(current) + 1
        ),
    ];
    Ok(Plan::one_patch(
        kind.name(),
        format!("roll back {target} from revision {current} to revision {to}"),
        target,
        None,
        patch,
        change,
        notes,
    ))
}

/// Plans `scale_deployment`: set `spec.replicas` through the `scale` subresource.
pub async fn plan_scale(
    p: &ScaleDeployment,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    p.validate(input.bounds)?;
    plan_scale_subresource(
        ActionKind::ScaleDeployment,
        (p.replicas, p.delta),
        target,
        input,
        |_, _, _| Vec::new(),
    )
    .await
}
