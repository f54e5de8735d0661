//! What can go wrong in the memory: embedding, indexing, reading the store.
//!
//! Every error names the provider, model, backend, field or value concerned. Retrieval
//! failures never fail an incident: the pipeline records them in the context's errors
//! and decides without similar incidents. [`MemoryError::is_retryable`] is the one place
//! that says which failures may succeed when tried again.

use crate::store::StoreError;

/// A failure of the memory (embedder, vector index or store).
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// The embeddings endpoint answered with an error status.
    #[error("embeddings provider {provider} (model {model}) answered HTTP {status}: {message}")]
    Provider {
        /// The provider (`openai`).
        provider: String,
        /// The model asked for.
        model: String,
        /// The HTTP status.
        status: u16,
        /// The provider's error message (its `error.message`, or the body's start).
        message: String,
    },
    /// The embeddings endpoint could not be reached or did not answer in time.
    #[error("embeddings provider {provider} (model {model}) at {url} unreachable")]
    Transport {
        /// The provider.
        provider: String,
        /// The model asked for.
        model: String,
        /// The URL posted to.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The embeddings endpoint answered 2xx with a body that is not an embeddings list.
    #[error("embeddings provider {provider} (model {model}) sent an unusable answer: {message}")]
    BadResponse {
        /// The provider.
        provider: String,
        /// The model asked for.
        model: String,
        /// What is wrong with the answer.
        message: String,
    },
    /// The environment variable that should hold an API key is not set.
    #[error("the API key environment variable {env} named by {key} is not set")]
    MissingApiKey {
        /// The variable's name.
        env: String,
        /// The config key that names it (`memory.embedder.api_key_env`).
        key: String,
    },
    /// A vector has the wrong number of dimensions.
    #[error("vector for {what} has {found} dimensions, expected {expected}")]
    Dimensions {
        /// Whose vector (an incident id, or `the query`).
        what: String,
        /// The index's dimensions.
        expected: usize,
        /// The vector's.
        found: usize,
    },
    /// A vector cannot be compared by cosine: all zeros, NaN or infinite components.
    #[error("vector for {what} is unusable: {reason}")]
    BadVector {
        /// Whose vector.
        what: String,
        /// Why (`all components are zero`, `component 3 is NaN`).
        reason: String,
    },
    /// The vector index backend failed.
    #[error("vector index {backend} failed {operation}: {message}")]
    Index {
        /// `embedded` or `qdrant`.
        backend: &'static str,
        /// What was being done (`creating collection medic_incidents`).
        operation: String,
        /// The backend's message.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The incident asked about is not stored.
    #[error("no incident {0} in the store")]
    UnknownIncident(String),
}

impl MemoryError {
    /// Whether the same call may succeed later: rate limits, server errors, unreachable
    /// endpoints and an unavailable store. Bad configuration, bad answers and bad vectors
    /// are not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            MemoryError::Provider { status, .. } => *status == 429 || *status >= 500,
            MemoryError::Transport { .. } => true,
            MemoryError::Store(StoreError::Unavailable(_)) => true,
            MemoryError::Index { backend, .. } => *backend == "qdrant",
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(status: u16) -> MemoryError {
        MemoryError::Provider {
            provider: "openai".into(),
            model: "m".into(),
            status,
            message: "x".into(),
        }
    }

    #[test]
    fn rate_limits_and_server_errors_are_retryable() {
        assert!(provider(429).is_retryable());
        assert!(provider(503).is_retryable());
        assert!(!provider(401).is_retryable());
        assert!(!provider(400).is_retryable());
        assert!(MemoryError::Store(StoreError::Unavailable("down".into())).is_retryable());
        assert!(!MemoryError::Store(StoreError::Query("bad".into())).is_retryable());
        let dims = MemoryError::Dimensions {
            what: "the query".into(),
            expected: 512,
            found: 3,
        };
        assert!(!dims.is_retryable());
        assert_eq!(dims.to_string(), "vector for the query has 3 dimensions, expected 512");
    }
}
