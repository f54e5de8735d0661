//! Scaling actions beyond Deployments: `scale_statefulset` (as `kubectl scale`, a merge
//! patch of the `scale` subresource) and `update_hpa` (a merge patch of a
//! HorizontalPodAutoscaler's `minReplicas`/`maxReplicas`), and the scale-subresource
//! planning `scale_deployment` shares (`plan_scale_subresource`).
//!
//! A StatefulSet scales by ordinal: it adds pods `<name>-<n>` upwards and removes the
//! highest ordinals first; the PersistentVolumeClaims of removed pods are kept (unless its
//! `persistentVolumeClaimRetentionPolicy.whenScaled` is `Delete`), so scaling back up
//! finds their data. `update_hpa` acts on an HPA named as target, or on the one HPA whose
//! `scaleTargetRef` points at the Deployment or StatefulSet named as target.
//!
//! Planning reads only; it must not write anything, and it must not clamp: out of bounds
//! is refused.

use serde_json::{Value, json};

use super::diff::patch_change;
use super::plan::{Plan, PlanInput};
use super::read::{get_existing, kind_and_name, not_applicable, replicas};
use super::target::{acting_on, acting_on_live};
use super::{ActionError, ActionKind, ScaleStatefulSet, UpdateHpa};
use crate::cluster::{Kind, Object, ObjectRef, PatchBody};

/// Plans `scale_statefulset`: set `spec.replicas` through the `scale` subresource.
pub async fn plan_scale_statefulset(
    p: &ScaleStatefulSet,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    p.validate(input.bounds)?;
    plan_scale_subresource(
        ActionKind::ScaleStatefulSet,
        (p.replicas, p.delta),
        target,
        input,
        ordinal_notes,
    )
    .await
}

/// Plans setting `spec.replicas` of the Deployment or StatefulSet `kind` acts on through
/// its `scale` subresource, as `kubectl scale`: to `set_to` (`params.replicas`), else to
/// the current count plus `delta` (both validated already). `workload_notes(live,
/// current, wanted)` says what the change does to the workload's pods; the notes that
/// scaling to 0 stops them all and that an HPA may undo the change follow. Shared by
/// `scale_statefulset` and `scale_deployment`.
pub(crate) async fn plan_scale_subresource(
    kind: ActionKind,
    (set_to, delta): (Option<i32>, Option<i32>),
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
    workload_notes: impl FnOnce(&Object, i64, i64) -> Vec<String>,
) -> Result<Plan, ActionError> {
    let (target, live) = acting_on_live(kind, target, input).await?;
    let workload = target.kind.kind.clone();
    let current = replicas(&live);
    let (field, wanted) = match (set_to, delta) {
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
            limit: format!("replicas cannot go below 0 (the {workload} has {current})"),
        });
    }
    input
        .bounds
        .check_replicas(kind.name(), i32::try_from(wanted).unwrap_or(i32::MAX), field)?;
    if wanted == current {
        return Err(not_applicable(
            kind.name(),
            &target,
            format!("already at {current} replicas"),
        ));
    }
    let patch = PatchBody::Merge(json!({"spec": {"replicas": wanted}}));
    let change = patch_change(kind.name(), &live, &patch)?;
    let mut notes = workload_notes(&live, current, wanted);
    if wanted == 0 {
        notes.push(format!("scaling to 0 stops every pod of the {workload}"));
    }
    match autoscalers_of(input, &target).await {
        Ok(hpas) => notes.extend(hpas.iter().map(|h| {
            format!(
                "{} manages its replicas ({} to {}) and may change them back",
                kind_and_name(&h.reference()),
                hpa_min(h),
                hpa_max(h).map(|m| m.to_string()).unwrap_or_else(|| "?".into())
            )
        })),
        Err(e) => notes.push(format!("could not check for a HorizontalPodAutoscaler: {e}")),
    }
    Ok(Plan::one_patch(
        kind.name(),
        format!("scale {target} from {current} to {wanted} replicas"),
        target,
        Some("scale"),
        patch,
        change,
        notes,
    ))
}

/// What scaling a StatefulSet from `current` to `wanted` does to its ordinals and claims
/// (pod `i` is `<name>-<start + i>`, `start` being `spec.ordinals.start`, default 0).
fn ordinal_notes(sts: &Object, current: i64, wanted: i64) -> Vec<String> {
    let name = sts.name();
    let start = sts
        .0
        .pointer("/spec/ordinals/start")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let ordinals = |range: Vec<i64>| {
        range
            .iter()
            .map(|i| format!("{name}-{}", start + i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let claim_templates: Vec<&str> = sts
        .0
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str))
        .collect();
    let parallel = sts.0.pointer("/spec/podManagementPolicy").and_then(Value::as_str) == Some("Parallel");
    let mut notes = Vec::new();
    if wanted > current {
        let order = if parallel {
            "all at once (podManagementPolicy Parallel)"
        } else {
            "one at a time, each after the previous one is Ready"
        };
        notes.push(format!(
            "the StatefulSet creates {} {order}",
            ordinals((current..wanted).collect())
        ));
        return notes;
    }
    let removed: Vec<i64> = (wanted..current).rev().collect();
    notes.push(format!(
        "the StatefulSet removes the highest ordinals first: {}",
        ordinals(removed.clone())
    ));
    if !claim_templates.is_empty() {
        let claims = removed
            .iter()
            .flat_map(|i| claim_templates.iter().map(move |c| format!("{c}-{name}-{}", start + i)))
            .collect::<Vec<_>>()
            .join(", ");
        let when_scaled = sts
            .0
            .pointer("/spec/persistentVolumeClaimRetentionPolicy/whenScaled")
            .and_then(Value::as_str)
            .unwrap_or("Retain");
        if when_scaled == "Delete" {
            notes.push(format!(
                "its persistentVolumeClaimRetentionPolicy.whenScaled is Delete: the claims {claims} are deleted with their pods, and their data with them"
            ));
        } else {
            notes.push(format!(
                "the claims {claims} are kept: scaling back up reattaches them with their data"
            ));
        }
    }
    notes
}

/// Plans `update_hpa`: set `minReplicas` and/or `maxReplicas` of the target HPA (or of the
/// HPA scaling the target Deployment or StatefulSet).
pub async fn plan_update_hpa(
    p: &UpdateHpa,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::UpdateHpa;
    p.validate(input.bounds)?;
    let named = acting_on(kind, target, input).await?;
    let hpa_ref = if named.kind.is("HorizontalPodAutoscaler") {
        named
    } else {
        let hpas = autoscalers_of(input, &named).await?;
        match hpas.as_slice() {
            [one] => one.reference(),
            [] => {
                return Err(not_applicable(
                    kind.name(),
                    &named,
                    format!(
                        "no HorizontalPodAutoscaler in namespace {} scales it",
                        named.namespace.as_deref().unwrap_or_default()
                    ),
                ));
            }
            several => {
                return Err(not_applicable(
                    kind.name(),
                    &named,
                    format!(
                        "several HorizontalPodAutoscalers scale it ({}), which fight each other; name one as the target",
                        several.iter().map(Object::name).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    };
    let live = get_existing(input, kind.name(), &hpa_ref).await?;
    let old_min = hpa_min(&live);
    let old_max = hpa_max(&live).ok_or_else(|| {
        not_applicable(
            kind.name(),
            &hpa_ref,
            "it has no spec.maxReplicas, which every HorizontalPodAutoscaler must have",
        )
    })?;
    let new_min = p.min_replicas.map(i64::from).unwrap_or(old_min);
    let new_max = p.max_replicas.map(i64::from).unwrap_or(old_max);
    if new_min > new_max {
        let (field, message) = match p.min_replicas {
            Some(min) => (
                "params.min_replicas",
                format!("must not exceed the HPA's maxReplicas {new_max} (give max_replicas too), found {min}"),
            ),
            None => (
                "params.max_replicas",
                format!("must not be below the HPA's minReplicas {new_min} (give min_replicas too), found {new_max}"),
            ),
        };
        return Err(ActionError::InvalidParams {
            action: kind.name(),
            field: field.into(),
            message,
        });
    }
    if new_min == old_min && new_max == old_max {
        return Err(not_applicable(
            kind.name(),
            &hpa_ref,
            format!("already at minReplicas {old_min} and maxReplicas {old_max}"),
        ));
    }
    let mut spec = serde_json::Map::new();
    if new_min != old_min {
        spec.insert("minReplicas".into(), json!(new_min));
    }
    if new_max != old_max {
        spec.insert("maxReplicas".into(), json!(new_max));
    }
    let patch = PatchBody::Merge(json!({ "spec": spec }));
    let change = patch_change(kind.name(), &live, &patch)?;
    let mut parts = Vec::new();
    if new_min != old_min {
        parts.push(format!("minReplicas from {old_min} to {new_min}"));
    }
    if new_max != old_max {
        parts.push(format!("maxReplicas from {old_max} to {new_max}"));
    }
    let notes = hpa_notes(&live, old_max, new_min, new_max);
    Ok(Plan::one_patch(
        kind.name(),
        format!("set {} of {hpa_ref}", parts.join(" and ")),
        hpa_ref,
        None,
        patch,
        change,
        notes,
    ))
}

/// What the HPA will do with its new bounds, from the replicas it runs now.
fn hpa_notes(hpa: &Object, old_max: i64, new_min: i64, new_max: i64) -> Vec<String> {
    let mut notes = Vec::new();
    let scaled = scale_target_text(hpa);
    notes.push(format!("it scales {scaled}"));
    let Some(current) = hpa.0.pointer("/status/currentReplicas").and_then(Value::as_i64) else {
        notes.push("it reports no current replica count yet".into());
        return notes;
    };
    if current < new_min {
        notes.push(format!(
            "{scaled} runs {current} replicas: the HPA scales it up to {new_min} at once"
        ));
    } else if current > new_max {
        notes.push(format!(
            "{scaled} runs {current} replicas: the HPA scales it down to {new_max}"
        ));
    } else if current == old_max && new_max > old_max {
        notes.push(format!(
            "it was at its maximum ({old_max} replicas): it may now scale up to {new_max} as the load requires"
        ));
    } else {
        notes.push(format!(
            "{scaled} runs {current} replicas, within the new bounds: nothing changes until the load does"
        ));
    }
    notes
}

/// `Deployment api`, from an HPA's `scaleTargetRef`.
fn scale_target_text(hpa: &Object) -> String {
    let s = |f: &str| {
        hpa.0
            .pointer(&format!("/spec/scaleTargetRef/{f}"))
            .and_then(Value::as_str)
            .unwrap_or("?")
    };
    format!("{} {}", s("kind"), s("name"))
}

/// `spec.minReplicas`, defaulting to 1 as the API server does.
fn hpa_min(hpa: &Object) -> i64 {
    hpa.0.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1)
}

/// `spec.maxReplicas`.
fn hpa_max(hpa: &Object) -> Option<i64> {
    hpa.0.pointer("/spec/maxReplicas").and_then(Value::as_i64)
}

/// The HorizontalPodAutoscalers whose `scaleTargetRef` names `workload`, by name.
async fn autoscalers_of(
    input: &PlanInput<'_>,
    workload: &ObjectRef,
) -> Result<Vec<Object>, crate::cluster::ClusterError> {
    let hpas = input
        .cluster
        .list(
            &Kind::of("HorizontalPodAutoscaler"),
            workload.namespace.as_deref(),
            None,
        )
        .await?;
    Ok(hpas
        .into_iter()
        .filter(|h| {
            let field = |f: &str| {
                h.0.pointer(&format!("/spec/scaleTargetRef/{f}"))
                    .and_then(Value::as_str)
            };
            field("kind") == Some(workload.kind.kind.as_str()) && field("name") == Some(workload.name.as_str())
        })
        .collect())
}
