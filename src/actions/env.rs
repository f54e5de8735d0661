//! `set_env`: set or remove one environment variable of a container in a workload's pod
//! template (as `kubectl set env`), e.g. `LOG_LEVEL=debug` to see why a pod fails.
//!
//! The change is one JSON patch that first `test`s the resourceVersion read, the
//! container's name at its index and, when the variable exists, its name at its index, so
//! it cannot land on another container, another variable or a template changed
//! meanwhile. A variable taken from a ConfigMap, a Secret or a field (`valueFrom`) is not
//! medic's to override or remove: that is refused, naming where its value comes from.
//!
//! Planning reads only; it must not write anything.

use serde_json::{Value, json};

use super::container::template_container;
use super::diff::patch_change;
use super::plan::{Plan, PlanInput};
use super::read::{is_paused, not_applicable};
use super::target::acting_on_live;
use super::{ActionError, ActionKind, SetEnv};
use crate::cluster::{Object, ObjectRef, PatchBody};

const ACTION: &str = "set_env";

/// Words in a variable's name that suggest its value is a secret.
const SECRET_HINTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "PRIVATE_KEY",
    "API_KEY",
];

/// Plans `set_env`.
pub async fn plan_set_env(p: &SetEnv, target: Option<&ObjectRef>, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    p.validate()?;
    let (target, live) = acting_on_live(ActionKind::SetEnv, target, input).await?;
    if target.kind.is("Deployment") && is_paused(&live) {
        return Err(not_applicable(
            ACTION,
            &target,
            "rollout is paused: the new environment would reach no pod until it is resumed",
        ));
    }
    let (index, container) = template_container(ACTION, &live, p.container.as_deref(), input, &target)?;
    let cname = container.get("name").and_then(Value::as_str).unwrap_or_default();
    let env: &[Value] = container
        .get("env")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let positions: Vec<usize> = env
        .iter()
        .enumerate()
        .filter(|(_, e)| e.get("name").and_then(Value::as_str) == Some(p.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    let name = &p.name;
    // The last definition of a name wins in Kubernetes; it is the one that matters.
    let effective = positions.last().map(|i| &env[*i]);
    if let Some(source) = effective.and_then(|e| e.get("valueFrom")) {
        return Err(not_applicable(
            ACTION,
            &target,
            format!(
                "{name} of container {cname} takes its value from {} (valueFrom): change it there, not in the pod template",
                value_source(source)
            ),
        ));
    }
    let old_value = effective.map(|e| e.get("value").and_then(Value::as_str).unwrap_or_default());

    let base = format!("/spec/template/spec/containers/{index}");
    let mut ops = Vec::new();
    if let Some(rv) = live.resource_version() {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops.push(json!({"op": "test", "path": format!("{base}/name"), "value": cname}));
    let summary = match (&p.value, old_value) {
        (None, None) => {
            let from = if container.get("envFrom").is_some() {
                " (it may come from its envFrom sources, which medic does not change)"
            } else {
                ""
            };
            return Err(not_applicable(
                ACTION,
                &target,
                format!("container {cname} has no environment variable {name} to remove{from}"),
            ));
        }
        (None, Some(old)) => {
            // Highest index first, so that each index is still right when it is removed.
            for i in positions.iter().rev() {
                ops.push(json!({"op": "test", "path": format!("{base}/env/{i}/name"), "value": name}));
                ops.push(json!({"op": "remove", "path": format!("{base}/env/{i}")}));
            }
            format!("remove {name} (was {old:?}) from container {cname} of {target}")
        }
        (Some(value), Some(old)) if value == old => {
            return Err(not_applicable(
                ACTION,
                &target,
                format!("{name} of container {cname} is already {value:?}"),
            ));
        }
        (Some(value), Some(old)) => {
            let i = positions.last().copied().unwrap_or_default();
            let op = if effective.and_then(|e| e.get("value")).is_some() {
                "replace"
            } else {
                "add"
            };
            ops.push(json!({"op": "test", "path": format!("{base}/env/{i}/name"), "value": name}));
            ops.push(json!({"op": op, "path": format!("{base}/env/{i}/value"), "value": value}));
            format!("set {name}={value:?} in container {cname} of {target} (was {old:?})")
        }
        (Some(value), None) => {
            let entry = json!({"name": name, "value": value});
            if container.get("env").is_some_and(Value::is_array) {
                ops.push(json!({"op": "add", "path": format!("{base}/env/-"), "value": entry}));
            } else {
                ops.push(json!({"op": "add", "path": format!("{base}/env"), "value": [entry]}));
            }
            format!("set {name}={value:?} in container {cname} of {target} (a new variable)")
        }
    };
    let patch = PatchBody::Json(Value::Array(ops));
    let change = patch_change(ACTION, &live, &patch)?;
    let mut notes = Vec::new();
    if positions.len() > 1 {
        notes.push(format!(
            "container {cname} defines {name} {} times; the last definition is the one in effect",
            positions.len()
        ));
    }
    if p.value.is_some() && SECRET_HINTS.iter().any(|h| name.to_ascii_uppercase().contains(h)) {
        notes.push(format!(
            "{name} looks like a secret: its value is stored in plain text in the pod template; prefer a Secret"
        ));
    }
    notes.push(rollout_note(&target, &live));
    Ok(Plan::one_patch(ACTION, summary, target, None, patch, change, notes))
}

/// How the workload's pods get the new environment.
fn rollout_note(target: &ObjectRef, live: &Object) -> String {
    let on_delete = live.0.pointer("/spec/updateStrategy/type").and_then(Value::as_str) == Some("OnDelete");
    if on_delete {
        format!("{target} uses the OnDelete update strategy: each pod gets the new environment only when it is deleted")
    } else {
        format!("changing the pod template replaces the pods of {target}, following its update strategy")
    }
}

/// Where a `valueFrom` takes its value: `Secret db-credentials key password`.
fn value_source(source: &Value) -> String {
    let s = |pointer: &str| source.pointer(pointer).and_then(Value::as_str).unwrap_or("?");
    if source.get("secretKeyRef").is_some() {
        format!("Secret {} key {}", s("/secretKeyRef/name"), s("/secretKeyRef/key"))
    } else if source.get("configMapKeyRef").is_some() {
        format!(
            "ConfigMap {} key {}",
            s("/configMapKeyRef/name"),
            s("/configMapKeyRef/key")
        )
    } else if source.get("fieldRef").is_some() {
        format!("the pod field {}", s("/fieldRef/fieldPath"))
    } else if source.get("resourceFieldRef").is_some() {
        format!("the container resource {}", s("/resourceFieldRef/resource"))
    } else {
        "another source".into()
    }
}
