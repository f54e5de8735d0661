//! The typed configuration file. Doc comments here are the user reference
//! (`config/medic.yaml` shows every key with its default).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::security::{AuthConfig, HttpConfig, RateLimitConfig, TlsConfig};
use crate::actions::{ActionSettings, Bounds};
use crate::assess::AssessmentConfig;
use crate::context::Limits;
use crate::decide::llm::LlmConfig;
use crate::decide::rules::RuleSpec;
use crate::memory::MemoryConfig;
use crate::pipeline::config::{ApprovalsConfig, ProcessingConfig};
use crate::policy::PolicyConfig;

/// The bundled demo cluster, used when no cluster is configured.
pub const DEMO_FIXTURE: &str = "config/demo/cluster.yaml";

/// medic's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on. Default `127.0.0.1:8080`.
    pub listen: String,
    /// Directory for the embedded SQLite database. Default `./.medic`.
    pub data_dir: PathBuf,
    /// PostgreSQL (`postgres://...`) or SQLite (`sqlite://...`) URL; default: SQLite in
    /// `data_dir`. Prefer the `MEDIC_DATABASE_URL` environment variable for URLs with
    /// passwords.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Which cluster to read and act on.
    pub cluster: ClusterConfig,
    /// The safety policy.
    pub policy: PolicyConfig,
    /// Ceilings on action parameters.
    pub bounds: Bounds,
    /// What the configurable actions may do (Job templates, allow-lists, channels).
    pub actions: ActionSettings,
    /// Your playbook rules, tried before the built-in pack.
    pub rules: Vec<RuleSpec>,
    /// Whether the built-in rule pack for the kubernetes-mixin alerts is used after your
    /// rules. Default `true`.
    pub builtin_rules: bool,
    /// How much cluster context is gathered per incident.
    pub context: Limits,
    /// The Alertmanager webhook.
    pub webhook: WebhookConfig,
    /// Incidents decided concurrently. Default 4.
    pub workers: usize,
    /// Similar-incident retrieval: the embedder, the vector index and how many similar
    /// past incidents go into each context.
    pub memory: MemoryConfig,
    /// Effectiveness assessment of executed actions, learning from the history, and how
    /// long the history is kept.
    pub assessment: AssessmentConfig,
    /// Language models: named models, the one the decider uses, and the limits of its
    /// investigation. Absent: no model, and deciding uses no network.
    pub llm: LlmConfig,
    /// Who may call the webhook, the read API and the approvals API (bearer tokens or
    /// basic auth, read from the environment or files). Absent: open, approvals refused.
    pub auth: AuthConfig,
    /// TLS for the HTTP server. Absent: plain HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// Limits of the HTTP server: timeouts and header sizes.
    pub http: HttpConfig,
    /// How workers claim incidents (the lease, renewed while they work).
    pub processing: ProcessingConfig,
    /// Held decisions: how long they wait for a human, and who is told.
    pub approvals: ApprovalsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from(".medic"),
            database_url: None,
            cluster: ClusterConfig::default(),
            policy: PolicyConfig::default(),
            bounds: Bounds::default(),
            actions: ActionSettings::default(),
            rules: Vec::new(),
            builtin_rules: true,
            context: Limits::default(),
            webhook: WebhookConfig::default(),
            workers: 4,
            memory: MemoryConfig::default(),
            assessment: AssessmentConfig::default(),
            llm: LlmConfig::default(),
            auth: AuthConfig::default(),
            tls: None,
            http: HttpConfig::default(),
            processing: ProcessingConfig::default(),
            approvals: ApprovalsConfig::default(),
        }
    }
}

/// The cluster medic works on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum ClusterConfig {
    /// The simulated cluster, loaded from Kubernetes YAML.
    Sim {
        /// The fixture file (multi-document Kubernetes YAML, optionally with a `logs`
        /// side map). Default: the bundled `config/demo/cluster.yaml`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fixture: Option<PathBuf>,
        /// A journal file (JSON Lines) of the writes applied to the simulated cluster: its
        /// entries are replayed onto the fixture at start, and every successful write is
        /// appended (synced before it counts as done), so the simulated cluster survives a
        /// restart and processes sharing the file share its changes. Created when missing.
        /// Default: none (the cluster starts from the fixture each time).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        journal: Option<PathBuf>,
    },
    /// A real cluster through the Kubernetes API (kubeconfig or in-cluster config).
    Kube {
        /// kubeconfig context to use; default: the current one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<String>,
    },
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig::Sim {
            fixture: None,
            journal: None,
        }
    }
}

/// The webhook endpoint's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Largest accepted request body in bytes. Default 1 MiB.
    pub max_body_bytes: usize,
    /// Requests per client IP address: a token bucket; past it, 429 with `Retry-After`.
    pub rate_limit: RateLimitConfig,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            max_body_bytes: 1024 * 1024,
            rate_limit: RateLimitConfig::default(),
        }
    }
}
