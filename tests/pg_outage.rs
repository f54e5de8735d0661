//! PostgreSQL unreachable mid-run (issue 6): medic reaches its database through a TCP
//! proxy in this test. After 100 of 200 alerts are acknowledged, the proxy stops (its
//! listener and every live connection closed): the webhook must answer 503 with
//! `Retry-After` (Alertmanager retries) and `/readyz` must say not ready. The proxy then
//! comes back on the same port: readiness returns, the webhook answers 200 again, and
//! every alert acknowledged is stored exactly once and decided, none acted on twice.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::medic_proc::{
    ConfigSpec, JournalCounts, Medic, ScratchDb, alert, check_end_state, config_yaml, cronjobs_fixture, deliver,
    free_port, post_webhook, wait_for, webhook,
};
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// Alerts sent, one per CronJob.
const ALERTS: usize = 200;
/// Alerts per webhook notification.
const BATCH: usize = 10;

/// A TCP proxy from a loopback port to PostgreSQL that can be cut off.
struct Proxy {
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    /// Listens on `port` (reusing it right after a previous proxy closed it) and
    /// forwards each connection to `upstream`.
    fn start(port: u16, upstream: SocketAddr) -> Proxy {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .unwrap_or_else(|e| panic!("cannot bind the proxy on port {port}: {e}"));
        let listener = socket.listen(128).unwrap();
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let tracked = connections.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let forward = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().unwrap().push(forward);
            }
        });
        Proxy { accept, connections }
    }

    /// Closes the listener and every connection (PostgreSQL becomes unreachable).
    async fn stop(self) {
        self.accept.abort();
        let _ = self.accept.await;
        let live: Vec<JoinHandle<()>> = std::mem::take(&mut *self.connections.lock().unwrap());
        for c in &live {
            c.abort();
        }
        for c in live {
            let _ = c.await;
        }
    }
}

/// Where the scratch database's server listens.
fn upstream(db: &ScratchDb) -> SocketAddr {
    let url = reqwest::Url::parse(&db.url).unwrap();
    let host = match url.host_str() {
        Some("localhost") | None => "127.0.0.1",
        Some(h) => h,
    };
    format!("{host}:{}", url.port().unwrap_or(5432)).parse().unwrap()
}

async fn readyz(client: &reqwest::Client, medic: &Medic) -> Option<u16> {
    client
        .get(format!("{}/readyz", medic.url))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_answers_503_then_recovers_without_loss() {
    let started = Instant::now();
    let db = ScratchDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("cluster.yaml");
    let journal = dir.path().join("journal.jsonl");
    let config = dir.path().join("medic.yaml");
    std::fs::write(&fixture, cronjobs_fixture(ALERTS)).unwrap();
    let proxy_port = free_port();
    let proxy = Proxy::start(proxy_port, upstream(&db));
    std::fs::write(
        &config,
        config_yaml(&ConfigSpec {
            fixture: &fixture,
            journal: &journal,
            database_url: &db.url_through(proxy_port),
            data_dir: &dir.path().join("data"),
            workers: 8,
        }),
    )
    .unwrap();
    let client = reqwest::Client::new();
    let mut medic = Medic::start(&config, free_port(), &dir.path().join("medic.log"));
    medic.wait_ready(&client, Duration::from_secs(60)).await;

    let starts_at = jiff::Timestamp::now();
    let alerts: Vec<Value> = (0..ALERTS).map(|i| alert(i, starts_at)).collect();
    let batches: Vec<Value> = alerts.chunks(BATCH).map(webhook).collect();
    let (before, after) = batches.split_at(batches.len() / 2);
    let deadline = Instant::now() + Duration::from_secs(120);
    for b in before {
        deliver(&client, &medic.url, b, deadline).await;
    }

    // PostgreSQL goes away while the first half is being processed.
    proxy.stop().await;
    let outage = Instant::now();
    let not_ready = wait_for("/readyz to say not ready", Duration::from_secs(30), || async {
        match readyz(&client, &medic).await {
            Some(503) => Ok(outage.elapsed()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let mut answers_while_down = Vec::new();
    for b in after.iter().take(3) {
        let a = post_webhook(&client, &medic.url, b)
            .await
            .expect("medic answers while its database is down");
        answers_while_down.push(a);
    }
    let still_not_ready = readyz(&client, &medic).await;

    // PostgreSQL is back on the same address.
    let down_for = outage.elapsed();
    let proxy = Proxy::start(proxy_port, upstream(&db));
    let back = Instant::now();
    let ready_again = wait_for("/readyz to say ready again", Duration::from_secs(60), || async {
        match readyz(&client, &medic).await {
            Some(200) => Ok(back.elapsed()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let first_after = post_webhook(&client, &medic.url, &after[0])
        .await
        .expect("medic answers once its database is back");
    for b in after {
        deliver(&client, &medic.url, b, deadline).await;
    }

    let finished = db.wait_all_final(ALERTS, Duration::from_secs(120)).await;
    let (states, problems) = check_end_state(&db, &journal, ALERTS).await;
    let counts = JournalCounts::read(&journal);
    println!(
        "pg_outage: not ready {not_ready:?} after the cut; answers while down {answers_while_down:?}; \
         /readyz then {still_not_ready:?}; down for {down_for:?}; ready {ready_again:?} after the return; \
         first webhook after {}; all final at {:?}; final states {finished:?}; journal: {} targets changed, {} events",
        first_after.status,
        started.elapsed(),
        counts.changed.len(),
        counts.events,
    );
    for a in &answers_while_down {
        assert_eq!(
            a.status, 503,
            "the webhook answers 503 while the store is down: {answers_while_down:?}"
        );
        assert!(
            a.retry_after.is_some(),
            "a 503 carries Retry-After: {answers_while_down:?}"
        );
    }
    assert_eq!(still_not_ready, Some(503), "not ready while the store is down");
    assert_eq!(
        first_after.status, 200,
        "the webhook accepts alerts once the store is back"
    );
    assert!(
        problems.is_empty(),
        "{}\nstates: {states:?}\n{}",
        problems.join("\n"),
        medic.log_tail(30)
    );
    drop(proxy);
}
