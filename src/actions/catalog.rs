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
    /// `restart_pod`
    RestartPod,
    /// `rollout_restart`
    RolloutRestart,
    /// `rollback_deployment`
    RollbackDeployment,
    /// `increase_resources`
    IncreaseResources,
    /// `scale_deployment`
    ScaleDeployment,
    /// `escalate`
    Escalate,
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];

impl ActionKind {
    /// Every action, in catalog order.
    pub const ALL: &'static [ActionKind] = &[
        ActionKind::RestartPod,
        ActionKind::RolloutRestart,
        ActionKind::RollbackDeployment,
        ActionKind::IncreaseResources,
        ActionKind::ScaleDeployment,
        ActionKind::Escalate,
    ];

    /// The catalog name (`restart_pod`); fixed: rules, scenarios and prompts use it.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::RestartPod => "restart_pod",
            ActionKind::RolloutRestart => "rollout_restart",
            ActionKind::RollbackDeployment => "rollback_deployment",
            ActionKind::IncreaseResources => "increase_resources",
            ActionKind::ScaleDeployment => "scale_deployment",
            ActionKind::Escalate => "escalate",
        }
    }

    /// Looks an action up by catalog name.
    pub fn parse(name: &str) -> Option<ActionKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// What the action does, in one sentence.
    pub fn summary(self) -> &'static str {
        match self {
            ActionKind::RestartPod => {
                "Delete one pod so its controller recreates it (refused for a pod without a controller unless forced)."
            }
            ActionKind::RolloutRestart => {
                "Restart a Deployment, StatefulSet or DaemonSet by stamping its pod template, as `kubectl rollout restart`."
            }
            ActionKind::RollbackDeployment => {
                "Roll a Deployment back to the previous (or a given) revision from its ReplicaSets, as `kubectl rollout undo`."
            }
            ActionKind::IncreaseResources => {
                "Raise a container's CPU and/or memory requests and limits, by a factor or to a value."
            }
            ActionKind::ScaleDeployment => "Set a Deployment's replicas through the scale subresource.",
            ActionKind::Escalate => "Change nothing; record the analysis and hand the incident to a human.",
        }
    }

    /// The risk level (see [`Risk`]).
    pub fn risk(self) -> Risk {
        match self {
            ActionKind::Escalate => Risk::Low,
            ActionKind::RestartPod => Risk::Low,
            ActionKind::RolloutRestart | ActionKind::IncreaseResources | ActionKind::ScaleDeployment => Risk::Medium,
            ActionKind::RollbackDeployment => Risk::High,
        }
    }

    /// The kinds of object the action acts on; empty for actions without a target.
    pub fn target_kinds(self) -> &'static [&'static str] {
        match self {
            ActionKind::RestartPod => &["Pod"],
            ActionKind::RolloutRestart | ActionKind::IncreaseResources => WORKLOADS,
            ActionKind::RollbackDeployment | ActionKind::ScaleDeployment => &["Deployment"],
            ActionKind::Escalate => &[],
        }
    }

    /// Whether the action changes the cluster.
    pub fn mutates(self) -> bool {
        self != ActionKind::Escalate
    }

    /// The RBAC rules the action needs (reads for planning included).
    pub fn rbac(self) -> &'static [RbacRule] {
        const EVENTS: RbacRule = RbacRule {
            group: "",
            resource: "events",
            verbs: &["create"],
        };
        match self {
            ActionKind::RestartPod => &[
                RbacRule {
                    group: "",
                    resource: "pods",
                    verbs: &["get", "delete"],
                },
                EVENTS,
            ],
            ActionKind::RolloutRestart | ActionKind::IncreaseResources => &[
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
            ActionKind::RollbackDeployment => &[
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
            ActionKind::ScaleDeployment => &[
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
                EVENTS,
            ],
            ActionKind::Escalate => &[],
        }
    }

    /// The JSON Schema of the action's parameters (used by `medic actions` and as the
    /// LLM's tool schema).
    pub fn params_schema(self) -> serde_json::Value {
        use super::params::*;
        let schema = match self {
            ActionKind::RestartPod => schemars::schema_for!(RestartPod),
            ActionKind::RolloutRestart => schemars::schema_for!(RolloutRestart),
            ActionKind::RollbackDeployment => schemars::schema_for!(RollbackDeployment),
            ActionKind::IncreaseResources => schemars::schema_for!(IncreaseResources),
            ActionKind::ScaleDeployment => schemars::schema_for!(ScaleDeployment),
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
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.name()), Some(*k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
            assert!(k.params_schema().is_object());
        }
    }
}
