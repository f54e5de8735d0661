//! Parameters of the node actions: cordon, uncordon, drain, taint.

use serde::{Deserialize, Serialize};

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
