//! The [`VectorIndex`] seam: where incident vectors are kept and searched by cosine.
//!
//! Driven by the memory ([`super::Memory`]): it upserts an incident's vector once the
//! incident is decided, and searches for the nearest vectors when a new incident
//! arrives. Invariants every implementation keeps (the contract suite in
//! `tests/vector_index_contract.rs` checks them on each):
//!
//! - one vector per id: `upsert` of a known id replaces its vector and payload;
//! - `search` returns at most `k` hits, best first, scored by cosine similarity (1 is the
//!   same direction), and only hits the filter accepts;
//! - the payload comes back as it was stored;
//! - vectors of the wrong length, zero vectors and non-finite components are refused
//!   with [`MemoryError::Dimensions`] / [`MemoryError::BadVector`], before anything is
//!   written.
//!
//! An index stores and searches; it must not embed text or read incidents.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::MemoryError;

/// What is stored beside an incident's vector, so a hit can be shown without reading
/// the store (Qdrant users can also filter on it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// medic's id of the incident.
    pub incident_id: String,
    /// Its `alertname`.
    pub alertname: String,
    /// Alertmanager's fingerprint (with `starts_at`, the incident's identity).
    pub fingerprint: String,
    /// When the alert started firing.
    pub starts_at: Timestamp,
    /// The namespace, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The target, as text (`Deployment/shop/api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The action decided, when indexed after a decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The processing state the decision left the incident in (`executed`, `planned`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The action's effectiveness score (0..1), when it was known at indexing time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The id it was stored under.
    pub id: String,
    /// Cosine similarity to the query, -1..1.
    pub score: f32,
    /// Its payload.
    pub payload: Payload,
}

/// Which vectors a search may return. Empty: all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Only incidents of this `alertname`.
    pub alertname: Option<String>,
    /// Only incidents in this namespace.
    pub namespace: Option<String>,
    /// Never these ids (the incident asked about).
    pub exclude: Vec<String>,
}

impl SearchFilter {
    /// Whether a stored vector passes.
    pub fn accepts(&self, id: &str, payload: &Payload) -> bool {
        self.alertname.as_ref().is_none_or(|a| *a == payload.alertname)
            && self
                .namespace
                .as_ref()
                .is_none_or(|n| Some(n) == payload.namespace.as_ref())
            && !self.exclude.iter().any(|x| x == id)
    }
}

/// Keeps incident vectors and finds the nearest ones by cosine similarity.
#[async_trait]
pub trait VectorIndex: Send + Sync {
    /// `embedded` or `qdrant`.
    fn backend(&self) -> &'static str;

    /// Components of every vector.
    fn dims(&self) -> usize;

    /// Stores the vector and payload of `id`, replacing any earlier ones.
    async fn upsert(&self, id: &str, vector: &[f32], payload: &Payload) -> Result<(), MemoryError>;

    /// At most `k` stored vectors nearest to `vector` that `filter` accepts, best first.
    async fn search(&self, vector: &[f32], k: usize, filter: Option<&SearchFilter>) -> Result<Vec<Hit>, MemoryError>;

    /// Removes the vector of `id`; removing an unknown id is not an error.
    async fn delete(&self, id: &str) -> Result<(), MemoryError>;

    /// How many vectors are stored.
    async fn len(&self) -> Result<usize, MemoryError>;

    /// Whether no vector is stored.
    async fn is_empty(&self) -> Result<bool, MemoryError> {
        Ok(self.len().await? == 0)
    }
}

/// Checks that `vector` can be stored in or searched with an index of `dims` components.
pub fn check_vector(what: &str, vector: &[f32], dims: usize) -> Result<(), MemoryError> {
    if vector.len() != dims {
        return Err(MemoryError::Dimensions {
            what: what.to_string(),
            expected: dims,
            found: vector.len(),
        });
    }
    if let Some(i) = vector.iter().position(|x| !x.is_finite()) {
        return Err(MemoryError::BadVector {
            what: what.to_string(),
            reason: format!("component {i} is {}", vector[i]),
        });
    }
    if vector.iter().all(|x| *x == 0.0) {
        return Err(MemoryError::BadVector {
            what: what.to_string(),
            reason: "all components are zero".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(alertname: &str, namespace: Option<&str>) -> Payload {
        Payload {
            incident_id: "i".into(),
            alertname: alertname.into(),
            fingerprint: "f".into(),
            starts_at: Timestamp::UNIX_EPOCH,
            namespace: namespace.map(str::to_string),
            target: None,
            action: None,
            outcome: None,
            score: None,
        }
    }

    #[test]
    fn filters_accept_what_they_name() {
        let p = payload("KubePodCrashLooping", Some("shop"));
        assert!(SearchFilter::default().accepts("a", &p));
        let by_name = SearchFilter {
            alertname: Some("KubePodCrashLooping".into()),
            ..SearchFilter::default()
        };
        assert!(by_name.accepts("a", &p));
        assert!(!by_name.accepts("a", &payload("KubeNodeNotReady", Some("shop"))));
        let by_ns = SearchFilter {
            namespace: Some("shop".into()),
            exclude: vec!["b".into()],
            ..SearchFilter::default()
        };
        assert!(by_ns.accepts("a", &p));
        assert!(!by_ns.accepts("b", &p));
        assert!(!by_ns.accepts("a", &payload("X", None)));
    }

    #[test]
    fn unusable_vectors_are_refused_with_the_reason() {
        assert!(check_vector("q", &[0.0, 1.0], 2).is_ok());
        assert_eq!(
            check_vector("incident 7", &[1.0], 2).unwrap_err().to_string(),
            "vector for incident 7 has 1 dimensions, expected 2"
        );
        assert_eq!(
            check_vector("q", &[0.0, f32::NAN], 2).unwrap_err().to_string(),
            "vector for q is unusable: component 1 is NaN"
        );
        assert_eq!(
            check_vector("q", &[0.0, 0.0], 2).unwrap_err().to_string(),
            "vector for q is unusable: all components are zero"
        );
    }
}
