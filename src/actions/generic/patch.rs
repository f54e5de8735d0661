//! `patch_resource`: one merge, JSON or strategic-merge patch, given by the decider, to
//! an object of a kind the operator allow-listed (`actions.patchable_kinds`).
//!
//! The object must exist; the patch must apply to it (computed locally with
//! [`PatchBody::apply_to`], exactly as the diff shows it) and change something. The patch
//! sent carries the resourceVersion read (a `test` operation first in a JSON patch,
//! `metadata.resourceVersion` in the others), so it lands on the object the diff was
//! computed from or not at all. Secrets are never patched, allow-listed or not: their
//! values would pass through plans, logs and the store.
//!
//! Planning reads only; it must not patch anything itself.

use serde_json::{Value, json};

use crate::actions::diff::{object_diff, patch_change};
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::read::{get_existing, not_applicable};
use crate::actions::settings::ActionSettings;
use crate::actions::{ActionError, PatchResource, PatchType};
use crate::cluster::{Kind, Object, ObjectRef, PatchBody};

const ACTION: &str = "patch_resource";

/// Plans `patch_resource`.
pub async fn plan_patch_resource(
    p: &PatchResource,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    p.validate()?;
    let object = object_of(p, target)?;
    check_allowed(&object, input.settings)?;
    let live = get_existing(input, ACTION, &object).await?;
    let invalid = |message: String| ActionError::InvalidParams {
        action: ACTION,
        field: "params.patch".into(),
        message,
    };
    let wanted = match p.patch_type {
        PatchType::Merge => PatchBody::Merge(p.patch.clone()),
        PatchType::Json => PatchBody::Json(p.patch.clone()),
        PatchType::Strategic => PatchBody::Strategic(p.patch.clone()),
    };
    let after = wanted
        .apply_to(&live.0)
        .map_err(|e| invalid(format!("does not apply to {object}: {e}")))?;
    let after = Object::new(after).map_err(|e| invalid(format!("would break {object}: {e}")))?;
    if after.reference() != live.reference() {
        return Err(invalid(format!(
            "would turn {object} into {}: a patch cannot change an object's kind, name or namespace",
            after.reference()
        )));
    }
    if object_diff(&live, &after).is_empty() {
        return Err(invalid(format!("changes nothing on {object}")));
    }
    let rv = live.resource_version().map(str::to_string);
    let patch = guarded(wanted, rv.as_deref());
    let change = patch_change(ACTION, &live, &patch)?;
    let mut notes = Vec::new();
    if let Some(rv) = &rv {
        notes.push(format!(
            "the patch applies only to the version read while planning (resourceVersion {rv}): if the object changes first, the API refuses it"
        ));
    }
    let format = patch
        .content_type()
        .trim_start_matches("application/")
        .trim_end_matches("+json");
    Ok(Plan::one_patch(
        ACTION,
        format!("apply a {format} to {object}"),
        object,
        None,
        patch,
        change,
        notes,
    ))
}

/// The object to patch: kind, name and namespace from the parameters, each defaulting
/// to the target's (the decision's, else the incident's).
fn object_of(p: &PatchResource, target: Option<&ObjectRef>) -> Result<ObjectRef, ActionError> {
    let invalid = |field: &str, message: String| ActionError::InvalidParams {
        action: ACTION,
        field: format!("params.{field}"),
        message,
    };
    let kind = match (&p.kind, target) {
        (Some(k), _) if k == "Secret" && p.api_version.as_deref().is_none_or(|v| v == "v1") => Kind {
            api_version: "v1".into(),
            kind: "Secret".into(),
            plural: "secrets".into(),
            namespaced: true,
        },
        (Some(k), _) => {
            let kind = Kind::from_type(p.api_version.as_deref().unwrap_or(""), k);
            if kind.api_version.is_empty() {
                return Err(invalid(
                    "api_version",
                    format!("{k} is not a kind medic knows by heart: give its apiVersion (e.g. example.com/v1)"),
                ));
            }
            kind
        }
        (None, Some(t)) => t.kind.clone(),
        (None, None) => {
            return Err(ActionError::NotApplicable {
                action: ACTION,
                target: crate::actions::target_text(None),
                reason: "neither the parameters (params.kind, params.name) nor the decision or the incident name an object to patch".into(),
            });
        }
    };
    let same_kind = target.is_some_and(|t| t.kind.kind == kind.kind);
    let name = match (&p.name, target) {
        (Some(n), _) => n.clone(),
        (None, Some(t)) if same_kind => t.name.clone(),
        _ => {
            return Err(invalid(
                "name",
                format!("give the name of the {} to patch (the target is not one)", kind.kind),
            ));
        }
    };
    let namespace = if kind.namespaced {
        let ns = p.namespace.clone().or_else(|| target.and_then(|t| t.namespace.clone()));
        Some(ns.ok_or_else(|| {
            invalid(
                "namespace",
                format!("a {} lives in a namespace: give params.namespace", kind.kind),
            )
        })?)
    } else {
        None
    };
    Ok(ObjectRef { kind, namespace, name })
}

/// Refuses Secrets, and kinds not in `actions.patchable_kinds` (`Kind` or `group/Kind`).
fn check_allowed(object: &ObjectRef, settings: &ActionSettings) -> Result<(), ActionError> {
    let kind = &object.kind;
    if kind.is("Secret") && kind.group().is_empty() {
        return Err(not_applicable(
            ACTION,
            object,
            "patch_resource never patches Secrets: their values would pass through plans, logs and the store",
        ));
    }
    let qualified = format!("{}/{}", kind.group(), kind.kind);
    let allowed = &settings.patchable_kinds;
    if allowed.iter().any(|a| *a == kind.kind || *a == qualified) {
        return Ok(());
    }
    let name = if kind.group().is_empty() {
        kind.kind.clone()
    } else {
        qualified
    };
    let reason = if allowed.is_empty() {
        format!("{name} is not patchable: actions.patchable_kinds is empty, so patch_resource is disabled")
    } else {
        format!(
            "{name} is not in actions.patchable_kinds (allowed: {})",
            allowed.join(", ")
        )
    };
    Err(not_applicable(ACTION, object, reason))
}

/// The patch with the resourceVersion read as its precondition.
fn guarded(patch: PatchBody, rv: Option<&str>) -> PatchBody {
    let Some(rv) = rv else { return patch };
    let with_version = |mut body: Value| {
        if let Some(map) = body.as_object_mut() {
            let meta = map.entry("metadata").or_insert_with(|| json!({}));
            if let Some(meta) = meta.as_object_mut() {
                meta.entry("resourceVersion").or_insert_with(|| json!(rv));
            }
        }
        body
    };
    match patch {
        PatchBody::Json(Value::Array(ops)) => {
            let mut guarded = vec![json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv})];
            guarded.extend(ops);
            PatchBody::Json(Value::Array(guarded))
        }
        PatchBody::Json(other) => PatchBody::Json(other),
        PatchBody::Merge(body) => PatchBody::Merge(with_version(body)),
        PatchBody::Strategic(body) => PatchBody::Strategic(with_version(body)),
    }
}
