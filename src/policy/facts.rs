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
    /// What medic did recently; `None` when it could not be read (the checks that need
    /// it then fail closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// What the plan would do to the cluster's pods; `None` when there is no plan or it
    /// changes no pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
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
            impact: None,
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
