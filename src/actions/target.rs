//! Resolving which object an action acts on.
//! (Being written: see the actions helper.)
use super::plan::PlanInput;
use super::{ActionError, ActionKind};
use crate::cluster::ObjectRef;

/// Resolves the object `kind` acts on from the decision's target and the context.
pub fn resolve(kind: ActionKind, input: &PlanInput<'_>) -> Result<Option<ObjectRef>, ActionError> {
    let _ = (kind, input);
    todo!()
}
