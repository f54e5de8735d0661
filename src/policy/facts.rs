//! The facts the policy checks need beyond the decision itself: recent activity (from the
//! store), the plan's impact on the cluster, the oscillation found in history, an approval
//! being re-checked, and the time. Plain data: [`super::gather()`] collects it, and
//! [`super::evaluate()`] stays a pure function of the config, the decision and these facts.
//!
//! Nothing here reads the store or the cluster.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::verdict::Check;

/// Everything the policy stage knows about the world when it checks one decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyFacts {
    /// The instant the checks are made at (cooldowns, rate windows, maintenance windows).
    pub now: Timestamp,
    /// What medic did recently; `None` when no store was given (`medic recommend`, the
    /// eval harness: the checks that need it pass as not checked) or when it could not be
    /// read ([`PolicyFacts::activity_error`] says why, and those checks fail closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// Why recent activity could not be read from the store that was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_error: Option<String>,
    /// What the plan would do to the cluster's pods; `None` when there is no plan, or when
    /// the cluster could not be read ([`PolicyFacts::impact_error`]: the blast-radius
    /// checks then fail closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    /// Why the plan's impact could not be read from the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_error: Option<String>,
    /// The object the plan acts on, when the decision named none (the planner resolved
    /// it from the context): its namespace is the one the namespace checks use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_target: Option<crate::cluster::ObjectRef>,
    /// The oscillation guard's finding, when history has one for this decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oscillation: Option<Check>,
    /// Set when a held decision is re-checked after a human approved it: the approval
    /// satisfies the `approve` mode and the risk ceiling, nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalGrant>,
    /// What could not be gathered, in words (shown in `medic policy explain`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl PolicyFacts {
    /// Facts with nothing known but the time.
    pub fn at(now: Timestamp) -> PolicyFacts {
        PolicyFacts {
            now,
            activity: None,
            activity_error: None,
            impact: None,
            impact_error: None,
            plan_target: None,
            oscillation: None,
            approval: None,
            problems: Vec::new(),
        }
    }
}

/// What medic did recently, as far as the rate limits and cooldowns care.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// When the same action last ran (or started running) on the same target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_on_target: Option<Timestamp>,
    /// When an action last ran for an alert with the same fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_on_fingerprint: Option<Timestamp>,
    /// Actions executed (or started) in the last hour, everywhere.
    pub executed_last_hour: u32,
    /// Actions executed (or started) in the last hour in the target's namespace.
    pub executed_last_hour_in_namespace: u32,
    /// Actions executing right now.
    pub executing: u32,
}

/// What a plan would do to running pods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impact {
    /// Pods deleted, evicted, restarted or rescheduled by the plan.
    pub pods_affected: u32,
    /// The workload whose replicas are affected (`Deployment/shop/api`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Ready replicas of that workload before the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_before: Option<u32>,
    /// Ready replicas left at the worst moment during or after the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after: Option<u32>,
    /// The PodDisruptionBudgets covering the affected pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetFact>,
    /// Every workload whose pods the plan takes down; `workload`, `ready_before` and
    /// `ready_after` above repeat the one left with the fewest ready replicas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<WorkloadImpact>,
    /// The affected pods (`namespace/name`), or what stands for them (`3 of deployment/shop/api`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<String>,
    /// Every namespace the plan changes something in (its calls' objects and the pods it
    /// disrupts), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

/// What a plan does to one workload's ready replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadImpact {
    /// `deployment/shop/api`, or `pod/shop/x` for a pod no controller recreates.
    pub workload: String,
    /// Its namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Ready replicas before the action.
    pub ready_before: u32,
    /// Ready replicas at the worst moment during or after the action.
    pub ready_after: u32,
    /// Pods of it the plan takes down (all at once, or over a rolling update).
    pub pods_affected: u32,
}

/// One PodDisruptionBudget and what the plan asks of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetFact {
    /// `namespace/name`.
    pub name: String,
    /// `status.disruptionsAllowed`.
    pub disruptions_allowed: u32,
    /// Pods the plan would disrupt under it.
    pub disruptions_planned: u32,
}

/// A human's approval of a held decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalGrant {
    /// Who approved.
    pub by: String,
    /// When.
    pub at: Timestamp,
}
