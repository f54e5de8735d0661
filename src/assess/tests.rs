//! The assessor end to end, on both backends: an assessment scheduled with the decision,
//! surviving a restart, scored from each signal (the resolved webhook, Alertmanager's
//! API, recurrence), revised on a recurrence, finalized after the window; the pipeline
//! scheduling only what it executed; a rule's action skipped after repeated low scores;
//! retention. Time is a [`ManualClock`]: nothing sleeps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Query, State};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::fixtures::{Record, decided, firing, resolved, restart, rollback, t};
use super::signals::health;
use super::*;
use crate::cluster::ObjectRef;
use crate::cluster::sim::SimCluster;
use crate::context::{ContainerFacts, Context, PodFacts, WorkloadFacts};
use crate::store::sql::testing::{TestDb, on_both_backends};
use crate::store::{ProcessingState, Recorded, Store};

on_both_backends!(
    a_scheduled_assessment_survives_a_restart_and_scores_the_resolved_webhook,
    scored_from_alertmanager_s_answer,
    a_recurrence_revises_the_score,
    a_recurrence_before_the_due_time_scores_final_at_once,
    a_rule_s_action_is_skipped_after_repeated_low_scores,
    repeated_failures_are_refused_by_the_oscillation_check,
    the_pipeline_schedules_executed_actions_only,
    retention_purges_what_is_older_than_the_horizon,
);

/// Deployment `shop/api`: 2 replicas whose pods the simulator's controllers create
/// healthy, on one Ready node.
const HEALTHY_SHOP: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: worker-1, labels: {kubernetes.io/hostname: worker-1}}
status:
  allocatable: {cpu: "4", memory: 8Gi}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  uid: d-api
  annotations: {deployment.kubernetes.io/revision: "1"}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: app, image: "shop/api:1.0"}
"#;

/// The simulated cluster of [`HEALTHY_SHOP`].
fn healthy_shop() -> Arc<SimCluster> {
    Arc::new(SimCluster::from_yaml_at(HEALTHY_SHOP, t(0)).expect("the fixture loads"))
}

fn assessor(store: Arc<dyn Store>, config: &AssessmentConfig, clock: &Arc<ManualClock>) -> Assessor {
    Assessor::new(store, healthy_shop(), config.clone(), clock.clone()).expect("assessor")
}

/// The assessment of an incident, as stored.
async fn assessment_of(store: &dyn Store, id: &str) -> Assessment {
    store
        .get(id)
        .await
        .unwrap()
        .expect("the incident")
        .decision
        .expect("its decision")
        .assessment
        .expect("its assessment")
}

fn details(a: &Assessment, signal: Signal) -> Vec<&str> {
    a.evidence
        .iter()
        .filter(|e| e.signal == signal)
        .map(|e| e.detail.as_str())
        .collect()
}

async fn a_scheduled_assessment_survives_a_restart_and_scores_the_resolved_webhook(db: &TestDb) {
    let config = AssessmentConfig::default();
    let clock = Arc::new(ManualClock::new(t(60)));
    let alert = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    let id = decided(
        db.store.as_ref(),
        &alert,
        t(10),
        Record::executed(restart(), t(60)).scheduled(&config),
    )
    .await;

    let first = assessor(db.store.clone(), &config, &clock);
    clock.advance(SignedDuration::from_mins(9));
    assert_eq!(
        first.tick().await.unwrap(),
        TickReport::default(),
        "not due before 10 minutes"
    );
    drop(first);

    // A restart: a new store on the same database, a new assessor.
    let store: Arc<dyn Store> = db.reopen().await;
    // Alertmanager's resolved notification arrives (what the webhook stores).
    store.record_alerts(&[resolved(&alert, t(400))], t(420)).await.unwrap();
    let second = assessor(store.clone(), &config, &clock);
    clock.set(t(60 + 600));
    let report = second.tick().await.unwrap();
    assert_eq!(report.scored, 1, "the schedule was in the store");

    let a = assessment_of(store.as_ref(), &id).await;
    assert_eq!(a.state, AssessmentState::Provisional, "the recurrence window is open");
    assert_eq!(
        a.components,
        Some(Components {
            health: Some(1.0),
            alert: Some(1.0),
            recurrence: Some(1.0)
        })
    );
    assert_eq!(a.score, Some(1.0));
    assert_eq!(a.scored_at, Some(t(660)));
    assert!(
        details(&a, Signal::Alert)[0].starts_with("the resolved notification of KubePodCrashLooping arrived"),
        "{:?}",
        a.evidence
    );
    assert_eq!(
        details(&a, Signal::Health),
        [
            "2/2 pods Ready (when decided: 0/1)",
            "no container restarted since the action",
            "no pod waiting on an error or out of Running"
        ]
    );
    assert!(
        details(&a, Signal::Recurrence)[0].contains("provisional until"),
        "{:?}",
        a.evidence
    );

    assert_eq!(second.tick().await.unwrap(), TickReport::default(), "scored once");
    clock.set(t(60 + 3600));
    assert_eq!(second.tick().await.unwrap().finalized, 1);
    assert_eq!(assessment_of(store.as_ref(), &id).await.state, AssessmentState::Final);
}

/// State shared with the mock Alertmanager: the alerts it lists, the queries it got.
#[derive(Clone, Default)]
struct AlertmanagerState {
    alerts: Arc<Mutex<Vec<Value>>>,
    queries: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

/// `GET /api/v2/alerts`, answered as Alertmanager 0.25 does: a JSON array of
/// `gettableAlert` objects, filtered by the `filter` matcher (only `alertname="X"` here).
async fn list_alerts(
    State(state): State<AlertmanagerState>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Vec<Value>> {
    let wanted = query
        .get("filter")
        .and_then(|f| f.strip_prefix("alertname=\""))
        .and_then(|f| f.strip_suffix('"'))
        .map(str::to_string);
    state.queries.lock().unwrap().push(query);
    let alerts = state.alerts.lock().unwrap().clone();
    Json(
        alerts
            .into_iter()
            .filter(|a| wanted.as_deref().is_none_or(|w| a["labels"]["alertname"] == w))
            .collect(),
    )
}

/// One alert exactly as Alertmanager 0.25 lists it.
fn gettable_alert(fingerprint: &str, alertname: &str, pod: &str, state: &str, silenced_by: &[&str]) -> Value {
    json!({
        "annotations": {"summary": format!("Pod shop/{pod} is crash looping")},
        "endsAt": "2026-01-01T01:04:30.000Z",
        "fingerprint": fingerprint,
        "receivers": [{"name": "medic"}],
        "startsAt": "2026-01-01T00:00:00.000Z",
        "status": {"inhibitedBy": [], "silencedBy": silenced_by, "state": state},
        "updatedAt": "2026-01-01T01:00:30.123Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=increase%28kube_pod_container_status_restarts_total%5B10m%5D%29+%3E+0",
        "labels": {"alertname": alertname, "namespace": "shop", "pod": pod, "severity": "warning"}
    })
}

/// Serves the mock Alertmanager on a local port; returns its base URL.
async fn serve_alertmanager(state: AlertmanagerState) -> String {
    let app = axum::Router::new()
        .route("/api/v2/alerts", axum::routing::get(list_alerts))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

async fn scored_from_alertmanager_s_answer(db: &TestDb) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let am = AlertmanagerState::default();
    let url = serve_alertmanager(am.clone()).await;
    *am.alerts.lock().unwrap() = vec![
        gettable_alert(
            "fp-still",
            "KubePodCrashLooping",
            "api-pod-1",
            "suppressed",
            &["silence-1"],
        ),
        gettable_alert("fp-other", "KubeCPUOvercommit", "api-pod-1", "active", &[]),
    ];
    let config = AssessmentConfig {
        alertmanager_url: Some(config::HttpUrl::try_from(url).unwrap()),
        ..AssessmentConfig::default()
    };
    let store = db.store.as_ref();
    let still = firing("KubePodCrashLooping", "fp-still", "shop", "api-pod-1", t(0));
    let still = decided(
        store,
        &still,
        t(0),
        Record::executed(restart(), t(0)).scheduled(&config),
    )
    .await;
    let gone = firing("KubePodCrashLooping", "fp-gone", "shop", "cart-pod-1", t(0));
    let gone = decided(
        store,
        &gone,
        t(0),
        Record::executed(restart(), t(0))
            .on("shop", "api", 2)
            .scheduled(&config),
    )
    .await;

    let clock = Arc::new(ManualClock::new(t(600)));
    assert_eq!(
        assessor(db.store.clone(), &config, &clock).tick().await.unwrap().scored,
        2
    );

    let a = assessment_of(store, &still).await;
    assert_eq!(a.components.unwrap().alert, Some(0.0));
    assert_eq!(
        details(&a, Signal::Alert),
        [
            "Alertmanager still lists KubePodCrashLooping (fingerprint fp-still) as firing (suppressed, silenced by silence-1)"
        ]
    );
    assert_eq!(a.score, Some(0.65), "0.40 health + 0.25 no recurrence");
    let a = assessment_of(store, &gone).await;
    assert_eq!(a.components.unwrap().alert, Some(1.0));
    assert_eq!(
        details(&a, Signal::Alert),
        ["Alertmanager no longer lists KubePodCrashLooping (fingerprint fp-gone) as active"]
    );
    let queries = am.queries.lock().unwrap().clone();
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[0]["active"], "true");
    assert_eq!(queries[0]["filter"], "alertname=\"KubePodCrashLooping\"");

    // Alertmanager down: the alert signal is missing and its weight shared.
    let down = AssessmentConfig {
        alertmanager_url: Some(config::HttpUrl::try_from("http://127.0.0.1:1".to_string()).unwrap()),
        ..AssessmentConfig::default()
    };
    let third = firing("KubePodCrashLooping", "fp-third", "shop", "api-pod-1", t(0));
    let third = decided(store, &third, t(0), Record::executed(restart(), t(0)).scheduled(&down)).await;
    assert_eq!(
        assessor(db.store.clone(), &down, &clock).tick().await.unwrap().scored,
        1
    );
    let a = assessment_of(store, &third).await;
    assert_eq!(a.components.unwrap().alert, None);
    assert_eq!(a.score, Some(1.0), "health and recurrence, both 1, share the weight");
    assert!(details(&a, Signal::Alert)[0].starts_with("Alertmanager could not tell: request to"));
}

async fn a_recurrence_revises_the_score(db: &TestDb) {
    let config = AssessmentConfig::default();
    let store = db.store.as_ref();
    let alert = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    let id = decided(
        store,
        &alert,
        t(0),
        Record::executed(restart(), t(0)).scheduled(&config),
    )
    .await;
    store.record_alerts(&[resolved(&alert, t(100))], t(100)).await.unwrap();
    let clock = Arc::new(ManualClock::new(t(600)));
    let assessor = assessor(db.store.clone(), &config, &clock);
    assert_eq!(assessor.tick().await.unwrap().scored, 1);
    assert_eq!(assessment_of(store, &id).await.score, Some(1.0));

    // 20 minutes after the action the alert fires again: a new incident.
    let again = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(1200));
    let again = match store.record_alerts(&[again], t(1200)).await.unwrap().as_slice() {
        [Recorded::New { id }] => id.clone(),
        other => panic!("{other:?}"),
    };
    clock.set(t(1210));
    let report = assessor.tick().await.unwrap();
    assert_eq!((report.scored, report.revised), (0, 1));
    let a = assessment_of(store, &id).await;
    assert_eq!(a.state, AssessmentState::Final);
    assert_eq!(a.revisions, 1);
    assert_eq!(a.components.unwrap().recurrence, Some(0.0));
    assert_eq!(
        a.components.unwrap().health,
        Some(1.0),
        "the other signals keep their values"
    );
    assert_eq!(a.score, Some(0.75));
    assert_eq!(
        details(&a, Signal::Recurrence),
        [format!("KubePodCrashLooping fired again 20m after the action (incident {again})").as_str()]
    );
    assert_eq!(assessor.tick().await.unwrap(), TickReport::default(), "revised once");
}

async fn a_recurrence_before_the_due_time_scores_final_at_once(db: &TestDb) {
    let config = AssessmentConfig::default();
    let store = db.store.as_ref();
    let alert = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    let id = decided(
        store,
        &alert,
        t(0),
        Record::executed(restart(), t(0)).scheduled(&config),
    )
    .await;
    // Another pod of the workload crash-loops 2 minutes after the action.
    let other_pod = firing("KubePodCrashLooping", "fp-2", "shop", "api-pod-2", t(120));
    decided(
        store,
        &other_pod,
        t(120),
        Record::executed(crate::assess::fixtures::escalate(), t(121)).planned(),
    )
    .await;
    let clock = Arc::new(ManualClock::new(t(600)));
    assert_eq!(
        assessor(db.store.clone(), &config, &clock).tick().await.unwrap().scored,
        1
    );
    let a = assessment_of(store, &id).await;
    assert_eq!(a.state, AssessmentState::Final);
    assert_eq!(
        a.components,
        Some(Components {
            health: Some(1.0),
            alert: None,
            recurrence: Some(0.0)
        })
    );
    assert_eq!(
        a.score,
        Some(0.6154),
        "health 0.40 and recurrence 0.25 share the alert's weight"
    );
    assert!(
        details(&a, Signal::Alert)[0].contains("no assessment.alertmanager_url"),
        "{:?}",
        a.evidence
    );
}

async fn a_rule_s_action_is_skipped_after_repeated_low_scores(db: &TestDb) {
    let mut config = crate::config::Config::default();
    config.policy.mode = crate::policy::Mode::DryRun;
    let metrics = Arc::new(crate::web::metrics::Metrics::new());
    let pipeline = crate::app::pipeline(&config, metrics).await.unwrap();
    let store = db.store.as_ref();
    let now = Timestamp::now();
    let ago = |mins: i64| now.checked_sub(SignedDuration::from_mins(mins)).unwrap();
    let crash = |fingerprint: &str, at| firing("KubePodCrashLooping", fingerprint, "default", "web-7d4b9c-xyz", at);

    // The demo's default/web crash-loops right after a rollout: the built-in rule rolls back.
    let first = decided_by_pipeline(&pipeline, store, crash("fp-0", ago(60))).await;
    assert_eq!(
        first.decision.action_name(),
        "rollback_deployment",
        "{}",
        first.decision.rationale
    );
    assert!(first.context.history.as_ref().unwrap().ineffective.is_empty());

    // Three rollbacks of default/web executed for this alert scored low.
    for (i, score) in [0.3, 0.2, 0.4].into_iter().enumerate() {
        let alert = crash(&format!("fp-{}", i + 1), ago(50 - i as i64));
        let record = Record::executed(rollback(), ago(50 - i as i64))
            .on("default", "web", 1)
            .scored(score);
        decided(store, &alert, ago(50 - i as i64), record).await;
    }

    let fourth = decided_by_pipeline(&pipeline, store, crash("fp-4", ago(1))).await;
    let d = &fourth.decision;
    assert_eq!(d.action_name(), "escalate", "{d:#?}");
    assert_eq!(
        d.decided_by.name, "crashloop-after-rollout",
        "the rule's own alternative"
    );
    let why = "rollback_deployment (rule crashloop-after-rollout): skipped: its mean effectiveness for \
               KubePodCrashLooping on default/web is 0.30 over 3 scored attempts, below assessment.skip_below 0.50";
    assert!(d.alternatives.iter().any(|a| a == why), "{:#?}", d.alternatives);
    assert!(
        d.rationale.contains("skipped: its mean effectiveness"),
        "{}",
        d.rationale
    );
    let history = fourth.context.history.as_ref().unwrap();
    assert_eq!(history.subject, "default/web");
    assert_eq!(history.ineffective[0].action, "rollback_deployment");
    let rollbacks = history
        .stats
        .iter()
        .find(|s| s.action == "rollback_deployment")
        .unwrap();
    assert_eq!((rollbacks.attempts, rollbacks.assessed), (3, 3));
    assert_eq!(history.recent.len(), 4, "the first decision and the three rollbacks");
}

async fn repeated_failures_are_refused_by_the_oscillation_check(db: &TestDb) {
    let metrics = Arc::new(crate::web::metrics::Metrics::new());
    let pipeline = crate::app::pipeline(&crate::config::Config::default(), metrics)
        .await
        .unwrap();
    let store = db.store.as_ref();
    let now = Timestamp::now();
    let ago = |mins: i64| now.checked_sub(SignedDuration::from_mins(mins)).unwrap();
    let crash = |fingerprint: &str, at| firing("KubePodCrashLooping", fingerprint, "default", "web-7d4b9c-xyz", at);
    // Three rollbacks of default/web failed to apply in the last half hour (not scored,
    // so the skip hook has nothing to say; the oscillation guard does).
    for i in 0..3 {
        let at = ago(30 - i);
        let record = Record::executed(rollback(), at)
            .on("default", "web", 1)
            .failed("conflict: object changed");
        decided(store, &crash(&format!("fp-{i}"), at), at, record).await;
    }
    let next = decided_by_pipeline(&pipeline, store, crash("fp-next", ago(1))).await;
    assert_eq!(next.decision.action_name(), "rollback_deployment");
    assert_eq!(next.state, ProcessingState::Denied);
    let check = next
        .verdict
        .checks
        .iter()
        .find(|c| c.name == "oscillation")
        .expect("the check ran");
    assert!(!check.passed);
    assert!(
        check
            .reason
            .starts_with("rollback_deployment on deployment/default/web failed or scored below 0.50 3 times in a row"),
        "{}",
        check.reason
    );
    let history = next.context.history.unwrap();
    assert_eq!(history.oscillations.len(), 1, "{:?}", history.oscillations);
}

/// Records `incident`, runs the pipeline on it, and returns the stored decision.
async fn decided_by_pipeline(
    pipeline: &crate::pipeline::Pipeline,
    store: &dyn Store,
    incident: crate::incident::Incident,
) -> crate::store::DecisionRecord {
    let at = incident.starts_at;
    let id = match store.record_alerts(&[incident], at).await.unwrap().as_slice() {
        [Recorded::New { id }] => id.clone(),
        other => panic!("{other:?}"),
    };
    pipeline.process(store, &id).await.unwrap().expect("claimed");
    store.get(&id).await.unwrap().unwrap().decision.unwrap()
}

async fn the_pipeline_schedules_executed_actions_only(db: &TestDb) {
    let metrics = Arc::new(crate::web::metrics::Metrics::new());
    let store = db.store.as_ref();
    let incident = |fingerprint: &str| {
        firing(
            "KubePodCrashLooping",
            fingerprint,
            "default",
            "web-7d4b9c-xyz",
            Timestamp::now(),
        )
    };
    let dry_run = crate::app::pipeline(&crate::config::Config::default(), metrics.clone())
        .await
        .unwrap();
    let planned = decided_by_pipeline(&dry_run, store, incident("fp-dry")).await;
    assert_eq!(planned.state, ProcessingState::Planned);
    assert_eq!(
        planned.assessment, None,
        "a dry-run plan changes nothing: nothing to score"
    );

    let mut config = crate::config::Config::default();
    config.policy.mode = crate::policy::Mode::Autonomous;
    // rollback_deployment is high risk: above the default ceiling it would be held.
    config.policy.risk_ceiling = crate::actions::Risk::High;
    let executing = crate::app::pipeline(&config, metrics).await.unwrap();
    let executed = decided_by_pipeline(&executing, store, incident("fp-run")).await;
    assert_eq!(executed.state, ProcessingState::Executed, "{:#?}", executed.verdict);
    assert_eq!(executed.decision.action_name(), "rollback_deployment");
    let a = executed.assessment.expect("scheduled with the decision");
    assert_eq!(a.state, AssessmentState::Pending);
    assert_eq!(a.executed_at, executed.outcome.finished_at);
    assert_eq!(
        a.due_at,
        a.executed_at.checked_add(SignedDuration::from_mins(10)).unwrap()
    );
    assert_eq!(a.subject, Some(ObjectRef::namespaced("Deployment", "default", "web")));
    assert!(a.baseline.restarts.iter().any(|r| r.restarts > 0), "{:?}", a.baseline);
}

async fn retention_purges_what_is_older_than_the_horizon(db: &TestDb) {
    let store = db.store.as_ref();
    let old = firing("KubePodCrashLooping", "fp-old", "shop", "api-pod-1", t(0));
    decided(store, &old, t(0), Record::executed(restart(), t(0)).scored(0.5)).await;
    let recent = firing("KubePodCrashLooping", "fp-new", "shop", "api-pod-1", t(80 * 86_400));
    let kept = decided(
        store,
        &recent,
        t(80 * 86_400),
        Record::executed(restart(), t(80 * 86_400)),
    )
    .await;
    let clock = ManualClock::new(t(91 * 86_400));
    assert_eq!(
        retention::purge(store, &clock, 0).await.unwrap(),
        0,
        "0 keeps everything"
    );
    assert_eq!(retention::purge(store, &clock, 90).await.unwrap(), 1);
    assert_eq!(retention::purge(store, &clock, 90).await.unwrap(), 0);
    let left = store.list(&Default::default()).await.unwrap();
    assert_eq!(left.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [kept.as_str()]);
}

// ---------------------------------------------------------------------------------------
// The health signal on given contexts

fn pod(name: &str, ready: bool, restarts: i32, waiting: Option<&str>) -> PodFacts {
    PodFacts {
        name: name.into(),
        phase: Some("Running".into()),
        ready,
        node: Some("worker-1".into()),
        terminating: false,
        containers: vec![ContainerFacts {
            name: "app".into(),
            ready,
            restart_count: restarts,
            waiting_reason: waiting.map(str::to_string),
            waiting_message: None,
            last_termination_reason: None,
            last_exit_code: None,
            image: None,
            memory_limit: None,
            cpu_limit: None,
        }],
    }
}

fn deployment(replicas: i32, pods: Vec<PodFacts>) -> Context {
    Context {
        target: Some(ObjectRef::namespaced("Deployment", "shop", "api")),
        target_found: true,
        workload: Some(WorkloadFacts {
            reference: ObjectRef::namespaced("Deployment", "shop", "api"),
            replicas: Some(replicas),
            ready_replicas: None,
            available_replicas: None,
            revision: None,
            previous_revision: None,
            revision_age_seconds: None,
            paused: false,
            progressing_reason: None,
        }),
        pods,
        ..Context::default()
    }
}

#[test]
fn health_counts_ready_pods_new_restarts_and_lingering_trouble() {
    let subject = ObjectRef::namespaced("Deployment", "shop", "api");
    let before = health::baseline(&deployment(2, vec![pod("a", true, 1, None), pod("b", false, 4, None)]));
    assert_eq!((before.pods, before.ready), (2, 1));

    let (score, evidence) = health::score(
        &subject,
        &deployment(2, vec![pod("a", true, 1, None), pod("b", true, 4, None)]),
        &before,
    );
    assert_eq!(score, Some(1.0), "{evidence:?}");

    let (score, evidence) = health::score(
        &subject,
        &deployment(
            2,
            vec![pod("a", true, 1, None), pod("b", false, 7, Some("CrashLoopBackOff"))],
        ),
        &before,
    );
    // ready 1/2, restarts 1/2 pods clean, trouble 1/2 pods clean
    assert_eq!(score, Some(0.5));
    let text: Vec<&str> = evidence.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        text,
        [
            "1/2 pods Ready (when decided: 1/2)",
            "restarted since the action: b/app +3",
            "still troubled: b/app waiting: CrashLoopBackOff"
        ]
    );

    // New pods (after a rollout) that already restarted count as restarted.
    let (score, _) = health::score(
        &subject,
        &deployment(2, vec![pod("c", true, 0, None), pod("d", true, 2, None)]),
        &before,
    );
    assert_eq!(score, Some(0.8333));

    let (score, evidence) = health::score(&subject, &deployment(2, vec![]), &before);
    assert_eq!(score, Some(0.0));
    assert_eq!(evidence[0].detail, "deployment/shop/api has no running pod");
    let (score, _) = health::score(&subject, &deployment(0, vec![]), &before);
    assert_eq!(score, Some(1.0), "scaled to zero on purpose");
    let starting = deployment(1, vec![pod("e", false, 0, Some("ContainerCreating"))]);
    let (score, _) = health::score(&subject, &starting, &before);
    assert_eq!(score, Some(0.6667), "starting is not trouble, but not Ready either");
}

#[tokio::test]
async fn health_reads_the_subject_through_the_cluster() {
    let cluster = healthy_shop();
    let subject = ObjectRef::namespaced("Deployment", "shop", "api");
    let (score, evidence) = health::assess(cluster.as_ref(), Some(&subject), &Baseline::default(), t(0)).await;
    assert_eq!(score, Some(1.0), "{evidence:?}");
    let gone = ObjectRef::namespaced("Deployment", "shop", "nope");
    let (score, evidence) = health::assess(cluster.as_ref(), Some(&gone), &Baseline::default(), t(0)).await;
    assert_eq!(score, None);
    assert_eq!(evidence[0].detail, "deployment/shop/nope no longer exists");
    let (score, _) = health::assess(cluster.as_ref(), None, &Baseline::default(), t(0)).await;
    assert_eq!(score, None);
}
