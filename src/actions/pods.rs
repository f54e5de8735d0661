//! Pod actions.
use super::plan::{Plan, PlanInput};
use super::{ActionError, RestartPod};
use crate::cluster::ObjectRef;

/// Plans `restart_pod`.
pub async fn plan_restart_pod(
    p: &RestartPod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
