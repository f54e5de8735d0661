//! The LLM path of `medic eval` without a network: a scripted model's answers are
//! recorded during one evaluation, then replayed (`--decider replay:FILE`) into the same
//! decisions, tokens and costs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use medic::config::Config;
use medic::decide::llm::{
    ChatRequest, ChatResponse, LlmError, LlmProvider, Message, ModelConfig, TokenUsage, ToolCall,
};
use medic::eval::{DeciderFactory, DeciderSpec, Options, RunRecord, evaluate, load_dir, run_suite};

/// A model that escalates everything, except that its first answer to an OOMKilled
/// container names an action that does not exist (and is asked again).
struct Scripted;

#[async_trait]
impl LlmProvider for Scripted {
    fn provider(&self) -> &str {
        "openai"
    }

    fn model(&self) -> &str {
        "scripted-1"
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let first = request.messages.len() == 1;
        let oom = request
            .messages
            .iter()
            .any(|m| matches!(m, Message::User { content } if content.contains("OOMKilled")));
        let action = if first && oom { "reboot_everything" } else { "escalate" };
        let arguments = serde_json::json!({
            "action": action,
            "params": {},
            "confidence": 0.8,
            "rationale": "A scripted answer: a human should look.",
        });
        Ok(ChatResponse {
            text: None,
            tool_calls: vec![ToolCall {
                id: format!("call-{}", request.messages.len()),
                name: "choose_action".into(),
                arguments: arguments.to_string(),
            }],
            usage: TokenUsage {
                input_tokens: 1500,
                output_tokens: 60,
            },
            stop_reason: Some("tool_calls".into()),
            model: "scripted-1".into(),
        })
    }
}

fn config() -> Config {
    let mut config = Config::default();
    config.llm.models.insert(
        "scripted".into(),
        ModelConfig {
            model: "scripted-1".into(),
            price_per_million_input: Some(3.0),
            price_per_million_output: Some(15.0),
            ..ModelConfig::default()
        },
    );
    config
}

fn summary(r: &RunRecord) -> (String, Option<String>, u64, u64, bool, Option<bool>) {
    (
        r.scenario.clone(),
        r.action.clone(),
        r.tokens_in,
        r.tokens_out,
        r.parse_failed,
        r.resolved,
    )
}

#[tokio::test]
async fn recorded_answers_replay_into_the_same_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let recording: PathBuf = dir.path().join("answers.jsonl");
    let config = config();
    let mut scenarios = load_dir(Path::new("evals/scenarios")).unwrap();
    scenarios.retain(|s| s.scenario.tags.iter().any(|t| t == "crashloop"));
    assert!(scenarios.len() >= 5);

    let live = DeciderFactory::with_provider("scripted", &config, Arc::new(Scripted), Some(&recording)).unwrap();
    let recorded = run_suite(&config, &scenarios, &[live], 1).await;
    let m = &recorded.deciders[0];
    assert_eq!(m.decider, "model:scripted");
    assert!(m.tokens_in > 0 && m.tokens_out > 0, "{m:?}");
    assert!(m.cost_usd > 0.0, "{m:?}");
    assert!(m.parse_failures > 0, "the OOM answers were rejected once");
    assert!(recorded.runs.iter().all(|r| r.errors.is_empty()), "{:?}", recorded.runs);

    let options = Options {
        scenarios: PathBuf::from("evals/scenarios"),
        deciders: vec![DeciderSpec::Replay(recording.clone())],
        repeat: 2,
        tag: Some("crashloop".into()),
        record: None,
    };
    let replayed = evaluate(&config, &options).await.unwrap();
    let r = &replayed.deciders[0];
    assert_eq!(r.decider, format!("replay:{}", recording.display()));
    assert_eq!(r.spread.as_ref().map(|s| s.stable_share), Some(1.0));
    let first: Vec<_> = replayed
        .runs
        .iter()
        .filter(|r| r.repetition == 0)
        .map(summary)
        .collect();
    let original: Vec<_> = recorded.runs.iter().map(summary).collect();
    assert_eq!(first, original);
    assert_eq!(r.accuracy, m.accuracy);
    assert!(replayed.runs.iter().all(|r| r.errors.is_empty()), "{:?}", replayed.runs);
}

#[tokio::test]
async fn a_replay_without_the_answer_fails_the_run_not_the_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("empty-answers.jsonl");
    std::fs::write(
        &recording,
        "{\"fingerprint\":\"sha256:00\",\"provider\":\"openai\",\"model\":\"scripted-1\",\"error\":\"x\"}\n",
    )
    .unwrap();
    let options = Options {
        scenarios: PathBuf::from("evals/scenarios"),
        deciders: vec![DeciderSpec::Replay(recording)],
        repeat: 1,
        tag: Some("easy".into()),
        record: None,
    };
    let report = evaluate(&config(), &options).await.unwrap();
    let m = &report.deciders[0];
    assert_eq!(m.parse_failures, m.runs, "every decision fell back: {m:?}");
    assert!(report.runs.iter().all(|r| r.action.as_deref() == Some("escalate")));
    assert!(
        report.runs[0].errors[0].contains("decider failed"),
        "{:?}",
        report.runs[0].errors
    );
}
