//! A stand-in Kubernetes API server for the tests of [`super::KubeCluster`].
//!
//! No real API server can run where these tests run, so this HTTP server answers with the
//! shapes the API server is recorded to use: objects with `apiVersion`/`kind`/`metadata`,
//! lists whose items carry no type, and errors as `metav1.Status`. It records every request
//! (method, path, query, content type, body) so tests can assert the exact call sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::KubeCluster;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// A query parameter's value.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when empty).
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// `METHOD /path`, for matching in responders.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// An answer: status, content type, body.
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        }
    }

    /// A plain-text answer (the log subresource).
    pub fn text(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            content_type: "text/plain",
            body: body.into(),
        }
    }

    /// A `metav1.Status` failure, as the API server sends it.
    pub fn status(code: u16, reason: &str, message: &str, details: Value) -> Reply {
        let mut status = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code,
        });
        if !details.is_null() {
            status["details"] = details;
        }
        Reply::json(code, status)
    }

    /// The API server's 404 for a named object of `resource` (`pods`, `deployments.apps`).
    pub fn not_found(resource: &str, name: &str) -> Reply {
        let (kind, group) = resource.split_once('.').unwrap_or((resource, ""));
        let mut details = json!({"name": name, "kind": kind});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        Reply::status(404, "NotFound", &format!("{resource} \"{name}\" not found"), details)
    }
}

type Responder = dyn Fn(&Recorded) -> Reply + Send + Sync;

#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    respond: Arc<Responder>,
}

/// A running mock API server; stops when dropped.
pub struct MockApi {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl MockApi {
    /// Starts a server on a free local port that answers every request with `respond`.
    pub async fn start(respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> MockApi {
        let shared = Shared {
            requests: Arc::default(),
            respond: Arc::new(respond),
        };
        let requests = shared.requests.clone();
        let app = Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("mock API server");
        });
        MockApi { addr, requests, task }
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A cluster client pointed at this server, built like [`KubeCluster::connect`] builds one.
    pub fn cluster(&self) -> KubeCluster {
        cluster_at(&self.url())
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests lock").clone()
    }

    /// The one request sent so far; fails the test when there were more or none.
    pub fn only_request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.into_iter().next().expect("one request")
    }
}

impl Drop for MockApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client for `url`, with the same settings `connect` uses (no client-side retries).
pub fn cluster_at(url: &str) -> KubeCluster {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config = kube::Config::new(url.parse().expect("URL"));
    KubeCluster::from_config(config, format!("kube (mock, {url})")).expect("client")
}

async fn handle(State(shared): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let query = Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_string(),
        query,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    };
    let reply = (shared.respond)(&recorded);
    shared.requests.lock().expect("requests lock").push(recorded);
    let status = StatusCode::from_u16(reply.status).expect("status code");
    (status, [(header::CONTENT_TYPE, reply.content_type)], reply.body).into_response()
}
