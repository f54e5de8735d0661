//! Policy: the safety stage with the last word on every decision.
//!
//! [`evaluate()`] checks a decision against the configured [`PolicyConfig`] and the
//! [`PolicyFacts`] gathered for it ([`gather()`]: recent activity, the plan's impact, the
//! oscillation guard) and returns a [`Verdict`]: allow, hold for approval, or deny, with
//! every check and its reason. Evaluation is a pure function of data: it must not read
//! the cluster or the store, and it must run for every decision, whatever decided it.

pub mod config;
pub mod evaluate;
pub mod facts;
pub mod gather;
pub mod verdict;

pub use config::{Mode, NamespacePolicy, PolicyConfig};
pub use evaluate::evaluate;
pub use facts::{Activity, ApprovalGrant, BudgetFact, Impact, PolicyFacts};
pub use gather::{GatherInput, gather};
pub use verdict::{Check, Verdict, VerdictKind};
