//! The approvals API without a socket (`Router::oneshot`): a held decision listed with its
//! reasons, approved (the worker re-checks and executes it) or rejected, and the 4xx
//! answers: missing `by`, bad JSON, unknown ids (404), answering twice (409), a bad filter.
//! The store is the real embedded SQLite; the cluster is the bundled demo cluster; the
//! policy mode is `approve`, so every mutating action is held. Requests carry the approver
//! token (the approver auth itself is tested in `auth_http.rs`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use medic::config::{Config, load_str};
use medic::pipeline::{Worker, WorkerTask};
use medic::policy::Mode;
use medic::store::{SqlStore, Store};
use medic::web::metrics::Metrics;
use medic::web::security::Security;
use medic::web::{AppState, app};
use serde_json::{Value, json};
use tower::ServiceExt;

const FIRING: &str = include_str!("fixtures/alertmanager/kubepodcrashlooping-firing.json");
const APPROVER_TOKEN: &str = "approver-3c41e9-token";

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
    let yaml = "policy: {mode: approve}\nauth: {approver: {bearer_token: {env: MEDIC_TEST_APPROVER_TOKEN}}}\n";
    let config: Config = load_str(yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.policy.mode, Mode::Approve);
    let env = |name: &str| (name == "MEDIC_TEST_APPROVER_TOKEN").then(|| APPROVER_TOKEN.to_string());
    let security = Security::from_config_with_env(&config, env).unwrap();
    let pipeline = Arc::new(medic::app::pipeline(&config, metrics.clone()).await.unwrap());
    let worker = Worker::new(pipeline, store.clone(), 2).spawn();
    let state = AppState {
        store: store.clone(),
        worker: worker.handle(),
        metrics,
        max_body_bytes: 64 * 1024,
        security: Arc::new(security),
    };
    Harness {
        state,
        store,
        _worker: worker,
        _dir: dir,
    }
}

async fn call(state: &AppState, mut req: Request<Body>) -> (StatusCode, Value) {
    let bearer = format!("Bearer {APPROVER_TOKEN}").parse().unwrap();
    req.headers_mut().insert("authorization", bearer);
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post_json(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

/// Sends the crash-looping alert with `fingerprint` and waits until its incident leaves
/// `state`-less processing; returns the incident id.
async fn alert_until(h: &Harness, fingerprint: &str, state: &str) -> String {
    let payload = FIRING.replace("fb497679806c8bfd", fingerprint);
    let (status, body) = call(&h.state, post_json("/api/v1/alerts", payload)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["incidents"][0]["id"].as_str().unwrap().to_string();
    wait_for(h, &id, state).await;
    id
}

/// Waits until the incident is in `state`.
async fn wait_for(h: &Harness, id: &str, state: &str) {
    let mut last = String::new();
    for _ in 0..200 {
        let stored = h.store.get(id).await.unwrap().unwrap();
        last = stored.state.as_str().to_string();
        if last == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("incident {id} stayed {last}, expected {state}");
}

/// The pending approval of the only held incident.
async fn pending_approval(h: &Harness) -> Value {
    let (status, list) = call(&h.state, get("/api/v1/approvals")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["count"], 1, "{list:#}");
    list["items"][0].clone()
}

#[tokio::test]
async fn a_held_decision_is_listed_approved_and_executed() {
    let h = harness().await;
    let id = alert_until(&h, "fp-approve", "held").await;
    let approval = pending_approval(&h).await;
    assert_eq!(approval["incident_id"], id.as_str());
    assert_eq!(approval["state"], "pending");
    assert_eq!(approval["incident_state"], "held");
    assert_eq!(approval["alertname"], "KubePodCrashLooping");
    assert!(approval["action"].is_string(), "{approval:#}");
    assert!(approval["target"].is_string(), "{approval:#}");
    assert!(approval["plan_summary"].is_string(), "{approval:#}");
    assert!(!approval["reasons"].as_array().unwrap().is_empty(), "{approval:#}");
    assert!(approval["requested_at"].is_string() && approval["expires_at"].is_string());
    let approval_id = approval["id"].as_i64().unwrap();

    let uri = format!("/api/v1/approvals/{approval_id}/approve");
    let (status, body) = call(
        &h.state,
        post_json(&uri, json!({"by": "alice", "reason": "checked"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["approval"]["state"], "approved");
    assert_eq!(body["approval"]["decided_by"], "alice");
    wait_for(&h, &id, "executed").await;
    let record = h.store.get(&id).await.unwrap().unwrap().decision.unwrap();
    assert_eq!(record.verdict.kind.as_str(), "allow", "{:#?}", record.verdict);

    let (status, body) = call(&h.state, post_json(&uri, json!({"by": "bob"}).to_string())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("not pending"), "{body}");
    let (status, list) = call(&h.state, get("/api/v1/approvals?state=approved")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 1);
    let (_, list) = call(&h.state, get("/api/v1/approvals")).await;
    assert_eq!(list["count"], 0, "nothing pending any more");
}

#[tokio::test]
async fn a_rejected_decision_is_never_executed() {
    let h = harness().await;
    let id = alert_until(&h, "fp-reject", "held").await;
    let approval_id = pending_approval(&h).await["id"].as_i64().unwrap();
    let (status, body) = call(
        &h.state,
        post_json(
            &format!("/api/v1/approvals/{approval_id}/reject"),
            json!({"by": "bob", "reason": "not during the sale"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["approval"]["state"], "rejected");
    assert_eq!(body["approval"]["reason"], "not during the sale");
    wait_for(&h, &id, "rejected").await;
    let (status, _) = call(
        &h.state,
        post_json(
            &format!("/api/v1/approvals/{approval_id}/approve"),
            json!({"by": "alice"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.store.get(&id).await.unwrap().unwrap().state.as_str(), "rejected");
}

#[tokio::test]
async fn bad_answers_get_clear_4xx_errors() {
    let h = harness().await;
    alert_until(&h, "fp-bad", "held").await;
    let approval_id = pending_approval(&h).await["id"].as_i64().unwrap();
    let uri = format!("/api/v1/approvals/{approval_id}/approve");

    for body in [json!({}), json!({"by": "  "}), json!({"reason": "why not"})] {
        let (status, answer) = call(&h.state, post_json(&uri, body.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!(answer["field"], "by", "{answer}");
        assert!(answer["error"].as_str().unwrap().contains("required"), "{answer}");
    }
    let (status, answer) = call(&h.state, post_json(&uri, "{not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = call(&h.state, post_json(&uri, json!({"by": "a", "who": "b"}).to_string())).await;
    assert!(status.is_client_error(), "unknown fields are refused: {answer}");
    let no_type = Request::post(&uri)
        .body(Body::from(json!({"by": "a"}).to_string()))
        .unwrap();
    assert_eq!(call(&h.state, no_type).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    for unknown in ["/api/v1/approvals/999999/approve", "/api/v1/approvals/abc/reject"] {
        let (status, answer) = call(&h.state, post_json(unknown, json!({"by": "alice"}).to_string())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown} → {answer}");
    }
    let (status, answer) = call(&h.state, get("/api/v1/approvals?state=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["field"], "state");
    let (status, list) = call(&h.state, get("/api/v1/approvals?state=all")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 1);
    assert_eq!(pending_approval(&h).await["state"], "pending", "nothing was answered");
}
