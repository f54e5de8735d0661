//! Deciding: choosing one typed action for an incident.
//!
//! A [`Decider`] reads the incident and its context and proposes a [`Decision`], or
//! passes (`Ok(None)`) so the next decider of the [`chain::Chain`] may answer. The rules
//! decider ([`rules`]) matches declarative playbook rules; the LLM decider ([`llm`]) asks
//! a language model; the chain ends with `escalate` so every incident gets a decision.
//!
//! Deciders must never change the cluster or touch the store, and never judge safety: the
//! policy stage has the last word on every decision. The one read is the LLM decider's
//! bounded investigation, through a read-only wrapper of the cluster.

pub mod chain;
pub mod decision;
pub mod llm;
pub mod rules;

use async_trait::async_trait;

pub use chain::Chain;
pub use decision::{DecidedBy, Decision};

use crate::context::Context;
use crate::incident::Incident;

/// Why a decider failed (as opposed to passing).
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// The decider's own configuration or template is broken for this incident.
    #[error("decider {decider}: {message}")]
    Failed {
        /// Which decider.
        decider: String,
        /// What went wrong.
        message: String,
    },
}

/// A source of decisions.
///
/// Driven by the pipeline once per incident, after context is gathered. Must be pure with
/// respect to the cluster (read nothing, change nothing). `Ok(None)` means "no opinion";
/// an error means the decider broke, and the chain records it and moves on.
#[async_trait]
pub trait Decider: Send + Sync {
    /// Name shown in decisions (`rules`, `builtin-rules`, `llm:gpt-4o`).
    fn name(&self) -> &str;

    /// Proposes a decision for the incident, or passes.
    async fn decide(&self, incident: &Incident, context: &Context) -> Result<Option<Decision>, DecideError>;
}
