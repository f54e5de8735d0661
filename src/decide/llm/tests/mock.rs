//! Local HTTP servers speaking the providers' wire formats exactly as documented:
//! OpenAI chat completions (`POST {base}/chat/completions`, Azure's
//! `/openai/deployments/{deployment}/chat/completions?api-version=`), and Anthropic
//! Messages (`POST /v1/messages`). Each answers from a script, in order, and records
//! every request (method, path, query, headers, JSON body) for the tests to assert.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Which wire format the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    /// OpenAI chat completions (also Azure's, on its deployment path).
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) enum Script {
    /// A text answer.
    Text(String),
    /// Tool calls: (name, arguments as JSON text).
    Tools(Vec<(String, String)>),
    /// An error status with the provider's error body and extra headers.
    Error {
        status: u16,
        kind: String,
        message: String,
        headers: Vec<(String, String)>,
    },
    /// Wait, then answer.
    Delay(Duration, Box<Script>),
}

impl Script {
    pub(crate) fn text(t: &str) -> Script {
        Script::Text(t.into())
    }

    pub(crate) fn tool(name: &str, args: &str) -> Script {
        Script::Tools(vec![(name.into(), args.into())])
    }

    pub(crate) fn answer(args: Value) -> Script {
        Script::tool("choose_action", &args.to_string())
    }

    pub(crate) fn error(status: u16, kind: &str, message: &str, headers: &[(&str, &str)]) -> Script {
        Script::Error {
            status,
            kind: kind.into(),
            message: message.into(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every text the request carries (system, messages, tool results), joined.
    pub(crate) fn all_text(&self) -> String {
        let mut out = String::new();
        collect_strings(&self.body, &mut out);
        out
    }

    /// The messages (OpenAI) or message content blocks (Anthropic) flattened to text, in order.
    pub(crate) fn messages(&self) -> Vec<Value> {
        self.body["messages"].as_array().cloned().unwrap_or_default()
    }
}

fn collect_strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

struct Inner {
    wire: Wire,
    script: VecDeque<Script>,
    seen: Vec<Seen>,
    calls: usize,
}

/// A running mock provider.
pub(crate) struct MockServer {
    addr: std::net::SocketAddr,
    inner: Arc<Mutex<Inner>>,
    wire: Wire,
}

impl MockServer {
    /// Starts a server on a free local port.
    pub(crate) async fn start(wire: Wire, script: Vec<Script>) -> MockServer {
        let inner = Arc::new(Mutex::new(Inner {
            wire,
            script: script.into(),
            seen: Vec::new(),
            calls: 0,
        }));
        let app = axum::Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        MockServer { addr, inner, wire }
    }

    /// The base URL to configure: `http://ADDR/v1` for OpenAI (the client appends
    /// `/chat/completions`), `http://ADDR` for Anthropic and Azure.
    pub(crate) fn base_url(&self) -> String {
        match self.wire {
            Wire::OpenAi => format!("http://{}/v1", self.addr),
            Wire::Anthropic => format!("http://{}", self.addr),
        }
    }

    /// `http://ADDR`, for Azure.
    pub(crate) fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub(crate) fn requests(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// How many requests arrived.
    pub(crate) fn calls(&self) -> usize {
        self.inner.lock().unwrap().calls
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = body["model"].as_str().unwrap_or("unknown").to_string();
    let (wire, step, call) = {
        let mut i = inner.lock().unwrap();
        i.calls += 1;
        i.seen.push(Seen {
            method: method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            headers,
            body,
        });
        (i.wire, i.script.pop_front(), i.calls)
    };
    let mut step = step.unwrap_or_else(|| Script::error(500, "api_error", "the mock's script is exhausted", &[]));
    while let Script::Delay(d, next) = step {
        tokio::time::sleep(d).await;
        step = *next;
    }
    respond(wire, &model, call, step)
}

fn respond(wire: Wire, model: &str, call: usize, step: Script) -> Response {
    let answered_as = format!("{model}-2026-01-01");
    let ok = |body: Value| (StatusCode::OK, axum::Json(body)).into_response();
    match (wire, step) {
        (_, Script::Delay(..)) => unreachable!("delays are unwrapped before responding"),
        (Wire::OpenAi, Script::Text(t)) => ok(json!({
            "id": format!("chatcmpl-{call}"), "object": "chat.completion", "created": 1767225600u32,
            "model": answered_as,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": t, "refusal": null},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
        })),
        (Wire::OpenAi, Script::Tools(calls)) => ok(json!({
            "id": format!("chatcmpl-{call}"), "object": "chat.completion", "created": 1767225600u32,
            "model": answered_as,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null,
                "tool_calls": calls.iter().enumerate().map(|(i, (name, args))| json!({
                    "id": format!("call_{call}_{i}"), "type": "function",
                    "function": {"name": name, "arguments": args}
                })).collect::<Vec<_>>()},
                "logprobs": null, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
        })),
        (Wire::Anthropic, Script::Text(t)) => ok(json!({
            "id": format!("msg_{call}"), "type": "message", "role": "assistant", "model": answered_as,
            "content": [{"type": "text", "text": t}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 42, "output_tokens": 7}
        })),
        (Wire::Anthropic, Script::Tools(calls)) => ok(json!({
            "id": format!("msg_{call}"), "type": "message", "role": "assistant", "model": answered_as,
            "content": calls.iter().enumerate().map(|(i, (name, args))| json!({
                "type": "tool_use", "id": format!("toolu_{call}_{i}"), "name": name,
                "input": serde_json::from_str::<Value>(args).expect("Anthropic tool inputs are JSON objects")
            })).collect::<Vec<_>>(),
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 42, "output_tokens": 7}
        })),
        (
            wire,
            Script::Error {
                status,
                kind,
                message,
                headers,
            },
        ) => {
            let body = match wire {
                Wire::OpenAi => json!({"error": {"message": message, "type": kind, "param": null, "code": kind}}),
                Wire::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}),
            };
            let mut response = (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
            for (k, v) in headers {
                response.headers_mut().insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            response
        }
    }
}
