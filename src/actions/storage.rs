//! Storage actions: PVC expansion. (Being written.)

use super::plan::{Plan, PlanInput};
use super::*;
use crate::cluster::ObjectRef;

/// Plans `expand_pvc`. (Placeholder: being written.)
pub async fn plan_expand_pvc(
    p: &ExpandPvc,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
