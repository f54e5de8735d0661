//! The typed context handed to deciders, the policy stage and the user.

use serde::{Deserialize, Serialize};

use crate::cluster::{Object, ObjectRef};
use crate::history::HistoryFacts;
use crate::memory::SimilarIncident;

/// Everything medic learned about an incident's target before deciding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// The object the alert names, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ObjectRef>,
    /// Whether the target was found in the cluster.
    pub target_found: bool,
    /// The target's controllers, nearest first (pod → ReplicaSet → Deployment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<ObjectRef>,
    /// The workload that owns the target (Deployment, StatefulSet, DaemonSet, Job,
    /// CronJob), or the target itself when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadFacts>,
    /// The pods concerned: the target pod, or the workload's pods (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<PodFacts>,
    /// Recent Warning events on the target, its owners and its pods, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventFacts>,
    /// Log tails of the concerned containers (bounded in bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogTail>,
    /// The node the target runs on, or the target node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeFacts>,
    /// The target object itself (trimmed), for display and for the LLM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Object>,
    /// Reads that failed, as `what: error`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Past incidents most like this one, best first, with their actions and scores
    /// (from the memory; empty when retrieval is off or nothing similar is stored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub similar: Vec<SimilarIncident>,
    /// What medic did before about the same alert on the same workload: statistics per
    /// action, the last outcomes, ineffective actions and oscillation warnings (absent
    /// when no store is used, as in `medic recommend`, or the alert names no object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryFacts>,
}

/// A workload's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadFacts {
    /// The workload.
    pub reference: ObjectRef,
    /// Desired replicas (`spec.replicas`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Ready replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// Available replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_replicas: Option<i32>,
    /// The Deployment's current revision (`deployment.kubernetes.io/revision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// Whether an older revision exists to roll back to (a ReplicaSet of the Deployment
    /// with a lower revision).
    pub previous_revision: Option<i64>,
    /// Seconds since the current revision's ReplicaSet was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_age_seconds: Option<i64>,
    /// Whether the rollout is paused.
    pub paused: bool,
    /// The `Progressing` condition's reason (`ProgressDeadlineExceeded` when stuck).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progressing_reason: Option<String>,
}

/// A pod's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodFacts {
    /// Pod name.
    pub name: String,
    /// `status.phase`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Whether the `Ready` condition is true.
    pub ready: bool,
    /// The node it is scheduled on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Whether it is being deleted (`metadata.deletionTimestamp` set).
    pub terminating: bool,
    /// Container states.
    pub containers: Vec<ContainerFacts>,
}

/// A container's state, as `kubectl describe pod` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerFacts {
    /// Container name.
    pub name: String,
    /// Whether it is ready.
    pub ready: bool,
    /// Restarts so far.
    pub restart_count: i32,
    /// Reason it is waiting (`CrashLoopBackOff`, `ImagePullBackOff`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_reason: Option<String>,
    /// Message of the waiting state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_message: Option<String>,
    /// Reason its last instance terminated (`OOMKilled`, `Error`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_termination_reason: Option<String>,
    /// Exit code of its last instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_exit_code: Option<i32>,
    /// Its image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Its memory limit as written in the spec (`256Mi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// Its CPU limit as written in the spec (`500m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<String>,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFacts {
    /// The object it is about.
    pub object: String,
    /// `Normal` or `Warning`.
    pub type_: String,
    /// Machine-readable reason (`BackOff`, `FailedScheduling`, ...).
    pub reason: String,
    /// Human message.
    pub message: String,
    /// How many times it happened.
    pub count: i32,
    /// Last time seen (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

/// The tail of one container's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogTail {
    /// Pod name.
    pub pod: String,
    /// Container name.
    pub container: String,
    /// Whether this is the previous (crashed) instance's log.
    pub previous: bool,
    /// The text, at most the configured number of bytes, cut at a line start.
    pub text: String,
    /// Whether older lines were cut.
    pub truncated: bool,
}

/// A node's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeFacts {
    /// Node name.
    pub name: String,
    /// Whether the `Ready` condition is true.
    pub ready: bool,
    /// Whether it is cordoned.
    pub unschedulable: bool,
    /// Conditions as `type=status (reason)`.
    pub conditions: Vec<String>,
}

impl Context {
    /// Every container of every concerned pod.
    pub fn containers(&self) -> impl Iterator<Item = (&PodFacts, &ContainerFacts)> {
        self.pods.iter().flat_map(|p| p.containers.iter().map(move |c| (p, c)))
    }
}
