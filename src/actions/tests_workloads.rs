//! Tests of `pause_rollout`, `resume_rollout`, `scale_statefulset`, `update_hpa` and
//! `set_env` against the simulated cluster: the exact operations and diffs planned,
//! every refusal, the cluster's state after the plan is applied, and the dry-run text.

use serde_json::json;

use super::read;
use super::test_support::*;
use crate::cluster::{Cluster, Kind, Operation, PatchBody};
use crate::incident::TargetKind;

// ---------------------------------------------------------------------------------------
// pause_rollout / resume_rollout
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn pause_rollout_sets_paused_and_a_template_change_then_waits() {
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("pause_rollout", json!({}))).await.unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: shop("Deployment", "api"),
            subresource: None,
            patch: PatchBody::Merge(json!({"spec": {"paused": true}})),
        }]
    );
    assert_eq!(plan.summary, "pause the rollout of deployment/shop/api");
    assert!(
        plan.changes[0]
            .diff
            .contains(" spec:\n+  paused: true\n   replicas: 2\n"),
        "{}",
        plan.changes[0].diff
    );

    f.apply(&plan).await;
    let api = f.get(&shop("Deployment", "api")).await.unwrap();
    assert!(read::is_paused(&api));
    // While paused, a new template is recorded but not rolled out.
    let before: Vec<String> = f.pods("app=api").await.iter().map(|p| p.name().to_string()).collect();
    let bump = Operation::Patch {
        target: shop("Deployment", "api"),
        subresource: None,
        patch: PatchBody::Strategic(json!({"spec": {"template": {"spec": {"containers": [
            {"name": "api", "image": "shop/api:1.5"}]}}}})),
    };
    f.cluster.apply(&bump).await.unwrap();
    let after: Vec<String> = f.pods("app=api").await.iter().map(|p| p.name().to_string()).collect();
    assert_eq!(before, after, "a paused Deployment replaces no pod");

    let (target, reason) = not_applicable(f.plan(&action("pause_rollout", json!({}))).await);
    assert_eq!(target, "deployment/shop/api");
    assert_eq!(reason, "its rollout is already paused");

    // Resuming rolls the recorded template out.
    let resume = f.plan(&action("resume_rollout", json!({}))).await.unwrap();
    assert_eq!(
        resume.notes,
        vec!["0 of 2 pods run the current pod template: resuming rolls it out, following the Deployment's strategy"]
    );
    f.apply(&resume).await;
    let pods = f.pods("app=api").await;
    assert_eq!(pods.len(), 2);
    assert!(
        pods.iter()
            .all(|p| p.0.pointer("/spec/containers/0/image") == Some(&json!("shop/api:1.5")))
    );
}

#[tokio::test]
async fn pause_rollout_follows_a_pod_to_its_deployment_and_refuses_other_kinds() {
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "api");
    let pod = f.pods("app=api").await.remove(0).reference();
    let plan = f.plan_on(&action("pause_rollout", json!({})), &pod).await.unwrap();
    assert_eq!(plan.target, Some(shop("Deployment", "api")));

    let (_, reason) = not_applicable(
        f.plan_on(&action("pause_rollout", json!({})), &shop("StatefulSet", "db"))
            .await,
    );
    assert_eq!(reason, "pause_rollout acts on Deployment, not on a StatefulSet");
    let (_, reason) = not_applicable(
        f.plan_on(&action("pause_rollout", json!({})), &shop("Deployment", "gone"))
            .await,
    );
    assert_eq!(reason, "deployment not found");
}

#[tokio::test]
async fn resume_rollout_rolls_out_the_paused_template() {
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "batch");
    assert!(f.pods("app=batch").await.is_empty(), "paused before its first rollout");
    let plan = f.plan(&action("resume_rollout", json!({}))).await.unwrap();
    let (target, subresource, patch) = patch_of(&plan);
    assert_eq!((target, subresource), (&shop("Deployment", "batch"), None));
    assert_eq!(patch, &PatchBody::Merge(json!({"spec": {"paused": false}})));

    f.apply(&plan).await;
    let batch = f.get(&shop("Deployment", "batch")).await.unwrap();
    assert!(!read::is_paused(&batch));
    assert_eq!(read::revision(&batch), Some(1));
    assert_eq!(f.pods("app=batch").await.len(), 1);

    let (_, reason) = not_applicable(f.plan(&action("resume_rollout", json!({}))).await);
    assert_eq!(reason, "its rollout is not paused");
}

#[tokio::test]
async fn pause_and_resume_render() {
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("pause_rollout", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
pause_rollout: pause the rollout of deployment/shop/api
  PATCH deployment/shop/api (merge-patch)
  note: while paused, changes to the pod template are recorded but not rolled out; scaling still applies
  note: resume_rollout resumes it

--- deployment/shop/api (live)
+++ deployment/shop/api (after medic)
@@ -8,6 +8,7 @@
   namespace: shop
   uid: uid-api
 spec:
+  paused: true
   replicas: 2
   selector:
     matchLabels:
"
    );
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "batch");
    let plan = f.plan(&action("resume_rollout", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
resume_rollout: resume the rollout of deployment/shop/batch
  PATCH deployment/shop/batch (merge-patch)
  note: 0 of 1 pods run the current pod template: resuming rolls it out, following the Deployment's strategy

--- deployment/shop/batch (live)
+++ deployment/shop/batch (after medic)
@@ -6,7 +6,7 @@
   namespace: shop
   uid: uid-batch
 spec:
-  paused: true
+  paused: false
   replicas: 1
   selector:
     matchLabels:
"
    );
}

// ---------------------------------------------------------------------------------------
// scale_statefulset
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn scale_statefulset_down_removes_the_highest_ordinals_and_keeps_their_claims() {
    let f = WORKLOADS.alert_on(TargetKind::StatefulSet, "db");
    let names = |pods: Vec<crate::cluster::Object>| pods.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
    assert_eq!(names(f.pods("app=db").await), ["db-0", "db-1", "db-2"]);
    let plan = f
        .plan(&action("scale_statefulset", json!({"replicas": 1})))
        .await
        .unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: shop("StatefulSet", "db"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": 1}})),
        }]
    );
    assert_eq!(plan.summary, "scale statefulset/shop/db from 3 to 1 replicas");
    assert_eq!(
        plan.notes,
        vec![
            "the StatefulSet removes the highest ordinals first: db-2, db-1",
            "the claims data-db-2, data-db-1 are kept: scaling back up reattaches them with their data",
        ]
    );
    assert!(plan.changes[0].diff.contains("-  replicas: 3\n+  replicas: 1\n"));

    f.apply(&plan).await;
    assert_eq!(names(f.pods("app=db").await), ["db-0"]);
    let claims = f
        .cluster
        .list(&Kind::of("PersistentVolumeClaim"), Some("shop"), Some("app=db"))
        .await
        .unwrap();
    assert_eq!(names(claims), ["data-db-0", "data-db-1", "data-db-2"]);

    // Back up: in order, one at a time, reusing the claims.
    let up = f.plan(&action("scale_statefulset", json!({"delta": 2}))).await.unwrap();
    assert_eq!(
        up.notes,
        vec!["the StatefulSet creates db-1, db-2 one at a time, each after the previous one is Ready"]
    );
    f.apply(&up).await;
    assert_eq!(names(f.pods("app=db").await), ["db-0", "db-1", "db-2"]);
    let db1 = f.get(&shop("Pod", "db-1")).await.unwrap();
    assert!(
        db1.0["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["persistentVolumeClaim"]["claimName"] == "data-db-1")
    );
}

#[tokio::test]
async fn scale_statefulset_warns_when_claims_are_deleted_and_in_parallel() {
    let f = WORKLOADS.alert_on(TargetKind::StatefulSet, "cache");
    let up = f
        .plan(&action("scale_statefulset", json!({"replicas": 3})))
        .await
        .unwrap();
    assert_eq!(
        up.notes,
        vec!["the StatefulSet creates cache-1, cache-2 all at once (podManagementPolicy Parallel)"]
    );
    let zero = f
        .plan(&action("scale_statefulset", json!({"replicas": 0})))
        .await
        .unwrap();
    assert_eq!(
        zero.notes,
        vec![
            "the StatefulSet removes the highest ordinals first: cache-0",
            "its persistentVolumeClaimRetentionPolicy.whenScaled is Delete: the claims cache-cache-0 are deleted with their pods, and their data with them",
            "scaling to 0 stops every pod of the StatefulSet",
        ]
    );
    f.apply(&zero).await;
    assert!(f.pods("app=cache").await.is_empty());
}

#[tokio::test]
async fn scale_statefulset_names_ordinals_from_their_start() {
    let f = WORKLOADS.alert_on(TargetKind::StatefulSet, "db");
    let start_at_1 = Operation::Patch {
        target: shop("StatefulSet", "db"),
        subresource: None,
        patch: PatchBody::Merge(json!({"spec": {"ordinals": {"start": 1}}})),
    };
    f.cluster.apply(&start_at_1).await.unwrap();
    let plan = f
        .plan(&action("scale_statefulset", json!({"replicas": 2})))
        .await
        .unwrap();
    assert_eq!(
        plan.notes,
        vec![
            "the StatefulSet removes the highest ordinals first: db-3",
            "the claims data-db-3 are kept: scaling back up reattaches them with their data",
        ]
    );
}

#[tokio::test]
async fn scale_statefulset_refusals() {
    let mut f = WORKLOADS.alert_on(TargetKind::StatefulSet, "db");
    f.bounds.max_replicas = 4;
    assert_eq!(
        out_of_bounds(f.plan(&action("scale_statefulset", json!({"delta": 2}))).await),
        ("params.delta".into(), "5".into(), "bounds.max_replicas is 4".into())
    );
    assert_eq!(
        out_of_bounds(f.plan(&action("scale_statefulset", json!({"replicas": 9}))).await),
        ("params.replicas".into(), "9".into(), "bounds.max_replicas is 4".into())
    );
    assert_eq!(
        out_of_bounds(f.plan(&action("scale_statefulset", json!({"delta": -4}))).await),
        (
            "params.delta".into(),
            "-1".into(),
            "replicas cannot go below 0 (the StatefulSet has 3)".into()
        )
    );
    let (_, reason) = not_applicable(f.plan(&action("scale_statefulset", json!({"replicas": 3}))).await);
    assert_eq!(reason, "already at 3 replicas");
    assert_eq!(
        invalid_params(f.plan(&action("scale_statefulset", json!({}))).await),
        ("params.replicas".into(), "give replicas or delta".into())
    );
    assert_eq!(
        invalid_params(
            f.plan(&action("scale_statefulset", json!({"replicas": 2, "delta": 1})))
                .await
        ),
        ("params.delta".into(), "give replicas or delta, not both".into())
    );
    assert_eq!(
        invalid_params(f.plan(&action("scale_statefulset", json!({"replicas": -1}))).await),
        ("params.replicas".into(), "must be 0 or more, found -1".into())
    );
    let (_, reason) = not_applicable(
        f.plan_on(
            &action("scale_statefulset", json!({"replicas": 2})),
            &shop("Deployment", "api"),
        )
        .await,
    );
    assert_eq!(reason, "scale_statefulset acts on StatefulSet, not on a Deployment");
}

#[tokio::test]
async fn scale_statefulset_renders() {
    let f = WORKLOADS.alert_on(TargetKind::Pod, "db-2");
    let plan = f
        .plan(&action("scale_statefulset", json!({"delta": -1})))
        .await
        .unwrap();
    assert_eq!(
        plan.render(),
        "\
scale_statefulset: scale statefulset/shop/db from 3 to 2 replicas
  PATCH statefulset/shop/db/scale (merge-patch)
  note: the StatefulSet removes the highest ordinals first: db-2
  note: the claims data-db-2 are kept: scaling back up reattaches them with their data

--- statefulset/shop/db (live)
+++ statefulset/shop/db (after medic)
@@ -6,7 +6,7 @@
   namespace: shop
   uid: uid-db
 spec:
-  replicas: 3
+  replicas: 2
   selector:
     matchLabels:
       app: db
"
    );
}

// ---------------------------------------------------------------------------------------
// update_hpa
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn update_hpa_finds_the_hpa_of_a_deployment_and_sets_its_bounds() {
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "web");
    let plan = f.plan(&action("update_hpa", json!({"max_replicas": 8}))).await.unwrap();
    let hpa = shop("HorizontalPodAutoscaler", "web");
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: hpa.clone(),
            subresource: None,
            patch: PatchBody::Merge(json!({"spec": {"maxReplicas": 8}})),
        }]
    );
    assert_eq!(plan.target, Some(hpa.clone()));
    assert_eq!(
        plan.summary,
        "set maxReplicas from 5 to 8 of horizontalpodautoscaler/shop/web"
    );
    assert_eq!(
        plan.notes,
        vec![
            "it scales Deployment web",
            "it was at its maximum (5 replicas): it may now scale up to 8 as the load requires",
        ]
    );
    f.apply(&plan).await;
    let after = f.get(&hpa).await.unwrap();
    assert_eq!(after.0["spec"]["maxReplicas"], 8);
    assert_eq!(after.0["spec"]["minReplicas"], 2);

    // Both bounds, named directly; only what changes is patched.
    let plan = f
        .plan_on(
            &action("update_hpa", json!({"min_replicas": 6, "max_replicas": 8})),
            &hpa,
        )
        .await
        .unwrap();
    let (_, _, patch) = patch_of(&plan);
    assert_eq!(patch, &PatchBody::Merge(json!({"spec": {"minReplicas": 6}})));
    assert_eq!(
        plan.notes[1],
        "Deployment web runs 5 replicas: the HPA scales it up to 6 at once"
    );
    f.apply(&plan).await;
    let after = f.get(&hpa).await.unwrap();
    assert_eq!(
        (&after.0["spec"]["minReplicas"], &after.0["spec"]["maxReplicas"]),
        (&json!(6), &json!(8))
    );
}

#[tokio::test]
async fn update_hpa_refusals() {
    let mut f = WORKLOADS.alert_on(TargetKind::HorizontalPodAutoscaler, "web");
    f.bounds.max_replicas = 10;
    assert_eq!(
        out_of_bounds(f.plan(&action("update_hpa", json!({"max_replicas": 11}))).await),
        (
            "params.max_replicas".into(),
            "11".into(),
            "bounds.max_replicas is 10".into()
        )
    );
    assert_eq!(
        out_of_bounds(f.plan(&action("update_hpa", json!({"min_replicas": 12}))).await).0,
        "params.min_replicas"
    );
    assert_eq!(
        invalid_params(f.plan(&action("update_hpa", json!({"min_replicas": 0}))).await),
        (
            "params.min_replicas".into(),
            "must be 1 or more (an HPA cannot scale to zero), found 0".into()
        )
    );
    assert_eq!(
        invalid_params(
            f.plan(&action("update_hpa", json!({"min_replicas": 4, "max_replicas": 3})))
                .await
        ),
        (
            "params.min_replicas".into(),
            "must not exceed max_replicas (3), found 4".into()
        )
    );
    assert_eq!(
        invalid_params(f.plan(&action("update_hpa", json!({}))).await),
        (
            "params.min_replicas".into(),
            "give min_replicas and/or max_replicas".into()
        )
    );
    // Against the HPA's own bounds (2 to 5).
    assert_eq!(
        invalid_params(f.plan(&action("update_hpa", json!({"min_replicas": 7}))).await),
        (
            "params.min_replicas".into(),
            "must not exceed the HPA's maxReplicas 5 (give max_replicas too), found 7".into()
        )
    );
    assert_eq!(
        invalid_params(f.plan(&action("update_hpa", json!({"max_replicas": 1}))).await),
        (
            "params.max_replicas".into(),
            "must not be below the HPA's minReplicas 2 (give min_replicas too), found 1".into()
        )
    );
    let (target, reason) = not_applicable(
        f.plan(&action("update_hpa", json!({"min_replicas": 2, "max_replicas": 5})))
            .await,
    );
    assert_eq!(target, "horizontalpodautoscaler/shop/web");
    assert_eq!(reason, "already at minReplicas 2 and maxReplicas 5");

    let (_, reason) = not_applicable(
        f.plan_on(
            &action("update_hpa", json!({"max_replicas": 4})),
            &shop("StatefulSet", "db"),
        )
        .await,
    );
    assert_eq!(reason, "no HorizontalPodAutoscaler in namespace shop scales it");
    let (_, reason) = not_applicable(
        f.plan_on(
            &action("update_hpa", json!({"max_replicas": 4})),
            &shop("Deployment", "worker"),
        )
        .await,
    );
    assert_eq!(
        reason,
        "several HorizontalPodAutoscalers scale it (worker-cpu, worker-queue), which fight each other; name one as the target"
    );
    let (_, reason) = not_applicable(
        f.plan_on(&action("update_hpa", json!({"max_replicas": 4})), &shop("Pod", "db-0"))
            .await,
    );
    assert_eq!(
        reason,
        "update_hpa acts on HorizontalPodAutoscaler, Deployment or StatefulSet, not on a Pod"
    );
}

#[tokio::test]
async fn update_hpa_renders() {
    let f = WORKLOADS.alert_on(TargetKind::HorizontalPodAutoscaler, "web");
    let plan = f
        .plan(&action("update_hpa", json!({"min_replicas": 3, "max_replicas": 10})))
        .await
        .unwrap();
    assert_eq!(
        plan.render(),
        "\
update_hpa: set minReplicas from 2 to 3 and maxReplicas from 5 to 10 of horizontalpodautoscaler/shop/web
  PATCH horizontalpodautoscaler/shop/web (merge-patch)
  note: it scales Deployment web
  note: it was at its maximum (5 replicas): it may now scale up to 10 as the load requires

--- horizontalpodautoscaler/shop/web (live)
+++ horizontalpodautoscaler/shop/web (after medic)
@@ -6,7 +6,7 @@
   namespace: shop
   uid: uid-hpa-web
 spec:
-  maxReplicas: 5
+  maxReplicas: 10
   metrics:
   - resource:
       name: cpu
@@ -14,7 +14,7 @@
         averageUtilization: 70
         type: Utilization
     type: Resource
-  minReplicas: 2
+  minReplicas: 3
   scaleTargetRef:
     apiVersion: apps/v1
     kind: Deployment
"
    );
}

// ---------------------------------------------------------------------------------------
// set_env
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn set_env_replaces_a_value_guarded_by_tests_and_the_pods_follow() {
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "api");
    let live = f.get(&shop("Deployment", "api")).await.unwrap();
    let plan = f
        .plan(&action("set_env", json!({"name": "LOG_LEVEL", "value": "debug"})))
        .await
        .unwrap();
    let (target, subresource, patch) = patch_of(&plan);
    assert_eq!((target, subresource), (&shop("Deployment", "api"), None));
    assert_eq!(
        patch,
        &PatchBody::Json(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": live.resource_version().unwrap()},
            {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "api"},
            {"op": "test", "path": "/spec/template/spec/containers/0/env/0/name", "value": "LOG_LEVEL"},
            {"op": "replace", "path": "/spec/template/spec/containers/0/env/0/value", "value": "debug"},
        ]))
    );
    assert_eq!(
        plan.summary,
        "set LOG_LEVEL=\"debug\" in container api of deployment/shop/api (was \"info\")"
    );
    assert!(
        plan.changes[0].diff.contains(
            "         - name: LOG_LEVEL\n-          value: info\n+          value: debug\n         - name: DB_PASSWORD\n"
        ),
        "{}",
        plan.changes[0].diff
    );

    f.apply(&plan).await;
    let api = f.get(&shop("Deployment", "api")).await.unwrap();
    assert_eq!(
        container_at(&api, "api")["env"][0],
        json!({"name": "LOG_LEVEL", "value": "debug"})
    );
    let pods = f.pods("app=api").await;
    assert_eq!(pods.len(), 2);
    assert!(
        pods.iter()
            .all(|p| p.0.pointer("/spec/containers/0/env/0/value") == Some(&json!("debug")))
    );

    // The same again is a no-op, refused.
    let (_, reason) = not_applicable(
        f.plan(&action("set_env", json!({"name": "LOG_LEVEL", "value": "debug"})))
            .await,
    );
    assert_eq!(reason, "LOG_LEVEL of container api is already \"debug\"");
}

#[tokio::test]
async fn set_env_adds_a_new_variable_and_removes_one() {
    let f = WORKLOADS
        .alert_on(TargetKind::Deployment, "web")
        .naming_container("app");
    let plan = f
        .plan(&action("set_env", json!({"name": "RUST_LOG", "value": "debug"})))
        .await
        .unwrap();
    let (_, _, patch) = patch_of(&plan);
    assert_eq!(
        patch.body()[2],
        json!({"op": "add", "path": "/spec/template/spec/containers/0/env",
               "value": [{"name": "RUST_LOG", "value": "debug"}]})
    );
    assert_eq!(
        plan.summary,
        "set RUST_LOG=\"debug\" in container app of deployment/shop/web (a new variable)"
    );
    f.apply(&plan).await;
    let web = f.get(&shop("Deployment", "web")).await.unwrap();
    assert_eq!(
        container_at(&web, "app")["env"],
        json!([{"name": "RUST_LOG", "value": "debug"}])
    );

    // Appended to an existing list.
    let api = WORKLOADS.alert_on(TargetKind::Deployment, "api");
    let plan = api
        .plan(&action("set_env", json!({"name": "TRACE", "value": "1"})))
        .await
        .unwrap();
    assert_eq!(
        patch_of(&plan).2.body()[2],
        json!({"op": "add", "path": "/spec/template/spec/containers/0/env/-",
               "value": {"name": "TRACE", "value": "1"}})
    );

    // proxy defines LOG_LEVEL twice: removing takes both out, highest index first.
    let plan = f
        .plan(&action(
            "set_env",
            json!({"name": "LOG_LEVEL", "remove": true, "container": "proxy"}),
        ))
        .await
        .unwrap();
    let body = patch_of(&plan).2.body().as_array().unwrap().clone();
    assert_eq!(
        body[2..],
        [
            json!({"op": "test", "path": "/spec/template/spec/containers/1/env/1/name", "value": "LOG_LEVEL"}),
            json!({"op": "remove", "path": "/spec/template/spec/containers/1/env/1"}),
            json!({"op": "test", "path": "/spec/template/spec/containers/1/env/0/name", "value": "LOG_LEVEL"}),
            json!({"op": "remove", "path": "/spec/template/spec/containers/1/env/0"}),
        ]
    );
    assert_eq!(
        plan.summary,
        "remove LOG_LEVEL (was \"warn\") from container proxy of deployment/shop/web"
    );
    assert_eq!(
        plan.notes[0],
        "container proxy defines LOG_LEVEL 2 times; the last definition is the one in effect"
    );
    f.apply(&plan).await;
    let web = f.get(&shop("Deployment", "web")).await.unwrap();
    assert_eq!(container_at(&web, "proxy")["env"], json!([]));
}

#[tokio::test]
async fn set_env_refusals() {
    let f = WORKLOADS.alert_on(TargetKind::Deployment, "api");
    let (target, reason) = not_applicable(
        f.plan(&action("set_env", json!({"name": "DB_PASSWORD", "value": "hunter2"})))
            .await,
    );
    assert_eq!(target, "deployment/shop/api");
    assert_eq!(
        reason,
        "DB_PASSWORD of container api takes its value from Secret db-credentials key password (valueFrom): change it there, not in the pod template"
    );
    let (_, reason) = not_applicable(
        f.plan(&action("set_env", json!({"name": "POD_IP", "remove": true})))
            .await,
    );
    assert_eq!(
        reason,
        "POD_IP of container api takes its value from the pod field status.podIP (valueFrom): change it there, not in the pod template"
    );
    let (_, reason) = not_applicable(
        f.plan(&action("set_env", json!({"name": "DEBUG", "remove": true})))
            .await,
    );
    assert_eq!(reason, "container api has no environment variable DEBUG to remove");
    assert_eq!(
        invalid_params(
            f.plan(&action(
                "set_env",
                json!({"name": "LOG_LEVEL", "value": "x", "remove": true})
            ))
            .await
        ),
        ("params.remove".into(), "give value or remove: true, not both".into())
    );
    assert_eq!(
        invalid_params(f.plan(&action("set_env", json!({"name": "LOG_LEVEL"}))).await),
        ("params.value".into(), "give value, or remove: true".into())
    );
    for bad in ["1ST", "LOG-LEVEL", "", "A B", "É"] {
        let (field, message) = invalid_params(f.plan(&action("set_env", json!({"name": bad, "value": "x"}))).await);
        assert_eq!(field, "params.name");
        assert_eq!(
            message,
            format!("{bad:?} is not an environment variable name (letters, digits and `_`, not starting with a digit)")
        );
    }
    let (field, message) = invalid_params(
        f.plan(&action(
            "set_env",
            json!({"name": "X", "value": "1", "container": "sidecar"}),
        ))
        .await,
    );
    assert_eq!(field, "params.container");
    assert_eq!(
        message,
        "deployment/shop/api has no container \"sidecar\" (containers: api)"
    );

    let web = WORKLOADS.alert_on(TargetKind::Deployment, "web");
    let (_, reason) = not_applicable(web.plan(&action("set_env", json!({"name": "X", "value": "1"}))).await);
    assert_eq!(
        reason,
        "it has several containers (app, proxy) and neither the parameters nor the alert name one; give params.container"
    );
    let (_, reason) = not_applicable(
        web.plan(&action(
            "set_env",
            json!({"name": "X", "remove": true, "container": "app"}),
        ))
        .await,
    );
    assert_eq!(
        reason,
        "container app has no environment variable X to remove (it may come from its envFrom sources, which medic does not change)"
    );
    let (_, reason) = not_applicable(
        web.plan_on(
            &action("set_env", json!({"name": "X", "value": "1"})),
            &shop("Deployment", "batch"),
        )
        .await,
    );
    assert_eq!(
        reason,
        "rollout is paused: the new environment would reach no pod until it is resumed"
    );
}

#[tokio::test]
async fn set_env_renders() {
    let f = WORKLOADS.alert_on(TargetKind::StatefulSet, "db");
    let plan = f
        .plan(&action("set_env", json!({"name": "PGPASSWORD", "value": "s3cret"})))
        .await
        .unwrap();
    assert_eq!(
        plan.render(),
        "\
set_env: set PGPASSWORD=\"s3cret\" in container db of statefulset/shop/db (a new variable)
  PATCH statefulset/shop/db (json-patch)
  note: PGPASSWORD looks like a secret: its value is stored in plain text in the pod template; prefer a Secret
  note: changing the pod template replaces the pods of statefulset/shop/db, following its update strategy

--- statefulset/shop/db (live)
+++ statefulset/shop/db (after medic)
@@ -17,7 +17,10 @@
         app: db
     spec:
       containers:
-      - image: postgres:16
+      - env:
+        - name: PGPASSWORD
+          value: s3cret
+        image: postgres:16
         name: db
         volumeMounts:
         - mountPath: /var/lib/postgresql/data
"
    );
}
