//! The pipeline: one incident through context → decision → verdict → plan → outcome.
//!
//! [`Pipeline::evaluate`] runs the stages on an incident without touching the store
//! (`medic recommend` uses it directly); [`Pipeline::process`] claims a stored incident,
//! evaluates it and stores the result in one transaction; [`worker`] feeds stored
//! incidents to `process` with bounded concurrency and resumes unfinished ones at start.
//!
//! The pipeline is glue: it owns no decision logic and no safety rule of its own beyond
//! "nothing executes without an allowing verdict and a plan".

pub mod evaluate;
pub mod worker;

pub use evaluate::{Evaluation, Pipeline};
pub use worker::{Worker, WorkerHandle, WorkerTask};
