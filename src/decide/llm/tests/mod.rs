//! Tests of the LLM decider against local HTTP servers that speak each provider's wire
//! format exactly as the providers document it ([`mock`]); no real model is reachable.

pub(crate) mod fixtures;
pub(crate) mod mock;

mod conversation;
mod resilience;
mod storm;
mod wire;
