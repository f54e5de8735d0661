//! Parameter bounds: the ceilings an action's parameters may not exceed, from config.
//! Out of bounds is refused with the bound named, never clamped silently.

use serde::{Deserialize, Serialize};

use super::ActionError;
use super::quantity::Quantity;

/// Limits on action parameters (`bounds:` in the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Bounds {
    /// Most replicas a scale action may set. Default 50.
    pub max_replicas: i32,
    /// Largest factor by which one action may multiply a CPU or memory value. Default 4.
    pub max_resource_factor: f64,
    /// Highest memory limit an action may set. Default `64Gi`.
    pub max_memory: Quantity,
    /// Highest CPU limit an action may set. Default `16`.
    pub max_cpu: Quantity,
    /// Largest storage request `expand_pvc` may set. Default `10Ti`.
    pub max_storage: Quantity,
    /// Longest a `drain_node` may wait for evictions, in seconds. Default 600.
    pub drain_timeout_seconds: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_replicas: 50,
            max_resource_factor: 4.0,
            max_memory: Quantity::parse("64Gi").expect("valid literal"),
            max_cpu: Quantity::parse("16").expect("valid literal"),
            max_storage: Quantity::parse("10Ti").expect("valid literal"),
            drain_timeout_seconds: 600,
        }
    }
}

impl Bounds {
    /// Refuses a replica count above `max_replicas`, for `action`.
    pub fn check_replicas(&self, action: &'static str, replicas: i32, field: &str) -> Result<(), ActionError> {
        if replicas > self.max_replicas {
            return Err(ActionError::OutOfBounds {
                action,
                field: field.into(),
                value: replicas.to_string(),
                limit: format!("bounds.max_replicas is {}", self.max_replicas),
            });
        }
        Ok(())
    }

    /// Refuses a memory value above `max_memory`.
    pub fn check_memory(&self, q: &Quantity, field: &str) -> Result<(), ActionError> {
        if q.value() > self.max_memory.value() {
            return Err(ActionError::OutOfBounds {
                action: "increase_resources",
                field: field.into(),
                value: q.to_string(),
                limit: format!("bounds.max_memory is {}", self.max_memory),
            });
        }
        Ok(())
    }

    /// Refuses a CPU value above `max_cpu`.
    pub fn check_cpu(&self, q: &Quantity, field: &str) -> Result<(), ActionError> {
        if q.value() > self.max_cpu.value() {
            return Err(ActionError::OutOfBounds {
                action: "increase_resources",
                field: field.into(),
                value: q.to_string(),
                limit: format!("bounds.max_cpu is {}", self.max_cpu),
            });
        }
        Ok(())
    }
}
