//! Generic actions: patches of allow-listed kinds, allow-listed exec, diagnostics. (Being written.)

use super::plan::{Plan, PlanInput};
use super::*;
use crate::cluster::ObjectRef;

/// Plans `patch_resource`. (Placeholder: being written.)
pub async fn plan_patch_resource(
    p: &PatchResource,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `exec_command`. (Placeholder: being written.)
pub async fn plan_exec_command(
    p: &ExecCommand,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `collect_diagnostics`. (Placeholder: being written.)
pub async fn plan_collect_diagnostics(
    p: &CollectDiagnostics,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
