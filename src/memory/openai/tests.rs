//! [`OpenAiEmbedder`] against a local axum server that answers exactly as the OpenAI
//! embeddings API does: `{"object":"list","data":[{"object":"embedding","index":0,
//! "embedding":[...]}],"model":"...","usage":{"prompt_tokens":N,"total_tokens":N}}` on
//! success, `401` with `{"error":{"message":"Incorrect API key provided...","type":
//! "invalid_request_error","param":null,"code":"invalid_api_key"}}` for a wrong key, and
//! `429` with a `rate_limit_exceeded` error for the model `rate-limited`. The server lists
//! `data` in reverse order, as the API is allowed to, so placement by `index` is tested.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::*;

/// What the fake server saw.
#[derive(Default)]
struct Seen {
    requests: Vec<Value>,
}

/// The vector the fake server returns for a text: `[length, first byte, 1]`, or one more
/// component for the model `wide`.
fn fake_vector(text: &str, model: &str) -> Vec<f32> {
    let mut v = vec![text.len() as f32, f32::from(text.bytes().next().unwrap_or(0)), 1.0];
    if model == "wide" {
        v.push(0.0);
    }
    v
}

async fn embeddings(State(seen): State<Arc<Mutex<Seen>>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    seen.lock().unwrap().requests.push(body.clone());
    if headers.get("authorization").and_then(|h| h.to_str().ok()) != Some("Bearer sk-test") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {
                "message": "Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.",
                "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})),
        )
            .into_response();
    }
    let model = body["model"].as_str().unwrap_or_default().to_string();
    if model == "rate-limited" {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": {
                "message": "Rate limit reached for rate-limited on requests per min (RPM): Limit 3, Used 3, Requested 1.",
                "type": "requests", "param": null, "code": "rate_limit_exceeded"}})),
        )
            .into_response();
    }
    let inputs: Vec<String> = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": fake_vector(text, &model)}))
        .collect();
    Json(json!({
        "object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
    }))
    .into_response()
}

/// Starts the fake server; returns its base URL (`http://127.0.0.1:PORT/v1`).
async fn fake_openai() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/v1/embeddings", post(embeddings))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/v1"), seen)
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn embeds_in_input_order_with_the_bearer_key() {
    let (base, seen) = fake_openai().await;
    let e = OpenAiEmbedder::new(&format!("{base}/"), "text-embedding-3-small", 3, Some("sk-test".into())).unwrap();
    assert_eq!(e.name(), "openai:text-embedding-3-small");
    assert_eq!(e.dims(), 3);
    let inputs = texts(&["alert: a", "bb", "c c c"]);
    let vectors = e.embed(&inputs).await.unwrap();
    let expected: Vec<Vec<f32>> = inputs
        .iter()
        .map(|t| fake_vector(t, "text-embedding-3-small"))
        .collect();
    assert_eq!(vectors, expected);
    let requests = &seen.lock().unwrap().requests;
    assert_eq!(
        requests.as_slice(),
        [json!({"model": "text-embedding-3-small", "input": ["alert: a", "bb", "c c c"]})]
    );
}

#[tokio::test]
async fn many_texts_go_in_batches() {
    let (base, seen) = fake_openai().await;
    let e = OpenAiEmbedder::new(&base, "m", 3, Some("sk-test".into())).unwrap();
    let inputs: Vec<String> = (0..300).map(|i| format!("text {i}")).collect();
    let vectors = e.embed(&inputs).await.unwrap();
    assert_eq!(vectors.len(), 300);
    assert_eq!(vectors[299], fake_vector("text 299", "m"));
    let sizes: Vec<usize> = seen
        .lock()
        .unwrap()
        .requests
        .iter()
        .map(|r| r["input"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [256, 44]);
}

#[tokio::test]
async fn a_wrong_key_names_provider_model_and_status() {
    let (base, _) = fake_openai().await;
    let e = OpenAiEmbedder::new(&base, "text-embedding-3-small", 3, Some("sk-wrong".into())).unwrap();
    let err = e.embed(&texts(&["x"])).await.unwrap_err();
    match &err {
        MemoryError::Provider { status, message, .. } => {
            assert_eq!(*status, 401);
            assert!(message.starts_with("Incorrect API key provided"), "{message}");
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "embeddings provider openai (model text-embedding-3-small) answered HTTP 401: Incorrect API key"
        ),
        "{shown}"
    );
    let no_key = OpenAiEmbedder::new(&base, "m", 3, None).unwrap();
    assert!(matches!(
        no_key.embed(&texts(&["x"])).await,
        Err(MemoryError::Provider { status: 401, .. })
    ));
}

#[tokio::test]
async fn rate_limits_are_retryable() {
    let (base, _) = fake_openai().await;
    let e = OpenAiEmbedder::new(&base, "rate-limited", 3, Some("sk-test".into())).unwrap();
    let err = e.embed(&texts(&["x"])).await.unwrap_err();
    assert!(matches!(err, MemoryError::Provider { status: 429, .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("Rate limit reached"), "{err}");
}

#[tokio::test]
async fn vectors_of_the_wrong_size_are_refused() {
    let (base, _) = fake_openai().await;
    let e = OpenAiEmbedder::new(&base, "wide", 3, Some("sk-test".into())).unwrap();
    let err = e.embed(&texts(&["x"])).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "vector for input 0 from model wide has 4 dimensions, expected 3"
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = OpenAiEmbedder::new(&format!("http://{addr}/v1"), "m", 3, None).unwrap();
    let err = e.embed(&texts(&["x"])).await.unwrap_err();
    assert!(matches!(err, MemoryError::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        err.to_string().contains(&format!("http://{addr}/v1/embeddings")),
        "{err}"
    );
}

#[test]
fn error_bodies_that_are_not_json_are_quoted() {
    assert_eq!(error_message(b"upstream connect error"), "upstream connect error");
    assert_eq!(error_message(b""), "(empty body)");
}
