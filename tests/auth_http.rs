//! Authentication of the HTTP API without a socket (`Router::oneshot`): the webhook, the
//! read API and approvals each need their credentials (bearer token or basic auth, as
//! Alertmanager's `http_config` sends them), read from the environment or files; missing
//! or wrong credentials get 401 with `WWW-Authenticate` and are counted; approvals are
//! refused with 403 when no approver is configured; health and metrics stay open; a
//! missing secret stops `medic serve` at start, naming the key and the variable.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt;
use medic::config::{Config, load_str};
use medic::pipeline::WorkerHandle;
use medic::store::{SqlStore, Store};
use medic::web::metrics::Metrics;
use medic::web::security::Security;
use medic::web::{AppState, app};
use serde_json::Value;
use tower::ServiceExt;

const FIRING: &str = include_str!("fixtures/alertmanager/kubepodcrashlooping-firing.json");

const WEBHOOK_TOKEN: &str = "wh-7f3a9c1e-token";
const APPROVER_TOKEN: &str = "ap-55e0b2d4-token";
const API_TOKEN: &str = "api-0c8d11aa-token";

fn env(name: &str) -> Option<String> {
    match name {
        "MEDIC_WEBHOOK_TOKEN" => Some(WEBHOOK_TOKEN.into()),
        "MEDIC_APPROVER_TOKEN" => Some(format!("{APPROVER_TOKEN}\n")),
        "MEDIC_API_TOKEN" => Some(API_TOKEN.into()),
        "MEDIC_AM_PASSWORD" => Some("am-password".into()),
        _ => None,
    }
}

fn security(yaml: &str) -> Security {
    let config: Config = load_str(yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"));
    Security::from_config_with_env(&config, env).unwrap()
}

struct Harness {
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn harness(security: Security) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqlStore::sqlite_in(dir.path()).await.unwrap());
    let state = AppState {
        store,
        worker: WorkerHandle::detached(),
        metrics: Arc::new(Metrics::new()),
        max_body_bytes: 64 * 1024,
        security: Arc::new(security),
    };
    Harness { state, _dir: dir }
}

struct Answer {
    status: StatusCode,
    challenges: Vec<String>,
    body: Value,
    text: String,
}

async fn call(state: &AppState, req: Request<Body>) -> Answer {
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let challenges = resp
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        challenges,
        body,
        text,
    }
}

fn request(method: &str, uri: &str, authorization: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(a) = authorization {
        b = b.header(header::AUTHORIZATION, a);
    }
    if method == "POST" && uri == "/api/v1/alerts" {
        b.header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(FIRING))
            .unwrap()
    } else if method == "POST" {
        b.header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"by":"alice","reason":"looks right"}"#))
            .unwrap()
    } else {
        b.body(Body::empty()).unwrap()
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

async fn metrics(state: &AppState) -> String {
    call(state, request("GET", "/metrics", None)).await.text
}

const TOKENS: &str = "auth:
  webhook: {bearer_token: {env: MEDIC_WEBHOOK_TOKEN}}
  approver: {bearer_token: {env: MEDIC_APPROVER_TOKEN}}
";

#[tokio::test]
async fn the_webhook_needs_its_token_and_refusals_are_counted() {
    let h = harness(security(TOKENS)).await;
    for auth in [
        None,
        Some(bearer("wrong")),
        Some(bearer(&format!("{WEBHOOK_TOKEN}x"))),
        Some(bearer(APPROVER_TOKEN)),
        Some(format!("Token {WEBHOOK_TOKEN}")),
        Some(basic("alertmanager", WEBHOOK_TOKEN)),
    ] {
        let a = call(&h.state, request("POST", "/api/v1/alerts", auth.as_deref())).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth:?}: {}", a.text);
        assert_eq!(a.challenges, vec!["Bearer realm=\"medic\"".to_string()]);
        assert!(a.body["error"].as_str().unwrap().contains("auth.webhook"), "{}", a.text);
    }
    let ok = call(
        &h.state,
        request("POST", "/api/v1/alerts", Some(&bearer(WEBHOOK_TOKEN))),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["accepted"], 1);
    // Nothing was stored by the refused requests: one incident, from the accepted one.
    let list = call(
        &h.state,
        request("GET", "/api/v1/incidents", Some(&bearer(WEBHOOK_TOKEN))),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["count"], 1);

    let m = metrics(&h.state).await;
    assert!(m.contains("medic_http_unauthorized_total{route=\"webhook\"} 6"), "{m}");
    assert!(m.contains("medic_webhook_requests_total{code=\"401\"} 6"), "{m}");
    assert!(m.contains("medic_webhook_requests_total{code=\"200\"} 1"), "{m}");
}

#[tokio::test]
async fn health_and_metrics_stay_open() {
    let h = harness(security(TOKENS)).await;
    for uri in ["/healthz", "/readyz", "/metrics"] {
        let a = call(&h.state, request("GET", uri, None)).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text);
    }
}

#[tokio::test]
async fn the_read_api_takes_the_webhook_credentials_unless_it_has_its_own() {
    let h = harness(security(TOKENS)).await;
    for uri in [
        "/api/v1/incidents",
        "/api/v1/history",
        "/api/v1/stats",
        "/api/v1/nowhere",
    ] {
        let a = call(&h.state, request("GET", uri, None)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let a = call(
        &h.state,
        request("GET", "/api/v1/incidents", Some(&bearer(WEBHOOK_TOKEN))),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(
        metrics(&h.state)
            .await
            .contains("medic_http_unauthorized_total{route=\"api\"} 4")
    );

    let own = harness(security(&format!(
        "{TOKENS}  api: {{bearer_token: {{env: MEDIC_API_TOKEN}}}}\n"
    )))
    .await;
    let a = call(
        &own.state,
        request("GET", "/api/v1/incidents", Some(&bearer(WEBHOOK_TOKEN))),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body["error"].as_str().unwrap().contains("auth.api"), "{}", a.text);
    let a = call(
        &own.state,
        request("GET", "/api/v1/incidents", Some(&bearer(API_TOKEN))),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    // The API token is not the webhook's.
    let a = call(&own.state, request("POST", "/api/v1/alerts", Some(&bearer(API_TOKEN)))).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn approvals_need_the_approver_token() {
    let h = harness(security(TOKENS)).await;
    for path in ["/api/v1/approvals/42/approve", "/api/v1/approvals/42/reject"] {
        for auth in [None, Some(bearer(WEBHOOK_TOKEN)), Some(bearer("nope"))] {
            let a = call(&h.state, request("POST", path, auth.as_deref())).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path} {auth:?}: {}", a.text);
            assert!(
                a.body["error"].as_str().unwrap().contains("auth.approver"),
                "{}",
                a.text
            );
        }
        // With the approver's token the request reaches the route (whatever it answers).
        let a = call(&h.state, request("POST", path, Some(&bearer(APPROVER_TOKEN)))).await;
        assert!(
            a.status != StatusCode::UNAUTHORIZED && a.status != StatusCode::FORBIDDEN,
            "{path}: {} {}",
            a.status,
            a.text
        );
    }
    // Listing held decisions is reading: the read API's credentials.
    let a = call(
        &h.state,
        request("GET", "/api/v1/approvals", Some(&bearer(WEBHOOK_TOKEN))),
    )
    .await;
    assert_ne!(a.status, StatusCode::UNAUTHORIZED, "{}", a.text);
    assert!(
        metrics(&h.state)
            .await
            .contains("medic_http_unauthorized_total{route=\"approvals\"} 6")
    );
}

#[tokio::test]
async fn without_an_approver_approvals_over_http_are_refused_with_the_way_to_enable_them() {
    for security in [
        Security::default(),
        security("auth:\n  webhook: {bearer_token: {env: MEDIC_WEBHOOK_TOKEN}}\n"),
    ] {
        let h = harness(security).await;
        let a = call(
            &h.state,
            request("POST", "/api/v1/approvals/42/approve", Some(&bearer(WEBHOOK_TOKEN))),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
        let message = a.body["error"].as_str().unwrap();
        assert!(
            message.contains("auth.approver") && message.contains("medic approve"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn without_auth_the_webhook_and_read_api_are_open() {
    let h = harness(Security::default()).await;
    let a = call(&h.state, request("POST", "/api/v1/alerts", None)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = call(&h.state, request("GET", "/api/v1/incidents", None)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

#[tokio::test]
async fn basic_auth_as_alertmanager_sends_it_with_the_password_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, "from-a-file-pw\n").unwrap();
    let yaml = format!(
        "auth:\n  webhook:\n    basic_auth: {{username: alertmanager, password: {{file: {}}}}}\n    bearer_token: {{env: MEDIC_WEBHOOK_TOKEN}}\n",
        file.display()
    );
    let h = harness(security(&yaml)).await;
    let a = call(
        &h.state,
        request("POST", "/api/v1/alerts", Some(&basic("alertmanager", "from-a-file-pw"))),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = call(
        &h.state,
        request("POST", "/api/v1/alerts", Some(&bearer(WEBHOOK_TOKEN))),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "either credential is accepted: {}", a.text);
    for wrong in [basic("alertmanager", "nope"), basic("someone", "from-a-file-pw")] {
        let a = call(&h.state, request("POST", "/api/v1/alerts", Some(&wrong))).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            a.challenges,
            vec![
                "Bearer realm=\"medic\"".to_string(),
                "Basic realm=\"medic\", charset=\"UTF-8\"".to_string()
            ]
        );
    }
}

#[test]
fn config_check_reports_incomplete_auth_sections() {
    let problems = match load_str(
        "auth:\n  webhook: {}\n  approver: {bearer_token: {env: A, file: /b}}\n  api: {bearer_token: {}}\n",
        "x",
    ) {
        Err(medic::config::ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("expected problems, got {other:?}"),
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"auth.webhook"), "{problems:?}");
    assert!(paths.contains(&"auth.approver.bearer_token"), "{problems:?}");
    assert!(paths.contains(&"auth.api.bearer_token"), "{problems:?}");
    // A secret written inline is an unknown key, not a setting.
    assert!(load_str("auth:\n  webhook: {bearer_token: hunter2}\n", "x").is_err());
}

#[test]
fn medic_serve_refuses_to_start_without_a_configured_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("medic.yaml");
    std::fs::write(
        &config,
        "auth:\n  webhook: {bearer_token: {env: MEDIC_TEST_UNSET_TOKEN}}\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_medic"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env_remove("MEDIC_TEST_UNSET_TOKEN")
        .env_remove("MEDIC_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("medic serve kept running without its secret");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success());
    assert!(
        stderr.contains("auth.webhook.bearer_token") && stderr.contains("MEDIC_TEST_UNSET_TOKEN is not set"),
        "{stderr}"
    );
}
