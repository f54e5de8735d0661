//! Node actions: cordon, uncordon, drain, taint. (Being written.)

use super::plan::{Plan, PlanInput};
use super::*;
use crate::cluster::ObjectRef;

/// Plans `cordon_node`. (Placeholder: being written.)
pub async fn plan_cordon_node(
    p: &CordonNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `uncordon_node`. (Placeholder: being written.)
pub async fn plan_uncordon_node(
    p: &UncordonNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `drain_node`. (Placeholder: being written.)
pub async fn plan_drain_node(
    p: &DrainNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `taint_node`. (Placeholder: being written.)
pub async fn plan_taint_node(
    p: &TaintNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
