//! The simulated clusters the action tests run against, each with the alert its tests
//! are about. The objects are YAML files in `clusters/`, written at [`NOW`].

use jiff::Timestamp;

use super::fixture::Fixture;
use crate::actions::ActionSettings;
use crate::actions::settings::ExecSpec;
use crate::cluster::ObjectRef;
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};

/// The instant every fixture is written at, and the clock of every test.
pub const NOW: &str = "2025-03-01T12:00:00Z";

/// [`NOW`] as a timestamp.
pub fn now() -> Timestamp {
    NOW.parse().expect("NOW is a timestamp")
}

/// A reference in namespace `shop`.
pub fn shop(kind: &str, name: &str) -> ObjectRef {
    ObjectRef::namespaced(kind, "shop", name)
}

/// A pod in namespace `shop`.
pub fn pod(name: &str) -> ObjectRef {
    shop("Pod", name)
}

/// A Deployment in namespace `shop`.
pub fn deployment(name: &str) -> ObjectRef {
    shop("Deployment", name)
}

/// A node by name.
pub fn node(name: &str) -> ObjectRef {
    ObjectRef::cluster_scoped("Node", name)
}

/// The alert an incident comes from: what Alertmanager would send about the target.
pub struct Alert {
    /// `alertname`.
    pub name: &'static str,
    /// The `summary` annotation.
    pub summary: &'static str,
    /// The fingerprint (its first 8 characters name what medic creates).
    pub fingerprint: &'static str,
}

/// A simulated cluster, the alert its tests are about and the action settings they use.
pub struct Scenario {
    /// The objects, as multi-document YAML.
    pub objects: &'static str,
    /// The alert of its incidents.
    pub alert: Alert,
    /// The action settings.
    pub settings: fn() -> ActionSettings,
}

impl Scenario {
    /// The cluster with an alert about the `kind` object `name` (in `shop` unless it is a
    /// Node).
    pub fn alert_on(&self, kind: TargetKind, name: &str) -> Fixture {
        Fixture::load(self, self.incident_about(kind, name))
    }

    /// The cluster with an alert about node `name`.
    pub fn alert_on_node(&self, name: &str) -> Fixture {
        self.alert_on(TargetKind::Node, name)
    }

    /// An incident about the `kind` object `name` (in `shop` unless it is a Node).
    pub fn incident_about(&self, kind: TargetKind, name: &str) -> Incident {
        self.incident(Some(TargetRef {
            kind,
            namespace: (kind != TargetKind::Node).then(|| "shop".into()),
            name: name.into(),
            container: None,
        }))
    }

    /// A firing incident of the scenario's alert about `target`, starting at [`NOW`].
    pub fn incident(&self, target: Option<TargetRef>) -> Incident {
        Incident {
            source: "alertmanager".into(),
            fingerprint: self.alert.fingerprint.into(),
            status: AlertStatus::Firing,
            alertname: self.alert.name.into(),
            severity: Some("warning".into()),
            labels: Labels::new(),
            annotations: [("summary".to_string(), self.alert.summary.to_string())]
                .into_iter()
                .collect(),
            starts_at: now(),
            ends_at: None,
            generator_url: None,
            receiver: None,
            group_key: None,
            target,
        }
    }
}

const CRASH_LOOPING: Alert = Alert {
    name: "KubePodCrashLooping",
    summary: "Pod is crash looping.",
    fingerprint: "0f1e2d3c4b5a6978",
};

/// One node; Deployment `shop/api` (2 replicas, revision 2 running `shop/api:1.4`, with
/// the ReplicaSet of revision 1 running `shop/api:1.3` scaled to 0, and two pods written
/// out); a pod `shop/debug` without controller; Deployment `shop/web` (two containers,
/// a single revision, scaled by an HPA); Deployment `shop/batch` (paused); StatefulSet
/// `shop/db` (OnDelete). A crash-looping pod alert.
pub const DEPLOYMENTS: Scenario = Scenario {
    objects: include_str!("clusters/deployments.yaml"),
    alert: CRASH_LOOPING,
    settings: ActionSettings::default,
};

/// Nodes `worker-1` (Ready) and `worker-2` (NotReady: its kubelet stopped reporting).
///
/// Namespace `shop`:
/// - Deployment `api` (2 replicas) through ReplicaSet `api-6b9c4`: pods `api-6b9c4-x7k2p`
///   and `api-6b9c4-q9m4t` running on worker-1, `api-6b9c4-zz9f8` Terminating 10 minutes
///   past its deadline on worker-2, `api-6b9c4-w4x5z` 30 seconds past it; Service `api`;
///   PodDisruptionBudget `api-pdb` (minAvailable 2); NetworkPolicy `api-ingress` (allows
///   ingress from `web`); a Warning event and a log on `api-6b9c4-x7k2p`; two exec
///   answers in its container `api`;
/// - Deployment `web` (containers `app` and `proxy`, 2 replicas) through ReplicaSet
///   `web-7d9f8` with pods `web-7d9f8-abcde` and `web-7d9f8-fghij`; budget `web-pdb`
///   (maxUnavailable 1);
/// - StatefulSet `db` whose pod `db-0` is Terminating on worker-2, 2 hours past its
///   deadline, with a finalizer;
/// - pod `debug` (no controller, no labels), pod `kube-proxy-worker-1` (a static pod of
///   worker-1), pod `pending` (Pending), pod `crashing` (container waiting in
///   CrashLoopBackOff), pod `done` (Succeeded);
/// - ConfigMap `api-flags`, Secret `api-token`, a `Widget` of `example.com`.
///
/// A crash-looping pod alert. Settings: `patchable_kinds` ConfigMap and
/// `example.com/Widget`; exec commands `thread-dump`, `db-check`, `heap-histogram` (not
/// answered in the fixture) and `broken` (empty argv).
pub const PODS: Scenario = Scenario {
    objects: include_str!("clusters/pods.yaml"),
    alert: CRASH_LOOPING,
    settings: pod_settings,
};

fn pod_settings() -> ActionSettings {
    let spec = |argv: &[&str], timeout: Option<u64>, bytes: Option<usize>| ExecSpec {
        command: argv.iter().map(|s| s.to_string()).collect(),
        timeout_seconds: timeout,
        max_output_bytes: bytes,
    };
    ActionSettings {
        patchable_kinds: vec!["ConfigMap".into(), "example.com/Widget".into()],
        exec_commands: [
            ("thread-dump", spec(&["jcmd", "1", "Thread.print"], None, None)),
            ("db-check", spec(&["pg_isready", "-h", "db"], Some(5), Some(4096))),
            ("heap-histogram", spec(&["jmap", "-histo", "1"], None, None)),
            ("broken", spec(&[], None, None)),
        ]
        .into_iter()
        .map(|(name, spec)| (name.to_string(), spec))
        .collect(),
        ..ActionSettings::default()
    }
}

/// Namespace `shop`:
/// - Deployment `api` (2 replicas; env `LOG_LEVEL=info`, `DB_PASSWORD` from a Secret,
///   `POD_IP` from a field), `web` (containers `app` and `proxy`, the latter defining
///   `LOG_LEVEL` twice; scaled by HPA `web`, 2 to 5, at its maximum), `batch` (paused,
///   its template never rolled out), `worker` (scaled by two HPAs);
/// - StatefulSet `db` (3 replicas, claim template `data` of 10Gi in class `standard`)
///   and `cache` (1 replica, Parallel, claims deleted when scaled);
/// - StorageClasses `standard` (default, expandable) and `slow` (not expandable); claims
///   `uploads` (10Gi, `standard`), `archive` (100Gi, `slow`), `scratch` (5Gi, no class),
///   `pending` (Pending), `resizing` (an expansion in progress), `static` (class `""`);
/// - Jobs `db-migrate` (failed), `db-migrate-retry-1` (an earlier retry, complete),
///   `report-28990020` (failed, owned by CronJob `report`), `nightly` (complete),
///   `import` (running); CronJobs `report` (active) and `cleanup` (suspended).
///
/// A failed Job alert.
pub const WORKLOADS: Scenario = Scenario {
    objects: include_str!("clusters/workloads.yaml"),
    alert: Alert {
        name: "KubeJobFailed",
        summary: "Job failed to complete.",
        fingerprint: "0f1e2d3c4b5a6978",
    },
    settings: ActionSettings::default,
};

/// Nodes `worker-1` and `worker-2` (Ready, no taints; `worker-2` has no `spec` at all).
/// On `worker-1`: the two pods of Deployment `shop/api` (covered by PodDisruptionBudget
/// `shop/api`, minAvailable 1); the pod of ReplicaSet `shop/cache-7d` (an emptyDir
/// volume, tolerating `medic.dev/unhealthy:NoExecute` for 300s); a finished pod of Job
/// `shop/migrate`; the mirror pod `kube-system/kube-proxy-worker-1` (tolerating
/// everything). DaemonSet `kube-system/node-exporter` runs a pod on each node. A node
/// not ready alert.
pub const NODES: Scenario = Scenario {
    objects: include_str!("clusters/nodes.yaml"),
    alert: Alert {
        name: "KubeNodeNotReady",
        summary: "Node is not ready.",
        fingerprint: "5e4d3c2b1a098765",
    },
    settings: ActionSettings::default,
};
