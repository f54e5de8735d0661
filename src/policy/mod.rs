//! Policy: the safety stage with the last word on every decision.
//!
//! [`evaluate()`] checks a decision against the configured [`PolicyConfig`] and returns a
//! [`Verdict`]: allow, hold for approval, or deny, with every check and its reason. It is
//! a pure function of data: it must not read the cluster or the store, and it must run
//! for every decision, whatever decided it.

pub mod config;
pub mod evaluate;
pub mod verdict;

pub use config::{Mode, NamespacePolicy, PolicyConfig};
pub use evaluate::evaluate;
pub use verdict::{Check, Verdict, VerdictKind};
