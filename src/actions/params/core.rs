//! Parameters of the first actions: restart, rollout restart, rollback, resources,
//! scaling, escalation.

use serde::{Deserialize, Serialize};

use crate::actions::ActionError;
use crate::actions::bounds::Bounds;
use crate::actions::quantity::Quantity;

/// Parameters of `restart_pod`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartPod {
    /// Delete the pod even when no controller will recreate it.
    #[serde(default)]
    pub force: bool,
}

/// Parameters of `rollout_restart` (none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloutRestart {}

/// Parameters of `rollback_deployment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackDeployment {
    /// The revision to roll back to; default: the one before the current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_revision: Option<i64>,
}

impl RollbackDeployment {
    pub(crate) fn validate(&self) -> Result<(), ActionError> {
        match self.to_revision {
            Some(r) if r < 1 => Err(ActionError::InvalidParams {
                action: "rollback_deployment",
                field: "params.to_revision".into(),
                message: format!("must be a revision number of 1 or more, found {r}"),
            }),
            _ => Ok(()),
        }
    }
}

/// Parameters of `increase_resources`. Give a factor or an absolute value for memory
/// and/or CPU; requests are raised by the same factor (or capped to the new limit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncreaseResources {
    /// The container to change; default: the one the alert names, else the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Multiply the memory limit (and request) by this factor (> 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_factor: Option<f64>,
    /// Set the memory limit to this quantity (e.g. `1Gi`); must be higher than now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
    /// Multiply the CPU limit (and request) by this factor (> 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_factor: Option<f64>,
    /// Set the CPU limit to this quantity (e.g. `1500m`); must be higher than now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
}

impl IncreaseResources {
    pub(crate) fn validate(&self, bounds: &Bounds) -> Result<(), ActionError> {
        let invalid = |field: &str, message: String| ActionError::InvalidParams {
            action: "increase_resources",
            field: format!("params.{field}"),
            message,
        };
        if self.memory_factor.is_none() && self.memory.is_none() && self.cpu_factor.is_none() && self.cpu.is_none() {
            return Err(invalid(
                "memory_factor",
                "give at least one of memory_factor, memory, cpu_factor, cpu".into(),
            ));
        }
        if self.memory_factor.is_some() && self.memory.is_some() {
            return Err(invalid("memory", "give memory_factor or memory, not both".into()));
        }
        if self.cpu_factor.is_some() && self.cpu.is_some() {
            return Err(invalid("cpu", "give cpu_factor or cpu, not both".into()));
        }
        for (field, factor) in [("memory_factor", self.memory_factor), ("cpu_factor", self.cpu_factor)] {
            let Some(f) = factor else { continue };
            if !f.is_finite() || f <= 1.0 {
                return Err(invalid(field, format!("must be a number above 1, found {f}")));
            }
            if f > bounds.max_resource_factor {
                return Err(ActionError::OutOfBounds {
                    action: "increase_resources",
                    field: format!("params.{field}"),
                    value: f.to_string(),
                    limit: format!("bounds.max_resource_factor is {}", bounds.max_resource_factor),
                });
            }
        }
        if let Some(m) = &self.memory {
            bounds.check_memory(m, "params.memory")?;
        }
        if let Some(c) = &self.cpu {
            bounds.check_cpu(c, "params.cpu")?;
        }
        Ok(())
    }
}

/// Parameters of `scale_deployment`. Give `replicas` or `delta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleDeployment {
    /// The number of replicas to set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Add this many replicas to the current count (negative to remove).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<i32>,
}

impl ScaleDeployment {
    pub(crate) fn validate(&self, bounds: &Bounds) -> Result<(), ActionError> {
        validate_scale("scale_deployment", self.replicas, self.delta, bounds)
    }
}

/// Checks the `replicas` or `delta` of a scale action: exactly one of them, a count of 0
/// or more within the bounds, a delta other than 0.
pub(crate) fn validate_scale(
    action: &'static str,
    replicas: Option<i32>,
    delta: Option<i32>,
    bounds: &Bounds,
) -> Result<(), ActionError> {
    let invalid = |field: &str, message: String| ActionError::InvalidParams {
        action,
        field: format!("params.{field}"),
        message,
    };
    match (replicas, delta) {
        (None, None) => Err(invalid("replicas", "give replicas or delta".into())),
        (Some(_), Some(_)) => Err(invalid("delta", "give replicas or delta, not both".into())),
        (Some(r), None) if r < 0 => Err(invalid("replicas", format!("must be 0 or more, found {r}"))),
        (Some(r), None) => bounds.check_replicas(action, r, "params.replicas"),
        (None, Some(0)) => Err(invalid("delta", "must not be 0".into())),
        (None, Some(_)) => Ok(()),
    }
}

/// Parameters of `escalate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    /// Why a human is needed (shown with the incident).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
