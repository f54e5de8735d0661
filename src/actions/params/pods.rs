//! Parameters of the pod actions: eviction, stuck pods, quarantine, isolation, exec,
//! diagnostics.

use serde::{Deserialize, Serialize};

/// Parameters of `evict_pod` (none: the pod is the target).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvictPod {}

/// Parameters of `delete_stuck_pods`. Pods of the target workload (or matching
/// `selector` in the target's namespace) that have been Terminating for longer than
/// their grace period plus `min_overdue_seconds` are force-deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteStuckPods {
    /// A label selector (`app=api`) choosing the pods instead of the target workload's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Extra seconds past the grace period before a pod counts as stuck (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_overdue_seconds: Option<i64>,
}

/// Parameters of `quarantine_pod`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantinePod {}

/// Parameters of `isolate_pod` (none: the pod is the target).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IsolatePod {}

/// Parameters of `exec_command`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecCommand {
    /// The name of a command allow-listed in config (`actions.exec_commands`); never a
    /// command line.
    pub command: String,
    /// The container; default: the alert's, else the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// Parameters of `collect_diagnostics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectDiagnostics {
    /// Also write the snapshot into a ConfigMap next to the target.
    #[serde(default)]
    pub configmap: bool,
}
