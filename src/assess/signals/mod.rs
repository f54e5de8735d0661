//! The signals an assessment reads, each scored 0..1 with the evidence it saw:
//! [`health`] through the cluster, [`alert`] from the store and Alertmanager,
//! [`recurrence`] from the store's record of later incidents.
//!
//! Signals only read; none of them changes the cluster, Alertmanager or the store.

pub mod alert;
pub mod health;
pub mod recurrence;
