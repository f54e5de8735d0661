//! Parameters of the pod actions: eviction, stuck pods, quarantine, isolation, exec,
//! diagnostics; and the validation of these and of `patch_resource`'s parameters.
//!
//! Validation here is pure: it checks the parameters alone (shape, syntax, sign) and
//! names the field and quotes the value. What depends on the cluster or the config
//! (the allow-lists) is checked by the planners.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::PatchResource;
use super::PatchType;
use crate::actions::ActionError;

/// Parameters of `evict_pod` (none: the pod is the target).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvictPod {}

/// Parameters of `delete_stuck_pods`. Pods of the target workload (or matching
/// `selector` in the target's namespace) that have been Terminating for longer than
/// their grace period plus `min_overdue_seconds` are force-deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteStuckPods {
    /// A label selector (`app=api`) choosing the pods instead of the target workload's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Extra seconds past the grace period before a pod counts as stuck (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_overdue_seconds: Option<i64>,
}

/// Parameters of `quarantine_pod`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantinePod {}

/// Parameters of `isolate_pod` (none: the pod is the target).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IsolatePod {}

/// Parameters of `exec_command`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecCommand {
    /// The name of a command allow-listed in config (`actions.exec_commands`); never a
    /// command line.
    pub command: String,
    /// The container; default: the alert's, else the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// Parameters of `collect_diagnostics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectDiagnostics {
    /// Also write the snapshot into a ConfigMap next to the target.
    #[serde(default)]
    pub configmap: bool,
}

/// An [`ActionError::InvalidParams`] of `action` at `params.<field>`.
fn invalid(action: &'static str, field: &str, message: String) -> ActionError {
    ActionError::InvalidParams {
        action,
        field: format!("params.{field}"),
        message,
    }
}

impl DeleteStuckPods {
    /// Checks `min_overdue_seconds` (0 or more) and the selector's syntax.
    pub(crate) fn validate(&self) -> Result<(), ActionError> {
        const ACTION: &str = "delete_stuck_pods";
        if let Some(s) = self.min_overdue_seconds
            && s < 0
        {
            return Err(invalid(
                ACTION,
                "min_overdue_seconds",
                format!("must be 0 or more, found {s}"),
            ));
        }
        if let Some(selector) = &self.selector
            && let Some(problem) = selector_problem(selector)
        {
            return Err(invalid(ACTION, "selector", format!("{selector:?}: {problem}")));
        }
        Ok(())
    }

    /// `min_overdue_seconds`, defaulting to 60.
    pub fn min_overdue(&self) -> i64 {
        self.min_overdue_seconds.unwrap_or(60)
    }
}

impl ExecCommand {
    /// Checks that a command name (and, when given, a container name) is there.
    pub(crate) fn validate(&self) -> Result<(), ActionError> {
        const ACTION: &str = "exec_command";
        if self.command.trim().is_empty() {
            return Err(invalid(
                ACTION,
                "command",
                "must name a command of actions.exec_commands, found an empty name".into(),
            ));
        }
        if let Some(c) = &self.container
            && c.trim().is_empty()
        {
            return Err(invalid(ACTION, "container", "must not be empty when given".into()));
        }
        Ok(())
    }
}

impl PatchResource {
    /// Checks the patch document fits its format and the names given are not empty.
    pub(crate) fn validate(&self) -> Result<(), ActionError> {
        const ACTION: &str = "patch_resource";
        for (field, value) in [
            ("kind", &self.kind),
            ("api_version", &self.api_version),
            ("name", &self.name),
            ("namespace", &self.namespace),
        ] {
            if let Some(v) = value
                && v.trim().is_empty()
            {
                return Err(invalid(ACTION, field, "must not be empty when given".into()));
            }
        }
        if let Some(v) = &self.api_version
            && !API_VERSION.is_match(v)
        {
            return Err(invalid(
                ACTION,
                "api_version",
                format!("{v:?} is not an apiVersion (`v1`, or `group/version` such as `example.com/v1`)"),
            ));
        }
        let found = match &self.patch {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        };
        match (self.patch_type, &self.patch) {
            (PatchType::Json, Value::Array(ops)) if ops.is_empty() => Err(invalid(
                ACTION,
                "patch",
                "a JSON patch needs at least one operation".into(),
            )),
            (PatchType::Json, Value::Array(_)) => Ok(()),
            (PatchType::Json, _) => Err(invalid(
                ACTION,
                "patch",
                format!("a JSON patch (patch_type json) is a list of operations, found {found}"),
            )),
            (PatchType::Merge | PatchType::Strategic, Value::Object(m)) if m.is_empty() => Err(invalid(
                ACTION,
                "patch",
                "the patch is an empty object: it changes nothing".into(),
            )),
            (PatchType::Merge | PatchType::Strategic, Value::Object(_)) => Ok(()),
            (PatchType::Merge | PatchType::Strategic, _) => Err(invalid(
                ACTION,
                "patch",
                format!("a merge or strategic-merge patch is an object, found {found}"),
            )),
        }
    }
}

/// `v1`, `apps/v1`, `example.com/v1alpha1`.
static API_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?v[0-9]+((alpha|beta)[0-9]+)?$")
        .expect("valid regex")
});

/// A label key: an optional DNS-subdomain prefix and `/`, then a name.
static LABEL_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
    )
    .expect("valid regex")
});

/// A label value (may be empty).
static LABEL_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$").expect("valid regex"));

/// What is wrong with a label selector in the API's string syntax (`app=api,tier!=db`,
/// `env in (a,b)`, `!canary`); `None` when it parses.
pub(crate) fn selector_problem(selector: &str) -> Option<String> {
    if selector.trim().is_empty() {
        return Some("a selector must have at least one requirement (e.g. `app=api`)".into());
    }
    let mut terms = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some("unbalanced `)`".into()),
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Some("unbalanced `(`".into());
    }
    terms.push(&selector[start..]);
    terms.into_iter().find_map(|t| requirement_problem(t.trim()))
}

/// What is wrong with one requirement of a selector.
fn requirement_problem(term: &str) -> Option<String> {
    let bad_key = |k: &str| (!LABEL_KEY.is_match(k)).then(|| format!("{k:?} is not a valid label key"));
    let bad_value = |v: &str| (!LABEL_VALUE.is_match(v)).then(|| format!("{v:?} is not a valid label value"));
    if term.is_empty() {
        return Some("empty requirement (a stray `,`?)".into());
    }
    if let Some(key) = term.strip_prefix('!') {
        return bad_key(key.trim());
    }
    for op in ["!=", "==", "="] {
        if let Some((key, value)) = term.split_once(op) {
            return bad_key(key.trim()).or_else(|| bad_value(value.trim()));
        }
    }
    for op in [" notin ", " in "] {
        if let Some((key, rest)) = term.split_once(op) {
            let Some(list) = rest.trim().strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
                return Some(format!("{term:?}: the values of `{}` go in parentheses", op.trim()));
            };
            if list.trim().is_empty() {
                return Some(format!("{term:?}: `{}` needs at least one value", op.trim()));
            }
            return bad_key(key.trim()).or_else(|| list.split(',').find_map(|v| bad_value(v.trim())));
        }
    }
    bad_key(term)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_are_checked_as_the_api_server_parses_them() {
        for ok in [
            "app=api",
            "app==api,tier!=db",
            "env in (prod, staging),!canary",
            "app.kubernetes.io/name=web, track notin (a)",
            "release",
            "empty=",
        ] {
            assert_eq!(selector_problem(ok), None, "{ok}");
        }
        let problem = |s: &str| selector_problem(s).unwrap_or_default();
        assert_eq!(
            problem(" "),
            "a selector must have at least one requirement (e.g. `app=api`)"
        );
        assert_eq!(problem("app=api,"), "empty requirement (a stray `,`?)");
        assert_eq!(problem("app=a b"), "\"a b\" is not a valid label value");
        assert_eq!(problem("-app=x"), "\"-app\" is not a valid label key");
        assert_eq!(
            problem("env in prod"),
            "\"env in prod\": the values of `in` go in parentheses"
        );
        assert_eq!(problem("env in ()"), "\"env in ()\": `in` needs at least one value");
        assert_eq!(problem("env in (a"), "unbalanced `(`");
    }

    #[test]
    fn delete_stuck_pods_params() {
        let p = DeleteStuckPods {
            selector: Some("app=api".into()),
            min_overdue_seconds: Some(0),
        };
        assert!(p.validate().is_ok());
        assert_eq!(p.min_overdue(), 0);
        assert_eq!(DeleteStuckPods::default().min_overdue(), 60);
        let negative = DeleteStuckPods {
            min_overdue_seconds: Some(-5),
            ..DeleteStuckPods::default()
        };
        assert_eq!(
            negative.validate().unwrap_err().to_string(),
            "invalid parameters for delete_stuck_pods at params.min_overdue_seconds: must be 0 or more, found -5"
        );
        let bad = DeleteStuckPods {
            selector: Some("app in api".into()),
            ..DeleteStuckPods::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "invalid parameters for delete_stuck_pods at params.selector: \"app in api\": \
             \"app in api\": the values of `in` go in parentheses"
        );
    }

    #[test]
    fn exec_command_params() {
        let ok = ExecCommand {
            command: "thread-dump".into(),
            container: None,
        };
        assert!(ok.validate().is_ok());
        let empty = ExecCommand {
            command: " ".into(),
            container: None,
        };
        assert_eq!(
            empty.validate().unwrap_err().to_string(),
            "invalid parameters for exec_command at params.command: must name a command of actions.exec_commands, \
             found an empty name"
        );
        let no_container = ExecCommand {
            command: "x".into(),
            container: Some(String::new()),
        };
        assert!(
            no_container
                .validate()
                .unwrap_err()
                .to_string()
                .contains("params.container")
        );
    }

    #[test]
    fn patch_resource_params_fit_their_format() {
        let patch = |t: PatchType, body: Value| PatchResource {
            patch_type: t,
            patch: body,
            ..PatchResource::default()
        };
        assert!(patch(PatchType::Merge, json!({"data": {"a": "1"}})).validate().is_ok());
        assert!(
            patch(PatchType::Json, json!([{"op": "remove", "path": "/data/a"}]))
                .validate()
                .is_ok()
        );
        let message = |p: PatchResource| match p.validate() {
            Err(ActionError::InvalidParams { field, message, .. }) => format!("{field}: {message}"),
            other => panic!("expected InvalidParams, got {other:?}"),
        };
        assert_eq!(
            message(patch(PatchType::Json, json!({"data": {}}))),
            "params.patch: a JSON patch (patch_type json) is a list of operations, found an object"
        );
        assert_eq!(
            message(patch(PatchType::Strategic, json!([]))),
            "params.patch: a merge or strategic-merge patch is an object, found a list"
        );
        assert_eq!(
            message(patch(PatchType::Merge, json!({}))),
            "params.patch: the patch is an empty object: it changes nothing"
        );
        assert_eq!(
            message(patch(PatchType::Json, json!([]))),
            "params.patch: a JSON patch needs at least one operation"
        );
        let mut bad_version = patch(PatchType::Merge, json!({"a": 1}));
        bad_version.api_version = Some("Example.com/v1".into());
        assert_eq!(
            message(bad_version),
            "params.api_version: \"Example.com/v1\" is not an apiVersion (`v1`, or `group/version` such as `example.com/v1`)"
        );
        let mut empty_kind = patch(PatchType::Merge, json!({"a": 1}));
        empty_kind.kind = Some(String::new());
        assert_eq!(message(empty_kind), "params.kind: must not be empty when given");
    }
}
