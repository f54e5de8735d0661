//! The tamper-evident audit log: one record per verdict, execution, approval,
//! resumption and expiry, each carrying the SHA-256 hash of the one before.
//!
//! [`AuditEntry`] is what a caller appends; [`AuditRecord`] is what is stored (with its
//! sequence number, the previous record's hash and its own). [`chain`] defines the hash
//! (SHA-256 over the previous hash and the canonical JSON of the record: keys sorted, no
//! whitespace) and [`Verifier`], which checks a chain read oldest first and names the first
//! broken record and why (a gap in the sequence, a `prev_hash` that is not the previous
//! record's hash, a `hash` that does not match the record).
//!
//! Appending lives in the store (`store::sql::audit`), inside the caller's write
//! transaction. This module is pure: it must not touch a database, the network or the
//! clock, and it must never be handed a secret (payloads are stored and shown as they are).

pub mod chain;
pub mod model;

pub use chain::{Break, GENESIS_HASH, Verifier, canonical_json, record_hash};
pub use model::{AuditEntry, AuditKind, AuditRecord};
