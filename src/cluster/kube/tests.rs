//! Tests of [`KubeCluster`] against [`MockApi`], an HTTP server that mimics the Kubernetes
//! API server's recorded request paths and answer shapes, because no real API server can
//! run here. Each test asserts the exact request kube-rs sent and how the answer was read.

use serde_json::{Value, json};

use super::mock::{MockApi, Recorded, Reply, cluster_at};
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation, PatchBody};

fn deployment(name: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "uid": "0b7c6a2e-1111-4d7e-9c1a-5f0e2d3c4b5a",
                     "resourceVersion": "4711", "generation": 3, "labels": {"app": name},
                     "creationTimestamp": "2024-05-01T10:00:00Z"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "registry.example/api:1.4.2"}]}}},
        "status": {"replicas": replicas, "readyReplicas": replicas, "observedGeneration": 3}
    })
}

/// A pod as a list item: the API server leaves `apiVersion`/`kind` to the list.
fn pod_item(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}"), "resourceVersion": "90",
                     "labels": {"app": "api"}},
        "spec": {"containers": [{"name": "app", "image": "registry.example/api:1.4.2"}]},
        "status": {"phase": "Running"}
    })
}

fn event(name: &str, reason: &str, times: Value) -> Value {
    let mut e = json!({
        "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}"), "resourceVersion": "5"},
        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "api-1", "uid": "uid-api-1", "apiVersion": "v1"},
        "reason": reason, "message": format!("{reason} happened"), "type": "Normal",
        "source": {"component": "kubelet", "host": "worker-1"}
    });
    for (k, v) in times.as_object().expect("times") {
        e[k] = v.clone();
    }
    e
}

fn deployment_ref(name: &str) -> ObjectRef {
    ObjectRef::namespaced("Deployment", "shop", name)
}

#[tokio::test]
async fn get_reads_an_object_by_its_api_path() {
    let api = MockApi::start(|r| match r.line().as_str() {
        "GET /apis/apps/v1/namespaces/shop/deployments/api" => Reply::json(200, deployment("api", 2)),
        _ => Reply::not_found("deployments.apps", "other"),
    })
    .await;
    let found = api.cluster().get(&deployment_ref("api")).await.unwrap().unwrap();
    assert_eq!(found.reference(), deployment_ref("api"));
    assert_eq!(found.0["spec"]["replicas"], 2);
    assert_eq!(found.resource_version(), Some("4711"));
    let req = api.only_request();
    assert_eq!(req.line(), "GET /apis/apps/v1/namespaces/shop/deployments/api");
    assert!(req.query.is_empty(), "{:?}", req.query);
}

#[tokio::test]
async fn get_of_a_missing_object_is_none() {
    let api = MockApi::start(|_| Reply::not_found("pods", "gone")).await;
    let r = ObjectRef::namespaced("Pod", "shop", "gone");
    assert_eq!(api.cluster().get(&r).await.unwrap(), None);
    assert_eq!(api.only_request().line(), "GET /api/v1/namespaces/shop/pods/gone");
}

#[tokio::test]
async fn get_of_a_cluster_scoped_object_has_no_namespace_in_the_path() {
    let api = MockApi::start(|_| {
        Reply::json(
            200,
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-1", "uid": "n1"},
                   "spec": {"unschedulable": true}}),
        )
    })
    .await;
    let node = api
        .cluster()
        .get(&ObjectRef::cluster_scoped("Node", "worker-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(node.reference().to_string(), "node/worker-1");
    assert_eq!(api.only_request().line(), "GET /api/v1/nodes/worker-1");
}

#[tokio::test]
async fn get_of_a_namespaced_kind_without_namespace_sends_nothing() {
    let api = MockApi::start(|_| Reply::json(200, json!({}))).await;
    let r = ObjectRef {
        kind: Kind::of("Pod"),
        namespace: None,
        name: "api-1".into(),
    };
    let err = api.cluster().get(&r).await.unwrap_err();
    assert!(matches!(err, ClusterError::Unsupported(_)), "{err:?}");
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn list_sends_the_label_selector_and_types_the_items() {
    let api = MockApi::start(|_| {
        Reply::json(
            200,
            json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1234"},
                   "items": [pod_item("api-1"), pod_item("api-2")]}),
        )
    })
    .await;
    let cluster = api.cluster();
    let pods = cluster
        .list(&Kind::of("Pod"), Some("shop"), Some("app=api,tier!=db"))
        .await
        .unwrap();
    let names: Vec<_> = pods.iter().map(Object::name).collect();
    assert_eq!(names, ["api-1", "api-2"]);
    assert!(pods.iter().all(|p| p.0["apiVersion"] == "v1" && p.0["kind"] == "Pod"));
    assert_eq!(pods[0].reference(), ObjectRef::namespaced("Pod", "shop", "api-1"));

    cluster.list(&Kind::of("Pod"), None, None).await.unwrap();
    let reqs = api.requests();
    assert_eq!(reqs[0].line(), "GET /api/v1/namespaces/shop/pods");
    assert_eq!(reqs[0].param("labelSelector"), Some("app=api,tier!=db"));
    assert_eq!(reqs[1].line(), "GET /api/v1/pods");
    assert_eq!(reqs[1].param("labelSelector"), None);
}

#[tokio::test]
async fn events_are_selected_by_involved_object_and_sorted_oldest_first() {
    let api = MockApi::start(|_| {
        Reply::json(
            200,
            json!({"kind": "EventList", "apiVersion": "v1", "metadata": {"resourceVersion": "77"}, "items": [
                event("api-1.a", "BackOff", json!({"firstTimestamp": "2024-05-01T10:00:30Z", "lastTimestamp": "2024-05-01T10:05:00Z", "count": 9})),
                event("api-1.b", "Pulled", json!({"firstTimestamp": "2024-05-01T10:01:00Z", "lastTimestamp": "2024-05-01T10:01:00Z"})),
                event("api-1.c", "Killing", json!({"eventTime": "2024-05-01T10:03:00.000000Z", "reportingComponent": "kubelet"})),
            ]}),
        )
    })
    .await;
    let events = api
        .cluster()
        .events(&ObjectRef::namespaced("Pod", "shop", "api-1"))
        .await
        .unwrap();
    let reasons: Vec<_> = events.iter().map(|e| e.reason.as_deref().unwrap_or_default()).collect();
    assert_eq!(reasons, ["Pulled", "Killing", "BackOff"]);
    let req = api.only_request();
    assert_eq!(req.line(), "GET /api/v1/namespaces/shop/events");
    assert_eq!(
        req.param("fieldSelector"),
        Some("involvedObject.kind=Pod,involvedObject.name=api-1,involvedObject.namespace=shop")
    );
}

#[tokio::test]
async fn events_of_a_node_are_searched_in_all_namespaces() {
    let api = MockApi::start(|_| {
        Reply::json(
            200,
            json!({"kind": "EventList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []}),
        )
    })
    .await;
    let events = api
        .cluster()
        .events(&ObjectRef::cluster_scoped("Node", "worker-1"))
        .await
        .unwrap();
    assert!(events.is_empty());
    let req = api.only_request();
    assert_eq!(req.line(), "GET /api/v1/events");
    assert_eq!(
        req.param("fieldSelector"),
        Some("involvedObject.kind=Node,involvedObject.name=worker-1")
    );
}

/// What the kubelet sends for a log request: the last `tailLines` lines, then at most
/// `limitBytes` of those from their start.
fn kubelet_log(log: &str, r: &Recorded) -> Reply {
    let lines: Vec<&str> = log.split_inclusive('\n').collect();
    let tail = r
        .param("tailLines")
        .map(|n| n.parse::<usize>().expect("tailLines"))
        .unwrap_or(lines.len());
    let mut out = lines[lines.len().saturating_sub(tail)..].concat().into_bytes();
    if let Some(limit) = r.param("limitBytes") {
        out.truncate(limit.parse().expect("limitBytes"));
    }
    Reply::text(out)
}

/// `n` lines of exactly `width` bytes each (newline included), numbered.
fn numbered_lines(n: usize, width: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let head = format!("line {i:05} ");
            format!("{head}{}\n", "x".repeat(width - head.len() - 1))
        })
        .collect()
}

#[tokio::test]
async fn log_tail_asks_for_a_bounded_tail_and_cuts_at_a_line() {
    let lines = numbered_lines(1000, 100);
    let log = lines.concat();
    let api = MockApi::start(move |r| kubelet_log(&log, r)).await;
    let tail = api
        .cluster()
        .log_tail("shop", "api-1", "app", true, 1024)
        .await
        .unwrap()
        .unwrap();
    // 16 lines (1600 bytes) came back; the last 1024 bytes start inside a line, so the
    // tail starts at the next one: the last 10 lines.
    assert_eq!(tail, lines[990..].concat());
    let req = api.only_request();
    assert_eq!(req.line(), "GET /api/v1/namespaces/shop/pods/api-1/log");
    assert_eq!(req.param("container"), Some("app"));
    assert_eq!(req.param("previous"), Some("true"));
    assert_eq!(req.param("tailLines"), Some("16"));
    assert_eq!(req.param("limitBytes"), Some("4096"));
}

#[tokio::test]
async fn log_tail_with_long_lines_asks_again_for_fewer() {
    let lines = numbered_lines(50, 1000);
    let log = lines.concat();
    let api = MockApi::start(move |r| kubelet_log(&log, r)).await;
    let tail = api
        .cluster()
        .log_tail("shop", "api-1", "app", false, 1024)
        .await
        .unwrap()
        .unwrap();
    // 16 lines of 1000 bytes hit the 4096-byte cap (that would be the start of the tail,
    // not its end), so 4 lines are asked for; the end of the last one fits the budget.
    assert_eq!(tail, lines[49][..1000].to_string());
    let reqs = api.requests();
    let asked: Vec<_> = reqs.iter().map(|r| r.param("tailLines").unwrap_or_default()).collect();
    assert_eq!(asked, ["16", "4"]);
    assert!(
        reqs.iter()
            .all(|r| r.param("previous").is_none() && r.param("limitBytes") == Some("4096"))
    );
}

#[tokio::test]
async fn log_tail_without_such_log_is_none() {
    let api = MockApi::start(|r| match r.path.as_str() {
        "/api/v1/namespaces/shop/pods/api-1/log" => Reply::status(
            400,
            "BadRequest",
            "previous terminated container \"app\" in pod \"api-1\" not found",
            Value::Null,
        ),
        "/api/v1/namespaces/shop/pods/api-2/log" => Reply::status(
            400,
            "BadRequest",
            "container \"app\" in pod \"api-2\" is waiting to start: ContainerCreating",
            Value::Null,
        ),
        "/api/v1/namespaces/shop/pods/gone/log" => Reply::not_found("pods", "gone"),
        _ => Reply::status(
            500,
            "InternalError",
            "an error on the server has prevented the request",
            Value::Null,
        ),
    })
    .await;
    let cluster = api.cluster();
    assert_eq!(cluster.log_tail("shop", "api-1", "app", true, 100).await.unwrap(), None);
    assert_eq!(
        cluster.log_tail("shop", "api-2", "app", false, 100).await.unwrap(),
        None
    );
    assert_eq!(cluster.log_tail("shop", "gone", "app", false, 100).await.unwrap(), None);
    let err = cluster.log_tail("shop", "api-3", "app", false, 100).await.unwrap_err();
    assert!(matches!(err, ClusterError::Api { code: 500, .. }), "{err:?}");
}

fn scale(replicas: i64) -> Value {
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
           "metadata": {"name": "api", "namespace": "shop", "uid": "0b7c6a2e-1111-4d7e-9c1a-5f0e2d3c4b5a",
                        "resourceVersion": "4712", "creationTimestamp": "2024-05-01T10:00:00Z"},
           "spec": {"replicas": replicas}, "status": {"replicas": 2, "selector": "app=api"}})
}

#[tokio::test]
async fn merge_patch_of_the_scale_subresource() {
    let api = MockApi::start(|_| Reply::json(200, scale(4))).await;
    let body = json!({"spec": {"replicas": 4}});
    let result = api
        .cluster()
        .apply(&Operation::Patch {
            target: deployment_ref("api"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(body.clone()),
        })
        .await
        .unwrap();
    assert_eq!(result.message, "deployment.apps/api patched");
    let object = result.object.unwrap();
    assert_eq!(
        (object.0["kind"].as_str(), object.0["spec"]["replicas"].as_i64()),
        (Some("Scale"), Some(4))
    );
    let req = api.only_request();
    assert_eq!(req.line(), "PATCH /apis/apps/v1/namespaces/shop/deployments/api/scale");
    assert_eq!(req.content_type.as_deref(), Some("application/merge-patch+json"));
    assert_eq!(req.param("fieldManager"), Some("medic"));
    assert_eq!(req.json(), body);
}

#[tokio::test]
async fn json_patch_is_sent_as_is() {
    let api = MockApi::start(|_| Reply::json(200, deployment("api", 2))).await;
    let body = json!([
        {"op": "test", "path": "/spec/template/spec/containers/0/image", "value": "registry.example/api:1.4.2"},
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "registry.example/api:1.4.1"}
    ]);
    let result = api
        .cluster()
        .apply(&Operation::Patch {
            target: deployment_ref("api"),
            subresource: None,
            patch: PatchBody::Json(body.clone()),
        })
        .await
        .unwrap();
    assert_eq!(result.object.unwrap().reference(), deployment_ref("api"));
    let req = api.only_request();
    assert_eq!(req.line(), "PATCH /apis/apps/v1/namespaces/shop/deployments/api");
    assert_eq!(req.content_type.as_deref(), Some("application/json-patch+json"));
    assert_eq!(req.param("fieldManager"), Some("medic"));
    assert_eq!(req.json(), body);
}

#[tokio::test]
async fn malformed_json_patch_is_refused_before_sending() {
    let api = MockApi::start(|_| Reply::json(200, deployment("api", 2))).await;
    let err = api
        .cluster()
        .apply(&Operation::Patch {
            target: deployment_ref("api"),
            subresource: None,
            patch: PatchBody::Json(json!({"spec": {"replicas": 3}})),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ClusterError::Invalid { .. }), "{err:?}");
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn strategic_merge_patch_has_its_content_type() {
    let api = MockApi::start(|_| Reply::json(200, deployment("api", 2))).await;
    let body = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "app", "resources": {"limits": {"memory": "768Mi"}}}]}}}});
    api.cluster()
        .apply(&Operation::Patch {
            target: deployment_ref("api"),
            subresource: None,
            patch: PatchBody::Strategic(body.clone()),
        })
        .await
        .unwrap();
    let req = api.only_request();
    assert_eq!(req.line(), "PATCH /apis/apps/v1/namespaces/shop/deployments/api");
    assert_eq!(
        req.content_type.as_deref(),
        Some("application/strategic-merge-patch+json")
    );
    assert_eq!(req.param("fieldManager"), Some("medic"));
    assert_eq!(req.json(), body);
}

#[tokio::test]
async fn delete_sends_grace_period_and_uid_precondition() {
    let api = MockApi::start(|_| {
        // Pods are deleted gracefully: the API answers with the pod, now terminating.
        let mut pod = pod_item("api-1");
        pod["apiVersion"] = json!("v1");
        pod["kind"] = json!("Pod");
        pod["metadata"]["deletionTimestamp"] = json!("2024-05-01T10:10:00Z");
        Reply::json(200, pod)
    })
    .await;
    let result = api
        .cluster()
        .apply(&Operation::Delete {
            target: ObjectRef::namespaced("Pod", "shop", "api-1"),
            grace_period_seconds: Some(0),
            uid: Some("uid-api-1".into()),
        })
        .await
        .unwrap();
    assert_eq!(result.message, "pod/api-1 deleted");
    assert_eq!(result.object, None);
    let req = api.only_request();
    assert_eq!(req.line(), "DELETE /api/v1/namespaces/shop/pods/api-1");
    assert_eq!(req.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        req.json(),
        json!({"gracePeriodSeconds": 0, "preconditions": {"uid": "uid-api-1"}})
    );
}

#[tokio::test]
async fn delete_with_a_negative_grace_period_is_refused_before_sending() {
    let api = MockApi::start(|_| Reply::json(200, json!({}))).await;
    let err = api
        .cluster()
        .apply(&Operation::Delete {
            target: ObjectRef::namespaced("Pod", "shop", "api-1"),
            grace_period_seconds: Some(-1),
            uid: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ClusterError::Invalid { .. }), "{err:?}");
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn create_posts_the_object_to_its_collection() {
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "api-flags", "namespace": "shop", "labels": {"app": "api"}},
        "data": {"FEATURE_X": "off"}});
    let answer = {
        let mut created = config_map.clone();
        created["metadata"]["uid"] = json!("uid-cm");
        created["metadata"]["resourceVersion"] = json!("991");
        created
    };
    let api = MockApi::start(move |_| Reply::json(201, answer.clone())).await;
    let result = api
        .cluster()
        .apply(&Operation::Create {
            object: Object::new(config_map.clone()).unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(result.message, "configmap/api-flags created");
    assert_eq!(result.object.unwrap().uid(), Some("uid-cm"));
    let req = api.only_request();
    assert_eq!(req.line(), "POST /api/v1/namespaces/shop/configmaps");
    assert_eq!(req.param("fieldManager"), Some("medic"));
    assert_eq!(req.content_type.as_deref(), Some("application/json"));
    assert_eq!(req.json(), config_map);
}

#[tokio::test]
async fn evict_posts_a_policy_v1_eviction() {
    let api = MockApi::start(|_| {
        Reply::json(
            201,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        )
    })
    .await;
    let result = api
        .cluster()
        .apply(&Operation::Evict {
            namespace: "shop".into(),
            pod: "api-1".into(),
            wait_seconds: None,
        })
        .await
        .unwrap();
    assert_eq!(result.message, "pod/api-1 evicted");
    let req = api.only_request();
    assert_eq!(req.line(), "POST /api/v1/namespaces/shop/pods/api-1/eviction");
    assert_eq!(req.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        req.json(),
        json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "api-1", "namespace": "shop"}})
    );
}

/// The API server's answers to failing writes, as it words them.
fn failing_api(r: &Recorded) -> Reply {
    let name = r
        .path
        .rsplit('/')
        .nth(if r.path.ends_with("/eviction") { 1 } else { 0 })
        .unwrap_or_default();
    match name {
        "missing" => Reply::not_found("deployments.apps", "missing"),
        "stale" => Reply::status(
            409,
            "Conflict",
            "Operation cannot be fulfilled on deployments.apps \"stale\": the object has been modified; please apply your changes to the latest version and try again",
            json!({"name": "stale", "group": "apps", "kind": "deployments"}),
        ),
        "bad" => Reply::status(
            422,
            "Invalid",
            "Deployment.apps \"bad\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            json!({"name": "bad", "group": "apps", "kind": "Deployment", "causes": [
                {"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or equal to 0", "field": "spec.replicas"}]}),
        ),
        "guarded" => Reply::status(
            429,
            "TooManyRequests",
            "Cannot evict pod as it would violate the pod's disruption budget.",
            json!({"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget api-pdb needs 2 healthy pods and has 2 currently"}]}),
        ),
        "locked" => Reply::status(
            403,
            "Forbidden",
            "deployments.apps \"locked\" is forbidden: User \"system:serviceaccount:medic:medic\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\"",
            json!({"name": "locked", "group": "apps", "kind": "deployments"}),
        ),
        "busy" => Reply::status(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            Value::Null,
        ),
        _ => Reply::status(
            500,
            "InternalError",
            "Internal error occurred: etcdserver: request timed out",
            Value::Null,
        ),
    }
}

fn scale_to(name: &str, replicas: i64) -> Operation {
    Operation::Patch {
        target: deployment_ref(name),
        subresource: None,
        patch: PatchBody::Merge(json!({"spec": {"replicas": replicas}})),
    }
}

#[tokio::test]
async fn api_errors_map_to_cluster_errors() {
    let api = MockApi::start(failing_api).await;
    let cluster = api.cluster();

    let err = cluster.apply(&scale_to("missing", 1)).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::NotFound(w) if w == "deployment/shop/missing"),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let err = cluster.apply(&scale_to("stale", 1)).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Conflict { message, .. } if message.contains("the object has been modified")),
        "{err:?}"
    );
    assert!(err.is_retryable());

    let err = cluster.apply(&scale_to("bad", -1)).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Invalid { what, message } if what == "deployment/shop/bad" && message.contains("spec.replicas")),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let evict = Operation::Evict {
        namespace: "shop".into(),
        pod: "guarded".into(),
        wait_seconds: None,
    };
    let err = cluster.apply(&evict).await.unwrap_err();
    match &err {
        ClusterError::DisruptionBudget { what, message } => {
            assert_eq!(what, "pod/shop/guarded");
            assert!(message.starts_with("Cannot evict pod as it would violate"), "{message}");
            assert!(message.contains("api-pdb needs 2 healthy pods"), "{message}");
        }
        other => panic!("expected DisruptionBudget, got {other:?}"),
    }
    assert!(!err.is_retryable());

    let err = cluster.apply(&scale_to("locked", 1)).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Forbidden { message, .. }
            if message.contains("User \"system:serviceaccount:medic:medic\" cannot patch resource \"deployments\"")),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    // A 429 that is not an eviction is the API server's rate limiting: retryable, and not
    // retried by the client itself.
    let err = cluster.apply(&scale_to("busy", 1)).await.unwrap_err();
    assert!(matches!(&err, ClusterError::Api { code: 429, .. }), "{err:?}");
    assert!(err.is_retryable());

    let err = cluster.apply(&scale_to("flaky", 1)).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Api { code: 500, message, .. } if message.contains("etcdserver")),
        "{err:?}"
    );
    assert!(err.is_retryable());

    assert_eq!(api.requests().len(), 7, "one request per call, no client-side retries");
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_and_retryable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = cluster_at(&url).get(&deployment_ref("api")).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Unavailable(m) if m.contains("deployment/shop/api")),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn from_kubeconfig_uses_the_named_context() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let api = MockApi::start(|_| Reply::json(200, deployment("api", 2))).await;
    let kubeconfig = ::kube::config::Kubeconfig::from_yaml(&format!(
        "apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster: {{server: 'https://10.0.0.1:6443'}}
- name: mock
  cluster: {{server: '{}'}}
users:
- name: dev
  user: {{token: secret-token}}
contexts:
- name: prod
  context: {{cluster: prod, user: dev}}
- name: mock
  context: {{cluster: mock, user: dev, namespace: shop}}
",
        api.url()
    ))
    .unwrap();

    let cluster = super::KubeCluster::from_kubeconfig(kubeconfig.clone(), Some("mock"))
        .await
        .unwrap();
    assert!(
        cluster.describe().starts_with("kube (context mock, http://127.0.0.1:"),
        "{}",
        cluster.describe()
    );
    cluster.get(&deployment_ref("api")).await.unwrap().unwrap();
    assert_eq!(
        api.only_request().line(),
        "GET /apis/apps/v1/namespaces/shop/deployments/api"
    );

    let current = super::KubeCluster::from_kubeconfig(kubeconfig.clone(), None)
        .await
        .unwrap();
    assert_eq!(current.describe(), "kube (context prod, https://10.0.0.1:6443/)");

    let err = super::KubeCluster::from_kubeconfig(kubeconfig, Some("nope"))
        .await
        .err()
        .expect("unknown context");
    assert!(
        matches!(&err, ClusterError::Unavailable(m) if m.contains("\"nope\"")),
        "{err:?}"
    );
}
