//! Tests of the executor: the HTTP notifier against a local server, evictions waiting
//! for disruption budgets on paused tokio time, Events recorded in the simulated cluster,
//! and what dry-run sends (only an escalation's notification).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;
use serde_json::{Value, json};

use super::*;
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::settings::{NotifyChannel, NotifyFormat};
use crate::actions::{Action, ActionSettings, Bounds};
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation, OperationResult};
use crate::context::Context;
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::policy::{Verdict, VerdictKind};
use crate::web::metrics::Metrics;

const NOW: &str = "2025-03-01T12:00:00Z";

/// Two nodes; Deployment `shop/api` with two pods on `worker-1` (the only node of pool
/// `blue`).
const CLUSTER: &str = r#"
apiVersion: medic.dev/v1alpha1
kind: FixtureClock
now: "2025-03-01T12:00:00Z"
---
apiVersion: v1
kind: Node
metadata: {name: worker-1, uid: uid-worker-1, labels: {pool: blue}}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: worker-2, uid: uid-worker-2}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, uid: uid-api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      nodeSelector: {pool: blue}
      containers: [{name: api, image: "shop/api:1.4"}]
"#;

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn incident(kind: TargetKind, namespace: Option<&str>, name: &str) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: "1a2b3c4d5e6f7081".into(),
        status: AlertStatus::Firing,
        alertname: "KubeNodeNotReady".into(),
        severity: Some("critical".into()),
        labels: [("node".to_string(), "worker-1".to_string())].into_iter().collect(),
        annotations: [("summary".to_string(), "Node is not ready.".to_string())]
            .into_iter()
            .collect::<Labels>(),
        starts_at: now(),
        ends_at: None,
        generator_url: None,
        receiver: None,
        group_key: None,
        target: Some(TargetRef {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.into(),
            container: None,
        }),
    }
}

fn verdict(kind: VerdictKind, dry_run: bool) -> Verdict {
    Verdict {
        kind,
        dry_run,
        checks: Vec::new(),
    }
}

fn channel(name: &str, url: Option<String>, format: NotifyFormat, on_escalate: bool) -> NotifyChannel {
    NotifyChannel {
        name: name.into(),
        url_env: None,
        url,
        format,
        on_escalate,
    }
}

/// Remembers what it was asked to send, and delivers it.
#[derive(Default)]
struct Recording(Mutex<Vec<(String, String, bool)>>);

impl Recording {
    fn sent(&self) -> Vec<(String, String, bool)> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl Notifier for Recording {
    async fn send(&self, channel: &NotifyChannel, message: &Message<'_>) -> Result<String, NotifyError> {
        self.0
            .lock()
            .unwrap()
            .push((channel.name.clone(), message.text.to_string(), message.dry_run));
        Ok("delivered (200 OK)".into())
    }
}

/// A simulated cluster, an incident, and an executor over them.
struct Setup {
    cluster: Arc<SimCluster>,
    incident: Incident,
    settings: ActionSettings,
    notifier: Arc<Recording>,
}

impl Setup {
    fn on(kind: TargetKind, namespace: Option<&str>, name: &str) -> Setup {
        Setup {
            cluster: Arc::new(SimCluster::from_yaml_at(CLUSTER, now()).unwrap()),
            incident: incident(kind, namespace, name),
            settings: ActionSettings {
                notify: vec![
                    channel("ops", None, NotifyFormat::Slack, false),
                    channel("pager", None, NotifyFormat::Json, true),
                ],
                ..ActionSettings::default()
            },
            notifier: Arc::new(Recording::default()),
        }
    }

    fn executor(&self) -> Executor {
        Executor::new(
            self.cluster.clone(),
            self.notifier.clone(),
            self.settings.clone(),
            Arc::new(Metrics::new()),
        )
    }

    async fn plan(&self, name: &str, params: Value) -> Plan {
        let context = Context::default();
        let input = PlanInput {
            incident: &self.incident,
            context: &context,
            target: None,
            cluster: self.cluster.as_ref(),
            bounds: &Bounds::default(),
            settings: &self.settings,
        };
        Action::from_parts(name, params).unwrap().plan(&input).await.unwrap()
    }

    async fn run(&self, name: &str, params: Value, verdict: &Verdict) -> Outcome {
        let plan = self.plan(name, params).await;
        execute(&self.executor(), &self.incident, verdict, plan).await
    }
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

fn medic_events(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("medic"))
        .collect()
}

#[tokio::test]
async fn an_executed_plan_leaves_an_event_on_each_object_acted_on() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let pods: Vec<String> = s
        .cluster
        .list(&Kind::of("Pod"), Some("shop"), None)
        .await
        .unwrap()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let outcome = s
        .run("drain_node", json!({}), &verdict(VerdictKind::Allow, false))
        .await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    assert_eq!(outcome.results.len(), 3, "{:?}", outcome.results);

    let node_events = s
        .cluster
        .events(&ObjectRef::cluster_scoped("Node", "worker-1"))
        .await
        .unwrap();
    let ours = medic_events(&node_events);
    assert_eq!(ours.len(), 1);
    let e = ours[0];
    assert_eq!(e.reason.as_deref(), Some("MedicDrainNode"));
    assert_eq!(
        e.message.as_deref(),
        Some("drain node/worker-1: cordon it and evict 2 pods")
    );
    assert_eq!(e.type_.as_deref(), Some("Normal"));
    assert_eq!(e.count, Some(1));
    assert_eq!(e.reporting_component.as_deref(), Some("medic"));
    assert_eq!(e.metadata.namespace.as_deref(), Some("default"));
    assert!(e.metadata.name.as_deref().unwrap().starts_with("worker-1."));
    assert_eq!(e.involved_object.kind.as_deref(), Some("Node"));
    assert_eq!(e.involved_object.uid.as_deref(), Some("uid-worker-1"));
    assert!(e.first_timestamp.is_some() && e.last_timestamp.is_some());

    for pod in pods {
        let events = s
            .cluster
            .events(&ObjectRef::namespaced("Pod", "shop", &pod))
            .await
            .unwrap();
        let ours = medic_events(&events);
        assert_eq!(ours.len(), 1, "one event on {pod}");
        assert_eq!(ours[0].reason.as_deref(), Some("MedicDrainNode"));
        assert_eq!(ours[0].metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(ours[0].involved_object.namespace.as_deref(), Some("shop"));
    }
}

#[tokio::test]
async fn a_failed_operation_records_no_event_and_stops_the_plan() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let plan = s.plan("cordon_node", json!({})).await;
    // The node goes away between planning and execution.
    s.cluster
        .apply(&Operation::Delete {
            target: ObjectRef::cluster_scoped("Node", "worker-1"),
            grace_period_seconds: None,
            uid: None,
        })
        .await
        .unwrap();
    let outcome = execute(&s.executor(), &s.incident, &verdict(VerdictKind::Allow, false), plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert_eq!(
        outcome.error.as_deref(),
        Some("PATCH node/worker-1 (merge-patch): node/worker-1 not found")
    );
    let all_events = s.cluster.list(&Kind::of("Event"), None, None).await.unwrap();
    assert!(!all_events.iter().any(|e| e.0["source"]["component"] == "medic"));
}

// ---------------------------------------------------------------------------------------
// Dry-run and notifications
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn dry_run_sends_nothing_and_changes_nothing() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let dry = verdict(VerdictKind::Allow, true);
    for (name, params) in [
        ("notify", json!({})),
        ("cordon_node", json!({})),
        ("drain_node", json!({})),
    ] {
        let outcome = s.run(name, params, &dry).await;
        assert_eq!(outcome.status, OutcomeStatus::Planned, "{name}");
        assert!(outcome.results.is_empty(), "{name}: {:?}", outcome.results);
    }
    assert!(s.notifier.sent().is_empty());
    assert!(s.cluster.applied().is_empty());
}

#[tokio::test]
async fn an_escalation_notifies_its_channels_even_in_dry_run() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let outcome = s
        .run(
            "escalate",
            json!({"reason": "disk failure"}),
            &verdict(VerdictKind::Allow, true),
        )
        .await;
    assert_eq!(outcome.status, OutcomeStatus::Planned);
    assert_eq!(
        outcome.results,
        ["NOTIFY pager (escalation in dry-run): delivered (200 OK)"]
    );
    let sent = s.notifier.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "pager");
    assert!(
        sent[0].1.starts_with("medic escalation: disk failure\n"),
        "{}",
        sent[0].1
    );
    assert!(sent[0].2, "the message says it is a dry-run");
    assert!(s.cluster.applied().is_empty());

    // A one-off command (`medic recommend`) withholds even that.
    let mut quiet = s.executor();
    quiet.notifier = Arc::new(Withheld);
    let plan = s.plan("escalate", json!({})).await;
    let outcome = execute(&quiet, &s.incident, &verdict(VerdictKind::Allow, true), plan).await;
    assert_eq!(
        outcome.results,
        ["NOTIFY pager (escalation in dry-run): withheld from pager (this command sends no notifications)"]
    );
    assert_eq!(s.notifier.sent().len(), 1);

    // Held or denied, it waits for a human's decision: nothing is sent.
    let held = s.run("escalate", json!({}), &verdict(VerdictKind::Hold, true)).await;
    assert_eq!(held.status, OutcomeStatus::Skipped);
    assert_eq!(s.notifier.sent().len(), 1);
}

#[tokio::test]
async fn executed_notify_sends_and_a_failed_send_fails_the_outcome() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let go = verdict(VerdictKind::Allow, false);
    let outcome = s.run("notify", json!({"message": "worker-1 cordoned"}), &go).await;
    assert_eq!(outcome.status, OutcomeStatus::Executed);
    assert_eq!(outcome.results, ["NOTIFY ops: delivered (200 OK)"]);
    assert_eq!(
        s.notifier.sent(),
        [("ops".to_string(), "worker-1 cordoned".to_string(), false)]
    );
    assert!(s.cluster.applied().is_empty(), "a notification is not a cluster call");

    // A channel removed from config between planning and execution.
    let plan = s.plan("notify", json!({"channel": "pager"})).await;
    let mut executor = s.executor();
    executor.settings.notify.retain(|c| c.name != "pager");
    let outcome = execute(&executor, &s.incident, &go, plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert_eq!(
        outcome.error.as_deref(),
        Some("NOTIFY pager: notify channel \"pager\" is not configured (actions.notify)")
    );
}

// ---------------------------------------------------------------------------------------
// Evictions waiting for disruption budgets
// ---------------------------------------------------------------------------------------

/// A simulated cluster whose evictions a disruption budget refuses as scripted: each
/// attempt takes the next answer of `script` (`true`: refused); once it is used up, every
/// attempt is refused when `then_refuse`, else allowed.
struct Budgeted {
    inner: SimCluster,
    script: Mutex<std::collections::VecDeque<bool>>,
    then_refuse: bool,
    attempts: Mutex<Vec<tokio::time::Instant>>,
}

#[async_trait]
impl Cluster for Budgeted {
    fn describe(&self) -> String {
        "budgeted".into()
    }
    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError> {
        self.inner.get(r).await
    }
    async fn list(&self, kind: &Kind, ns: Option<&str>, sel: Option<&str>) -> Result<Vec<Object>, ClusterError> {
        self.inner.list(kind, ns, sel).await
    }
    async fn events(&self, r: &ObjectRef) -> Result<Vec<Event>, ClusterError> {
        self.inner.events(r).await
    }
    async fn log_tail(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        max_bytes: usize,
    ) -> Result<Option<String>, ClusterError> {
        self.inner
            .log_tail(namespace, pod, container, previous, max_bytes)
            .await
    }
    async fn apply(&self, op: &Operation) -> Result<OperationResult, ClusterError> {
        if let Operation::Evict { namespace, pod, .. } = op {
            self.attempts.lock().unwrap().push(tokio::time::Instant::now());
            let refused = self.script.lock().unwrap().pop_front().unwrap_or(self.then_refuse);
            if refused {
                return Err(ClusterError::DisruptionBudget {
                    what: format!("pod/{namespace}/{pod}"),
                    message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
                });
            }
        }
        self.inner.apply(op).await
    }
}

fn budgeted(script: &[bool], then_refuse: bool) -> Arc<Budgeted> {
    Arc::new(Budgeted {
        inner: SimCluster::from_yaml_at(CLUSTER, now()).unwrap(),
        script: Mutex::new(script.iter().copied().collect()),
        then_refuse,
        attempts: Mutex::new(Vec::new()),
    })
}

async fn first_pod(c: &Budgeted) -> String {
    c.list(&Kind::of("Pod"), Some("shop"), None).await.unwrap()[0]
        .name()
        .to_string()
}

fn eviction_plan(pods: &[&str], wait: u64) -> Plan {
    Plan {
        action: "drain_node".into(),
        target: Some(ObjectRef::cluster_scoped("Node", "worker-1")),
        summary: "drain node/worker-1".into(),
        operations: pods
            .iter()
            .map(|p| Operation::Evict {
                namespace: "shop".into(),
                pod: p.to_string(),
                wait_seconds: Some(wait),
            })
            .collect(),
        changes: Vec::new(),
        notes: Vec::new(),
        artifacts: Vec::new(),
    }
}

fn executor_on(cluster: Arc<Budgeted>) -> Executor {
    Executor::new(
        cluster,
        Arc::new(Recording::default()),
        ActionSettings::default(),
        Arc::new(Metrics::new()),
    )
}

#[tokio::test(start_paused = true)]
async fn a_refused_eviction_is_tried_again_every_five_seconds_until_allowed() {
    let cluster = budgeted(&[true, true], false);
    let pod = first_pod(&cluster).await;
    let start = tokio::time::Instant::now();
    let outcome = execute(
        &executor_on(cluster.clone()),
        &incident(TargetKind::Node, None, "worker-1"),
        &verdict(VerdictKind::Allow, false),
        eviction_plan(&[&pod], 60),
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    let offsets: Vec<Duration> = cluster.attempts.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(offsets, [0, 5, 10].map(Duration::from_secs));
    assert!(
        cluster
            .get(&ObjectRef::namespaced("Pod", "shop", &pod))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn an_eviction_refused_past_the_timeout_fails_with_the_budgets_message() {
    let cluster = budgeted(&[], true);
    let pods: Vec<String> = cluster
        .list(&Kind::of("Pod"), Some("shop"), None)
        .await
        .unwrap()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let start = tokio::time::Instant::now();
    let outcome = execute(
        &executor_on(cluster.clone()),
        &incident(TargetKind::Node, None, "worker-1"),
        &verdict(VerdictKind::Allow, false),
        eviction_plan(&[&pods[0], &pods[1]], 12),
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    let offsets: Vec<Duration> = cluster.attempts.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(
        offsets,
        [0, 5, 10, 12].map(Duration::from_secs),
        "every 5s, a last try at the deadline, and the second pod is never tried"
    );
    assert_eq!(
        outcome.error,
        Some(format!(
            "EVICT pod/shop/{} (waiting up to 12s for disruption budgets): refused by a disruption budget for \
             pod/shop/{}: Cannot evict pod as it would violate the pod's disruption budget. (still refused after 4 \
             attempts over the drain's timeout of 12s)",
            pods[0], pods[0]
        ))
    );
}

#[tokio::test(start_paused = true)]
async fn the_timeout_bounds_the_whole_drain_not_each_eviction() {
    let cluster = budgeted(&[true, true, false, true, true], false);
    let pods: Vec<String> = cluster
        .list(&Kind::of("Pod"), Some("shop"), None)
        .await
        .unwrap()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let start = tokio::time::Instant::now();
    let outcome = execute(
        &executor_on(cluster.clone()),
        &incident(TargetKind::Node, None, "worker-1"),
        &verdict(VerdictKind::Allow, false),
        eviction_plan(&[&pods[0], &pods[1]], 12),
    )
    .await;
    // The first pod is refused at 0 and 5 and evicted at 10; the second is refused at 10
    // with 2s left: one more try at 12, refused, and the drain is over.
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    let offsets: Vec<Duration> = cluster.attempts.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(offsets, [0, 5, 10, 10, 12].map(Duration::from_secs));
}

// ---------------------------------------------------------------------------------------
// The HTTP notifier
// ---------------------------------------------------------------------------------------

/// The content type and JSON body of each request a webhook received.
type Bodies = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A webhook that records each body and answers with `status` and `body`.
struct Hook {
    addr: SocketAddr,
    bodies: Bodies,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type HookState = (Bodies, StatusCode, String);

async fn hook(status: u16, answer: &str) -> Hook {
    async fn receive(
        State((bodies, status, answer)): State<HookState>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, String) {
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        bodies
            .lock()
            .unwrap()
            .push((content_type, serde_json::from_slice(&body).unwrap_or(Value::Null)));
        (status, answer)
    }
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let state: HookState = (
        bodies.clone(),
        StatusCode::from_u16(status).unwrap(),
        answer.to_string(),
    );
    let app = Router::new().route("/hooks/{id}", post(receive)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Hook { addr, bodies, task }
}

fn notifier() -> HttpNotifier {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    HttpNotifier::new().unwrap()
}

fn message<'a>(incident: &'a Incident, target: Option<&'a ObjectRef>) -> Message<'a> {
    Message {
        text: "worker-1 is not ready",
        incident,
        action: "notify",
        summary: "post a message about KubeNodeNotReady to notify channel \"ops\"",
        target,
        dry_run: false,
    }
}

#[tokio::test]
async fn slack_channels_get_a_text_body() {
    let hook = hook(200, "ok").await;
    let url = format!("http://{}/hooks/T000", hook.addr);
    let incident = incident(TargetKind::Node, None, "worker-1");
    let answer = notifier()
        .send(
            &channel("ops", Some(url), NotifyFormat::Slack, false),
            &message(&incident, None),
        )
        .await
        .unwrap();
    assert_eq!(answer, "delivered (200 OK)");
    let bodies = hook.bodies.lock().unwrap().clone();
    assert_eq!(
        bodies,
        [(
            Some("application/json".to_string()),
            json!({"text": "worker-1 is not ready"})
        )]
    );
}

#[tokio::test]
async fn json_channels_get_medics_body_and_the_url_may_come_from_the_environment() {
    let hook = hook(202, "").await;
    let url = format!("http://{}/hooks/pager", hook.addr);
    let incident = incident(TargetKind::Node, None, "worker-1");
    let target = ObjectRef::cluster_scoped("Node", "worker-1");
    let mut pager = channel("pager", None, NotifyFormat::Json, true);
    pager.url_env = Some("MEDIC_PAGER_URL".into());
    let answer = notifier()
        .with_env(move |name| (name == "MEDIC_PAGER_URL").then(|| url.clone()))
        .send(&pager, &message(&incident, Some(&target)))
        .await
        .unwrap();
    assert_eq!(answer, "delivered (202 Accepted)");
    let body = hook.bodies.lock().unwrap()[0].1.clone();
    assert_eq!(
        body,
        json!({
            "source": "medic",
            "text": "worker-1 is not ready",
            "action": "notify",
            "summary": "post a message about KubeNodeNotReady to notify channel \"ops\"",
            "target": "node/worker-1",
            "dry_run": false,
            "incident": {
                "alertname": "KubeNodeNotReady",
                "status": "firing",
                "severity": "critical",
                "fingerprint": "1a2b3c4d5e6f7081",
                "starts_at": NOW,
                "summary": "Node is not ready.",
                "labels": {"node": "worker-1"},
                "annotations": {"summary": "Node is not ready."},
            },
        })
    );
}

#[tokio::test]
async fn an_error_answer_is_reported_with_its_status_and_the_start_of_its_body() {
    let long = format!("invalid_token: {}", "x".repeat(400));
    let hook = hook(500, &long).await;
    let url = format!("http://{}/hooks/ops", hook.addr);
    let incident = incident(TargetKind::Node, None, "worker-1");
    let err = notifier()
        .send(
            &channel("ops", Some(url), NotifyFormat::Slack, false),
            &message(&incident, None),
        )
        .await
        .unwrap_err();
    match &err {
        NotifyError::Status { channel, status, body } => {
            assert_eq!((channel.as_str(), *status), ("ops", 500));
            assert_eq!(body.len(), 200);
            assert!(body.starts_with("invalid_token: xxx"));
        }
        other => panic!("expected Status, got {other:?}"),
    }
    assert!(
        !err.to_string().contains(&hook.addr.to_string()),
        "the URL never shows: {err}"
    );
}

#[tokio::test]
async fn missing_urls_and_unreachable_webhooks_are_named_without_the_url() {
    let incident = incident(TargetKind::Node, None, "worker-1");
    let m = message(&incident, None);
    let mut pager = channel("pager", None, NotifyFormat::Slack, false);
    pager.url_env = Some("MEDIC_TEST_UNSET_WEBHOOK".into());
    let err = notifier().with_env(|_| None).send(&pager, &m).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "notify channel \"pager\": the environment variable MEDIC_TEST_UNSET_WEBHOOK (its url_env) is not set"
    );
    let err = notifier()
        .send(&channel("bare", None, NotifyFormat::Slack, false), &m)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "notify channel \"bare\" has neither url nor url_env configured"
    );

    // A port nobody listens on: refused at once, and the error does not quote the URL.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let secret = format!("http://{addr}/hooks/T0/B0/s3cr3t-token");
    let err = notifier()
        .send(&channel("ops", Some(secret), NotifyFormat::Slack, false), &m)
        .await
        .unwrap_err();
    assert!(matches!(err, NotifyError::Transport { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("notify channel \"ops\": the webhook could not be reached: "),
        "{text}"
    );
    assert!(!text.contains("s3cr3t") && !text.contains(&addr.to_string()), "{text}");
}
