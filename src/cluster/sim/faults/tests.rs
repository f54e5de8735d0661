//! The fault model, kind by kind: unhealthy until the right change, and a wrong change
//! has its real effect. Changes are the API calls the actions make.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::*;
use crate::cluster::{Cluster, Object, ObjectRef, Operation, PatchBody};

const NOW: &str = "2026-03-02T10:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

const NODES: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: worker-1}
  status:
    allocatable: {cpu: "8", memory: 32Gi}
    conditions: [{type: Ready, status: "True"}]
- apiVersion: v1
  kind: Node
  metadata: {name: worker-2}
  status:
    allocatable: {cpu: "8", memory: 32Gi}
    conditions: [{type: Ready, status: "True"}]
"#;

/// Deployment `shop/api`, 2 replicas, revision 1, container `api` limited to 256Mi / 500m.
const API: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  uid: d-api
  annotations: {deployment.kubernetes.io/revision: "1"}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: shop/api:1.4.0
        resources:
          requests: {cpu: 250m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d4b9c
  namespace: shop
  creationTimestamp: "2026-02-20T10:00:00Z"
  labels: {app: api, pod-template-hash: 7d4b9c}
  annotations: {deployment.kubernetes.io/revision: "1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-api, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: api, pod-template-hash: 7d4b9c}}
  template:
    metadata: {labels: {app: api, pod-template-hash: 7d4b9c}}
    spec:
      containers:
      - name: api
        image: shop/api:1.4.0
        resources:
          requests: {cpu: 250m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
"#;

fn sim(objects: &str, fault: Fault) -> SimCluster {
    SimCluster::with_faults(&format!("{NODES}---\n{objects}"), now(), &[fault]).unwrap()
}

fn report(sim: &SimCluster) -> FaultReport {
    sim.fault_reports().remove(0)
}

fn advance(sim: &SimCluster, minutes: i64) {
    sim.set_now(now() + SignedDuration::from_mins(minutes));
}

async fn apply(sim: &SimCluster, op: Operation) {
    sim.apply(&op)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", op.describe()));
}

fn pods(sim: &SimCluster, ns: &str) -> Vec<Object> {
    sim.objects()
        .into_iter()
        .filter(|o| o.kind().is("Pod") && o.namespace() == Some(ns))
        .collect()
}

fn container_status<'a>(pod: &'a Object, container: &str) -> &'a Value {
    pod.0["status"]["containerStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == container)
        .unwrap()
}

fn deployment(name: &str) -> ObjectRef {
    ObjectRef::namespaced("Deployment", "shop", name)
}

fn patch(target: ObjectRef, body: Value) -> Operation {
    Operation::Patch {
        target,
        subresource: None,
        patch: PatchBody::Strategic(body),
    }
}

fn set_memory(limit: &str) -> Operation {
    patch(
        deployment("api"),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "resources": {"limits": {"memory": limit}}}]}}}}),
    )
}

fn restart_stamp(at: &str) -> Operation {
    patch(
        deployment("api"),
        json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": at}}}}}),
    )
}

fn delete_pod(pod: &Object, grace: Option<i64>) -> Operation {
    Operation::Delete {
        target: pod.reference(),
        grace_period_seconds: grace,
        uid: pod.uid().map(str::to_string),
    }
}

#[tokio::test]
async fn oom_crash_loops_until_the_memory_limit_rises_by_a_quarter() {
    let sim = sim(
        API,
        Fault::new(FaultKind::Oom, "Deployment", Some("shop"), "api").in_container("api"),
    );
    let before = pods(&sim, "shop");
    assert_eq!(before.len(), 2);
    for pod in &before {
        let c = container_status(pod, "api");
        assert_eq!(c["lastState"]["terminated"]["reason"], "OOMKilled");
        assert_eq!(c["lastState"]["terminated"]["exitCode"], 137);
        assert_eq!(c["state"]["waiting"]["reason"], "CrashLoopBackOff");
    }
    let r = report(&sim);
    assert_eq!(r.resolved, Some(false));
    assert!(r.findings.iter().any(|f| f.contains("0 of 2 pods")), "{:?}", r.findings);

    // A restart gives a new pod that OOMs again.
    apply(&sim, delete_pod(&before[0], None)).await;
    let after = pods(&sim, "shop");
    assert_eq!(after.len(), 2);
    let fresh = after
        .iter()
        .find(|p| p.name() != before[0].name() && p.name() != before[1].name())
        .unwrap();
    assert_eq!(
        container_status(fresh, "api")["lastState"]["terminated"]["reason"],
        "OOMKilled"
    );
    advance(&sim, 6);
    assert!(
        container_status(&pods(&sim, "shop")[0], "api")["restartCount"]
            .as_i64()
            .unwrap()
            >= 2
    );
    assert_eq!(report(&sim).resolved, Some(false));

    // 10% more is not enough; 50% more is.
    apply(&sim, set_memory("281Mi")).await;
    assert_eq!(report(&sim).resolved, Some(false));
    apply(&sim, set_memory("384Mi")).await;
    advance(&sim, 12);
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
    assert!(pods(&sim, "shop").iter().all(|p| {
        p.0["status"]["conditions"]
            .to_string()
            .contains("\"Ready\",\"status\":\"True\"")
            || p.0["status"]["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
    }));
}

#[tokio::test]
async fn cpu_throttling_ends_with_a_higher_cpu_limit_only() {
    let sim = sim(
        API,
        Fault::new(FaultKind::CpuThrottled, "Deployment", Some("shop"), "api").in_container("api"),
    );
    assert_eq!(report(&sim).resolved, Some(false));
    apply(&sim, restart_stamp("2026-03-02T10:01:00Z")).await;
    assert_eq!(report(&sim).resolved, Some(false), "a restart keeps the limit");
    apply(
        &sim,
        patch(
            deployment("api"),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "resources": {"limits": {"cpu": "750m"}}}]}}}}),
        ),
    )
    .await;
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

/// `shop/api` at revision 2 (image 1.5.0, broken), with revision 1's ReplicaSet kept.
fn bad_rollout_objects() -> String {
    format!(
        "{}\n---\n{}",
        API.replace(
            "image: shop/api:1.4.0\n        resources",
            "image: shop/api:1.5.0\n        resources"
        )
        .replacen(
            "deployment.kubernetes.io/revision: \"1\"",
            "deployment.kubernetes.io/revision: \"2\"",
            1
        )
        .split("---")
        .next()
        .unwrap(),
        API.split("---").nth(1).unwrap()
    )
}

#[tokio::test]
async fn bad_rollout_crashes_the_new_revision_until_rolled_back() {
    let sim = sim(
        &bad_rollout_objects(),
        Fault::new(FaultKind::BadRollout, "Deployment", Some("shop"), "api"),
    );
    let all = pods(&sim, "shop");
    let crashing: Vec<&Object> = all
        .iter()
        .filter(|p| container_status(p, "api")["lastState"]["terminated"]["reason"] == "Error")
        .collect();
    assert!(!crashing.is_empty());
    assert!(
        crashing
            .iter()
            .all(|p| p.0["spec"]["containers"][0]["image"] == "shop/api:1.5.0")
    );
    assert_eq!(
        container_status(crashing[0], "api")["lastState"]["terminated"]["exitCode"],
        1
    );
    assert!(
        all.iter()
            .any(|p| p.0["spec"]["containers"][0]["image"] == "shop/api:1.4.0"),
        "the old revision keeps serving while the new one fails"
    );
    assert_eq!(report(&sim).resolved, Some(false));

    // A rollout restart stamps the same broken spec: still crashing.
    apply(&sim, restart_stamp("2026-03-02T10:01:00Z")).await;
    advance(&sim, 11);
    assert_eq!(report(&sim).resolved, Some(false));

    // Rolling back puts the previous revision's template back.
    let old = sim.objects().into_iter().find(|o| o.name() == "api-7d4b9c").unwrap();
    let mut template = old.0["spec"]["template"].clone();
    template["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("pod-template-hash");
    apply(
        &sim,
        Operation::Patch {
            target: deployment("api"),
            subresource: None,
            patch: PatchBody::Json(json!([{"op": "replace", "path": "/spec/template", "value": template}])),
        },
    )
    .await;
    advance(&sim, 22);
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

#[tokio::test]
async fn a_hung_pod_recovers_when_replaced_and_not_when_scaled_around() {
    let probe = SimCluster::from_yaml_at(&format!("{NODES}---\n{API}"), now()).unwrap();
    let victim = pods(&probe, "shop")[0].name().to_string();
    let sim = sim(API, Fault::new(FaultKind::HungProcess, "Pod", Some("shop"), &victim));
    let hung = pods(&sim, "shop").into_iter().find(|p| p.name() == victim).unwrap();
    assert_eq!(container_status(&hung, "api")["ready"], false);
    assert!(container_status(&hung, "api")["state"]["running"].is_object());
    assert_eq!(report(&sim).resolved, Some(false));

    apply(
        &sim,
        Operation::Patch {
            target: deployment("api"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": 3}})),
        },
    )
    .await;
    assert_eq!(report(&sim).resolved, Some(false), "more pods leave the hung one hung");

    apply(&sim, delete_pod(&hung, None)).await;
    advance(&sim, 6);
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

#[tokio::test]
async fn a_memory_leak_needs_a_restart_and_more_memory_only_delays_it() {
    let leak = || Fault::new(FaultKind::MemoryLeak, "Deployment", Some("shop"), "api");
    let sim1 = sim(API, leak());
    assert_eq!(
        container_status(&pods(&sim1, "shop")[0], "api")["lastState"]["terminated"]["reason"],
        "OOMKilled"
    );
    apply(&sim1, set_memory("512Mi")).await;
    advance(&sim1, 6);
    let r = report(&sim1);
    assert_eq!(r.resolved, Some(false));
    assert!(r.findings.iter().any(|f| f.contains("only delays")), "{:?}", r.findings);

    let sim2 = sim(API, leak());
    apply(&sim2, restart_stamp("2026-03-02T10:01:00Z")).await;
    advance(&sim2, 11);
    let r = report(&sim2);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

const WEB: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop, uid: s-web}
spec:
  replicas: 1
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  labels: {app: web, controller-revision-hash: web-1}
  deletionTimestamp: "2026-03-02T09:20:00Z"
  deletionGracePeriodSeconds: 30
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: web, uid: s-web, controller: true}]
spec:
  nodeName: worker-1
  containers: [{name: web, image: nginx:1.27}]
status:
  phase: Running
  conditions: [{type: Ready, status: "False"}]
"#;

#[tokio::test]
async fn stuck_terminating_pods_go_only_when_forced() {
    let sim = sim(
        WEB,
        Fault::new(FaultKind::StuckTerminating, "StatefulSet", Some("shop"), "web"),
    );
    let stuck = pods(&sim, "shop").remove(0);
    assert_eq!(stuck.name(), "web-0");
    assert_eq!(report(&sim).resolved, Some(false));

    apply(&sim, delete_pod(&stuck, None)).await;
    assert!(
        pods(&sim, "shop")[0].0["metadata"]["deletionTimestamp"].is_string(),
        "a graceful delete waits"
    );
    apply(
        &sim,
        Operation::Evict {
            namespace: "shop".into(),
            pod: "web-0".into(),
            wait_seconds: None,
        },
    )
    .await;
    assert_eq!(report(&sim).resolved, Some(false));

    apply(&sim, delete_pod(&stuck, Some(0))).await;
    let recreated = pods(&sim, "shop").remove(0);
    assert_eq!(recreated.name(), "web-0");
    assert!(recreated.0["metadata"].get("deletionTimestamp").is_none());
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

#[tokio::test]
async fn a_lost_node_needs_a_cordon_and_its_pods_move() {
    let sim = sim(API, Fault::new(FaultKind::NodeNotReady, "Node", None, "worker-1"));
    let node = sim.objects().into_iter().find(|o| o.name() == "worker-1").unwrap();
    let ready = node.0["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["status"], "Unknown");
    let on_node = |sim: &SimCluster| {
        pods(sim, "shop")
            .into_iter()
            .filter(|p| p.0["spec"]["nodeName"] == "worker-1")
            .count()
    };
    assert!(
        on_node(&sim) > 0,
        "pods scheduled before the node was lost stay there at first"
    );
    assert_eq!(report(&sim).resolved, Some(false));
    advance(&sim, 6);
    assert_eq!(on_node(&sim), 0, "evicted after the not-ready tolerations ran out");
    let r = report(&sim);
    assert_eq!(r.resolved, Some(false), "still schedulable: the alert keeps firing");
    assert!(
        r.findings.iter().any(|f| f.contains("still schedulable")),
        "{:?}",
        r.findings
    );

    apply(
        &sim,
        patch(
            ObjectRef::cluster_scoped("Node", "worker-1"),
            json!({"spec": {"unschedulable": true}}),
        ),
    )
    .await;
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

const CLAIM: &str = r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard}
provisioner: ebs.csi.aws.com
allowVolumeExpansion: true
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-db-0, namespace: shop}
spec:
  storageClassName: standard
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
status:
  phase: Bound
  capacity: {storage: 10Gi}
"#;

fn resize(size: &str) -> Operation {
    Operation::Patch {
        target: ObjectRef::namespaced("PersistentVolumeClaim", "shop", "data-db-0"),
        subresource: None,
        patch: PatchBody::Merge(json!({"spec": {"resources": {"requests": {"storage": size}}}})),
    }
}

#[tokio::test]
async fn a_full_volume_needs_enough_expansion() {
    let sim1 = sim(
        CLAIM,
        Fault::new(FaultKind::PvcFull, "PersistentVolumeClaim", Some("shop"), "data-db-0"),
    );
    assert_eq!(report(&sim1).resolved, Some(false));
    apply(&sim1, resize("10.5Gi")).await;
    assert_eq!(report(&sim1).resolved, Some(false), "5% more leaves it 92% full");
    apply(&sim1, resize("15Gi")).await;
    let r = report(&sim1);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

const HPA: &str = r#"
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 2
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
status:
  currentReplicas: 2
  desiredReplicas: 2
  currentMetrics:
  - type: Resource
    resource: {name: cpu, current: {averageUtilization: 140}}
"#;

fn hpa_objects() -> String {
    format!("{API}\n---\n{HPA}")
}

#[tokio::test]
async fn a_maxed_hpa_wins_against_manual_scaling_and_yields_to_a_higher_max() {
    let sim = sim(
        &hpa_objects(),
        Fault::new(FaultKind::HpaMaxed, "HorizontalPodAutoscaler", Some("shop"), "api"),
    );
    assert_eq!(report(&sim).resolved, Some(false));
    apply(
        &sim,
        Operation::Patch {
            target: deployment("api"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": 4}})),
        },
    )
    .await;
    assert_eq!(
        pods(&sim, "shop").len(),
        2,
        "the HPA scales its Deployment back to maxReplicas"
    );
    assert_eq!(report(&sim).resolved, Some(false));

    apply(
        &sim,
        patch(
            ObjectRef::namespaced("HorizontalPodAutoscaler", "shop", "api"),
            json!({"spec": {"maxReplicas": 3}}),
        ),
    )
    .await;
    assert_eq!(report(&sim).resolved, Some(false), "the load needs 4");
    apply(
        &sim,
        patch(
            ObjectRef::namespaced("HorizontalPodAutoscaler", "shop", "api"),
            json!({"spec": {"maxReplicas": 6}}),
        ),
    )
    .await;
    assert_eq!(pods(&sim, "shop").len(), 4);
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

const BUDGET: &str = r#"
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: api}}
"#;

#[tokio::test]
async fn a_replica_shortage_ends_when_scaled_up_to_the_budget() {
    let sim = sim(
        &format!("{API}\n---\n{BUDGET}"),
        Fault::new(FaultKind::ReplicaShortage, "Deployment", Some("shop"), "api"),
    );
    let pdb = sim
        .objects()
        .into_iter()
        .find(|o| o.kind().is("PodDisruptionBudget"))
        .unwrap();
    assert_eq!(pdb.0["status"]["currentHealthy"], 2);
    assert_eq!(pdb.0["status"]["desiredHealthy"], 3);
    apply(&sim, delete_pod(&pods(&sim, "shop")[0], None)).await;
    assert_eq!(report(&sim).resolved, Some(false));
    apply(
        &sim,
        Operation::Patch {
            target: deployment("api"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": 3}})),
        },
    )
    .await;
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

const JOB: &str = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: report-29034720
  namespace: shop
  creationTimestamp: "2026-03-02T09:00:00Z"
  labels: {batch.kubernetes.io/job-name: report-29034720}
spec:
  backoffLimit: 2
  template:
    metadata: {labels: {batch.kubernetes.io/job-name: report-29034720, app: report}}
    spec:
      restartPolicy: Never
      containers: [{name: report, image: shop/report:2.1}]
"#;

#[tokio::test]
async fn a_transiently_failed_job_is_resolved_by_a_rerun() {
    let sim = sim(
        JOB,
        Fault::new(FaultKind::JobFailedTransient, "Job", Some("shop"), "report-29034720"),
    );
    let job = sim.objects().into_iter().find(|o| o.kind().is("Job")).unwrap();
    assert_eq!(job.0["status"]["conditions"][0]["type"], "Failed");
    assert_eq!(report(&sim).resolved, Some(false));
    let mut retry = job.0.clone();
    retry["metadata"] = json!({"generateName": "report-29034720-retry-", "namespace": "shop",
        "labels": {"app": "report"}});
    retry["spec"]["template"]["metadata"]["labels"] = json!({"app": "report", "batch.kubernetes.io/job-name": "x"});
    retry.as_object_mut().unwrap().remove("status");
    apply(&sim, Operation::Create { object: Object(retry) }).await;
    let r = report(&sim);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);
}

#[tokio::test]
async fn a_compromised_pod_must_be_kept_and_cut_off() {
    let probe = SimCluster::from_yaml_at(&format!("{NODES}---\n{API}"), now()).unwrap();
    let victim = pods(&probe, "shop")[0].name().to_string();
    let fault = || Fault::new(FaultKind::CompromisedPod, "Pod", Some("shop"), &victim);

    let sim1 = sim(API, fault());
    assert_eq!(report(&sim1).resolved, Some(false));
    let pod = pods(&sim1, "shop").into_iter().find(|p| p.name() == victim).unwrap();
    apply(&sim1, delete_pod(&pod, None)).await;
    let r = report(&sim1);
    assert_eq!(r.resolved, Some(false));
    assert!(
        r.findings.iter().any(|f| f.contains("evidence is gone")),
        "{:?}",
        r.findings
    );

    let sim2 = sim(API, fault());
    apply(
        &sim2,
        patch(
            ObjectRef::namespaced("Pod", "shop", &victim),
            json!({"metadata": {"labels": {"medic.dev/isolated": victim.clone()}}}),
        ),
    )
    .await;
    let policy = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": format!("medic-isolate-{victim}"), "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"medic.dev/isolated": victim.clone()}}, "policyTypes": ["Ingress", "Egress"]}});
    apply(&sim2, Operation::Create { object: Object(policy) }).await;
    let r = report(&sim2);
    assert_eq!(r.resolved, Some(true), "{:?}", r.findings);

    let sim3 = sim(API, fault());
    apply(
        &sim3,
        Operation::Patch {
            target: ObjectRef::namespaced("Pod", "shop", &victim),
            subresource: None,
            patch: PatchBody::Json(
                json!([{"op": "replace", "path": "/metadata/labels", "value": {"medic.dev/quarantined": "true"}}]),
            ),
        },
    )
    .await;
    assert_eq!(report(&sim3).resolved, Some(true), "{:?}", report(&sim3).findings);
}

#[test]
fn none_has_nothing_to_resolve() {
    let sim = sim(
        API,
        Fault {
            kind: FaultKind::None,
            target: None,
            container: None,
        },
    );
    assert_eq!(report(&sim).resolved, None);
    assert!(report(&sim).findings.is_empty());
}

#[test]
fn faults_that_do_not_fit_the_objects_are_refused_with_the_reason() {
    let err = |objects: &str, fault: Fault| {
        SimCluster::with_faults(&format!("{NODES}---\n{objects}"), now(), &[fault])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        err(
            API,
            Fault::new(FaultKind::BadRollout, "Deployment", Some("shop"), "api")
        ),
        "fault bad_rollout on Deployment/shop/api: no ReplicaSet of an earlier revision is among the objects: a bad \
         rollout needs the previous revision's ReplicaSet (with its deployment.kubernetes.io/revision annotation)"
    );
    assert!(
        err(
            API,
            Fault::new(FaultKind::Oom, "Deployment", Some("shop"), "web").in_container("api")
        )
        .ends_with("Deployment/shop/web is not among the scenario's objects")
    );
    assert!(
        err(API, Fault::new(FaultKind::Oom, "Deployment", Some("shop"), "api")).contains("`container` is required")
    );
    assert!(
        err(
            API,
            Fault::new(FaultKind::Oom, "Deployment", Some("shop"), "api").in_container("sidecar")
        )
        .contains("container \"sidecar\" is not in Deployment/shop/api (containers: api)")
    );
    assert!(
        err(
            API,
            Fault::new(FaultKind::Oom, "Node", None, "worker-1").in_container("api")
        )
        .contains("target kind \"Node\"")
    );
    assert!(
        err(
            API,
            Fault::new(FaultKind::ReplicaShortage, "Deployment", Some("shop"), "api")
        )
        .contains("no PodDisruptionBudget")
    );
    assert!(
        err(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 1}\n",
            Fault::new(FaultKind::None, "Pod", None, "p")
        )
        .contains("invalid at spec.containers")
    );
}

#[tokio::test]
async fn a_limit_range_refuses_pods_above_its_max_so_the_oom_stays() {
    let range = "apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits, namespace: shop}\nspec:\n  limits:\n  - type: Container\n    max: {memory: 256Mi}\n";
    let sim = sim(
        &format!("{API}\n---\n{range}"),
        Fault::new(FaultKind::Oom, "Deployment", Some("shop"), "api").in_container("api"),
    );
    apply(&sim, set_memory("384Mi")).await;
    advance(&sim, 6);
    assert_eq!(pods(&sim, "shop").len(), 2, "the new revision's pods are refused");
    let refused = sim
        .objects()
        .into_iter()
        .find(|o| o.kind().is("Event") && o.0["reason"] == "FailedCreate")
        .unwrap();
    assert!(
        refused.0["message"]
            .as_str()
            .unwrap()
            .contains("maximum memory usage per Container is 256Mi, but limit is 384Mi"),
        "{}",
        refused.0["message"]
    );
    assert_eq!(report(&sim).resolved, Some(false));
}

#[test]
fn an_oom_afflicts_the_pods_written_as_crashing_and_every_new_one() {
    let written = format!(
        "{API}\n---\n{}\n---\n{}",
        r#"apiVersion: v1
kind: Pod
metadata:
  name: api-7d4b9c-aaaaa
  namespace: shop
  labels: {app: api, pod-template-hash: 7d4b9c}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d4b9c, controller: true}]
spec:
  nodeName: worker-1
  containers:
  - name: api
    image: shop/api:1.4.0
    resources: {requests: {cpu: 250m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
status:
  phase: Running
  conditions: [{type: Ready, status: "False"}]
  containerStatuses:
  - name: api
    image: shop/api:1.4.0
    imageID: ""
    ready: false
    restartCount: 7
    state: {waiting: {reason: CrashLoopBackOff}}
    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}"#,
        r#"apiVersion: v1
kind: Pod
metadata:
  name: api-7d4b9c-bbbbb
  namespace: shop
  labels: {app: api, pod-template-hash: 7d4b9c}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d4b9c, controller: true}]
spec:
  nodeName: worker-2
  containers:
  - name: api
    image: shop/api:1.4.0
    resources: {requests: {cpu: 250m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: api, image: "shop/api:1.4.0", imageID: "", ready: true, restartCount: 0, state: {running: {}}}"#
    );
    let sim = sim(
        &written,
        Fault::new(FaultKind::Oom, "Deployment", Some("shop"), "api").in_container("api"),
    );
    let ready = |name: &str| {
        let p = pods(&sim, "shop").into_iter().find(|p| p.name() == name).unwrap();
        container_status(&p, "api")["ready"] == true
    };
    assert!(!ready("api-7d4b9c-aaaaa"));
    assert!(ready("api-7d4b9c-bbbbb"), "a pod written healthy stays healthy");
    let r = report(&sim);
    assert_eq!(
        r.findings.iter().filter(|f| f.starts_with("pod ")).count(),
        1,
        "{:?}",
        r.findings
    );
}
