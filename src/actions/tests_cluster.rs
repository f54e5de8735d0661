//! The cluster, incidents and helpers shared by the tests of the rollout, scaling,
//! environment, storage and batch actions (`tests_workloads`, `tests_batch`,
//! `tests_kube_calls`).

use jiff::Timestamp;
use serde_json::Value;

use super::plan::{Plan, PlanInput};
use super::*;
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, Kind, Object, ObjectRef, Operation, PatchBody};
use crate::context::Context;
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};

/// The instant the fixture is written at, and the clock of every test.
pub const NOW: &str = "2025-03-01T12:00:00Z";

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
pub const CLUSTER: &str = r#"
apiVersion: medic.dev/v1alpha1
kind: FixtureClock
now: "2025-03-01T12:00:00Z"
---
apiVersion: v1
kind: Node
metadata: {name: worker-1}
status:
  allocatable: {cpu: "32", memory: 64Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, uid: uid-api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: shop/api:1.4
        env:
        - {name: LOG_LEVEL, value: info}
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: uid-web}
spec:
  replicas: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: shop/web:2.0
        envFrom: [{configMapRef: {name: web-config}}]
      - name: proxy
        image: envoyproxy/envoy:v1.30
        env:
        - {name: LOG_LEVEL, value: info}
        - {name: LOG_LEVEL, value: warn}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop, uid: uid-hpa-web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
status:
  currentReplicas: 5
  desiredReplicas: 5
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: shop, uid: uid-batch}
spec:
  paused: true
  replicas: 1
  selector: {matchLabels: {app: batch}}
  template:
    metadata: {labels: {app: batch}}
    spec:
      containers:
      - {name: batch, image: "shop/batch:1.1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: shop, uid: uid-worker}
spec:
  replicas: 2
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - {name: worker, image: "shop/worker:3.2"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker-cpu, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  maxReplicas: 10
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker-queue, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  maxReplicas: 20
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ebs.csi.aws.com
allowVolumeExpansion: true
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: slow}
provisioner: kubernetes.io/no-provisioner
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, uid: uid-db}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: postgres:16
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: standard
      resources: {requests: {storage: 10Gi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: shop, uid: uid-cache}
spec:
  replicas: 1
  serviceName: cache
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenScaled: Delete, whenDeleted: Retain}
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers:
      - {name: redis, image: "redis:7"}
  volumeClaimTemplates:
  - metadata: {name: cache}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads, namespace: shop, uid: uid-uploads}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  volumeName: pvc-uploads
  resources: {requests: {storage: 10Gi}}
status:
  phase: Bound
  accessModes: [ReadWriteOnce]
  capacity: {storage: 10Gi}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: archive, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: slow
  resources: {requests: {storage: 100Gi}}
status:
  phase: Bound
  capacity: {storage: 100Gi}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
status:
  phase: Bound
  capacity: {storage: 5Gi}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pending, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 5Gi}}
status:
  phase: Pending
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: resizing, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 20Gi}}
status:
  phase: Bound
  capacity: {storage: 20Gi}
  conditions:
  - {type: FileSystemResizePending, status: "True", message: Waiting for user to (re-)start a pod to finish file system resize of volume on node.}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: nfs-share
  resources: {requests: {storage: 50Gi}}
status:
  phase: Bound
  capacity: {storage: 50Gi}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: db-migrate
  namespace: shop
  uid: uid-migrate
  creationTimestamp: "2025-03-01T11:00:00Z"
  labels:
    app: db-migrate
    batch.kubernetes.io/controller-uid: uid-migrate
    batch.kubernetes.io/job-name: db-migrate
    controller-uid: uid-migrate
    job-name: db-migrate
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Job"}'
    team: payments
spec:
  backoffLimit: 2
  completions: 1
  parallelism: 1
  selector:
    matchLabels: {batch.kubernetes.io/controller-uid: uid-migrate}
  template:
    metadata:
      labels:
        app: db-migrate
        batch.kubernetes.io/controller-uid: uid-migrate
        batch.kubernetes.io/job-name: db-migrate
        controller-uid: uid-migrate
        job-name: db-migrate
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: shop/migrate:7
        args: [up]
status:
  failed: 3
  startTime: "2025-03-01T11:00:00Z"
  conditions:
  - type: Failed
    status: "True"
    reason: BackoffLimitExceeded
    message: Job has reached the specified backoff limit
    lastTransitionTime: "2025-03-01T11:05:00Z"
---
apiVersion: batch/v1
kind: Job
metadata:
  name: db-migrate-retry-1
  namespace: shop
  annotations: {medic.dev/retry-of: db-migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "shop/migrate:7", args: [up]}]
status:
  succeeded: 1
  conditions: [{type: Complete, status: "True"}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: report-28990020
  namespace: shop
  uid: uid-report-run
  labels: {batch.kubernetes.io/controller-uid: uid-report-run, batch.kubernetes.io/job-name: report-28990020}
  ownerReferences:
  - {apiVersion: batch/v1, kind: CronJob, name: report, uid: uid-report, controller: true, blockOwnerDeletion: true}
spec:
  backoffLimit: 0
  selector:
    matchLabels: {batch.kubernetes.io/controller-uid: uid-report-run}
  template:
    metadata:
      labels: {batch.kubernetes.io/controller-uid: uid-report-run, batch.kubernetes.io/job-name: report-28990020}
    spec:
      restartPolicy: OnFailure
      containers: [{name: report, image: "shop/report:2"}]
status:
  failed: 1
  conditions: [{type: Failed, status: "True", reason: DeadlineExceeded}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: nightly, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: nightly, image: "shop/nightly:1"}]
status:
  succeeded: 1
  conditions: [{type: Complete, status: "True"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: import, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: import, image: "shop/import:1"}]
status:
  active: 1
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop, uid: uid-report}
spec:
  schedule: "20 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: "shop/report:2"}]
status:
  active:
  - {apiVersion: batch/v1, kind: Job, name: report-28990080, namespace: shop}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup, namespace: shop}
spec:
  schedule: "0 3 * * *"
  suspend: true
  startingDeadlineSeconds: 300
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: cleanup, image: "shop/cleanup:1"}]
"#;

/// The fixed clock.
pub fn now() -> Timestamp {
    NOW.parse().expect("NOW is a timestamp")
}

/// A namespaced reference in `shop`.
pub fn shop(kind: &str, name: &str) -> ObjectRef {
    ObjectRef::namespaced(kind, "shop", name)
}

/// A cluster, an incident, its context, bounds and action settings.
pub struct Fixture {
    /// The simulated cluster, loaded from [`CLUSTER`].
    pub cluster: SimCluster,
    /// The incident being remedied.
    pub incident: Incident,
    /// Its context (empty: planners follow owners through the cluster).
    pub context: Context,
    /// Parameter bounds.
    pub bounds: Bounds,
    /// Settings of the configurable actions.
    pub settings: ActionSettings,
}

impl Fixture {
    /// The cluster with an alert about `kind/shop/name`.
    pub fn alert_on(kind: TargetKind, name: &str) -> Fixture {
        Fixture {
            cluster: SimCluster::from_yaml_at(CLUSTER, now()).expect("the fixture loads"),
            incident: incident(Some(TargetRef {
                kind,
                namespace: Some("shop".into()),
                name: name.into(),
                container: None,
            })),
            context: Context::default(),
            bounds: Bounds::default(),
            settings: ActionSettings::default(),
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

    /// Reads an object.
    pub async fn get(&self, r: &ObjectRef) -> Option<Object> {
        self.cluster.get(r).await.expect("the simulated cluster answers")
    }

    /// The pods of `shop` with label `app`.
    pub async fn pods(&self, app: &str) -> Vec<Object> {
        self.cluster
            .list(&Kind::of("Pod"), Some("shop"), Some(&format!("app={app}")))
            .await
            .expect("the simulated cluster answers")
    }
}

/// An incident about `target`, fingerprint `0f1e2d3c4b5a6978`, starting at [`NOW`].
pub fn incident(target: Option<TargetRef>) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: "0f1e2d3c4b5a6978".into(),
        status: AlertStatus::Firing,
        alertname: "KubeJobFailed".into(),
        severity: Some("warning".into()),
        labels: Labels::new(),
        annotations: [("summary".to_string(), "Job failed to complete.".to_string())]
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

/// The `NotApplicable` target and reason, or a panic naming what came instead.
pub fn not_applicable(result: Result<Plan, ActionError>) -> (String, String) {
    match result {
        Err(ActionError::NotApplicable { target, reason, .. }) => (target, reason),
        other => panic!("expected NotApplicable, got {other:?}"),
    }
}

/// The `InvalidParams` field and message, or a panic naming what came instead.
pub fn invalid_params(result: Result<Plan, ActionError>) -> (String, String) {
    match result {
        Err(ActionError::InvalidParams { field, message, .. }) => (field, message),
        other => panic!("expected InvalidParams, got {other:?}"),
    }
}

/// The `OutOfBounds` field, value and limit, or a panic naming what came instead.
pub fn out_of_bounds(result: Result<Plan, ActionError>) -> (String, String, String) {
    match result {
        Err(ActionError::OutOfBounds {
            field, value, limit, ..
        }) => (field, value, limit),
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
}

/// The one patch a plan makes.
pub fn patch_of(plan: &Plan) -> (&ObjectRef, Option<&str>, &PatchBody) {
    match plan.operations.as_slice() {
        [
            Operation::Patch {
                target,
                subresource,
                patch,
            },
        ] => (target, subresource.as_deref(), patch),
        other => panic!("expected one patch, got {other:?}"),
    }
}

/// The one object a plan creates.
pub fn created_by(plan: &Plan) -> &Object {
    match plan.operations.as_slice() {
        [Operation::Create { object }] => object,
        other => panic!("expected one create, got {other:?}"),
    }
}

/// The container `name` of a workload's pod template.
pub fn container_at<'a>(obj: &'a Object, name: &str) -> &'a Value {
    obj.0
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container {name}"))
}
