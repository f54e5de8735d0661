//! The provider seam: one chat request in, one model answer out, in a provider-neutral
//! shape that each provider translates to and from its wire format.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::error::LlmError;

/// One message of the conversation (the system prompt travels apart, in
/// [`ChatRequest::system`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// Text from medic: the incident, or a validation error.
    User {
        /// The text.
        content: String,
    },
    /// The model's earlier turn, replayed so it sees its own tool calls.
    Assistant {
        /// Its text, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// Its tool calls.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call.
    Tool {
        /// The id of the call answered.
        call_id: String,
        /// The tool's name.
        name: String,
        /// The result text (already sanitized and fenced).
        content: String,
    },
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Its name (`choose_action`, `tail_logs`, ...).
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// The JSON Schema of its arguments.
    pub parameters: serde_json::Value,
}

/// Which tools the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model may answer in text or call a tool.
    Auto,
    /// The model must call one of the tools offered (OpenAI `required`, Anthropic `any`).
    Any,
    /// The model must call this tool.
    Tool(String),
}

/// A JSON Schema the answer text must follow (structured output, for models without tools).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseSchema {
    /// The schema's name.
    pub name: String,
    /// The schema.
    pub schema: serde_json::Value,
    /// Whether the provider should enforce it strictly.
    pub strict: bool,
}

/// One request to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The system prompt.
    pub system: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Tools offered; empty for none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Which tool must be called (ignored without tools).
    pub tool_choice: ToolChoice,
    /// The schema of a text answer, for structured output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<ResponseSchema>,
    /// Sampling temperature; `None` for the provider's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Most tokens of the answer.
    pub max_output_tokens: u32,
}

/// A tool call made by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call (echoed in the result).
    pub id: String,
    /// The tool called.
    pub name: String,
    /// The arguments as the model wrote them: JSON text, possibly malformed.
    pub arguments: String,
}

/// Tokens counted by the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input (prompt) tokens.
    pub input_tokens: u64,
    /// Output (completion) tokens.
    pub output_tokens: u64,
}

/// One answer from a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// Text, if the model wrote any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Tool calls, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Tokens used.
    pub usage: TokenUsage,
    /// Why the model stopped (`tool_calls`, `stop`, `end_turn`, `tool_use`, `length`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// The model that answered, as the provider names it.
    pub model: String,
}

/// A language model behind some wire protocol.
///
/// Driven by the LLM decider, once per turn of a decision. `complete` sends one request
/// and returns the model's answer, after the transport's retries; an error means the
/// call failed for good (the decider then falls back). Implementations hold no
/// conversation state, never touch the cluster, and must be cheap to share (`Arc`).
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// `openai`, `azure`, `anthropic`, `replay`.
    fn provider(&self) -> &str;

    /// The model name sent to the provider.
    fn model(&self) -> &str;

    /// Sends one request.
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;
}
