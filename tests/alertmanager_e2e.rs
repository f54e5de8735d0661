//! End to end with a real Alertmanager (Debian's `prometheus-alertmanager`, 0.25):
//! an alert posted to Alertmanager's API reaches medic through the webhook, is stored
//! and decided; resolving it in Alertmanager marks the incident resolved.
//!
//! Starts the real `medic` binary and a real Alertmanager on free loopback ports with a
//! temporary config and clustering disabled (`--cluster.listen-address=`). `.ci/run`
//! installs Alertmanager when it is missing; without it this test fails and says so.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ALERTMANAGER: &str = "prometheus-alertmanager";

/// Kills the child process when dropped, so a failing test leaves nothing running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(name: &'static str, cmd: &mut Command, log: &Path) -> Running {
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Running(child)
}

async fn wait_until<F, Fut, T>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn get_json(client: &reqwest::Client, url: &str) -> Option<Value> {
    let resp = client.get(url).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.json().await.ok()
}

#[tokio::test]
async fn alert_through_real_alertmanager_is_stored_decided_and_resolved() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    assert!(
        Command::new(ALERTMANAGER).arg("--version").output().is_ok(),
        "{ALERTMANAGER} is not installed: `apt-get install prometheus-alertmanager` (.ci/run does this)"
    );
    let dir = tempfile::tempdir().unwrap();
    let medic_port = free_port();
    let am_port = free_port();
    let medic_url = format!("http://127.0.0.1:{medic_port}");
    let am_url = format!("http://127.0.0.1:{am_port}");

    let _medic = spawn(
        "medic",
        Command::new(env!("CARGO_BIN_EXE_medic"))
            .args(["serve", "--listen", &format!("127.0.0.1:{medic_port}"), "--data-dir"])
            .arg(dir.path().join("medic"))
            .env("RUST_LOG", "info"),
        &dir.path().join("medic.log"),
    );
    let am_config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &am_config,
        format!(
            "route:\n  receiver: medic\n  group_by: [alertname, namespace, pod]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: medic\n    webhook_configs:\n      - url: {medic_url}/api/v1/alerts\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let _am = spawn(
        "alertmanager",
        Command::new(ALERTMANAGER)
            .arg(format!("--config.file={}", am_config.display()))
            .arg(format!("--storage.path={}", dir.path().join("am").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address="),
        &dir.path().join("alertmanager.log"),
    );

    let client = reqwest::Client::new();
    let c = &client;
    wait_until("medic /healthz", Duration::from_secs(30), || async {
        c.get(format!("{medic_url}/healthz"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    })
    .await;
    wait_until("alertmanager /-/ready", Duration::from_secs(30), || async {
        c.get(format!("{am_url}/-/ready"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    })
    .await;

    let labels = json!({
        "alertname": "KubePodCrashLooping", "namespace": "default", "pod": "web-7d4b9c-xyz",
        "container": "web", "severity": "warning", "job": "kube-state-metrics"
    });
    let starts = jiff::Timestamp::now();
    let alert = |ends: Option<jiff::Timestamp>| {
        let mut a = json!({
            "labels": labels,
            "annotations": {"summary": "Pod default/web-7d4b9c-xyz is crash looping"},
            "startsAt": starts.to_string(),
            "generatorURL": "http://prometheus.test/graph"
        });
        if let Some(e) = ends {
            a["endsAt"] = json!(e.to_string());
        }
        json!([a])
    };
    let resp = client
        .post(format!("{am_url}/api/v2/alerts"))
        .json(&alert(None))
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "alertmanager refused the alert: {}",
        resp.status()
    );

    let fingerprint = wait_until("the alert in alertmanager", Duration::from_secs(10), || async {
        let alerts = get_json(c, &format!("{am_url}/api/v2/alerts")).await?;
        alerts
            .as_array()?
            .first()?
            .get("fingerprint")?
            .as_str()
            .map(String::from)
    })
    .await;

    let id = wait_until("medic to decide the incident", Duration::from_secs(30), || async {
        let list = get_json(c, &format!("{medic_url}/api/v1/incidents")).await?;
        let item = list["items"].as_array()?.first()?.clone();
        let state = item["state"].as_str()?;
        (state != "received" && state != "deciding").then(|| item["id"].as_str().unwrap().to_string())
    })
    .await;
    let detail = get_json(&client, &format!("{medic_url}/api/v1/incidents/{id}"))
        .await
        .unwrap();
    assert_eq!(detail["incident"]["fingerprint"], fingerprint.as_str());
    assert_eq!(detail["incident"]["status"], "firing");
    assert_eq!(detail["incident"]["receiver"], "medic");
    let decision = &detail["decision"];
    assert!(
        decision["decision"]["action"].is_string(),
        "no decision stored: {detail:#}"
    );
    assert!(decision["verdict"]["kind"].is_string(), "no verdict stored: {detail:#}");
    assert_eq!(decision["verdict"]["dry_run"], true, "the default is dry-run");
    assert_eq!(
        decision["context"]["target_found"], true,
        "the demo cluster holds the pod: {detail:#}"
    );

    // Resolve it: Alertmanager sends the resolved notification to medic.
    let resp = client
        .post(format!("{am_url}/api/v2/alerts"))
        .json(&alert(Some(jiff::Timestamp::now())))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    wait_until("the incident to be resolved", Duration::from_secs(30), || async {
        let d = get_json(c, &format!("{medic_url}/api/v1/incidents/{id}")).await?;
        (d["incident"]["status"] == "resolved").then_some(())
    })
    .await;
    let list = get_json(&client, &format!("{medic_url}/api/v1/incidents"))
        .await
        .unwrap();
    assert_eq!(list["count"], 1, "firing and resolved are one incident: {list:#}");
}
