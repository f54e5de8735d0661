//! `drain_node` in the simulated cluster.

use serde_json::json;

use crate::actions::test_support::{NODES, action, invalid_params, node, not_applicable, out_of_bounds};
use crate::cluster::{Cluster, Object, Operation, PatchBody};

fn evict(namespace: &str, pod: &str, wait: u64) -> Operation {
    Operation::Evict {
        namespace: namespace.into(),
        pod: pod.into(),
        wait_seconds: Some(wait),
    }
}

#[tokio::test]
async fn drain_cordons_evicts_and_the_controllers_move_the_pods() {
    let f = NODES.alert_on_node("worker-1");
    let plan = f
        .plan(&action(
            "drain_node",
            json!({"delete_emptydir_data": true, "timeout_seconds": 120}),
        ))
        .await
        .unwrap();
    assert_eq!(
        plan.operations,
        vec![
            Operation::Patch {
                target: node("worker-1"),
                subresource: None,
                patch: PatchBody::Merge(json!({"spec": {"unschedulable": true}})),
            },
            evict("shop", "api-6b9c4-q9m4t", 120),
            evict("shop", "api-6b9c4-x7k2p", 120),
            evict("shop", "cache-7d-m2m5z", 120),
            evict("shop", "migrate-8xk2d", 120),
        ]
    );
    assert_eq!(plan.summary, "drain node/worker-1: cordon it and evict 4 pods");
    assert_eq!(plan.changes.len(), 1, "the node's diff; evictions are calls");

    f.apply(&plan).await;
    let exporter_1 = f
        .pods_on("worker-1")
        .await
        .into_iter()
        .find(|p| p.starts_with("kube-system/node-exporter-"))
        .expect("the DaemonSet pod stays");
    assert_eq!(
        f.pods_on("worker-1").await,
        ["kube-system/kube-proxy-worker-1", exporter_1.as_str()],
        "only the DaemonSet and mirror pods stay"
    );
    let on_2 = f.pods_on("worker-2").await;
    assert_eq!(
        on_2.iter().filter(|p| p.starts_with("shop/api-6b9c4-")).count(),
        2,
        "{on_2:?}"
    );
    assert_eq!(
        on_2.iter().filter(|p| p.starts_with("shop/cache-7d-")).count(),
        1,
        "{on_2:?}"
    );
    assert!(
        !on_2.iter().any(|p| p.contains("migrate")),
        "a finished pod is not recreated"
    );
    assert_eq!(f.node("worker-1").await.0["spec"]["unschedulable"], true);
}

#[tokio::test]
async fn drain_renders() {
    let f = NODES.alert_on_node("worker-1");
    let plan = f
        .plan(&action("drain_node", json!({"delete_emptydir_data": true})))
        .await
        .unwrap();
    let exporter = f
        .pods_on("worker-1")
        .await
        .into_iter()
        .find(|p| p.starts_with("kube-system/node-exporter-"))
        .unwrap();
    assert_eq!(
        plan.render(),
        format!(
            "\
drain_node: drain node/worker-1: cordon it and evict 4 pods
  PATCH node/worker-1 (merge-patch)
  EVICT pod/shop/api-6b9c4-q9m4t (waiting up to 600s for disruption budgets)
  EVICT pod/shop/api-6b9c4-x7k2p (waiting up to 600s for disruption budgets)
  EVICT pod/shop/cache-7d-m2m5z (waiting up to 600s for disruption budgets)
  EVICT pod/shop/migrate-8xk2d (waiting up to 600s for disruption budgets)
  note: the evicted pods are recreated on other nodes by their controllers: ReplicaSet api-6b9c4 (2), ReplicaSet cache-7d (1)
  note: finished pods are removed: shop/migrate-8xk2d
  note: the drain waits at most 600s for disruption budgets, then fails with the budget's message
  note: DaemonSet pods stay on the node: {exporter}
  note: mirror (static) pods stay on the node: kube-system/kube-proxy-worker-1
  note: PodDisruptionBudget shop/api (minAvailable 1) covers shop/api-6b9c4-q9m4t, shop/api-6b9c4-x7k2p: an eviction it refuses is retried until the timeout

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
        )
    );
}

#[tokio::test]
async fn drain_refuses_to_lose_pods_or_their_data() {
    let f = NODES.alert_on_node("worker-1");
    let (target, reason) = not_applicable(f.plan(&action("drain_node", json!({}))).await);
    assert_eq!(target, "node/worker-1");
    assert_eq!(
        reason,
        "pods with emptyDir volumes would lose their data (set params.delete_emptydir_data to evict them anyway): \
         shop/cache-7d-m2m5z"
    );
    for (name, owner) in [
        ("debug", json!([])),
        (
            "agent-x2",
            json!([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "gone", "uid": "uid-gone", "controller": true}]),
        ),
    ] {
        let pod = Object::new(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "ownerReferences": owner},
            "spec": {"nodeName": "worker-1", "containers": [{"name": "sh", "image": "busybox:1.36"}]},
            "status": {"phase": "Running"},
        }))
        .unwrap();
        f.cluster.apply(&Operation::Create { object: pod }).await.unwrap();
    }
    let (_, reason) = not_applicable(f.plan(&action("drain_node", json!({}))).await);
    assert_eq!(
        reason,
        "pods without a controller would be lost, as nothing recreates them (move or delete them first; kubectl \
         drain needs --force for them): shop/agent-x2, shop/debug; pods with emptyDir volumes would lose their data \
         (set params.delete_emptydir_data to evict them anyway): shop/cache-7d-m2m5z"
    );
    let (_, reason) = not_applicable(
        f.plan(&action("drain_node", json!({"delete_emptydir_data": true})))
            .await,
    );
    assert!(
        reason.starts_with("pods without a controller would be lost"),
        "{reason}"
    );
    assert!(!reason.contains("emptyDir"), "{reason}");
    assert!(
        f.cluster
            .applied()
            .iter()
            .all(|op| matches!(op, Operation::Create { .. }))
    );
}

#[tokio::test]
async fn drain_timeout_is_bounded() {
    let mut f = NODES.alert_on_node("worker-1");
    f.bounds.drain_timeout_seconds = 300;
    let (field, value, limit) = out_of_bounds(f.plan(&action("drain_node", json!({"timeout_seconds": 900}))).await);
    assert_eq!((field.as_str(), value.as_str()), ("params.timeout_seconds", "900"));
    assert_eq!(limit, "bounds.drain_timeout_seconds is 300");
    let (field, message) = invalid_params(f.plan(&action("drain_node", json!({"timeout_seconds": 0}))).await);
    assert_eq!(field, "params.timeout_seconds");
    assert_eq!(message, "must be 1 second or more, found 0");
    let plan = f
        .plan(&action("drain_node", json!({"delete_emptydir_data": true})))
        .await
        .unwrap();
    assert!(
        plan.operations.iter().skip(1).all(|op| matches!(
            op,
            Operation::Evict {
                wait_seconds: Some(300),
                ..
            }
        )),
        "the bound is the default timeout"
    );
}

#[tokio::test]
async fn draining_a_node_with_only_daemon_pods_cordons_it_then_has_nothing_to_do() {
    let f = NODES.alert_on_node("worker-2");
    let plan = f.plan(&action("drain_node", json!({}))).await.unwrap();
    assert_eq!(plan.summary, "drain node/worker-2: cordon it (no pods to evict)");
    assert_eq!(plan.operations.len(), 1);
    f.apply(&plan).await;
    let (target, reason) = not_applicable(f.plan(&action("drain_node", json!({}))).await);
    assert_eq!(target, "node/worker-2");
    assert_eq!(reason, "the node is already cordoned and has no pods to evict");
}

#[tokio::test]
async fn draining_a_cordoned_node_only_evicts() {
    let f = NODES.alert_on_node("worker-1");
    f.plan_and_apply(&action("cordon_node", json!({}))).await;
    let plan = f
        .plan(&action("drain_node", json!({"delete_emptydir_data": true})))
        .await
        .unwrap();
    assert_eq!(plan.summary, "drain node/worker-1 (already cordoned): evict 4 pods");
    assert!(plan.changes.is_empty());
    assert_eq!(plan.notes[0], "the node is already cordoned");
    assert!(plan.operations.iter().all(|op| matches!(op, Operation::Evict { .. })));
}

#[tokio::test]
async fn draining_a_node_that_is_not_ready_warns_about_stuck_pods() {
    let f = NODES.alert_on_node("worker-1");
    let broken = Operation::Patch {
        target: node("worker-1"),
        subresource: Some("status".into()),
        patch: PatchBody::Merge(json!({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}})),
    };
    f.cluster.apply(&broken).await.unwrap();
    let plan = f
        .plan(&action("drain_node", json!({"delete_emptydir_data": true})))
        .await
        .unwrap();
    assert_eq!(
        plan.notes.last().unwrap(),
        "the node is not Ready: evicted pods may stay Terminating until its kubelet returns (delete_stuck_pods \
         force-deletes them)"
    );
}
