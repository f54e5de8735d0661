//! Applying a plan.

use jiff::Timestamp;

use super::outcome::{Outcome, OutcomeStatus};
use crate::actions::Plan;
use crate::cluster::Cluster;
use crate::policy::Verdict;

/// Applies the plan when the verdict allows execution; otherwise records it as planned
/// (dry-run) or skipped (held/denied).
pub async fn execute(cluster: &dyn Cluster, verdict: &Verdict, plan: Plan) -> Outcome {
    let started_at = Timestamp::now();
    if !verdict.executes() || plan.is_noop() {
        let (status, error) = match verdict.kind {
            crate::policy::VerdictKind::Allow => (OutcomeStatus::Planned, None),
            _ => (OutcomeStatus::Skipped, Some(verdict.summary())),
        };
        return Outcome {
            status,
            plan: Some(plan),
            results: Vec::new(),
            error,
            started_at,
            finished_at: Timestamp::now(),
        };
    }
    let mut results = Vec::new();
    let mut error = None;
    for op in &plan.operations {
        match cluster.apply(op).await {
            Ok(r) => results.push(format!("{}: {}", op.describe(), r.message)),
            Err(e) => {
                error = Some(format!("{}: {e}", op.describe()));
                break;
            }
        }
    }
    Outcome {
        status: if error.is_some() {
            OutcomeStatus::Failed
        } else {
            OutcomeStatus::Executed
        },
        plan: Some(plan),
        results,
        error,
        started_at,
        finished_at: Timestamp::now(),
    }
}
