//! `collect_diagnostics`: snapshot what `kubectl describe` and `kubectl logs` would show
//! about the target — any kind: a pod, a workload, a node, a claim, … — into the plan's
//! [`Artifact`]s, which the store keeps with the outcome.
//!
//! The snapshot is read while planning, through [`crate::context::gather::gather_at`] for the
//! kinds an incident can name (owners, workload, pods and their containers, node,
//! Warning events, log tails), plus the object itself and all of its own events. Without
//! `params.configmap` the plan has no operation: the snapshot is its result. With it, the
//! plan creates the ConfigMap `medic-diagnostics-<target>-<fingerprint>` next to the
//! target (namespace `default` for cluster-scoped targets), labelled and annotated with
//! the incident, holding each artifact under its name.
//!
//! Planning reads only; it must not write anything itself.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::snapshot::{Snapshot, artifacts};
use crate::actions::diff;
use crate::actions::plan::{Artifact, Change, Plan, PlanInput};
use crate::actions::read::{get_existing, incident_metadata, not_applicable};
use crate::actions::{ActionError, CollectDiagnostics};
use crate::cluster::{Object, ObjectRef, Operation};
use crate::context::gather::gather_at;
use crate::context::{Context, Limits};
use crate::incident::{TargetKind, TargetRef};

const ACTION: &str = "collect_diagnostics";

/// The most a ConfigMap holds (the API server refuses larger ones), with room for its
/// metadata.
const MAX_CONFIGMAP_BYTES: usize = 1_000_000;

/// Plans `collect_diagnostics` as of the system clock.
pub async fn plan_collect_diagnostics(
    p: &CollectDiagnostics,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    plan_collect_diagnostics_at(p, target, input, Timestamp::now()).await
}

/// Plans `collect_diagnostics` as of `now` (the snapshot's time stamp and the age of
/// revisions in it).
pub async fn plan_collect_diagnostics_at(
    p: &CollectDiagnostics,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
    now: Timestamp,
) -> Result<Plan, ActionError> {
    let target = target.cloned().ok_or_else(|| ActionError::NotApplicable {
        action: ACTION,
        target: crate::actions::target_text(None),
        reason: "neither the decision nor the incident names an object to diagnose".into(),
    })?;
    let object = get_existing(input, ACTION, &target).await?;
    let context = context_of(input, &target, &object, now).await;
    let events = input.cluster.events(&target).await?;
    let snapshot = Snapshot {
        target: &target,
        object: &object,
        context: &context,
        events: &events,
        incident: input.incident,
        now,
    };
    let artifacts = artifacts(&snapshot);
    let total: usize = artifacts.iter().map(|a| a.name.len() + a.content.len()).sum();
    let mut what = vec!["the object".to_string()];
    if !context.pods.is_empty() {
        what.push(count(context.pods.len(), "pod"));
    }
    let own = target.to_string();
    let related_events = context.events.iter().filter(|e| e.object != own).count();
    what.push(count(events.len() + related_events, "event"));
    what.push(count(context.logs.len(), "log tail"));
    let mut notes: Vec<String> = context.errors.iter().map(|e| format!("could not read {e}")).collect();
    let mut summary = format!("collect diagnostics of {target}: {}", what.join(", "));
    let mut operations = Vec::new();
    let mut changes = Vec::new();
    if p.configmap {
        if total > MAX_CONFIGMAP_BYTES {
            return Err(not_applicable(
                ACTION,
                &target,
                format!(
                    "the snapshot is {total} bytes, more than a ConfigMap holds ({MAX_CONFIGMAP_BYTES}); collect it without params.configmap"
                ),
            ));
        }
        let configmap = configmap(input, &target, &artifacts, now);
        let cm_ref = configmap.reference();
        if input.cluster.get(&cm_ref).await?.is_some() {
            return Err(not_applicable(
                ACTION,
                &target,
                format!(
                    "ConfigMap {} already exists: this incident's diagnostics were already kept; collect without params.configmap",
                    cm_ref.name
                ),
            ));
        }
        summary.push_str(&format!(", kept in ConfigMap {}", cm_ref.name));
        notes.push(format!(
            "ConfigMap {} holds the snapshot ({total} bytes) under the artifacts' names; delete it when done",
            cm_ref.name
        ));
        changes.push(Change {
            object: cm_ref,
            diff: diff::created(&elided(&configmap)),
        });
        operations.push(Operation::Create { object: configmap });
    } else {
        notes.push("the snapshot is kept with the outcome; nothing in the cluster changes".into());
    }
    Ok(Plan {
        action: ACTION.into(),
        target: Some(target),
        summary,
        operations,
        changes,
        notes,
        artifacts,
    })
}

/// The target's context: gathered as for an incident about it when an incident can name
/// its kind, else only the object and its controller.
async fn context_of(input: &PlanInput<'_>, target: &ObjectRef, object: &Object, now: Timestamp) -> Context {
    let Some(kind) = TargetKind::parse(&target.kind.kind) else {
        return Context {
            target: Some(target.clone()),
            target_found: true,
            owners: object.controller().into_iter().collect(),
            object: Some(object.trimmed()),
            ..Context::default()
        };
    };
    let mut incident = input.incident.clone();
    let container = incident
        .target
        .as_ref()
        .filter(|t| t.kind == kind && t.name == target.name && t.namespace == target.namespace)
        .and_then(|t| t.container.clone());
    incident.target = Some(TargetRef {
        kind,
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        container,
    });
    gather_at(input.cluster, &incident, &Limits::default(), now).await
}

/// The ConfigMap holding the artifacts, next to the target.
fn configmap(input: &PlanInput<'_>, target: &ObjectRef, artifacts: &[Artifact], now: Timestamp) -> Object {
    let (mut labels, mut annotations) = incident_metadata(input.incident);
    labels.insert("medic.dev/diagnostics".into(), json!("true"));
    annotations.insert("medic.dev/target".into(), json!(target.to_string()));
    annotations.insert(
        "medic.dev/collected-at".into(),
        json!(now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    let data: Map<String, Value> = artifacts
        .iter()
        .map(|a| (a.name.clone(), Value::String(a.content.clone())))
        .collect();
    let namespace = target.namespace.clone().unwrap_or_else(|| "default".into());
    Object(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": configmap_name(&target.name, &input.incident.fingerprint),
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "data": data,
    }))
}

/// `medic-diagnostics-<target>-<first 8 characters of the fingerprint>`, within the 253
/// characters of an object name.
fn configmap_name(target: &str, fingerprint: &str) -> String {
    let short: String = fingerprint
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(8)
        .collect();
    let suffix = if short.is_empty() {
        String::new()
    } else {
        format!("-{short}")
    };
    let prefix = "medic-diagnostics-";
    let room = 253 - prefix.len() - suffix.len();
    let mut name: String = target.chars().take(room).collect();
    while name.ends_with(['-', '.']) {
        name.pop();
    }
    format!("{prefix}{name}{suffix}")
}

/// The ConfigMap as shown in a plan: each value replaced by its size, since the artifacts
/// are listed apart and a diff of whole logs would bury the change.
fn elided(configmap: &Object) -> Object {
    let mut shown = configmap.clone();
    if let Some(data) = shown.0.get_mut("data").and_then(Value::as_object_mut) {
        for v in data.values_mut() {
            let len = v.as_str().map(str::len).unwrap_or_default();
            *v = json!(format!("<{len} bytes>"));
        }
    }
    shown
}

/// `1 pod`, `3 events`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::configmap_name;

    #[test]
    fn configmap_names_are_bounded() {
        assert_eq!(
            configmap_name("api-1", "0f1e2d3c4b5a6978"),
            "medic-diagnostics-api-1-0f1e2d3c"
        );
        assert_eq!(configmap_name("worker-1", ""), "medic-diagnostics-worker-1");
        let long = configmap_name(&"n".repeat(300), "ABCDEF12345");
        assert_eq!(long.len(), 253);
        assert!(long.ends_with("-abcdef12"), "{long}");
    }
}
