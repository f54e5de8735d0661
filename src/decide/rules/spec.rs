//! The rule file format (`rules:` in the config file): a contract users write against.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One playbook rule: when the incident matches, propose the action.
///
/// ```yaml
/// - name: oom-more-memory
///   match:
///     alertname: [KubePodCrashLooping, KubeContainerWaiting]
///     context: {last_termination_reason: OOMKilled}
///   action: increase_resources
///   params: {memory_factor: 1.5, container: "{{ labels.container }}"}
///   rationale: "{{ labels.container }} was OOMKilled; give it 50% more memory"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique name, shown as who decided.
    pub name: String,
    /// What the rule is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Conditions, all of which must hold. An empty match matches every incident.
    #[serde(default, rename = "match")]
    pub matches: MatchSpec,
    /// The catalog action to propose.
    pub action: String,
    /// The action's parameters. String values may reference the incident:
    /// `{{ labels.NAME }}`, `{{ annotations.NAME }}`, `{{ alertname }}`, `{{ namespace }}`,
    /// `{{ severity }}`, `{{ container }}`, `{{ target.name }}`, `{{ target.kind }}`,
    /// `{{ workload.name }}`, `{{ workload.kind }}`. A reference without a value (an absent
    /// label) makes the action unusable for that incident; numbers and booleans are not
    /// templated.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// What to act on: the alert's own target, its workload, its pod or its node.
    #[serde(default)]
    pub target: TargetSelector,
    /// The decision's confidence, 0..1 (default 0.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// The rationale shown with the decision (templated like `params`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Other actions to take, in order, when this one is not usable (out of bounds,
    /// not applicable, or judged ineffective by history).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<AlternativeSpec>,
}

/// An alternative action of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlternativeSpec {
    /// The catalog action.
    pub action: String,
    /// Its parameters (templated).
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// Which object a rule's action is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetSelector {
    /// Whatever the action needs: the alert's target, else its workload or pod.
    #[default]
    Auto,
    /// The object the alert names.
    Alert,
    /// The workload that owns the alert's target.
    Workload,
    /// The (first unhealthy) pod of the alert's target.
    Pod,
    /// The node the target runs on.
    Node,
}

/// One value or a list of values; matches when any equals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values.
    pub fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Conditions on the incident. Every given condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// The alert name is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertname: Option<OneOrMany>,
    /// The severity label is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<OneOrMany>,
    /// Labels with exactly these values (a list: any of them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, OneOrMany>,
    /// Labels whose values match these regular expressions (anchored).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels_regex: BTreeMap<String, String>,
    /// Facts from the cluster context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextMatch>,
}

/// Conditions on the cluster context. "Any container" means any container of the pods
/// concerned (restricted to the alert's `container` label when it has one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextMatch {
    /// The target exists in the cluster (`true`) or not (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_found: Option<bool>,
    /// The target's kind is one of these (`Pod`, `Deployment`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_kind: Option<OneOrMany>,
    /// The owning workload's kind is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_kind: Option<OneOrMany>,
    /// Any container last terminated for one of these reasons (`OOMKilled`, `Error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_termination_reason: Option<OneOrMany>,
    /// Any container waits for one of these reasons (`CrashLoopBackOff`, `ImagePullBackOff`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_reason: Option<OneOrMany>,
    /// Any container restarted more than this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_count_over: Option<i32>,
    /// The Deployment's current revision is younger than this (`30m`, `2h`, `90s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_younger_than: Option<String>,
    /// A previous revision exists to roll back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_previous_revision: Option<bool>,
    /// The node is Ready (`true`) or not (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_ready: Option<bool>,
    /// A recent Warning event has one of these reasons (`FailedScheduling`, `BackOff`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_reason: Option<OneOrMany>,
    /// A log tail contains this text (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_contains: Option<String>,
    /// The workload has fewer ready replicas than desired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas_short: Option<bool>,
    /// The Deployment's `Progressing` condition has one of these reasons
    /// (`ProgressDeadlineExceeded` when the rollout is stuck).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progressing_reason: Option<OneOrMany>,
}
