//! What a fault is, as scenario files write it: a kind, the object it afflicts and, where
//! the kind needs one, the container.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kinds of fault the simulator models. Each keeps its target unhealthy until an
/// action that really fixes it is applied (see the module documentation for the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A container's memory limit is too low: it is OOMKilled (exit 137) at every start.
    Oom,
    /// A container's CPU limit is too low for its load: it is throttled.
    CpuThrottled,
    /// The Deployment's latest revision is broken: its pods exit with an error (exit 1).
    BadRollout,
    /// A process hangs: its container runs but fails its readiness probe.
    HungProcess,
    /// A process leaks memory: it is OOMKilled after running a while, again and again.
    MemoryLeak,
    /// Pods stay Terminating past their grace period (their kubelet never confirms).
    StuckTerminating,
    /// A node stopped reporting: its Ready condition is not True.
    NodeNotReady,
    /// A PersistentVolumeClaim's volume is nearly full.
    PvcFull,
    /// A HorizontalPodAutoscaler runs at maxReplicas and its pods are still overloaded.
    HpaMaxed,
    /// A workload runs fewer replicas than its PodDisruptionBudget requires.
    ReplicaShortage,
    /// A Job failed for a transient reason: running it again succeeds.
    JobFailedTransient,
    /// A pod is compromised (unexpected outbound connections, an unknown process).
    CompromisedPod,
    /// Nothing is wrong in the cluster: the alert needs no change (`escalate` is right).
    None,
}

impl FaultKind {
    /// Every kind, in documentation order.
    pub const ALL: [FaultKind; 13] = [
        FaultKind::Oom,
        FaultKind::CpuThrottled,
        FaultKind::BadRollout,
        FaultKind::HungProcess,
        FaultKind::MemoryLeak,
        FaultKind::StuckTerminating,
        FaultKind::NodeNotReady,
        FaultKind::PvcFull,
        FaultKind::HpaMaxed,
        FaultKind::ReplicaShortage,
        FaultKind::JobFailedTransient,
        FaultKind::CompromisedPod,
        FaultKind::None,
    ];

    /// The name scenario files use (`oom`, `bad_rollout`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Oom => "oom",
            FaultKind::CpuThrottled => "cpu_throttled",
            FaultKind::BadRollout => "bad_rollout",
            FaultKind::HungProcess => "hung_process",
            FaultKind::MemoryLeak => "memory_leak",
            FaultKind::StuckTerminating => "stuck_terminating",
            FaultKind::NodeNotReady => "node_not_ready",
            FaultKind::PvcFull => "pvc_full",
            FaultKind::HpaMaxed => "hpa_maxed",
            FaultKind::ReplicaShortage => "replica_shortage",
            FaultKind::JobFailedTransient => "job_failed_transient",
            FaultKind::CompromisedPod => "compromised_pod",
            FaultKind::None => "none",
        }
    }

    /// The kinds of object this fault can afflict (empty: no target needed).
    pub fn target_kinds(self) -> &'static [&'static str] {
        const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];
        match self {
            FaultKind::Oom | FaultKind::CpuThrottled => WORKLOADS,
            FaultKind::MemoryLeak | FaultKind::HungProcess | FaultKind::StuckTerminating => {
                &["Deployment", "StatefulSet", "DaemonSet", "Pod"]
            }
            FaultKind::BadRollout => &["Deployment"],
            FaultKind::NodeNotReady => &["Node"],
            FaultKind::PvcFull => &["PersistentVolumeClaim"],
            FaultKind::HpaMaxed => &["HorizontalPodAutoscaler"],
            FaultKind::ReplicaShortage => &["Deployment", "StatefulSet"],
            FaultKind::JobFailedTransient => &["Job"],
            FaultKind::CompromisedPod => &["Pod"],
            FaultKind::None => &[],
        }
    }

    /// Whether the fault must name a container.
    pub fn needs_container(self) -> bool {
        matches!(self, FaultKind::Oom | FaultKind::CpuThrottled)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The object a fault afflicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultTarget {
    /// Its kind (`Deployment`, `Pod`, `Node`, ...).
    pub kind: String,
    /// Its namespace; omitted for nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

impl fmt::Display for FaultTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// A fault: what is really wrong, known to the simulator only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The kind of fault.
    pub kind: FaultKind,
    /// The object it afflicts; may be omitted for `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<FaultTarget>,
    /// The container, for the kinds that afflict one container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

impl Fault {
    /// A fault of `kind` on `target` (`Kind`, namespace, name).
    pub fn new(kind: FaultKind, target_kind: &str, namespace: Option<&str>, name: &str) -> Fault {
        Fault {
            kind,
            target: Some(FaultTarget {
                kind: target_kind.to_string(),
                namespace: namespace.map(str::to_string),
                name: name.to_string(),
            }),
            container: None,
        }
    }

    /// The same fault, on one container.
    pub fn in_container(mut self, container: &str) -> Fault {
        self.container = Some(container.to_string());
        self
    }

    /// The target as text (`Deployment/shop/api`), or `no target`.
    pub fn target_text(&self) -> String {
        self.target
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "no target".into())
    }
}

/// Why a fault cannot be injected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("fault {kind} on {target}: {message}")]
pub struct FaultError {
    /// The fault's kind.
    pub kind: FaultKind,
    /// Its target as text.
    pub target: String,
    /// What is wrong, naming the field or object.
    pub message: String,
}
