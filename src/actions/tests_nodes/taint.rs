//! `taint_node` in the simulated cluster.

use serde_json::json;

use crate::actions::Action;
use crate::actions::test_support::{NODES, action, invalid_params, node, not_applicable};
use crate::cluster::{Cluster, ObjectRef, Operation, PatchBody};

fn patch_body(plan: &crate::actions::Plan) -> serde_json::Value {
    match plan.operations.as_slice() {
        [
            Operation::Patch {
                target,
                subresource: None,
                patch: PatchBody::Json(body),
            },
        ] => {
            assert_eq!(target, &node("worker-1"));
            body.clone()
        }
        other => panic!("expected one JSON patch, got {other:?}"),
    }
}

#[tokio::test]
async fn taint_creates_the_list_then_appends_and_refuses_a_duplicate() {
    let f = NODES.alert_on_node("worker-1");
    let rv = f.node("worker-1").await.resource_version().unwrap().to_string();
    let plan = f
        .plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "value": "true"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        patch_body(&plan),
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
            {"op": "add", "path": "/spec/taints", "value": [{"key": "medic.dev/unhealthy", "value": "true", "effect": "NoSchedule"}]},
        ])
    );
    assert_eq!(
        plan.summary,
        "taint node/worker-1 with medic.dev/unhealthy=true:NoSchedule"
    );
    f.apply(&plan).await;
    assert_eq!(
        f.node("worker-1").await.0["spec"]["taints"],
        json!([{"key": "medic.dev/unhealthy", "value": "true", "effect": "NoSchedule"}])
    );
    assert_eq!(f.pods_on("worker-1").await.len(), 6, "NoSchedule evicts nothing");

    // The same key with another effect is another taint: appended.
    let rv = f.node("worker-1").await.resource_version().unwrap().to_string();
    let plan = f
        .plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "effect": "PreferNoSchedule"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        patch_body(&plan),
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
            {"op": "add", "path": "/spec/taints/-", "value": {"key": "medic.dev/unhealthy", "effect": "PreferNoSchedule"}},
        ])
    );
    assert_eq!(
        plan.notes,
        [
            "the scheduler avoids the node for new pods without a toleration for medic.dev/unhealthy, but may still use it"
        ]
    );
    f.apply(&plan).await;
    assert_eq!(
        f.node("worker-1").await.0["spec"]["taints"].as_array().unwrap().len(),
        2
    );

    let (target, reason) = not_applicable(
        f.plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "value": "other"}),
        ))
        .await,
    );
    assert_eq!(target, "node/worker-1");
    assert_eq!(
        reason,
        "the node already has a taint with key medic.dev/unhealthy and effect NoSchedule (medic.dev/unhealthy=true:NoSchedule)"
    );
}

#[tokio::test]
async fn a_stale_plan_is_refused_by_the_resource_version_test() {
    let f = NODES.alert_on_node("worker-1");
    let plan = f
        .plan(&action("taint_node", json!({"key": "medic.dev/unhealthy"})))
        .await
        .unwrap();
    let label = Operation::Patch {
        target: node("worker-1"),
        subresource: None,
        patch: PatchBody::Merge(json!({"metadata": {"labels": {"pool": "blue"}}})),
    };
    f.cluster.apply(&label).await.unwrap();
    let err = f.cluster.apply(&plan.operations[0]).await.unwrap_err();
    assert!(matches!(err, crate::cluster::ClusterError::Conflict { .. }), "{err:?}");
}

#[tokio::test]
async fn new_pods_avoid_a_no_schedule_taint() {
    let f = NODES.alert_on_node("worker-2");
    f.apply(
        &f.plan(&action("taint_node", json!({"key": "medic.dev/unhealthy"})))
            .await
            .unwrap(),
    )
    .await;
    let scale = Operation::Patch {
        target: ObjectRef::namespaced("Deployment", "shop", "api"),
        subresource: Some("scale".into()),
        patch: PatchBody::Merge(json!({"spec": {"replicas": 4}})),
    };
    f.cluster.apply(&scale).await.unwrap();
    let on_2: Vec<String> = f.pods_on("worker-2").await;
    assert!(!on_2.iter().any(|p| p.starts_with("shop/api-")), "{on_2:?}");
}

#[tokio::test]
async fn no_execute_says_which_pods_go_and_the_sim_evicts_them() {
    let f = NODES.alert_on_node("worker-1");
    let plan = f
        .plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "value": "true", "effect": "NoExecute"}),
        ))
        .await
        .unwrap();
    let exporter = f
        .pods_on("worker-1")
        .await
        .into_iter()
        .find(|p| p.starts_with("kube-system/node-exporter-"))
        .expect("the DaemonSet pod");
    assert_eq!(
        plan.notes,
        [
            format!(
                "NoExecute: the pods running on the node without a toleration for it are evicted now: {exporter}, \
                 shop/api-6b9c4-q9m4t, shop/api-6b9c4-x7k2p"
            ),
            "pods tolerating it for a limited time are evicted when their tolerationSeconds run out: shop/cache-7d-m2m5z (300s)"
                .to_string(),
        ]
    );
    f.apply(&plan).await;
    assert_eq!(
        f.pods_on("worker-1").await,
        [
            "kube-system/kube-proxy-worker-1",
            "shop/cache-7d-m2m5z",
            "shop/migrate-8xk2d"
        ],
        "the mirror pod and the cache tolerate it; the finished pod is not running"
    );
    let on_2 = f.pods_on("worker-2").await;
    assert_eq!(
        on_2.iter().filter(|p| p.starts_with("shop/api-")).count(),
        2,
        "{on_2:?}"
    );
    let events = f
        .cluster
        .events(&ObjectRef::namespaced("Pod", "shop", "api-6b9c4-x7k2p"))
        .await
        .unwrap();
    assert_eq!(
        events.last().and_then(|e| e.reason.as_deref()),
        Some("TaintManagerEviction")
    );
}

#[tokio::test]
async fn no_execute_without_victims_says_so() {
    let f = NODES.alert_on_node("worker-2");
    // Only the DaemonSet pod runs there, without a toleration for it.
    let plan = f
        .plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "effect": "NoExecute"}),
        ))
        .await
        .unwrap();
    assert_eq!(plan.notes.len(), 1);
    assert!(plan.notes[0].contains("kube-system/node-exporter-"), "{:?}", plan.notes);
    f.apply(&plan).await;
    assert!(
        f.pods_on("worker-2").await.is_empty(),
        "the DaemonSet pod does not tolerate it either"
    );
    let plan = f
        .plan(&action(
            "taint_node",
            json!({"key": "medic.dev/draining", "effect": "NoExecute"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        plan.notes,
        ["no pod running on the node lacks a toleration for it: none is evicted now"]
    );
}

#[tokio::test]
async fn taint_renders() {
    let f = NODES.alert_on_node("worker-2");
    let plan = f
        .plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "value": "true"}),
        ))
        .await
        .unwrap();
    let Operation::Patch { patch, .. } = &plan.operations[0] else {
        panic!("expected a patch")
    };
    assert_eq!(
        patch.body()[1],
        json!({"op": "add", "path": "/spec", "value": {"taints": [
            {"key": "medic.dev/unhealthy", "value": "true", "effect": "NoSchedule"}]}}),
        "a node without spec gets one"
    );
    assert_eq!(
        plan.render(),
        "\
taint_node: taint node/worker-2 with medic.dev/unhealthy=true:NoSchedule
  PATCH node/worker-2 (json-patch)
  note: pods already running on the node stay; new pods without a toleration for medic.dev/unhealthy are not scheduled on it

--- node/worker-2 (live)
+++ node/worker-2 (after medic)
@@ -6,6 +6,11 @@
     kubernetes.io/hostname: worker-2
   name: worker-2
   uid: uid-worker-2
+spec:
+  taints:
+  - effect: NoSchedule
+    key: medic.dev/unhealthy
+    value: 'true'
 status:
   allocatable:
     cpu: '8'
"
    );
}

#[tokio::test]
async fn taint_keys_and_values_are_checked() {
    let f = NODES.alert_on_node("worker-1");
    let (field, message) = invalid_params(f.plan(&action("taint_node", json!({"key": "Medic Unhealthy"}))).await);
    assert_eq!(field, "params.key");
    assert_eq!(
        message,
        "\"Medic Unhealthy\" is not a valid taint key: the name part \"Medic Unhealthy\" must consist of alphanumeric \
         characters, '-', '_' or '.', and start and end with an alphanumeric character (e.g. 'medic.dev/unhealthy')"
    );
    let (field, message) = invalid_params(
        f.plan(&action(
            "taint_node",
            json!({"key": "medic.dev/unhealthy", "value": "-bad"}),
        ))
        .await,
    );
    assert_eq!(field, "params.value");
    assert!(message.starts_with("\"-bad\" is not a valid taint value"), "{message}");
    let err = Action::from_parts("taint_node", json!({"key": "x", "effect": "Evict"})).unwrap_err();
    assert!(err.to_string().contains("params.effect"), "{err}");
    assert!(f.cluster.applied().is_empty());
}
