//! What the action tests share: the simulated clusters and their alerts ([`clusters`]),
//! the [`Fixture`] that plans against one and applies the plan, readers of what planning
//! returned ([`expect`]), and the helpers of the tests through kube-rs ([`kube`]).
//!
//! Test code only: nothing here is compiled outside `cargo test`.

pub mod clusters;
pub mod expect;
pub mod fixture;
pub mod kube;

pub use clusters::{DEPLOYMENTS, NODES, PODS, WORKLOADS, deployment, node, now, pod, shop};
pub use expect::*;
pub use fixture::Fixture;
