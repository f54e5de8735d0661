//! Gathering context through the cluster seam. (Being written by the cluster helper.)

use serde::{Deserialize, Serialize};

use super::model::Context;
use crate::cluster::Cluster;
use crate::incident::Incident;

/// How much context to keep (`context:` in the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Bytes of log tail kept per container. Default 8192.
    pub log_bytes: usize,
    /// Containers whose logs are read. Default 3.
    pub max_logs: usize,
    /// Most recent Warning events kept. Default 20.
    pub max_events: usize,
    /// Pods of a workload described. Default 10.
    pub max_pods: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            log_bytes: 8192,
            max_logs: 3,
            max_events: 20,
            max_pods: 10,
        }
    }
}

/// Gathers the context of an incident.
pub async fn gather(cluster: &dyn Cluster, incident: &Incident, limits: &Limits) -> Context {
    let _ = (cluster, incident, limits);
    todo!()
}
