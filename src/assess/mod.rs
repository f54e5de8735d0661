//! Assessment: did an executed action work? Scored from real signals, some minutes later.
//!
//! When an action executes, the pipeline stores an [`Assessment`] with the decision
//! ([`schedule::schedule`]), due after the action's stabilization window. The
//! [`scheduler::Assessor`] claims due assessments from the store and reads three signals
//! ([`signals`]): target health through the cluster, the alert state (resolved webhook or
//! Alertmanager's API), and no recurrence within the recurrence window. Each is scored
//! 0..1 and weighted ([`score`]); the score, its components and the evidence are stored,
//! and revised if the alert recurs later within the window. [`retention`] deletes old
//! history. Time comes from a [`Clock`], so tests move it instead of sleeping.
//!
//! Planned (dry-run) actions are never scored: nothing changed. The assessor only reads
//! the cluster and Alertmanager; it must never act on either, and it does not decide
//! anything: the history it fills is what deciders learn from ([`crate::history`]).

pub mod alertmanager;
pub mod clock;
pub mod config;
pub mod model;
pub mod periodic;
pub mod retention;
pub mod schedule;
pub mod scheduler;
pub mod score;
pub mod signals;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::AssessmentConfig;
pub use model::{
    Assessment, AssessmentResult, AssessmentState, Baseline, Components, DueAssessment, Evidence, Recurrence,
    RestartCount, Signal,
};
pub use scheduler::{Assessor, TickReport};
