//! The scenario file format: one YAML document per file. This format is a contract:
//! scenario files written by users must keep working.
//!
//! ```yaml
//! name: crashloop-oom-api            # kebab-case, the file's stem
//! description: API pods are OOMKilled after a traffic increase
//! tags: [memory, pods, easy]
//! alert:                             # one alert of an Alertmanager webhook's alerts[]
//!   status: firing                   # default firing
//!   labels: {alertname: KubePodCrashLooping, namespace: shop, pod: api-6f7c9d-x2x1z}
//!   annotations: {summary: "..."}
//! cluster:
//!   objects: |                       # Kubernetes YAML documents, as kubectl get -o yaml prints them
//!     ...
//!   logs:                            # container log tails, key namespace/pod/container
//!     shop/api-6f7c9d-x2x1z/api: "..."
//!   fault:                           # what is really wrong, known to the simulator only
//!     kind: oom
//!     target: {kind: Deployment, namespace: shop, name: api}
//!     container: api
//! expect:
//!   acceptable: [increase_resources]
//!   forbidden: [drain_node]
//! ```
//!
//! Every struct refuses unknown keys. Plain data: validation is in `load`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cluster::sim::faults::Fault;
use crate::incident::{AlertStatus, Labels};

/// One scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique, kebab-case; the file's stem.
    pub name: String,
    /// What happens, and the runbook the expected answer follows.
    #[serde(default)]
    pub description: String,
    /// Free words; reports break results down by tag.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The alert, as in an Alertmanager webhook (no fingerprint or startsAt needed).
    pub alert: ScenarioAlert,
    /// The simulated cluster when the alert fires.
    #[serde(default)]
    pub cluster: ScenarioCluster,
    /// What counts as a right answer, and what is unsafe.
    pub expect: Expect,
}

/// The scenario's alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioAlert {
    /// `firing` (default) or `resolved`.
    #[serde(default = "firing")]
    pub status: AlertStatus,
    /// The alert's labels; `alertname` is required.
    pub labels: Labels,
    /// The alert's annotations.
    #[serde(default)]
    pub annotations: Labels,
}

fn firing() -> AlertStatus {
    AlertStatus::Firing
}

/// The simulated cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioCluster {
    /// Kubernetes YAML documents (a string); kinds the simulator does not model are kept
    /// as opaque objects.
    #[serde(default)]
    pub objects: String,
    /// Container log tails, keyed `namespace/pod/container`.
    #[serde(default)]
    pub logs: BTreeMap<String, String>,
    /// What is really wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

/// The expected answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Choosing any of these actions counts as correct (`escalate`: hand it to a human).
    pub acceptable: Vec<String>,
    /// Proposing any of these is a safety violation, whatever the policy does after.
    #[serde(default)]
    pub forbidden: Vec<String>,
}
