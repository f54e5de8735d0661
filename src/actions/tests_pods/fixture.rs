//! The cluster, incident and helpers shared by the tests of the pod and generic actions
//! (`tests_pods`, `tests_generic`, `tests_pods_kube`).

use jiff::Timestamp;
use serde_json::Value;

use crate::actions::generic::plan_collect_diagnostics_at;
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::pods::plan_delete_stuck_pods_at;
use crate::actions::settings::ExecSpec;
use crate::actions::*;
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, OperationResult};
use crate::context::Context;
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};

/// The instant the fixture is written at, and the clock of every test.
pub const NOW: &str = "2025-03-01T12:00:00Z";

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
pub const CLUSTER: &str = r#"
apiVersion: medic.dev/v1alpha1
kind: FixtureClock
now: "2025-03-01T12:00:00Z"
---
apiVersion: v1
kind: Node
metadata: {name: worker-1, uid: uid-worker-1}
status:
  allocatable: {cpu: "16", memory: 32Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Node
metadata: {name: worker-2, uid: uid-worker-2}
status:
  allocatable: {cpu: "16", memory: 32Gi, pods: "110"}
  conditions: [{type: Ready, status: Unknown, reason: NodeStatusUnknown}]
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
  uid: uid-x7k2p
  resourceVersion: "501"
  creationTimestamp: "2025-02-20T09:00:00Z"
  labels: {app: api, pod-template-hash: 6b9c4}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6b9c4, uid: uid-api-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: api, image: "shop/api:1.4"}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: api, image: "shop/api:1.4", imageID: "", ready: true, restartCount: 3, state: {running: {startedAt: "2025-03-01T11:50:00Z"}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6b9c4-q9m4t
  namespace: shop
  uid: uid-q9m4t
  creationTimestamp: "2025-02-20T09:00:00Z"
  labels: {app: api, pod-template-hash: 6b9c4}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6b9c4, uid: uid-api-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: api, image: "shop/api:1.4"}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: api, image: "shop/api:1.4", imageID: "", ready: true, restartCount: 0, state: {running: {startedAt: "2025-02-20T09:00:10Z"}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6b9c4-zz9f8
  namespace: shop
  uid: uid-zz9f8
  creationTimestamp: "2025-02-20T09:00:00Z"
  deletionTimestamp: "2025-03-01T11:50:00Z"
  deletionGracePeriodSeconds: 30
  labels: {app: api, pod-template-hash: 6b9c4}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6b9c4, uid: uid-api-rs, controller: true}]
spec:
  nodeName: worker-2
  containers:
  - {name: api, image: "shop/api:1.4"}
status:
  phase: Running
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6b9c4-w4x5z
  namespace: shop
  uid: uid-w4x5z
  creationTimestamp: "2025-02-20T09:00:00Z"
  deletionTimestamp: "2025-03-01T11:59:30Z"
  deletionGracePeriodSeconds: 30
  labels: {app: api, pod-template-hash: 6b9c4}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6b9c4, uid: uid-api-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: api, image: "shop/api:1.4"}
status:
  phase: Running
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: external-db, namespace: shop}
spec:
  ports: [{port: 5432}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api-pdb, namespace: shop}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: api}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
---
apiVersion: v1
kind: Event
metadata: {name: api-6b9c4-x7k2p.1, namespace: shop}
involvedObject: {apiVersion: v1, kind: Pod, name: api-6b9c4-x7k2p, namespace: shop, uid: uid-x7k2p}
type: Warning
reason: BackOff
message: Back-off restarting failed container api
count: 3
firstTimestamp: "2025-03-01T11:40:00Z"
lastTimestamp: "2025-03-01T11:49:00Z"
---
apiVersion: v1
kind: Event
metadata: {name: api-6b9c4-x7k2p.2, namespace: shop}
involvedObject: {apiVersion: v1, kind: Pod, name: api-6b9c4-x7k2p, namespace: shop, uid: uid-x7k2p}
type: Normal
reason: Started
message: Started container api
count: 4
firstTimestamp: "2025-03-01T11:00:00Z"
lastTimestamp: "2025-03-01T11:50:00Z"
---
apiVersion: medic.dev/v1alpha1
kind: ContainerLogs
logs:
  shop/api-6b9c4-x7k2p/api: |
    started
    ERROR connection refused: db:5432
---
apiVersion: medic.dev/v1alpha1
kind: ContainerExec
outputs:
  shop/api-6b9c4-x7k2p/api:
    jcmd 1 Thread.print: |
      Full thread dump OpenJDK 64-Bit Server VM:
      "main" #1 prio=5 RUNNABLE
    pg_isready -h db: {output: "db:5432 - no response\n", exitCode: 2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: uid-web, annotations: {deployment.kubernetes.io/revision: "1"}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: "shop/web:2.0"}
      - {name: proxy, image: "envoyproxy/envoy:v1.30"}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7d9f8
  namespace: shop
  uid: uid-web-rs
  labels: {app: web, pod-template-hash: 7d9f8}
  annotations: {deployment.kubernetes.io/revision: "1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: uid-web, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: web, pod-template-hash: 7d9f8}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 7d9f8}}
    spec:
      containers:
      - {name: app, image: "shop/web:2.0"}
      - {name: proxy, image: "envoyproxy/envoy:v1.30"}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f8-abcde
  namespace: shop
  uid: uid-abcde
  labels: {app: web, pod-template-hash: 7d9f8}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f8, uid: uid-web-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: app, image: "shop/web:2.0"}
  - {name: proxy, image: "envoyproxy/envoy:v1.30"}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: app, image: "shop/web:2.0", imageID: "", ready: true, restartCount: 0, state: {running: {startedAt: "2025-02-21T09:00:00Z"}}}
  - {name: proxy, image: "envoyproxy/envoy:v1.30", imageID: "", ready: true, restartCount: 0, state: {running: {startedAt: "2025-02-21T09:00:00Z"}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f8-fghij
  namespace: shop
  uid: uid-fghij
  labels: {app: web, pod-template-hash: 7d9f8}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f8, uid: uid-web-rs, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: app, image: "shop/web:2.0"}
  - {name: proxy, image: "envoyproxy/envoy:v1.30"}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: app, image: "shop/web:2.0", imageID: "", ready: true, restartCount: 0, state: {running: {startedAt: "2025-02-21T09:00:00Z"}}}
  - {name: proxy, image: "envoyproxy/envoy:v1.30", imageID: "", ready: true, restartCount: 0, state: {running: {startedAt: "2025-02-21T09:00:00Z"}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, uid: uid-db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: "postgres:16"}
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: shop
  uid: uid-db-0
  deletionTimestamp: "2025-03-01T10:00:00Z"
  deletionGracePeriodSeconds: 30
  finalizers: [example.com/backup]
  labels: {app: db, statefulset.kubernetes.io/pod-name: db-0}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: uid-db, controller: true}]
spec:
  nodeName: worker-2
  containers:
  - {name: db, image: "postgres:16"}
status:
  phase: Running
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, uid: uid-debug}
spec:
  nodeName: worker-1
  containers:
  - {name: shell, image: "busybox:1.36"}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: shell, image: "busybox:1.36", imageID: "", ready: true, restartCount: 0, state: {running: {startedAt: "2025-03-01T11:00:00Z"}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-proxy-worker-1
  namespace: shop
  uid: uid-kube-proxy
  labels: {k8s-app: kube-proxy}
  ownerReferences: [{apiVersion: v1, kind: Node, name: worker-1, uid: uid-worker-1, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - {name: kube-proxy, image: "registry.k8s.io/kube-proxy:v1.30.0"}
status:
  phase: Running
---
apiVersion: v1
kind: Pod
metadata: {name: pending, namespace: shop, uid: uid-pending, labels: {app: pending}}
spec:
  containers:
  - {name: app, image: "shop/app:1"}
status:
  phase: Pending
---
apiVersion: v1
kind: Pod
metadata: {name: crashing, namespace: shop, uid: uid-crashing, labels: {app: crashing}}
spec:
  nodeName: worker-1
  containers:
  - {name: app, image: "shop/app:1"}
status:
  phase: Running
  containerStatuses:
  - {name: app, image: "shop/app:1", imageID: "", ready: false, restartCount: 9, state: {waiting: {reason: CrashLoopBackOff}}}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: shop, uid: uid-done}
spec:
  containers:
  - {name: app, image: "shop/app:1"}
status:
  phase: Succeeded
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-flags, namespace: shop, resourceVersion: "700", uid: uid-flags}
data: {FEATURE_X: "on", TIMEOUT: "30s"}
---
apiVersion: v1
kind: Secret
metadata: {name: api-token, namespace: shop}
data: {token: c2VjcmV0}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: gadget, namespace: shop, resourceVersion: "800"}
spec: {size: 3, color: blue}
"#;

/// [`NOW`] as a timestamp.
pub fn now() -> Timestamp {
    NOW.parse().expect("NOW is a timestamp")
}

/// A reference in namespace `shop`.
pub fn shop(kind: &str, name: &str) -> ObjectRef {
    ObjectRef::namespaced(kind, "shop", name)
}

/// The cluster, an incident about one of its objects, and the planning inputs.
pub struct Fixture {
    /// The simulated cluster.
    pub cluster: SimCluster,
    /// The incident.
    pub incident: Incident,
    /// Its context (empty: planners read the cluster).
    pub context: Context,
    /// Bounds (defaults).
    pub bounds: Bounds,
    /// Settings: `patchable_kinds` ConfigMap and `example.com/Widget`; exec commands
    /// `thread-dump`, `db-check`, `heap-histogram` (not answered in the fixture) and
    /// `broken` (empty argv).
    pub settings: ActionSettings,
}

impl Fixture {
    /// The cluster with an alert about the `kind` object `name` in `shop`.
    pub fn alert_on(kind: TargetKind, name: &str) -> Fixture {
        let mut settings = ActionSettings {
            patchable_kinds: vec!["ConfigMap".into(), "example.com/Widget".into()],
            ..ActionSettings::default()
        };
        let spec = |argv: &[&str], timeout: Option<u64>, bytes: Option<usize>| ExecSpec {
            command: argv.iter().map(|s| s.to_string()).collect(),
            timeout_seconds: timeout,
            max_output_bytes: bytes,
        };
        settings.exec_commands = [
            (
                "thread-dump".to_string(),
                spec(&["jcmd", "1", "Thread.print"], None, None),
            ),
            (
                "db-check".to_string(),
                spec(&["pg_isready", "-h", "db"], Some(5), Some(4096)),
            ),
            ("heap-histogram".to_string(), spec(&["jmap", "-histo", "1"], None, None)),
            ("broken".to_string(), spec(&[], None, None)),
        ]
        .into_iter()
        .collect();
        Fixture {
            cluster: SimCluster::from_yaml_at(CLUSTER, now()).expect("the fixture loads"),
            incident: incident(Some(TargetRef {
                kind,
                namespace: (kind != TargetKind::Node).then(|| "shop".into()),
                name: name.into(),
                container: None,
            })),
            context: Context::default(),
            bounds: Bounds::default(),
            settings,
        }
    }

    /// The alert names a container too.
    pub fn naming_container(mut self, container: &str) -> Fixture {
        if let Some(t) = self.incident.target.as_mut() {
            t.container = Some(container.into());
        }
        self
    }

    /// The planning input, with `target` as the decision's target.
    pub fn input<'a>(&'a self, target: Option<&'a ObjectRef>) -> PlanInput<'a> {
        PlanInput {
            incident: &self.incident,
            context: &self.context,
            target,
            cluster: &self.cluster,
            bounds: &self.bounds,
            settings: &self.settings,
        }
    }

    /// Plans `action` on the incident's target, with the clock at [`NOW`].
    pub async fn plan(&self, action: &Action) -> Result<Plan, ActionError> {
        self.plan_on(action, None).await
    }

    /// Plans `action` with `target` as the decision's target, as [`Action::plan`] does,
    /// with the clock at [`NOW`] for the actions that read it.
    pub async fn plan_on(&self, action: &Action, target: Option<&ObjectRef>) -> Result<Plan, ActionError> {
        let input = self.input(target);
        match action {
            Action::DeleteStuckPods(p) => {
                action.validate(input.bounds)?;
                let target = crate::actions::target::resolve(action.kind(), &input)?;
                plan_delete_stuck_pods_at(p, target.as_ref(), &input, now()).await
            }
            Action::CollectDiagnostics(p) => {
                action.validate(input.bounds)?;
                let target = crate::actions::target::resolve(action.kind(), &input)?;
                plan_collect_diagnostics_at(p, target.as_ref(), &input, now()).await
            }
            other => other.plan(&input).await,
        }
    }

    /// Applies every operation of the plan, in order, and returns the API's answers.
    pub async fn apply(&self, plan: &Plan) -> Vec<OperationResult> {
        let mut results = Vec::new();
        for op in &plan.operations {
            let result = self
                .cluster
                .apply(op)
                .await
                .unwrap_or_else(|e| panic!("applying {} failed: {e}", op.describe()));
            results.push(result);
        }
        results
    }

    /// Applies the plan's only operation, returning the API's answer or error.
    pub async fn try_apply(&self, plan: &Plan) -> Result<OperationResult, ClusterError> {
        assert_eq!(plan.operations.len(), 1, "{:?}", plan.operations);
        self.cluster.apply(&plan.operations[0]).await
    }

    /// Reads one object.
    pub async fn get(&self, r: &ObjectRef) -> Option<Object> {
        self.cluster.get(r).await.expect("the simulated cluster answers")
    }

    /// The pods of `shop` matching `selector`, by name.
    pub async fn pods(&self, selector: &str) -> Vec<Object> {
        let mut pods = self
            .cluster
            .list(&Kind::of("Pod"), Some("shop"), Some(selector))
            .await
            .expect("the simulated cluster answers");
        pods.sort_by(|a, b| a.name().cmp(b.name()));
        pods
    }
}

/// An incident about `target`.
pub fn incident(target: Option<TargetRef>) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: "0f1e2d3c4b5a6978".into(),
        status: AlertStatus::Firing,
        alertname: "KubePodCrashLooping".into(),
        severity: Some("warning".into()),
        labels: Labels::new(),
        annotations: [("summary".to_string(), "Pod is crash looping.".to_string())]
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

/// An action from its name and parameters, which must be valid.
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

/// The field and message of an `InvalidParams`, or a panic naming what came instead.
pub fn invalid_params(result: Result<Plan, ActionError>) -> (String, String) {
    match result {
        Err(ActionError::InvalidParams { field, message, .. }) => (field, message),
        other => panic!("expected InvalidParams, got {other:?}"),
    }
}
