//! The HTTP API without a socket (`Router::oneshot`): the webhook's answers for good and
//! bad input, idempotent redelivery, resolution, the incidents API, health and metrics.
//! The store is the real embedded SQLite; the cluster is the bundled demo cluster.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::Timestamp;
use medic::assess::{AssessmentResult, DueAssessment};
use medic::config::Config;
use medic::history::{ActionStats, HistoryEntry, HistoryQuery, StatsQuery};
use medic::incident::Incident;
use medic::pipeline::{Worker, WorkerTask};
use medic::store::{
    Answer, Answered, Approval, ApprovalState, ApprovalStore, ApprovalView, AssessmentStore, Claimed, DecisionRecord,
    Finish, HistoryStore, IncidentQuery, IncidentSummary, ProcessingStore, Recorded, SqlStore, Store, StoreError,
    StoredIncident,
};
use medic::web::metrics::Metrics;
use medic::web::{AppState, app};
use serde_json::{Value, json};
use tower::ServiceExt;

const FIRING: &str = include_str!("fixtures/alertmanager/kubepodcrashlooping-firing.json");
const RESOLVED: &str = include_str!("fixtures/alertmanager/kubepodcrashlooping-resolved.json");

struct Harness {
    state: AppState,
    store: Arc<dyn Store>,
    _worker: WorkerTask,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqlStore::sqlite_in(dir.path()).await.unwrap());
    let metrics = Arc::new(Metrics::new());
    let config = Config::default();
    let pipeline = Arc::new(medic::app::pipeline(&config, metrics.clone()).await.unwrap());
    let worker = Worker::new(pipeline, store.clone(), 2).spawn();
    let state = AppState {
        store: store.clone(),
        worker: worker.handle(),
        metrics,
        max_body_bytes: 64 * 1024,
        security: Default::default(),
    };
    Harness {
        state,
        store,
        _worker: worker,
        _dir: dir,
    }
}

async fn call(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

fn post(body: impl Into<Body>, content_type: &str) -> Request<Body> {
    Request::post("/api/v1/alerts")
        .header("content-type", content_type)
        .body(body.into())
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn stored_count(store: &dyn Store) -> usize {
    store.list(&IncidentQuery::default()).await.unwrap().len()
}

#[tokio::test]
async fn accepted_alert_is_stored_then_decided_in_dry_run() {
    let h = harness().await;
    let (status, body) = call(&h.state, post(FIRING, "application/json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["incidents"][0]["result"], "new");
    let id = body["incidents"][0]["id"].as_str().unwrap().to_string();

    let mut detail = Value::Null;
    for _ in 0..100 {
        let (s, d) = call(&h.state, get(&format!("/api/v1/incidents/{id}"))).await;
        assert_eq!(s, StatusCode::OK);
        detail = d;
        if detail["state"] != "received" && detail["state"] != "deciding" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(detail["incident"]["fingerprint"], "fb497679806c8bfd");
    assert_eq!(detail["incident"]["alertname"], "KubePodCrashLooping");
    let record = &detail["decision"];
    assert!(record["decision"]["action"].is_string(), "{detail:#}");
    assert!(record["decision"]["rationale"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(record["decision"]["decided_by"]["decider"].is_string());
    assert_eq!(record["verdict"]["dry_run"], true);
    assert_eq!(record["context"]["target_found"], true, "{detail:#}");
    assert!(
        record["outcome"]["status"] == "planned" || record["outcome"]["status"] == "skipped",
        "{detail:#}"
    );

    let (s, list) = call(&h.state, get("/api/v1/incidents?alertname=KubePodCrashLooping")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["count"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn redelivery_is_idempotent_and_resolution_updates_the_incident() {
    let h = harness().await;
    let (_, first) = call(&h.state, post(FIRING, "application/json")).await;
    let (status, again) = call(&h.state, post(FIRING, "application/json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["incidents"][0]["result"], "duplicate");
    assert_eq!(again["incidents"][0]["id"], first["incidents"][0]["id"]);
    assert_eq!(stored_count(h.store.as_ref()).await, 1);

    let (status, resolved) = call(&h.state, post(RESOLVED, "application/json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resolved["incidents"][0]["result"], "resolved");
    let (_, again) = call(&h.state, post(RESOLVED, "application/json")).await;
    assert_eq!(again["incidents"][0]["result"], "duplicate");
    assert_eq!(stored_count(h.store.as_ref()).await, 1);
    let id = first["incidents"][0]["id"].as_str().unwrap();
    let (_, detail) = call(&h.state, get(&format!("/api/v1/incidents/{id}"))).await;
    assert_eq!(detail["incident"]["status"], "resolved");
    assert_eq!(detail["incident"]["ends_at"], "2026-11-22T01:45:15.88927Z");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_naming_the_problem_and_stores_nothing() {
    let h = harness().await;
    let mut missing: Value = serde_json::from_str(FIRING).unwrap();
    missing["alerts"][0]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("alertname");
    let mut wrong_type: Value = serde_json::from_str(FIRING).unwrap();
    wrong_type["alerts"][0]["startsAt"] = json!(12);
    let huge = format!(r#"{{"version":"4","pad":"{}"}}"#, "x".repeat(70 * 1024));

    let cases: Vec<(Request<Body>, StatusCode, Option<&str>, &str)> = vec![
        (
            post("{not json", "application/json"),
            StatusCode::BAD_REQUEST,
            None,
            "not valid JSON",
        ),
        (
            post("[1,2]", "application/json"),
            StatusCode::BAD_REQUEST,
            Some("$"),
            "webhook body",
        ),
        (
            post(r#"{"version":"4","status":"firing"}"#, "application/json"),
            StatusCode::BAD_REQUEST,
            None,
            "alerts",
        ),
        (
            post(missing.to_string(), "application/json"),
            StatusCode::BAD_REQUEST,
            Some("alerts[0].labels.alertname"),
            "alertname",
        ),
        (
            post(wrong_type.to_string(), "application/json"),
            StatusCode::BAD_REQUEST,
            Some("alerts[0].startsAt"),
            "startsAt",
        ),
        (
            post(FIRING, "text/plain"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("Content-Type"),
            "text/plain",
        ),
        (
            post(huge, "application/json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            "65536 bytes",
        ),
    ];
    for (req, want_status, want_field, want_text) in cases {
        let (status, body) = call(&h.state, req).await;
        assert_eq!(status, want_status, "{body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(want_text), "{error:?} should mention {want_text:?}");
        if let Some(f) = want_field {
            assert_eq!(body["field"], f, "{body}");
        }
    }
    assert_eq!(stored_count(h.store.as_ref()).await, 0, "bad input must store nothing");
}

#[tokio::test]
async fn incidents_api_validates_queries_and_ids() {
    let h = harness().await;
    let (s, body) = call(&h.state, get("/api/v1/incidents/nope")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("\"nope\""));
    let (s, body) = call(&h.state, get("/api/v1/incidents?state=sleeping")).await;
    assert_eq!((s, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("state")));
    let (s, _) = call(&h.state, get("/api/v1/incidents?colour=blue")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&h.state, get("/api/v1/incidents?limit=lots")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let h = harness().await;
    assert_eq!(call(&h.state, get("/healthz")).await.0, StatusCode::OK);
    assert_eq!(call(&h.state, get("/readyz")).await.0, StatusCode::OK);
    call(&h.state, post(FIRING, "application/json")).await;
    call(&h.state, post("{", "application/json")).await;
    let (s, text) = call(&h.state, get("/metrics")).await;
    assert_eq!(s, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(
        text.contains("medic_alerts_received_total{status=\"firing\"} 1"),
        "{text}"
    );
    assert!(text.contains("medic_webhook_requests_total{code=\"400\"} 1"), "{text}");
    assert!(text.contains("medic_incidents{state="), "{text}");
}

/// A store whose database is down, to check the answers Alertmanager retries on.
struct DownStore;

#[async_trait]
impl HistoryStore for DownStore {
    async fn history(&self, _: &HistoryQuery) -> Result<Vec<HistoryEntry>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn stats(&self, _: &StatsQuery) -> Result<Vec<ActionStats>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn purge_older_than(&self, _: Timestamp) -> Result<u64, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[async_trait]
impl AssessmentStore for DownStore {
    async fn claim_due_assessments(&self, _: Timestamp, _: i64) -> Result<Vec<DueAssessment>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn save_assessments(&self, _: &[(i64, AssessmentResult)]) -> Result<Vec<bool>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn recurred_assessments(&self, _: i64) -> Result<Vec<DueAssessment>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn revise_assessment(&self, _: i64, _: i64, _: &AssessmentResult) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn finalize_assessments(&self, _: Timestamp) -> Result<u64, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[async_trait]
impl medic::store::ActivityStore for DownStore {
    async fn activity(&self, _: &medic::store::ActivityQuery) -> Result<medic::policy::Activity, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[async_trait]
impl ProcessingStore for DownStore {
    async fn claim_next(&self, _: &str, _: Timestamp, _: Timestamp, _: i64) -> Result<Vec<Claimed>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn claim_id(&self, _: &str, _: &str, _: Timestamp, _: Timestamp) -> Result<Option<Claimed>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn renew_lease(&self, _: &str, _: &str, _: Timestamp) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn save_decided(
        &self,
        _: &str,
        _: &str,
        _: &DecisionRecord,
        _: Option<Timestamp>,
    ) -> Result<Option<i64>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn start_execution(&self, _: &str, _: &str, _: &DecisionRecord, _: Timestamp) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn finish_execution(&self, _: &str, _: &str, _: &Finish<'_>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[async_trait]
impl ApprovalStore for DownStore {
    async fn approvals(&self, _: Option<ApprovalState>, _: i64) -> Result<Vec<ApprovalView>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn approval_of(&self, _: &str) -> Result<Option<Approval>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn answer(&self, _: i64, _: Answer, _: &str, _: Option<&str>, _: Timestamp) -> Result<Answered, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn expire_approvals(&self, _: Timestamp, _: i64) -> Result<Vec<Approval>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[async_trait]
impl Store for DownStore {
    fn backend(&self) -> &'static str {
        "down"
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn record_alerts(&self, _: &[Incident], _: Timestamp) -> Result<Vec<Recorded>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn pending(&self, _: i64) -> Result<Vec<String>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn claim(&self, _: &str, _: Timestamp) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn save_result(&self, _: &str, _: &DecisionRecord) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn mark_failed(&self, _: &str, _: &str, _: Timestamp) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn get(&self, _: &str) -> Result<Option<StoredIncident>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn list(&self, _: &IncidentQuery) -> Result<Vec<IncidentSummary>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[tokio::test]
async fn store_down_means_503_never_200() {
    let h = harness().await;
    let state = AppState {
        store: Arc::new(DownStore),
        ..h.state.clone()
    };
    let resp = app(state.clone())
        .oneshot(post(FIRING, "application/json"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(call(&state, get("/readyz")).await.0, StatusCode::SERVICE_UNAVAILABLE);
}
