//! Batch actions: retry a Job, suspend/resume a CronJob, run a configured Job template. (Being written.)

use super::plan::{Plan, PlanInput};
use super::*;
use crate::cluster::ObjectRef;

/// Plans `retry_job`. (Placeholder: being written.)
pub async fn plan_retry_job(
    p: &RetryJob,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `suspend_cronjob`. (Placeholder: being written.)
pub async fn plan_suspend_cronjob(
    p: &SuspendCronJob,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `resume_cronjob`. (Placeholder: being written.)
pub async fn plan_resume_cronjob(
    p: &ResumeCronJob,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}

/// Plans `run_job`. (Placeholder: being written.)
pub async fn plan_run_job(p: &RunJob, target: Option<&ObjectRef>, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    let _ = (p, target, input);
    todo!()
}
