//! `medic llm ping [--model NAME]`: send a trivial request to a configured model and
//! print which model answered, how long it took and the tokens it counted. The one
//! command that checks a real provider (URL, key, model name) before medic relies on it.

use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};

use crate::config::Config;
use crate::decide::llm::build;
use crate::decide::llm::{ChatRequest, LlmError, LlmProvider, Message, ToolChoice};

/// `medic llm` commands.
#[derive(Debug, Subcommand)]
pub enum LlmCommand {
    /// Send a trivial request to a configured model; print model, latency and tokens.
    Ping(PingArgs),
}

/// Arguments of `medic llm ping`.
#[derive(Debug, Args)]
pub struct PingArgs {
    /// The model's name under `llm.models` (default: `llm.default`).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
}

/// What a ping found out.
#[derive(Debug, Clone, PartialEq)]
pub struct PingReport {
    /// The provider.
    pub provider: String,
    /// The model asked for.
    pub model: String,
    /// The model that answered, as the provider names it.
    pub answered_by: String,
    /// Round trip, in milliseconds.
    pub latency_ms: u64,
    /// Input tokens counted.
    pub tokens_in: u64,
    /// Output tokens counted.
    pub tokens_out: u64,
    /// The reply text.
    pub reply: String,
}

/// Sends the ping request.
pub async fn ping(provider: &dyn LlmProvider, temperature: Option<f32>) -> Result<PingReport, LlmError> {
    let request = ChatRequest {
        system: "You are a connectivity check. Follow the instruction exactly.".into(),
        messages: vec![Message::User {
            content: "Reply with the single word: pong".into(),
        }],
        tools: Vec::new(),
        tool_choice: ToolChoice::Auto,
        response_schema: None,
        temperature,
        max_output_tokens: 16,
    };
    let started = Instant::now();
    let response = provider.complete(&request).await?;
    Ok(PingReport {
        provider: provider.provider().to_string(),
        model: provider.model().to_string(),
        answered_by: response.model,
        latency_ms: started.elapsed().as_millis() as u64,
        tokens_in: response.usage.input_tokens,
        tokens_out: response.usage.output_tokens,
        reply: response.text.unwrap_or_default().trim().to_string(),
    })
}

/// The report as the command prints it.
pub fn render(name: &str, r: &PingReport) -> String {
    format!(
        "model:    {name} ({} {}, answered as {})\nlatency:  {} ms\ntokens:   {} in, {} out\nreply:    {}\n",
        r.provider, r.model, r.answered_by, r.latency_ms, r.tokens_in, r.tokens_out, r.reply
    )
}

/// Runs a `medic llm` command.
pub async fn run(config: Config, cmd: LlmCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LlmCommand::Ping(args) => {
            let (name, model) = build::model(&config.llm, args.model.as_deref())?;
            let provider = build::provider(name, model)?;
            let report = ping(provider.as_ref(), model.temperature).await?;
            print!("{}", render(name, &report));
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::llm::tests::mock::{MockServer, Script, Wire};
    use crate::decide::llm::{ModelConfig, ProviderKind};

    #[tokio::test]
    async fn ping_reports_model_latency_and_tokens_from_an_openai_server() {
        let server = MockServer::start(Wire::OpenAi, vec![Script::text("pong")]).await;
        let model = ModelConfig {
            provider: ProviderKind::Openai,
            model: "gpt-mini".into(),
            base_url: Some(server.base_url()),
            ..ModelConfig::default()
        };
        let provider = build::provider("fast", &model).unwrap();
        let report = ping(provider.as_ref(), Some(0.0)).await.unwrap();
        assert_eq!(report.reply, "pong");
        assert_eq!(
            (report.provider.as_str(), report.model.as_str()),
            ("openai", "gpt-mini")
        );
        assert_eq!(report.answered_by, "gpt-mini-2026-01-01");
        assert_eq!((report.tokens_in, report.tokens_out), (42, 7));
        let text = render("fast", &report);
        assert!(
            text.starts_with("model:    fast (openai gpt-mini, answered as gpt-mini-2026-01-01)"),
            "{text}"
        );
        assert!(text.contains("tokens:   42 in, 7 out"), "{text}");
        let request = &server.requests()[0];
        assert_eq!(request.path, "/v1/chat/completions");
        assert_eq!(
            request.body["messages"][1]["content"],
            "Reply with the single word: pong"
        );
        assert_eq!(request.body["max_completion_tokens"], 16);
    }

    #[tokio::test]
    async fn ping_against_anthropic_and_a_missing_key_variable() {
        let server = MockServer::start(Wire::Anthropic, vec![Script::text("pong")]).await;
        let model = ModelConfig {
            provider: ProviderKind::Anthropic,
            model: "claude-test".into(),
            base_url: Some(server.base_url()),
            ..ModelConfig::default()
        };
        let report = ping(build::provider("c", &model).unwrap().as_ref(), None)
            .await
            .unwrap();
        assert_eq!((report.reply.as_str(), report.tokens_in), ("pong", 42));
        assert_eq!(server.requests()[0].path, "/v1/messages");

        let keyed = ModelConfig {
            api_key_env: Some("MEDIC_TEST_KEY_THAT_IS_NOT_SET".into()),
            ..model
        };
        let Err(e) = build::provider("c", &keyed) else {
            panic!("a missing key variable must be an error")
        };
        let e = e.to_string();
        assert!(
            e.contains("MEDIC_TEST_KEY_THAT_IS_NOT_SET") && e.contains("llm.models.c.api_key_env"),
            "{e}"
        );
    }
}
