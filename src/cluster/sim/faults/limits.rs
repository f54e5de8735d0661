//! The LimitRange admission check the simulated API server makes when a controller
//! creates a pod: a container whose limit is above its namespace's `max` (or below its
//! `min`) is refused, as the `LimitRanger` admission plugin does. A remedy that raises a
//! limit past what the namespace allows thus has its real effect: the new pods are never
//! created, and the old ones keep failing.

use serde_json::Value;

use super::objects::quantity;
use crate::cluster::sim::store::Store;

/// Checks a new pod against the LimitRanges of its namespace; the error is the API
/// server's message.
pub(in crate::cluster::sim) fn admit(store: &Store, pod: &Value) -> Result<(), String> {
    let ns = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let containers = pod.pointer("/spec/containers").and_then(Value::as_array);
    for range in store.list("", "LimitRange", Some(ns)) {
        let items = range.0.pointer("/spec/limits").and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            if item.get("type").and_then(Value::as_str) != Some("Container") {
                continue;
            }
            for c in containers.into_iter().flatten() {
                for resource in ["memory", "cpu"] {
                    let limit_text = c.pointer(&format!("/resources/limits/{resource}"));
                    let Some(limit) = limit_text.and_then(quantity) else {
                        continue;
                    };
                    let shown = limit_text.map(text).unwrap_or_default();
                    if let Some(max_text) = item.pointer(&format!("/max/{resource}"))
                        && quantity(max_text).is_some_and(|max| limit > max)
                    {
                        return Err(format!(
                            "pods \"{name}\" is forbidden: maximum {resource} usage per Container is {}, but limit is {shown}",
                            text(max_text)
                        ));
                    }
                    if let Some(min_text) = item.pointer(&format!("/min/{resource}"))
                        && quantity(min_text).is_some_and(|min| limit < min)
                    {
                        return Err(format!(
                            "pods \"{name}\" is forbidden: minimum {resource} usage per Container is {}, but limit is {shown}",
                            text(min_text)
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
