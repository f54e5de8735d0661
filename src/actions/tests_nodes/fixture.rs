//! The two-node cluster, the incident and the helpers of the node and notify tests.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use crate::actions::plan::{Plan, PlanInput};
use crate::actions::settings::{NotifyChannel, NotifyFormat};
use crate::actions::{Action, ActionError, ActionSettings, Bounds};
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, Kind, Object, ObjectRef};
use crate::context::Context;
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};

/// The instant the fixture is written at, and the clock of every test.
pub const NOW: &str = "2025-03-01T12:00:00Z";

/// Nodes `worker-1` and `worker-2` (Ready, no taints; `worker-2` has no `spec` at all). On `worker-1`: the two pods of
/// Deployment `shop/api` (covered by PodDisruptionBudget `shop/api`, minAvailable 1);
/// the pod of ReplicaSet `shop/cache-7d` (an emptyDir volume, tolerating
/// `medic.dev/unhealthy:NoExecute` for 300s); a finished pod of Job `shop/migrate`; the
/// mirror pod `kube-system/kube-proxy-worker-1` (tolerating everything). DaemonSet
/// `kube-system/node-exporter` runs a pod on each node.
pub const NODES: &str = r#"
apiVersion: medic.dev/v1alpha1
kind: FixtureClock
now: "2025-03-01T12:00:00Z"
---
apiVersion: v1
kind: Node
metadata: {name: worker-1, uid: uid-worker-1, labels: {kubernetes.io/hostname: worker-1}}
spec: {podCIDR: 10.244.1.0/24}
status:
  allocatable: {cpu: "8", memory: 16Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Node
metadata: {name: worker-2, uid: uid-worker-2, labels: {kubernetes.io/hostname: worker-2}}
status:
  allocatable: {cpu: "8", memory: 16Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  uid: uid-api
  annotations: {deployment.kubernetes.io/revision: "1"}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: "shop/api:1.4"}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-6b9c4
  namespace: shop
  uid: uid-api-rs
  labels: {app: api, pod-template-hash: 6b9c4}
  annotations: {deployment.kubernetes.io/revision: "1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: uid-api, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: api, pod-template-hash: 6b9c4}}
  template:
    metadata: {labels: {app: api, pod-template-hash: 6b9c4}}
    spec:
      containers:
      - {name: api, image: "shop/api:1.4"}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6b9c4-x7k2p
  namespace: shop
  uid: uid-api-1
  labels: {app: api, pod-template-hash: 6b9c4}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6b9c4, uid: uid-api-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: api, image: "shop/api:1.4"}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6b9c4-q9m4t
  namespace: shop
  uid: uid-api-2
  labels: {app: api, pod-template-hash: 6b9c4}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6b9c4, uid: uid-api-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: api, image: "shop/api:1.4"}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: api}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache-7d, namespace: shop, uid: uid-cache-rs, labels: {app: cache}}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers:
      - name: cache
        image: "redis:7"
        volumeMounts: [{name: scratch, mountPath: /data}]
      volumes: [{name: scratch, emptyDir: {}}]
      tolerations:
      - {key: medic.dev/unhealthy, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
---
apiVersion: v1
kind: Pod
metadata:
  name: cache-7d-m2m5z
  namespace: shop
  uid: uid-cache-1
  labels: {app: cache}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: cache-7d, uid: uid-cache-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - name: cache
    image: "redis:7"
    volumeMounts: [{name: scratch, mountPath: /data}]
  volumes: [{name: scratch, emptyDir: {}}]
  tolerations:
  - {key: medic.dev/unhealthy, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata:
  name: migrate-8xk2d
  namespace: shop
  uid: uid-migrate
  labels: {job-name: migrate}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: migrate, uid: uid-migrate-job, controller: true}]
spec:
  nodeName: worker-1
  restartPolicy: Never
  containers:
  - {name: migrate, image: "shop/migrate:1.4"}
status:
  phase: Succeeded
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-proxy-worker-1
  namespace: kube-system
  uid: uid-kube-proxy
  annotations: {kubernetes.io/config.mirror: 3f1c2a, kubernetes.io/config.source: file}
  ownerReferences: [{apiVersion: v1, kind: Node, name: worker-1, uid: uid-worker-1, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: kube-proxy, image: "registry.k8s.io/kube-proxy:v1.34.2"}
  tolerations: [{operator: Exists}]
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: kube-system, uid: uid-node-exporter}
spec:
  selector: {matchLabels: {app: node-exporter}}
  template:
    metadata: {labels: {app: node-exporter}}
    spec:
      containers:
      - {name: node-exporter, image: "prom/node-exporter:v1.8.2"}
"#;

/// The fixture's clock.
pub fn now() -> Timestamp {
    NOW.parse().expect("valid instant")
}

/// A node by name.
pub fn node(name: &str) -> ObjectRef {
    ObjectRef::cluster_scoped("Node", name)
}

/// A cluster, an incident about one of its objects, its context, bounds and settings.
pub struct Fixture {
    /// The simulated cluster.
    pub cluster: Arc<SimCluster>,
    /// The incident.
    pub incident: Incident,
    /// Its (empty) context.
    pub context: Context,
    /// The bounds.
    pub bounds: Bounds,
    /// The action settings (notify channels).
    pub settings: ActionSettings,
}

impl Fixture {
    /// The two-node cluster with an alert about node `name`.
    pub fn alert_on_node(name: &str) -> Fixture {
        Fixture::alert_on(TargetKind::Node, None, name)
    }

    /// The two-node cluster with an alert about `kind` `namespace/name`.
    pub fn alert_on(kind: TargetKind, namespace: Option<&str>, name: &str) -> Fixture {
        Fixture {
            cluster: Arc::new(SimCluster::from_yaml_at(NODES, now()).expect("the fixture loads")),
            incident: incident(Some(TargetRef {
                kind,
                namespace: namespace.map(str::to_string),
                name: name.into(),
                container: None,
            })),
            context: Context::default(),
            bounds: Bounds::default(),
            settings: ActionSettings::default(),
        }
    }

    /// Adds a notify channel.
    pub fn with_channel(mut self, name: &str, format: NotifyFormat, on_escalate: bool) -> Fixture {
        self.settings.notify.push(NotifyChannel {
            name: name.into(),
            url_env: None,
            url: Some(format!("http://127.0.0.1:9/{name}")),
            format,
            on_escalate,
        });
        self
    }

    /// What planning reads, with `target` as the decision's target.
    pub fn input<'a>(&'a self, target: Option<&'a ObjectRef>) -> PlanInput<'a> {
        PlanInput {
            incident: &self.incident,
            context: &self.context,
            target,
            cluster: self.cluster.as_ref(),
            bounds: &self.bounds,
            settings: &self.settings,
        }
    }

    /// Plans `action` on the incident's target.
    pub async fn plan(&self, action: &Action) -> Result<Plan, ActionError> {
        action.plan(&self.input(None)).await
    }

    /// Plans `action` with `target` as the decision's target.
    pub async fn plan_on(&self, action: &Action, target: &ObjectRef) -> Result<Plan, ActionError> {
        action.plan(&self.input(Some(target))).await
    }

    /// Applies every operation of the plan, in order.
    pub async fn apply(&self, plan: &Plan) {
        for op in &plan.operations {
            self.cluster
                .apply(op)
                .await
                .unwrap_or_else(|e| panic!("applying {} failed: {e}", op.describe()));
        }
    }

    /// A node as it is now.
    pub async fn node(&self, name: &str) -> Object {
        self.cluster.get(&node(name)).await.unwrap().expect("the node exists")
    }

    /// `namespace/name` of every pod on node `name`, sorted.
    pub async fn pods_on(&self, name: &str) -> Vec<String> {
        let mut pods: Vec<String> = self
            .cluster
            .list(&Kind::of("Pod"), None, None)
            .await
            .unwrap()
            .iter()
            .filter(|p| p.0.pointer("/spec/nodeName").and_then(Value::as_str) == Some(name))
            .map(|p| format!("{}/{}", p.namespace().unwrap_or_default(), p.name()))
            .collect();
        pods.sort();
        pods
    }
}

/// An incident from Alertmanager about `target`.
pub fn incident(target: Option<TargetRef>) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: "5e4d3c2b1a098765".into(),
        status: AlertStatus::Firing,
        alertname: "KubeNodeNotReady".into(),
        severity: Some("warning".into()),
        labels: Labels::new(),
        annotations: [("summary".to_string(), "Node is not ready.".to_string())]
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

/// An action from its name and parameters.
pub fn action(name: &str, params: Value) -> Action {
    Action::from_parts(name, params).expect("valid action")
}

/// The target and reason of a `NotApplicable`, or a panic naming what came instead.
pub fn not_applicable(result: Result<Plan, ActionError>) -> (String, String) {
    match result {
        Err(ActionError::NotApplicable { target, reason, .. }) => (target, reason),
        other => panic!("expected NotApplicable, got {other:?}"),
    }
}
