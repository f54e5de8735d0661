//! Policy configuration: a plain data type (YAML today, a CRD later).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Whether medic acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Plan only: record what would be done (the default).
    #[default]
    DryRun,
    /// Every cluster-changing action waits for a human's approval.
    Approve,
    /// Actions up to the risk ceiling run; riskier ones wait for approval. `execute` is
    /// accepted as an older name.
    #[serde(alias = "execute")]
    Autonomous,
}

/// Per-namespace overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamespacePolicy {
    /// Mode for this namespace (default: the global mode). A namespace cannot be more
    /// permissive than the global mode: `execute` here with a global `dry-run` stays dry-run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// When non-empty, only these actions are allowed in the namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_actions: Vec<String>,
    /// These actions are refused in the namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_actions: Vec<String>,
}

/// The `policy:` section of the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// `dry-run` (default) or `execute`.
    pub mode: Mode,
    /// Namespaces medic never changes. Default: `kube-system`, `kube-public`,
    /// `kube-node-lease`.
    pub protected_namespaces: Vec<String>,
    /// When non-empty, only these actions are allowed anywhere.
    pub allowed_actions: Vec<String>,
    /// These actions are refused everywhere.
    pub denied_actions: Vec<String>,
    /// Overrides per namespace.
    pub namespaces: BTreeMap<String, NamespacePolicy>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            mode: Mode::DryRun,
            protected_namespaces: ["kube-system", "kube-public", "kube-node-lease"]
                .map(String::from)
                .to_vec(),
            allowed_actions: Vec::new(),
            denied_actions: Vec::new(),
            namespaces: BTreeMap::new(),
        }
    }
}
