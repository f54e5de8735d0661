//! `cordon_node` and `uncordon_node` in the simulated cluster.

use serde_json::json;

use crate::actions::test_support::{NODES, action, node, not_applicable};
use crate::cluster::{Cluster, Kind, ObjectRef, Operation, PatchBody};
use crate::incident::TargetKind;

#[tokio::test]
async fn cordon_patches_unschedulable_and_new_pods_go_elsewhere() {
    let f = NODES.alert_on_node("worker-1");
    let plan = f.plan(&action("cordon_node", json!({}))).await.unwrap();
    assert_eq!(plan.target, Some(node("worker-1")));
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: node("worker-1"),
            subresource: None,
            patch: PatchBody::Merge(json!({"spec": {"unschedulable": true}})),
        }]
    );
    assert!(
        plan.changes[0].diff.contains("+  unschedulable: true\n"),
        "{}",
        plan.changes[0].diff
    );

    f.apply(&plan).await;
    assert_eq!(f.node("worker-1").await.0["spec"]["unschedulable"], true);
    assert_eq!(
        f.pods_on("worker-1").await.len(),
        6,
        "cordoning keeps the running pods where they are"
    );
    let scale = Operation::Patch {
        target: ObjectRef::namespaced("Deployment", "shop", "api"),
        subresource: Some("scale".into()),
        patch: PatchBody::Merge(json!({"spec": {"replicas": 4}})),
    };
    f.cluster.apply(&scale).await.unwrap();
    let api_on_2 = f
        .pods_on("worker-2")
        .await
        .into_iter()
        .filter(|p| p.starts_with("shop/api-"))
        .count();
    assert_eq!(api_on_2, 2, "both new pods went to the schedulable node");

    let (target, reason) = not_applicable(f.plan(&action("cordon_node", json!({}))).await);
    assert_eq!(target, "node/worker-1");
    assert_eq!(reason, "the node is already cordoned (spec.unschedulable is true)");
}

#[tokio::test]
async fn cordon_renders() {
    let f = NODES.alert_on_node("worker-1");
    let plan = f.plan(&action("cordon_node", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
cordon_node: cordon node/worker-1: mark it unschedulable
  PATCH node/worker-1 (merge-patch)
  note: pods already running on the node keep running; only new pods are kept off it (drain_node evicts them)

--- node/worker-1 (live)
+++ node/worker-1 (after medic)
@@ -8,6 +8,7 @@
   uid: uid-worker-1
 spec:
   podCIDR: 10.244.1.0/24
+  unschedulable: true
 status:
   allocatable:
     cpu: '8'
"
    );
}

#[tokio::test]
async fn uncordon_removes_unschedulable_and_the_node_takes_pods_again() {
    let f = NODES.alert_on_node("worker-2");
    let (target, reason) = not_applicable(f.plan(&action("uncordon_node", json!({}))).await);
    assert_eq!(target, "node/worker-2");
    assert_eq!(reason, "the node is not cordoned (spec.unschedulable is not set)");

    f.plan_and_apply(&action("cordon_node", json!({}))).await;
    let plan = f.plan(&action("uncordon_node", json!({}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: node("worker-2"),
            subresource: None,
            patch: PatchBody::Merge(json!({"spec": {"unschedulable": null}})),
        }]
    );
    assert_eq!(
        plan.render(),
        "\
uncordon_node: uncordon node/worker-2: mark it schedulable again
  PATCH node/worker-2 (merge-patch)
  note: new pods may be scheduled on the node again; pods moved elsewhere stay where they are

--- node/worker-2 (live)
+++ node/worker-2 (after medic)
@@ -6,8 +6,7 @@
     kubernetes.io/hostname: worker-2
   name: worker-2
   uid: uid-worker-2
-spec:
-  unschedulable: true
+spec: {}
 status:
   allocatable:
     cpu: '8'
"
    );
    f.apply(&plan).await;
    assert_eq!(f.node("worker-2").await.0["spec"].get("unschedulable"), None);
    // worker-1 now has more pods, so a new one lands on worker-2 again.
    let scale = Operation::Patch {
        target: ObjectRef::namespaced("Deployment", "shop", "api"),
        subresource: Some("scale".into()),
        patch: PatchBody::Merge(json!({"spec": {"replicas": 3}})),
    };
    f.cluster.apply(&scale).await.unwrap();
    let api = f
        .cluster
        .list(&Kind::of("Pod"), Some("shop"), Some("app=api"))
        .await
        .unwrap();
    assert!(
        api.iter().any(|p| p.0["spec"]["nodeName"] == "worker-2"),
        "the uncordoned node is used"
    );
}

#[tokio::test]
async fn uncordoning_a_node_that_is_not_ready_says_so() {
    let f = NODES.alert_on_node("worker-2");
    let broken = Operation::Patch {
        target: node("worker-2"),
        subresource: Some("status".into()),
        patch: PatchBody::Merge(json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}})),
    };
    f.cluster.apply(&broken).await.unwrap();
    f.plan_and_apply(&action("cordon_node", json!({}))).await;
    let plan = f.plan(&action("uncordon_node", json!({}))).await.unwrap();
    assert_eq!(
        plan.notes[1],
        "the node is not Ready: pods scheduled on it will not start until it is"
    );
}

#[tokio::test]
async fn node_actions_need_a_node() {
    let f = NODES.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    for name in ["cordon_node", "uncordon_node", "drain_node"] {
        let (target, reason) = not_applicable(f.plan(&action(name, json!({}))).await);
        assert_eq!(target, "pod/shop/api-6b9c4-x7k2p");
        assert_eq!(reason, format!("{name} acts on Node, not on a Pod"));
    }
    let (target, reason) = not_applicable(f.plan_on(&action("cordon_node", json!({})), &node("worker-9")).await);
    assert_eq!((target.as_str(), reason.as_str()), ("node/worker-9", "node not found"));
}
