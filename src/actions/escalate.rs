//! Escalation.
use super::plan::{Plan, PlanInput};
use super::{ActionError, Escalate};
use crate::cluster::ObjectRef;

/// Plans `escalate`.
pub fn plan_escalate(p: &Escalate, target: Option<&ObjectRef>, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
