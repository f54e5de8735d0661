//! Execution: carrying out an allowed plan through the cluster, or only recording it.
//!
//! [`execute`] turns a verdict and a plan into an [`Outcome`]: in dry-run (or when the
//! verdict does not allow) nothing is applied; otherwise each operation of the plan is
//! applied in order through [`crate::cluster::Cluster::apply`], stopping at the first
//! failure. It must never apply anything the policy stage did not allow.

pub mod outcome;
pub mod run;

pub use outcome::{Outcome, OutcomeStatus};
pub use run::execute;
