//! Catalog metadata: each action's name, risk, targets and the RBAC it needs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much harm an action can do if it is the wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Changes nothing on the cluster, or only what a controller immediately restores
    /// (`escalate`, restarting one pod of several).
    Low,
    /// Changes one workload reversibly (rollout restart, scaling, more resources).
    Medium,
    /// Changes what runs (rollback) or removes capacity.
    High,
    /// Affects many workloads at once (a node drain).
    Critical,
}

impl Risk {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One RBAC rule an action needs: verbs on a resource of an API group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RbacRule {
    /// API group (`""` is the core group).
    pub group: &'static str,
    /// Resource (plural), with `/subresource` where one is used.
    pub resource: &'static str,
    /// Verbs.
    pub verbs: &'static [&'static str],
}

/// The catalog entries (without parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// `restart_pod`: Delete one pod so its controller recreates it (refused for a pod without a controller unless forced).
    RestartPod,
    /// `evict_pod`: Evict one pod through the Eviction API, honouring PodDisruptionBudgets (a budget that forbids it refuses the action).
    EvictPod,
    /// `delete_stuck_pods`: Force-delete pods stuck Terminating past their grace period (of the target workload, or matching a selector).
    DeleteStuckPods,
    /// `quarantine_pod`: Take a pod out of its ReplicaSet and Services by relabelling it; it is kept for forensics and its controller replaces it.
    QuarantinePod,
    /// `isolate_pod`: Create a deny-all NetworkPolicy selecting exactly that pod.
    IsolatePod,
    /// `rollout_restart`: Restart a Deployment, StatefulSet or DaemonSet by stamping its pod template, as `kubectl rollout restart`.
    RolloutRestart,
    /// `rollback_deployment`: Roll a Deployment back to the previous (or a given) revision from its ReplicaSets, as `kubectl rollout undo`.
    RollbackDeployment,
    /// `pause_rollout`: Pause a Deployment's rollout (`spec.paused: true`).
    PauseRollout,
    /// `resume_rollout`: Resume a paused Deployment rollout.
    ResumeRollout,
    /// `scale_deployment`: Set a Deployment's replicas through the scale subresource.
    ScaleDeployment,
    /// `scale_statefulset`: Set a StatefulSet's replicas through the scale subresource.
    #[serde(rename = "scale_statefulset")]
    ScaleStatefulSet,
    /// `increase_resources`: Raise a container's CPU and/or memory requests and limits, by a factor or to a value.
    IncreaseResources,
    /// `update_hpa`: Set a HorizontalPodAutoscaler's minReplicas and/or maxReplicas.
    UpdateHpa,
    /// `set_env`: Set or remove one environment variable of a container (e.g. `LOG_LEVEL=debug`).
    SetEnv,
    /// `cordon_node`: Mark a node unschedulable.
    CordonNode,
    /// `uncordon_node`: Mark a node schedulable again.
    UncordonNode,
    /// `drain_node`: Cordon a node, then evict every pod but DaemonSet and mirror pods, honouring PodDisruptionBudgets, within a timeout.
    DrainNode,
    /// `taint_node`: Add a taint (key, value, effect) to a node.
    TaintNode,
    /// `expand_pvc`: Raise a PersistentVolumeClaim's storage request (refused when its StorageClass does not allow expansion).
    ExpandPvc,
    /// `retry_job`: Re-create a failed Job from its spec under a fresh name.
    RetryJob,
    /// `suspend_cronjob`: Suspend a CronJob (`spec.suspend: true`).
    #[serde(rename = "suspend_cronjob")]
    SuspendCronJob,
    /// `resume_cronjob`: Resume a suspended CronJob.
    #[serde(rename = "resume_cronjob")]
    ResumeCronJob,
    /// `run_job`: Create a Job from a named template in config, labelled with the incident.
    RunJob,
    /// `patch_resource`: Apply a merge, JSON or strategic-merge patch to an object of a kind allow-listed in config.
    PatchResource,
    /// `exec_command`: Run a command allow-listed in config inside a container (exec subresource) and capture its output.
    ExecCommand,
    /// `collect_diagnostics`: Snapshot the target's describe-like state, events and log tails into the store (optionally a ConfigMap).
    CollectDiagnostics,
    /// `notify`: POST a message about the incident to a configured webhook (Slack-compatible body option).
    Notify,
    /// `escalate`: Change nothing; record the analysis and hand the incident to a human (notify if configured).
    Escalate,
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];

/// Every RBAC rule medic needs to record Kubernetes Events on what it acts on.
const EVENTS: RbacRule = RbacRule {
    group: "",
    resource: "events",
    verbs: &["create"],
};

/// One catalog entry's metadata.
struct Entry {
    kind: ActionKind,
    name: &'static str,
    summary: &'static str,
    risk: Risk,
    targets: &'static [&'static str],
    rbac: &'static [RbacRule],
}

/// The catalog, in display order.
const CATALOG: &[Entry] = &[
    Entry {
        kind: ActionKind::RestartPod,
        name: "restart_pod",
        summary: "Delete one pod so its controller recreates it (refused for a pod without a controller unless forced).",
        risk: Risk::Low,
        targets: &["Pod"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get", "delete"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::EvictPod,
        name: "evict_pod",
        summary: "Evict one pod through the Eviction API, honouring PodDisruptionBudgets (a budget that forbids it refuses the action).",
        risk: Risk::Low,
        targets: &["Pod"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get"],
            },
            RbacRule {
                group: "",
                resource: "pods/eviction",
                verbs: &["create"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::DeleteStuckPods,
        name: "delete_stuck_pods",
        summary: "Force-delete pods stuck Terminating past their grace period (of the target workload, or matching a selector).",
        risk: Risk::Medium,
        targets: &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get", "list", "delete"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::QuarantinePod,
        name: "quarantine_pod",
        summary: "Take a pod out of its ReplicaSet and Services by relabelling it; it is kept for forensics and its controller replaces it.",
        risk: Risk::Medium,
        targets: &["Pod"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "",
                resource: "services",
                verbs: &["list"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::IsolatePod,
        name: "isolate_pod",
        summary: "Create a deny-all NetworkPolicy selecting exactly that pod.",
        risk: Risk::Medium,
        targets: &["Pod"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "networking.k8s.io",
                resource: "networkpolicies",
                verbs: &["get", "list", "create"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::RolloutRestart,
        name: "rollout_restart",
        summary: "Restart a Deployment, StatefulSet or DaemonSet by stamping its pod template, as `kubectl rollout restart`.",
        risk: Risk::Medium,
        targets: WORKLOADS,
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "deployments",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "apps",
                resource: "statefulsets",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "apps",
                resource: "daemonsets",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::RollbackDeployment,
        name: "rollback_deployment",
        summary: "Roll a Deployment back to the previous (or a given) revision from its ReplicaSets, as `kubectl rollout undo`.",
        risk: Risk::High,
        targets: &["Deployment"],
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "deployments",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "apps",
                resource: "replicasets",
                verbs: &["get", "list"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::PauseRollout,
        name: "pause_rollout",
        summary: "Pause a Deployment's rollout (`spec.paused: true`).",
        risk: Risk::Low,
        targets: &["Deployment"],
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "deployments",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::ResumeRollout,
        name: "resume_rollout",
        summary: "Resume a paused Deployment rollout.",
        risk: Risk::Medium,
        targets: &["Deployment"],
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "deployments",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::ScaleDeployment,
        name: "scale_deployment",
        summary: "Set a Deployment's replicas through the scale subresource.",
        risk: Risk::Medium,
        targets: &["Deployment"],
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "deployments",
                verbs: &["get"],
            },
            RbacRule {
                group: "apps",
                resource: "deployments/scale",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "autoscaling",
                resource: "horizontalpodautoscalers",
                verbs: &["list"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::ScaleStatefulSet,
        name: "scale_statefulset",
        summary: "Set a StatefulSet's replicas through the scale subresource.",
        risk: Risk::Medium,
        targets: &["StatefulSet"],
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "statefulsets",
                verbs: &["get"],
            },
            RbacRule {
                group: "apps",
                resource: "statefulsets/scale",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "autoscaling",
                resource: "horizontalpodautoscalers",
                verbs: &["list"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::IncreaseResources,
        name: "increase_resources",
        summary: "Raise a container's CPU and/or memory requests and limits, by a factor or to a value.",
        risk: Risk::Medium,
        targets: WORKLOADS,
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "deployments",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "apps",
                resource: "statefulsets",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "apps",
                resource: "daemonsets",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::UpdateHpa,
        name: "update_hpa",
        summary: "Set a HorizontalPodAutoscaler's minReplicas and/or maxReplicas.",
        risk: Risk::Medium,
        targets: &["HorizontalPodAutoscaler", "Deployment", "StatefulSet"],
        rbac: &[
            RbacRule {
                group: "autoscaling",
                resource: "horizontalpodautoscalers",
                verbs: &["get", "list", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::SetEnv,
        name: "set_env",
        summary: "Set or remove one environment variable of a container (e.g. `LOG_LEVEL=debug`).",
        risk: Risk::Medium,
        targets: WORKLOADS,
        rbac: &[
            RbacRule {
                group: "apps",
                resource: "deployments",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "apps",
                resource: "statefulsets",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "apps",
                resource: "daemonsets",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::CordonNode,
        name: "cordon_node",
        summary: "Mark a node unschedulable.",
        risk: Risk::Medium,
        targets: &["Node"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "nodes",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::UncordonNode,
        name: "uncordon_node",
        summary: "Mark a node schedulable again.",
        risk: Risk::Medium,
        targets: &["Node"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "nodes",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::DrainNode,
        name: "drain_node",
        summary: "Cordon a node, then evict every pod but DaemonSet and mirror pods, honouring PodDisruptionBudgets, within a timeout.",
        risk: Risk::Critical,
        targets: &["Node"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "nodes",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get", "list"],
            },
            RbacRule {
                group: "",
                resource: "pods/eviction",
                verbs: &["create"],
            },
            RbacRule {
                group: "apps",
                resource: "daemonsets",
                verbs: &["get"],
            },
            RbacRule {
                group: "policy",
                resource: "poddisruptionbudgets",
                verbs: &["list"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::TaintNode,
        name: "taint_node",
        summary: "Add a taint (key, value, effect) to a node.",
        risk: Risk::High,
        targets: &["Node"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "nodes",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::ExpandPvc,
        name: "expand_pvc",
        summary: "Raise a PersistentVolumeClaim's storage request (refused when its StorageClass does not allow expansion).",
        risk: Risk::High,
        targets: &["PersistentVolumeClaim"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "persistentvolumeclaims",
                verbs: &["get", "patch"],
            },
            RbacRule {
                group: "storage.k8s.io",
                resource: "storageclasses",
                verbs: &["get", "list"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::RetryJob,
        name: "retry_job",
        summary: "Re-create a failed Job from its spec under a fresh name.",
        risk: Risk::Low,
        targets: &["Job"],
        rbac: &[
            RbacRule {
                group: "batch",
                resource: "jobs",
                verbs: &["get", "create"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::SuspendCronJob,
        name: "suspend_cronjob",
        summary: "Suspend a CronJob (`spec.suspend: true`).",
        risk: Risk::Low,
        targets: &["CronJob"],
        rbac: &[
            RbacRule {
                group: "batch",
                resource: "cronjobs",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::ResumeCronJob,
        name: "resume_cronjob",
        summary: "Resume a suspended CronJob.",
        risk: Risk::Medium,
        targets: &["CronJob"],
        rbac: &[
            RbacRule {
                group: "batch",
                resource: "cronjobs",
                verbs: &["get", "patch"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::RunJob,
        name: "run_job",
        summary: "Create a Job from a named template in config, labelled with the incident.",
        risk: Risk::High,
        targets: &[],
        rbac: &[
            RbacRule {
                group: "batch",
                resource: "jobs",
                verbs: &["get", "create"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::PatchResource,
        name: "patch_resource",
        summary: "Apply a merge, JSON or strategic-merge patch to an object of a kind allow-listed in config.",
        risk: Risk::High,
        targets: &[],
        rbac: &[EVENTS],
    },
    Entry {
        kind: ActionKind::ExecCommand,
        name: "exec_command",
        summary: "Run a command allow-listed in config inside a container (exec subresource) and capture its output.",
        risk: Risk::High,
        targets: &["Pod"],
        rbac: &[
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get"],
            },
            RbacRule {
                group: "",
                resource: "pods/exec",
                verbs: &["create"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::CollectDiagnostics,
        name: "collect_diagnostics",
        summary: "Snapshot the target's describe-like state, events and log tails into the store (optionally a ConfigMap).",
        risk: Risk::Low,
        targets: &[],
        rbac: &[
            RbacRule {
                group: "",
                resource: "pods",
                verbs: &["get", "list"],
            },
            RbacRule {
                group: "",
                resource: "pods/log",
                verbs: &["get"],
            },
            RbacRule {
                group: "",
                resource: "events",
                verbs: &["list"],
            },
            RbacRule {
                group: "",
                resource: "configmaps",
                verbs: &["get", "create"],
            },
            EVENTS,
        ],
    },
    Entry {
        kind: ActionKind::Notify,
        name: "notify",
        summary: "POST a message about the incident to a configured webhook (Slack-compatible body option).",
        risk: Risk::Low,
        targets: &[],
        rbac: &[],
    },
    Entry {
        kind: ActionKind::Escalate,
        name: "escalate",
        summary: "Change nothing; record the analysis and hand the incident to a human (notify if configured).",
        risk: Risk::Low,
        targets: &[],
        rbac: &[],
    },
];

impl ActionKind {
    /// Every action, in catalog order.
    pub const ALL: &'static [ActionKind] = &[
        ActionKind::RestartPod,
        ActionKind::EvictPod,
        ActionKind::DeleteStuckPods,
        ActionKind::QuarantinePod,
        ActionKind::IsolatePod,
        ActionKind::RolloutRestart,
        ActionKind::RollbackDeployment,
        ActionKind::PauseRollout,
        ActionKind::ResumeRollout,
        ActionKind::ScaleDeployment,
        ActionKind::ScaleStatefulSet,
        ActionKind::IncreaseResources,
        ActionKind::UpdateHpa,
        ActionKind::SetEnv,
        ActionKind::CordonNode,
        ActionKind::UncordonNode,
        ActionKind::DrainNode,
        ActionKind::TaintNode,
        ActionKind::ExpandPvc,
        ActionKind::RetryJob,
        ActionKind::SuspendCronJob,
        ActionKind::ResumeCronJob,
        ActionKind::RunJob,
        ActionKind::PatchResource,
        ActionKind::ExecCommand,
        ActionKind::CollectDiagnostics,
        ActionKind::Notify,
        ActionKind::Escalate,
    ];

    fn entry(self) -> &'static Entry {
        CATALOG
            .iter()
            .find(|e| e.kind == self)
            .expect("every ActionKind has a catalog entry")
    }

    /// The catalog name (`restart_pod`); fixed: rules, scenarios and prompts use it.
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// Looks an action up by catalog name.
    pub fn parse(name: &str) -> Option<ActionKind> {
        CATALOG.iter().find(|e| e.name == name).map(|e| e.kind)
    }

    /// What the action does, in one sentence.
    pub fn summary(self) -> &'static str {
        self.entry().summary
    }

    /// The risk level (see [`Risk`]).
    pub fn risk(self) -> Risk {
        self.entry().risk
    }

    /// The kinds of object the action acts on; empty for actions whose target comes from
    /// their parameters or that have none.
    pub fn target_kinds(self) -> &'static [&'static str] {
        self.entry().targets
    }

    /// Whether the action changes the cluster (`notify` and `escalate` do not;
    /// `collect_diagnostics` only writes its optional ConfigMap).
    pub fn mutates(self) -> bool {
        !matches!(self, ActionKind::Escalate | ActionKind::Notify)
    }

    /// Whether applying the action's fresh plan again after an interrupted attempt is
    /// safe: the action states a desired value (replicas, resources, a variable, a flag on
    /// a node or object), so a plan made against the cluster as it is now does the rest
    /// and nothing twice. Deleting, evicting, restarting, draining, running or executing
    /// something is not: a second attempt would act again.
    pub fn idempotent(self) -> bool {
        match self {
            ActionKind::ScaleDeployment
            | ActionKind::ScaleStatefulSet
            | ActionKind::IncreaseResources
            | ActionKind::UpdateHpa
            | ActionKind::SetEnv
            | ActionKind::CordonNode
            | ActionKind::UncordonNode
            | ActionKind::TaintNode
            | ActionKind::ExpandPvc
            | ActionKind::PauseRollout
            | ActionKind::ResumeRollout
            | ActionKind::SuspendCronJob
            | ActionKind::ResumeCronJob
            | ActionKind::IsolatePod
            | ActionKind::CollectDiagnostics => true,
            ActionKind::RestartPod
            | ActionKind::EvictPod
            | ActionKind::DeleteStuckPods
            | ActionKind::QuarantinePod
            | ActionKind::RolloutRestart
            | ActionKind::RollbackDeployment
            | ActionKind::DrainNode
            | ActionKind::RetryJob
            | ActionKind::RunJob
            | ActionKind::PatchResource
            | ActionKind::ExecCommand
            | ActionKind::Notify
            | ActionKind::Escalate => false,
        }
    }

    /// The RBAC rules the action needs (reads for planning included). `patch_resource`'s
    /// depend on the allow-listed kinds and are added by `medic rbac`.
    pub fn rbac(self) -> &'static [RbacRule] {
        self.entry().rbac
    }

    /// The JSON Schema of the action's parameters (used by `medic actions` and as the
    /// LLM's tool schema).
    pub fn params_schema(self) -> serde_json::Value {
        use super::params::*;
        let schema = match self {
            ActionKind::RestartPod => schemars::schema_for!(RestartPod),
            ActionKind::EvictPod => schemars::schema_for!(EvictPod),
            ActionKind::DeleteStuckPods => schemars::schema_for!(DeleteStuckPods),
            ActionKind::QuarantinePod => schemars::schema_for!(QuarantinePod),
            ActionKind::IsolatePod => schemars::schema_for!(IsolatePod),
            ActionKind::RolloutRestart => schemars::schema_for!(RolloutRestart),
            ActionKind::RollbackDeployment => schemars::schema_for!(RollbackDeployment),
            ActionKind::PauseRollout => schemars::schema_for!(PauseRollout),
            ActionKind::ResumeRollout => schemars::schema_for!(ResumeRollout),
            ActionKind::ScaleDeployment => schemars::schema_for!(ScaleDeployment),
            ActionKind::ScaleStatefulSet => schemars::schema_for!(ScaleStatefulSet),
            ActionKind::IncreaseResources => schemars::schema_for!(IncreaseResources),
            ActionKind::UpdateHpa => schemars::schema_for!(UpdateHpa),
            ActionKind::SetEnv => schemars::schema_for!(SetEnv),
            ActionKind::CordonNode => schemars::schema_for!(CordonNode),
            ActionKind::UncordonNode => schemars::schema_for!(UncordonNode),
            ActionKind::DrainNode => schemars::schema_for!(DrainNode),
            ActionKind::TaintNode => schemars::schema_for!(TaintNode),
            ActionKind::ExpandPvc => schemars::schema_for!(ExpandPvc),
            ActionKind::RetryJob => schemars::schema_for!(RetryJob),
            ActionKind::SuspendCronJob => schemars::schema_for!(SuspendCronJob),
            ActionKind::ResumeCronJob => schemars::schema_for!(ResumeCronJob),
            ActionKind::RunJob => schemars::schema_for!(RunJob),
            ActionKind::PatchResource => schemars::schema_for!(PatchResource),
            ActionKind::ExecCommand => schemars::schema_for!(ExecCommand),
            ActionKind::CollectDiagnostics => schemars::schema_for!(CollectDiagnostics),
            ActionKind::Notify => schemars::schema_for!(Notify),
            ActionKind::Escalate => schemars::schema_for!(Escalate),
        };
        serde_json::to_value(schema).unwrap_or_default()
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_agrees() {
        assert_eq!(ActionKind::ALL.len(), 28);
        assert_eq!(CATALOG.len(), 28);
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.name()), Some(*k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
            assert!(k.params_schema().is_object());
        }
    }
}
