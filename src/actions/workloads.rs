//! Workload actions.
use super::plan::{Plan, PlanInput};
use super::{ActionError, RollbackDeployment, RolloutRestart, ScaleDeployment};
use crate::cluster::ObjectRef;

/// Plans `rollout_restart`.
pub async fn plan_rollout_restart(
    p: &RolloutRestart,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
/// Plans `rollback_deployment`.
pub async fn plan_rollback(
    p: &RollbackDeployment,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
/// Plans `scale_deployment`.
pub async fn plan_scale(
    p: &ScaleDeployment,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
