//! The `actions:` section of the config file: what the configurable actions may do —
//! Job templates for `run_job`, kinds `patch_resource` may patch, commands
//! `exec_command` may run, channels `notify` may post to.
//!
//! Plain data, validated with the rest of the config. Nothing here runs anything.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Volume, VolumeMount};
use serde::{Deserialize, Serialize};

/// Settings of the configurable actions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ActionSettings {
    /// Job templates `run_job` may create, by name.
    pub job_templates: BTreeMap<String, JobTemplate>,
    /// Kinds `patch_resource` may patch (`ConfigMap`, or `group/Kind` for custom
    /// resources, e.g. `example.com/Widget`). Empty: `patch_resource` is refused.
    pub patchable_kinds: Vec<String>,
    /// Commands `exec_command` may run, by name. Empty: `exec_command` is refused.
    pub exec_commands: BTreeMap<String, ExecSpec>,
    /// Webhooks `notify` (and `escalate`) may post to.
    pub notify: Vec<NotifyChannel>,
}

/// A Job `run_job` may create (Karo-style). String values of `env`, `args` and `command`
/// may reference the alert: `{{ labels.NAME }}`, `{{ annotations.NAME }}`, `{{ alertname }}`,
/// `{{ namespace }}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobTemplate {
    /// What the Job does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Namespace to run in; default: the incident's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Container image.
    pub image: String,
    /// Entrypoint override.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables (templated values).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Service account the Job runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Volumes of the pod (Kubernetes `Volume` objects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Mounts of the container (Kubernetes `VolumeMount` objects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    /// Retries before the Job fails (default 0: run once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<i32>,
    /// Seconds after which the Job is stopped (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// Seconds a finished Job is kept (default 86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds_after_finished: Option<i32>,
}

/// A command `exec_command` may run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecSpec {
    /// The argv, run without a shell (e.g. `[jcmd, "1", Thread.print]`).
    pub command: Vec<String>,
    /// Give up after this many seconds (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Keep at most this many bytes of output (default 65536).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_bytes: Option<usize>,
}

/// The body format of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyFormat {
    /// `{"text": ...}` as Slack (and Mattermost, Rocket.Chat) incoming webhooks take it.
    #[default]
    Slack,
    /// medic's own JSON: incident, decision, verdict.
    Json,
}

/// A webhook to notify.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyChannel {
    /// Name used by `notify`'s `channel` parameter.
    pub name: String,
    /// Environment variable holding the URL (webhook URLs are secrets: keep them out of
    /// the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    /// The URL itself, for webhooks that are not secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Body format.
    #[serde(default)]
    pub format: NotifyFormat,
    /// Also post when an incident is escalated, even in dry-run (an escalation changes
    /// nothing in the cluster, and its notification is how a human hears about it).
    #[serde(default)]
    pub on_escalate: bool,
}
