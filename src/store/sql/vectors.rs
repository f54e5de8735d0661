//! Persistence of the embedded vector index: [`VectorRows`] for [`SqlStore`], table
//! `incident_vectors` (migration 0003), the same SQL on SQLite and PostgreSQL.
//!
//! Vectors are stored as little-endian `f32` bytes (BLOB / BYTEA) with the embedder's
//! name and dimensions; payloads as JSON text. Loading streams the rows, so a large index
//! is never held twice. This module stores and loads rows; it must not search or embed.

use async_trait::async_trait;
use futures::TryStreamExt;

use super::SqlStore;
use super::error::classify;
use super::rows::{RowReader, millis, to_json};
use crate::memory::{StoredVector, VectorRows, decode_vector, encode_vector};
use crate::store::StoreError;

/// Stores a vector, replacing the incident's earlier one.
const UPSERT_VECTOR: &str = "INSERT INTO incident_vectors (incident_id, embedder, dims, vector, payload_json, \
     created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (incident_id) DO UPDATE SET embedder = excluded.embedder, dims = excluded.dims, \
     vector = excluded.vector, payload_json = excluded.payload_json, created_at_ms = excluded.created_at_ms";

#[async_trait]
impl VectorRows for SqlStore {
    async fn load_vectors(
        &self,
        embedder: &str,
        dims: usize,
        sink: &mut (dyn FnMut(StoredVector) + Send),
    ) -> Result<usize, StoreError> {
        let what = format!("loading the vectors of embedder {embedder} ({dims} dimensions)");
        let dims_i64 = i64::try_from(dims).map_err(|_| StoreError::Query(format!("{what}: dims too large")))?;
        let mut rows = sqlx::query(
            "SELECT incident_id, embedder, vector, payload_json, created_at_ms FROM incident_vectors \
             WHERE embedder = $1 AND dims = $2",
        )
        .bind(embedder)
        .bind(dims_i64)
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(|e| classify(&what, e))? {
            let id = RowReader::new(&row, "incident vector").text("incident_id")?;
            let r = RowReader::new(&row, &id);
            let bytes: Vec<u8> = sqlx::Row::try_get(&row, "vector").map_err(|e| StoreError::Corrupt {
                id: id.clone(),
                message: format!("column vector: {e}"),
            })?;
            let vector = decode_vector(&bytes)
                .filter(|v| v.len() == dims)
                .ok_or_else(|| StoreError::Corrupt {
                    id: id.clone(),
                    message: format!("column vector: {} bytes, expected {}", bytes.len(), dims * 4),
                })?;
            sink(StoredVector {
                incident_id: id.clone(),
                embedder: r.text("embedder")?,
                vector,
                payload: r.json("payload_json")?,
                created_at: r.timestamp("created_at_ms")?,
            });
        }
        drop(rows);
        let other = sqlx::query("SELECT COUNT(*) AS n FROM incident_vectors WHERE NOT (embedder = $1 AND dims = $2)")
            .bind(embedder)
            .bind(dims_i64)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| classify(&what, e))?;
        let n = RowReader::new(&other, "incident vectors").int("n")?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    async fn put_vector(&self, row: &StoredVector) -> Result<(), StoreError> {
        let what = format!("storing the vector of incident {}", row.incident_id);
        let dims = i64::try_from(row.vector.len()).map_err(|_| StoreError::Query(format!("{what}: too long")))?;
        sqlx::query(UPSERT_VECTOR)
            .bind(row.incident_id.as_str())
            .bind(row.embedder.as_str())
            .bind(dims)
            .bind(encode_vector(&row.vector))
            .bind(to_json("the vector payload", &row.payload)?)
            .bind(millis(row.created_at))
            .execute(&self.pool)
            .await
            .map_err(|e| classify(&what, e))?;
        Ok(())
    }

    async fn delete_vector(&self, incident_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM incident_vectors WHERE incident_id = $1")
            .bind(incident_id)
            .execute(&self.pool)
            .await
            .map_err(|e| classify(&format!("deleting the vector of incident {incident_id}"), e))?;
        Ok(done.rows_affected() > 0)
    }
}
