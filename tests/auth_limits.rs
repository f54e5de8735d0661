//! The HTTP limits: the webhook's per-client rate limit (429 with `Retry-After`, then
//! recovery), oversized headers (431) and bodies (413), the request timeout (503 with
//! `Retry-After`), the header read timeout, and a graceful stop, through the router and
//! over a real socket (`serve_until`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use medic::config::{Config, load_str};
use medic::pipeline::WorkerHandle;
use medic::store::{SqlStore, Store};
use medic::web::metrics::Metrics;
use medic::web::security::Security;
use medic::web::serve::serve_until;
use medic::web::{AppState, app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const FIRING: &str = include_str!("fixtures/alertmanager/kubepodcrashlooping-firing.json");

async fn state(yaml: &str) -> (AppState, tempfile::TempDir) {
    let config: Config = load_str(yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"));
    let security = Security::from_config_with_env(&config, |_| None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqlStore::sqlite_in(dir.path()).await.unwrap());
    let state = AppState {
        store,
        worker: WorkerHandle::detached(),
        metrics: Arc::new(Metrics::new()),
        max_body_bytes: 4096.max(FIRING.len() + 1),
        security: Arc::new(security),
    };
    (state, dir)
}

fn webhook_from(client: &str) -> Request<Body> {
    let mut req = Request::post("/api/v1/alerts")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(FIRING))
        .unwrap();
    let addr: SocketAddr = format!("{client}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

async fn status_of(state: &AppState, req: Request<Body>) -> (StatusCode, Option<String>, String) {
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, retry, String::from_utf8_lossy(&bytes).to_string())
}

async fn metrics(state: &AppState) -> String {
    status_of(state, Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .2
}

#[tokio::test]
async fn the_webhook_rate_limit_answers_429_per_client_then_recovers() {
    let (state, _dir) = state("webhook: {rate_limit: {per_second: 5, burst: 2}}\n").await;
    for _ in 0..2 {
        let (s, _, body) = status_of(&state, webhook_from("10.1.1.1")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (s, retry, body) = status_of(&state, webhook_from("10.1.1.1")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(body.contains("webhook.rate_limit"), "{body}");
    // Another client has its own bucket.
    let (s, _, _) = status_of(&state, webhook_from("10.1.1.2")).await;
    assert_eq!(s, StatusCode::OK);
    // One token comes back after 200 ms.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (s, _, body) = status_of(&state, webhook_from("10.1.1.1")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _, _) = status_of(&state, webhook_from("10.1.1.1")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // Reads are not rate limited.
    for _ in 0..5 {
        let (s, _, _) = status_of(&state, Request::get("/api/v1/incidents").body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::OK);
    }
    let m = metrics(&state).await;
    assert!(m.contains("medic_http_rate_limited_total{route=\"webhook\"} 2"), "{m}");
    assert!(m.contains("medic_webhook_requests_total{code=\"429\"} 2"), "{m}");
}

#[tokio::test]
async fn oversized_headers_are_431_and_bodies_413() {
    let (state, _dir) = state("http: {max_header_bytes: 2048, max_headers: 20}\n").await;
    let big = Request::post("/api/v1/alerts")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-padding", "a".repeat(3000))
        .body(Body::from(FIRING))
        .unwrap();
    let (s, _, body) = status_of(&state, big).await;
    assert_eq!(s, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "{body}");
    assert!(body.contains("http.max_header_bytes"), "{body}");
    let mut many = Request::get("/api/v1/incidents");
    for i in 0..25 {
        many = many.header(format!("x-h{i}"), "1");
    }
    let (s, _, _) = status_of(&state, many.body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let huge_body = Request::post("/api/v1/alerts")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(vec![b' '; 64 * 1024]))
        .unwrap();
    let (s, _, body) = status_of(&state, huge_body).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        metrics(&state)
            .await
            .contains("medic_http_rejected_total{reason=\"headers_too_large\"} 2")
    );
}

/// Serves `state` on a free loopback port; returns the address and a stop switch.
async fn serve(
    state: AppState,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve_until(listener, state, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop, task)
}

/// Sends raw bytes, then reads whatever comes back until the server closes or `wait` ends.
async fn raw_exchange(addr: SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_socket_limits_and_timeouts_hold() {
    let (state, _dir) = state(
        "http: {max_header_bytes: 4096, request_timeout: 1s, header_read_timeout: 1s}\nwebhook: {rate_limit: {per_second: 0.1, burst: 2}}\n",
    )
    .await;
    let (addr, stop, task) = serve(state.clone()).await;
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let ok = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    // Too large for the router's limit, and far too large for hyper's own.
    for size in [6_000, 64_000] {
        let resp = client
            .get(format!("{base}/api/v1/incidents"))
            .header("x-padding", "a".repeat(size))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 431, "{size}");
    }
    // A webhook body that never finishes (it takes a token of the rate limit): 503 with Retry-After after the request timeout.
    let started = std::time::Instant::now();
    let answer = raw_exchange(
        addr,
        b"POST /api/v1/alerts HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"partial\":",
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 5"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    // The peer's address reaches the rate limiter: the third webhook from 127.0.0.1 is 429.
    let post = || {
        client
            .post(format!("{base}/api/v1/alerts"))
            .header("content-type", "application/json")
            .body(FIRING)
            .send()
    };
    assert_eq!(post().await.unwrap().status(), 200);
    let limited = post().await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    // Headers that never finish: the connection is closed after the header read timeout.
    let started = std::time::Instant::now();
    let answer = raw_exchange(addr, b"GET /healthz HTTP/1.1\r\nhost: x\r\n", Duration::from_secs(5)).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?} {answer}",
        started.elapsed()
    );
    assert!(!answer.contains("200 OK"), "{answer}");
    // A graceful stop ends serve_until.
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}
