//! The typed action catalog: what medic can do, and how each action plans its change.
//!
//! [`Action`] is an enum with one variant per catalog entry and typed parameters; rules
//! and LLM answers are deserialized into it ([`Action::from_parts`]) or rejected with an
//! error naming the field. [`ActionKind`] carries the catalog metadata (name, risk,
//! target kinds, RBAC). Planning ([`Action::plan`]) reads the cluster and produces a
//! [`Plan`]: the exact API calls and a readable diff of each object changed.
//!
//! Actions must never apply anything themselves: the executor applies a plan's
//! operations, and only after the policy stage allowed it. Every action listed here is
//! real: it does through the Kubernetes API what its name says.

pub mod bounds;
pub mod catalog;
pub mod diff;
pub mod escalate;
pub mod params;
pub mod plan;
pub mod pods;
pub mod quantity;
pub mod read;
pub mod resources;
pub mod target;
pub mod workloads;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use bounds::Bounds;
pub use catalog::{ActionKind, RbacRule, Risk};
pub use params::*;
pub use plan::{Change, Plan};

use crate::cluster::{ClusterError, ObjectRef};

/// Why an action cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The action name is not in the catalog.
    #[error("unknown action {0:?} (see `medic actions`)")]
    UnknownAction(String),
    /// A parameter is missing, of the wrong type, or invalid.
    #[error("invalid parameters for {action} at {field}: {message}")]
    InvalidParams {
        /// The action.
        action: &'static str,
        /// The parameter's path, e.g. `params.replicas`.
        field: String,
        /// What is wrong, quoting the value.
        message: String,
    },
    /// A parameter is valid but outside the configured bounds.
    #[error("{action}: {field} = {value} is out of bounds: {limit}")]
    OutOfBounds {
        /// The action.
        action: &'static str,
        /// The parameter.
        field: String,
        /// The requested value.
        value: String,
        /// The bound it breaks.
        limit: String,
    },
    /// The action cannot apply to this target (wrong kind, no controller, no previous revision, ...).
    #[error("{action} cannot act on {target}: {reason}")]
    NotApplicable {
        /// The action.
        action: &'static str,
        /// The target as text.
        target: String,
        /// Why.
        reason: String,
    },
    /// Reading the cluster failed while planning.
    #[error("reading the cluster failed: {0}")]
    Cluster(#[from] ClusterError),
}

/// One catalog action with its typed parameters.
///
/// Serialized as `{"action": "scale_deployment", "params": {"replicas": 3}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", content = "params", rename_all = "snake_case")]
pub enum Action {
    /// Delete one pod so its controller recreates it.
    RestartPod(RestartPod),
    /// Restart a Deployment/StatefulSet/DaemonSet by stamping its pod template.
    RolloutRestart(RolloutRestart),
    /// Roll a Deployment back to the previous (or a given) revision.
    RollbackDeployment(RollbackDeployment),
    /// Raise a container's CPU and/or memory requests and limits.
    IncreaseResources(IncreaseResources),
    /// Set a Deployment's replicas through the scale subresource.
    ScaleDeployment(ScaleDeployment),
    /// Change nothing; hand the incident to a human.
    Escalate(Escalate),
}

impl Action {
    /// The catalog entry of this action.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::RestartPod(_) => ActionKind::RestartPod,
            Action::RolloutRestart(_) => ActionKind::RolloutRestart,
            Action::RollbackDeployment(_) => ActionKind::RollbackDeployment,
            Action::IncreaseResources(_) => ActionKind::IncreaseResources,
            Action::ScaleDeployment(_) => ActionKind::ScaleDeployment,
            Action::Escalate(_) => ActionKind::Escalate,
        }
    }

    /// Builds an action from its name and a JSON object of parameters (from a rule or a
    /// model's answer). Errors name the parameter and quote the value.
    pub fn from_parts(name: &str, params: serde_json::Value) -> Result<Action, ActionError> {
        let kind = ActionKind::parse(name).ok_or_else(|| ActionError::UnknownAction(name.to_string()))?;
        let params = if params.is_null() {
            serde_json::json!({})
        } else {
            params
        };
        let wrapped = serde_json::json!({ "action": kind.name(), "params": params });
        serde_path_to_error::deserialize(wrapped).map_err(|e| {
            let path = e.path().to_string();
            ActionError::InvalidParams {
                action: kind.name(),
                field: if path == "." { "params".into() } else { path },
                message: e.into_inner().to_string(),
            }
        })
    }

    /// The parameters as JSON (the `params` object).
    pub fn params_json(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("params").cloned())
            .unwrap_or_else(|| serde_json::json!({}))
    }

    /// Checks the parameters against the configured bounds; out of bounds is refused,
    /// never clamped.
    pub fn validate(&self, bounds: &Bounds) -> Result<(), ActionError> {
        match self {
            Action::RestartPod(_) | Action::RolloutRestart(_) | Action::Escalate(_) => Ok(()),
            Action::RollbackDeployment(p) => p.validate(),
            Action::IncreaseResources(p) => p.validate(bounds),
            Action::ScaleDeployment(p) => p.validate(bounds),
        }
    }

    /// Plans the action against the cluster as it is now: validates, resolves the target
    /// and computes the operations and diffs. Reads only.
    pub async fn plan(&self, input: &plan::PlanInput<'_>) -> Result<Plan, ActionError> {
        self.validate(input.bounds)?;
        let target = target::resolve(self.kind(), input)?;
        match self {
            Action::RestartPod(p) => pods::plan_restart_pod(p, target.as_ref(), input).await,
            Action::RolloutRestart(p) => workloads::plan_rollout_restart(p, target.as_ref(), input).await,
            Action::RollbackDeployment(p) => workloads::plan_rollback(p, target.as_ref(), input).await,
            Action::IncreaseResources(p) => resources::plan_increase(p, target.as_ref(), input).await,
            Action::ScaleDeployment(p) => workloads::plan_scale(p, target.as_ref(), input).await,
            Action::Escalate(p) => escalate::plan_escalate(p, target.as_ref(), input),
        }
    }
}

/// A short text for a target in errors.
pub(crate) fn target_text(target: Option<&ObjectRef>) -> String {
    target.map(ToString::to_string).unwrap_or_else(|| "no target".into())
}
