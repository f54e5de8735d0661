//! Parameters of the batch actions: retrying a Job, suspending a CronJob, running a
//! configured Job template.

use serde::{Deserialize, Serialize};

use crate::actions::ActionError;

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

impl RunJob {
    pub(crate) fn validate(&self) -> Result<(), ActionError> {
        let invalid = |field: &str, message: String| ActionError::InvalidParams {
            action: "run_job",
            field: format!("params.{field}"),
            message,
        };
        if self.template.trim().is_empty() {
            return Err(invalid(
                "template",
                "must name a Job template of actions.job_templates".into(),
            ));
        }
        if let Some(ns) = &self.namespace
            && !is_dns_label(ns)
        {
            return Err(invalid(
                "namespace",
                format!("{ns:?} is not a namespace name (lower-case letters, digits and `-`, at most 63)"),
            ));
        }
        Ok(())
    }
}

/// Whether `s` is an RFC 1123 label, as namespace names are.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
