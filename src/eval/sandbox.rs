//! What an evaluation run acts through besides the simulated cluster: a cluster wrapper
//! that answers a disruption budget's refusal at once (nothing changes in a simulation
//! while an eviction waits, so waiting would only burn wall time), and a notifier that
//! sends nothing (an evaluation never reaches the network).

use std::sync::Arc;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Event;

use crate::actions::settings::NotifyChannel;
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation, OperationResult};
use crate::execute::notifier::{Message, Notifier, NotifyError};

/// The simulated cluster of one run, as the pipeline sees it.
pub struct Sandbox(pub Arc<SimCluster>);

#[async_trait]
impl Cluster for Sandbox {
    fn describe(&self) -> String {
        self.0.describe()
    }

    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError> {
        self.0.get(r).await
    }

    async fn list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Object>, ClusterError> {
        self.0.list(kind, namespace, label_selector).await
    }

    async fn events(&self, r: &ObjectRef) -> Result<Vec<Event>, ClusterError> {
        self.0.events(r).await
    }

    async fn log_tail(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        max_bytes: usize,
    ) -> Result<Option<String>, ClusterError> {
        self.0.log_tail(namespace, pod, container, previous, max_bytes).await
    }

    /// Applies the operation; a disruption budget's refusal becomes a final 429, so the
    /// executor does not wait for a budget that nothing in the simulation will free.
    async fn apply(&self, op: &Operation) -> Result<OperationResult, ClusterError> {
        match self.0.apply(op).await {
            Err(ClusterError::DisruptionBudget { what, message }) => Err(ClusterError::Api {
                code: 429,
                what,
                message: format!("{message} (in the simulation nothing frees the budget while waiting)"),
            }),
            other => other,
        }
    }
}

/// A notifier that delivers nothing.
pub struct Silent;

#[async_trait]
impl Notifier for Silent {
    async fn send(&self, channel: &NotifyChannel, _message: &Message<'_>) -> Result<String, NotifyError> {
        Ok(format!("not sent to {}: evaluation run", channel.name))
    }
}
