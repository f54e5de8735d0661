//! [`EmbeddedIndex`]: the default vector index, persisted in medic's own database and
//! searched in memory.
//!
//! Every vector is written through [`VectorRows`] (table `incident_vectors`, one row per
//! incident, deleted with its incident) before it enters the in-memory matrix
//! ([`FlatVectors`]), so what is searched is always what is stored. At start, the rows of
//! the current embedder (same name and dimensions) are loaded; rows of another embedder
//! are left alone and not searched. Search is exhaustive cosine over the matrix, on the
//! blocking pool so a large index does not stall the async workers.
//!
//! The index must not embed text or read incidents; persistence goes through
//! [`VectorRows`] only.

use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use jiff::Timestamp;

use super::error::MemoryError;
use super::flat::FlatVectors;
use super::index::{Hit, Payload, SearchFilter, VectorIndex, check_vector};
use crate::store::StoreError;

/// One persisted vector.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
    /// The incident it belongs to.
    pub incident_id: String,
    /// The embedder that made it ([`super::Embedder::name`]).
    pub embedder: String,
    /// Its components.
    pub vector: Vec<f32>,
    /// Its payload.
    pub payload: Payload,
    /// When it was stored.
    pub created_at: Timestamp,
}

/// Where the embedded index keeps its vectors: implemented by the SQL store
/// (`store/sql/vectors.rs`). Each call is atomic.
#[async_trait]
pub trait VectorRows: Send + Sync {
    /// Calls `sink` with every stored vector made by `embedder` with `dims` components;
    /// returns how many rows of other embedders or sizes were passed over.
    async fn load_vectors(
        &self,
        embedder: &str,
        dims: usize,
        sink: &mut (dyn FnMut(StoredVector) + Send),
    ) -> Result<usize, StoreError>;

    /// Stores a vector, replacing the incident's earlier one. Fails when the incident is
    /// not stored.
    async fn put_vector(&self, row: &StoredVector) -> Result<(), StoreError>;

    /// Removes the incident's vector; `false` when it had none.
    async fn delete_vector(&self, incident_id: &str) -> Result<bool, StoreError>;
}

/// The embedded index: stored through [`VectorRows`], searched in memory.
pub struct EmbeddedIndex {
    rows: Arc<dyn VectorRows>,
    embedder: String,
    dims: usize,
    matrix: Arc<RwLock<FlatVectors>>,
    passed_over: usize,
}

impl EmbeddedIndex {
    /// Opens the index of `embedder`'s `dims`-component vectors, loading every stored one.
    pub async fn open(rows: Arc<dyn VectorRows>, embedder: &str, dims: usize) -> Result<EmbeddedIndex, MemoryError> {
        let mut matrix = FlatVectors::new(dims);
        let passed_over = rows
            .load_vectors(embedder, dims, &mut |row: StoredVector| {
                if check_vector(&row.incident_id, &row.vector, dims).is_ok() {
                    matrix.upsert(&row.incident_id, &row.vector, row.payload);
                }
            })
            .await?;
        Ok(EmbeddedIndex {
            rows,
            embedder: embedder.to_string(),
            dims,
            matrix: Arc::new(RwLock::new(matrix)),
            passed_over,
        })
    }

    /// Stored rows of other embedders (or sizes) that this index does not search.
    pub fn passed_over(&self) -> usize {
        self.passed_over
    }
}

#[async_trait]
impl VectorIndex for EmbeddedIndex {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn upsert(&self, id: &str, vector: &[f32], payload: &Payload) -> Result<(), MemoryError> {
        check_vector(&format!("incident {id}"), vector, self.dims)?;
        self.rows
            .put_vector(&StoredVector {
                incident_id: id.to_string(),
                embedder: self.embedder.clone(),
                vector: vector.to_vec(),
                payload: payload.clone(),
                created_at: Timestamp::now(),
            })
            .await?;
        self.matrix
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .upsert(id, vector, payload.clone());
        Ok(())
    }

    async fn search(&self, vector: &[f32], k: usize, filter: Option<&SearchFilter>) -> Result<Vec<Hit>, MemoryError> {
        check_vector("the query", vector, self.dims)?;
        let matrix = self.matrix.clone();
        let query = vector.to_vec();
        let filter = filter.cloned();
        tokio::task::spawn_blocking(move || {
            matrix
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .search(&query, k, filter.as_ref())
        })
        .await
        .map_err(|e| MemoryError::Index {
            backend: "embedded",
            operation: "searching".into(),
            message: e.to_string(),
        })
    }

    async fn delete(&self, id: &str) -> Result<(), MemoryError> {
        self.rows.delete_vector(id).await?;
        self.matrix.write().unwrap_or_else(PoisonError::into_inner).remove(id);
        Ok(())
    }

    async fn len(&self) -> Result<usize, MemoryError> {
        Ok(self.matrix.read().unwrap_or_else(PoisonError::into_inner).len())
    }
}

/// A vector as stored: little-endian `f32`s.
pub fn encode_vector(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Reads a stored vector back; `None` when the byte count is not a multiple of 4.
pub fn decode_vector(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_as_little_endian_bytes() {
        let v = vec![1.0f32, -0.5, 3.25e-7, f32::MAX];
        let bytes = encode_vector(&v);
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[..4], &[0x00, 0x00, 0x80, 0x3f]);
        assert_eq!(decode_vector(&bytes), Some(v));
        assert_eq!(decode_vector(&bytes[..5]), None);
    }
}
