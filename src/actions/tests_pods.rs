//! Tests of the pod actions against the simulated cluster: `evict_pod`,
//! `delete_stuck_pods`, `quarantine_pod` and `isolate_pod` — the exact operations, the
//! diffs, every documented refusal, the state after the plan is applied, and the full
//! dry-run rendering at a fixed time.

use serde_json::{Value, json};

use super::test_support::*;
use crate::cluster::{Cluster, ClusterError, Object, Operation, PatchBody};
use crate::incident::TargetKind;

fn owner_names(p: &Object) -> Vec<String> {
    p.0.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

// ---------------------------------------------------------------------------------------
// evict_pod
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn evict_pod_posts_an_eviction_and_the_replicaset_replaces_the_pod() {
    let f = PODS.alert_on(TargetKind::Pod, "web-7d9f8-abcde");
    let plan = f.plan(&action("evict_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Evict {
            namespace: "shop".into(),
            pod: "web-7d9f8-abcde".into(),
            wait_seconds: None,
        }]
    );
    assert_eq!(
        plan.summary,
        "evict pod/shop/web-7d9f8-abcde through the Eviction API so that its ReplicaSet recreates it"
    );
    assert_eq!(
        plan.notes,
        [
            "its ReplicaSet web-7d9f8 will create a replacement",
            "PodDisruptionBudget web-pdb covers it (maxUnavailable 1): the API refuses the eviction if it would break the budget",
        ]
    );
    assert!(
        plan.changes[0]
            .diff
            .contains("+++ pod/shop/web-7d9f8-abcde (deleted)\n")
    );

    let results = f.apply(&plan).await;
    assert_eq!(results[0].message, "pod/web-7d9f8-abcde evicted");
    assert!(f.get(&pod("web-7d9f8-abcde")).await.is_none());
    let pods = f.pods("app=web").await;
    assert_eq!(pods.len(), 2, "the ReplicaSet made a replacement");
    assert!(pods.iter().all(|p| owner_names(p) == ["web-7d9f8"]));
}

#[tokio::test]
async fn evict_pod_is_refused_by_a_budget_that_forbids_it() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("evict_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.notes[1],
        "PodDisruptionBudget api-pdb covers it (minAvailable 2): the API refuses the eviction if it would break the budget"
    );
    match f.try_apply(&plan).await {
        Err(ClusterError::DisruptionBudget { what, message }) => {
            assert_eq!(what, "pod/shop/api-6b9c4-x7k2p");
            assert!(message.contains("api-pdb needs 2 healthy pods and has 2"), "{message}");
        }
        other => panic!("expected DisruptionBudget, got {other:?}"),
    }
    assert!(f.get(&pod("api-6b9c4-x7k2p")).await.is_some(), "the pod is still there");
}

#[tokio::test]
async fn evict_pod_says_how_many_disruptions_a_budget_allows_when_its_status_says() {
    let f = PODS.alert_on(TargetKind::Pod, "debug");
    f.cluster
        .apply(&Operation::Create {
            object: Object::new(json!({
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": "all", "namespace": "shop"},
                "spec": {"selector": {"matchLabels": {"app": "web"}}},
            }))
            .unwrap(),
        })
        .await
        .unwrap();
    f.cluster
        .apply(&Operation::Patch {
            target: shop("PodDisruptionBudget", "web-pdb"),
            subresource: Some("status".into()),
            patch: PatchBody::Merge(json!({"status": {"disruptionsAllowed": 0, "currentHealthy": 2,
                "desiredHealthy": 2, "expectedPods": 2, "observedGeneration": 1}})),
        })
        .await
        .unwrap();
    let plan = f
        .plan_on(&action("evict_pod", json!({})), &pod("web-7d9f8-fghij"))
        .await
        .unwrap();
    assert_eq!(
        plan.notes[1..],
        [
            "PodDisruptionBudget all covers it (at least one pod available): the API refuses the eviction if it would break the budget",
            "PodDisruptionBudget web-pdb covers it (maxUnavailable 1): it allows no disruption right now, so the eviction will be refused",
        ]
    );
}

#[tokio::test]
async fn evict_pod_refusals() {
    let f = PODS.alert_on(TargetKind::Pod, "debug");
    let (target, reason) = not_applicable(f.plan(&action("evict_pod", json!({}))).await);
    assert_eq!(target, "pod/shop/debug");
    assert_eq!(
        reason,
        "the pod has no controller: evicted, it would be gone for good (restart_pod with params.force deletes it knowingly)"
    );
    let evict_on = |name: &'static str| {
        let f = &f;
        async move { not_applicable(f.plan_on(&action("evict_pod", json!({})), &pod(name)).await).1 }
    };
    assert_eq!(
        evict_on("kube-proxy-worker-1").await,
        "it is a static pod of node worker-1: its kubelet recreates it whatever the API does"
    );
    assert_eq!(
        evict_on("api-6b9c4-zz9f8").await,
        "the pod is already being deleted (metadata.deletionTimestamp is set)"
    );
    assert_eq!(evict_on("gone").await, "pod not found");
    let (target, reason) = not_applicable(
        f.plan_on(&action("evict_pod", json!({})), &shop("Deployment", "api"))
            .await,
    );
    assert_eq!(
        (target.as_str(), reason.as_str()),
        ("deployment/shop/api", "evict_pod acts on Pod, not on a Deployment")
    );
    let err = super::Action::from_parts("evict_pod", json!({"grace": 3})).unwrap_err();
    assert!(err.to_string().contains("unknown field `grace`"), "{err}");
}

#[tokio::test]
async fn evict_pod_renders() {
    let f = PODS.alert_on(TargetKind::Pod, "web-7d9f8-abcde");
    let plan = f.plan(&action("evict_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
evict_pod: evict pod/shop/web-7d9f8-abcde through the Eviction API so that its ReplicaSet recreates it
  EVICT pod/shop/web-7d9f8-abcde
  note: its ReplicaSet web-7d9f8 will create a replacement
  note: PodDisruptionBudget web-pdb covers it (maxUnavailable 1): the API refuses the eviction if it would break the budget

--- pod/shop/web-7d9f8-abcde (live)
+++ pod/shop/web-7d9f8-abcde (deleted)
@@ -1,23 +0,0 @@
-apiVersion: v1
-kind: Pod
-metadata:
-  creationTimestamp: 2025-03-01T12:00:00Z
-  labels:
-    app: web
-    pod-template-hash: 7d9f8
-  name: web-7d9f8-abcde
-  namespace: shop
-  ownerReferences:
-  - apiVersion: apps/v1
-    controller: true
-    kind: ReplicaSet
-    name: web-7d9f8
-    uid: uid-web-rs
-  uid: uid-abcde
-spec:
-  containers:
-  - image: shop/web:2.0
-    name: app
-  - image: envoyproxy/envoy:v1.30
-    name: proxy
-  nodeName: worker-1
"
    );
}

// ---------------------------------------------------------------------------------------
// delete_stuck_pods
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn delete_stuck_pods_force_deletes_the_workloads_overdue_pods() {
    let f = PODS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("delete_stuck_pods", json!({}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Delete {
            target: pod("api-6b9c4-zz9f8"),
            grace_period_seconds: Some(0),
            uid: Some("uid-zz9f8".into()),
        }]
    );
    assert_eq!(
        plan.summary,
        "force-delete 1 pod of deployment/shop/api, stuck Terminating"
    );
    assert_eq!(
        plan.notes,
        [
            "a force delete (grace period 0) removes each pod from the API without waiting for its kubelet to confirm that its containers stopped",
            "api-6b9c4-zz9f8: Terminating 10m past its deletion deadline (grace period 30s), on node worker-2, which is not Ready (Unknown)",
        ]
    );
    assert_eq!(plan.changes.len(), 1);
    assert!(
        plan.changes[0]
            .diff
            .contains("-  deletionTimestamp: 2025-03-01T11:50:00Z\n")
    );

    f.apply(&plan).await;
    assert!(f.get(&pod("api-6b9c4-zz9f8")).await.is_none());
    assert!(
        f.get(&pod("api-6b9c4-w4x5z")).await.is_some(),
        "within its margin: kept"
    );
    let running: Vec<String> = f
        .pods("app=api")
        .await
        .iter()
        .filter(|p| p.0.pointer("/metadata/deletionTimestamp").is_none())
        .map(|p| p.name().to_string())
        .collect();
    assert_eq!(running, ["api-6b9c4-q9m4t", "api-6b9c4-x7k2p"]);
}

#[tokio::test]
async fn delete_stuck_pods_with_no_margin_or_a_selector() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f
        .plan(&action(
            "delete_stuck_pods",
            json!({"selector": "app=api", "min_overdue_seconds": 0}),
        ))
        .await
        .unwrap();
    let deleted: Vec<String> = plan.operations.iter().map(|op| op.target().name).collect();
    assert_eq!(deleted, ["api-6b9c4-w4x5z", "api-6b9c4-zz9f8"]);
    assert_eq!(
        plan.summary,
        "force-delete 2 pods matching app=api in namespace shop, stuck Terminating"
    );
    assert_eq!(
        plan.notes[1],
        "api-6b9c4-w4x5z: Terminating 30s past its deletion deadline (grace period 30s), on node worker-1"
    );
    f.apply(&plan).await;
    assert_eq!(f.pods("app=api").await.len(), 2);
}

#[tokio::test]
async fn delete_stuck_pods_lets_the_statefulset_recreate_its_pod() {
    let f = PODS.alert_on(TargetKind::StatefulSet, "db");
    let plan = f.plan(&action("delete_stuck_pods", json!({}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Delete {
            target: pod("db-0"),
            grace_period_seconds: Some(0),
            uid: Some("uid-db-0".into()),
        }]
    );
    assert_eq!(
        plan.notes[1..],
        [
            "db-0: Terminating 2h past its deletion deadline (grace period 30s), on node worker-2, which is not Ready (Unknown)",
            "db-0 has finalizers (example.com/backup): it stays until they are removed, force delete or not",
            "db-0 belongs to StatefulSet db: it is recreated under the same name at once, even if the old containers still run on an unreachable node",
        ]
    );
    f.apply(&plan).await;
    let db0 = f.get(&pod("db-0")).await.expect("the StatefulSet recreated db-0");
    assert_ne!(db0.uid(), Some("uid-db-0"));
    assert!(db0.0.pointer("/metadata/deletionTimestamp").is_none());
}

#[tokio::test]
async fn delete_stuck_pods_refusals() {
    let f = PODS.alert_on(TargetKind::Deployment, "web");
    let (target, reason) = not_applicable(f.plan(&action("delete_stuck_pods", json!({}))).await);
    assert_eq!(target, "deployment/shop/web");
    assert_eq!(
        reason,
        "no pod is Terminating more than 60s past its deletion deadline; checked 2 pods of deployment/shop/web: \
         web-7d9f8-abcde (not terminating), web-7d9f8-fghij (not terminating)"
    );
    let on_pod = |name: &'static str, params: Value| {
        let f = &f;
        async move { not_applicable(f.plan_on(&action("delete_stuck_pods", params), &pod(name)).await).1 }
    };
    assert_eq!(on_pod("api-6b9c4-x7k2p", json!({})).await, "the pod is not terminating");
    assert_eq!(
        on_pod("api-6b9c4-w4x5z", json!({})).await,
        "the pod is terminating, 30s past its deletion deadline, within the 60s margin"
    );
    assert_eq!(
        on_pod("api-6b9c4-x7k2p", json!({"selector": "app=nothing"})).await,
        "there is no pod matching app=nothing in namespace shop"
    );
    let (_, reason) = not_applicable(
        f.plan_on(&action("delete_stuck_pods", json!({})), &shop("Service", "api"))
            .await,
    );
    assert_eq!(
        reason,
        "delete_stuck_pods acts on Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod, not on a Service"
    );

    let mut few = PODS.alert_on(TargetKind::Deployment, "api");
    few.bounds.max_replicas = 1;
    let (field, value, limit) = out_of_bounds(
        few.plan(&action("delete_stuck_pods", json!({"min_overdue_seconds": 0})))
            .await,
    );
    assert_eq!((field.as_str(), value.as_str()), ("stuck pods", "2"));
    assert_eq!(
        limit,
        "bounds.max_replicas is 1: force-delete fewer at once (a narrower params.selector, or one workload)"
    );
    let (field, message) = invalid_params(
        few.plan(&action("delete_stuck_pods", json!({"min_overdue_seconds": -1})))
            .await,
    );
    assert_eq!(
        (field.as_str(), message.as_str()),
        ("params.min_overdue_seconds", "must be 0 or more, found -1")
    );
    let (field, message) = invalid_params(
        few.plan(&action("delete_stuck_pods", json!({"selector": "app in api"})))
            .await,
    );
    assert_eq!(field, "params.selector");
    assert_eq!(
        message,
        "\"app in api\": \"app in api\": the values of `in` go in parentheses"
    );
}

#[tokio::test]
async fn delete_stuck_pods_renders() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-zz9f8");
    let plan = f.plan(&action("delete_stuck_pods", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
delete_stuck_pods: force-delete pod/shop/api-6b9c4-zz9f8, stuck Terminating
  DELETE pod/shop/api-6b9c4-zz9f8 (grace period 0s)
  note: a force delete (grace period 0) removes each pod from the API without waiting for its kubelet to confirm that its containers stopped
  note: api-6b9c4-zz9f8: Terminating 10m past its deletion deadline (grace period 30s), on node worker-2, which is not Ready (Unknown)

--- pod/shop/api-6b9c4-zz9f8 (live)
+++ pod/shop/api-6b9c4-zz9f8 (deleted)
@@ -1,23 +0,0 @@
-apiVersion: v1
-kind: Pod
-metadata:
-  creationTimestamp: 2025-02-20T09:00:00Z
-  deletionGracePeriodSeconds: 30
-  deletionTimestamp: 2025-03-01T11:50:00Z
-  labels:
-    app: api
-    pod-template-hash: 6b9c4
-  name: api-6b9c4-zz9f8
-  namespace: shop
-  ownerReferences:
-  - apiVersion: apps/v1
-    controller: true
-    kind: ReplicaSet
-    name: api-6b9c4
-    uid: uid-api-rs
-  uid: uid-zz9f8
-spec:
-  containers:
-  - image: shop/api:1.4
-    name: api
-  nodeName: worker-2
"
    );
}

// ---------------------------------------------------------------------------------------
// quarantine_pod
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn quarantine_pod_relabels_it_out_of_its_replicaset_and_service() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("quarantine_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: pod("api-6b9c4-x7k2p"),
            subresource: None,
            patch: PatchBody::Json(json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "501"},
                {"op": "replace", "path": "/metadata/labels", "value": {
                    "medic.dev/quarantined": "true",
                    "app.kubernetes.io/managed-by": "medic",
                    "medic.dev/fingerprint": "0f1e2d3c4b5a6978",
                    "medic.dev/alertname": "KubePodCrashLooping"}},
                {"op": "add", "path": "/metadata/annotations", "value": {
                    "medic.dev/alertname": "KubePodCrashLooping",
                    "medic.dev/starts-at": "2025-03-01T12:00:00Z",
                    "medic.dev/summary": "Pod is crash looping.",
                    "medic.dev/original-labels": "{\"app\":\"api\",\"pod-template-hash\":\"6b9c4\"}"}},
            ])),
        }]
    );
    assert_eq!(
        plan.notes,
        [
            "its ReplicaSet api-6b9c4 no longer selects it: it releases the pod and creates a replacement",
            "Service api (selector app=api) stops routing to it",
            "the pod keeps running for inspection; its original labels are kept in annotation medic.dev/original-labels; delete it when done",
        ]
    );

    f.apply(&plan).await;
    let quarantined = f.get(&pod("api-6b9c4-x7k2p")).await.expect("kept for forensics");
    assert_eq!(quarantined.label("medic.dev/quarantined"), Some("true"));
    assert_eq!(quarantined.label("app"), None);
    assert!(owner_names(&quarantined).is_empty(), "released by its ReplicaSet");
    let original: Value = serde_json::from_str(quarantined.annotation("medic.dev/original-labels").unwrap()).unwrap();
    assert_eq!(original, json!({"app": "api", "pod-template-hash": "6b9c4"}));
    let serving: Vec<Object> = f
        .pods("app=api")
        .await
        .into_iter()
        .filter(|p| p.0.pointer("/metadata/deletionTimestamp").is_none())
        .collect();
    assert_eq!(serving.len(), 2, "a replacement joined");
    assert!(serving.iter().all(|p| owner_names(p) == ["api-6b9c4"]));
    assert!(serving.iter().all(|p| p.name() != "api-6b9c4-x7k2p"));

    let (_, reason) = not_applicable(f.plan(&action("quarantine_pod", json!({}))).await);
    assert_eq!(
        reason,
        "the pod is already quarantined (label medic.dev/quarantined=true)"
    );
}

#[tokio::test]
async fn quarantine_pod_keeps_existing_annotations() {
    let f = PODS.alert_on(TargetKind::Pod, "web-7d9f8-abcde");
    f.cluster
        .apply(&Operation::Patch {
            target: pod("web-7d9f8-abcde"),
            subresource: None,
            patch: PatchBody::Merge(json!({"metadata": {"annotations": {"team": "storefront"}}})),
        })
        .await
        .unwrap();
    let plan = f.plan(&action("quarantine_pod", json!({}))).await.unwrap();
    let ops = match &plan.operations[0] {
        Operation::Patch {
            patch: PatchBody::Json(ops),
            ..
        } => ops,
        other => panic!("expected a JSON patch, got {other:?}"),
    };
    assert_eq!(
        ops[2],
        json!({"op": "add", "path": "/metadata/annotations/medic.dev~1alertname", "value": "KubePodCrashLooping"})
    );
    assert_eq!(plan.notes[1], "no Service selects it");
    f.apply(&plan).await;
    let pod = f.get(&pod("web-7d9f8-abcde")).await.unwrap();
    assert_eq!(pod.annotation("team"), Some("storefront"));
    assert_eq!(
        pod.annotation("medic.dev/original-labels"),
        Some("{\"app\":\"web\",\"pod-template-hash\":\"7d9f8\"}")
    );
}

#[tokio::test]
async fn quarantine_pod_refusals() {
    let f = PODS.alert_on(TargetKind::Pod, "debug");
    let (target, reason) = not_applicable(f.plan(&action("quarantine_pod", json!({}))).await);
    assert_eq!(target, "pod/shop/debug");
    assert_eq!(
        reason,
        "the pod has no labels: no controller or Service selects it, so there is nothing to take it out of"
    );
    let on = |name: &'static str| {
        let f = &f;
        async move { not_applicable(f.plan_on(&action("quarantine_pod", json!({})), &pod(name)).await).1 }
    };
    assert_eq!(
        on("db-0").await,
        "the pod is already being deleted (metadata.deletionTimestamp is set)"
    );
    assert_eq!(
        on("kube-proxy-worker-1").await,
        "it is a static pod of node worker-1: only its kubelet manages it"
    );
    assert_eq!(on("nowhere").await, "pod not found");
    // A StatefulSet pod that is not terminating.
    f.cluster
        .apply(&Operation::Delete {
            target: pod("db-0"),
            grace_period_seconds: Some(0),
            uid: None,
        })
        .await
        .unwrap();
    assert_eq!(
        on("db-0").await,
        "it belongs to StatefulSet db, whose replacement would need the name the quarantined pod keeps (restart_pod replaces it)"
    );
}

#[tokio::test]
async fn quarantine_pod_renders() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("quarantine_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
quarantine_pod: quarantine pod/shop/api-6b9c4-x7k2p: replace its labels with medic.dev/quarantined=true so that no controller or Service selects it
  PATCH pod/shop/api-6b9c4-x7k2p (json-patch)
  note: its ReplicaSet api-6b9c4 no longer selects it: it releases the pod and creates a replacement
  note: Service api (selector app=api) stops routing to it
  note: the pod keeps running for inspection; its original labels are kept in annotation medic.dev/original-labels; delete it when done

--- pod/shop/api-6b9c4-x7k2p (live)
+++ pod/shop/api-6b9c4-x7k2p (after medic)
@@ -1,10 +1,17 @@
 apiVersion: v1
 kind: Pod
 metadata:
+  annotations:
+    medic.dev/alertname: KubePodCrashLooping
+    medic.dev/original-labels: '{\"app\":\"api\",\"pod-template-hash\":\"6b9c4\"}'
+    medic.dev/starts-at: 2025-03-01T12:00:00Z
+    medic.dev/summary: Pod is crash looping.
   creationTimestamp: 2025-02-20T09:00:00Z
   labels:
-    app: api
-    pod-template-hash: 6b9c4
+    app.kubernetes.io/managed-by: medic
+    medic.dev/alertname: KubePodCrashLooping
+    medic.dev/fingerprint: 0f1e2d3c4b5a6978
+    medic.dev/quarantined: 'true'
   name: api-6b9c4-x7k2p
   namespace: shop
   ownerReferences:
"
    );
}

// ---------------------------------------------------------------------------------------
// isolate_pod
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn isolate_pod_labels_the_pod_and_creates_a_deny_all_policy_for_it_alone() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("isolate_pod", json!({}))).await.unwrap();
    assert_eq!(plan.operations.len(), 2);
    assert_eq!(
        plan.operations[0],
        Operation::Patch {
            target: pod("api-6b9c4-x7k2p"),
            subresource: None,
            patch: PatchBody::Merge(json!({"metadata": {"labels": {"medic.dev/isolated": "api-6b9c4-x7k2p"}}})),
        }
    );
    let Operation::Create { object } = &plan.operations[1] else {
        panic!("expected a create, got {:?}", plan.operations[1]);
    };
    assert_eq!(
        object.0,
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "medic-isolate-api-6b9c4-x7k2p",
                "namespace": "shop",
                "labels": {
                    "app.kubernetes.io/managed-by": "medic",
                    "medic.dev/fingerprint": "0f1e2d3c4b5a6978",
                    "medic.dev/alertname": "KubePodCrashLooping",
                },
                "annotations": {
                    "medic.dev/alertname": "KubePodCrashLooping",
                    "medic.dev/starts-at": "2025-03-01T12:00:00Z",
                    "medic.dev/summary": "Pod is crash looping.",
                    "medic.dev/isolated-pod": "api-6b9c4-x7k2p",
                },
                "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "api-6b9c4-x7k2p", "uid": "uid-x7k2p"}],
            },
            "spec": {
                "podSelector": {"matchLabels": {"medic.dev/isolated": "api-6b9c4-x7k2p"}},
                "policyTypes": ["Ingress", "Egress"],
            },
        })
    );
    assert_eq!(
        plan.notes,
        [
            "NetworkPolicy medic-isolate-api-6b9c4-x7k2p selects only pods labelled medic.dev/isolated=api-6b9c4-x7k2p; with no ingress or egress rule it denies all traffic to and from the pod, DNS included",
            "NetworkPolicy api-ingress also selects the pod and allows some ingress: policies add up, so that traffic still flows",
            "the pod stays behind Service api (selector app=api): requests routed to it fail (quarantine_pod takes it out)",
            "the pod keeps running and its labels still match ReplicaSet api-6b9c4: it is not replaced",
            "the policy is owned by the pod (deleted with it), and takes effect only where the network plugin enforces NetworkPolicies",
        ]
    );

    f.apply(&plan).await;
    let policy = f
        .get(&shop("NetworkPolicy", "medic-isolate-api-6b9c4-x7k2p"))
        .await
        .expect("the policy is stored");
    assert_eq!(policy.0["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    let isolated = f.get(&pod("api-6b9c4-x7k2p")).await.unwrap();
    assert_eq!(isolated.label("medic.dev/isolated"), Some("api-6b9c4-x7k2p"));
    assert_eq!(isolated.label("app"), Some("api"), "its own labels stay");
    assert_eq!(f.pods("medic.dev/isolated=api-6b9c4-x7k2p").await.len(), 1);
    assert_eq!(f.pods("app=api").await.len(), 4, "nothing was replaced");

    let (_, reason) = not_applicable(f.plan(&action("isolate_pod", json!({}))).await);
    assert_eq!(
        reason,
        "NetworkPolicy medic-isolate-api-6b9c4-x7k2p already exists: the pod is already isolated"
    );

    // The policy goes with the pod.
    f.cluster
        .apply(&Operation::Delete {
            target: pod("api-6b9c4-x7k2p"),
            grace_period_seconds: None,
            uid: None,
        })
        .await
        .unwrap();
    assert!(
        f.get(&shop("NetworkPolicy", "medic-isolate-api-6b9c4-x7k2p"))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn isolate_pod_refusals_and_a_pod_already_labelled() {
    let f = PODS.alert_on(TargetKind::Pod, "debug");
    let on = |name: &'static str| {
        let f = &f;
        async move { not_applicable(f.plan_on(&action("isolate_pod", json!({})), &pod(name)).await).1 }
    };
    assert_eq!(
        on("api-6b9c4-zz9f8").await,
        "the pod is already being deleted (metadata.deletionTimestamp is set)"
    );
    assert_eq!(
        on("kube-proxy-worker-1").await,
        "it is a static pod of node worker-1: its labels are its manifest's, and the API cannot change them"
    );
    assert_eq!(on("nowhere").await, "pod not found");

    f.cluster
        .apply(&Operation::Patch {
            target: pod("debug"),
            subresource: None,
            patch: PatchBody::Merge(json!({"metadata": {"labels": {"medic.dev/isolated": "debug"}}})),
        })
        .await
        .unwrap();
    let plan = f.plan(&action("isolate_pod", json!({}))).await.unwrap();
    assert_eq!(plan.operations.len(), 1, "only the policy is left to create");
    assert_eq!(plan.notes[0], "the pod already has the label medic.dev/isolated=debug");
    assert_eq!(
        plan.notes.last().map(String::as_str),
        Some(
            "the policy is owned by the pod (deleted with it), and takes effect only where the network plugin enforces NetworkPolicies"
        )
    );
    assert!(plan.notes.contains(&"the pod keeps running".to_string()));
}

#[tokio::test]
async fn isolate_pod_renders() {
    let f = PODS.alert_on(TargetKind::Pod, "web-7d9f8-abcde");
    let plan = f.plan(&action("isolate_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
isolate_pod: isolate pod/shop/web-7d9f8-abcde with the deny-all NetworkPolicy medic-isolate-web-7d9f8-abcde
  PATCH pod/shop/web-7d9f8-abcde (merge-patch)
  CREATE networkpolicy/shop/medic-isolate-web-7d9f8-abcde
  note: NetworkPolicy medic-isolate-web-7d9f8-abcde selects only pods labelled medic.dev/isolated=web-7d9f8-abcde; with no ingress or egress rule it denies all traffic to and from the pod, DNS included
  note: the pod keeps running and its labels still match ReplicaSet web-7d9f8: it is not replaced
  note: the policy is owned by the pod (deleted with it), and takes effect only where the network plugin enforces NetworkPolicies

--- pod/shop/web-7d9f8-abcde (live)
+++ pod/shop/web-7d9f8-abcde (after medic)
@@ -4,6 +4,7 @@
   creationTimestamp: 2025-03-01T12:00:00Z
   labels:
     app: web
+    medic.dev/isolated: web-7d9f8-abcde
     pod-template-hash: 7d9f8
   name: web-7d9f8-abcde
   namespace: shop

--- networkpolicy/shop/medic-isolate-web-7d9f8-abcde (absent)
+++ networkpolicy/shop/medic-isolate-web-7d9f8-abcde (created by medic)
@@ -0,0 +1,26 @@
+apiVersion: networking.k8s.io/v1
+kind: NetworkPolicy
+metadata:
+  annotations:
+    medic.dev/alertname: KubePodCrashLooping
+    medic.dev/isolated-pod: web-7d9f8-abcde
+    medic.dev/starts-at: 2025-03-01T12:00:00Z
+    medic.dev/summary: Pod is crash looping.
+  labels:
+    app.kubernetes.io/managed-by: medic
+    medic.dev/alertname: KubePodCrashLooping
+    medic.dev/fingerprint: 0f1e2d3c4b5a6978
+  name: medic-isolate-web-7d9f8-abcde
+  namespace: shop
+  ownerReferences:
+  - apiVersion: v1
+    kind: Pod
+    name: web-7d9f8-abcde
+    uid: uid-abcde
+spec:
+  podSelector:
+    matchLabels:
+      medic.dev/isolated: web-7d9f8-abcde
+  policyTypes:
+  - Ingress
+  - Egress
"
    );
}
