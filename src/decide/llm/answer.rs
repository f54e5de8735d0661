//! Parsing a model's answer into a typed action, or rejecting it with the exact reason.
//!
//! The answer (the `choose_action` arguments, or a text answer) must be JSON following the
//! answer schema; its action must be one offered; its parameters must build the typed
//! [`Action`] ([`Action::from_parts`]) and fit the configured [`Bounds`]; its target must
//! be an object of the incident (or one the model saw through its tools) that the action
//! acts on; its confidence must lie in 0..1. The error text is what the model is shown
//! when it is asked again.

use serde::Deserialize;
use serde_json::Value;

use super::allowed::{canonical_kind, kind_fits, same_object};
use crate::actions::{Action, ActionKind, ActionSettings, Bounds};
use crate::cluster::{Kind, ObjectRef};

/// A valid answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The typed action.
    pub action: Action,
    /// The object to act on.
    pub target: Option<ObjectRef>,
    /// The model's confidence, 0..1.
    pub confidence: f64,
    /// The model's rationale.
    pub rationale: String,
    /// The alternatives it considered.
    pub alternatives: Vec<String>,
}

/// What an answer is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Checks<'a> {
    /// The actions offered.
    pub allowed: &'a [ActionKind],
    /// Parameter bounds.
    pub bounds: &'a Bounds,
    /// What the configurable actions may use (templates, commands, kinds, channels).
    pub actions: &'a ActionSettings,
    /// Objects the answer may target.
    pub known: &'a [ObjectRef],
    /// The target when the answer gives none (the alert's).
    pub default_target: Option<&'a ObjectRef>,
    /// The namespace of a namespaced target given without one.
    pub default_namespace: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    action: String,
    #[serde(default)]
    params: Value,
    #[serde(default)]
    target: Option<RawTarget>,
    confidence: f64,
    rationale: String,
    #[serde(default)]
    alternatives: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    kind: String,
    #[serde(default)]
    namespace: Option<String>,
    name: String,
}

/// The JSON object inside a text answer: the text itself, or inside a ``` fence, or from
/// its first `{` to its last `}`.
pub fn json_in_text(text: &str) -> &str {
    let t = text.trim();
    if t.starts_with('{') {
        return t;
    }
    match (t.find('{'), t.rfind('}')) {
        (Some(a), Some(b)) if a < b => &t[a..=b],
        _ => t,
    }
}

fn quote_start(text: &str) -> String {
    let mut end = text.len().min(120);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < text.len() { "..." } else { "" };
    format!("{:?}{more}", &text[..end])
}

/// Parses and checks an answer; the error says exactly what is wrong.
pub fn parse(text: &str, checks: &Checks<'_>) -> Result<Answer, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "the answer is not valid JSON: {e} (the answer begins {})",
            quote_start(text)
        )
    })?;
    let raw: RawAnswer = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(" at {path}")
        };
        format!("the answer does not follow the schema{at}: {}", e.into_inner())
    })?;
    let kind = ActionKind::parse(&raw.action)
        .filter(|k| checks.allowed.contains(k))
        .ok_or_else(|| {
            format!(
                "action {:?} is not one of the actions allowed for this incident: {}",
                raw.action,
                checks.allowed.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
            )
        })?;
    let action = Action::from_parts(kind.name(), raw.params).map_err(|e| e.to_string())?;
    action.validate(checks.bounds).map_err(|e| e.to_string())?;
    configured_choice(&action, checks.actions)?;
    if !(0.0..=1.0).contains(&raw.confidence) {
        return Err(format!("confidence must be between 0 and 1, found {}", raw.confidence));
    }
    if raw.rationale.trim().is_empty() {
        return Err("rationale is empty: say why this action, citing the evidence".into());
    }
    let target = target(kind, raw.target, checks)?;
    Ok(Answer {
        action,
        target,
        confidence: raw.confidence,
        rationale: raw.rationale.trim().to_string(),
        alternatives: raw.alternatives.into_iter().map(alternative_text).collect(),
    })
}

/// A configurable action must name something the configuration has.
fn configured_choice(action: &Action, settings: &ActionSettings) -> Result<(), String> {
    let (field, value, known): (&str, Option<&str>, Vec<String>) = match action {
        Action::RunJob(p) => (
            "template",
            Some(&p.template),
            settings.job_templates.keys().cloned().collect(),
        ),
        Action::ExecCommand(p) => (
            "command",
            Some(&p.command),
            settings.exec_commands.keys().cloned().collect(),
        ),
        Action::Notify(p) => (
            "channel",
            p.channel.as_deref(),
            settings.notify.iter().map(|c| c.name.clone()).collect(),
        ),
        Action::PatchResource(p) => ("kind", p.kind.as_deref(), settings.patchable_kinds.clone()),
        _ => return Ok(()),
    };
    match value {
        Some(v) if !known.iter().any(|k| k == v) => Err(format!(
            "{}: params.{field} {v:?} is not configured (configured: {})",
            action.kind().name(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )),
        _ => Ok(()),
    }
}

fn alternative_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Object(o) => {
            let field = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
            match (field("action"), field("why").or_else(|| field("reason"))) {
                (Some(a), Some(w)) => format!("{a}: {w}"),
                _ => Value::Object(o).to_string(),
            }
        }
        other => other.to_string(),
    }
}

fn target(kind: ActionKind, raw: Option<RawTarget>, checks: &Checks<'_>) -> Result<Option<ObjectRef>, String> {
    let Some(raw) = raw else {
        if kind.target_kinds().is_empty() {
            return Ok(checks.default_target.cloned());
        }
        return match checks.default_target {
            Some(t) if kind_fits(kind, &t.kind.kind) => Ok(Some(t.clone())),
            _ => Err(format!(
                "{} needs a target: one of {}",
                kind.name(),
                kind.target_kinds().join(", ")
            )),
        };
    };
    let (canonical, namespaced) = canonical_kind(&raw.kind)
        .ok_or_else(|| format!("target kind {:?} is not a Kubernetes kind medic acts on", raw.kind))?;
    let namespace = if namespaced {
        raw.namespace
            .filter(|n| !n.is_empty())
            .or_else(|| checks.default_namespace.map(str::to_string))
    } else {
        None
    };
    let r = ObjectRef {
        kind: Kind::from_type("", canonical),
        namespace,
        name: raw.name.trim().to_string(),
    };
    if !kind_fits(kind, canonical) {
        return Err(format!(
            "{} acts on {}, not on a {canonical}",
            kind.name(),
            kind.target_kinds().join(", ")
        ));
    }
    if !checks.known.iter().any(|k| same_object(k, &r)) {
        return Err(format!(
            "target {r} is not an object of this incident; known objects: {}",
            checks
                .known
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Some(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::IncreaseResources;

    fn known() -> Vec<ObjectRef> {
        vec![
            ObjectRef::namespaced("Pod", "shop", "api-1"),
            ObjectRef::namespaced("Deployment", "shop", "api"),
            ObjectRef::cluster_scoped("Node", "worker-1"),
        ]
    }

    fn check(text: &str) -> Result<Answer, String> {
        let known = known();
        let bounds = Bounds::default();
        let actions: ActionSettings =
            serde_yaml_ng::from_str("exec_commands: {heap-dump: {command: [jcmd, '1', GC.heap_dump]}}").unwrap();
        parse(
            text,
            &Checks {
                allowed: &[
                    ActionKind::RestartPod,
                    ActionKind::IncreaseResources,
                    ActionKind::ExecCommand,
                    ActionKind::Escalate,
                ],
                bounds: &bounds,
                actions: &actions,
                known: &known,
                default_target: Some(&known[0]),
                default_namespace: Some("shop"),
            },
        )
    }

    #[test]
    fn a_valid_answer_becomes_a_typed_action() {
        let a = check(
            r#"{"action":"increase_resources","params":{"memory_factor":1.5},
                "target":{"kind":"deployment","name":"api"},"confidence":0.82,
                "rationale":"OOMKilled at 256Mi","alternatives":[{"action":"restart_pod","why":"would OOM again"}]}"#,
        )
        .unwrap();
        assert_eq!(
            a.action,
            Action::IncreaseResources(IncreaseResources {
                memory_factor: Some(1.5),
                ..IncreaseResources::default()
            })
        );
        assert_eq!(a.target, Some(ObjectRef::namespaced("Deployment", "shop", "api")));
        assert_eq!(a.alternatives, vec!["restart_pod: would OOM again"]);
        let escalate = check(r#"{"action":"escalate","params":{},"confidence":0.4,"rationale":"unclear"}"#).unwrap();
        assert_eq!(escalate.target, Some(ObjectRef::namespaced("Pod", "shop", "api-1")));
    }

    #[test]
    fn every_rejection_says_what_is_wrong() {
        let cases = [
            (r#"{"action": "restart_pod", "confidence": 0.9"#, "not valid JSON"),
            (
                r#"{"action":"restart_pod","params":{},"confidence":"high","rationale":"x"}"#,
                "at confidence",
            ),
            (
                r#"{"action":"restart_pod","params":{},"confidence":0.9,"rationale":"x","why":"y"}"#,
                "unknown field `why`",
            ),
            (
                r#"{"action":"drain_node","params":{},"confidence":0.9,"rationale":"x"}"#,
                "\"drain_node\" is not one of the actions allowed for this incident: restart_pod, increase_resources, exec_command, escalate",
            ),
            (
                r#"{"action":"increase_resources","params":{"memory":"lots"},"confidence":0.9,"rationale":"x"}"#,
                "params.memory",
            ),
            (
                r#"{"action":"increase_resources","params":{"memory_factor":9},"confidence":0.9,"rationale":"x"}"#,
                "out of bounds",
            ),
            (
                r#"{"action":"restart_pod","params":{},"confidence":1.5,"rationale":"x"}"#,
                "between 0 and 1, found 1.5",
            ),
            (
                r#"{"action":"restart_pod","params":{},"confidence":0.5,"rationale":" "}"#,
                "rationale is empty",
            ),
            (
                r#"{"action":"restart_pod","params":{},"target":{"kind":"Pod","namespace":"shop","name":"db-0"},"confidence":0.5,"rationale":"x"}"#,
                "pod/shop/db-0 is not an object of this incident",
            ),
            (
                r#"{"action":"restart_pod","params":{},"target":{"kind":"Deployment","name":"api"},"confidence":0.5,"rationale":"x"}"#,
                "restart_pod acts on Pod, not on a Deployment",
            ),
            (
                r#"{"action":"restart_pod","params":{},"target":{"kind":"Widget","name":"w"},"confidence":0.5,"rationale":"x"}"#,
                "\"Widget\" is not a Kubernetes kind",
            ),
            (
                r#"{"action":"exec_command","params":{"command":"rm -rf /"},"confidence":0.5,"rationale":"x"}"#,
                "exec_command: params.command \"rm -rf /\" is not configured (configured: heap-dump)",
            ),
        ];
        for (text, expected) in cases {
            let e = check(text).unwrap_err();
            assert!(e.contains(expected), "{text}\n  gave: {e}\n  expected: {expected}");
        }
    }

    #[test]
    fn json_is_found_in_text_answers() {
        assert_eq!(json_in_text("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(json_in_text("Here it is: {\"a\": {}} done"), "{\"a\": {}}");
        assert_eq!(json_in_text("no json"), "no json");
    }
}
