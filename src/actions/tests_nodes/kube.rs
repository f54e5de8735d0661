//! The node actions through kube-rs against the mock API server: planned from what the
//! server answers, executed by the [`Executor`], with the exact requests asserted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::actions::plan::Plan;
use crate::actions::test_support::kube::{assert_write, plan_through, request_lines};
use crate::actions::test_support::{NODES, action, node};
use crate::actions::{Action, ActionSettings};
use crate::cluster::kube::KubeCluster;
use crate::cluster::kube::mock::{MockApi, Recorded, Reply};
use crate::execute::{Executor, HttpNotifier, Outcome, OutcomeStatus, execute};
use crate::incident::{Incident, TargetKind};
use crate::policy::{Verdict, VerdictKind};
use crate::web::metrics::Metrics;

fn node_json(unschedulable: bool) -> Value {
    let mut n = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "worker-1", "uid": "6f1d2c3b-0000-4a5b-8c9d-1e2f3a4b5c6d", "resourceVersion": "4711",
                     "labels": {"kubernetes.io/hostname": "worker-1"}},
        "spec": {"podCIDR": "10.244.1.0/24"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}
    });
    if unschedulable {
        n["spec"]["unschedulable"] = json!(true);
    }
    n
}

/// A pod as a list item (no apiVersion/kind), on `node`, controlled by `owner`.
fn pod_item(namespace: &str, name: &str, node: &str, owner: Value, labels: Value) -> Value {
    json!({
        "metadata": {"name": name, "namespace": namespace, "uid": format!("uid-{name}"), "resourceVersion": "90",
                     "labels": labels, "ownerReferences": [owner]},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "registry.example/app:1"}]},
        "status": {"phase": "Running"}
    })
}

fn owner(api_version: &str, kind: &str, name: &str) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "name": name, "uid": format!("uid-{name}"), "controller": true})
}

/// The event the API server returns for a create: what was sent, with a uid.
fn created(r: &Recorded) -> Reply {
    let mut body = r.json();
    body["metadata"]["uid"] = json!("uid-event");
    Reply::json(201, body)
}

struct Setup {
    api: MockApi,
    cluster: Arc<KubeCluster>,
    incident: Incident,
    metrics: Arc<Metrics>,
}

impl Setup {
    async fn start(respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Setup {
        let api = MockApi::start(respond).await;
        let cluster = Arc::new(api.cluster());
        Setup {
            api,
            cluster,
            incident: NODES.incident_about(TargetKind::Node, "worker-1"),
            metrics: Arc::new(Metrics::new()),
        }
    }

    async fn plan(&self, action: &Action) -> Plan {
        plan_through(
            self.cluster.as_ref(),
            &self.incident,
            &ActionSettings::default(),
            action,
        )
        .await
        .expect("the plan")
    }

    async fn execute(&self, plan: Plan) -> Outcome {
        let executor = Executor::new(
            self.cluster.clone(),
            Arc::new(HttpNotifier::new().unwrap()),
            ActionSettings::default(),
            self.metrics.clone(),
        )
        .with_evict_retry(Duration::from_millis(20));
        let verdict = Verdict {
            kind: VerdictKind::Allow,
            dry_run: false,
            checks: Vec::new(),
        };
        execute(&executor, &self.incident, &verdict, plan).await
    }
}

#[tokio::test]
async fn cordon_sends_a_merge_patch_and_records_an_event() {
    let s = Setup::start(|r| match r.line().as_str() {
        "GET /api/v1/nodes/worker-1" => Reply::json(200, node_json(false)),
        "PATCH /api/v1/nodes/worker-1" => Reply::json(200, node_json(true)),
        "POST /api/v1/namespaces/default/events" => created(r),
        _ => Reply::not_found("nodes", "other"),
    })
    .await;
    let plan = s.plan(&action("cordon_node", json!({}))).await;
    let outcome = s.execute(plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    assert_eq!(
        outcome.results,
        ["PATCH node/worker-1 (merge-patch): node/worker-1 patched"]
    );
    assert_eq!(
        request_lines(&s.api),
        [
            "GET /api/v1/nodes/worker-1",
            "PATCH /api/v1/nodes/worker-1",
            "POST /api/v1/namespaces/default/events"
        ]
    );
    let reqs = s.api.requests();
    let patch = &reqs[1];
    assert_write(patch, "application/merge-patch+json");
    assert_eq!(patch.json(), json!({"spec": {"unschedulable": true}}));
    let event = reqs[2].json();
    assert_eq!(event["reason"], "MedicCordonNode");
    assert_eq!(event["message"], "cordon node/worker-1: mark it unschedulable");
    assert_eq!(
        event["involvedObject"],
        json!({"apiVersion": "v1", "kind": "Node", "name": "worker-1", "uid": "6f1d2c3b-0000-4a5b-8c9d-1e2f3a4b5c6d"})
    );
    assert_eq!(event["metadata"]["namespace"], "default");
    assert!(event["metadata"]["name"].as_str().unwrap().starts_with("worker-1."));
    assert_eq!(
        (event["type"].clone(), event["count"].clone()),
        (json!("Normal"), json!(1))
    );
    assert_eq!(event["source"], json!({"component": "medic"}));
    assert_eq!(event["reportingComponent"], "medic");
}

#[tokio::test]
async fn taint_sends_a_json_patch_guarded_by_the_resource_version() {
    let s = Setup::start(|r| match r.line().as_str() {
        "GET /api/v1/nodes/worker-1" => Reply::json(200, node_json(false)),
        "PATCH /api/v1/nodes/worker-1" => Reply::json(200, node_json(false)),
        "POST /api/v1/namespaces/default/events" => created(r),
        _ => Reply::not_found("nodes", "other"),
    })
    .await;
    let plan = s
        .plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "value": "true"}),
        ))
        .await;
    let outcome = s.execute(plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    let patch = &s.api.requests()[1];
    assert_eq!(patch.line(), "PATCH /api/v1/nodes/worker-1");
    assert_eq!(patch.content_type.as_deref(), Some("application/json-patch+json"));
    assert_eq!(
        patch.json(),
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "4711"},
            {"op": "add", "path": "/spec/taints", "value": [{"key": "medic.dev/unhealthy", "value": "true", "effect": "NoSchedule"}]},
        ])
    );
}

#[tokio::test]
async fn drain_evictions_wait_out_a_429_from_a_disruption_budget() {
    let evictions = Arc::new(AtomicUsize::new(0));
    let seen = evictions.clone();
    let s = Setup::start(move |r| match r.line().as_str() {
        "GET /api/v1/nodes/worker-1" => Reply::json(200, node_json(false)),
        "GET /api/v1/pods" => Reply::json(
            200,
            json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": [
                pod_item("shop", "api-1", "worker-1", owner("apps/v1", "ReplicaSet", "api-6b9c4"), json!({"app": "api"})),
                pod_item("kube-system", "node-exporter-abcde", "worker-1",
                         owner("apps/v1", "DaemonSet", "node-exporter"), json!({"app": "node-exporter"})),
                pod_item("shop", "api-2", "worker-2", owner("apps/v1", "ReplicaSet", "api-6b9c4"), json!({"app": "api"})),
            ]}),
        ),
        "GET /apis/apps/v1/namespaces/kube-system/daemonsets/node-exporter" => Reply::json(
            200,
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
                   "metadata": {"name": "node-exporter", "namespace": "kube-system", "uid": "uid-node-exporter"}}),
        ),
        "GET /apis/policy/v1/namespaces/shop/poddisruptionbudgets" => Reply::json(
            200,
            json!({"kind": "PodDisruptionBudgetList", "apiVersion": "policy/v1", "metadata": {}, "items": [
                {"metadata": {"name": "api", "namespace": "shop"},
                 "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "api"}}}}]}),
        ),
        "PATCH /api/v1/nodes/worker-1" => Reply::json(200, node_json(true)),
        "POST /api/v1/namespaces/shop/pods/api-1/eviction" => {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::status(
                    429,
                    "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    json!({"causes": [{"reason": "DisruptionBudget",
                                       "message": "The disruption budget api needs 1 healthy pods and has 1 currently"}]}),
                )
            } else {
                Reply::json(
                    201,
                    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
                )
            }
        }
        "POST /api/v1/namespaces/default/events" | "POST /api/v1/namespaces/shop/events" => created(r),
        _ => Reply::not_found("pods", "other"),
    })
    .await;
    let plan = s.plan(&action("drain_node", json!({"timeout_seconds": 30}))).await;
    assert_eq!(
        plan.notes.last().unwrap(),
        "PodDisruptionBudget shop/api (minAvailable 1) covers shop/api-1: an eviction it refuses is retried until the timeout"
    );
    let outcome = s.execute(plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    assert_eq!(evictions.load(Ordering::SeqCst), 2, "refused once, then evicted");
    assert_eq!(
        request_lines(&s.api),
        [
            "GET /api/v1/nodes/worker-1",
            "GET /api/v1/pods",
            "GET /apis/apps/v1/namespaces/kube-system/daemonsets/node-exporter",
            "GET /apis/policy/v1/namespaces/shop/poddisruptionbudgets",
            "PATCH /api/v1/nodes/worker-1",
            "POST /api/v1/namespaces/default/events",
            "POST /api/v1/namespaces/shop/pods/api-1/eviction",
            "POST /api/v1/namespaces/shop/pods/api-1/eviction",
            "POST /api/v1/namespaces/shop/events",
        ]
    );
    let reqs = s.api.requests();
    assert_eq!(
        reqs[1].param("labelSelector"),
        None,
        "all pods are listed, then filtered by node"
    );
    let eviction = reqs[6].json();
    assert_eq!(eviction["kind"], "Eviction");
    assert_eq!(eviction["apiVersion"], "policy/v1");
    assert_eq!(eviction["metadata"], json!({"name": "api-1", "namespace": "shop"}));
    let event = reqs[8].json();
    assert_eq!(event["reason"], "MedicDrainNode");
    assert_eq!(
        event["involvedObject"],
        json!({"apiVersion": "v1", "kind": "Pod", "name": "api-1", "namespace": "shop"})
    );
    assert_eq!(
        outcome.results[1],
        "EVICT pod/shop/api-1 (waiting up to 30s for disruption budgets): pod/api-1 evicted"
    );
}

#[tokio::test]
async fn forbidden_is_a_failed_outcome_that_says_what_to_do() {
    let s = Setup::start(|r| match r.line().as_str() {
        "GET /api/v1/nodes/worker-1" => Reply::json(200, node_json(false)),
        "PATCH /api/v1/nodes/worker-1" => Reply::status(
            403,
            "Forbidden",
            "nodes \"worker-1\" is forbidden: User \"system:serviceaccount:medic:medic\" cannot patch resource \"nodes\" \
             in API group \"\" at the cluster scope",
            json!({"name": "worker-1", "kind": "nodes"}),
        ),
        _ => Reply::not_found("nodes", "other"),
    })
    .await;
    let plan = s.plan(&action("cordon_node", json!({}))).await;
    let outcome = s.execute(plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert!(outcome.results.is_empty());
    assert_eq!(
        outcome.error.as_deref(),
        Some(
            "PATCH node/worker-1 (merge-patch): forbidden on node/worker-1: nodes \"worker-1\" is forbidden: User \
             \"system:serviceaccount:medic:medic\" cannot patch resource \"nodes\" in API group \"\" at the cluster \
             scope (medic's service account lacks this permission: `medic rbac` prints the ClusterRole it needs)"
        )
    );
    assert_eq!(
        request_lines(&s.api).len(),
        2,
        "no event for a change that did not happen"
    );
}

#[tokio::test]
async fn an_event_that_cannot_be_recorded_does_not_fail_the_action() {
    let s = Setup::start(|r| match r.line().as_str() {
        "GET /api/v1/nodes/worker-1" => Reply::json(200, node_json(true)),
        "PATCH /api/v1/nodes/worker-1" => Reply::json(200, node_json(false)),
        "POST /api/v1/namespaces/default/events" => Reply::status(
            403,
            "Forbidden",
            "events is forbidden: User \"system:serviceaccount:medic:medic\" cannot create resource \"events\"",
            Value::Null,
        ),
        _ => Reply::not_found("nodes", "other"),
    })
    .await;
    let plan = s.plan(&action("uncordon_node", json!({}))).await;
    assert_eq!(plan.target, Some(node("worker-1")));
    let outcome = s.execute(plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    assert_eq!(s.api.requests()[1].json(), json!({"spec": {"unschedulable": null}}));
    assert!(
        s.metrics.render().contains("medic_errors_total{stage=\"events\"} 1"),
        "{}",
        s.metrics.render()
    );
}
