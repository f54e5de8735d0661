//! Execution: carrying out an allowed plan through the cluster, or only recording it.
//!
//! [`execute`] turns a verdict and a plan into an [`Outcome`]: in dry-run (or when the
//! verdict does not allow) nothing is applied; otherwise each operation of the plan is
//! applied in order, stopping at the first failure. Cluster calls go through
//! [`crate::cluster::Cluster::apply`], each success recorded as a Kubernetes Event on the
//! object acted on ([`events`]); evictions of a drain wait for disruption budgets up to
//! its timeout ([`evict`]); notifications go through a [`Notifier`] ([`webhook`] posts
//! them over HTTP).
//!
//! It must never apply anything the policy stage did not allow. The only thing that
//! leaves medic in dry-run is an allowed escalation's notification (it changes nothing in
//! the cluster; see [`execute`]).

pub mod events;
pub mod evict;
pub mod executor;
pub mod notifier;
pub mod outcome;
pub mod run;
pub mod webhook;

#[cfg(test)]
mod tests;

pub use executor::{EVICT_RETRY_INTERVAL, Executor};
pub use notifier::{Message, Notifier, NotifyError, Withheld};
pub use outcome::{Outcome, OutcomeStatus};
pub use run::execute;
pub use webhook::HttpNotifier;
