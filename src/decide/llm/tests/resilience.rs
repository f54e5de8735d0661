//! Rate limits, overload, timeouts and errors, through the real transport.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::fixtures::*;
use super::mock::{MockServer, Script, Wire};
use crate::decide::Decider;
use crate::decide::llm::transport::TransportSettings;
use crate::decide::llm::{ChatRequest, LlmError, Message, ToolChoice};

fn answer() -> serde_json::Value {
    json!({"action": "escalate", "params": {"reason": "unclear"}, "confidence": 0.9, "rationale": "not enough evidence"})
}

fn ping() -> ChatRequest {
    ChatRequest {
        system: "s".into(),
        messages: vec![Message::User { content: "u".into() }],
        tools: vec![],
        tool_choice: ToolChoice::Auto,
        response_schema: None,
        temperature: None,
        max_output_tokens: 5,
    }
}

#[tokio::test]
async fn a_429_waits_what_retry_after_asks_then_succeeds() {
    let server = MockServer::start(
        Wire::OpenAi,
        vec![
            Script::error(
                429,
                "rate_limit_exceeded",
                "Rate limit reached for gpt-test",
                &[("retry-after", "1")],
            ),
            Script::answer(answer()),
        ],
    )
    .await;
    let cluster = demo_cluster();
    let incident = crash_incident();
    let context = context_of(&cluster, &incident).await;
    let started = Instant::now();
    let decision = decider(openai(&server, quick()), settings(), cluster)
        .decide(&incident, &context)
        .await
        .unwrap()
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(server.calls(), 2);
    assert!(
        waited >= Duration::from_secs(1),
        "waited only {waited:?}: Retry-After ignored"
    );
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert_eq!(decision.action_name(), "escalate");
}

#[tokio::test]
async fn a_wait_longer_than_allowed_is_not_waited_for_and_the_error_names_everything() {
    let server = MockServer::start(
        Wire::OpenAi,
        vec![Script::error(
            429,
            "rate_limit_exceeded",
            "Rate limit reached for gpt-test",
            &[("retry-after", "3600")],
        )],
    )
    .await;
    let started = Instant::now();
    let e = openai(&server, quick()).complete(&ping()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.calls(), 1);
    assert_eq!(e.status(), Some(429));
    assert_eq!(
        e.to_string(),
        "openai model gpt-test: HTTP 429: rate_limit_exceeded: Rate limit reached for gpt-test (code: rate_limit_exceeded)"
    );
}

#[tokio::test]
async fn anthropic_overload_is_retried_with_retry_after_ms_and_errors_are_parsed() {
    let server = MockServer::start(
        Wire::Anthropic,
        vec![
            Script::error(529, "overloaded_error", "Overloaded", &[("retry-after-ms", "30")]),
            Script::error(500, "api_error", "Internal server error", &[]),
            Script::text("pong"),
        ],
    )
    .await;
    let response = anthropic(&server, quick()).complete(&ping()).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("pong"));
    assert_eq!(server.calls(), 3);

    let server = MockServer::start(
        Wire::Anthropic,
        vec![Script::error(
            400,
            "invalid_request_error",
            "max_tokens: must be at least 1",
            &[],
        )],
    )
    .await;
    let e = anthropic(&server, quick()).complete(&ping()).await.unwrap_err();
    assert_eq!(server.calls(), 1, "a 400 is not retried");
    assert_eq!(
        e.to_string(),
        "anthropic model claude-test: HTTP 400: invalid_request_error: max_tokens: must be at least 1"
    );
}

#[tokio::test]
async fn a_model_that_never_answers_times_out_after_the_retries() {
    let slow = || Script::Delay(Duration::from_secs(5), Box::new(Script::text("late")));
    let server = MockServer::start(Wire::OpenAi, vec![slow(), slow()]).await;
    let settings = TransportSettings {
        timeout: Duration::from_millis(200),
        max_retries: 1,
        ..quick()
    };
    let started = Instant::now();
    let e = openai(&server, settings).complete(&ping()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(matches!(e, LlmError::Timeout { attempts: 2, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "openai model gpt-test: no answer within 0.2s (2 attempts)"
    );
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_naming_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let provider = crate::decide::llm::build::provider_with(
        "local",
        &crate::decide::llm::ModelConfig {
            model: "llama".into(),
            base_url: Some(format!("http://{addr}/v1")),
            ..Default::default()
        },
        TransportSettings {
            max_retries: 1,
            ..quick()
        },
    )
    .unwrap();
    let e = provider.complete(&ping()).await.unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "openai model llama: cannot reach http://{addr}/v1/chat/completions"
        )),
        "{e}"
    );
}

#[tokio::test]
async fn the_concurrency_limit_holds_requests_back() {
    let delayed = || Script::Delay(Duration::from_millis(300), Box::new(Script::text("ok")));
    let server = MockServer::start(Wire::OpenAi, vec![delayed(), delayed(), delayed()]).await;
    let provider = openai(
        &server,
        TransportSettings {
            concurrency: 1,
            ..quick()
        },
    );
    let started = Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let p = Arc::clone(&provider);
            tokio::spawn(async move { p.complete(&ping()).await })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}
