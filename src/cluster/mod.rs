//! The cluster seam: reading Kubernetes objects and applying changes to them.
//!
//! [`Cluster`] has two implementations: [`kube::KubeCluster`] talks to a real API server
//! through kube-rs; [`sim::SimCluster`] keeps objects in memory, loaded from ordinary
//! Kubernetes YAML, and models what controllers would do. Everything above this module
//! (context, actions, executor) sees only the trait.
//!
//! This module must not decide anything: it reads and applies exactly what it is given.

pub mod kube;
pub mod object;
pub mod operation;
pub mod sim;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Event;

pub use object::{Kind, Object, ObjectRef};
pub use operation::{Operation, OperationResult, PatchBody};

/// What went wrong talking to the cluster. The variants are the API server's answers
/// that callers treat differently; anything else is `Api` with its status code.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// 404: the object does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// 409: a conflict (resourceVersion changed, or already exists).
    #[error("conflict on {what}: {message}")]
    Conflict {
        /// The object.
        what: String,
        /// The API server's message.
        message: String,
    },
    /// 422: the API server found the change invalid.
    #[error("invalid change to {what}: {message}")]
    Invalid {
        /// The object.
        what: String,
        /// The API server's message.
        message: String,
    },
    /// 429 from the Eviction API: a PodDisruptionBudget forbids it right now.
    #[error("refused by a disruption budget for {what}: {message}")]
    DisruptionBudget {
        /// The pod.
        what: String,
        /// The API server's message.
        message: String,
    },
    /// 401/403: medic's service account may not do this.
    #[error("forbidden on {what}: {message}")]
    Forbidden {
        /// The object.
        what: String,
        /// The API server's message.
        message: String,
    },
    /// Any other API answer.
    #[error("API error {code} on {what}: {message}")]
    Api {
        /// HTTP status code.
        code: u16,
        /// The object or call.
        what: String,
        /// The API server's message.
        message: String,
    },
    /// The cluster could not be reached or answered garbage.
    #[error("cluster unavailable: {0}")]
    Unavailable(String),
    /// The request itself is not something this cluster can do.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl ClusterError {
    /// Whether trying again later may succeed (transport errors, 429 without PDB, 5xx,
    /// conflicts after a re-read). Callers decide retries here and nowhere else.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClusterError::Unavailable(_) | ClusterError::Conflict { .. } => true,
            ClusterError::Api { code, .. } => *code == 429 || *code >= 500,
            _ => false,
        }
    }
}

/// Access to one Kubernetes cluster.
///
/// Reads return `Ok(None)`/empty when an object does not exist; errors are for failures
/// of the call itself. `apply` performs exactly one [`Operation`] and reports what the
/// API answered; it never retries (the executor decides that, with
/// [`ClusterError::is_retryable`]). Implementations must be cheap to share (`Arc`).
#[async_trait]
pub trait Cluster: Send + Sync {
    /// A one-line description for logs and `/readyz` (e.g. `simulated: config/demo/cluster.yaml`).
    fn describe(&self) -> String;

    /// Reads one object.
    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError>;

    /// Lists objects of a kind, in one namespace or all (`None`), optionally filtered by a
    /// label selector in the API's string syntax (`app=api,tier!=db`).
    async fn list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Object>, ClusterError>;

    /// Events whose `involvedObject` is `r`, oldest first.
    async fn events(&self, r: &ObjectRef) -> Result<Vec<Event>, ClusterError>;

    /// The last `max_bytes` of a container's log (`previous`: of its last terminated
    /// instance). `Ok(None)` when there is no such log.
    async fn log_tail(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        max_bytes: usize,
    ) -> Result<Option<String>, ClusterError>;

    /// Applies one change.
    async fn apply(&self, op: &Operation) -> Result<OperationResult, ClusterError>;
}
