//! The LLM decider: one conversation with a model per incident (or per alert group).
//!
//! The model gets the system prompt, the incident prompt (context, history, similar
//! incidents, allowed actions; cut to the token budget) and the tools: the read-only
//! investigation tools while calls remain, and `choose_action` (or, without tool support,
//! a JSON answer, with a structured-output schema where supported). Each tool result is
//! redacted, anonymized, cut to the byte limit and fenced as untrusted data. The answer is
//! parsed into a typed action ([`super::answer`]); a rejected answer is re-asked once with
//! the exact error, a second rejection fails the decider so the chain falls back (and
//! records why). An answer below the confidence floor becomes `escalate`.
//!
//! The decider never touches the cluster except through [`super::tools::ReadOnlyCluster`]
//! reads, and never judges safety: the policy stage checks its decision like any other.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

use super::allowed::{allowed_actions, candidates, namespace_of};
use super::anonymize::Anonymizer;
use super::answer::{self, Answer, Checks};
use super::budget::{estimate_tokens, fit};
use super::coalesce::Coalescer;
use super::prompt::{INCIDENT, Prompts, SYSTEM, TOOL_RESULT, VALIDATION_ERROR};
use super::provider::{ChatRequest, LlmProvider, Message, ToolCall, ToolChoice, ToolSpec};
use super::sanitize::{fence, keep_head, keep_tail, redact};
use super::schema::{CHOOSE_ACTION, answer_schema, choose_action_tool, response_schema};
use super::tools::{Keep, Scope, Toolbox};
use super::usage::{LlmUsage, ToolCallRecord};
use super::view::{Parts, ViewInput, context_extra};
use crate::actions::{Action, ActionKind, ActionSettings, Bounds, Escalate};
use crate::cluster::ObjectRef;
use crate::context::Context;
use crate::decide::{DecideError, DecidedBy, Decider, Decision};
use crate::incident::Incident;
use crate::policy::PolicyConfig;

/// How the decider talks to its model.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Answers below this confidence become `escalate`.
    pub confidence_floor: f64,
    /// Investigation tool calls per decision.
    pub max_tool_calls: u32,
    /// Bytes of one tool result's data sent to the model.
    pub max_tool_result_bytes: usize,
    /// Tokens (in and out, all turns) one decision may spend.
    pub max_total_tokens: u64,
    /// Replace names by placeholders before sending.
    pub anonymize: bool,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Most output tokens per request.
    pub max_output_tokens: u32,
    /// Whether the model supports tools.
    pub tools: bool,
    /// Whether the model supports structured output (used without tools).
    pub structured_output: bool,
    /// How long a decision is shared by the incidents of its alert group.
    pub coalesce_window: Duration,
    /// Price per million input tokens, US dollars.
    pub price_per_million_input: Option<f64>,
    /// Price per million output tokens, US dollars.
    pub price_per_million_output: Option<f64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            confidence_floor: 0.5,
            max_tool_calls: 8,
            max_tool_result_bytes: 8192,
            max_total_tokens: 60_000,
            anonymize: false,
            temperature: None,
            max_output_tokens: 1024,
            tools: true,
            structured_output: false,
            coalesce_window: Duration::from_secs(60),
            price_per_million_input: None,
            price_per_million_output: None,
        }
    }
}

/// What the model may be offered, and what bounds its answers: the policy (only allowed
/// actions are offered), the parameter bounds, and the configurable actions' settings
/// (templates, commands, patchable kinds, channels).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guardrails {
    /// The safety policy.
    pub policy: PolicyConfig,
    /// Parameter bounds.
    pub bounds: Bounds,
    /// The configurable actions' settings.
    pub actions: ActionSettings,
}

type Shared = Result<Decision, String>;

/// A decider asking a language model.
pub struct LlmDecider {
    name: String,
    provider: Arc<dyn LlmProvider>,
    prompts: Arc<Prompts>,
    toolbox: Toolbox,
    guardrails: Guardrails,
    settings: Settings,
    coalescer: Coalescer<Shared>,
}

impl std::fmt::Debug for LlmDecider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmDecider")
            .field("name", &self.name)
            .field("provider", &self.provider.provider())
            .field("model", &self.provider.model())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct SystemView<'a> {
    tools: bool,
    tool_names: Vec<&'a str>,
    max_tool_calls: u32,
    confidence_floor: f64,
    anonymized: bool,
    answer_schema: String,
}

#[derive(Serialize)]
struct ToolResultView<'a> {
    tool: &'a str,
    truncated: bool,
    limit: usize,
    fenced: String,
    remaining: u32,
}

#[derive(Serialize)]
struct ValidationView<'a> {
    error: String,
    tools: bool,
    allowed: Vec<&'a str>,
}

/// Everything one conversation needs, fixed before the first request.
struct Conversation<'a> {
    system: String,
    investigation: Vec<ToolSpec>,
    allowed: Vec<ActionKind>,
    known: Vec<ObjectRef>,
    scope: Scope,
    anonymizer: Option<Anonymizer>,
    default_target: Option<ObjectRef>,
    namespace: Option<String>,
    incident: &'a Incident,
}

impl Conversation<'_> {
    fn restore(&self, text: &str) -> String {
        match &self.anonymizer {
            Some(a) => a.restore(text),
            None => text.to_string(),
        }
    }

    fn hide(&self, text: &str) -> String {
        match &self.anonymizer {
            Some(a) => a.anonymize(text),
            None => text.to_string(),
        }
    }
}

impl LlmDecider {
    /// A decider named `llm:NAME` asking `provider`, offering only what the guardrails
    /// allow and checking answers against them. Without [`LlmDecider::with_tools`] the
    /// model can only use the history and similar-incident tools.
    pub fn new(
        name: &str,
        provider: Arc<dyn LlmProvider>,
        prompts: Arc<Prompts>,
        guardrails: Guardrails,
        settings: Settings,
    ) -> Self {
        LlmDecider {
            name: format!("llm:{name}"),
            provider,
            prompts,
            toolbox: Toolbox::default(),
            guardrails,
            coalescer: Coalescer::new(settings.coalesce_window),
            settings,
        }
    }

    /// Offers the configurable actions their settings (Job templates, exec commands,
    /// patchable kinds, notify channels); without them those actions are not offered.
    pub fn with_action_settings(mut self, actions: ActionSettings) -> Self {
        self.guardrails.actions = actions;
        self
    }

    /// Gives the model these investigation tools.
    pub fn with_tools(mut self, toolbox: Toolbox) -> Self {
        self.toolbox = toolbox;
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn LlmProvider> {
        &self.provider
    }

    fn conversation<'a>(&self, incident: &'a Incident, context: &Context) -> Result<Conversation<'a>, String> {
        let g = &self.guardrails;
        let allowed = allowed_actions(&g.policy, &g.actions, incident, context);
        let known = candidates(incident, context);
        let namespace = namespace_of(incident, context);
        let mut namespaces: BTreeSet<String> = namespace.iter().cloned().collect();
        namespaces.extend(known.iter().filter_map(|r| r.namespace.clone()));
        let investigation = if self.settings.tools && self.settings.max_tool_calls > 0 {
            self.toolbox.specs()
        } else {
            Vec::new()
        };
        let anonymizer = self
            .settings
            .anonymize
            .then(|| Anonymizer::for_incident(incident, context));
        let system = self
            .prompts
            .render(
                SYSTEM,
                &SystemView {
                    tools: self.settings.tools,
                    tool_names: investigation.iter().map(|t| t.name.as_str()).collect(),
                    max_tool_calls: self.settings.max_tool_calls,
                    confidence_floor: self.settings.confidence_floor,
                    anonymized: anonymizer.is_some(),
                    answer_schema: serde_json::to_string_pretty(&answer_schema(&allowed)).unwrap_or_default(),
                },
            )
            .map_err(|e| e.to_string())?;
        Ok(Conversation {
            system,
            investigation,
            default_target: context
                .target
                .clone()
                .or_else(|| incident.target.as_ref().map(ObjectRef::from_target)),
            scope: Scope {
                namespaces,
                default_namespace: namespace.clone(),
                history: context_extra(context, "history"),
                similar: context_extra(context, "similar"),
            },
            allowed,
            known,
            anonymizer,
            namespace,
            incident,
        })
    }

    /// One conversation, from the first prompt to a checked decision.
    async fn converse(&self, incident: &Incident, context: &Context) -> Result<Decision, String> {
        let started = Instant::now();
        let mut conv = self.conversation(incident, context)?;
        let answer_tool = choose_action_tool(&conv.allowed);
        let all_tools: Vec<&ToolSpec> = conv.investigation.iter().chain([&answer_tool]).collect();
        let fixed =
            estimate_tokens(&conv.system) + estimate_tokens(&serde_json::to_string(&all_tools).unwrap_or_default());
        let view = ViewInput {
            incident,
            context,
            allowed: &conv.allowed,
            actions: &self.guardrails.actions,
            candidates: &conv.known,
            anonymizer: conv.anonymizer.as_ref(),
        };
        let fitted = fit(
            Parts::of(context),
            fixed,
            self.settings.max_total_tokens / 4,
            |parts, cuts| self.prompts.render(INCIDENT, &view.view(parts, cuts)),
        )
        .map_err(|e| e.to_string())?;
        let mut usage = LlmUsage {
            provider: self.provider.provider().to_string(),
            model: self.provider.model().to_string(),
            prompt: fitted.sizes,
            ..LlmUsage::default()
        };
        usage.prompt.system_bytes = conv.system.len();
        let mut messages = vec![Message::User {
            content: fitted.incident,
        }];
        let max_turns = self.settings.max_tool_calls + 3;
        let mut calls_made = 0u32;
        for _ in 0..max_turns {
            let spent = usage.tokens_in + usage.tokens_out;
            if spent >= self.settings.max_total_tokens {
                return Err(format!(
                    "token budget of {} spent after {} requests without a valid answer",
                    self.settings.max_total_tokens, usage.turns
                ));
            }
            let next = fixed + messages_tokens(&messages) + u64::from(self.settings.max_output_tokens);
            let investigate = !conv.investigation.is_empty()
                && calls_made < self.settings.max_tool_calls
                && spent + 2 * next <= self.settings.max_total_tokens;
            let request = self.request(&conv, &answer_tool, &messages, investigate);
            let response = self.provider.complete(&request).await.map_err(|e| e.to_string())?;
            usage.turns += 1;
            usage.tokens_in += response.usage.input_tokens;
            usage.tokens_out += response.usage.output_tokens;

            if response.tool_calls.is_empty() {
                let text = response.text.clone().unwrap_or_default();
                let raw = conv.restore(answer::json_in_text(&text));
                match self.check(&conv, &raw) {
                    Ok(a) => return Ok(self.finish(a, usage, started)),
                    Err(e) => {
                        self.rejected(&mut usage, e.clone())?;
                        messages.push(Message::Assistant {
                            content: Some(text),
                            tool_calls: Vec::new(),
                        });
                        messages.push(Message::User {
                            content: self.validation_error(&conv, &e)?,
                        });
                        continue;
                    }
                }
            }

            // A valid answer ends the conversation, whatever else the model asked for.
            let mut rejections: Vec<(String, String)> = Vec::new();
            for call in response.tool_calls.iter().filter(|c| c.name == CHOOSE_ACTION) {
                match self.check(&conv, &conv.restore(&call.arguments)) {
                    Ok(a) => return Ok(self.finish(a, usage, started)),
                    Err(e) => rejections.push((call.id.clone(), e)),
                }
            }
            messages.push(Message::Assistant {
                content: response.text.clone(),
                tool_calls: response.tool_calls.clone(),
            });
            for call in &response.tool_calls {
                if call.name == CHOOSE_ACTION {
                    let error = rejections
                        .iter()
                        .find(|(id, _)| *id == call.id)
                        .map(|(_, e)| e.clone())
                        .unwrap_or_default();
                    messages.push(Message::Tool {
                        call_id: call.id.clone(),
                        name: call.name.clone(),
                        content: self.validation_error(&conv, &error)?,
                    });
                    continue;
                }
                let content = if calls_made >= self.settings.max_tool_calls {
                    usage.tool_calls.push(ToolCallRecord {
                        name: call.name.clone(),
                        arguments: conv.restore(&call.arguments),
                        error: Some("tool call limit reached".into()),
                        ..ToolCallRecord::default()
                    });
                    format!(
                        "Refused: the limit of {} tool calls is reached. Answer now with choose_action.",
                        self.settings.max_tool_calls
                    )
                } else {
                    calls_made += 1;
                    let remaining = self.settings.max_tool_calls - calls_made;
                    let (content, record) = self.run_tool(&mut conv, call, remaining).await?;
                    usage.tool_calls.push(record);
                    content
                };
                messages.push(Message::Tool {
                    call_id: call.id.clone(),
                    name: call.name.clone(),
                    content,
                });
            }
            if !rejections.is_empty() {
                let errors: Vec<String> = rejections.into_iter().map(|(_, e)| e).collect();
                self.rejected(&mut usage, errors.join("; "))?;
            }
        }
        Err(format!(
            "no answer after {} requests ({} tool calls)",
            usage.turns, calls_made
        ))
    }

    fn request(
        &self,
        conv: &Conversation<'_>,
        answer_tool: &ToolSpec,
        messages: &[Message],
        investigate: bool,
    ) -> ChatRequest {
        let (tools, tool_choice) = match (self.settings.tools, investigate) {
            (false, _) => (Vec::new(), ToolChoice::Auto),
            (true, true) => {
                let mut tools = conv.investigation.clone();
                tools.push(answer_tool.clone());
                (tools, ToolChoice::Any)
            }
            (true, false) => (vec![answer_tool.clone()], ToolChoice::Tool(CHOOSE_ACTION.into())),
        };
        ChatRequest {
            system: conv.system.clone(),
            messages: messages.to_vec(),
            tools,
            tool_choice,
            response_schema: (!self.settings.tools && self.settings.structured_output)
                .then(|| response_schema(&conv.allowed)),
            temperature: self.settings.temperature,
            max_output_tokens: self.settings.max_output_tokens,
        }
    }

    fn check(&self, conv: &Conversation<'_>, raw: &str) -> Result<Answer, String> {
        answer::parse(
            raw,
            &Checks {
                allowed: &conv.allowed,
                bounds: &self.guardrails.bounds,
                actions: &self.guardrails.actions,
                known: &conv.known,
                default_target: conv.default_target.as_ref(),
                default_namespace: conv.namespace.as_deref(),
            },
        )
    }

    /// Records a rejected answer; the second one fails the decision.
    fn rejected(&self, usage: &mut LlmUsage, error: String) -> Result<(), String> {
        tracing::info!(decider = %self.name, %error, "the model's answer was rejected");
        usage.rejected_answers.push(error);
        if usage.rejected_answers.len() >= 2 {
            return Err(format!(
                "the model's answer was rejected twice (after {} requests, {} tokens in, {} out): {}",
                usage.turns,
                usage.tokens_in,
                usage.tokens_out,
                usage.rejected_answers.join("; then: ")
            ));
        }
        Ok(())
    }

    fn validation_error(&self, conv: &Conversation<'_>, error: &str) -> Result<String, String> {
        self.prompts
            .render(
                VALIDATION_ERROR,
                &ValidationView {
                    error: conv.hide(error),
                    tools: self.settings.tools,
                    allowed: conv.allowed.iter().map(|k| k.name()).collect(),
                },
            )
            .map_err(|e| e.to_string())
    }

    /// Runs one investigation tool and prepares its result for the model.
    async fn run_tool(
        &self,
        conv: &mut Conversation<'_>,
        call: &ToolCall,
        remaining: u32,
    ) -> Result<(String, ToolCallRecord), String> {
        let arguments = conv.restore(&call.arguments);
        let output = match serde_json::from_str::<Value>(&arguments) {
            Ok(args) => self.toolbox.call(&call.name, &args, &conv.scope).await,
            Err(e) => super::tools::ToolOutput {
                text: format!("error: the arguments are not valid JSON: {e}"),
                keep: Keep::Head,
                seen: Vec::new(),
                error: Some(format!("arguments are not valid JSON: {e}")),
            },
        };
        for seen in &output.seen {
            if !conv.known.contains(seen) {
                conv.known.push(seen.clone());
            }
        }
        let text = conv.hide(&redact(&output.text));
        let limit = self.settings.max_tool_result_bytes;
        let (text, truncated) = match output.keep {
            Keep::Head => keep_head(&text, limit),
            Keep::Tail => keep_tail(&text, limit),
        };
        let source = format!("{} {}", call.name, conv.hide(&redact(&arguments)));
        tracing::debug!(decider = %self.name, incident = %conv.incident.fingerprint, tool = %call.name, bytes = text.len(), truncated, "tool called");
        let content = self
            .prompts
            .render(
                TOOL_RESULT,
                &ToolResultView {
                    tool: &call.name,
                    truncated,
                    limit,
                    fenced: fence(&source, &text),
                    remaining,
                },
            )
            .map_err(|e| e.to_string())?;
        Ok((
            content,
            ToolCallRecord {
                name: call.name.clone(),
                arguments,
                result_bytes: text.len(),
                truncated,
                error: output.error,
            },
        ))
    }

    /// The decision for a valid answer: the confidence floor applied, the usage recorded.
    fn finish(&self, answer: Answer, mut usage: LlmUsage, started: Instant) -> Decision {
        usage.latency_ms = started.elapsed().as_millis() as u64;
        usage.cost_usd = cost(&self.settings, usage.tokens_in, usage.tokens_out);
        let decided_by = DecidedBy {
            decider: "llm".into(),
            name: self.provider.model().to_string(),
        };
        tracing::info!(
            decider = %self.name, action = answer.action.kind().name(), confidence = answer.confidence,
            tokens_in = usage.tokens_in, tokens_out = usage.tokens_out, latency_ms = usage.latency_ms,
            tool_calls = usage.tool_calls.len(), "the model decided"
        );
        let floor = self.settings.confidence_floor;
        if answer.confidence < floor && answer.action.kind() != ActionKind::Escalate {
            let proposed = match &answer.target {
                Some(t) => format!("{} on {t}", answer.action.kind().name()),
                None => answer.action.kind().name().to_string(),
            };
            let mut alternatives = vec![format!(
                "{proposed}: proposed by the model with confidence {:.2}, below the floor {floor:.2}",
                answer.confidence
            )];
            alternatives.extend(answer.alternatives);
            return Decision {
                action: Action::Escalate(Escalate {
                    reason: Some(format!(
                        "the model is not sure enough ({:.2} < {floor:.2}) to {proposed}",
                        answer.confidence
                    )),
                }),
                target: answer.target,
                rationale: format!(
                    "The model's confidence {:.2} is below the floor {floor:.2}, so a human decides. It proposed {proposed}: {}",
                    answer.confidence, answer.rationale
                ),
                confidence: answer.confidence,
                decided_by,
                alternatives,
                llm: Some(usage),
            };
        }
        Decision {
            action: answer.action,
            target: answer.target,
            rationale: answer.rationale,
            confidence: answer.confidence,
            decided_by,
            alternatives: answer.alternatives,
            llm: Some(usage),
        }
    }
}

fn messages_tokens(messages: &[Message]) -> u64 {
    messages
        .iter()
        .map(|m| match m {
            Message::User { content } | Message::Tool { content, .. } => estimate_tokens(content),
            Message::Assistant { content, tool_calls } => {
                content.as_deref().map(estimate_tokens).unwrap_or(0)
                    + tool_calls.iter().map(|c| estimate_tokens(&c.arguments)).sum::<u64>()
            }
        })
        .sum()
}

fn cost(settings: &Settings, tokens_in: u64, tokens_out: u64) -> Option<f64> {
    if settings.price_per_million_input.is_none() && settings.price_per_million_output.is_none() {
        return None;
    }
    Some(
        (tokens_in as f64 * settings.price_per_million_input.unwrap_or(0.0)
            + tokens_out as f64 * settings.price_per_million_output.unwrap_or(0.0))
            / 1_000_000.0,
    )
}

/// The key incidents share a decision by: the Alertmanager group key, else the alert's
/// own identity (so only redeliveries share).
pub fn coalesce_key(incident: &Incident) -> String {
    match &incident.group_key {
        Some(g) => format!("group {g}"),
        None => format!("alert {} {}", incident.fingerprint, incident.starts_at),
    }
}

#[async_trait]
impl Decider for LlmDecider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn decide(&self, incident: &Incident, context: &Context) -> Result<Option<Decision>, DecideError> {
        let key = coalesce_key(incident);
        let (result, shared) = self
            .coalescer
            .run(&key, || {
                let span = tracing::info_span!("llm_decision", decider = %self.name, incident = %incident.fingerprint);
                self.converse(incident, context).instrument(span)
            })
            .await;
        match result {
            Ok(mut decision) => {
                if shared {
                    tracing::debug!(decider = %self.name, %key, "decision shared within the alert group");
                    if let Some(u) = decision.llm.as_mut() {
                        u.shared_from = Some(key);
                        u.tokens_in = 0;
                        u.tokens_out = 0;
                        u.cost_usd = u.cost_usd.map(|_| 0.0);
                        u.latency_ms = 0;
                    }
                }
                Ok(Some(decision))
            }
            Err(message) => Err(DecideError::Failed {
                decider: self.name.clone(),
                message: if shared {
                    format!("{message} (shared failure of alert group {key})")
                } else {
                    message
                },
            }),
        }
    }
}
