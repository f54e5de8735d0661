//! The `Decision` domain type.

use serde::{Deserialize, Serialize};

use crate::actions::Action;
use crate::cluster::ObjectRef;
use crate::decide::llm::LlmUsage;

/// Who made a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecidedBy {
    /// The decider (`rules`, `builtin-rules`, `fallback`, `llm`).
    pub decider: String,
    /// The rule name or model that answered.
    pub name: String,
}

/// The chosen action, with its target and the reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The action with its typed parameters.
    #[serde(flatten)]
    pub action: Action,
    /// The object to act on; `None` for actions without a target (`escalate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ObjectRef>,
    /// Why this action, in words a human on call can check.
    pub rationale: String,
    /// How sure the decider is, 0..1.
    pub confidence: f64,
    /// Who decided.
    pub decided_by: DecidedBy,
    /// Other actions considered, with why not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// For a model's decision: provider, model, tokens, latency, cost, tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmUsage>,
}

impl Decision {
    /// The action's catalog name.
    pub fn action_name(&self) -> &'static str {
        self.action.kind().name()
    }
}
