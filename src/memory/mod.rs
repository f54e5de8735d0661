//! Memory: similar-incident retrieval. Past incidents are embedded as vectors and the
//! nearest ones to a new incident, with what was done about them and how well it worked,
//! go into its context.
//!
//! Two seams: the [`Embedder`] (text → vector; the default [`HashedEmbedder`] needs no
//! model and no network, [`OpenAiEmbedder`] calls an OpenAI-compatible endpoint) and the
//! [`VectorIndex`] (the default [`EmbeddedIndex`] keeps vectors in medic's database and
//! searches them in memory; [`QdrantIndex`] uses a Qdrant server). [`incident_text`]
//! normalizes an incident and its context into the text that is embedded, and
//! [`Memory`] ties the parts to the store. The `memory:` config section
//! ([`MemoryConfig`]) chooses the parts; `app.rs` builds them.
//!
//! This module remembers and recalls; it must not decide, call the cluster, or fail an
//! incident: retrieval problems are reported in the context and the pipeline goes on.

pub mod config;
pub mod embed;
pub mod embedded;
pub mod error;
pub mod flat;
pub mod hashed;
pub mod index;
pub mod openai;
pub mod qdrant;
pub mod recall;
pub mod similar;
pub mod text;

#[cfg(test)]
mod tests;

pub use config::{EmbedderConfig, IndexConfig, MemoryConfig};
pub use embed::Embedder;
pub use embedded::{EmbeddedIndex, StoredVector, VectorRows, decode_vector, encode_vector};
pub use error::MemoryError;
pub use flat::FlatVectors;
pub use hashed::HashedEmbedder;
pub use index::{Hit, Payload, SearchFilter, VectorIndex};
pub use openai::OpenAiEmbedder;
pub use qdrant::QdrantIndex;
pub use recall::Memory;
pub use similar::SimilarIncident;
pub use text::incident_text;
