//! Reading the store for the fault model: the target, the pods a target owns, container
//! limits, conditions. Pure reads of plain data.

use serde_json::Value;

use super::spec::FaultTarget;
use crate::actions::quantity::Quantity;
use crate::cluster::sim::controllers::controlled_by;
use crate::cluster::sim::store::{Key, Store};
use crate::cluster::{Kind, Object};

/// The store key of a fault's target.
pub(super) fn target_key(target: &FaultTarget) -> Key {
    let kind = Kind::from_type("", &target.kind);
    let namespace = if kind.namespaced {
        target.namespace.clone().unwrap_or_else(|| "default".into())
    } else {
        String::new()
    };
    Key::new(kind.group(), &kind.kind, &namespace, &target.name)
}

/// The target object, when it exists.
pub(super) fn target_object(store: &Store, target: &FaultTarget) -> Option<Object> {
    store.get(&target_key(target)).cloned()
}

/// Whether a pod is being deleted.
pub(super) fn terminating(o: &Object) -> bool {
    o.0.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null())
}

/// The status of a condition of an object (`Ready` → `True`).
pub(super) fn condition<'a>(o: &'a Value, type_: &str) -> Option<&'a str> {
    o.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))?
        .get("status")?
        .as_str()
}

/// Whether a pod is Ready and not being deleted.
pub(super) fn ready(pod: &Object) -> bool {
    condition(&pod.0, "Ready") == Some("True") && !terminating(pod)
}

/// Whether `pod` belongs to the target: it is the target pod, or its controller chain
/// (pod → ReplicaSet → Deployment, pod → StatefulSet/DaemonSet) reaches the target.
pub(super) fn belongs(store: &Store, pod: &Object, target: &FaultTarget) -> bool {
    let key = target_key(target);
    if pod.namespace().unwrap_or_default() != key.namespace {
        return false;
    }
    if key.kind == "Pod" {
        return pod.name() == key.name;
    }
    let Some(owner) = store.get(&key) else {
        return false;
    };
    if controlled_by(pod, owner) {
        return true;
    }
    key.kind == "Deployment"
        && store
            .list("apps", "ReplicaSet", pod.namespace())
            .any(|rs| controlled_by(rs, owner) && controlled_by(pod, rs))
}

/// The pods of the target (the target pod itself for a pod), terminating ones included.
pub(super) fn pods(store: &Store, target: &FaultTarget) -> Vec<Object> {
    let ns = target_key(target).namespace;
    store
        .list("", "Pod", Some(&ns))
        .filter(|p| belongs(store, p, target))
        .cloned()
        .collect()
}

/// The pod template of a workload (`spec.template`).
pub(super) fn template(o: &Object) -> Option<&Value> {
    o.0.pointer("/spec/template")
}

/// A container of a pod spec (a pod's `spec` or a template's `spec`).
pub(super) fn container<'a>(pod_spec: &'a Value, name: &str) -> Option<&'a Value> {
    pod_spec
        .get("containers")?
        .as_array()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
}

/// The names of a pod spec's containers.
pub(super) fn container_names(pod_spec: &Value) -> Vec<String> {
    pod_spec
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// A container's limit of `resource` (`memory` in bytes, `cpu` in cores).
pub(super) fn limit(pod_spec: &Value, container_name: &str, resource: &str) -> Option<f64> {
    container(pod_spec, container_name)?
        .pointer(&format!("/resources/limits/{resource}"))
        .and_then(quantity)
}

/// A quantity as a number.
pub(super) fn quantity(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => Quantity::parse(s).ok().map(|q| q.value()),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// A pod spec reduced to what makes a revision behave: each container's name, image,
/// command, args and environment (resources and volumes left out), for telling the pods
/// of a faulty revision apart.
pub(super) fn behaviour(pod_spec: &Value) -> Value {
    let containers: Vec<Value> = pod_spec
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let mut kept = serde_json::Map::new();
            for field in ["name", "image", "command", "args", "env", "envFrom"] {
                if let Some(v) = c.get(field).filter(|v| !v.is_null()) {
                    kept.insert(field.into(), v.clone());
                }
            }
            Value::Object(kept)
        })
        .collect();
    Value::Array(containers)
}

/// A pod template as the Deployment controller compares it: without the
/// `pod-template-hash` label and without empty values.
pub(super) fn comparable(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove("pod-template-hash");
    }
    prune(&mut t);
    t
}

fn prune(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.values_mut().for_each(prune);
            m.retain(|_, v| match v {
                Value::Null => false,
                Value::Object(m) => !m.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            });
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

/// An integer at a JSON pointer.
pub(super) fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}
