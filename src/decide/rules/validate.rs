//! Validation of rule specs: every problem of every rule at once, each as a path
//! (`rules[2].params.memory_factor`) and a message quoting the offending value.
//!
//! Checks names (empty, duplicate), actions (in the catalog), parameters (they
//! deserialize into the action's typed parameters, with templated strings accepted where
//! the parameter is a string), templates (known variables, closed braces), conditions
//! (regular expressions, durations, empty lists), confidence (0..1), the target selector
//! against the action, and the same for each alternative.
//!
//! Validation is pure: it reads only the specs. Bounds from the configuration are not
//! known here, so out-of-bounds values are left to the policy stage.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::matcher::Matcher;
use super::spec::{RuleSpec, TargetSelector};
use super::template::{Template, check_value, is_template};
use crate::actions::{Action, ActionError, ActionKind, Bounds};

/// Every problem of the rules as (path, message); `prefix` is the path of the list
/// (`rules` in the config file).
pub fn validate_rules(rules: &[RuleSpec], prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("{prefix}[{i}]");
        let name = rule.name.trim();
        if name.is_empty() {
            out.push((
                format!("{at}.name"),
                format!("must not be empty, found {:?}", rule.name),
            ));
        } else if let Some(j) = first_index.get(name) {
            out.push((
                format!("{at}.name"),
                format!("duplicate rule name {:?} (also {prefix}[{j}])", rule.name),
            ));
        } else {
            first_index.insert(name, i);
        }
        if let Err(problems) = Matcher::new(&rule.matches) {
            out.extend(problems.into_iter().map(|(p, m)| (format!("{at}.match.{p}"), m)));
        }
        action_problems(&rule.action, &rule.params, rule.target, &at, &mut out);
        if let Some(c) = rule.confidence
            && !(0.0..=1.0).contains(&c)
        {
            out.push((
                format!("{at}.confidence"),
                format!("must be between 0 and 1, found {c}"),
            ));
        }
        if let Some(r) = &rule.rationale
            && let Err(e) = Template::parse(r)
        {
            out.push((format!("{at}.rationale"), e.to_string()));
        }
        for (k, alt) in rule.alternatives.iter().enumerate() {
            action_problems(
                &alt.action,
                &alt.params,
                rule.target,
                &format!("{at}.alternatives[{k}]"),
                &mut out,
            );
        }
    }
    out
}

/// The problems of one action with its parameters; paths below `at` (`at.action`,
/// `at.params.NAME`).
fn action_problems(
    action: &str,
    params: &Map<String, Value>,
    target: TargetSelector,
    at: &str,
    out: &mut Vec<(String, String)>,
) {
    let Some(kind) = ActionKind::parse(action) else {
        let known: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
        out.push((
            format!("{at}.action"),
            format!("unknown action {action:?} (known: {})", known.join(", ")),
        ));
        return;
    };
    let kinds = kind.target_kinds();
    let selector_problem = match target {
        TargetSelector::Node if !kinds.is_empty() && !kinds.contains(&"Node") => Some("node"),
        TargetSelector::Workload if kinds == ["Pod"] => Some("workload"),
        _ => None,
    };
    if let Some(selector) = selector_problem {
        out.push((
            format!("{at}.action"),
            format!(
                "{action} acts on {}, but the rule's target is {selector:?}",
                kinds.join(", ")
            ),
        ));
    }
    let params_value = Value::Object(params.clone());
    let template_problems = check_value(&params_value, &format!("{at}.params"));
    out.extend(template_problems.into_iter().map(|(p, e)| (p, e.to_string())));

    // Templated strings cannot be checked before rendering: leave them out of the probe,
    // after checking the parameter takes a string at all.
    let schema = kind.params_schema();
    let mut probe = params.clone();
    let mut left_out = Vec::new();
    for (key, value) in params {
        let Value::String(s) = value else { continue };
        if !is_template(s) {
            continue;
        }
        let Some(field_schema) = schema.pointer(&format!("/properties/{key}")) else {
            continue; // unknown parameter: the probe reports it
        };
        if !accepts_string(field_schema, &schema) {
            out.push((
                format!("{at}.params.{key}"),
                format!(
                    "{s:?} is a template, which renders to a string, but {key} is not a string parameter \
                     (templates are rendered in strings only)"
                ),
            ));
        }
        probe.remove(key);
        left_out.push(key.clone());
    }
    let problem = match Action::from_parts(action, Value::Object(probe)) {
        Ok(parsed) if left_out.is_empty() => match parsed.validate(&Bounds::default()) {
            Err(ActionError::InvalidParams { field, message, .. }) => Some((field, message)),
            // Bounds come from the configuration, which validation does not see; any
            // other error is about a cluster this check does not read.
            _ => None,
        },
        Ok(_) => None,
        Err(ActionError::InvalidParams { field, message, .. }) => {
            let missing_left_out = left_out
                .iter()
                .any(|k| message.contains(&format!("missing field `{k}`")));
            (!missing_left_out).then_some((field, message))
        }
        Err(e) => Some(("params".into(), e.to_string())),
    };
    if let Some((field, message)) = problem {
        let message = quote_value(&field, message, params);
        out.push((format!("{at}.{field}"), message));
    }
}

/// Appends the offending value to a message that does not quote it already.
fn quote_value(field: &str, message: String, params: &Map<String, Value>) -> String {
    let Some(key) = field.strip_prefix("params.") else {
        return message;
    };
    let key = key.split(['.', '[']).next().unwrap_or(key);
    match params.get(key) {
        Some(v) => {
            let text = v.to_string();
            let bare = v.as_str().unwrap_or(&text);
            if message.contains(&text) || message.contains(bare) || message.starts_with("unknown field") {
                message
            } else {
                format!("{message}, found {text}")
            }
        }
        None => message,
    }
}

/// Whether a JSON Schema (of one parameter) admits a string.
fn accepts_string(schema: &Value, root: &Value) -> bool {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = r.trim_start_matches('#');
        return root.pointer(pointer).is_some_and(|s| accepts_string(s, root));
    }
    let type_is_string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    type_is_string
        || ["anyOf", "oneOf", "allOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(Value::as_array)
                .is_some_and(|options| options.iter().any(|o| accepts_string(o, root)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> Vec<RuleSpec> {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    fn problems(yaml: &str) -> Vec<(String, String)> {
        validate_rules(&rules(yaml), "rules")
    }

    fn has(problems: &[(String, String)], path: &str, text: &str) -> bool {
        problems.iter().any(|(p, m)| p == path && m.contains(text))
    }

    #[test]
    fn a_good_rule_has_no_problems() {
        let p = problems(
            r#"
- name: oom
  match: {alertname: KubePodCrashLooping, context: {last_termination_reason: OOMKilled, revision_younger_than: 2h}}
  action: increase_resources
  params: {container: "{{ container }}", memory_factor: 1.5}
  target: workload
  confidence: 0.9
  rationale: "{{ labels.container }} was OOMKilled"
  alternatives:
    - {action: escalate, params: {reason: "{{ alertname }} needs a human"}}
- name: quantity-from-a-label
  action: increase_resources
  params: {memory: "{{ labels.memory }}"}
"#,
        );
        assert_eq!(p, vec![]);
    }

    #[test]
    fn names_actions_and_confidence() {
        let p = problems(
            r#"
- {name: "", action: escalate}
- {name: a, action: escalate}
- {name: a, action: reboot_node, confidence: 1.5}
"#,
        );
        assert!(has(&p, "rules[0].name", "must not be empty"), "{p:?}");
        assert!(
            has(&p, "rules[2].name", "duplicate rule name \"a\" (also rules[1])"),
            "{p:?}"
        );
        assert!(has(&p, "rules[2].action", "unknown action \"reboot_node\""), "{p:?}");
        assert!(has(&p, "rules[2].confidence", "found 1.5"), "{p:?}");
        assert_eq!(p.len(), 4, "{p:?}");
    }

    #[test]
    fn params_are_checked_against_the_action() {
        let p = problems(
            r#"
- {name: a, action: increase_resources, params: {memory_factor: "lots"}}
- {name: b, action: increase_resources, params: {memry_factor: 1.5}}
- {name: c, action: increase_resources, params: {memory_factor: 0.5}}
- {name: d, action: increase_resources, params: {}}
- {name: e, action: scale_deployment, params: {replicas: "{{ labels.replicas }}"}}
- {name: f, action: increase_resources, params: {memory: "a lot"}}
"#,
        );
        assert!(has(&p, "rules[0].params.memory_factor", "\"lots\""), "{p:?}");
        assert!(
            has(&p, "rules[1].params.memry_factor", "unknown field `memry_factor`"),
            "{p:?}"
        );
        assert!(has(&p, "rules[2].params.memory_factor", "found 0.5"), "{p:?}");
        assert!(has(&p, "rules[3].params.memory_factor", "at least one"), "{p:?}");
        assert!(has(&p, "rules[4].params.replicas", "not a string parameter"), "{p:?}");
        assert!(has(&p, "rules[5].params.memory", "\"a lot\""), "{p:?}");
        assert_eq!(p.len(), 6, "{p:?}");
    }

    #[test]
    fn templates_conditions_and_alternatives() {
        let p = problems(
            r#"
- name: a
  match:
    labels_regex: {pod: "api-("}
    context: {revision_younger_than: "2 hours"}
  action: restart_pod
  params: {force: false}
  rationale: "{{ lables.pod }} is stuck"
  alternatives:
    - {action: rollout_restart, params: {reason: "{{ labels.pod }}"}}
    - {action: escalate, params: {reason: "{{ pod }}"}}
    - {action: reboot_cluster}
"#,
        );
        assert!(has(&p, "rules[0].match.labels_regex.pod", "\"api-(\""), "{p:?}");
        assert!(
            has(&p, "rules[0].match.context.revision_younger_than", "\"2 hours\""),
            "{p:?}"
        );
        assert!(has(&p, "rules[0].rationale", "\"lables.pod\""), "{p:?}");
        assert!(
            has(&p, "rules[0].alternatives[0].params.reason", "unknown field `reason`"),
            "{p:?}"
        );
        assert!(
            has(
                &p,
                "rules[0].alternatives[1].params.reason",
                "unknown template variable \"pod\""
            ),
            "{p:?}"
        );
        assert!(
            has(&p, "rules[0].alternatives[2].action", "\"reboot_cluster\""),
            "{p:?}"
        );
        assert_eq!(p.len(), 6, "{p:?}");
    }

    #[test]
    fn target_selector_must_suit_the_action() {
        let p = problems(
            r#"
- {name: a, action: rollout_restart, target: node}
- {name: b, action: restart_pod, target: workload}
- {name: c, action: escalate, target: node}
"#,
        );
        assert!(has(&p, "rules[0].action", "target is \"node\""), "{p:?}");
        assert!(has(&p, "rules[1].action", "acts on Pod"), "{p:?}");
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
