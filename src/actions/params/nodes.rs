//! Parameters of the node actions: cordon, uncordon, drain, taint, and their validation
//! (a drain's timeout against `bounds.drain_timeout_seconds`, a taint's key and value
//! against the API server's syntax).

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::actions::ActionError;
use crate::actions::bounds::Bounds;

/// Parameters of `cordon_node` (none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CordonNode {}

/// Parameters of `uncordon_node` (none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UncordonNode {}

/// Parameters of `drain_node`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DrainNode {
    /// Give up after this many seconds (default and ceiling: `bounds.drain_timeout_seconds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Also evict pods using emptyDir volumes (their data is lost).
    #[serde(default)]
    pub delete_emptydir_data: bool,
}

impl DrainNode {
    /// The timeout the drain waits for disruption budgets: the parameter, else the bound.
    pub fn timeout(&self, bounds: &Bounds) -> u64 {
        self.timeout_seconds.unwrap_or(bounds.drain_timeout_seconds)
    }

    pub(crate) fn validate(&self, bounds: &Bounds) -> Result<(), ActionError> {
        match self.timeout_seconds {
            Some(0) => Err(ActionError::InvalidParams {
                action: "drain_node",
                field: "params.timeout_seconds".into(),
                message: "must be 1 second or more, found 0".into(),
            }),
            Some(t) if t > bounds.drain_timeout_seconds => Err(ActionError::OutOfBounds {
                action: "drain_node",
                field: "params.timeout_seconds".into(),
                value: t.to_string(),
                limit: format!("bounds.drain_timeout_seconds is {}", bounds.drain_timeout_seconds),
            }),
            _ => Ok(()),
        }
    }
}

/// A taint's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TaintEffect {
    /// New pods without a toleration are not scheduled.
    #[default]
    NoSchedule,
    /// The scheduler avoids the node.
    PreferNoSchedule,
    /// Running pods without a toleration are evicted too.
    NoExecute,
}

impl TaintEffect {
    /// The name the API uses (`NoSchedule`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

impl fmt::Display for TaintEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parameters of `taint_node`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaintNode {
    /// The taint's key (e.g. `medic.dev/unhealthy`).
    pub key: String,
    /// Its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Its effect.
    #[serde(default)]
    pub effect: TaintEffect,
}

/// The name part of a qualified name (and a label value): alphanumerics, `-`, `_`, `.`,
/// starting and ending with an alphanumeric.
static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$").expect("valid regex"));

/// A DNS-1123 subdomain: lower-case alphanumerics, `-` and `.`, starting and ending with
/// an alphanumeric.
static SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").expect("valid regex")
});

/// Most characters of a qualified name's name part and of a label value.
const MAX_NAME: usize = 63;
/// Most characters of a qualified name's prefix.
const MAX_PREFIX: usize = 253;

impl TaintNode {
    /// The taint as kubectl prints it: `key=value:Effect`, or `key:Effect` without value.
    pub fn text(&self) -> String {
        match self.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{}={v}:{}", self.key, self.effect),
            None => format!("{}:{}", self.key, self.effect),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ActionError> {
        let invalid = |field: &str, message: String| ActionError::InvalidParams {
            action: "taint_node",
            field: format!("params.{field}"),
            message,
        };
        qualified_name_problem(&self.key).map_or(Ok(()), |p| {
            Err(invalid("key", format!("{:?} is not a valid taint key: {p}", self.key)))
        })?;
        match self.value.as_deref() {
            Some(v) if v.len() > MAX_NAME => Err(invalid(
                "value",
                format!(
                    "{v:?} is not a valid taint value: it has {} characters, at most {MAX_NAME} are allowed",
                    v.len()
                ),
            )),
            Some(v) if !v.is_empty() && !NAME.is_match(v) => Err(invalid(
                "value",
                format!(
                    "{v:?} is not a valid taint value: it must consist of alphanumeric characters, '-', '_' or '.', \
                     and start and end with an alphanumeric character"
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// What is wrong with `key` as a qualified name (`[prefix/]name`), as the API server
/// checks it; `None` when it is valid.
fn qualified_name_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some("the prefix before '/' must not be empty".into());
        }
        if prefix.len() > MAX_PREFIX {
            return Some(format!(
                "the prefix has {} characters, at most {MAX_PREFIX} are allowed",
                prefix.len()
            ));
        }
        if !SUBDOMAIN.is_match(prefix) {
            return Some(format!(
                "the prefix {prefix:?} must be a DNS subdomain: lower-case alphanumeric characters, '-' or '.', \
                 starting and ending with an alphanumeric character (e.g. 'medic.dev')"
            ));
        }
    }
    if name.is_empty() {
        return Some("the name part must not be empty".into());
    }
    if name.len() > MAX_NAME {
        return Some(format!(
            "the name part has {} characters, at most {MAX_NAME} are allowed",
            name.len()
        ));
    }
    if !NAME.is_match(name) {
        return Some(format!(
            "the name part {name:?} must consist of alphanumeric characters, '-', '_' or '.', and start and end \
             with an alphanumeric character (e.g. 'medic.dev/unhealthy')"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_as_the_api_server_checks_them() {
        for ok in [
            "unhealthy",
            "medic.dev/unhealthy",
            "node.kubernetes.io/out-of-service",
            "a_b.c-1",
        ] {
            assert_eq!(qualified_name_problem(ok), None, "{ok}");
        }
        let problem = |k: &str| qualified_name_problem(k).unwrap_or_default();
        assert_eq!(problem("/x"), "the prefix before '/' must not be empty");
        assert!(problem("Medic.dev/x").starts_with("the prefix \"Medic.dev\" must be a DNS subdomain"));
        assert_eq!(problem("medic.dev/"), "the name part must not be empty");
        assert!(problem("medic dev").starts_with("the name part \"medic dev\" must consist of"));
        assert!(problem("a/b/c").starts_with("the name part \"b/c\""));
        assert_eq!(
            problem(&"x".repeat(64)),
            "the name part has 64 characters, at most 63 are allowed"
        );
    }

    #[test]
    fn taint_text_is_kubectls() {
        let t = TaintNode {
            key: "medic.dev/unhealthy".into(),
            value: Some("true".into()),
            effect: TaintEffect::NoExecute,
        };
        assert_eq!(t.text(), "medic.dev/unhealthy=true:NoExecute");
        let t = TaintNode { value: None, ..t };
        assert_eq!(t.text(), "medic.dev/unhealthy:NoExecute");
    }
}
