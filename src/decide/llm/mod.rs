//! The LLM decider: a language model chooses one catalog action, with typed parameters,
//! after an optional bounded, read-only investigation.
//!
//! - [`provider`]: the [`LlmProvider`] seam, provider-neutral requests and answers;
//!   [`openai`] (async-openai: OpenAI, Azure, every chat-completions server) and
//!   [`anthropic`] (Messages API) speak the wire formats; [`transport`] gives both
//!   timeouts, retries with backoff honouring `Retry-After`, and a concurrency limit;
//!   [`replay`] records and replays answers (evaluation, tests).
//! - [`prompt`] loads the Tera templates of `prompts/`; [`view`] prepares the incident for
//!   them; [`budget`] cuts it to the token budget.
//! - [`schema`] generates the `choose_action` schema from the catalog, for the actions
//!   [`allowed`] by policy; [`answer`] parses the answer or says exactly why not.
//! - [`tools`] are the investigation tools; [`sanitize`] redacts and fences what they
//!   return; [`anonymize`] hides names when configured.
//! - [`coalesce`] shares one decision across an alert storm; [`decider`] runs the
//!   conversation; [`build`] wires it from [`config`]; [`usage`] is what is recorded.
//!
//! The LLM never touches the cluster: its tools only read (through
//! [`tools::ReadOnlyCluster`], which has no way to apply anything), and its answer is only
//! ever an entry of the typed catalog, never free text to execute. Whatever it decides,
//! the policy stage has the last word.

pub mod allowed;
pub mod anonymize;
pub mod answer;
pub mod anthropic;
pub mod budget;
pub mod build;
pub mod coalesce;
pub mod config;
pub mod decider;
pub mod error;
pub mod openai;
pub mod prompt;
pub mod provider;
pub mod replay;
pub mod sanitize;
pub mod schema;
pub mod tools;
pub mod transport;
pub mod usage;
pub mod view;

#[cfg(test)]
pub(crate) mod tests;

pub use config::{LlmConfig, ModelConfig, ProviderKind};
pub use decider::{Guardrails, LlmDecider, Settings};
pub use error::LlmError;
pub use provider::{ChatRequest, ChatResponse, LlmProvider, Message, TokenUsage, ToolCall, ToolChoice, ToolSpec};
pub use replay::{RecordingProvider, ReplayProvider};
pub use usage::LlmUsage;
