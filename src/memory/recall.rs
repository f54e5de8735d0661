//! [`Memory`]: similar-incident retrieval, tying the embedder, the vector index and the
//! store together.
//!
//! The pipeline calls [`Memory::similar_to`] after gathering an incident's context (the
//! k most similar past incidents go into the context) and [`Memory::remember`] after its
//! decision is stored (so later incidents find it). `medic history similar` calls
//! [`Memory::similar_to_stored`]. A hit's action and state are read from the store (the
//! latest decision), so they are current even when the vector was stored long ago; a hit
//! whose incident is no longer stored (retention removed it) is dropped from the index.
//!
//! The memory reads the store and writes only vectors; it must not decide, and a failure
//! here must never fail an incident (callers record it and go on).

use std::sync::Arc;

use super::embed::Embedder;
use super::error::MemoryError;
use super::index::{Payload, SearchFilter, VectorIndex};
use super::similar::SimilarIncident;
use super::text::incident_text;
use crate::context::Context;
use crate::incident::Incident;
use crate::store::{DecisionRecord, Store, StoredIncident};

/// Extra neighbours asked of the index beyond `k`, to make up for the incident itself
/// and for stale vectors that are dropped.
const SLACK: usize = 4;

/// Similar-incident retrieval over one embedder, one index and the store.
pub struct Memory {
    embedder: Arc<dyn Embedder>,
    index: Arc<dyn VectorIndex>,
    store: Arc<dyn Store>,
    k: usize,
}

impl Memory {
    /// The memory, returning `k` similar incidents per question. The embedder and the
    /// index must agree on dimensions.
    pub fn new(
        embedder: Arc<dyn Embedder>,
        index: Arc<dyn VectorIndex>,
        store: Arc<dyn Store>,
        k: usize,
    ) -> Result<Memory, MemoryError> {
        if embedder.dims() != index.dims() {
            return Err(MemoryError::Dimensions {
                what: format!("embedder {}", embedder.name()),
                expected: index.dims(),
                found: embedder.dims(),
            });
        }
        Ok(Memory {
            embedder,
            index,
            store,
            k,
        })
    }

    /// Similar incidents returned per question (0: retrieval is off).
    pub fn k(&self) -> usize {
        self.k
    }

    /// The embedder.
    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    /// The vector index.
    pub fn index(&self) -> &dyn VectorIndex {
        self.index.as_ref()
    }

    /// The `k` past incidents most similar to `incident` with its `context`, best first,
    /// never the incident itself (by id when known, and by its fingerprint and start).
    pub async fn similar_to(
        &self,
        incident: &Incident,
        context: &Context,
        id: Option<&str>,
    ) -> Result<Vec<SimilarIncident>, MemoryError> {
        if self.k == 0 {
            return Ok(Vec::new());
        }
        let text = incident_text(incident, context);
        let vector = self.embed_one(text).await?;
        let filter = SearchFilter {
            exclude: id.map(str::to_string).into_iter().collect(),
            ..SearchFilter::default()
        };
        let hits = self.index.search(&vector, self.k + SLACK, Some(&filter)).await?;
        let mut out = Vec::with_capacity(self.k);
        for hit in hits {
            if out.len() == self.k {
                break;
            }
            let itself = hit.payload.fingerprint == incident.fingerprint && hit.payload.starts_at == incident.starts_at;
            if itself {
                continue;
            }
            match self.store.get(&hit.id).await? {
                Some(stored) => out.push(similar(hit.score, &hit.payload, &stored)),
                None => {
                    // Retention removed the incident (its row cascaded away); forget the vector.
                    if let Err(e) = self.index.delete(&hit.id).await {
                        tracing::warn!(incident = %hit.id, error = %e, "cannot drop a stale vector");
                    }
                }
            }
        }
        Ok(out)
    }

    /// The past incidents most similar to the stored incident `id`, judged on its stored
    /// context (empty when it was never decided).
    pub async fn similar_to_stored(&self, id: &str) -> Result<Vec<SimilarIncident>, MemoryError> {
        let stored = self
            .store
            .get(id)
            .await?
            .ok_or_else(|| MemoryError::UnknownIncident(id.to_string()))?;
        let context = stored.decision.map(|d| d.context).unwrap_or_default();
        self.similar_to(&stored.incident, &context, Some(id)).await
    }

    /// Indexes a decided incident, so later incidents can find it.
    pub async fn remember(&self, id: &str, incident: &Incident, record: &DecisionRecord) -> Result<(), MemoryError> {
        let vector = self.embed_one(incident_text(incident, &record.context)).await?;
        let payload = Payload {
            incident_id: id.to_string(),
            alertname: incident.alertname.clone(),
            fingerprint: incident.fingerprint.clone(),
            starts_at: incident.starts_at,
            namespace: incident
                .target
                .as_ref()
                .and_then(|t| t.namespace.clone())
                .or_else(|| incident.labels.get("namespace").cloned()),
            target: incident.target.as_ref().map(|t| t.to_string()),
            action: Some(record.decision.action_name().to_string()),
            outcome: Some(record.state.as_str().to_string()),
            score: None,
        };
        self.index.upsert(id, &vector, &payload).await
    }

    /// Puts the past incidents most similar to `incident` into `context.similar`; a
    /// failure is recorded in `context.errors` instead (the pipeline's hook after
    /// gathering the context).
    pub async fn recall_into(&self, incident: &Incident, context: &mut Context) {
        match self.similar_to(incident, context, None).await {
            Ok(similar) => context.similar = similar,
            Err(e) => context.errors.push(format!("similar incidents: {e}")),
        }
    }

    /// Indexes a decided incident, logging a failure instead of returning it (the
    /// pipeline's hook after storing a decision: the decision stands either way).
    pub async fn remember_logged(&self, id: &str, incident: &Incident, record: &DecisionRecord) {
        if let Err(e) = self.remember(id, incident, record).await {
            tracing::warn!(incident = %id, error = %e, "cannot index the incident for similar-incident retrieval");
        }
    }

    /// The vector of one text.
    async fn embed_one(&self, text: String) -> Result<Vec<f32>, MemoryError> {
        let mut vectors = self.embedder.embed(&[text]).await?;
        vectors.pop().ok_or_else(|| MemoryError::BadResponse {
            provider: self.embedder.name().to_string(),
            model: self.embedder.name().to_string(),
            message: "no vector for the text".into(),
        })
    }
}

/// A hit as the context shows it: the store's current view (latest decision's action,
/// its assessment's score), the payload's otherwise.
fn similar(score: f32, payload: &Payload, stored: &StoredIncident) -> SimilarIncident {
    let incident = &stored.incident;
    SimilarIncident {
        incident_id: stored.id.clone(),
        similarity: score,
        alertname: incident.alertname.clone(),
        target: incident
            .target
            .as_ref()
            .map(|t| t.to_string())
            .or_else(|| payload.target.clone()),
        namespace: payload.namespace.clone(),
        started_at: incident.starts_at,
        summary: Some(incident.summary().to_string()),
        action: stored
            .decision
            .as_ref()
            .map(|d| d.decision.action_name().to_string())
            .or_else(|| payload.action.clone()),
        state: Some(stored.state.as_str().to_string()),
        effectiveness: stored
            .decision
            .as_ref()
            .and_then(|d| d.assessment.as_ref())
            .and_then(|a| a.score)
            .or(payload.score),
    }
}
