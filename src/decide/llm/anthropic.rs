//! The Anthropic Messages API provider (reqwest, through medic's [`Transport`]).
//!
//! Wire format, as Anthropic documents it: `POST {base}/v1/messages` with headers
//! `x-api-key` and `anthropic-version: 2023-06-01`; a top-level `system`, `messages` whose
//! content is blocks (`text`, `tool_use {id, name, input}`, `tool_result {tool_use_id,
//! content}`), `tools` with `input_schema`, and `tool_choice` `{type: auto|any|tool}`.
//! The answer has `content[]` blocks, `stop_reason` and `usage.input_tokens/output_tokens`;
//! errors are `{"type": "error", "error": {"type": "rate_limit_error", "message": ...}}`.
//!
//! Anthropic has no JSON Schema response format: a structured-output request is sent as
//! one forced tool named after the schema, and its input returned as the answer text.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::LlmError;
use super::provider::{ChatRequest, ChatResponse, LlmProvider, Message, TokenUsage, ToolCall, ToolChoice};
use super::transport::{Reply, Transport};

/// The default API base URL.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// The API version header medic speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// An Anthropic model.
pub struct AnthropicProvider {
    model: String,
    url: String,
    api_key: Option<String>,
    transport: Arc<Transport>,
}

impl std::fmt::Debug for AnthropicProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicProvider")
            .field("model", &self.model)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl AnthropicProvider {
    /// A provider for `model` at `base_url` (without `/v1`), sending through `transport`.
    pub fn new(model: &str, base_url: &str, api_key: Option<String>, transport: Arc<Transport>) -> Self {
        AnthropicProvider {
            model: model.to_string(),
            url: format!("{}/v1/messages", base_url.trim_end_matches('/')),
            api_key,
            transport,
        }
    }

    fn decode(&self, message: impl Into<String>) -> LlmError {
        LlmError::Decode {
            provider: "anthropic".into(),
            model: self.model.clone(),
            message: message.into(),
        }
    }
}

/// The Messages API body for a [`ChatRequest`].
pub fn to_wire(model: &str, request: &ChatRequest) -> Value {
    let mut messages: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut push = |role: &'static str, block: Value| match messages.last_mut() {
        Some((last, blocks)) if *last == role => blocks.push(block),
        _ => messages.push((role, vec![block])),
    };
    for m in &request.messages {
        match m {
            Message::User { content } => push("user", json!({"type": "text", "text": content})),
            Message::Assistant { content, tool_calls } => {
                if let Some(text) = content.as_ref().filter(|t| !t.is_empty()) {
                    push("assistant", json!({"type": "text", "text": text}));
                }
                for c in tool_calls {
                    let input = serde_json::from_str::<Value>(&c.arguments)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    push(
                        "assistant",
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
            }
            Message::Tool { call_id, content, .. } => push(
                "user",
                json!({"type": "tool_result", "tool_use_id": call_id, "content": content}),
            ),
        }
    }
    let mut body = json!({
        "model": model,
        "max_tokens": request.max_output_tokens,
        "system": request.system,
        "messages": messages
            .into_iter()
            .map(|(role, content)| json!({"role": role, "content": content}))
            .collect::<Vec<_>>(),
    });
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    let (tools, choice) = match (&request.response_schema, request.tools.is_empty()) {
        (Some(schema), true) => (
            vec![json!({
                "name": schema.name,
                "description": "Give your answer by calling this tool.",
                "input_schema": schema.schema,
            })],
            Some(json!({"type": "tool", "name": schema.name})),
        ),
        _ => (
            request
                .tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
                .collect(),
            (!request.tools.is_empty()).then(|| match &request.tool_choice {
                ToolChoice::Auto => json!({"type": "auto"}),
                ToolChoice::Any => json!({"type": "any"}),
                ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
            }),
        ),
    };
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    if let Some(c) = choice {
        body["tool_choice"] = c;
    }
    body
}

#[derive(Deserialize)]
struct WireResponse {
    model: String,
    content: Vec<WireBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct WireUsage {
    input_tokens: u64,
    output_tokens: u64,
}

#[derive(Deserialize)]
struct WireError {
    error: WireErrorDetail,
}

#[derive(Deserialize)]
struct WireErrorDetail {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

/// The [`ChatResponse`] of a Messages API answer; `structured` names the tool standing
/// for a structured-output schema (its input becomes the text).
fn from_wire(body: &[u8], structured: Option<&str>) -> Result<ChatResponse, String> {
    let wire: WireResponse = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut texts = Vec::new();
    let mut tool_calls = Vec::new();
    for block in wire.content {
        match block {
            WireBlock::Text { text } => texts.push(text),
            WireBlock::ToolUse { name, input, .. } if Some(name.as_str()) == structured => {
                texts.push(input.to_string());
            }
            WireBlock::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                id,
                name,
                arguments: input.to_string(),
            }),
            WireBlock::Other => {}
        }
    }
    let text = texts.join("\n");
    Ok(ChatResponse {
        text: (!text.is_empty()).then_some(text),
        tool_calls,
        usage: TokenUsage {
            input_tokens: wire.usage.input_tokens,
            output_tokens: wire.usage.output_tokens,
        },
        stop_reason: wire.stop_reason,
        model: wire.model,
    })
}

fn error_message(reply: &Reply) -> String {
    match serde_json::from_slice::<WireError>(&reply.body) {
        Ok(e) => format!("{}: {}", e.error.kind, e.error.message),
        Err(_) => reply.body_text(500),
    }
}

#[async_trait]
impl LlmProvider for AnthropicProvider {
    fn provider(&self) -> &str {
        "anthropic"
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let body = serde_json::to_vec(&to_wire(&self.model, request)).map_err(|e| self.decode(e.to_string()))?;
        let structured = match (&request.response_schema, request.tools.is_empty()) {
            (Some(s), true) => Some(s.name.as_str()),
            _ => None,
        };
        let reply = self
            .transport
            .send(|| {
                let mut builder = self
                    .transport
                    .client()
                    .post(&self.url)
                    .header("anthropic-version", ANTHROPIC_VERSION)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                if let Some(key) = &self.api_key {
                    builder = builder.header("x-api-key", key);
                }
                std::future::ready(builder.build())
            })
            .await
            .map_err(|e| e.into_llm("anthropic", &self.model))?;
        if !reply.is_success() {
            return Err(LlmError::Status {
                provider: "anthropic".into(),
                model: self.model.clone(),
                status: reply.status,
                message: error_message(&reply),
            });
        }
        from_wire(&reply.body, structured).map_err(|e| self.decode(format!("{e} in {}", reply.body_text(300))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::llm::provider::{ResponseSchema, ToolSpec};

    #[test]
    fn tool_results_of_one_turn_share_one_user_message() {
        let request = ChatRequest {
            system: "sys".into(),
            messages: vec![
                Message::User {
                    content: "incident".into(),
                },
                Message::Assistant {
                    content: Some("looking".into()),
                    tool_calls: vec![
                        ToolCall {
                            id: "t1".into(),
                            name: "tail_logs".into(),
                            arguments: r#"{"pod":"p"}"#.into(),
                        },
                        ToolCall {
                            id: "t2".into(),
                            name: "list_events".into(),
                            arguments: "{}".into(),
                        },
                    ],
                },
                Message::Tool {
                    call_id: "t1".into(),
                    name: "tail_logs".into(),
                    content: "log".into(),
                },
                Message::Tool {
                    call_id: "t2".into(),
                    name: "list_events".into(),
                    content: "events".into(),
                },
            ],
            tools: vec![ToolSpec {
                name: "tail_logs".into(),
                description: "d".into(),
                parameters: json!({"type": "object"}),
            }],
            tool_choice: ToolChoice::Any,
            response_schema: None,
            temperature: Some(0.0),
            max_output_tokens: 100,
        };
        let body = to_wire("claude", &request);
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[1]["content"][1]["input"], json!({"pod": "p"}));
        assert_eq!(messages[2]["role"], "user");
        assert_eq!(messages[2]["content"].as_array().unwrap().len(), 2);
        assert_eq!(messages[2]["content"][1]["tool_use_id"], "t2");
        assert_eq!(body["tool_choice"], json!({"type": "any"}));
        assert_eq!(body["tools"][0]["input_schema"], json!({"type": "object"}));
    }

    #[test]
    fn structured_output_is_a_forced_tool_whose_input_is_the_text() {
        let request = ChatRequest {
            system: "s".into(),
            messages: vec![Message::User { content: "u".into() }],
            tools: vec![],
            tool_choice: ToolChoice::Auto,
            response_schema: Some(ResponseSchema {
                name: "answer".into(),
                schema: json!({"type": "object"}),
                strict: true,
            }),
            temperature: None,
            max_output_tokens: 10,
        };
        let body = to_wire("claude", &request);
        assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "answer"}));
        let answer = from_wire(
            br#"{"id":"m","type":"message","role":"assistant","model":"claude","content":[{"type":"tool_use","id":"x","name":"answer","input":{"a":1}}],"stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":2}}"#,
            Some("answer"),
        )
        .unwrap();
        assert_eq!(answer.text.as_deref(), Some(r#"{"a":1}"#));
        assert!(answer.tool_calls.is_empty());
    }
}
