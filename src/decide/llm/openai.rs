//! The OpenAI-compatible provider, through async-openai: OpenAI, Azure OpenAI, and every
//! server speaking chat completions (Ollama, vLLM, llama.cpp server, LM Studio,
//! OpenRouter, Gemini's OpenAI endpoint).
//!
//! async-openai builds the request (its typed `CreateChatCompletionRequest`, its
//! `OpenAIConfig`/`AzureConfig` for the URL, the `Authorization` or `api-key` header and
//! Azure's `api-version`) and parses the response; the HTTP exchange goes through medic's
//! [`Transport`] as an async-openai tower service, so timeouts, retries, `Retry-After` and
//! the concurrency limit are the same for every provider. Error statuses are parsed here
//! from OpenAI's documented body `{"error": {"message", "type", "param", "code"}}`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use async_openai::Client;
use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::error::{OpenAIError, WrappedError};
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionNamedToolChoice,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage, ChatCompletionRequestUserMessageContent,
    ChatCompletionTool, ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequest,
    CreateChatCompletionResponse, FunctionCall, FunctionName, FunctionObject, ResponseFormat, ResponseFormatJsonSchema,
    ToolChoiceOptions,
};
use async_trait::async_trait;

use super::config::ProviderKind;
use super::error::LlmError;
use super::provider::{ChatRequest, ChatResponse, LlmProvider, Message, TokenUsage, ToolCall, ToolChoice};
use super::transport::{Reply, Transport, TransportError};

/// The default OpenAI API base URL.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// The Azure `api-version` used when none is configured.
pub const AZURE_API_VERSION: &str = "2024-10-21";

/// Where and how to reach an OpenAI-compatible model.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiSettings {
    /// `Openai` or `Azure`.
    pub kind: ProviderKind,
    /// The model name sent in the request body.
    pub model: String,
    /// The API base URL (Azure: the resource endpoint).
    pub base_url: String,
    /// The API key, if any (from the environment variable named in config).
    pub api_key: Option<String>,
    /// Azure: the `api-version`.
    pub api_version: String,
    /// Azure: the deployment.
    pub deployment: String,
}

/// An OpenAI-compatible chat-completions model.
pub struct OpenAiProvider {
    settings: OpenAiSettings,
    client: Client<Box<dyn Config>>,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("provider", &self.settings.kind.as_str())
            .field("model", &self.settings.model)
            .field("base_url", &self.settings.base_url)
            .finish_non_exhaustive()
    }
}

/// A non-2xx answer, carried through async-openai's error type untouched so that the
/// status survives.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}")]
struct StatusReply {
    status: u16,
    body: String,
}

/// The async-openai tower service sending through the [`Transport`].
#[derive(Clone)]
struct TransportService {
    transport: Arc<Transport>,
}

impl tower::Service<HttpRequestFactory> for TransportService {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send + 'static>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let transport = self.transport.clone();
        Box::pin(async move {
            let reply: Reply = transport
                .send(|| factory.build())
                .await
                .map_err(|e| OpenAIError::Boxed(Box::new(e)))?;
            if !reply.is_success() {
                return Err(OpenAIError::Boxed(Box::new(StatusReply {
                    status: reply.status,
                    body: reply.body_text(4096),
                })));
            }
            Ok(reply.into_response())
        })
    }
}

impl OpenAiProvider {
    /// A provider sending through `transport`. Fails when the key is not a valid header value.
    pub fn new(settings: OpenAiSettings, transport: Arc<Transport>) -> Result<Self, LlmError> {
        let key = settings.api_key.clone().unwrap_or_default();
        if reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).is_err() {
            return Err(LlmError::Config {
                provider: settings.kind.as_str().into(),
                model: settings.model.clone(),
                message: "the API key holds characters not allowed in an HTTP header".into(),
            });
        }
        let base = settings.base_url.trim_end_matches('/').to_string();
        let config: Box<dyn Config> = match settings.kind {
            ProviderKind::Azure => Box::new(
                AzureConfig::new()
                    .with_api_base(base)
                    .with_api_key(key)
                    .with_deployment_id(settings.deployment.clone())
                    .with_api_version(settings.api_version.clone()),
            ),
            // Every field set: async-openai would otherwise read OPENAI_* variables and
            // could send an OpenAI key to another server.
            _ => Box::new(
                OpenAIConfig::new()
                    .with_api_base(base)
                    .with_api_key(key)
                    .with_org_id("")
                    .with_project_id(""),
            ),
        };
        let client =
            Client::build(transport.client().clone(), config).with_http_service(TransportService { transport });
        Ok(OpenAiProvider { settings, client })
    }

    fn error(&self, e: OpenAIError) -> LlmError {
        let provider = self.settings.kind.as_str().to_string();
        let model = self.settings.model.clone();
        match e {
            OpenAIError::Boxed(b) => {
                let b = match b.downcast::<TransportError>() {
                    Ok(t) => return t.into_llm(&provider, &model),
                    Err(b) => b,
                };
                match b.downcast::<StatusReply>() {
                    Ok(s) => LlmError::Status {
                        provider,
                        model,
                        status: s.status,
                        message: error_message(&s.body),
                    },
                    Err(other) => LlmError::Decode {
                        provider,
                        model,
                        message: other.to_string(),
                    },
                }
            }
            OpenAIError::ApiError(r) => LlmError::Status {
                provider,
                model,
                status: r.status_code.as_u16(),
                message: r.api_error.to_string(),
            },
            OpenAIError::Reqwest(e) => LlmError::Unreachable {
                provider,
                model,
                url: self.settings.base_url.clone(),
                message: e.to_string(),
            },
            OpenAIError::JSONDeserialize(e, body) => LlmError::Decode {
                provider,
                model,
                message: format!("{e} in {}", cut(&body, 300)),
            },
            other => LlmError::Decode {
                provider,
                model,
                message: other.to_string(),
            },
        }
    }
}

/// OpenAI's error body as `type: message (param: p) (code: c)`, or the body itself.
fn error_message(body: &str) -> String {
    match serde_json::from_str::<WrappedError>(body) {
        Ok(w) => w.error.to_string(),
        Err(_) => cut(body, 500),
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The chat-completions request for a [`ChatRequest`].
pub fn to_wire(model: &str, request: &ChatRequest) -> CreateChatCompletionRequest {
    let mut messages = vec![ChatCompletionRequestMessage::System(
        ChatCompletionRequestSystemMessage {
            content: ChatCompletionRequestSystemMessageContent::Text(request.system.clone()),
            name: None,
        },
    )];
    for m in &request.messages {
        messages.push(match m {
            Message::User { content } => ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                content: ChatCompletionRequestUserMessageContent::Text(content.clone()),
                name: None,
            }),
            Message::Assistant { content, tool_calls } => {
                ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
                    content: content.clone().map(ChatCompletionRequestAssistantMessageContent::Text),
                    tool_calls: (!tool_calls.is_empty()).then(|| {
                        tool_calls
                            .iter()
                            .map(|c| {
                                ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                                    id: c.id.clone(),
                                    function: FunctionCall {
                                        name: c.name.clone(),
                                        arguments: c.arguments.clone(),
                                    },
                                })
                            })
                            .collect()
                    }),
                    ..Default::default()
                })
            }
            Message::Tool { call_id, content, .. } => {
                ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
                    content: ChatCompletionRequestToolMessageContent::Text(content.clone()),
                    tool_call_id: call_id.clone(),
                })
            }
        });
    }
    let tools = (!request.tools.is_empty()).then(|| {
        request
            .tools
            .iter()
            .map(|t| {
                ChatCompletionTools::Function(ChatCompletionTool {
                    function: FunctionObject {
                        name: t.name.clone(),
                        description: Some(t.description.clone()),
                        parameters: Some(t.parameters.clone()),
                        strict: None,
                    },
                })
            })
            .collect()
    });
    let tool_choice = tools.as_ref().map(|_| match &request.tool_choice {
        ToolChoice::Auto => ChatCompletionToolChoiceOption::Mode(ToolChoiceOptions::Auto),
        ToolChoice::Any => ChatCompletionToolChoiceOption::Mode(ToolChoiceOptions::Required),
        ToolChoice::Tool(name) => ChatCompletionToolChoiceOption::Function(ChatCompletionNamedToolChoice {
            function: FunctionName { name: name.clone() },
        }),
    });
    let response_format = request.response_schema.as_ref().map(|s| ResponseFormat::JsonSchema {
        json_schema: ResponseFormatJsonSchema {
            description: None,
            name: s.name.clone(),
            schema: s.schema.clone(),
            strict: Some(s.strict),
        },
    });
    CreateChatCompletionRequest {
        messages,
        model: model.to_string(),
        tools,
        tool_choice,
        response_format,
        temperature: request.temperature,
        max_completion_tokens: Some(request.max_output_tokens),
        ..Default::default()
    }
}

/// The [`ChatResponse`] of a chat-completions response (its first choice).
pub fn from_wire(response: CreateChatCompletionResponse) -> Result<ChatResponse, String> {
    let choice = response
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| "the response has no choices".to_string())?;
    let tool_calls = choice
        .message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| match c {
            ChatCompletionMessageToolCalls::Function(f) => Some(ToolCall {
                id: f.id,
                name: f.function.name,
                arguments: f.function.arguments,
            }),
            ChatCompletionMessageToolCalls::Custom(_) => None,
        })
        .collect();
    let usage = response
        .usage
        .map(|u| TokenUsage {
            input_tokens: u64::from(u.prompt_tokens),
            output_tokens: u64::from(u.completion_tokens),
        })
        .unwrap_or_default();
    let stop_reason = choice
        .finish_reason
        .and_then(|r| serde_json::to_value(r).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    Ok(ChatResponse {
        text: choice.message.content.filter(|t| !t.is_empty()),
        tool_calls,
        usage,
        stop_reason,
        model: response.model,
    })
}

#[async_trait]
impl LlmProvider for OpenAiProvider {
    fn provider(&self) -> &str {
        self.settings.kind.as_str()
    }

    fn model(&self) -> &str {
        &self.settings.model
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let wire = to_wire(&self.settings.model, request);
        let response = self.client.chat().create(wire).await.map_err(|e| self.error(e))?;
        from_wire(response).map_err(|message| LlmError::Decode {
            provider: self.provider().into(),
            model: self.settings.model.clone(),
            message,
        })
    }
}
