//! The rollout, scaling, environment, storage and batch actions through kube-rs: each is
//! planned by reading a mock API server (answering from the same objects as the
//! simulated cluster of `tests_cluster`), its operations are sent through
//! [`KubeCluster`], and the test asserts the exact requests: method, path, query,
//! content type and body.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::plan::Plan;
use super::settings::JobTemplate;
use super::test_support::kube::{assert_write, only_write, plan_through, request_lines};
use super::test_support::*;
use super::{Action, ActionError, ActionSettings};
use crate::cluster::kube::KubeCluster;
use crate::cluster::kube::mock::{MockApi, Recorded, Reply};
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, ClusterError, Kind, Object, PatchBody};
use crate::incident::{Incident, TargetKind};

/// Where a request points: `/api/v1/namespaces/shop/pods/x/log` and the like.
#[derive(Debug, PartialEq)]
struct ApiPath {
    group: String,
    version: String,
    namespace: Option<String>,
    plural: String,
    name: Option<String>,
    subresource: Option<String>,
}

fn parse_path(path: &str) -> Option<ApiPath> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        rest => (None, rest),
    };
    let (plural, name, subresource) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
        _ => return None,
    };
    Some(ApiPath {
        group: group.into(),
        version: version.into(),
        namespace,
        plural: plural.into(),
        name,
        subresource,
    })
}

/// The objects the mock API server holds, changed by its PATCHes and POSTs.
type Objects = Arc<Mutex<Vec<Object>>>;

fn matches(o: &Object, p: &ApiPath) -> bool {
    let kind = o.kind();
    kind.group() == p.group
        && kind.plural == p.plural
        && (p.namespace.is_none() || o.namespace() == p.namespace.as_deref())
        && p.name.as_deref().is_none_or(|n| o.name() == n)
}

/// `deployments.apps`, as the API server names a resource in its messages.
fn resource(p: &ApiPath) -> String {
    if p.group.is_empty() {
        p.plural.clone()
    } else {
        format!("{}.{}", p.plural, p.group)
    }
}

/// Answers like the API server from `objects`: GET of an object or a collection, PATCH
/// (of an object or its `scale`), POST to a collection (409 when the name is taken).
fn api_server(objects: Objects) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r| {
        let Some(p) = parse_path(&r.path) else {
            return Reply::status(
                404,
                "NotFound",
                "the server could not find the requested resource",
                Value::Null,
            );
        };
        let mut objects = objects.lock().expect("objects lock");
        match (r.method.as_str(), &p.name) {
            ("GET", None) => {
                let items: Vec<Value> = objects
                    .iter()
                    .filter(|o| matches(o, &p))
                    .map(|o| {
                        let mut item = o.0.clone();
                        if let Some(m) = item.as_object_mut() {
                            m.remove("apiVersion");
                            m.remove("kind");
                        }
                        item
                    })
                    .collect();
                let api_version = if p.group.is_empty() {
                    p.version.clone()
                } else {
                    format!("{}/{}", p.group, p.version)
                };
                Reply::json(
                    200,
                    json!({"apiVersion": api_version, "kind": "List", "metadata": {"resourceVersion": "9000"}, "items": items}),
                )
            }
            ("GET", Some(name)) => match objects.iter().find(|o| matches(o, &p)) {
                Some(o) => Reply::json(200, o.0.clone()),
                None => Reply::not_found(&resource(&p), name),
            },
            ("PATCH", Some(name)) => {
                let Some(i) = objects.iter().position(|o| matches(o, &p)) else {
                    return Reply::not_found(&resource(&p), name);
                };
                let body = r.json();
                let patch = match r.content_type.as_deref() {
                    Some("application/merge-patch+json") => PatchBody::Merge(body),
                    Some("application/json-patch+json") => PatchBody::Json(body),
                    Some("application/strategic-merge-patch+json") => PatchBody::Strategic(body),
                    other => {
                        return Reply::status(415, "UnsupportedMediaType", &format!("{other:?}"), Value::Null);
                    }
                };
                let current = objects[i].0.clone();
                let (patched, answer) = match p.subresource.as_deref() {
                    Some("scale") => {
                        let replicas = current.pointer("/spec/replicas").cloned().unwrap_or(json!(1));
                        let scale = json!({"apiVersion": "autoscaling/v1", "kind": "Scale",
                            "metadata": {"name": name, "namespace": p.namespace}, "spec": {"replicas": replicas}});
                        let scale = patch.apply_to(&scale).expect("the scale patch applies");
                        let mut patched = current.clone();
                        patched["spec"]["replicas"] = scale["spec"]["replicas"].clone();
                        (patched, scale)
                    }
                    _ => match patch.apply_to(&current) {
                        Ok(patched) => (patched.clone(), patched),
                        Err(e) => return Reply::status(422, "Invalid", &e, Value::Null),
                    },
                };
                objects[i] = Object(patched);
                Reply::json(200, answer)
            }
            ("POST", None) => {
                let mut created = r.json();
                let name = created
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let object = Object(created.clone());
                if objects.iter().any(|o| o.reference() == object.reference()) {
                    return Reply::status(
                        409,
                        "AlreadyExists",
                        &format!("{} \"{name}\" already exists", resource(&p)),
                        json!({"name": name, "kind": p.plural}),
                    );
                }
                created["metadata"]["uid"] = json!(format!("uid-{name}"));
                created["metadata"]["resourceVersion"] = json!("9001");
                objects.push(Object(created.clone()));
                Reply::json(201, created)
            }
            _ => Reply::status(405, "MethodNotAllowed", &r.line(), Value::Null),
        }
    }
}

/// A mock API server holding the objects of the test cluster, and a client for it.
struct Api {
    server: MockApi,
    cluster: KubeCluster,
    objects: Objects,
}

impl Api {
    async fn start() -> Api {
        let sim = SimCluster::from_yaml_at(WORKLOADS.objects, now()).expect("the fixture loads");
        let objects: Objects = Arc::new(Mutex::new(sim.objects()));
        let server = MockApi::start(api_server(objects.clone())).await;
        let cluster = server.cluster();
        Api {
            server,
            cluster,
            objects,
        }
    }

    /// Plans `action` for `incident`, reading through kube-rs.
    async fn plan(&self, incident: &Incident, action: &Action, settings: &ActionSettings) -> Result<Plan, ActionError> {
        plan_through(&self.cluster, incident, settings, action).await
    }

    /// Plans `action` about the `kind` object `name` in `shop` with the default settings;
    /// the action must be possible.
    async fn plan_about(&self, kind: TargetKind, name: &str, action: &Action) -> Plan {
        let incident = WORKLOADS.incident_about(kind, name);
        self.plan(&incident, action, &ActionSettings::default())
            .await
            .expect("the plan")
    }

    /// Plans as [`Api::plan_about`] does, then sends the plan's operations, which the
    /// server must accept.
    async fn send_about(&self, kind: TargetKind, name: &str, action: &Action) -> Plan {
        let plan = self.plan_about(kind, name, action).await;
        self.apply(&plan).await.expect("the server accepts the plan");
        plan
    }

    /// Sends the plan's operations; the first error stops.
    async fn apply(&self, plan: &Plan) -> Result<(), ClusterError> {
        for op in &plan.operations {
            self.cluster.apply(op).await?;
        }
        Ok(())
    }

    /// An object as the server holds it now.
    fn object(&self, kind: &str, name: &str) -> Option<Object> {
        let kind = Kind::of(kind);
        self.objects
            .lock()
            .expect("objects lock")
            .iter()
            .find(|o| o.kind() == kind && o.name() == name)
            .cloned()
    }
}

#[test]
fn api_paths_parse() {
    assert_eq!(
        parse_path("/apis/apps/v1/namespaces/shop/statefulsets/db/scale"),
        Some(ApiPath {
            group: "apps".into(),
            version: "v1".into(),
            namespace: Some("shop".into()),
            plural: "statefulsets".into(),
            name: Some("db".into()),
            subresource: Some("scale".into()),
        })
    );
    let sc = parse_path("/apis/storage.k8s.io/v1/storageclasses").unwrap();
    assert_eq!(
        (sc.namespace, sc.plural.as_str(), sc.name),
        (None, "storageclasses", None)
    );
    let pvc = parse_path("/api/v1/namespaces/shop/persistentvolumeclaims/uploads").unwrap();
    assert_eq!((pvc.group.as_str(), pvc.name.as_deref()), ("", Some("uploads")));
}

#[tokio::test]
async fn scale_statefulset_patches_the_scale_subresource() {
    let api = Api::start().await;
    api.send_about(
        TargetKind::StatefulSet,
        "db",
        &action("scale_statefulset", json!({"replicas": 1})),
    )
    .await;
    assert_eq!(
        request_lines(&api.server),
        [
            "GET /apis/apps/v1/namespaces/shop/statefulsets/db",
            "GET /apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers",
            "PATCH /apis/apps/v1/namespaces/shop/statefulsets/db/scale",
        ]
    );
    let patch = only_write(&api.server);
    assert_write(&patch, "application/merge-patch+json");
    assert_eq!(patch.json(), json!({"spec": {"replicas": 1}}));
    assert_eq!(api.object("StatefulSet", "db").unwrap().0["spec"]["replicas"], 1);
}

#[tokio::test]
async fn update_hpa_lists_the_autoscalers_and_patches_the_one_found() {
    let api = Api::start().await;
    api.send_about(
        TargetKind::Deployment,
        "web",
        &action("update_hpa", json!({"min_replicas": 3, "max_replicas": 9})),
    )
    .await;
    assert_eq!(
        request_lines(&api.server),
        [
            "GET /apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers",
            "GET /apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web",
            "PATCH /apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web",
        ]
    );
    let patch = only_write(&api.server);
    assert_write(&patch, "application/merge-patch+json");
    assert_eq!(patch.json(), json!({"spec": {"minReplicas": 3, "maxReplicas": 9}}));
    let hpa = api.object("HorizontalPodAutoscaler", "web").unwrap();
    assert_eq!(
        (&hpa.0["spec"]["minReplicas"], &hpa.0["spec"]["maxReplicas"]),
        (&json!(3), &json!(9))
    );
}

#[tokio::test]
async fn expand_pvc_reads_the_class_and_patches_the_claim() {
    let api = Api::start().await;
    api.send_about(
        TargetKind::PersistentVolumeClaim,
        "uploads",
        &action("expand_pvc", json!({"size": "25Gi"})),
    )
    .await;
    assert_eq!(
        request_lines(&api.server),
        [
            "GET /api/v1/namespaces/shop/persistentvolumeclaims/uploads",
            "GET /apis/storage.k8s.io/v1/storageclasses/standard",
            "PATCH /api/v1/namespaces/shop/persistentvolumeclaims/uploads",
        ]
    );
    let patch = only_write(&api.server);
    assert_write(&patch, "application/merge-patch+json");
    assert_eq!(
        patch.json(),
        json!({"spec": {"resources": {"requests": {"storage": "25Gi"}}}})
    );

    // A claim without a class: the classes are listed to find the default.
    let api = Api::start().await;
    api.plan_about(
        TargetKind::PersistentVolumeClaim,
        "scratch",
        &action("expand_pvc", json!({"factor": 2})),
    )
    .await;
    assert_eq!(
        request_lines(&api.server),
        [
            "GET /api/v1/namespaces/shop/persistentvolumeclaims/scratch",
            "GET /apis/storage.k8s.io/v1/storageclasses",
        ]
    );
}

#[tokio::test]
async fn retry_job_checks_names_and_posts_the_new_job() {
    let api = Api::start().await;
    let plan = api
        .send_about(TargetKind::Job, "db-migrate", &action("retry_job", json!({})))
        .await;
    assert_eq!(
        request_lines(&api.server),
        [
            "GET /apis/batch/v1/namespaces/shop/jobs/db-migrate",
            "GET /apis/batch/v1/namespaces/shop/jobs/db-migrate-retry-1",
            "GET /apis/batch/v1/namespaces/shop/jobs/db-migrate-retry-2",
            "POST /apis/batch/v1/namespaces/shop/jobs",
        ]
    );
    let post = only_write(&api.server);
    assert_write(&post, "application/json");
    assert_eq!(post.json(), created_by(&plan).0);
    assert_eq!(post.json()["metadata"]["name"], "db-migrate-retry-2");
    assert_eq!(post.json()["spec"].get("selector"), None);
    assert!(api.object("Job", "db-migrate-retry-2").is_some());

    // Sent again (another medic created it meanwhile): 409, a retryable conflict.
    let err = api.apply(&plan).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Conflict { message, .. } if message.contains("already exists")),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn run_job_posts_the_rendered_job() {
    let api = Api::start().await;
    let mut incident = WORKLOADS.incident_about(TargetKind::Deployment, "api");
    incident.labels.insert("cluster_name".into(), "orders-pg".into());
    let template: JobTemplate = serde_yaml_ng::from_str(
        "image: busybox:1.36\ncommand: [sh, -c, 'echo $CLUSTER']\nenv: {CLUSTER: '{{ labels.cluster_name }}'}\n",
    )
    .unwrap();
    let settings = ActionSettings {
        job_templates: [("echo".to_string(), template)].into_iter().collect(),
        ..Default::default()
    };
    let plan = api
        .plan(&incident, &action("run_job", json!({"template": "echo"})), &settings)
        .await
        .unwrap();
    api.apply(&plan).await.unwrap();
    assert_eq!(
        request_lines(&api.server),
        [
            "GET /apis/batch/v1/namespaces/shop/jobs/medic-echo-0f1e2d3c-1",
            "POST /apis/batch/v1/namespaces/shop/jobs",
        ]
    );
    let post = only_write(&api.server);
    assert_write(&post, "application/json");
    let body = post.json();
    assert_eq!(body, created_by(&plan).0);
    assert_eq!(
        body.pointer("/spec/template/spec/containers/0"),
        Some(
            &json!({"name": "echo", "image": "busybox:1.36", "command": ["sh", "-c", "echo $CLUSTER"],
                     "env": [{"name": "CLUSTER", "value": "orders-pg"}]})
        )
    );
    assert_eq!(
        body.pointer("/metadata/labels/medic.dev~1job-template"),
        Some(&json!("echo"))
    );
}

#[tokio::test]
async fn set_env_sends_the_guarded_json_patch() {
    let api = Api::start().await;
    let plan = api
        .send_about(
            TargetKind::Deployment,
            "api",
            &action("set_env", json!({"name": "LOG_LEVEL", "value": "debug"})),
        )
        .await;
    let patch = only_write(&api.server);
    assert_eq!(patch.line(), "PATCH /apis/apps/v1/namespaces/shop/deployments/api");
    assert_eq!(patch.content_type.as_deref(), Some("application/json-patch+json"));
    assert_eq!(patch.json(), patch_of(&plan).2.body().clone());
    assert_eq!(patch.json()[0]["op"], "test");
    let api_after = api.object("Deployment", "api").unwrap();
    assert_eq!(container_at(&api_after, "api")["env"][0]["value"], "debug");
}

#[tokio::test]
async fn pause_and_suspend_send_merge_patches_and_a_vanished_object_is_not_found() {
    let api = Api::start().await;
    api.send_about(TargetKind::Deployment, "api", &action("pause_rollout", json!({})))
        .await;
    let patch = only_write(&api.server);
    assert_eq!(patch.line(), "PATCH /apis/apps/v1/namespaces/shop/deployments/api");
    assert_eq!(patch.content_type.as_deref(), Some("application/merge-patch+json"));
    assert_eq!(patch.json(), json!({"spec": {"paused": true}}));

    let api = Api::start().await;
    let suspend = api
        .plan_about(TargetKind::CronJob, "report", &action("suspend_cronjob", json!({})))
        .await;
    // Deleted between planning and execution: the API's 404 is NotFound.
    api.objects
        .lock()
        .unwrap()
        .retain(|o| !(o.kind().is("CronJob") && o.name() == "report"));
    let err = api.apply(&suspend).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::NotFound(what) if what == "cronjob/shop/report"),
        "{err:?}"
    );
    assert_eq!(
        request_lines(&api.server).last().map(String::as_str),
        Some("PATCH /apis/batch/v1/namespaces/shop/cronjobs/report")
    );
}
