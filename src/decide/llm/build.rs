//! Building providers and deciders from the `llm:` config. The only place in this module
//! that reads the environment (the API key variables) and builds HTTP clients.

use std::sync::Arc;
use std::time::Duration;

use super::anthropic::{ANTHROPIC_BASE_URL, AnthropicProvider};
use super::config::{LlmConfig, ModelConfig, ProviderKind};
use super::decider::{Guardrails, LlmDecider, Settings};
use super::error::LlmError;
use super::openai::{AZURE_API_VERSION, OPENAI_BASE_URL, OpenAiProvider, OpenAiSettings};
use super::prompt::{PromptError, Prompts};
use super::provider::LlmProvider;
use super::tools::{Prometheus, ReadOnlyCluster, Toolbox};
use super::transport::{Transport, TransportSettings};
use crate::actions::Bounds;
use crate::cluster::Cluster;
use crate::policy::PolicyConfig;

/// Why a model or decider cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No model of that name is configured.
    #[error("no model {name:?} in llm.models (configured: {known})")]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The configured names.
        known: String,
    },
    /// The API key variable is not set.
    #[error("model {name}: the environment variable {env} (llm.models.{name}.api_key_env) is not set")]
    MissingKey {
        /// The model's config name.
        name: String,
        /// The variable.
        env: String,
    },
    /// The prompt templates cannot be loaded.
    #[error(transparent)]
    Prompts(#[from] PromptError),
    /// The provider cannot be built.
    #[error(transparent)]
    Provider(#[from] LlmError),
    /// An HTTP client cannot be built.
    #[error("model {name}: cannot build the HTTP client: {message}")]
    Client {
        /// The model's config name (or `prometheus`).
        name: String,
        /// The error.
        message: String,
    },
}

/// The configured model `name` (or the default one), with its name.
pub fn model<'a>(llm: &'a LlmConfig, name: Option<&str>) -> Result<(&'a str, &'a ModelConfig), BuildError> {
    llm.model(name).ok_or_else(|| BuildError::UnknownModel {
        name: name.unwrap_or("(default)").to_string(),
        known: if llm.models.is_empty() {
            "none".into()
        } else {
            llm.models.keys().cloned().collect::<Vec<_>>().join(", ")
        },
    })
}

/// The transport settings of a model.
pub fn transport_settings(m: &ModelConfig) -> TransportSettings {
    TransportSettings {
        timeout: Duration::from_secs(m.timeout_seconds.max(1)),
        max_retries: m.max_retries,
        concurrency: m.concurrency.max(1),
        ..TransportSettings::default()
    }
}

/// The provider of model `name` configured as `m`, with `transport` settings (tests use
/// short ones). Reads the API key from the environment variable the config names.
pub fn provider_with(
    name: &str,
    m: &ModelConfig,
    transport: TransportSettings,
) -> Result<Arc<dyn LlmProvider>, BuildError> {
    let api_key = match &m.api_key_env {
        Some(env) => Some(std::env::var(env).map_err(|_| BuildError::MissingKey {
            name: name.to_string(),
            env: env.clone(),
        })?),
        None => None,
    };
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| BuildError::Client {
            name: name.to_string(),
            message: e.to_string(),
        })?;
    let transport = Arc::new(Transport::new(
        client,
        transport,
        format!("{} {}", m.provider.as_str(), m.model),
    ));
    Ok(match m.provider {
        ProviderKind::Openai | ProviderKind::Azure => {
            let base_url = m.base_url.clone().unwrap_or_else(|| OPENAI_BASE_URL.to_string());
            Arc::new(OpenAiProvider::new(
                OpenAiSettings {
                    kind: m.provider,
                    model: m.model.clone(),
                    base_url,
                    api_key,
                    api_version: m.api_version.clone().unwrap_or_else(|| AZURE_API_VERSION.to_string()),
                    deployment: m.deployment.clone().unwrap_or_else(|| m.model.clone()),
                },
                transport,
            )?)
        }
        ProviderKind::Anthropic => Arc::new(AnthropicProvider::new(
            &m.model,
            m.base_url.as_deref().unwrap_or(ANTHROPIC_BASE_URL),
            api_key,
            transport,
        )),
    })
}

/// The provider of model `name` configured as `m`.
pub fn provider(name: &str, m: &ModelConfig) -> Result<Arc<dyn LlmProvider>, BuildError> {
    provider_with(name, m, transport_settings(m))
}

/// The decider settings for model `m` under `llm`.
pub fn settings(llm: &LlmConfig, m: &ModelConfig) -> Settings {
    Settings {
        confidence_floor: llm.confidence_floor,
        max_tool_calls: llm.max_tool_calls,
        max_tool_result_bytes: llm.max_tool_result_bytes,
        max_total_tokens: llm.max_total_tokens,
        anonymize: llm.anonymize,
        temperature: m.temperature,
        max_output_tokens: m.max_output_tokens,
        tools: m.tools,
        structured_output: m.structured_output,
        coalesce_window: Duration::from_secs(llm.coalesce_window_seconds),
        price_per_million_input: m.price_per_million_input,
        price_per_million_output: m.price_per_million_output,
    }
}

/// What a decider is built from besides the `llm:` section.
#[derive(Clone)]
pub struct DeciderParts {
    /// The policy (to offer only allowed actions).
    pub policy: PolicyConfig,
    /// Parameter bounds (to reject out-of-bounds answers).
    pub bounds: Bounds,
    /// The cluster the investigation tools read; `None` for no cluster tools.
    pub cluster: Option<Arc<dyn Cluster>>,
}

/// The LLM decider for model `name` (or the default) answering through `provider`
/// (the configured one when `None`; the evaluation harness passes a replay provider).
/// The configurable actions (`run_job`, `exec_command`, `patch_resource`, `notify`) are
/// offered once [`LlmDecider::with_action_settings`] gives their settings.
pub fn decider(
    llm: &LlmConfig,
    name: Option<&str>,
    provider: Option<Arc<dyn LlmProvider>>,
    parts: DeciderParts,
) -> Result<LlmDecider, BuildError> {
    let (name, m) = model(llm, name)?;
    let provider = match provider {
        Some(p) => p,
        None => self::provider(name, m)?,
    };
    let prompts = Arc::new(Prompts::load(llm.prompt_dir.as_deref())?);
    let prometheus = match &llm.prometheus_url {
        Some(url) => Some(Prometheus::new(url).map_err(|e| BuildError::Client {
            name: "prometheus".into(),
            message: e.to_string(),
        })?),
        None => None,
    };
    let toolbox = Toolbox::new(parts.cluster.map(ReadOnlyCluster::new), prometheus);
    let guardrails = Guardrails {
        policy: parts.policy,
        bounds: parts.bounds,
        ..Guardrails::default()
    };
    Ok(LlmDecider::new(name, provider, prompts, guardrails, settings(llm, m)).with_tools(toolbox))
}

/// The decider of the default model, or `None` when no model is configured (the
/// fresh-clone default: no network).
pub fn default_decider(llm: &LlmConfig, parts: DeciderParts) -> Result<Option<LlmDecider>, BuildError> {
    if llm.default_model().is_none() {
        return Ok(None);
    }
    decider(llm, None, None, parts).map(Some)
}
