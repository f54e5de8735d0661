//! Policy: the safety stage with the last word on every decision.
//!
//! [`evaluate()`] checks a decision against the configured [`PolicyConfig`] and the
//! [`PolicyFacts`] gathered for it ([`gather()`]: recent activity, the plan's impact, the
//! oscillation guard) and returns a [`Verdict`]: allow, hold for approval, or deny, with
//! every check and its reason. Evaluation is a pure function of data: it must not read
//! the cluster or the store, and it must run for every decision, whatever decided it.
//! Gathering reads (the store's recent activity, the cluster for the plan's impact) and
//! never writes.

pub mod checks;
pub mod config;
pub mod cron;
pub mod evaluate;
pub mod facts;
pub mod gather;
pub mod impact;
pub mod verdict;
pub mod windows;

#[cfg(test)]
mod tests_activity;
#[cfg(test)]
mod tests_config;
#[cfg(test)]
mod tests_cron;
#[cfg(test)]
mod tests_impact;
#[cfg(test)]
mod tests_verdict;

pub use config::{
    BlastRadius, Cooldowns, MaintenanceWindow, Mode, NamespacePolicy, PolicyConfig, RateLimits, Span, WindowEffect,
};
pub use evaluate::evaluate;
pub use facts::{Activity, ApprovalGrant, BudgetFact, Impact, PolicyFacts, WorkloadImpact};
pub use gather::{GatherInput, gather};
pub use verdict::{Check, Verdict, VerdictKind};
