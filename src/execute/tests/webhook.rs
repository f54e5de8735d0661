//! The HTTP notifier against a local webhook server: body formats, error answers,
//! missing URLs, and never a URL in an error.

use super::*;

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
