//! Parameters of the workload actions beyond the first ones: rollout pause/resume,
//! StatefulSet scaling, HPA bounds, environment variables, PVC expansion, patches.

use serde::{Deserialize, Serialize};

use super::core::validate_scale;
use crate::actions::ActionError;
use crate::actions::bounds::Bounds;
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

impl ScaleStatefulSet {
    pub(crate) fn validate(&self, bounds: &Bounds) -> Result<(), ActionError> {
        validate_scale("scale_statefulset", self.replicas, self.delta, bounds)
    }
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

impl UpdateHpa {
    pub(crate) fn validate(&self, bounds: &Bounds) -> Result<(), ActionError> {
        const ACTION: &str = "update_hpa";
        let invalid = |field: &str, message: String| ActionError::InvalidParams {
            action: ACTION,
            field: format!("params.{field}"),
            message,
        };
        if self.min_replicas.is_none() && self.max_replicas.is_none() {
            return Err(invalid("min_replicas", "give min_replicas and/or max_replicas".into()));
        }
        if let Some(min) = self.min_replicas
            && min < 1
        {
            return Err(invalid(
                "min_replicas",
                format!("must be 1 or more (an HPA cannot scale to zero), found {min}"),
            ));
        }
        if let Some(max) = self.max_replicas {
            if max < 1 {
                return Err(invalid("max_replicas", format!("must be 1 or more, found {max}")));
            }
            bounds.check_replicas(ACTION, max, "params.max_replicas")?;
        }
        if let (Some(min), Some(max)) = (self.min_replicas, self.max_replicas)
            && min > max
        {
            return Err(invalid(
                "min_replicas",
                format!("must not exceed max_replicas ({max}), found {min}"),
            ));
        }
        if let Some(min) = self.min_replicas {
            bounds.check_replicas(ACTION, min, "params.min_replicas")?;
        }
        Ok(())
    }
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

impl SetEnv {
    pub(crate) fn validate(&self) -> Result<(), ActionError> {
        let invalid = |field: &str, message: String| ActionError::InvalidParams {
            action: "set_env",
            field: format!("params.{field}"),
            message,
        };
        if !is_env_name(&self.name) {
            return Err(invalid(
                "name",
                format!(
                    "{:?} is not an environment variable name (letters, digits and `_`, not starting with a digit)",
                    self.name
                ),
            ));
        }
        match (&self.value, self.remove) {
            (Some(_), true) => Err(invalid("remove", "give value or remove: true, not both".into())),
            (None, false) => Err(invalid("value", "give value, or remove: true".into())),
            _ => Ok(()),
        }
    }
}

/// Whether `name` is `[A-Za-z_][A-Za-z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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

impl ExpandPvc {
    pub(crate) fn validate(&self, bounds: &Bounds) -> Result<(), ActionError> {
        const ACTION: &str = "expand_pvc";
        let invalid = |field: &str, message: String| ActionError::InvalidParams {
            action: ACTION,
            field: format!("params.{field}"),
            message,
        };
        match (&self.size, self.factor) {
            (None, None) => Err(invalid("size", "give size or factor".into())),
            (Some(_), Some(_)) => Err(invalid("factor", "give size or factor, not both".into())),
            (Some(size), None) if size.value() > bounds.max_storage.value() => Err(ActionError::OutOfBounds {
                action: ACTION,
                field: "params.size".into(),
                value: size.to_string(),
                limit: format!("bounds.max_storage is {}", bounds.max_storage),
            }),
            (Some(_), None) => Ok(()),
            (None, Some(f)) if !f.is_finite() || f <= 1.0 => {
                Err(invalid("factor", format!("must be a number above 1, found {f}")))
            }
            (None, Some(f)) if f > bounds.max_resource_factor => Err(ActionError::OutOfBounds {
                action: ACTION,
                field: "params.factor".into(),
                value: f.to_string(),
                limit: format!("bounds.max_resource_factor is {}", bounds.max_resource_factor),
            }),
            (None, Some(_)) => Ok(()),
        }
    }
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
