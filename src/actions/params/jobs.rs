//! Parameters of the batch actions: retrying a Job, suspending a CronJob, running a
//! configured Job template.

use serde::{Deserialize, Serialize};

/// Parameters of `retry_job` (none: the failed Job is the target).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryJob {}

/// Parameters of `suspend_cronjob` (none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendCronJob {}

/// Parameters of `resume_cronjob` (none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeCronJob {}

/// Parameters of `run_job`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunJob {
    /// The name of a Job template in config (`actions.job_templates`).
    pub template: String,
    /// The namespace to run it in; default: the template's, else the incident's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
