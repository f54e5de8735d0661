//! Generic actions, each bounded by what the operator allow-listed in config:
//!
//! - `patch_resource` ([`patch`]) patches an object of an allow-listed kind;
//! - `exec_command` ([`exec`]) runs an allow-listed command in a container;
//! - `collect_diagnostics` ([`diagnostics`]) snapshots an object's state, events and
//!   logs into the plan (and optionally a ConfigMap).
//!
//! Planning reads only; nothing here writes to the cluster or runs anything (the
//! executor applies a plan, after the policy stage allowed it).

pub mod diagnostics;
pub mod exec;
pub mod patch;
mod snapshot;

pub use diagnostics::{plan_collect_diagnostics, plan_collect_diagnostics_at};
pub use exec::plan_exec_command;
pub use patch::plan_patch_resource;
