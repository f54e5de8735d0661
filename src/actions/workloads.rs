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
    POD_TEMPLATE_HASH, get_existing, is_paused, kind_and_name, not_applicable, owned_replicasets, replicas, revision,
    template_images,
};
use super::target::acting_on;
use super::{ActionError, ActionKind, RollbackDeployment, RolloutRestart, ScaleDeployment};
use crate::cluster::{Kind, Object, ObjectRef, Operation, PatchBody};

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
    let target = acting_on(kind, target, input).await?;
    let live = get_existing(input, kind.name(), &target).await?;
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
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target.clone()),
        summary: format!("restart the pods of {target} by stamping its pod template ({RESTARTED_AT}={stamp})"),
        operations: vec![Operation::Patch {
            target,
            subresource: None,
            patch,
        }],
        changes: vec![change],
        notes: vec![note],
        artifacts: Vec::new(),
    })
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
    let target = acting_on(kind, target, input).await?;
    let live = get_existing(input, kind.name(), &target).await?;
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
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target.clone()),
        summary: format!("roll back {target} from revision {current} to revision {to}"),
        operations: vec![Operation::Patch {
            target,
            subresource: None,
            patch,
        }],
        changes: vec![change],
        notes,
        artifacts: Vec::new(),
    })
}

/// Plans `scale_deployment`: set `spec.replicas` through the `scale` subresource.
pub async fn plan_scale(
    p: &ScaleDeployment,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::ScaleDeployment;
    p.validate(input.bounds)?;
    let target = acting_on(kind, target, input).await?;
    let live = get_existing(input, kind.name(), &target).await?;
    let current = replicas(&live);
    let (field, wanted) = match (p.replicas, p.delta) {
        (Some(r), _) => ("params.replicas", i64::from(r)),
        (None, Some(d)) => ("params.delta", current + i64::from(d)),
        (None, None) => {
            return Err(ActionError::InvalidParams {
                action: kind.name(),
                field: "params.replicas".into(),
                message: "give replicas or delta".into(),
            });
        }
    };
    if wanted < 0 {
        return Err(ActionError::OutOfBounds {
            action: kind.name(),
            field: field.into(),
            value: wanted.to_string(),
            limit: format!("replicas cannot go below 0 (the Deployment has {current})"),
        });
    }
    let wanted_i32 = i32::try_from(wanted).unwrap_or(i32::MAX);
    input.bounds.check_replicas(wanted_i32, field)?;
    if wanted == current {
        return Err(not_applicable(
            kind.name(),
            &target,
            format!("already at {current} replicas"),
        ));
    }
    let patch = PatchBody::Merge(json!({"spec": {"replicas": wanted}}));
    let change = patch_change(kind.name(), &live, &patch)?;
    let mut notes = Vec::new();
    if wanted == 0 {
        notes.push("scaling to 0 stops every pod of the Deployment".to_string());
    }
    notes.extend(autoscaler_notes(input, &live).await);
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target.clone()),
        summary: format!("scale {target} from {current} to {wanted} replicas"),
        operations: vec![Operation::Patch {
            target,
            subresource: Some("scale".into()),
            patch,
        }],
        changes: vec![change],
        notes,
        artifacts: Vec::new(),
    })
}

/// Notes about HorizontalPodAutoscalers that manage the Deployment's replicas (they may
/// undo a scale). A failed read becomes a note too: the plan stays valid without it.
async fn autoscaler_notes(input: &PlanInput<'_>, deployment: &Object) -> Vec<String> {
    let hpas = match input
        .cluster
        .list(&Kind::of("HorizontalPodAutoscaler"), deployment.namespace(), None)
        .await
    {
        Ok(hpas) => hpas,
        Err(e) => return vec![format!("could not check for a HorizontalPodAutoscaler: {e}")],
    };
    hpas.iter()
        .filter(|h| {
            let target = |f: &str| {
                h.0.pointer(&format!("/spec/scaleTargetRef/{f}"))
                    .and_then(Value::as_str)
            };
            target("kind") == Some("Deployment") && target("name") == Some(deployment.name())
        })
        .map(|h| {
            let bound = |f: &str, default: &str| {
                h.0.pointer(&format!("/spec/{f}"))
                    .and_then(Value::as_i64)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| default.into())
            };
            format!(
                "{} manages its replicas ({} to {}) and may change them back",
                kind_and_name(&h.reference()),
                bound("minReplicas", "1"),
                bound("maxReplicas", "?")
            )
        })
        .collect()
}
