//! Tests of exec and of pod release in the simulated cluster: answers from a
//! `ContainerExec` document or [`SimCluster::set_exec_output`], the 127 of a command the
//! container lacks, the API server's refusals, and a ReplicaSet replacing a pod relabelled
//! out of its selector.

use jiff::Timestamp;
use serde_json::json;

use super::{SimCluster, SimError};
use crate::cluster::{Cluster, ClusterError, Kind, ObjectRef, Operation, PatchBody};

const FIXTURE: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: shop, labels: {app: api}}
spec:
  containers: [{name: api, image: "api:1"}, {name: proxy, image: "envoy:1"}]
status:
  phase: Running
  containerStatuses:
  - {name: api, image: "api:1", imageID: "", ready: true, restartCount: 0, state: {running: {}}}
  - {name: proxy, image: "envoy:1", imageID: "", ready: false, restartCount: 4, state: {waiting: {reason: CrashLoopBackOff}}}
---
apiVersion: v1
kind: Pod
metadata: {name: job-1, namespace: shop}
spec:
  containers: [{name: main, image: "job:1"}]
status: {phase: Succeeded}
---
apiVersion: medic.dev/v1alpha1
kind: ContainerExec
outputs:
  shop/api-1/api:
    cat /etc/hostname: "api-1\n"
    false: {exitCode: 1}
    sh -c exit 3: {output: "bye\n", exitCode: 3}
"#;

fn cluster() -> SimCluster {
    SimCluster::from_yaml_at(FIXTURE, "2025-03-01T12:00:00Z".parse::<Timestamp>().unwrap()).unwrap()
}

fn exec(pod: &str, container: &str, argv: &[&str], max: usize) -> Operation {
    Operation::Exec {
        namespace: "shop".into(),
        pod: pod.into(),
        container: container.into(),
        command: argv.iter().map(|s| s.to_string()).collect(),
        timeout_seconds: 10,
        max_output_bytes: max,
    }
}

#[tokio::test]
async fn exec_answers_from_the_fixture_and_from_set_exec_output() {
    let c = cluster();
    let r = c
        .apply(&exec("api-1", "api", &["cat", "/etc/hostname"], 100))
        .await
        .unwrap();
    assert_eq!(r.message, "exec in pod/shop/api-1 -c api exited 0");
    assert_eq!(r.output.as_deref(), Some("api-1\n"));
    assert_eq!(r.object, None);
    let r = c.apply(&exec("api-1", "api", &["false"], 100)).await.unwrap();
    assert_eq!(
        (r.message.as_str(), r.output.as_deref()),
        ("exec in pod/shop/api-1 -c api exited 1", Some(""))
    );
    let r = c
        .apply(&exec("api-1", "api", &["sh", "-c", "exit", "3"], 2))
        .await
        .unwrap();
    assert_eq!(r.message, "exec in pod/shop/api-1 -c api exited 3");
    assert_eq!(r.output.as_deref(), Some("by"), "cut to max_output_bytes");

    c.set_exec_output(
        "shop",
        "api-1",
        "api",
        "df -h /data",
        "/dev/sda1 10G 9.9G 100M 99% /data\n",
        0,
    );
    let r = c
        .apply(&exec("api-1", "api", &["df", "-h", "/data"], 1000))
        .await
        .unwrap();
    assert_eq!(r.output.as_deref(), Some("/dev/sda1 10G 9.9G 100M 99% /data\n"));
    assert_eq!(c.applied().len(), 4, "execs are recorded like every applied operation");

    let r = c.apply(&exec("api-1", "api", &["jstack", "1"], 1000)).await.unwrap();
    assert_eq!(r.message, "exec in pod/shop/api-1 -c api exited 127");
    assert_eq!(
        r.output.as_deref(),
        Some("exec: \"jstack\": executable file not found in $PATH\n")
    );
}

#[tokio::test]
async fn exec_is_refused_as_the_api_server_refuses_it() {
    let c = cluster();
    let err = c.apply(&exec("gone", "api", &["true"], 10)).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::NotFound(w) if w == "pod/shop/gone"),
        "{err:?}"
    );
    let message = |err: ClusterError| match err {
        ClusterError::Api { code: 400, message, .. } => message,
        other => panic!("expected a 400, got {other:?}"),
    };
    assert_eq!(
        message(c.apply(&exec("api-1", "sidecar", &["true"], 10)).await.unwrap_err()),
        "container sidecar is not valid for pod api-1"
    );
    assert_eq!(
        message(c.apply(&exec("api-1", "proxy", &["true"], 10)).await.unwrap_err()),
        "unable to upgrade connection: container not found (\"proxy\")"
    );
    assert_eq!(
        message(c.apply(&exec("job-1", "main", &["true"], 10)).await.unwrap_err()),
        "cannot exec into a container in a completed pod; current phase is Succeeded"
    );
    assert!(c.applied().is_empty());
}

#[test]
fn container_exec_documents_are_checked() {
    let e = SimCluster::from_yaml(
        "apiVersion: medic.dev/v1alpha1\nkind: ContainerExec\noutputs: {\"api-1/api\": {ls: x}}\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        SimError::Medic {
            location: "document 1".into(),
            kind: "ContainerExec".into(),
            message: "outputs: key \"api-1/api\" is not namespace/pod/container".into(),
        }
    );
    let e = SimCluster::from_yaml("apiVersion: medic.dev/v1alpha1\nkind: ContainerExec\noutput: {}\n").unwrap_err();
    assert!(e.to_string().contains("unknown field `output`"), "{e}");
}

#[tokio::test]
async fn a_replicaset_releases_and_replaces_a_pod_relabelled_out_of_its_selector() {
    let c = SimCluster::from_yaml_at(
        r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-1, namespace: shop, uid: uid-rs}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1"}]}
"#,
        "2025-03-01T12:00:00Z".parse::<Timestamp>().unwrap(),
    )
    .unwrap();
    let pods = c.list(&Kind::of("Pod"), Some("shop"), Some("app=web")).await.unwrap();
    assert_eq!(pods.len(), 2);
    let first = pods[0].reference();
    c.apply(&Operation::Patch {
        target: first.clone(),
        subresource: None,
        patch: PatchBody::Json(
            json!([{"op": "replace", "path": "/metadata/labels", "value": {"quarantined": "true"}}]),
        ),
    })
    .await
    .unwrap();
    let kept = c.get(&first).await.unwrap().expect("the relabelled pod stays");
    assert_eq!(kept.controller(), None, "released by its ReplicaSet");
    assert!(kept.0.pointer("/metadata/ownerReferences").is_none());
    let serving = c.list(&Kind::of("Pod"), Some("shop"), Some("app=web")).await.unwrap();
    assert_eq!(serving.len(), 2, "a replacement was created");
    assert!(
        serving
            .iter()
            .all(|p| p.controller() == Some(ObjectRef::namespaced("ReplicaSet", "shop", "web-1")))
    );
    // Deleting the ReplicaSet no longer takes the released pod with it.
    c.apply(&Operation::Delete {
        target: ObjectRef::namespaced("ReplicaSet", "shop", "web-1"),
        grace_period_seconds: None,
        uid: None,
    })
    .await
    .unwrap();
    assert!(c.get(&first).await.unwrap().is_some());
}
