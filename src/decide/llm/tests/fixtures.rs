//! Shared test fixtures: the bundled demo cluster, a crash-looping incident on it, and
//! deciders wired to mock providers with short transport timings.

use std::sync::Arc;
use std::time::Duration;

use super::mock::MockServer;
use crate::cluster::sim::SimCluster;
use crate::context::{Context, Limits, gather};
use crate::decide::llm::anthropic::AnthropicProvider;
use crate::decide::llm::config::ProviderKind;
use crate::decide::llm::decider::Guardrails;
use crate::decide::llm::openai::{OpenAiProvider, OpenAiSettings};
use crate::decide::llm::prompt::Prompts;
use crate::decide::llm::tools::{ReadOnlyCluster, Toolbox};
use crate::decide::llm::transport::{Transport, TransportSettings};
use crate::decide::llm::{LlmDecider, LlmProvider, Settings};
use crate::incident::Incident;

/// The bundled demo cluster.
pub(crate) const DEMO: &str = include_str!("../../../../config/demo/cluster.yaml");
/// The crash-looping (OOMKilled) pod of shop/api in the demo cluster.
pub(crate) const POD: &str = "api-5f6d8c9b7-k2x9p";

pub(crate) fn demo_cluster() -> Arc<SimCluster> {
    Arc::new(SimCluster::from_yaml(DEMO).unwrap())
}

/// KubePodCrashLooping on the demo's crash-looping api pod.
pub(crate) fn crash_incident() -> Incident {
    crate::decide::rules::matcher::tests::incident(&format!(
        "alertname: KubePodCrashLooping, namespace: shop, pod: {POD}, container: api, severity: warning"
    ))
}

pub(crate) async fn context_of(cluster: &SimCluster, incident: &Incident) -> Context {
    gather(cluster, incident, &Limits::default()).await
}

/// Quick transport settings: small backoffs, a 2 s timeout, 2 retries.
pub(crate) fn quick() -> TransportSettings {
    TransportSettings {
        timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        concurrency: 4,
    }
}

fn transport(settings: TransportSettings) -> Arc<Transport> {
    Arc::new(Transport::new(reqwest::Client::new(), settings, "test"))
}

/// An OpenAI provider for `gpt-test` at the mock, with key `sk-test`.
pub(crate) fn openai(server: &MockServer, settings: TransportSettings) -> Arc<dyn LlmProvider> {
    Arc::new(
        OpenAiProvider::new(
            OpenAiSettings {
                kind: ProviderKind::Openai,
                model: "gpt-test".into(),
                base_url: server.base_url(),
                api_key: Some("sk-test".into()),
                api_version: String::new(),
                deployment: String::new(),
            },
            transport(settings),
        )
        .unwrap(),
    )
}

/// An Azure provider for deployment `medic-gpt` at the mock, with key `azure-key`.
pub(crate) fn azure(server: &MockServer) -> Arc<dyn LlmProvider> {
    Arc::new(
        OpenAiProvider::new(
            OpenAiSettings {
                kind: ProviderKind::Azure,
                model: "gpt-4o".into(),
                base_url: server.root_url(),
                api_key: Some("azure-key".into()),
                api_version: "2024-10-21".into(),
                deployment: "medic-gpt".into(),
            },
            transport(quick()),
        )
        .unwrap(),
    )
}

/// An Anthropic provider for `claude-test` at the mock, with key `ak-test`.
pub(crate) fn anthropic(server: &MockServer, settings: TransportSettings) -> Arc<dyn LlmProvider> {
    Arc::new(AnthropicProvider::new(
        "claude-test",
        &server.base_url(),
        Some("ak-test".into()),
        transport(settings),
    ))
}

/// Deterministic decider settings (temperature 0).
pub(crate) fn settings() -> Settings {
    Settings {
        temperature: Some(0.0),
        ..Settings::default()
    }
}

/// A decider named `llm:test` over `provider`, with cluster tools on `cluster`.
pub(crate) fn decider(provider: Arc<dyn LlmProvider>, settings: Settings, cluster: Arc<SimCluster>) -> LlmDecider {
    LlmDecider::new(
        "test",
        provider,
        Arc::new(Prompts::builtin().unwrap()),
        Guardrails::default(),
        settings,
    )
    .with_tools(Toolbox::new(Some(ReadOnlyCluster::new(cluster)), None))
}

/// Whether every occurrence of `needle` in `text` lies inside a `<<<DATA` fence.
pub(crate) fn fenced_everywhere(text: &str, needle: &str) -> bool {
    let mut found = false;
    for (at, _) in text.match_indices(needle) {
        found = true;
        let before = &text[..at];
        let open = before.rfind("<<<DATA ");
        let close = before.rfind("<<<END DATA ");
        match (open, close) {
            (Some(o), Some(c)) if c > o => return false,
            (None, _) => return false,
            _ => {}
        }
    }
    found
}
