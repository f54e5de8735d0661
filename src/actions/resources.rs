//! Resource actions.
use super::plan::{Plan, PlanInput};
use super::{ActionError, IncreaseResources};
use crate::cluster::ObjectRef;

/// Plans `increase_resources`.
pub async fn plan_increase(
    p: &IncreaseResources,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
