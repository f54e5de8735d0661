//! The decider chain: ask each decider in order; the first decision wins; `escalate` ends it.

use std::sync::Arc;

use async_trait::async_trait;

use super::{DecideError, DecidedBy, Decider, Decision};
use crate::actions::{Action, Escalate};
use crate::context::Context;
use crate::incident::Incident;

/// Deciders in order of precedence.
pub struct Chain {
    deciders: Vec<Arc<dyn Decider>>,
}

impl Chain {
    /// A chain of the given deciders.
    pub fn new(deciders: Vec<Arc<dyn Decider>>) -> Self {
        Chain { deciders }
    }

    /// The names of the deciders, in order.
    pub fn names(&self) -> Vec<String> {
        self.deciders.iter().map(|d| d.name().to_string()).collect()
    }
}

#[async_trait]
impl Decider for Chain {
    fn name(&self) -> &str {
        "chain"
    }

    /// Always decides: when every decider passes or fails, the answer is `escalate`,
    /// with the failures in the rationale.
    async fn decide(&self, incident: &Incident, context: &Context) -> Result<Option<Decision>, DecideError> {
        let mut failures = Vec::new();
        for d in &self.deciders {
            match d.decide(incident, context).await {
                Ok(Some(decision)) => {
                    let mut decision = decision;
                    decision
                        .alternatives
                        .extend(failures.iter().map(|f| format!("decider failed: {f}")));
                    return Ok(Some(decision));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(decider = d.name(), error = %e, "decider failed; trying the next");
                    failures.push(e.to_string());
                }
            }
        }
        let mut rationale = format!(
            "No rule or model proposed an action for {}; a human should look at it.",
            incident.alertname
        );
        if !failures.is_empty() {
            rationale.push_str(&format!(" Deciders failed: {}.", failures.join("; ")));
        }
        Ok(Some(Decision {
            action: Action::Escalate(Escalate { reason: None }),
            target: context.target.clone(),
            rationale,
            confidence: 1.0,
            decided_by: DecidedBy {
                decider: "fallback".into(),
                name: "escalate".into(),
            },
            alternatives: Vec::new(),
            llm: None,
        }))
    }
}
