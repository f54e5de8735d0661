//! The [`Embedder`] seam: text in, fixed-length vectors out.
//!
//! Driven by the memory ([`super::Memory`]) when an incident is decided (to index it) and
//! when a new one arrives (to find its neighbours). An embedder must be deterministic for
//! a given name: vectors stored under one [`Embedder::name`] are compared with vectors made
//! later under the same name, so a change to what an embedder computes needs a new name.

use async_trait::async_trait;

use super::error::MemoryError;

/// Turns texts into vectors of [`Embedder::dims`] components.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The embedder's identity, stored with every vector (`hashed-ngram-v1`,
    /// `openai:text-embedding-3-small`). Vectors of different names are never compared.
    fn name(&self) -> &str;

    /// Components of every vector.
    fn dims(&self) -> usize;

    /// One vector per text, in order. Errors name the provider and model; on error no
    /// vector is returned.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, MemoryError>;
}
