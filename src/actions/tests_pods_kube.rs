//! The pod and generic actions through kube-rs: each plan is made against the simulated
//! cluster of `tests_pods::fixture`, its operations are sent through [`KubeCluster`] to a
//! mock API server, and the test asserts the exact requests (method, path, query, content
//! type, body) and how the API's refusals come back.

use serde_json::json;

use super::test_support::kube::assert_write;
use super::test_support::*;
use crate::cluster::kube::mock::{MockApi, Reply, cluster_at};
use crate::cluster::{Cluster, ClusterError, Operation, PatchBody};
use crate::incident::TargetKind;

#[tokio::test]
async fn evict_is_a_policy_v1_eviction_and_a_429_budget_refusal_is_reported() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("evict_pod", json!({}))).await.unwrap();
    let api = MockApi::start(|_| {
        Reply::status(
            429,
            "TooManyRequests",
            "Cannot evict pod as it would violate the pod's disruption budget.",
            json!({"causes": [{"reason": "DisruptionBudget",
                "message": "The disruption budget api-pdb needs 2 healthy pods and has 2 currently"}]}),
        )
    })
    .await;
    let err = api.cluster().apply(&plan.operations[0]).await.unwrap_err();
    match &err {
        ClusterError::DisruptionBudget { what, message } => {
            assert_eq!(what, "pod/shop/api-6b9c4-x7k2p");
            assert_eq!(
                message,
                "Cannot evict pod as it would violate the pod's disruption budget. \
                 (The disruption budget api-pdb needs 2 healthy pods and has 2 currently)"
            );
        }
        other => panic!("expected DisruptionBudget, got {other:?}"),
    }
    assert!(!err.is_retryable());
    let req = api.only_request();
    assert_eq!(req.line(), "POST /api/v1/namespaces/shop/pods/api-6b9c4-x7k2p/eviction");
    assert_eq!(req.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        req.json(),
        json!({"apiVersion": "policy/v1", "kind": "Eviction",
               "metadata": {"name": "api-6b9c4-x7k2p", "namespace": "shop"}})
    );
}

#[tokio::test]
async fn force_delete_sends_grace_period_zero_and_the_uid_precondition() {
    let f = PODS.alert_on(TargetKind::Deployment, "api");
    let plan = f.plan(&action("delete_stuck_pods", json!({}))).await.unwrap();
    let api = MockApi::start(|_| {
        Reply::json(
            200,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                   "details": {"name": "api-6b9c4-zz9f8", "kind": "pods", "uid": "uid-zz9f8"}}),
        )
    })
    .await;
    let result = api.cluster().apply(&plan.operations[0]).await.unwrap();
    assert_eq!(result.message, "pod/api-6b9c4-zz9f8 deleted");
    let req = api.only_request();
    assert_eq!(req.line(), "DELETE /api/v1/namespaces/shop/pods/api-6b9c4-zz9f8");
    assert_eq!(
        req.json(),
        json!({"gracePeriodSeconds": 0, "preconditions": {"uid": "uid-zz9f8"}})
    );

    // The pod was replaced meanwhile: the precondition fails with a 409.
    let api = MockApi::start(|_| {
        Reply::status(
            409,
            "Conflict",
            "Operation cannot be fulfilled on Pod \"api-6b9c4-zz9f8\": Precondition failed: UID in precondition: uid-zz9f8, UID in object meta: uid-new",
            json!({"name": "api-6b9c4-zz9f8", "kind": "Pod"}),
        )
    })
    .await;
    let err = api.cluster().apply(&plan.operations[0]).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Conflict { message, .. } if message.contains("Precondition failed")),
        "{err:?}"
    );
}

#[tokio::test]
async fn quarantine_sends_the_json_patch_with_its_content_type() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("quarantine_pod", json!({}))).await.unwrap();
    let Operation::Patch {
        patch: PatchBody::Json(body),
        ..
    } = &plan.operations[0]
    else {
        panic!("expected a JSON patch, got {:?}", plan.operations);
    };
    let answer = f.get(&shop("Pod", "api-6b9c4-x7k2p")).await.unwrap().0;
    let api = MockApi::start(move |_| Reply::json(200, answer.clone())).await;
    let result = api.cluster().apply(&plan.operations[0]).await.unwrap();
    assert_eq!(result.message, "pod/api-6b9c4-x7k2p patched");
    let req = api.only_request();
    assert_eq!(req.line(), "PATCH /api/v1/namespaces/shop/pods/api-6b9c4-x7k2p");
    assert_write(&req, "application/json-patch+json");
    assert_eq!(&req.json(), body);
    assert_eq!(
        req.json()[0],
        json!({"op": "test", "path": "/metadata/resourceVersion", "value": "501"})
    );

    // A stale resourceVersion: the API server's `test` fails with 422.
    let api = MockApi::start(|_| {
        Reply::status(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
            serde_json::Value::Null,
        )
    })
    .await;
    let err = api.cluster().apply(&plan.operations[0]).await.unwrap_err();
    assert!(matches!(err, ClusterError::Invalid { .. }), "{err:?}");
}

#[tokio::test]
async fn isolate_patches_the_pod_then_posts_the_network_policy() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f.plan(&action("isolate_pod", json!({}))).await.unwrap();
    let Operation::Create { object: policy } = &plan.operations[1] else {
        panic!("expected a create second, got {:?}", plan.operations);
    };
    let pod = f.get(&shop("Pod", "api-6b9c4-x7k2p")).await.unwrap().0;
    let created = {
        let mut p = policy.0.clone();
        p["metadata"]["uid"] = json!("uid-np");
        p
    };
    let api = MockApi::start(move |r| match r.method.as_str() {
        "PATCH" => Reply::json(200, pod.clone()),
        _ => Reply::json(201, created.clone()),
    })
    .await;
    let cluster = api.cluster();
    for op in &plan.operations {
        cluster.apply(op).await.unwrap();
    }
    let reqs = api.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].line(), "PATCH /api/v1/namespaces/shop/pods/api-6b9c4-x7k2p");
    assert_eq!(reqs[0].content_type.as_deref(), Some("application/merge-patch+json"));
    assert_eq!(
        reqs[0].json(),
        json!({"metadata": {"labels": {"medic.dev/isolated": "api-6b9c4-x7k2p"}}})
    );
    assert_eq!(
        reqs[1].line(),
        "POST /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies"
    );
    assert_write(&reqs[1], "application/json");
    assert_eq!(reqs[1].json(), policy.0);

    // The policy exists already (created by a run that crashed before recording it).
    let api = MockApi::start(|_| {
        Reply::status(
            409,
            "AlreadyExists",
            "networkpolicies.networking.k8s.io \"medic-isolate-api-6b9c4-x7k2p\" already exists",
            json!({"name": "medic-isolate-api-6b9c4-x7k2p", "group": "networking.k8s.io", "kind": "networkpolicies"}),
        )
    })
    .await;
    let err = cluster_at(&api.url()).apply(&plan.operations[1]).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Conflict { what, .. } if what == "networkpolicy/shop/medic-isolate-api-6b9c4-x7k2p"),
        "{err:?}"
    );
}

#[tokio::test]
async fn patch_resource_and_diagnostics_configmap_go_to_their_paths() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let patch = f
        .plan(&action(
            "patch_resource",
            json!({"kind": "Widget", "api_version": "example.com/v1", "name": "gadget",
                   "patch": {"spec": {"color": "red"}}}),
        ))
        .await
        .unwrap();
    let diagnostics = f
        .plan(&action("collect_diagnostics", json!({"configmap": true})))
        .await
        .unwrap();
    let widget = f.get(&patch.operations[0].target()).await.unwrap().0;
    let api = MockApi::start(move |r| match r.method.as_str() {
        "PATCH" => Reply::json(200, widget.clone()),
        _ => Reply::json(201, r.json()),
    })
    .await;
    let cluster = api.cluster();
    cluster.apply(&patch.operations[0]).await.unwrap();
    cluster.apply(&diagnostics.operations[0]).await.unwrap();
    let reqs = api.requests();
    assert_eq!(
        reqs[0].line(),
        "PATCH /apis/example.com/v1/namespaces/shop/widgets/gadget"
    );
    assert_eq!(reqs[0].content_type.as_deref(), Some("application/merge-patch+json"));
    assert_eq!(
        reqs[0].json(),
        json!({"spec": {"color": "red"}, "metadata": {"resourceVersion": "800"}})
    );
    assert_eq!(reqs[1].line(), "POST /api/v1/namespaces/shop/configmaps");
    assert_eq!(
        reqs[1].json()["metadata"]["name"],
        "medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c"
    );
    assert_eq!(
        reqs[1].json()["data"]["log.api-6b9c4-x7k2p.api.txt"],
        "started\nERROR connection refused: db:5432\n"
    );
}
