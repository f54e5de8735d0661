//! What one LLM decision cost and did, recorded with the decision
//! ([`crate::decide::Decision::llm`]): provider, model, tokens, latency, cost estimate,
//! tool calls, re-asks and the prompt's size. Plain data.

use serde::{Deserialize, Serialize};

/// The record of one model-made decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmUsage {
    /// `openai`, `azure`, `anthropic`, `replay`.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Input tokens, every turn summed (as counted by the provider).
    pub tokens_in: u64,
    /// Output tokens, every turn summed.
    pub tokens_out: u64,
    /// Wall time of the whole decision, in milliseconds.
    pub latency_ms: u64,
    /// Estimated cost in US dollars, when the model has prices configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Requests sent to the model.
    pub turns: u32,
    /// Investigation tools called, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallRecord>,
    /// Answers rejected and re-asked, with the validation error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected_answers: Vec<String>,
    /// The first prompt's size and what was cut to fit the budget.
    #[serde(default)]
    pub prompt: PromptSizes,
    /// Set when this decision was shared from another incident of the same alert group
    /// (storm coalescing): the group key. Tokens and cost are then zero (counted once, on
    /// the incident that asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_from: Option<String>,
}

/// One investigation tool call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    /// The tool.
    pub name: String,
    /// Its arguments as the model wrote them (placeholders mapped back to real names).
    pub arguments: String,
    /// Bytes of the result sent to the model.
    pub result_bytes: usize,
    /// Whether the result was cut to the byte limit.
    #[serde(default)]
    pub truncated: bool,
    /// Why the tool failed or was refused, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The first prompt's size, measured with a tokenizer-free estimate that errs high.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptSizes {
    /// Estimated tokens of the system prompt, the incident and the tool schemas.
    pub estimated_tokens: u64,
    /// The budget it had to fit.
    pub budget_tokens: u64,
    /// Bytes of the system prompt.
    pub system_bytes: usize,
    /// Bytes of the incident prompt, after cuts.
    pub incident_bytes: usize,
    /// What was cut to fit, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cuts: Vec<PromptCut>,
}

/// One cut made to fit the token budget.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptCut {
    /// What was cut (`log shop/api-1/api`, `events`, `object`).
    pub what: String,
    /// Its size before, in bytes.
    pub bytes_before: usize,
    /// Its size after (0 when removed).
    pub bytes_after: usize,
}
