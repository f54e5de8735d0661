//! Parameters of the workload actions beyond the first ones: rollout pause/resume,
//! StatefulSet scaling, HPA bounds, environment variables, PVC expansion, patches.

use serde::{Deserialize, Serialize};

use crate::actions::quantity::Quantity;

/// Parameters of `pause_rollout` (none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseRollout {}

/// Parameters of `resume_rollout` (none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeRollout {}

/// Parameters of `scale_statefulset`. Give `replicas` or `delta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleStatefulSet {
    /// The number of replicas to set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Add this many replicas to the current count (negative to remove).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<i32>,
}

/// Parameters of `update_hpa`. Give at least one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateHpa {
    /// New `minReplicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    /// New `maxReplicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
}

/// Parameters of `set_env`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEnv {
    /// The container; default: the alert's, else the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The variable's name (e.g. `LOG_LEVEL`).
    pub name: String,
    /// The value to set; leave out with `remove: true` to remove the variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Remove the variable instead of setting it.
    #[serde(default)]
    pub remove: bool,
}

/// Parameters of `expand_pvc`. Give `size` or `factor`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpandPvc {
    /// The new storage request (e.g. `20Gi`); must be larger than now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Quantity>,
    /// Multiply the storage request by this factor (> 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
}

/// The patch formats `patch_resource` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatchType {
    /// RFC 7386 merge patch.
    #[default]
    Merge,
    /// RFC 6902 JSON patch (an array of operations).
    Json,
    /// Kubernetes strategic merge patch.
    Strategic,
}

/// Parameters of `patch_resource`: a patch to an object of a kind allow-listed in config
/// (`actions.patchable_kinds`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchResource {
    /// The object's kind (e.g. `ConfigMap`); default: the decision's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The object's apiVersion, for kinds medic does not know by heart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// The object's name; default: the decision's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The object's namespace; default: the target's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The patch format.
    #[serde(default)]
    pub patch_type: PatchType,
    /// The patch document.
    pub patch: serde_json::Value,
}
