//! Context: what the cluster says about an incident's target, gathered before deciding.
//!
//! [`gather()`] reads the target object, its owner chain (pod → ReplicaSet → Deployment),
//! the workload's pods and their container statuses, recent Warning events, log tails and
//! the node's conditions, all through the [`crate::cluster::Cluster`] trait, and bounds
//! what it keeps ([`Limits`]). A read that fails is recorded in `Context::errors`; it
//! never fails the incident.
//!
//! This module only reads. It must never change the cluster or decide anything.

pub mod gather;
pub mod model;

pub use gather::{Limits, gather};
pub use model::{ContainerFacts, Context, EventFacts, LogTail, NodeFacts, PodFacts, WorkloadFacts};
