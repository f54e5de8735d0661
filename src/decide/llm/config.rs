//! The `llm:` section of the config file: named models and the decider's limits.
//!
//! Absent or empty, no model is configured and medic uses no network for deciding. The
//! API key is never in the file: `api_key_env` names the environment variable holding it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which wire protocol a model speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI chat completions, and every server speaking it (Ollama, vLLM, llama.cpp
    /// server, LM Studio, OpenRouter, Gemini's OpenAI endpoint): set `base_url`.
    #[default]
    Openai,
    /// Azure OpenAI: `base_url` is the resource endpoint, `deployment` and `api_version`
    /// name the deployment; the key goes in an `api-key` header.
    Azure,
    /// Anthropic Messages API.
    Anthropic,
}

impl ProviderKind {
    /// The lower-case name used in config, errors and decisions.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Azure => "azure",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

/// One named model (`llm.models.NAME`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// `openai` (default; any chat-completions server), `azure` or `anthropic`.
    pub provider: ProviderKind,
    /// The model name sent to the provider (`gpt-4o-mini`, `claude-sonnet-4-5`, `llama3.1`).
    pub model: String,
    /// The API base URL. Default: `https://api.openai.com/v1` for `openai`,
    /// `https://api.anthropic.com` for `anthropic`; required for `azure`
    /// (`https://NAME.openai.azure.com`). Ollama: `http://localhost:11434/v1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The environment variable holding the API key (e.g. `OPENAI_API_KEY`). Unset: no key
    /// is sent (local servers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Azure only: the `api-version` query parameter. Default `2024-10-21`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Azure only: the deployment name. Default: `model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// Sampling temperature. Default: the provider's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Most tokens the model may answer with, per request. Default 1024.
    pub max_output_tokens: u32,
    /// Seconds one HTTP attempt may take. Default 60.
    pub timeout_seconds: u64,
    /// Retries after a 429, a 5xx, a timeout or a connection error. Default 3.
    pub max_retries: u32,
    /// Requests in flight to this model at once. Default 4.
    pub concurrency: usize,
    /// Price in US dollars per million input tokens, for cost estimates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_per_million_input: Option<f64>,
    /// Price in US dollars per million output tokens, for cost estimates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_per_million_output: Option<f64>,
    /// Whether the model supports tool calls (investigation tools and the
    /// `choose_action` tool). Default `true`.
    pub tools: bool,
    /// Whether the model supports structured output with a JSON Schema; used for the
    /// answer when `tools` is `false`. Default `false` (the answer is then JSON in text).
    pub structured_output: bool,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            provider: ProviderKind::Openai,
            model: String::new(),
            base_url: None,
            api_key_env: None,
            api_version: None,
            deployment: None,
            temperature: None,
            max_output_tokens: 1024,
            timeout_seconds: 60,
            max_retries: 3,
            concurrency: 4,
            price_per_million_input: None,
            price_per_million_output: None,
            tools: true,
            structured_output: false,
        }
    }
}

impl ModelConfig {
    /// The estimated cost in US dollars of these token counts, when a price is set.
    pub fn cost_usd(&self, tokens_in: u64, tokens_out: u64) -> Option<f64> {
        if self.price_per_million_input.is_none() && self.price_per_million_output.is_none() {
            return None;
        }
        let price_in = self.price_per_million_input.unwrap_or(0.0);
        let price_out = self.price_per_million_output.unwrap_or(0.0);
        Some((tokens_in as f64 * price_in + tokens_out as f64 * price_out) / 1_000_000.0)
    }
}

/// The `llm:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// The model the decider uses (a key of `models`). Default: the only model when
    /// exactly one is configured; none otherwise (no LLM in the decider chain).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Named models (the evaluation harness compares them).
    pub models: BTreeMap<String, ModelConfig>,
    /// Answers with a lower confidence become `escalate`. Default 0.5.
    pub confidence_floor: f64,
    /// Investigation tool calls per decision. Default 8.
    pub max_tool_calls: u32,
    /// Bytes of one tool result sent to the model (longer results are cut). Default 8192.
    pub max_tool_result_bytes: usize,
    /// Most tokens (input and output, every turn) one decision may spend. The first prompt
    /// is cut to a quarter of it (log tails first, then events); investigation stops when
    /// the next turn would pass it. Default 60000.
    pub max_total_tokens: u64,
    /// A directory overriding the built-in prompt templates (`system.tera`,
    /// `incident.tera`, `tool_result.tera`, `validation_error.tera`; any subset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_dir: Option<PathBuf>,
    /// Replace the names of namespaces, workloads, pods and nodes by stable placeholders
    /// before anything is sent, and map them back in the answer. Default `false`.
    pub anonymize: bool,
    /// A Prometheus base URL; when set, the model may run read-only PromQL queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
    /// Alerts sharing an Alertmanager group key within this many seconds share one
    /// decision (one model call per storm). Default 60; 0 only merges concurrent ones.
    pub coalesce_window_seconds: u64,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            default: None,
            models: BTreeMap::new(),
            confidence_floor: 0.5,
            max_tool_calls: 8,
            max_tool_result_bytes: 8192,
            max_total_tokens: 60_000,
            prompt_dir: None,
            anonymize: false,
            prometheus_url: None,
            coalesce_window_seconds: 60,
        }
    }
}

impl LlmConfig {
    /// The model the decider uses, with its name: `default`, else the only one.
    pub fn default_model(&self) -> Option<(&str, &ModelConfig)> {
        match &self.default {
            Some(name) => self.models.get_key_value(name).map(|(k, v)| (k.as_str(), v)),
            None if self.models.len() == 1 => self.models.iter().next().map(|(k, v)| (k.as_str(), v)),
            None => None,
        }
    }

    /// A model by name, or the default one when `name` is `None`.
    pub fn model(&self, name: Option<&str>) -> Option<(&str, &ModelConfig)> {
        match name {
            Some(n) => self.models.get_key_value(n).map(|(k, v)| (k.as_str(), v)),
            None => self.default_model(),
        }
    }
}

/// Every problem of the `llm:` section, as (path, message); empty when valid.
pub fn validate(config: &LlmConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(name) = &config.default
        && !config.models.contains_key(name)
    {
        let known: Vec<&str> = config.models.keys().map(String::as_str).collect();
        out.push((
            "llm.default".into(),
            format!("{name:?} is not a key of llm.models (known: {})", list_or_none(&known)),
        ));
    }
    if config.default.is_none() && config.models.len() > 1 {
        out.push((
            "llm.default".into(),
            "several models are configured: name the one the decider uses".into(),
        ));
    }
    if !(0.0..=1.0).contains(&config.confidence_floor) {
        out.push((
            "llm.confidence_floor".into(),
            format!("must be between 0 and 1, found {}", config.confidence_floor),
        ));
    }
    if config.max_tool_result_bytes < 256 {
        out.push((
            "llm.max_tool_result_bytes".into(),
            format!("must be at least 256, found {}", config.max_tool_result_bytes),
        ));
    }
    if config.max_total_tokens < 2000 {
        out.push((
            "llm.max_total_tokens".into(),
            format!("must be at least 2000, found {}", config.max_total_tokens),
        ));
    }
    if let Some(url) = &config.prometheus_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        out.push((
            "llm.prometheus_url".into(),
            format!("{url:?} must start with http:// or https://"),
        ));
    }
    for (name, m) in &config.models {
        let path = |key: &str| format!("llm.models.{name}.{key}");
        if m.model.trim().is_empty() {
            out.push((
                path("model"),
                "is required (the model name sent to the provider)".into(),
            ));
        }
        if m.provider == ProviderKind::Azure && m.base_url.is_none() {
            out.push((
                path("base_url"),
                "is required for azure (https://NAME.openai.azure.com)".into(),
            ));
        }
        if let Some(url) = &m.base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            out.push((path("base_url"), format!("{url:?} must start with http:// or https://")));
        }
        if let Some(env) = &m.api_key_env
            && (env.is_empty() || env.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        {
            out.push((
                path("api_key_env"),
                format!("{env:?} is not an environment variable name (it must name the variable, never hold the key)"),
            ));
        }
        if let Some(t) = m.temperature
            && !(0.0..=2.0).contains(&t)
        {
            out.push((path("temperature"), format!("must be between 0 and 2, found {t}")));
        }
        if m.max_output_tokens == 0 {
            out.push((path("max_output_tokens"), "must be at least 1, found 0".into()));
        }
        if m.timeout_seconds == 0 {
            out.push((path("timeout_seconds"), "must be at least 1, found 0".into()));
        }
        if m.concurrency == 0 {
            out.push((path("concurrency"), "must be at least 1, found 0".into()));
        }
        for (key, price) in [
            ("price_per_million_input", m.price_per_million_input),
            ("price_per_million_output", m.price_per_million_output),
        ] {
            if let Some(p) = price
                && !(p >= 0.0 && p.is_finite())
            {
                out.push((path(key), format!("must be a price of 0 or more, found {p}")));
            }
        }
    }
    out
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_configures_no_model() {
        let c: LlmConfig = serde_yaml_ng::from_str("{}").unwrap();
        assert_eq!(c, LlmConfig::default());
        assert!(c.default_model().is_none());
        assert!(validate(&c).is_empty());
    }

    #[test]
    fn the_only_model_is_the_default() {
        let c: LlmConfig =
            serde_yaml_ng::from_str("models: {local: {model: llama3.1, base_url: 'http://localhost:11434/v1'}}")
                .unwrap();
        let (name, m) = c.default_model().unwrap();
        assert_eq!(
            (name, m.model.as_str(), m.provider),
            ("local", "llama3.1", ProviderKind::Openai)
        );
        assert_eq!(m.max_retries, 3);
        assert!(m.tools);
    }

    #[test]
    fn problems_name_the_key_and_value() {
        let c: LlmConfig = serde_yaml_ng::from_str(
            "default: big\nconfidence_floor: 2\nmodels:\n  a: {provider: azure, model: gpt-4o, api_key_env: 'sk-123'}\n  b: {model: '', concurrency: 0}\n",
        )
        .unwrap();
        let problems = validate(&c);
        let has = |path: &str, text: &str| problems.iter().any(|(p, m)| p == path && m.contains(text));
        assert!(has("llm.default", "\"big\" is not a key"), "{problems:?}");
        assert!(has("llm.confidence_floor", "found 2"), "{problems:?}");
        assert!(has("llm.models.a.base_url", "required for azure"), "{problems:?}");
        assert!(has("llm.models.a.api_key_env", "\"sk-123\""), "{problems:?}");
        assert!(has("llm.models.b.model", "required"), "{problems:?}");
        assert!(has("llm.models.b.concurrency", "found 0"), "{problems:?}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = serde_yaml_ng::from_str::<LlmConfig>("models: {a: {model: x, temprature: 0.2}}").unwrap_err();
        assert!(e.to_string().contains("temprature"), "{e}");
    }

    #[test]
    fn cost_from_prices() {
        let m = ModelConfig {
            price_per_million_input: Some(2.5),
            price_per_million_output: Some(10.0),
            ..ModelConfig::default()
        };
        let cost = m.cost_usd(1_000_000, 100_000).unwrap();
        assert!((cost - 3.5).abs() < 1e-9, "{cost}");
        assert_eq!(ModelConfig::default().cost_usd(10, 10), None);
    }
}
