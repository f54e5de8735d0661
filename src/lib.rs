//! medic: a Kubernetes remediation agent.
//!
//! An alert becomes an [`incident`]; [`context`] gathers what the [`cluster`] says about
//! its target; a [`decide`]r chooses one typed action from the [`actions`] catalog; the
//! [`policy`] stage allows, holds or denies it; [`execute`] applies it or, in dry-run,
//! records the plan; the [`store`] keeps everything. [`pipeline`] ties the stages together,
//! [`web`] serves the webhook and the API, [`cli`] is the command line. Later, [`assess`]
//! scores whether an executed action worked, and [`history`] feeds what worked back into
//! the next decision.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
pub mod app;
pub mod assess;
pub mod audit;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod context;
pub mod decide;
pub mod eval;
pub mod execute;
pub mod history;
pub mod incident;
pub mod memory;
pub mod pipeline;
pub mod policy;
pub mod store;
pub mod telemetry;
pub mod web;
