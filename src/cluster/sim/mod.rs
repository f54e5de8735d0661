//! The simulated cluster: an in-memory [`crate::cluster::Cluster`] loaded from ordinary
//! Kubernetes YAML, for the demo, tests and the evaluation harness.
//!
//! A fixture is multi-document YAML as `kubectl get -o yaml` prints it (`kind: List`
//! included). Known kinds are validated against their k8s-openapi types; unknown kinds
//! (custom resources, `PodMetrics`) are kept as opaque objects. Medic documents
//! (`apiVersion: medic.dev/v1alpha1`) may be added:
//!
//! - `kind: ContainerLogs` with `logs:` and `previous:` maps from
//!   `namespace/pod/container` to log text (the current and the previous instance);
//! - `kind: ContainerExec` with `outputs:`, a map from `namespace/pod/container` to a map
//!   from a command (its argv joined with spaces) to its output, or to
//!   `{output, exitCode}` for a command that fails: what an exec answers there;
//! - `kind: FixtureClock` with `now:` (RFC 3339): the instant the fixture's timestamps
//!   are written relative to; at load they are shifted so that this instant is "now", so
//!   "created seven minutes ago" stays true whenever the demo runs.
//!
//! Writes get the API server's answers (404, 409 on a failed precondition or an existing
//! name, 422 on an invalid change, 429 from a PodDisruptionBudget), and after each one
//! the controllers run synchronously (Deployment → ReplicaSet → pods, StatefulSet,
//! DaemonSet, a resource-aware scheduler), so actions have their real effect. Healthy
//! pods of a workload need not be written in a fixture: the controllers create them at
//! load. A Deployment's current ReplicaSet must carry the Deployment's pod template (apart
//! from the `pod-template-hash` label), or a new revision is rolled out at load.
//!
//! With a journal (`cluster: {kind: sim, journal: FILE}`), the writes applied are appended
//! to a file and replayed onto the fixture at the next start ([`journal`]): the simulated
//! cluster then survives restarts and is shared by processes that share the file.
//!
//! This module must never reach a real cluster or the network, and must not decide
//! anything: it answers and applies what it is given, as Kubernetes would.

mod apply;
mod cluster;
mod controllers;
mod exec;
pub mod faults;
pub mod journal;
mod load;
mod selector;
mod store;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_exec;

pub use cluster::SimCluster;
pub use load::{MEDIC_API_VERSION, SimError};
