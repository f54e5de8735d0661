//! The pipeline: one incident through context → decision → verdict → plan → outcome.
//!
//! [`Pipeline::evaluate`] runs the stages on an incident without touching the store
//! (`medic recommend` uses it directly); [`Pipeline::process`] claims a stored incident
//! under a lease and stores what it did, executing in two phases, re-checking approved
//! decisions and resuming interrupted executions ([`process`]); [`worker`] feeds stored
//! incidents to `process` with bounded concurrency and takes over unfinished ones.
//!
//! The pipeline is glue: it owns no decision logic and no safety rule of its own beyond
//! "nothing executes without an allowing verdict and a plan".

pub mod approval;
pub mod config;
pub mod evaluate;
pub mod process;
pub mod worker;

#[cfg(test)]
mod tests;

pub use evaluate::{Evaluation, Pipeline, Proposal};
pub use worker::{Worker, WorkerHandle, WorkerTask};
