//! A stand-in for the API server's `pods/{name}/exec` endpoint, for the tests of exec
//! through [`super::KubeCluster`]: it accepts the WebSocket upgrade kube-rs asks for,
//! answering with one of the offered `channel.k8s.io` subprotocols, and then speaks that
//! protocol as the kubelet does (stdout frames on channel 1, stderr on 2, the exit
//! `Status` on 3, then close). It records the upgrade request (path, query, offered
//! subprotocols) so tests can assert the exact call.
//!
//! It can also refuse the upgrade with a `metav1.Status` (as the API server does for a
//! missing pod or container), or accept and never answer (a command that hangs).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::SinkExt;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

/// The upgrade request as the server saw it.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The path, without the query.
    pub path: String,
    /// The query parameters, in order, decoded.
    pub query: Vec<(String, String)>,
    /// The subprotocols the client offered (`Sec-WebSocket-Protocol`).
    pub protocols: String,
}

impl ExecRequest {
    /// Every value of a query parameter, in order (`command` repeats).
    pub fn params(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// What the server does with an exec request.
pub enum ExecReply {
    /// Upgrade with `protocol`, send `stdout` and `stderr` (each in frames of at most
    /// `frame` bytes), then the exit `status` (none: close without one).
    Run {
        /// `v4.channel.k8s.io` or `v5.channel.k8s.io`.
        protocol: &'static str,
        /// What the command writes to stdout.
        stdout: Vec<u8>,
        /// What it writes to stderr.
        stderr: Vec<u8>,
        /// Bytes per frame.
        frame: usize,
        /// The `Status` sent on channel 3.
        status: Option<Value>,
    },
    /// Refuse the upgrade with this HTTP code and `Status` body.
    Refuse {
        /// HTTP status code.
        code: u16,
        /// A `metav1.Status`.
        body: Value,
    },
    /// Upgrade, then send nothing.
    Hang,
}

type Responder = dyn Fn(&ExecRequest) -> ExecReply + Send + Sync;

/// A running exec endpoint; stops when dropped.
pub struct ExecMock {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<ExecRequest>>>,
    task: JoinHandle<()>,
}

impl ExecMock {
    /// Starts a server on a free local port answering each exec with `reply`.
    pub async fn start(reply: impl Fn(&ExecRequest) -> ExecReply + Send + Sync + 'static) -> ExecMock {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let requests: Arc<Mutex<Vec<ExecRequest>>> = Arc::default();
        let reply: Arc<Responder> = Arc::new(reply);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let recorded = recorded.clone();
                let reply = reply.clone();
                tokio::spawn(async move { serve(stream, recorded, reply).await });
            }
        });
        ExecMock { addr, requests, task }
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every upgrade request so far.
    pub fn requests(&self) -> Vec<ExecRequest> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for ExecMock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[allow(
    clippy::result_large_err,
    reason = "the callback's signature is the one tungstenite's handshake takes"
)]
async fn serve(stream: tokio::net::TcpStream, recorded: Arc<Mutex<Vec<ExecRequest>>>, reply: Arc<Responder>) {
    let mut chosen: Option<ExecReply> = None;
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        let uri = req.uri();
        let query = uri
            .query()
            .map(|q| {
                q.split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (decode(k), decode(v))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let request = ExecRequest {
            path: uri.path().to_string(),
            query,
            protocols: req
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
        };
        let answer = reply(&request);
        recorded.lock().expect("requests lock").push(request);
        match answer {
            ExecReply::Refuse { code, body } => {
                let mut refusal = ErrorResponse::new(Some(body.to_string()));
                *refusal.status_mut() = StatusCode::from_u16(code).expect("status code");
                refusal
                    .headers_mut()
                    .insert("Content-Type", HeaderValue::from_static("application/json"));
                Err(refusal)
            }
            other => {
                let protocol = match &other {
                    ExecReply::Run { protocol, .. } => protocol,
                    _ => "v4.channel.k8s.io",
                };
                resp.headers_mut()
                    .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
                chosen = Some(other);
                Ok(resp)
            }
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    match chosen {
        Some(ExecReply::Run {
            stdout,
            stderr,
            frame,
            status,
            ..
        }) => {
            for (channel, data) in [(1u8, stdout), (2u8, stderr)] {
                for chunk in data.chunks(frame.max(1)) {
                    let mut message = vec![channel];
                    message.extend_from_slice(chunk);
                    if ws.send(Message::binary(message)).await.is_err() {
                        return;
                    }
                }
            }
            if let Some(status) = status {
                let mut message = vec![3u8];
                message.extend_from_slice(status.to_string().as_bytes());
                let _ = ws.send(Message::binary(message)).await;
            }
            let _ = ws.close(None).await;
        }
        Some(ExecReply::Hang) => tokio::time::sleep(Duration::from_secs(60)).await,
        _ => {}
    }
}

/// Percent-decodes a query component (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
