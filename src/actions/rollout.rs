//! Rollout control: `pause_rollout` and `resume_rollout`, as `kubectl rollout pause` and
//! `kubectl rollout resume`: one merge patch of a Deployment's `spec.paused`.
//!
//! While a Deployment is paused its controller records changes to the pod template but
//! rolls none of them out (scaling still applies); resuming rolls out whatever template
//! is current. Both refuse a no-op (pausing a paused rollout, resuming one that is not
//! paused), so a plan always changes something.
//!
//! Planning reads only; it must not write anything.

use serde_json::{Value, json};

use super::diff::patch_change;
use super::plan::{Plan, PlanInput};
use super::read::{is_paused, not_applicable, replicas};
use super::target::acting_on_live;
use super::{ActionError, ActionKind, PauseRollout, ResumeRollout};
use crate::cluster::{Object, ObjectRef, PatchBody};

/// Plans `pause_rollout`: `spec.paused: true`.
pub async fn plan_pause_rollout(
    _p: &PauseRollout,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::PauseRollout;
    let (target, live) = acting_on_live(kind, target, input).await?;
    if is_paused(&live) {
        return Err(not_applicable(kind.name(), &target, "its rollout is already paused"));
    }
    let patch = PatchBody::Merge(json!({"spec": {"paused": true}}));
    let change = patch_change(kind.name(), &live, &patch)?;
    let mut notes = Vec::new();
    let wanted = replicas(&live);
    let updated = updated_replicas(&live);
    if updated < wanted {
        notes.push(format!(
            "a rollout is in progress ({updated} of {wanted} pods run the current pod template): it stops where it is"
        ));
    }
    notes.push(
        "while paused, changes to the pod template are recorded but not rolled out; scaling still applies".into(),
    );
    notes.push("resume_rollout resumes it".into());
    Ok(Plan::one_patch(
        kind.name(),
        format!("pause the rollout of {target}"),
        target,
        None,
        patch,
        change,
        notes,
    ))
}

/// Plans `resume_rollout`: `spec.paused: false`.
pub async fn plan_resume_rollout(
    _p: &ResumeRollout,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::ResumeRollout;
    let (target, live) = acting_on_live(kind, target, input).await?;
    if !is_paused(&live) {
        return Err(not_applicable(kind.name(), &target, "its rollout is not paused"));
    }
    let patch = PatchBody::Merge(json!({"spec": {"paused": false}}));
    let change = patch_change(kind.name(), &live, &patch)?;
    let wanted = replicas(&live);
    let updated = updated_replicas(&live);
    let note = if updated < wanted {
        format!(
            "{updated} of {wanted} pods run the current pod template: resuming rolls it out, following the Deployment's strategy"
        )
    } else {
        "every pod runs the current pod template: resuming starts no new rollout until the template changes".into()
    };
    Ok(Plan::one_patch(
        kind.name(),
        format!("resume the rollout of {target}"),
        target,
        None,
        patch,
        change,
        vec![note],
    ))
}

/// `status.updatedReplicas`: the pods running the Deployment's current template, as its
/// controller last counted them (0 when unset).
fn updated_replicas(deployment: &Object) -> i64 {
    deployment
        .0
        .pointer("/status/updatedReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}
