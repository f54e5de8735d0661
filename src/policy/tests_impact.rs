//! The plan's impact read from a simulated cluster: deletes, evictions and a drain,
//! scale-downs, rolling and `Recreate` template changes, StatefulSets, HPAs, taints,
//! NetworkPolicies, budgets with and without a status, and what the checks make of it.

use serde_json::json;

use super::facts::Impact;
use super::impact::impact;
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::{Action, ActionSettings, Bounds};
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, Kind, Object, ObjectRef, Operation, PatchBody};
use crate::context::Context;

/// Two nodes; in `shop`: Deployment `api` (3 replicas, budget minAvailable 3 with no
/// status), `solo` (1 replica), `batch` (4 replicas, Recreate), `web` (4 replicas,
/// maxUnavailable 2) scaled by HPA `web`; StatefulSet `db` (3); a bare pod `debug`; in
/// `kube-system`: Deployment `coredns` (2) with a budget whose status allows 1.
const CLUSTER: &str = r#"
apiVersion: medic.dev/v1alpha1
kind: FixtureClock
now: "2025-03-03T12:00:00Z"
---
apiVersion: v1
kind: Node
metadata: {name: worker-1}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, uid: uid-api}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: shop/api:1}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: api}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: solo, namespace: shop, uid: uid-solo}
spec:
  replicas: 1
  selector: {matchLabels: {app: solo}}
  template:
    metadata: {labels: {app: solo}}
    spec: {containers: [{name: solo, image: shop/solo:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: shop, uid: uid-batch}
spec:
  replicas: 4
  strategy: {type: Recreate}
  selector: {matchLabels: {app: batch}}
  template:
    metadata: {labels: {app: batch}}
    spec: {containers: [{name: batch, image: shop/batch:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: uid-web}
spec:
  replicas: 4
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 2, maxSurge: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: shop/web:1}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 8
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
    spec: {containers: [{name: db, image: postgres:16}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, labels: {app: debug}}
spec: {nodeName: worker-1, containers: [{name: sh, image: busybox}]}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, uid: uid-coredns}
spec:
  replicas: 2
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec: {containers: [{name: coredns, image: coredns:1.11}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: coredns, namespace: kube-system}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
status: {disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2}
"#;

fn sim() -> SimCluster {
    SimCluster::from_yaml(CLUSTER).expect("the fixture loads")
}

async fn pods(c: &SimCluster, ns: &str, app_key: &str, app: &str) -> Vec<Object> {
    c.list(&Kind::of("Pod"), Some(ns), Some(&format!("{app_key}={app}")))
        .await
        .unwrap()
}

fn plan(operations: Vec<Operation>) -> Plan {
    Plan {
        action: "test".into(),
        target: None,
        summary: String::new(),
        operations,
        changes: vec![],
        notes: vec![],
        artifacts: vec![],
    }
}

fn delete(ns: &str, pod: &str) -> Operation {
    Operation::Delete {
        target: ObjectRef::namespaced("Pod", ns, pod),
        grace_period_seconds: None,
        uid: None,
    }
}

fn patch(kind: &str, name: &str, sub: Option<&str>, body: serde_json::Value) -> Operation {
    Operation::Patch {
        target: ObjectRef::namespaced(kind, "shop", name),
        subresource: sub.map(String::from),
        patch: PatchBody::Merge(body),
    }
}

fn workload<'i>(i: &'i Impact, name: &str) -> &'i super::facts::WorkloadImpact {
    i.workloads
        .iter()
        .find(|w| w.workload == name)
        .unwrap_or_else(|| panic!("{name} not in {:#?}", i.workloads))
}

#[tokio::test]
async fn deleting_one_pod_of_three_and_the_budget_without_status() {
    let c = sim();
    let api = pods(&c, "shop", "app", "api").await;
    assert_eq!(api.len(), 3);
    let i = impact(&c, &plan(vec![delete("shop", api[0].name())])).await.unwrap();
    assert_eq!(i.pods_affected, 1);
    assert_eq!(i.pods, [format!("shop/{}", api[0].name())]);
    let w = workload(&i, "deployment/shop/api");
    assert_eq!((w.ready_before, w.ready_after), (3, 2));
    assert_eq!(i.workload.as_deref(), Some("deployment/shop/api"));
    // minAvailable 3 of 3 healthy: no disruption allowed (computed, no status).
    assert_eq!(i.budgets.len(), 1);
    assert_eq!(i.budgets[0].name, "shop/api");
    assert_eq!(
        (i.budgets[0].disruptions_allowed, i.budgets[0].disruptions_planned),
        (0, 1)
    );
    assert_eq!(i.namespaces, ["shop"]);
}

#[tokio::test]
async fn the_last_replica_and_a_bare_pod() {
    let c = sim();
    let solo = pods(&c, "shop", "app", "solo").await;
    let i = impact(&c, &plan(vec![delete("shop", solo[0].name())])).await.unwrap();
    let w = workload(&i, "deployment/shop/solo");
    assert_eq!((w.ready_before, w.ready_after), (1, 0));
    let i = impact(&c, &plan(vec![delete("shop", "debug")])).await.unwrap();
    let w = workload(&i, "pod/shop/debug");
    assert_eq!((w.ready_before, w.ready_after), (1, 0));
}

#[tokio::test]
async fn scale_downs_and_hpa_ceilings_remove_pods() {
    let c = sim();
    let i = impact(
        &c,
        &plan(vec![patch(
            "Deployment",
            "api",
            Some("scale"),
            json!({"spec": {"replicas": 1}}),
        )]),
    )
    .await
    .unwrap();
    let w = workload(&i, "deployment/shop/api");
    assert_eq!((w.ready_before, w.ready_after, w.pods_affected), (3, 1, 2));
    assert!(i.budgets.is_empty(), "a scale-down is not an eviction");
    // Scaling up takes nothing down.
    let i = impact(
        &c,
        &plan(vec![patch(
            "Deployment",
            "api",
            Some("scale"),
            json!({"spec": {"replicas": 10000}}),
        )]),
    )
    .await
    .unwrap();
    assert_eq!(i.pods_affected, 0);
    assert!(i.workloads.is_empty());
    // maxReplicas 1 below web's 4 replicas scales it down to 1.
    let i = impact(
        &c,
        &plan(vec![patch(
            "HorizontalPodAutoscaler",
            "web",
            None,
            json!({"spec": {"maxReplicas": 1}}),
        )]),
    )
    .await
    .unwrap();
    let w = workload(&i, "deployment/shop/web");
    assert_eq!((w.ready_before, w.ready_after, w.pods_affected), (4, 1, 3));
}

#[tokio::test]
async fn template_changes_take_max_unavailable_or_everything_down() {
    let c = sim();
    let restart =
        json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}});
    // 25% of 3 rounds down to 0 unavailable (surge 1): nothing ready goes away.
    let i = impact(&c, &plan(vec![patch("Deployment", "api", None, restart.clone())]))
        .await
        .unwrap();
    let w = workload(&i, "deployment/shop/api");
    assert_eq!((w.ready_before, w.ready_after, w.pods_affected), (3, 3, 0));
    let i = impact(&c, &plan(vec![patch("Deployment", "web", None, restart.clone())]))
        .await
        .unwrap();
    let w = workload(&i, "deployment/shop/web");
    assert_eq!((w.ready_before, w.ready_after, w.pods_affected), (4, 2, 2));
    let i = impact(&c, &plan(vec![patch("Deployment", "batch", None, restart.clone())]))
        .await
        .unwrap();
    let w = workload(&i, "deployment/shop/batch");
    assert_eq!((w.ready_before, w.ready_after, w.pods_affected), (4, 0, 4));
    assert!(i.pods[0].contains("all 4 replaced at once"), "{:?}", i.pods);
    let i = impact(&c, &plan(vec![patch("StatefulSet", "db", None, restart)]))
        .await
        .unwrap();
    let w = workload(&i, "statefulset/shop/db");
    assert_eq!((w.ready_before, w.ready_after, w.pods_affected), (3, 2, 1));
}

#[tokio::test]
async fn a_drain_counts_every_pod_it_evicts_and_reaches_kube_system() {
    let c = sim();
    let node = ObjectRef::cluster_scoped("Node", "worker-1");
    let incident = crate::decide::rules::matcher::tests::incident("alertname: KubeNodeNotReady, node: worker-1");
    let context = Context::default();
    let (bounds, settings) = (Bounds::default(), ActionSettings::default());
    let input = PlanInput {
        incident: &incident,
        context: &context,
        target: Some(&node),
        cluster: &c,
        bounds: &bounds,
        settings: &settings,
    };
    let drain = Action::from_parts("drain_node", json!({})).unwrap();
    // The bare pod `debug` makes the drain refuse; remove it first.
    c.apply(&delete("shop", "debug")).await.unwrap();
    let p = drain.plan(&input).await.unwrap_or_else(|e| panic!("{e}"));
    let i = impact(&c, &p).await.unwrap();
    // api 3, solo 1, batch 4, web 4, db 3, coredns 2.
    assert_eq!(i.pods_affected, 17, "{:#?}", i.pods);
    assert_eq!(i.namespaces, ["kube-system", "shop"]);
    assert_eq!(workload(&i, "deployment/kube-system/coredns").ready_after, 0);
    let budgets: Vec<(&str, u32, u32)> = i
        .budgets
        .iter()
        .map(|b| (b.name.as_str(), b.disruptions_allowed, b.disruptions_planned))
        .collect();
    assert_eq!(budgets, [("kube-system/coredns", 1, 2), ("shop/api", 0, 3)]);
}

#[tokio::test]
async fn no_execute_taints_and_network_policies_disrupt_the_pods_they_reach() {
    let c = sim();
    let taint = Operation::Patch {
        target: ObjectRef::cluster_scoped("Node", "worker-1"),
        subresource: None,
        patch: PatchBody::Merge(json!({"spec": {"taints": [{"key": "bad", "effect": "NoExecute"}]}})),
    };
    let i = impact(&c, &plan(vec![taint])).await.unwrap();
    assert_eq!(i.pods_affected, 18, "{:#?}", i.pods);
    let soft = Operation::Patch {
        target: ObjectRef::cluster_scoped("Node", "worker-1"),
        subresource: None,
        patch: PatchBody::Merge(json!({"spec": {"taints": [{"key": "bad", "effect": "NoSchedule"}]}})),
    };
    assert_eq!(impact(&c, &plan(vec![soft])).await.unwrap().pods_affected, 0);

    let policy = Object::new(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "isolate", "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"app": "solo"}}, "policyTypes": ["Ingress", "Egress"]},
    }))
    .unwrap();
    let i = impact(&c, &plan(vec![Operation::Create { object: policy }]))
        .await
        .unwrap();
    let w = workload(&i, "deployment/shop/solo");
    assert_eq!((w.ready_before, w.ready_after), (1, 0));
}

#[tokio::test]
async fn quarantine_relabels_and_plans_without_pods_have_no_impact() {
    let c = sim();
    let api = pods(&c, "shop", "app", "api").await;
    let relabel = Operation::Patch {
        target: ObjectRef::namespaced("Pod", "shop", api[1].name()),
        subresource: None,
        patch: PatchBody::Merge(json!({"metadata": {"labels": {"app": null, "quarantined": "true"}}})),
    };
    let i = impact(&c, &plan(vec![relabel])).await.unwrap();
    assert_eq!(i.pods_affected, 1);
    let annotate = Operation::Patch {
        target: ObjectRef::namespaced("Pod", "shop", api[1].name()),
        subresource: None,
        patch: PatchBody::Merge(json!({"metadata": {"annotations": {"seen": "yes"}}})),
    };
    assert_eq!(
        impact(&c, &plan(vec![annotate])).await.unwrap(),
        Impact {
            namespaces: vec!["shop".into()],
            ..Impact::default()
        }
    );
    let notify = Operation::Notify {
        channel: "oncall".into(),
        text: "hi".into(),
    };
    assert_eq!(impact(&c, &plan(vec![notify])).await.unwrap(), Impact::default());
}
