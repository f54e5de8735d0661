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
pub mod container;
pub mod diff;
pub mod env;
pub mod escalate;
pub mod generic;
pub mod jobs;
pub mod nodes;
pub mod notify;
pub mod params;
pub mod plan;
pub mod pods;
pub mod quantity;
pub mod rbac;
pub mod read;
pub mod resources;
pub mod rollout;
pub mod run_job;
pub mod scaling;
pub mod settings;
pub mod storage;
pub mod target;
pub mod workloads;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_batch;
#[cfg(test)]
mod tests_generic;
#[cfg(test)]
mod tests_kube_calls;
#[cfg(test)]
mod tests_nodes;
#[cfg(test)]
mod tests_pods;
#[cfg(test)]
mod tests_pods_kube;
#[cfg(test)]
mod tests_workloads;

use serde::{Deserialize, Serialize};

pub use bounds::Bounds;
pub use catalog::{ActionKind, RbacRule, Risk};
pub use params::*;
pub use plan::{Change, Plan};
pub use settings::ActionSettings;

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
    /// Delete one pod so its controller recreates it (refused for a pod without a controller unless forced).
    RestartPod(RestartPod),
    /// Evict one pod through the Eviction API, honouring PodDisruptionBudgets (a budget that forbids it refuses the action).
    EvictPod(EvictPod),
    /// Force-delete pods stuck Terminating past their grace period (of the target workload, or matching a selector).
    DeleteStuckPods(DeleteStuckPods),
    /// Take a pod out of its ReplicaSet and Services by relabelling it; it is kept for forensics and its controller replaces it.
    QuarantinePod(QuarantinePod),
    /// Create a deny-all NetworkPolicy selecting exactly that pod.
    IsolatePod(IsolatePod),
    /// Restart a Deployment, StatefulSet or DaemonSet by stamping its pod template, as `kubectl rollout restart`.
    RolloutRestart(RolloutRestart),
    /// Roll a Deployment back to the previous (or a given) revision from its ReplicaSets, as `kubectl rollout undo`.
    RollbackDeployment(RollbackDeployment),
    /// Pause a Deployment's rollout (`spec.paused: true`).
    PauseRollout(PauseRollout),
    /// Resume a paused Deployment rollout.
    ResumeRollout(ResumeRollout),
    /// Set a Deployment's replicas through the scale subresource.
    ScaleDeployment(ScaleDeployment),
    /// Set a StatefulSet's replicas through the scale subresource.
    #[serde(rename = "scale_statefulset")]
    ScaleStatefulSet(ScaleStatefulSet),
    /// Raise a container's CPU and/or memory requests and limits, by a factor or to a value.
    IncreaseResources(IncreaseResources),
    /// Set a HorizontalPodAutoscaler's minReplicas and/or maxReplicas.
    UpdateHpa(UpdateHpa),
    /// Set or remove one environment variable of a container (e.g. `LOG_LEVEL=debug`).
    SetEnv(SetEnv),
    /// Mark a node unschedulable.
    CordonNode(CordonNode),
    /// Mark a node schedulable again.
    UncordonNode(UncordonNode),
    /// Cordon a node, then evict every pod but DaemonSet and mirror pods, honouring PodDisruptionBudgets, within a timeout.
    DrainNode(DrainNode),
    /// Add a taint (key, value, effect) to a node.
    TaintNode(TaintNode),
    /// Raise a PersistentVolumeClaim's storage request (refused when its StorageClass does not allow expansion).
    ExpandPvc(ExpandPvc),
    /// Re-create a failed Job from its spec under a fresh name.
    RetryJob(RetryJob),
    /// Suspend a CronJob (`spec.suspend: true`).
    #[serde(rename = "suspend_cronjob")]
    SuspendCronJob(SuspendCronJob),
    /// Resume a suspended CronJob.
    #[serde(rename = "resume_cronjob")]
    ResumeCronJob(ResumeCronJob),
    /// Create a Job from a named template in config, labelled with the incident.
    RunJob(RunJob),
    /// Apply a merge, JSON or strategic-merge patch to an object of a kind allow-listed in config.
    PatchResource(PatchResource),
    /// Run a command allow-listed in config inside a container (exec subresource) and capture its output.
    ExecCommand(ExecCommand),
    /// Snapshot the target's describe-like state, events and log tails into the store (optionally a ConfigMap).
    CollectDiagnostics(CollectDiagnostics),
    /// POST a message about the incident to a configured webhook (Slack-compatible body option).
    Notify(Notify),
    /// Change nothing; record the analysis and hand the incident to a human (notify if configured).
    Escalate(Escalate),
}

impl Action {
    /// The catalog entry of this action.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::RestartPod(_) => ActionKind::RestartPod,
            Action::EvictPod(_) => ActionKind::EvictPod,
            Action::DeleteStuckPods(_) => ActionKind::DeleteStuckPods,
            Action::QuarantinePod(_) => ActionKind::QuarantinePod,
            Action::IsolatePod(_) => ActionKind::IsolatePod,
            Action::RolloutRestart(_) => ActionKind::RolloutRestart,
            Action::RollbackDeployment(_) => ActionKind::RollbackDeployment,
            Action::PauseRollout(_) => ActionKind::PauseRollout,
            Action::ResumeRollout(_) => ActionKind::ResumeRollout,
            Action::ScaleDeployment(_) => ActionKind::ScaleDeployment,
            Action::ScaleStatefulSet(_) => ActionKind::ScaleStatefulSet,
            Action::IncreaseResources(_) => ActionKind::IncreaseResources,
            Action::UpdateHpa(_) => ActionKind::UpdateHpa,
            Action::SetEnv(_) => ActionKind::SetEnv,
            Action::CordonNode(_) => ActionKind::CordonNode,
            Action::UncordonNode(_) => ActionKind::UncordonNode,
            Action::DrainNode(_) => ActionKind::DrainNode,
            Action::TaintNode(_) => ActionKind::TaintNode,
            Action::ExpandPvc(_) => ActionKind::ExpandPvc,
            Action::RetryJob(_) => ActionKind::RetryJob,
            Action::SuspendCronJob(_) => ActionKind::SuspendCronJob,
            Action::ResumeCronJob(_) => ActionKind::ResumeCronJob,
            Action::RunJob(_) => ActionKind::RunJob,
            Action::PatchResource(_) => ActionKind::PatchResource,
            Action::ExecCommand(_) => ActionKind::ExecCommand,
            Action::CollectDiagnostics(_) => ActionKind::CollectDiagnostics,
            Action::Notify(_) => ActionKind::Notify,
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
            Action::RollbackDeployment(p) => p.validate(),
            Action::IncreaseResources(p) => p.validate(bounds),
            Action::ScaleDeployment(p) => p.validate(bounds),
            Action::ScaleStatefulSet(p) => p.validate(bounds),
            Action::UpdateHpa(p) => p.validate(bounds),
            Action::SetEnv(p) => p.validate(),
            Action::ExpandPvc(p) => p.validate(bounds),
            Action::RunJob(p) => p.validate(),
            Action::DrainNode(p) => p.validate(bounds),
            Action::TaintNode(p) => p.validate(),
            Action::DeleteStuckPods(p) => p.validate(),
            Action::PatchResource(p) => p.validate(),
            Action::ExecCommand(p) => p.validate(),
            _ => Ok(()),
        }
    }

    /// Plans the action against the cluster as it is now: validates, resolves the target
    /// and computes the operations and diffs. Reads only.
    pub async fn plan(&self, input: &plan::PlanInput<'_>) -> Result<Plan, ActionError> {
        self.validate(input.bounds)?;
        let target = target::resolve(self.kind(), input)?;
        match self {
            Action::RestartPod(p) => pods::plan_restart_pod(p, target.as_ref(), input).await,
            Action::EvictPod(p) => pods::plan_evict_pod(p, target.as_ref(), input).await,
            Action::DeleteStuckPods(p) => pods::plan_delete_stuck_pods(p, target.as_ref(), input).await,
            Action::QuarantinePod(p) => pods::plan_quarantine_pod(p, target.as_ref(), input).await,
            Action::IsolatePod(p) => pods::plan_isolate_pod(p, target.as_ref(), input).await,
            Action::RolloutRestart(p) => workloads::plan_rollout_restart(p, target.as_ref(), input).await,
            Action::RollbackDeployment(p) => workloads::plan_rollback(p, target.as_ref(), input).await,
            Action::PauseRollout(p) => rollout::plan_pause_rollout(p, target.as_ref(), input).await,
            Action::ResumeRollout(p) => rollout::plan_resume_rollout(p, target.as_ref(), input).await,
            Action::ScaleDeployment(p) => workloads::plan_scale(p, target.as_ref(), input).await,
            Action::ScaleStatefulSet(p) => scaling::plan_scale_statefulset(p, target.as_ref(), input).await,
            Action::IncreaseResources(p) => resources::plan_increase(p, target.as_ref(), input).await,
            Action::UpdateHpa(p) => scaling::plan_update_hpa(p, target.as_ref(), input).await,
            Action::SetEnv(p) => env::plan_set_env(p, target.as_ref(), input).await,
            Action::CordonNode(p) => nodes::plan_cordon_node(p, target.as_ref(), input).await,
            Action::UncordonNode(p) => nodes::plan_uncordon_node(p, target.as_ref(), input).await,
            Action::DrainNode(p) => nodes::plan_drain_node(p, target.as_ref(), input).await,
            Action::TaintNode(p) => nodes::plan_taint_node(p, target.as_ref(), input).await,
            Action::ExpandPvc(p) => storage::plan_expand_pvc(p, target.as_ref(), input).await,
            Action::RetryJob(p) => jobs::plan_retry_job(p, target.as_ref(), input).await,
            Action::SuspendCronJob(p) => jobs::plan_suspend_cronjob(p, target.as_ref(), input).await,
            Action::ResumeCronJob(p) => jobs::plan_resume_cronjob(p, target.as_ref(), input).await,
            Action::RunJob(p) => run_job::plan_run_job(p, target.as_ref(), input).await,
            Action::PatchResource(p) => generic::plan_patch_resource(p, target.as_ref(), input).await,
            Action::ExecCommand(p) => generic::plan_exec_command(p, target.as_ref(), input).await,
            Action::CollectDiagnostics(p) => generic::plan_collect_diagnostics(p, target.as_ref(), input).await,
            Action::Notify(p) => notify::plan_notify(p, target.as_ref(), input).await,
            Action::Escalate(p) => escalate::plan_escalate(p, target.as_ref(), input),
        }
    }
}

/// A short text for a target in errors.
pub(crate) fn target_text(target: Option<&ObjectRef>) -> String {
    target.map(ToString::to_string).unwrap_or_else(|| "no target".into())
}
