//! Storage actions: `expand_pvc` raises a bound PersistentVolumeClaim's storage request
//! with one merge patch of `spec.resources.requests.storage`.
//!
//! Kubernetes expands a claim only when its StorageClass says `allowVolumeExpansion:
//! true` (the class named by `spec.storageClassName`; a claim without one uses the
//! cluster's default class, annotated `storageclass.kubernetes.io/is-default-class`), and
//! never shrinks one. The volume plugin then resizes the volume and its filesystem;
//! `status.capacity.storage` shows the new size when that is done.
//!
//! Planning reads only; it must not write anything, and it must not clamp: a size beyond
//! `bounds.max_storage` or a factor beyond `bounds.max_resource_factor` is refused.

use serde_json::{Value, json};

use super::diff::patch_change;
use super::plan::{Plan, PlanInput};
use super::quantity::Quantity;
use super::read::not_applicable;
use super::target::acting_on_live;
use super::{ActionError, ActionKind, ExpandPvc};
use crate::cluster::{Kind, Object, ObjectRef, PatchBody};

const ACTION: &str = "expand_pvc";

/// The annotation marking the cluster's default StorageClass (and its beta predecessor).
pub const DEFAULT_CLASS_ANNOTATIONS: &[&str] = &[
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

/// Tolerance when comparing a derived factor with `bounds.max_resource_factor`.
const FACTOR_EPSILON: f64 = 1e-9;

/// Plans `expand_pvc`.
pub async fn plan_expand_pvc(
    p: &ExpandPvc,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    p.validate(input.bounds)?;
    let (target, live) = acting_on_live(ActionKind::ExpandPvc, target, input).await?;
    let refuse = |reason: String| not_applicable(ACTION, &target, reason);

    let phase = live
        .0
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    if phase != "Bound" {
        return Err(refuse(format!("it is {phase}: only a bound claim can be expanded")));
    }
    if let Some(condition) = resize_in_progress(&live) {
        return Err(refuse(format!(
            "a previous expansion is still in progress (condition {condition})"
        )));
    }
    let current = storage_at(&live, "/spec/resources/requests/storage")
        .map_err(&refuse)?
        .ok_or_else(|| refuse("it has no spec.resources.requests.storage".into()))?;
    let class = storage_class(input, &live, &target).await?;
    if class.0.get("allowVolumeExpansion").and_then(Value::as_bool) != Some(true) {
        return Err(refuse(format!(
            "its StorageClass {} does not allow volume expansion (allowVolumeExpansion is not true)",
            class.name()
        )));
    }

    let (wanted, field) = match (&p.size, p.factor) {
        (Some(size), _) => (size.clone(), "params.size"),
        (None, Some(f)) => (Quantity::memory(current.value() * f), "params.factor"),
        (None, None) => {
            return Err(ActionError::InvalidParams {
                action: ACTION,
                field: "params.size".into(),
                message: "give size or factor".into(),
            });
        }
    };
    if wanted.value() <= current.value() {
        return Err(ActionError::InvalidParams {
            action: ACTION,
            field: field.into(),
            message: format!(
                "must be larger than the current request {current} (a claim cannot shrink), found {wanted}"
            ),
        });
    }
    let max = &input.bounds.max_storage;
    if wanted.value() > max.value() {
        let value = match p.factor {
            Some(f) if p.size.is_none() => format!("{f} (storage {wanted})"),
            _ => wanted.to_string(),
        };
        return Err(ActionError::OutOfBounds {
            action: ACTION,
            field: field.into(),
            value,
            limit: format!("bounds.max_storage is {max}"),
        });
    }
    let factor = wanted.value() / current.value();
    if factor > input.bounds.max_resource_factor + FACTOR_EPSILON {
        return Err(ActionError::OutOfBounds {
            action: ACTION,
            field: field.into(),
            value: wanted.to_string(),
            limit: format!(
                "bounds.max_resource_factor is {} and this is {factor:.2} times the current request {current}",
                input.bounds.max_resource_factor
            ),
        });
    }

    let patch = PatchBody::Merge(json!({"spec": {"resources": {"requests": {"storage": wanted.to_string()}}}}));
    let change = patch_change(ACTION, &live, &patch)?;
    let mut notes = vec![format!(
        "StorageClass {} (provisioner {}) allows expansion",
        class.name(),
        class.0.get("provisioner").and_then(Value::as_str).unwrap_or("unknown")
    )];
    if let Ok(Some(capacity)) = storage_at(&live, "/status/capacity/storage") {
        notes.push(format!(
            "the volume plugin resizes the volume and its filesystem; status.capacity.storage (now {capacity}) shows {wanted} when it is done"
        ));
    } else {
        notes.push(format!(
            "the volume plugin resizes the volume and its filesystem; status.capacity.storage shows {wanted} when it is done"
        ));
    }
    notes.push("some volume plugins grow the filesystem only when a pod mounts the claim again".into());
    notes.push("a claim cannot be shrunk back: this cannot be undone".into());
    Ok(Plan::one_patch(
        ACTION,
        format!("expand {target} from {current} to {wanted}"),
        target,
        None,
        patch,
        change,
        notes,
    ))
}

/// The claim's StorageClass: the one it names, else the cluster's default.
async fn storage_class(input: &PlanInput<'_>, pvc: &Object, target: &ObjectRef) -> Result<Object, ActionError> {
    let refuse = |reason: String| not_applicable(ACTION, target, reason);
    match pvc.0.pointer("/spec/storageClassName") {
        Some(Value::String(name)) if name.is_empty() => Err(refuse(
            "its storageClassName is empty: a statically provisioned volume cannot be expanded through its claim"
                .into(),
        )),
        Some(Value::String(name)) => input
            .cluster
            .get(&ObjectRef::cluster_scoped("StorageClass", name))
            .await?
            .ok_or_else(|| refuse(format!("its StorageClass {name} does not exist"))),
        _ => {
            let classes = input.cluster.list(&Kind::of("StorageClass"), None, None).await?;
            classes
                .into_iter()
                .find(|c| {
                    DEFAULT_CLASS_ANNOTATIONS
                        .iter()
                        .any(|a| c.annotation(a) == Some("true"))
                })
                .ok_or_else(|| refuse("it names no StorageClass and the cluster has no default one".into()))
        }
    }
}

/// The condition (`Resizing`, `FileSystemResizePending`) showing an unfinished expansion.
fn resize_in_progress(pvc: &Object) -> Option<String> {
    pvc.0
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| {
            let s = |k: &str| c.get(k).and_then(Value::as_str);
            matches!(s("type"), Some("Resizing" | "FileSystemResizePending")) && s("status") == Some("True")
        })
        .and_then(|c| c.get("type").and_then(Value::as_str).map(str::to_string))
}

/// A storage quantity at `pointer`; an unreadable one is an error naming it.
fn storage_at(pvc: &Object, pointer: &str) -> Result<Option<Quantity>, String> {
    let Some(v) = pvc.0.pointer(pointer) else {
        return Ok(None);
    };
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    Quantity::parse(&text).map(Some).map_err(|e| {
        format!(
            "its {} is unreadable: {e}",
            pointer.trim_start_matches('/').replace('/', ".")
        )
    })
}
