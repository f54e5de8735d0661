//! Kubernetes Events on the objects medic acts on: after each successful cluster call, a
//! core/v1 Event (`reason: Medic<Action>`, the plan's summary as message) is created on
//! the object the call was about, so that `kubectl describe` shows what medic did.
//!
//! Recording is best effort: a failure is logged and counted, and never fails the
//! action that was carried out.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::actions::Plan;
use crate::cluster::{Object, ObjectRef, Operation, OperationResult};

/// The component named as the Event's source.
pub const COMPONENT: &str = "medic";

/// The namespace of Events about cluster-scoped objects (nodes), as the kubelet and
/// kubectl put them.
const CLUSTER_EVENTS_NAMESPACE: &str = "default";

/// Longest message recorded (longer summaries are cut at a character boundary).
const MAX_MESSAGE: usize = 1024;

/// `MedicRestartPod` for `restart_pod`.
pub fn reason(action: &str) -> String {
    let mut out = String::from("Medic");
    for word in action.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The Event recording that `op` of `plan` succeeded, or `None` when the call was about
/// no Kubernetes object (a notification) or was itself the creation of an Event.
///
/// `suffix` makes the name unique (`<object>.<suffix>`); the caller passes random hex.
pub fn event_for(
    plan: &Plan,
    op: &Operation,
    result: &OperationResult,
    now: Timestamp,
    suffix: &str,
) -> Option<Object> {
    if matches!(op, Operation::Notify { .. }) {
        return None;
    }
    let target = op.target();
    if target.kind.is("Event") {
        return None;
    }
    let namespace = target
        .namespace
        .clone()
        .unwrap_or_else(|| CLUSTER_EVENTS_NAMESPACE.to_string());
    let mut involved = json!({
        "apiVersion": target.kind.api_version,
        "kind": target.kind.kind,
        "name": target.name,
    });
    if let Some(ns) = &target.namespace {
        involved["namespace"] = json!(ns);
    }
    if let Some(uid) = uid_of(&target, op, result) {
        involved["uid"] = json!(uid);
    }
    let now = now.to_string();
    let event = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": format!("{}.{suffix}", target.name), "namespace": namespace},
        "involvedObject": involved,
        "reason": reason(&plan.action),
        "message": truncate(&plan.summary, MAX_MESSAGE),
        "type": "Normal",
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    });
    Object::new(event).ok()
}

/// The uid of the object acted on: from the API's answer when it is that object (a
/// patch, a create), else from a delete's precondition.
fn uid_of(target: &ObjectRef, op: &Operation, result: &OperationResult) -> Option<String> {
    let answered = result
        .object
        .as_ref()
        .filter(|o| o.name() == target.name && o.kind().kind == target.kind.kind)
        .and_then(|o| o.uid().map(str::to_string));
    match op {
        Operation::Delete { uid: Some(uid), .. } => answered.or_else(|| Some(uid.clone())),
        _ => answered,
    }
}

fn truncate(text: &str, max: usize) -> Value {
    if text.len() <= max {
        return json!(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    json!(text[..end])
}

/// Random hex for an Event name, as unique as the API server needs.
pub fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_camel_case() {
        assert_eq!(reason("restart_pod"), "MedicRestartPod");
        assert_eq!(reason("drain_node"), "MedicDrainNode");
        assert_eq!(reason("scale_statefulset"), "MedicScaleStatefulset");
    }

    #[test]
    fn long_messages_are_cut_at_a_character() {
        assert_eq!(truncate("héllo", 2), json!("h"));
        assert_eq!(truncate("hello", 10), json!("hello"));
        assert_eq!(random_suffix().len(), 16);
    }
}
