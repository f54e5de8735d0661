//! Secrets never appear in logs, API answers or the store: the webhook, API and approver
//! tokens (sent in headers, right and wrong), a database password in the URL, and an LLM
//! API key read from the environment. Every log line of the test process is captured
//! (TRACE, `log` records included) and searched, with every answer and the SQLite files.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt;
use medic::config::{Config, load_str};
use medic::pipeline::Worker;
use medic::store::{IncidentQuery, SqlStore, Store};
use medic::web::metrics::Metrics;
use medic::web::security::Security;
use medic::web::{AppState, app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const FIRING: &str = include_str!("fixtures/alertmanager/kubepodcrashlooping-firing.json");

const WEBHOOK_TOKEN: &str = "WEBHOOK-SECRET-6d1f0b";
const APPROVER_TOKEN: &str = "APPROVER-SECRET-93e7aa";
const API_TOKEN: &str = "API-SECRET-c20f4e";
const AM_PASSWORD: &str = "AM-PASSWORD-71bd30";
const DB_PASSWORD: &str = "DB-PASSWORD-0e95c2";
const LLM_KEY: &str = "sk-LLM-KEY-4b8e21f0";

/// Every log line of this process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        use tracing_subscriber::util::SubscriberInitExt as _;
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
            .try_init()
            .expect("the only subscriber of this test binary");
        captured
    })
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap()).to_string()
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [
        WEBHOOK_TOKEN,
        APPROVER_TOKEN,
        API_TOKEN,
        AM_PASSWORD,
        DB_PASSWORD,
        LLM_KEY,
    ] {
        assert!(!text.contains(secret), "{secret} appears in {what}");
    }
}

fn env(name: &str) -> Option<String> {
    match name {
        "T_WEBHOOK" => Some(WEBHOOK_TOKEN.into()),
        "T_APPROVER" => Some(APPROVER_TOKEN.into()),
        "T_API" => Some(API_TOKEN.into()),
        "T_AM" => Some(AM_PASSWORD.into()),
        _ => None,
    }
}

const AUTH: &str = "auth:
  webhook:
    bearer_token: {env: T_WEBHOOK}
    basic_auth: {username: alertmanager, password: {env: T_AM}}
  api: {bearer_token: {env: T_API}}
  approver: {bearer_token: {env: T_APPROVER}}
";

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test]
async fn tokens_sent_in_headers_appear_nowhere() {
    logs();
    let dir = tempfile::tempdir().unwrap();
    let config: Config = load_str(AUTH, "test.yaml").unwrap();
    let security = Security::from_config_with_env(&config, env).unwrap();
    tracing::info!(?security, ?config, "security settings");
    let store: Arc<dyn Store> = Arc::new(SqlStore::sqlite_in(dir.path()).await.unwrap());
    let metrics = Arc::new(Metrics::new());
    let pipeline = Arc::new(medic::app::pipeline(&Config::default(), metrics.clone()).await.unwrap());
    let worker = Worker::new(pipeline, store.clone(), 1).spawn();
    let state = AppState {
        store: store.clone(),
        worker: worker.handle(),
        metrics,
        max_body_bytes: 1 << 20,
        security: Arc::new(security),
    };
    let mut answers = String::new();
    let mut send = async |method: &str, uri: &str, authorization: String| -> StatusCode {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(if uri == "/api/v1/alerts" { FIRING } else { "{}" }))
            .unwrap();
        let resp = app(state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        answers.push_str(&format!("{status} {:?}\n", resp.headers()));
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        answers.push_str(&String::from_utf8_lossy(&bytes));
        status
    };
    let bearer = |t: &str| format!("Bearer {t}");
    assert_eq!(
        send("POST", "/api/v1/alerts", bearer(WEBHOOK_TOKEN)).await,
        StatusCode::OK
    );
    assert_eq!(
        send("POST", "/api/v1/alerts", basic("alertmanager", AM_PASSWORD)).await,
        StatusCode::OK
    );
    for wrong in [
        bearer(&format!("{WEBHOOK_TOKEN}x")),
        bearer(APPROVER_TOKEN),
        bearer(API_TOKEN),
        basic(WEBHOOK_TOKEN, AM_PASSWORD),
        format!("Token {WEBHOOK_TOKEN}"),
    ] {
        assert_eq!(send("POST", "/api/v1/alerts", wrong).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        send("GET", "/api/v1/incidents", bearer(WEBHOOK_TOKEN)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send("GET", "/api/v1/incidents", bearer(API_TOKEN)).await,
        StatusCode::OK
    );
    assert_eq!(
        send("POST", "/api/v1/approvals/1/approve", bearer(WEBHOOK_TOKEN)).await,
        StatusCode::UNAUTHORIZED
    );
    let approved = send("POST", "/api/v1/approvals/1/approve", bearer(APPROVER_TOKEN)).await;
    assert!(approved != StatusCode::UNAUTHORIZED && approved != StatusCode::FORBIDDEN);
    // Let the worker decide the incident, so its logs are in too.
    for _ in 0..100 {
        let list = store.list(&IncidentQuery::default()).await.unwrap();
        if list
            .iter()
            .all(|i| i.state.as_str() != "received" && i.state.as_str() != "deciding")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = store.list(&IncidentQuery::default()).await.unwrap()[0].id.clone();
    send("GET", &format!("/api/v1/incidents/{id}"), bearer(API_TOKEN)).await;
    send("GET", "/metrics", String::new()).await;
    // The state holds a handle of the worker: drop it, so the worker can stop.
    drop(state);
    worker.shutdown().await;
    assert!(answers.contains(&id), "the API answered");
    assert_no_secret("the API answers", &answers);

    let logs = log_text();
    assert!(logs.contains("unauthorized request"), "logs are captured:\n{logs}");
    assert_no_secret("the logs", &logs);

    drop(store);
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        // SQLite removes its -wal and -shm files when the last connection closes, which
        // may happen between listing and reading: a file gone is a file without secrets.
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("reading {}: {e}", path.display()),
        };
        assert_no_secret(&path.display().to_string(), &String::from_utf8_lossy(&bytes));
        files += 1;
    }
    assert!(files >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_password_appears_nowhere() {
    logs();
    // A database that cannot be reached: the error names the URL, masked.
    let url = format!("postgres://medic:{DB_PASSWORD}@127.0.0.1:1/medic");
    let e = SqlStore::connect(&url).await.unwrap_err().to_string();
    assert!(e.contains("medic:****@127.0.0.1:1"), "{e}");
    assert_no_secret("the connection error", &e);
    // `medic serve` and `medic history` with it: errors only, password masked.
    for args in [&["serve", "--listen", "127.0.0.1:0"][..], &["history"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_medic"))
            .args(args)
            .env("MEDIC_DATABASE_URL", &url)
            .env("RUST_LOG", "trace")
            .env_remove("MEDIC_CONFIG")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("****"), "{text}");
        assert_no_secret(&format!("medic {args:?}"), &text);
    }
    // `medic config check` on a file holding one.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("medic.yaml");
    std::fs::write(&file, format!("database_url: 'mysql://root:{DB_PASSWORD}@db/medic'\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_medic"))
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("database_url"), "{text}");
    assert_no_secret("medic config check", &text);
    assert_no_secret("the logs", &log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_llm_api_key_appears_nowhere_but_in_the_request_to_the_model() {
    // A model endpoint that refuses the key, remembering what it was sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(String::new()));
    let seen_by_server = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 64 * 1024];
            let n = tcp.read(&mut buf).await.unwrap_or(0);
            seen_by_server
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
            let body = r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
            let resp = format!(
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tcp.write_all(resp.as_bytes()).await;
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("medic.yaml");
    std::fs::write(
        &config,
        format!(
            "llm:\n  models:\n    m:\n      provider: openai\n      model: gpt-test\n      base_url: http://127.0.0.1:{port}/v1\n      api_key_env: MEDIC_TEST_LLM_KEY\n      max_retries: 0\n"
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_medic"))
        .args(["--config", config.to_str().unwrap(), "llm", "ping"])
        .env("MEDIC_TEST_LLM_KEY", LLM_KEY)
        .env("RUST_LOG", "trace")
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        seen.lock().unwrap().contains(&format!("Bearer {LLM_KEY}")),
        "the key was sent to the model"
    );
    assert_no_secret("medic llm ping", &text);
    assert!(
        text.to_lowercase().contains("401") || text.contains("API key"),
        "{text}"
    );
}
