//! The answer's JSON Schema, generated from the action catalog: the `choose_action` tool
//! (or the structured-output schema) offers exactly the actions allowed for the
//! incident, with each action's parameter schema from its Rust type.

use serde_json::{Map, Value, json};

use super::provider::{ResponseSchema, ToolSpec};
use crate::actions::ActionKind;

/// The name of the answer tool.
pub const CHOOSE_ACTION: &str = "choose_action";

/// The schema of one action's parameters, self-contained: schemars' `$defs` references
/// inlined (several providers reject `$ref`), `$schema` dropped, titled with the action's
/// name.
pub fn params_schema(kind: ActionKind) -> Value {
    let schema = kind.params_schema();
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = inline(&schema, &defs, 0);
    if let Some(o) = out.as_object_mut() {
        o.insert("title".into(), json!(kind.name()));
        o.insert("description".into(), json!(format!("Parameters of {}", kind.name())));
    }
    out
}

fn inline(value: &Value, defs: &Map<String, Value>, depth: usize) -> Value {
    match value {
        Value::Object(o) => {
            if depth < 16
                && let Some(name) = o
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/$defs/").or_else(|| r.strip_prefix("#/definitions/")))
                && let Some(def) = defs.get(name)
            {
                let mut resolved = inline(def, defs, depth + 1);
                if let Some(r) = resolved.as_object_mut() {
                    for (k, v) in o.iter().filter(|(k, _)| k.as_str() != "$ref") {
                        r.insert(k.clone(), inline(v, defs, depth + 1));
                    }
                }
                return resolved;
            }
            Value::Object(
                o.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "$defs" | "definitions" | "$schema"))
                    .map(|(k, v)| (k.clone(), inline(v, defs, depth + 1)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline(v, defs, depth + 1)).collect()),
        other => other.clone(),
    }
}

/// The schema of an answer choosing one of `allowed`.
pub fn answer_schema(allowed: &[ActionKind]) -> Value {
    let names: Vec<&str> = allowed.iter().map(|k| k.name()).collect();
    json!({
        "type": "object",
        "properties": {
            "action": {
                "type": "string",
                "enum": names,
                "description": "The catalog action to take; only the actions allowed for this incident."
            },
            "params": {
                "description": "The chosen action's parameters, following that action's schema ({} when it has none).",
                "anyOf": allowed.iter().map(|k| params_schema(*k)).collect::<Vec<_>>()
            },
            "target": {
                "type": "object",
                "description": "The object to act on, one named in the incident or seen through the tools. Leave out for escalate and notify.",
                "properties": {
                    "kind": {"type": "string", "description": "Kubernetes kind: Pod, Deployment, StatefulSet, DaemonSet, Node, ..."},
                    "namespace": {"type": "string", "description": "Its namespace; leave out for nodes."},
                    "name": {"type": "string"}
                },
                "required": ["kind", "name"],
                "additionalProperties": false
            },
            "confidence": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "How sure you are that this action fixes the cause, from 0 to 1."
            },
            "rationale": {
                "type": "string",
                "description": "Why this action, citing the evidence, in words a human on call can check."
            },
            "alternatives": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Other actions considered, each with why not."
            }
        },
        "required": ["action", "params", "confidence", "rationale"],
        "additionalProperties": false
    })
}

/// The `choose_action` tool.
pub fn choose_action_tool(allowed: &[ActionKind]) -> ToolSpec {
    ToolSpec {
        name: CHOOSE_ACTION.into(),
        description: "Give your answer: the one remediation action to take, with its parameters, target, \
                      confidence, rationale and the alternatives you considered. Call it exactly once."
            .into(),
        parameters: answer_schema(allowed),
    }
}

/// The answer schema as structured output (not strict: parameters are optional fields,
/// which strict mode does not allow).
pub fn response_schema(allowed: &[ActionKind]) -> ResponseSchema {
    ResponseSchema {
        name: CHOOSE_ACTION.into(),
        schema: answer_schema(allowed),
        strict: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value) -> usize {
        match v {
            Value::Object(o) => usize::from(o.contains_key("$ref")) + o.values().map(refs).sum::<usize>(),
            Value::Array(a) => a.iter().map(refs).sum(),
            _ => 0,
        }
    }

    #[test]
    fn every_params_schema_is_self_contained_and_titled() {
        for k in ActionKind::ALL {
            let s = params_schema(*k);
            assert_eq!(refs(&s), 0, "{k}: {s}");
            assert!(s.get("$defs").is_none() && s.get("$schema").is_none(), "{k}");
            assert_eq!(s["title"], k.name());
        }
    }

    #[test]
    fn answer_schema_offers_exactly_the_allowed_actions() {
        let allowed = [
            ActionKind::RestartPod,
            ActionKind::IncreaseResources,
            ActionKind::Escalate,
        ];
        let s = answer_schema(&allowed);
        assert_eq!(
            s["properties"]["action"]["enum"],
            json!(["restart_pod", "increase_resources", "escalate"])
        );
        let params = s["properties"]["params"]["anyOf"].as_array().unwrap();
        assert_eq!(params.len(), 3);
        assert_eq!(params[1]["title"], "increase_resources");
        assert!(params[1]["properties"]["memory"].is_object(), "{}", params[1]);
        let validator = jsonschema::validator_for(&s).unwrap();
        assert!(validator.is_valid(&json!({
            "action": "increase_resources", "params": {"memory_factor": 1.5},
            "target": {"kind": "Deployment", "namespace": "shop", "name": "api"},
            "confidence": 0.8, "rationale": "OOMKilled at the limit"
        })));
        assert!(!validator.is_valid(&json!({"action": "drain_node", "params": {}, "confidence": 1, "rationale": "x"})));
    }
}
