//! `taint_node`: add one taint to a node with a JSON patch, guarded by the node's
//! resourceVersion, and say which running pods a `NoExecute` taint evicts.
//!
//! Planning reads only; tolerations are matched here as the taint eviction controller
//! matches them, to describe what will happen, never to act on it.

use serde_json::{Value, json};

use super::super::diff;
use super::super::plan::{Plan, PlanInput};
use super::super::read::not_applicable;
use super::super::target::acting_on_live;
use super::super::{ActionError, ActionKind, TaintEffect, TaintNode};
use super::{is_finished, is_terminating, names, pod_name, pods_on};
use crate::cluster::{Object, ObjectRef, PatchBody};

/// Plans `taint_node`: a JSON patch that tests the node's resourceVersion and appends the
/// taint to `spec.taints` (creating the list, or `spec` itself, when the node has none).
pub async fn plan_taint_node(
    p: &TaintNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::TaintNode;
    let (target, node) = acting_on_live(kind, target, input).await?;
    let existing = node.0.pointer("/spec/taints").and_then(Value::as_array).cloned();
    if let Some(same) = existing
        .iter()
        .flatten()
        .find(|t| t["key"] == p.key.as_str() && t["effect"] == p.effect.as_str())
    {
        return Err(not_applicable(
            kind.name(),
            &target,
            format!(
                "the node already has a taint with key {} and effect {} ({})",
                p.key,
                p.effect,
                taint_text(same)
            ),
        ));
    }
    let mut taint = json!({"key": p.key, "effect": p.effect.as_str()});
    if let Some(v) = p.value.as_deref().filter(|v| !v.is_empty()) {
        taint["value"] = json!(v);
    }
    let mut ops = Vec::new();
    if let Some(rv) = node.resource_version() {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
    }
    let has_spec = node.0.get("spec").is_some_and(Value::is_object);
    ops.push(match existing {
        Some(_) => json!({"op": "add", "path": "/spec/taints/-", "value": taint}),
        None if has_spec => json!({"op": "add", "path": "/spec/taints", "value": [taint]}),
        None => json!({"op": "add", "path": "/spec", "value": {"taints": [taint]}}),
    });
    let patch = PatchBody::Json(Value::Array(ops));
    let change = diff::patch_change(kind.name(), &node, &patch)?;
    let notes = effect_notes(p, &node, input).await?;
    Ok(Plan::one_patch(
        kind.name(),
        format!("taint {target} with {}", p.text()),
        target,
        None,
        patch,
        change,
        notes,
    ))
}

/// What the taint does, by effect; for `NoExecute`, which running pods it evicts.
async fn effect_notes(p: &TaintNode, node: &Object, input: &PlanInput<'_>) -> Result<Vec<String>, ActionError> {
    Ok(match p.effect {
        TaintEffect::NoSchedule => vec![format!(
            "pods already running on the node stay; new pods without a toleration for {} are not scheduled on it",
            p.key
        )],
        TaintEffect::PreferNoSchedule => vec![format!(
            "the scheduler avoids the node for new pods without a toleration for {}, but may still use it",
            p.key
        )],
        TaintEffect::NoExecute => {
            let pods = pods_on(input.cluster, node.name()).await?;
            let running: Vec<&Object> = pods
                .iter()
                .filter(|pod| !is_finished(pod) && !is_terminating(pod))
                .collect();
            let mut evicted = Vec::new();
            let mut later = Vec::new();
            for pod in running {
                match tolerance(pod, p) {
                    Tolerance::None => evicted.push(pod),
                    Tolerance::For(seconds) => later.push(format!("{} ({seconds}s)", pod_name(pod))),
                    Tolerance::Always => {}
                }
            }
            let mut notes = Vec::new();
            if evicted.is_empty() {
                notes.push("no pod running on the node lacks a toleration for it: none is evicted now".into());
            } else {
                notes.push(format!(
                    "NoExecute: the pods running on the node without a toleration for it are evicted now: {}",
                    names(&evicted)
                ));
            }
            if !later.is_empty() {
                notes.push(format!(
                    "pods tolerating it for a limited time are evicted when their tolerationSeconds run out: {}",
                    later.join(", ")
                ));
            }
            notes
        }
    })
}

/// How long a pod tolerates a taint.
enum Tolerance {
    /// It does not: it is evicted.
    None,
    /// For this many seconds (`tolerationSeconds`).
    For(i64),
    /// Indefinitely.
    Always,
}

/// Whether the pod tolerates the taint, as the scheduler and the taint eviction
/// controller match tolerations: same effect (or none), and `Exists` on the key (or on
/// every key), or `Equal` (the default) on key and value.
fn tolerance(pod: &Object, taint: &TaintNode) -> Tolerance {
    let value = taint.value.as_deref().unwrap_or_default();
    let mut best = Tolerance::None;
    for t in pod
        .0
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
        let effect_ok = s("effect").is_empty() || s("effect") == taint.effect.as_str();
        let matches = match s("operator") {
            "Exists" => s("key").is_empty() || s("key") == taint.key,
            "" | "Equal" => s("key") == taint.key && s("value") == value,
            _ => false,
        };
        if !(effect_ok && matches) {
            continue;
        }
        match t.get("tolerationSeconds").and_then(Value::as_i64) {
            None => return Tolerance::Always,
            Some(secs) => {
                if let Tolerance::For(have) = best
                    && have >= secs
                {
                    continue;
                }
                best = Tolerance::For(secs.max(0));
            }
        }
    }
    best
}

/// A taint object as kubectl prints it: `key=value:Effect`.
fn taint_text(t: &Value) -> String {
    let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
    match s("value") {
        "" => format!("{}:{}", s("key"), s("effect")),
        v => format!("{}={v}:{}", s("key"), s("effect")),
    }
}
