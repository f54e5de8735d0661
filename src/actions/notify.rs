//! The notify action. (Being written.)

use super::plan::{Plan, PlanInput};
use super::*;
use crate::cluster::ObjectRef;

/// Plans `notify`. (Placeholder: being written.)
pub async fn plan_notify(p: &Notify, target: Option<&ObjectRef>, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
