//! Tests of context gathering against simulated clusters (the demo fixture included).

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;

use super::*;
use crate::cluster::sim::SimCluster;
use crate::cluster::{ClusterError, Operation, OperationResult};
use crate::incident::{AlertStatus, TargetKind, TargetRef};

const DEMO: &str = include_str!("../../../config/demo/cluster.yaml");
/// The demo fixture's `FixtureClock`: loading at this instant shifts nothing.
const DEMO_NOW: &str = "2026-11-22T01:50:00Z";

fn demo() -> SimCluster {
    SimCluster::from_yaml_at(DEMO, now()).unwrap()
}

fn now() -> Timestamp {
    DEMO_NOW.parse().unwrap()
}

fn incident(kind: TargetKind, namespace: Option<&str>, name: &str, container: Option<&str>) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: "f".into(),
        status: AlertStatus::Firing,
        alertname: "Test".into(),
        severity: None,
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        starts_at: now(),
        ends_at: None,
        generator_url: None,
        receiver: None,
        group_key: None,
        target: Some(TargetRef {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.into(),
            container: container.map(str::to_string),
        }),
    }
}

async fn gather_demo(incident: &Incident) -> Context {
    gather_at(&demo(), incident, &Limits::default(), now()).await
}

#[tokio::test]
async fn a_crash_looping_pod_with_its_owners_revisions_events_log_and_node() {
    let ctx = gather_demo(&incident(
        TargetKind::Pod,
        Some("default"),
        "web-7d4b9c-xyz",
        Some("web"),
    ))
    .await;
    assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
    assert!(ctx.target_found);
    assert_eq!(ctx.object.as_ref().unwrap().name(), "web-7d4b9c-xyz");
    assert_eq!(
        ctx.owners,
        [
            ObjectRef::namespaced("ReplicaSet", "default", "web-7d4b9c"),
            ObjectRef::namespaced("Deployment", "default", "web")
        ]
    );
    let w = ctx.workload.as_ref().unwrap();
    assert_eq!(w.reference, ObjectRef::namespaced("Deployment", "default", "web"));
    assert_eq!(
        (w.replicas, w.ready_replicas, w.available_replicas),
        (Some(1), Some(0), Some(0))
    );
    assert_eq!((w.revision, w.previous_revision), (Some(2), Some(1)));
    assert_eq!(w.revision_age_seconds, Some(12 * 60));
    assert!(!w.paused);
    assert_eq!(w.progressing_reason.as_deref(), Some("ReplicaSetUpdated"));
    assert_eq!(ctx.pods.len(), 1);
    let pod = &ctx.pods[0];
    assert_eq!(
        (pod.phase.as_deref(), pod.ready, pod.node.as_deref()),
        (Some("Running"), false, Some("worker-1"))
    );
    let c = &pod.containers[0];
    assert_eq!(c.name, "web");
    assert_eq!(c.restart_count, 7);
    assert_eq!(c.waiting_reason.as_deref(), Some("CrashLoopBackOff"));
    assert!(c.waiting_message.as_deref().unwrap().starts_with("back-off 5m0s"));
    assert_eq!(
        (c.last_termination_reason.as_deref(), c.last_exit_code),
        (Some("Error"), Some(1))
    );
    assert_eq!(c.image.as_deref(), Some("registry.example.com/shop/web:1.8.0"));
    assert_eq!(
        (c.memory_limit.as_deref(), c.cpu_limit.as_deref()),
        (Some("256Mi"), None)
    );
    let reasons: Vec<&str> = ctx.events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["BackOff"], "Normal events are left out");
    let e = &ctx.events[0];
    assert_eq!((e.object.as_str(), e.count), ("pod/default/web-7d4b9c-xyz", 41));
    assert_eq!(e.last_seen.as_deref(), Some("2026-11-22T01:49:32Z"));
    assert_eq!(ctx.logs.len(), 1);
    let log = &ctx.logs[0];
    assert!(log.previous && !log.truncated);
    assert!(log.text.contains("panicked at src/config.rs"), "{}", log.text);
    let node = ctx.node.as_ref().unwrap();
    assert_eq!(
        (node.name.as_str(), node.ready, node.unschedulable),
        ("worker-1", true, false)
    );
    assert!(node.conditions.contains(&"Ready=True (KubeletReady)".to_string()));
}

#[tokio::test]
async fn a_deployment_target_lists_its_pods_unhealthy_first() {
    let ctx = gather_demo(&incident(TargetKind::Deployment, Some("shop"), "api", None)).await;
    assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
    assert!(ctx.owners.is_empty());
    let w = ctx.workload.as_ref().unwrap();
    assert_eq!((w.replicas, w.ready_replicas), (Some(2), Some(1)));
    assert_eq!((w.revision, w.previous_revision), (Some(4), Some(3)));
    assert_eq!(
        w.revision_age_seconds,
        Some(
            now()
                .duration_since("2026-11-15T14:01:50Z".parse::<Timestamp>().unwrap())
                .as_secs()
        )
    );
    let names: Vec<&str> = ctx.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["api-5f6d8c9b7-k2x9p", "api-5f6d8c9b7-m7q4z"]);
    let oom = &ctx.pods[0].containers[0];
    assert_eq!(
        (oom.last_termination_reason.as_deref(), oom.last_exit_code),
        (Some("OOMKilled"), Some(137))
    );
    assert_eq!(oom.memory_limit.as_deref(), Some("256Mi"));
    assert_eq!(oom.cpu_limit.as_deref(), Some("500m"));
    assert_eq!(ctx.logs.len(), 2);
    assert!(ctx.logs[0].previous && ctx.logs[0].text.contains("heap 251 MiB"));
    assert!(!ctx.logs[1].previous, "no previous log kept: the current one is read");
    assert!(ctx.logs[1].text.contains("heap 250 MiB"));
    assert_eq!(
        ctx.node.as_ref().map(|n| n.name.as_str()),
        Some("worker-1"),
        "the node of the unhealthy pod"
    );
    assert_eq!(ctx.events.len(), 1);
}

#[tokio::test]
async fn a_node_target_describes_the_node_and_its_pods() {
    let ctx = gather_demo(&incident(TargetKind::Node, None, "worker-3", None)).await;
    assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
    let node = ctx.node.as_ref().unwrap();
    assert!(!node.ready);
    assert!(
        node.conditions
            .contains(&"Ready=Unknown (NodeStatusUnknown)".to_string())
    );
    let names: Vec<&str> = ctx.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["checkout-7b9c5d8f6-zr2tk", "postgres-0"]);
    assert!(ctx.pods.iter().all(|p| p.terminating));
    assert_eq!(ctx.workload, None);
    let reasons: Vec<&str> = ctx.events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["NodeNotReady"]);
    assert_eq!(ctx.events[0].object, "pod/shop/postgres-0");
}

#[tokio::test]
async fn an_hpa_target_describes_the_workload_it_scales() {
    let ctx = gather_demo(&incident(
        TargetKind::HorizontalPodAutoscaler,
        Some("shop"),
        "catalog",
        None,
    ))
    .await;
    assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
    let w = ctx.workload.as_ref().unwrap();
    assert_eq!(w.reference, ObjectRef::namespaced("Deployment", "shop", "catalog"));
    assert_eq!(
        (w.replicas, w.ready_replicas, w.revision, w.previous_revision),
        (Some(4), Some(4), Some(3), None)
    );
    assert_eq!(w.progressing_reason.as_deref(), Some("NewReplicaSetAvailable"));
    assert_eq!(ctx.pods.len(), 4);
    assert!(ctx.pods.iter().all(|p| p.ready));
    assert!(ctx.logs.is_empty(), "healthy containers' logs are not read");
}

#[tokio::test]
async fn a_pvc_target_finds_the_pods_mounting_it() {
    let ctx = gather_demo(&incident(
        TargetKind::PersistentVolumeClaim,
        Some("shop"),
        "data-postgres-0",
        None,
    ))
    .await;
    assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
    assert_eq!(ctx.pods.len(), 1);
    assert_eq!(ctx.pods[0].name, "postgres-0");
    let w = ctx.workload.as_ref().unwrap();
    assert_eq!(w.reference, ObjectRef::namespaced("StatefulSet", "shop", "postgres"));
    assert_eq!(ctx.node.as_ref().map(|n| n.name.as_str()), Some("worker-3"));
    let pending = gather_demo(&incident(
        TargetKind::PersistentVolumeClaim,
        Some("shop"),
        "uploads",
        None,
    ))
    .await;
    assert!(pending.pods.is_empty() && pending.workload.is_none());
    assert_eq!(pending.events[0].reason, "ProvisioningFailed");
}

#[tokio::test]
async fn limits_bound_pods_events_and_logs() {
    let limits = Limits {
        log_bytes: 100,
        max_logs: 1,
        max_events: 1,
        max_pods: 1,
    };
    let c = demo();
    let ctx = gather_at(
        &c,
        &incident(TargetKind::Deployment, Some("shop"), "checkout", None),
        &limits,
        now(),
    )
    .await;
    assert_eq!(ctx.pods.len(), 1);
    assert_eq!(ctx.events.len(), 1);
    assert_eq!(ctx.pods[0].name, "checkout-7b9c5d8f6-9pz7w");
    assert_eq!(ctx.events[0].reason, "FailedScheduling", "the most recent one is kept");
    let ctx = gather_at(
        &c,
        &incident(TargetKind::Deployment, Some("shop"), "api", None),
        &limits,
        now(),
    )
    .await;
    assert_eq!(ctx.logs.len(), 1);
    let log = &ctx.logs[0];
    assert!(log.truncated);
    assert!(log.text.len() <= 100);
    assert!(
        log.text.starts_with("2026-11-22T01:46:50.877Z"),
        "cut at a line start: {:?}",
        log.text
    );
}

#[tokio::test]
async fn a_missing_target_or_none_gives_an_empty_context() {
    let ctx = gather_demo(&incident(TargetKind::Pod, Some("default"), "gone", None)).await;
    assert_eq!(ctx.target, Some(ObjectRef::namespaced("Pod", "default", "gone")));
    assert!(!ctx.target_found && ctx.owners.is_empty() && ctx.pods.is_empty() && ctx.errors.is_empty());
    let mut none = incident(TargetKind::Pod, Some("default"), "x", None);
    none.target = None;
    assert_eq!(
        gather_at(&demo(), &none, &Limits::default(), now()).await,
        Context::default()
    );
}

#[tokio::test]
async fn a_job_is_the_workload_and_its_cron_job_an_owner() {
    let text = r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: ops}
spec:
  schedule: "0 * * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: r, image: "r:1"}]}}}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: report-29000
  namespace: ops
  labels: {job-name: report-29000}
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: report, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {job-name: report-29000}}
  template:
    metadata: {labels: {job-name: report-29000}}
    spec: {restartPolicy: Never, containers: [{name: r, image: "r:1"}]}
status: {failed: 1}
---
apiVersion: v1
kind: Pod
metadata:
  name: report-29000-abcde
  namespace: ops
  labels: {job-name: report-29000}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report-29000, uid: u2, controller: true}]
spec: {restartPolicy: Never, containers: [{name: r, image: "r:1"}]}
status:
  phase: Failed
  containerStatuses:
  - {name: r, image: "r:1", imageID: "", ready: false, restartCount: 0,
     state: {terminated: {exitCode: 2, reason: Error}}}
"#;
    let c = SimCluster::from_yaml_at(text, now()).unwrap();
    c.set_log("ops", "report-29000-abcde", "r", false, "fatal: upstream refused\n");
    let ctx = gather_at(
        &c,
        &incident(TargetKind::Pod, Some("ops"), "report-29000-abcde", None),
        &Limits::default(),
        now(),
    )
    .await;
    assert_eq!(
        ctx.owners,
        [
            ObjectRef::namespaced("Job", "ops", "report-29000"),
            ObjectRef::namespaced("CronJob", "ops", "report")
        ]
    );
    assert_eq!(
        ctx.workload.as_ref().unwrap().reference,
        ObjectRef::namespaced("Job", "ops", "report-29000")
    );
    let c0 = &ctx.pods[0].containers[0];
    assert_eq!(
        (c0.last_termination_reason.as_deref(), c0.last_exit_code),
        (Some("Error"), Some(2))
    );
    assert_eq!(ctx.logs[0].text, "fatal: upstream refused\n");
    assert!(
        !ctx.logs[0].previous,
        "a container that never restarted has only its current log"
    );
    let cron = gather_at(
        &c,
        &incident(TargetKind::CronJob, Some("ops"), "report", None),
        &Limits::default(),
        now(),
    )
    .await;
    assert_eq!(cron.pods.len(), 1, "a CronJob's pods are found through its Jobs");
}

/// A cluster whose events and logs fail, to see failures recorded and the rest gathered.
struct Flaky(SimCluster);

#[async_trait]
impl Cluster for Flaky {
    fn describe(&self) -> String {
        "flaky".into()
    }
    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError> {
        if r.kind.is("Node") {
            return Err(ClusterError::Forbidden {
                what: r.to_string(),
                message: "nodes is forbidden".into(),
            });
        }
        self.0.get(r).await
    }
    async fn list(&self, kind: &Kind, ns: Option<&str>, sel: Option<&str>) -> Result<Vec<Object>, ClusterError> {
        self.0.list(kind, ns, sel).await
    }
    async fn events(&self, _: &ObjectRef) -> Result<Vec<Event>, ClusterError> {
        Err(ClusterError::Unavailable("boom".into()))
    }
    async fn log_tail(&self, _: &str, _: &str, _: &str, _: bool, _: usize) -> Result<Option<String>, ClusterError> {
        Err(ClusterError::Unavailable("no logs".into()))
    }
    async fn apply(&self, op: &Operation) -> Result<OperationResult, ClusterError> {
        self.0.apply(op).await
    }
}

#[tokio::test]
async fn failed_reads_are_recorded_and_the_rest_is_gathered() {
    let flaky = Flaky(demo());
    let ctx = gather_at(
        &flaky,
        &incident(TargetKind::Pod, Some("default"), "web-7d4b9c-xyz", None),
        &Limits::default(),
        now(),
    )
    .await;
    assert!(ctx.target_found);
    assert_eq!(ctx.workload.as_ref().unwrap().revision, Some(2));
    assert_eq!(ctx.node, None);
    assert!(ctx.events.is_empty() && ctx.logs.is_empty());
    assert_eq!(
        ctx.errors[0],
        "get node/worker-1: forbidden on node/worker-1: nodes is forbidden"
    );
    assert!(
        ctx.errors
            .contains(&"events of pod/default/web-7d4b9c-xyz: cluster unavailable: boom".to_string())
    );
    assert!(
        ctx.errors
            .contains(&"previous log of default/web-7d4b9c-xyz/web: cluster unavailable: no logs".to_string())
    );
}

#[test]
fn selectors_are_written_in_the_api_syntax() {
    let s = serde_json::json!({"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["a", "b"]}, {"key": "x", "operator": "DoesNotExist"}]});
    assert_eq!(selector_string(&s).as_deref(), Some("app=web,tier in (a,b),!x"));
    assert_eq!(selector_string(&serde_json::json!({})), None);
    assert_eq!(tail_at_line("a\nbb\nccc\n", 5), ("ccc\n", true));
    assert_eq!(tail_at_line("a\n", 5), ("a\n", false));
    assert_eq!(tail_at_line("a\nlong line\n", 6), (" line\n", true));
}

#[tokio::test]
async fn the_public_gather_uses_the_system_clock() {
    let c = SimCluster::from_yaml(DEMO).unwrap();
    let ctx = gather(
        &c,
        &incident(TargetKind::Pod, Some("default"), "web-7d4b9c-xyz", None),
        &Limits::default(),
    )
    .await;
    let age = ctx.workload.unwrap().revision_age_seconds.unwrap();
    assert!(
        (12 * 60..13 * 60).contains(&age),
        "the fixture clock makes revision 2 twelve minutes old: {age}"
    );
}
