//! Tests of action planning against the simulated cluster: for each action, the exact
//! operations and the diff it plans, every documented refusal, the state of the cluster
//! after the plan's operations are applied, and the full dry-run rendering.

use serde_json::json;

use super::test_support::*;
use super::*;
use crate::cluster::{Object, ObjectRef, Operation, PatchBody};
use crate::context::{ContainerFacts, Context, EventFacts, PodFacts, WorkloadFacts};
use crate::incident::TargetKind;

// ---------------------------------------------------------------------------------------
// Target resolution
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_decisions_target_wins_over_the_incidents() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let web = deployment("web");
    assert_eq!(
        target::resolve(ActionKind::ScaleDeployment, &f.input(Some(&web))).unwrap(),
        Some(web.clone())
    );
    assert_eq!(
        target::resolve(ActionKind::ScaleDeployment, &f.input(None)).unwrap(),
        Some(deployment("api"))
    );
}

#[tokio::test]
async fn a_pod_stands_for_its_workload_from_the_context_or_the_cluster() {
    let mut f = DEPLOYMENTS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let p = pod("api-6b9c4-x7k2p");
    // Without the owner chain in the context, the pod is kept and followed through the cluster.
    let resolved = target::resolve(ActionKind::RolloutRestart, &f.input(None)).unwrap();
    assert_eq!(resolved, Some(p.clone()));
    let workload = target::acting_on(ActionKind::RolloutRestart, resolved.as_ref(), &f.input(None))
        .await
        .unwrap();
    assert_eq!(workload, deployment("api"));
    // With it, the context answers.
    f.context.target = Some(p.clone());
    f.context.owners = vec![
        ObjectRef::namespaced("ReplicaSet", "shop", "api-6b9c4"),
        deployment("api"),
    ];
    assert_eq!(
        target::resolve(ActionKind::IncreaseResources, &f.input(None)).unwrap(),
        Some(deployment("api"))
    );
    // A plan on the pod acts on its Deployment.
    let plan = f.plan(&action("scale_deployment", json!({"delta": 1}))).await.unwrap();
    assert_eq!(plan.target, Some(deployment("api")));
}

#[tokio::test]
async fn targets_of_the_wrong_kind_are_refused_with_the_reason() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let (target, reason) = not_applicable(f.plan(&action("restart_pod", json!({}))).await);
    assert_eq!(target, "deployment/shop/api");
    assert_eq!(
        reason,
        "restart_pod needs a pod, and this is a Deployment (rollout_restart restarts all of a workload's pods)"
    );

    let node = ObjectRef::cluster_scoped("Node", "worker-1");
    let (target, reason) = not_applicable(f.plan_on(&action("rollout_restart", json!({})), &node).await);
    assert_eq!(target, "node/worker-1");
    assert_eq!(
        reason,
        "rollout_restart acts on Deployment, StatefulSet or DaemonSet, not on a Node"
    );

    let db_pod = f
        .pods("app=db")
        .await
        .into_iter()
        .next()
        .expect("the StatefulSet controller made db-0");
    let (target, reason) = not_applicable(
        f.plan_on(&action("scale_deployment", json!({"replicas": 2})), &db_pod.reference())
            .await,
    );
    assert_eq!(target, "pod/shop/db-0");
    assert_eq!(
        reason,
        "it belongs to StatefulSet db, and scale_deployment acts on Deployment only"
    );

    let (target, reason) = not_applicable(f.plan_on(&action("rollout_restart", json!({})), &pod("debug")).await);
    assert_eq!(target, "pod/shop/debug");
    assert_eq!(
        reason,
        "it has no controller, so there is no Deployment, StatefulSet or DaemonSet to act on"
    );

    let mut f = f;
    f.incident.target = None;
    let (target, reason) = not_applicable(f.plan(&action("rollout_restart", json!({}))).await);
    assert_eq!(target, "no target");
    assert_eq!(
        reason,
        "neither the decision nor the incident names an object to act on"
    );
    assert_eq!(target::resolve(ActionKind::Escalate, &f.input(None)).unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// restart_pod
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn restart_pod_deletes_the_pod_by_uid_and_its_replicaset_replaces_it() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("restart_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Delete {
            target: pod("api-6b9c4-x7k2p"),
            grace_period_seconds: None,
            uid: Some("uid-pod-1".into()),
        }]
    );
    assert_eq!(plan.notes, vec!["its ReplicaSet api-6b9c4 will create a replacement"]);
    assert_eq!(plan.changes.len(), 1);
    assert!(
        plan.changes[0].diff.contains("-  name: api-6b9c4-x7k2p\n"),
        "{}",
        plan.changes[0].diff
    );

    f.apply(&plan).await;
    assert!(f.get(&pod("api-6b9c4-x7k2p")).await.is_none());
    let pods = f.pods("app=api").await;
    let names: Vec<&str> = pods.iter().map(Object::name).collect();
    assert_eq!(pods.len(), 2, "{names:?}");
    assert!(names.contains(&"api-6b9c4-q9m4t"));
    assert!(
        pods.iter()
            .all(|p| p.controller() == Some(ObjectRef::namespaced("ReplicaSet", "shop", "api-6b9c4")))
    );
}

#[tokio::test]
async fn restart_pod_refuses_a_pod_without_controller_unless_forced() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Pod, "debug");
    let (target, reason) = not_applicable(f.plan(&action("restart_pod", json!({}))).await);
    assert_eq!(target, "pod/shop/debug");
    assert_eq!(
        reason,
        "the pod has no controller, so nothing would recreate it (set params.force to delete it anyway)"
    );
    let plan = f.plan(&action("restart_pod", json!({"force": true}))).await.unwrap();
    assert_eq!(plan.summary, "delete pod/shop/debug, which has no controller (forced)");
    assert_eq!(plan.notes, vec!["the pod has no controller: nothing will recreate it"]);
    f.apply(&plan).await;
    assert!(f.get(&pod("debug")).await.is_none());

    let (_, reason) = not_applicable(f.plan(&action("restart_pod", json!({}))).await);
    assert_eq!(reason, "pod not found");
}

#[tokio::test]
async fn restart_pod_renders() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("restart_pod", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
restart_pod: delete pod/shop/api-6b9c4-x7k2p so that its ReplicaSet recreates it
  DELETE pod/shop/api-6b9c4-x7k2p
  note: its ReplicaSet api-6b9c4 will create a replacement

--- pod/shop/api-6b9c4-x7k2p (live)
+++ pod/shop/api-6b9c4-x7k2p (deleted)
@@ -1,28 +0,0 @@
-apiVersion: v1
-kind: Pod
-metadata:
-  creationTimestamp: 2025-02-20T09:00:00Z
-  labels:
-    app: api
-    pod-template-hash: 6b9c4
-  name: api-6b9c4-x7k2p
-  namespace: shop
-  ownerReferences:
-  - apiVersion: apps/v1
-    controller: true
-    kind: ReplicaSet
-    name: api-6b9c4
-    uid: uid-api-rs2
-  uid: uid-pod-1
-spec:
-  containers:
-  - image: shop/api:1.4
-    name: api
-    resources:
-      limits:
-        cpu: 500m
-        memory: 256Mi
-      requests:
-        cpu: 250m
-        memory: 128Mi
-  nodeName: worker-1
"
    );
}

// ---------------------------------------------------------------------------------------
// rollout_restart
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn rollout_restart_stamps_the_template_and_a_new_revision_rolls_out() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("rollout_restart", json!({}))).await.unwrap();
    let (target, subresource, patch) = patch_of(&plan);
    assert_eq!((target, subresource), (&deployment("api"), None));
    assert_eq!(
        patch,
        &PatchBody::Strategic(json!({"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": "2025-03-01T12:00:00Z"}}}}}))
    );
    let diff = &plan.changes[0].diff;
    assert!(
        diff.contains(
            "     metadata:\n+      annotations:\n+        kubectl.kubernetes.io/restartedAt: 2025-03-01T12:00:00Z\n"
        ),
        "{diff}"
    );

    f.apply(&plan).await;
    let api = f.get(&deployment("api")).await.unwrap();
    assert_eq!(read::revision(&api), Some(3));
    let newest = f
        .list("ReplicaSet", None)
        .await
        .into_iter()
        .find(|rs| read::revision(rs) == Some(3))
        .expect("a ReplicaSet of revision 3");
    assert_eq!(
        newest
            .0
            .pointer("/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"),
        Some(&json!("2025-03-01T12:00:00Z"))
    );
    let pods = f.pods("app=api").await;
    assert_eq!(pods.len(), 2);
    assert!(
        pods.iter()
            .all(|p| p.controller().map(|c| c.name) == Some(newest.name().to_string()))
    );
}

#[tokio::test]
async fn rollout_restart_refuses_a_paused_deployment_and_an_on_delete_statefulset() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "batch");
    let (target, reason) = not_applicable(f.plan(&action("rollout_restart", json!({}))).await);
    assert_eq!(target, "deployment/shop/batch");
    assert_eq!(
        reason,
        "rollout is paused: a restart would not replace any pod until it is resumed"
    );

    let db = ObjectRef::namespaced("StatefulSet", "shop", "db");
    let (_, reason) = not_applicable(f.plan_on(&action("rollout_restart", json!({})), &db).await);
    assert_eq!(
        reason,
        "its update strategy is OnDelete: a StatefulSet with it replaces no pod when its template changes"
    );
}

#[tokio::test]
async fn rollout_restart_renders() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("rollout_restart", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
rollout_restart: restart the pods of deployment/shop/api by stamping its pod template (kubectl.kubernetes.io/restartedAt=2025-03-01T12:00:00Z)
  PATCH deployment/shop/api (strategic-merge-patch)
  note: the Deployment replaces its 2 pods through a new ReplicaSet, following its RollingUpdate strategy

--- deployment/shop/api (live)
+++ deployment/shop/api (after medic)
@@ -14,6 +14,8 @@
       app: api
   template:
     metadata:
+      annotations:
+        kubectl.kubernetes.io/restartedAt: 2025-03-01T12:00:00Z
       labels:
         app: api
     spec:
"
    );
}

// ---------------------------------------------------------------------------------------
// rollback_deployment
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn rollback_restores_the_previous_template_and_the_old_replicaset_comes_back() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("rollback_deployment", json!({}))).await.unwrap();
    let live = f.get(&deployment("api")).await.unwrap();
    let (target, subresource, patch) = patch_of(&plan);
    assert_eq!((target, subresource), (&deployment("api"), None));
    assert_eq!(
        patch,
        &PatchBody::Json(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": live.resource_version().unwrap()},
            {"op": "replace", "path": "/spec/template", "value": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "shop/api:1.3", "resources": {
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                    "requests": {"cpu": "250m", "memory": "128Mi"}}}]}}}
        ]))
    );
    assert_eq!(
        plan.summary,
        "roll back deployment/shop/api from revision 2 to revision 1"
    );
    assert_eq!(
        plan.notes[0],
        "rolls back from revision 2 (image shop/api:1.4) to revision 1 (image shop/api:1.3)"
    );
    assert!(
        plan.changes[0]
            .diff
            .contains("-      - image: shop/api:1.4\n+      - image: shop/api:1.3\n")
    );

    f.apply(&plan).await;
    let api = f.get(&deployment("api")).await.unwrap();
    assert_eq!(container_at(&api, "api")["image"], "shop/api:1.3");
    assert_eq!(read::revision(&api), Some(3));
    let old = f
        .get(&ObjectRef::namespaced("ReplicaSet", "shop", "api-5d8f7"))
        .await
        .unwrap();
    assert_eq!(
        read::revision(&old),
        Some(3),
        "the old ReplicaSet is the newest revision again"
    );
    assert!(
        f.pods("app=api")
            .await
            .iter()
            .all(|p| p.controller().map(|c| c.name).as_deref() == Some("api-5d8f7"))
    );

    // Rolling back again goes to revision 2 (shop/api:1.4), now the one before the current.
    let again = f.plan(&action("rollback_deployment", json!({}))).await.unwrap();
    assert_eq!(
        again.summary,
        "roll back deployment/shop/api from revision 3 to revision 2"
    );
}

#[tokio::test]
async fn rollback_refuses_without_a_previous_revision_or_a_paused_deployment() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "web");
    let (target, reason) = not_applicable(f.plan(&action("rollback_deployment", json!({}))).await);
    assert_eq!(target, "deployment/shop/web");
    assert_eq!(
        reason,
        "no previous revision to roll back to (current revision 1; revisions: 1)"
    );

    let api = deployment("api");
    let (_, reason) = not_applicable(
        f.plan_on(&action("rollback_deployment", json!({"to_revision": 7})), &api)
            .await,
    );
    assert_eq!(reason, "revision 7 not found (revisions: 1, 2)");
    let (_, reason) = not_applicable(
        f.plan_on(&action("rollback_deployment", json!({"to_revision": 2})), &api)
            .await,
    );
    assert_eq!(reason, "revision 2 is the current revision");
    let plan = f
        .plan_on(&action("rollback_deployment", json!({"to_revision": 1})), &api)
        .await
        .unwrap();
    assert_eq!(
        plan.summary,
        "roll back deployment/shop/api from revision 2 to revision 1"
    );

    let (_, reason) = not_applicable(
        f.plan_on(&action("rollback_deployment", json!({})), &deployment("batch"))
            .await,
    );
    assert_eq!(
        reason,
        "rollout is paused: a paused Deployment cannot be rolled back until it is resumed"
    );
}

#[tokio::test]
async fn rollback_renders() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("rollback_deployment", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
rollback_deployment: roll back deployment/shop/api from revision 2 to revision 1
  PATCH deployment/shop/api (json-patch)
  note: rolls back from revision 2 (image shop/api:1.4) to revision 1 (image shop/api:1.3)
  note: the Deployment controller scales ReplicaSet api-5d8f7 back up; it becomes revision 3

--- deployment/shop/api (live)
+++ deployment/shop/api (after medic)
@@ -18,7 +18,7 @@
         app: api
     spec:
       containers:
-      - image: shop/api:1.4
+      - image: shop/api:1.3
         name: api
         resources:
           limits:
"
    );
}

// ---------------------------------------------------------------------------------------
// scale_deployment
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn scale_patches_the_scale_subresource_and_pods_follow() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("scale_deployment", json!({"delta": 2}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: deployment("api"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": 4}})),
        }]
    );
    assert_eq!(plan.summary, "scale deployment/shop/api from 2 to 4 replicas");
    assert!(plan.changes[0].diff.contains("-  replicas: 2\n+  replicas: 4\n"));

    assert!(plan.notes.is_empty(), "{:?}", plan.notes);

    f.apply(&plan).await;
    assert_eq!(read::replicas(&f.get(&deployment("api")).await.unwrap()), 4);
    assert_eq!(f.pods("app=api").await.len(), 4);

    let web = f
        .plan_on(&action("scale_deployment", json!({"replicas": 0})), &deployment("web"))
        .await
        .unwrap();
    assert_eq!(
        web.notes,
        vec![
            "scaling to 0 stops every pod of the Deployment",
            "HorizontalPodAutoscaler web manages its replicas (1 to 5) and may change them back",
        ]
    );
    f.apply(&web).await;
    assert!(f.pods("app=web").await.is_empty());
}

#[tokio::test]
async fn scale_refuses_out_of_bounds_and_no_op_counts() {
    let mut f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    f.bounds.max_replicas = 5;
    let (field, value, limit) = out_of_bounds(f.plan(&action("scale_deployment", json!({"delta": 4}))).await);
    assert_eq!((field.as_str(), value.as_str()), ("params.delta", "6"));
    assert_eq!(limit, "bounds.max_replicas is 5");
    let (field, _, _) = out_of_bounds(f.plan(&action("scale_deployment", json!({"replicas": 9}))).await);
    assert_eq!(field, "params.replicas");
    let (field, value, limit) = out_of_bounds(f.plan(&action("scale_deployment", json!({"delta": -3}))).await);
    assert_eq!((field.as_str(), value.as_str()), ("params.delta", "-1"));
    assert_eq!(limit, "replicas cannot go below 0 (the Deployment has 2)");
    let (_, reason) = not_applicable(f.plan(&action("scale_deployment", json!({"replicas": 2}))).await);
    assert_eq!(reason, "already at 2 replicas");
}

#[tokio::test]
async fn scale_renders() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let plan = f
        .plan(&action("scale_deployment", json!({"replicas": 3})))
        .await
        .unwrap();
    assert_eq!(
        plan.render(),
        "\
scale_deployment: scale deployment/shop/api from 2 to 3 replicas
  PATCH deployment/shop/api/scale (merge-patch)

--- deployment/shop/api (live)
+++ deployment/shop/api (after medic)
@@ -8,7 +8,7 @@
   namespace: shop
   uid: uid-api
 spec:
-  replicas: 2
+  replicas: 3
   selector:
     matchLabels:
       app: api
"
    );
}

// ---------------------------------------------------------------------------------------
// increase_resources
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn increase_resources_raises_limits_and_requests_by_the_factor() {
    let f = DEPLOYMENTS
        .alert_on(TargetKind::Pod, "api-6b9c4-x7k2p")
        .naming_container("api");
    let plan = f
        .plan(&action("increase_resources", json!({"memory_factor": 1.5})))
        .await
        .unwrap();
    let live = f.get(&deployment("api")).await.unwrap();
    let (target, subresource, patch) = patch_of(&plan);
    assert_eq!((target, subresource), (&deployment("api"), None));
    assert_eq!(
        patch,
        &PatchBody::Json(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": live.resource_version().unwrap()},
            {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "api"},
            {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/memory", "value": "384Mi"},
            {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/memory", "value": "192Mi"},
        ]))
    );
    assert_eq!(
        plan.summary,
        "raise memory limit of container api in deployment/shop/api from 256Mi to 384Mi"
    );
    let diff = &plan.changes[0].diff;
    assert!(
        diff.contains("-            memory: 256Mi\n+            memory: 384Mi\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-            memory: 128Mi\n+            memory: 192Mi\n"),
        "{diff}"
    );

    f.apply(&plan).await;
    let api = f.get(&deployment("api")).await.unwrap();
    assert_eq!(
        container_at(&api, "api")["resources"],
        json!({"limits": {"cpu": "500m", "memory": "384Mi"}, "requests": {"cpu": "250m", "memory": "192Mi"}})
    );
    assert_eq!(
        read::revision(&api),
        Some(3),
        "the new template rolls out as revision 3"
    );
    for p in f.pods("app=api").await {
        assert_eq!(
            p.0.pointer("/spec/containers/0/resources/limits/memory"),
            Some(&json!("384Mi"))
        );
    }
}

#[tokio::test]
async fn increase_resources_builds_missing_maps_and_caps_requests_to_the_limit() {
    let f = DEPLOYMENTS
        .alert_on(TargetKind::Deployment, "web")
        .naming_container("app");
    // app has a memory request only: the factor multiplies it and creates the limit map.
    let plan = f
        .plan(&action("increase_resources", json!({"memory_factor": 2, "cpu": "1"})))
        .await
        .unwrap();
    let (_, _, patch) = patch_of(&plan);
    let live = f.get(&deployment("web")).await.unwrap();
    assert_eq!(
        patch,
        &PatchBody::Json(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": live.resource_version().unwrap()},
            {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "app"},
            {"op": "add", "path": "/spec/template/spec/containers/0/resources/limits",
             "value": {"memory": "128Mi", "cpu": "1"}},
            {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/memory", "value": "128Mi"},
        ]))
    );
    assert_eq!(
        plan.summary,
        "set memory limit of container app in deployment/shop/web to 128Mi (it had none), \
         and set CPU limit to 1 (it had none)"
    );
    f.apply(&plan).await;
    let web = f.get(&deployment("web")).await.unwrap();
    assert_eq!(
        container_at(&web, "app")["resources"],
        json!({"limits": {"memory": "128Mi", "cpu": "1"}, "requests": {"memory": "128Mi"}})
    );

    // proxy has no resources at all: an absolute value creates the whole map.
    let plan = f
        .plan(&action(
            "increase_resources",
            json!({"container": "proxy", "memory": "512Mi"}),
        ))
        .await
        .unwrap();
    let (_, _, patch) = patch_of(&plan);
    assert_eq!(
        patch.body()[2],
        json!({"op": "add", "path": "/spec/template/spec/containers/1/resources",
               "value": {"limits": {"memory": "512Mi"}}})
    );
    f.apply(&plan).await;
    let web = f.get(&deployment("web")).await.unwrap();
    assert_eq!(
        container_at(&web, "proxy")["resources"],
        json!({"limits": {"memory": "512Mi"}})
    );

    // ...but a factor has nothing to multiply.
    let (_, reason) = not_applicable(
        f.plan(&action(
            "increase_resources",
            json!({"container": "proxy", "cpu_factor": 2}),
        ))
        .await,
    );
    assert_eq!(
        reason,
        "container proxy has no CPU limit or request to multiply; give params.cpu"
    );
}

#[tokio::test]
async fn increase_resources_refusals() {
    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "web");
    let (target, reason) = not_applicable(f.plan(&action("increase_resources", json!({"memory_factor": 2}))).await);
    assert_eq!(target, "deployment/shop/web");
    assert_eq!(
        reason,
        "it has several containers (app, proxy) and neither the parameters nor the alert name one; give params.container"
    );
    let (field, message) = invalid_params(
        f.plan(&action(
            "increase_resources",
            json!({"container": "nginx", "memory_factor": 2}),
        ))
        .await,
    );
    assert_eq!(field, "params.container");
    assert_eq!(
        message,
        "deployment/shop/web has no container \"nginx\" (containers: app, proxy)"
    );

    let f = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    let (field, _, limit) = out_of_bounds(f.plan(&action("increase_resources", json!({"memory_factor": 8}))).await);
    assert_eq!(field, "params.memory_factor");
    assert_eq!(limit, "bounds.max_resource_factor is 4");
    let mut small = DEPLOYMENTS.alert_on(TargetKind::Deployment, "api");
    small.bounds.max_memory = quantity::Quantity::parse("512Mi").unwrap();
    let (field, value, limit) = out_of_bounds(
        small
            .plan(&action("increase_resources", json!({"memory_factor": 3})))
            .await,
    );
    assert_eq!(field, "params.memory_factor");
    assert_eq!(value, "3 (memory limit 768Mi)");
    assert_eq!(limit, "bounds.max_memory is 512Mi");
    let (field, _, limit) = out_of_bounds(f.plan(&action("increase_resources", json!({"memory": "128Gi"}))).await);
    assert_eq!(field, "params.memory");
    assert_eq!(limit, "bounds.max_memory is 64Gi");
    let (field, _, limit) = out_of_bounds(f.plan(&action("increase_resources", json!({"memory": "2Gi"}))).await);
    assert_eq!(field, "params.memory");
    assert_eq!(
        limit,
        "bounds.max_resource_factor is 4 and this is 8.00 times the current limit 256Mi"
    );
    let (field, message) = invalid_params(f.plan(&action("increase_resources", json!({"memory": "256Mi"}))).await);
    assert_eq!(field, "params.memory");
    assert_eq!(
        message,
        "must be higher than the current memory limit 256Mi of container api, found 256Mi"
    );
    let (_, reason) = not_applicable(
        f.plan_on(
            &action("increase_resources", json!({"memory_factor": 2})),
            &deployment("batch"),
        )
        .await,
    );
    assert_eq!(
        reason,
        "rollout is paused: the new resources would reach no pod until it is resumed"
    );
}

#[tokio::test]
async fn increase_resources_renders() {
    let f = DEPLOYMENTS
        .alert_on(TargetKind::Pod, "api-6b9c4-x7k2p")
        .naming_container("api");
    let plan = f
        .plan(&action(
            "increase_resources",
            json!({"memory_factor": 1.5, "cpu_factor": 2}),
        ))
        .await
        .unwrap();
    assert_eq!(
        plan.render(),
        "\
increase_resources: raise memory limit of container api in deployment/shop/api from 256Mi to 384Mi, and CPU limit from 500m to 1
  PATCH deployment/shop/api (json-patch)
  note: memory request from 128Mi to 192Mi
  note: CPU request from 250m to 500m
  note: changing the pod template replaces the pods of deployment/shop/api, following its update strategy

--- deployment/shop/api (live)
+++ deployment/shop/api (after medic)
@@ -22,11 +22,11 @@
         name: api
         resources:
           limits:
-            cpu: 500m
-            memory: 256Mi
+            cpu: '1'
+            memory: 384Mi
           requests:
-            cpu: 250m
-            memory: 128Mi
+            cpu: 500m
+            memory: 192Mi
 status:
   availableReplicas: 2
   conditions:
"
    );
}

// ---------------------------------------------------------------------------------------
// escalate
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn escalate_changes_nothing_and_says_what_to_look_at() {
    let mut f = DEPLOYMENTS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    f.context = Context {
        target: Some(pod("api-6b9c4-x7k2p")),
        target_found: true,
        workload: Some(WorkloadFacts {
            reference: deployment("api"),
            replicas: Some(2),
            ready_replicas: Some(1),
            available_replicas: Some(1),
            revision: Some(2),
            previous_revision: Some(1),
            revision_age_seconds: Some(3600),
            paused: false,
            progressing_reason: None,
        }),
        pods: vec![PodFacts {
            name: "api-6b9c4-x7k2p".into(),
            phase: Some("Running".into()),
            ready: false,
            node: Some("worker-1".into()),
            terminating: false,
            containers: vec![ContainerFacts {
                name: "api".into(),
                ready: false,
                restart_count: 7,
                waiting_reason: Some("CrashLoopBackOff".into()),
                waiting_message: None,
                last_termination_reason: Some("Error".into()),
                last_exit_code: Some(1),
                image: Some("shop/api:1.4".into()),
                memory_limit: Some("256Mi".into()),
                cpu_limit: Some("500m".into()),
            }],
        }],
        events: vec![EventFacts {
            object: "pod/shop/api-6b9c4-x7k2p".into(),
            type_: "Warning".into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container api".into(),
            count: 7,
            last_seen: None,
        }],
        errors: vec!["logs of api-6b9c4-x7k2p/api: timed out".into()],
        ..Context::default()
    };
    let plan = f
        .plan(&action(
            "escalate",
            json!({"reason": "the crash is in the application code"}),
        ))
        .await
        .unwrap();
    assert!(plan.is_noop());
    assert!(plan.changes.is_empty());
    assert_eq!(plan.target, Some(pod("api-6b9c4-x7k2p")));
    assert_eq!(
        plan.render(),
        "\
escalate: hand to a human: the crash is in the application code
  note: incident: KubePodCrashLooping (warning): Pod is crash looping.
  note: look at pod/shop/api-6b9c4-x7k2p
  note: workload deployment/shop/api: 1/2 ready, revision 2
  note: pod api-6b9c4-x7k2p container api: CrashLoopBackOff, last terminated Error (exit 1), 7 restarts
  note: event on pod/shop/api-6b9c4-x7k2p: BackOff: Back-off restarting failed container api (×7)
  note: medic could not read logs of api-6b9c4-x7k2p/api: timed out
"
    );
    assert!(f.cluster.applied().is_empty());
}

#[tokio::test]
async fn escalate_without_a_reason_or_a_target() {
    let mut f = DEPLOYMENTS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    f.incident.target = None;
    let plan = f.plan(&action("escalate", json!({}))).await.unwrap();
    assert_eq!(plan.target, None);
    assert_eq!(
        plan.render(),
        "\
escalate: hand to a human: no catalog action fits this incident
  note: incident: KubePodCrashLooping (warning): Pod is crash looping.
  note: the alert names no Kubernetes object: look at its labels
"
    );
}
