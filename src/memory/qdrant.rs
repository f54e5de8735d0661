//! [`QdrantIndex`]: the vector index on a Qdrant server, through `qdrant-client` (gRPC),
//! for fleets whose incident history outgrows the embedded index.
//!
//! On [`QdrantIndex::connect`] the collection is created when missing, with the
//! embedder's dimensions and cosine distance; an existing collection of another size is
//! refused. Qdrant point ids are integers or UUIDs: an incident id that is a UUID (medic's
//! are) is used as is, any other id is mapped to a UUID derived from its SHA-256, and the
//! original id travels in the payload (`incident_id`), which is what searches return.
//! Writes wait for Qdrant to apply them, so a search right after an upsert sees it.
//!
//! The index stores and searches; it must not embed text or read incidents, and it must
//! never log the API key.

use async_trait::async_trait;
use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, DeletePointsBuilder, Distance, Filter, PointId,
    PointStruct, PointsIdsList, QueryPointsBuilder, UpsertPointsBuilder, VectorParamsBuilder, vectors_config,
};
use qdrant_client::{Payload as QdrantPayload, Qdrant, QdrantError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::MemoryError;
use super::index::{Hit, Payload, SearchFilter, VectorIndex, check_vector};

/// The index on a Qdrant collection.
pub struct QdrantIndex {
    client: Qdrant,
    collection: String,
    dims: usize,
}

impl QdrantIndex {
    /// Connects to the Qdrant server at `url` (gRPC, e.g. `http://qdrant:6334`) and makes
    /// sure `collection` exists with `dims`-component cosine vectors.
    pub async fn connect(
        url: &str,
        collection: &str,
        dims: usize,
        api_key: Option<String>,
    ) -> Result<QdrantIndex, MemoryError> {
        let client = Qdrant::from_url(url)
            .api_key(api_key)
            .skip_compatibility_check()
            .build()
            .map_err(|e| failed(format!("connecting to {url}"), e))?;
        let index = QdrantIndex {
            client,
            collection: collection.to_string(),
            dims,
        };
        index.ensure_collection().await?;
        Ok(index)
    }

    /// The collection's name.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// Creates the collection when missing; refuses one of another vector size.
    async fn ensure_collection(&self) -> Result<(), MemoryError> {
        let name = &self.collection;
        let exists = self
            .client
            .collection_exists(name.as_str())
            .await
            .map_err(|e| failed(format!("checking collection {name}"), e))?;
        if !exists {
            let created = self
                .client
                .create_collection(
                    CreateCollectionBuilder::new(name.as_str())
                        .vectors_config(VectorParamsBuilder::new(self.dims as u64, Distance::Cosine)),
                )
                .await;
            match created {
                Ok(_) => return Ok(()),
                // Another medic replica created it in between: check it like an old one.
                Err(e) if e.to_string().contains("already exists") => {}
                Err(e) => return Err(failed(format!("creating collection {name}"), e)),
            }
        }
        let info = self
            .client
            .collection_info(name.as_str())
            .await
            .map_err(|e| failed(format!("reading collection {name}"), e))?;
        let params = info
            .result
            .and_then(|r| r.config)
            .and_then(|c| c.params)
            .and_then(|p| p.vectors_config)
            .and_then(|v| v.config);
        match params {
            Some(vectors_config::Config::Params(p)) if p.size == self.dims as u64 => Ok(()),
            Some(vectors_config::Config::Params(p)) => Err(MemoryError::Index {
                backend: "qdrant",
                operation: format!("opening collection {name}"),
                message: format!(
                    "its vectors have {} dimensions, the embedder makes {}: use another collection",
                    p.size, self.dims
                ),
            }),
            _ => Err(MemoryError::Index {
                backend: "qdrant",
                operation: format!("opening collection {name}"),
                message: "it has named vectors; medic needs a collection with one unnamed vector".into(),
            }),
        }
    }
}

#[async_trait]
impl VectorIndex for QdrantIndex {
    fn backend(&self) -> &'static str {
        "qdrant"
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn upsert(&self, id: &str, vector: &[f32], payload: &Payload) -> Result<(), MemoryError> {
        check_vector(&format!("incident {id}"), vector, self.dims)?;
        let mut json = serde_json::to_value(payload).map_err(|e| MemoryError::Index {
            backend: "qdrant",
            operation: format!("storing incident {id}"),
            message: format!("cannot serialize the payload: {e}"),
        })?;
        json["incident_id"] = serde_json::Value::String(id.to_string());
        let payload = QdrantPayload::try_from(json).map_err(|e| failed(format!("storing incident {id}"), e))?;
        let point = PointStruct::new(point_id(id), vector.to_vec(), payload);
        self.client
            .upsert_points(UpsertPointsBuilder::new(self.collection.as_str(), vec![point]).wait(true))
            .await
            .map_err(|e| failed(format!("storing incident {id}"), e))?;
        Ok(())
    }

    async fn search(&self, vector: &[f32], k: usize, filter: Option<&SearchFilter>) -> Result<Vec<Hit>, MemoryError> {
        check_vector("the query", vector, self.dims)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut query = QueryPointsBuilder::new(self.collection.as_str())
            .query(vector.to_vec())
            .limit(k as u64)
            .with_payload(true);
        if let Some(filter) = filter.map(to_qdrant_filter) {
            query = query.filter(filter);
        }
        let answer = self
            .client
            .query(query)
            .await
            .map_err(|e| failed("searching".into(), e))?;
        let mut hits = answer
            .result
            .into_iter()
            .map(|point| {
                let json = serde_json::Value::from(QdrantPayload::from(point.payload));
                let payload: Payload = serde_json::from_value(json).map_err(|e| MemoryError::Index {
                    backend: "qdrant",
                    operation: "searching".into(),
                    message: format!("a point's payload is not medic's: {e}"),
                })?;
                Ok(Hit {
                    id: payload.incident_id.clone(),
                    score: point.score,
                    payload,
                })
            })
            .collect::<Result<Vec<Hit>, MemoryError>>()?;
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        Ok(hits)
    }

    async fn delete(&self, id: &str) -> Result<(), MemoryError> {
        self.client
            .delete_points(
                DeletePointsBuilder::new(self.collection.as_str())
                    .points(PointsIdsList {
                        ids: vec![point_id(id)],
                    })
                    .wait(true),
            )
            .await
            .map_err(|e| failed(format!("deleting incident {id}"), e))?;
        Ok(())
    }

    async fn len(&self) -> Result<usize, MemoryError> {
        let answer = self
            .client
            .count(CountPointsBuilder::new(self.collection.as_str()).exact(true))
            .await
            .map_err(|e| failed("counting points".into(), e))?;
        Ok(answer.result.map_or(0, |r| r.count as usize))
    }
}

/// The Qdrant point id of an incident id: itself when it is a UUID, else a UUID made of
/// its SHA-256 (version 8, "custom").
pub fn point_id(id: &str) -> PointId {
    let uuid = Uuid::parse_str(id).unwrap_or_else(|_| {
        let digest = Sha256::digest(id.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    });
    PointId::from(uuid.to_string())
}

/// The search filter in Qdrant's terms.
fn to_qdrant_filter(filter: &SearchFilter) -> Filter {
    let mut must = Vec::new();
    if let Some(alertname) = &filter.alertname {
        must.push(Condition::matches("alertname", alertname.clone()));
    }
    if let Some(namespace) = &filter.namespace {
        must.push(Condition::matches("namespace", namespace.clone()));
    }
    let mut out = Filter::must(must);
    if !filter.exclude.is_empty() {
        out.must_not = vec![Condition::has_id(filter.exclude.iter().map(|id| point_id(id)))];
    }
    out
}

/// A Qdrant failure while doing `operation`.
fn failed(operation: String, error: QdrantError) -> MemoryError {
    MemoryError::Index {
        backend: "qdrant",
        operation,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qdrant_client::qdrant::point_id::PointIdOptions;

    fn uuid_of(id: &PointId) -> String {
        match &id.point_id_options {
            Some(PointIdOptions::Uuid(u)) => u.clone(),
            other => panic!("not a UUID point id: {other:?}"),
        }
    }

    #[test]
    fn uuid_ids_are_kept_and_others_mapped_stably() {
        let medic_id = "0199b2c4-7d1e-7c3a-9f00-1234567890ab";
        assert_eq!(uuid_of(&point_id(medic_id)), medic_id);
        let mapped = uuid_of(&point_id("incident-7"));
        assert_eq!(mapped, uuid_of(&point_id("incident-7")));
        assert_ne!(mapped, uuid_of(&point_id("incident-8")));
        assert!(Uuid::parse_str(&mapped).is_ok());
    }

    #[tokio::test]
    async fn an_unreachable_server_names_what_failed() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let err = match QdrantIndex::connect(&format!("http://{addr}"), "medic_incidents", 8, None).await {
            Err(e) => e,
            Ok(_) => panic!("connected to a closed port"),
        };
        assert!(
            err.to_string()
                .starts_with("vector index qdrant failed checking collection medic_incidents: "),
            "{err}"
        );
        assert!(err.is_retryable());
    }

    #[test]
    fn filters_become_conditions() {
        let filter = to_qdrant_filter(&SearchFilter {
            alertname: Some("KubePodCrashLooping".into()),
            namespace: None,
            exclude: vec!["incident-7".into()],
        });
        assert_eq!(filter.must.len(), 1);
        assert_eq!(filter.must_not.len(), 1);
        let empty = to_qdrant_filter(&SearchFilter::default());
        assert!(empty.must.is_empty() && empty.must_not.is_empty());
    }
}
