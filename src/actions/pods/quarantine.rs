//! `quarantine_pod`: take a pod out of its ReplicaSet and its Services by replacing its
//! labels, and keep it running for inspection.
//!
//! One JSON patch, guarded by a `test` of the resourceVersion read: `/metadata/labels`
//! becomes `medic.dev/quarantined: "true"` plus the incident's labels, and the original
//! labels are kept as JSON in the annotation `medic.dev/original-labels` (so a human can
//! put them back). No selector of its controller or of its Services matches it any more:
//! the controller releases it and creates a replacement, the Services stop routing to it.
//!
//! A StatefulSet pod is refused: its replacement needs the very name the quarantined pod
//! keeps. Planning reads only; it must not patch anything itself.

use serde_json::{Map, Value, json};

use super::labels::{labels_of, services_selecting};
use super::{BEING_DELETED, terminating};
use crate::actions::diff::patch_change;
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::read::{incident_metadata, kind_and_name, not_applicable};
use crate::actions::target::acting_on_live;
use crate::actions::{ActionError, ActionKind, QuarantinePod};
use crate::cluster::{ObjectRef, PatchBody};

/// The label a quarantined pod carries.
pub const QUARANTINED: &str = "medic.dev/quarantined";

/// The annotation holding a quarantined pod's original labels, as a JSON object.
pub const ORIGINAL_LABELS: &str = "medic.dev/original-labels";

/// Plans `quarantine_pod`: one JSON patch of the pod's labels and annotations.
pub async fn plan_quarantine_pod(
    _p: &QuarantinePod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::QuarantinePod;
    let (target, pod) = acting_on_live(kind, target, input).await?;
    let refuse = |reason: String| not_applicable(kind.name(), &target, reason);
    if pod.label(QUARANTINED) == Some("true") {
        return Err(refuse(format!(
            "the pod is already quarantined (label {QUARANTINED}=true)"
        )));
    }
    if terminating(&pod) {
        return Err(refuse(BEING_DELETED.into()));
    }
    let original = labels_of(&pod);
    if original.is_empty() {
        return Err(refuse(
            "the pod has no labels: no controller or Service selects it, so there is nothing to take it out of".into(),
        ));
    }
    let owner = pod.controller();
    match &owner {
        Some(o) if o.kind.is("StatefulSet") => {
            return Err(refuse(format!(
                "it belongs to {}, whose replacement would need the name the quarantined pod keeps (restart_pod replaces it)",
                kind_and_name(o)
            )));
        }
        Some(o) if o.kind.is("Node") => {
            return Err(refuse(format!(
                "it is a static pod of node {}: only its kubelet manages it",
                o.name
            )));
        }
        _ => {}
    }
    let namespace = target.namespace.clone().unwrap_or_default();
    let services = services_selecting(input.cluster, &namespace, Some(&Value::Object(original.clone()))).await?;

    let (incident_labels, incident_annotations) = incident_metadata(input.incident);
    let mut labels = Map::new();
    labels.insert(QUARANTINED.into(), json!("true"));
    labels.extend(incident_labels);
    let mut added = incident_annotations;
    added.insert(ORIGINAL_LABELS.into(), json!(Value::Object(original).to_string()));
    let mut ops = Vec::new();
    if let Some(rv) = pod.resource_version() {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops.push(json!({"op": "replace", "path": "/metadata/labels", "value": labels}));
    if pod.0.pointer("/metadata/annotations").is_some_and(Value::is_object) {
        for (k, v) in added {
            let path = format!("/metadata/annotations/{}", k.replace('~', "~0").replace('/', "~1"));
            ops.push(json!({"op": "add", "path": path, "value": v}));
        }
    } else {
        ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": added}));
    }
    let patch = PatchBody::Json(Value::Array(ops));
    let change = patch_change(kind.name(), &pod, &patch)?;

    let mut notes = Vec::new();
    notes.push(match &owner {
        Some(o) => format!(
            "its {} no longer selects it: it releases the pod and creates a replacement",
            kind_and_name(o)
        ),
        None => "the pod has no controller: nothing replaces it".to_string(),
    });
    if services.is_empty() {
        notes.push("no Service selects it".into());
    }
    for s in &services {
        notes.push(format!(
            "Service {} (selector {}) stops routing to it",
            s.name, s.selector
        ));
    }
    notes.push(format!(
        "the pod keeps running for inspection; its original labels are kept in annotation {ORIGINAL_LABELS}; delete it when done"
    ));
    Ok(Plan::one_patch(
        kind.name(),
        format!(
            "quarantine {target}: replace its labels with {QUARANTINED}=true so that no controller or Service selects it"
        ),
        target,
        None,
        patch,
        change,
        notes,
    ))
}
