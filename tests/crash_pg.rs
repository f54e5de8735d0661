//! Crash test (issue 6): the real `medic` binary on PostgreSQL is fed 1,000 alerts,
//! killed with SIGKILL while about half of them are acted on, and restarted on the same
//! database and simulated-cluster journal. Alertmanager's behaviour is reproduced: every
//! notification is retried until acknowledged, and every alert is delivered once more
//! after the restart.
//!
//! Afterwards: every alert is stored once, every incident is in a final state, and the
//! simulated cluster's journal (what was really applied, across both processes) shows no
//! target changed twice, and each executed incident's target changed exactly once. The
//! targets are 1,000 CronJobs and the action `suspend_cronjob` (see `common::medic_proc`
//! for why not Deployments).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::medic_proc::{
    ConfigSpec, JournalCounts, Medic, ScratchDb, alert, check_end_state, config_yaml, cronjobs_fixture, deliver,
    free_port, webhook,
};
use serde_json::Value;

/// Alerts sent, one per CronJob.
const ALERTS: usize = 1000;
/// Alerts per webhook notification (Alertmanager groups them).
const BATCH: usize = 25;

/// How many targets the journal shows changed so far (the file is re-read).
fn acted_on(journal: &Path) -> usize {
    JournalCounts::read(journal).changed.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_run_stores_every_alert_once_and_acts_once() {
    let started = Instant::now();
    let db = ScratchDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("cluster.yaml");
    let journal = dir.path().join("journal.jsonl");
    let config = dir.path().join("medic.yaml");
    let log = dir.path().join("medic.log");
    std::fs::write(&fixture, cronjobs_fixture(ALERTS)).unwrap();
    std::fs::write(
        &config,
        config_yaml(&ConfigSpec {
            fixture: &fixture,
            journal: &journal,
            database_url: &db.url,
            data_dir: &dir.path().join("data"),
            workers: 16,
        }),
    )
    .unwrap();

    let client = reqwest::Client::new();
    let port = free_port();
    let mut medic = Medic::start(&config, port, &log);
    medic.wait_ready(&client, Duration::from_secs(60)).await;
    let ready = started.elapsed();

    let starts_at = jiff::Timestamp::now();
    let alerts: Vec<Value> = (0..ALERTS).map(|i| alert(i, starts_at)).collect();
    let batches: Vec<Value> = alerts.chunks(BATCH).map(webhook).collect();
    let deadline = Instant::now() + Duration::from_secs(150);

    // Alertmanager: every notification in order, each retried until acknowledged,
    // through the crash and the restart.
    let sender = {
        let (client, url, batches) = (client.clone(), medic.url.clone(), batches.clone());
        tokio::spawn(async move {
            let mut retries = 0;
            for b in &batches {
                retries += deliver(&client, &url, b, deadline).await - 1;
            }
            retries
        })
    };

    // SIGKILL once about half the CronJobs are suspended: actions are in flight.
    let kill_start = Instant::now();
    loop {
        if acted_on(&journal) >= ALERTS / 2 {
            break;
        }
        assert!(
            kill_start.elapsed() < Duration::from_secs(120),
            "half the alerts were never acted on; states {:?}\n{}",
            db.states().await,
            medic.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    medic.kill9();
    let killed_at = started.elapsed();
    let states_at_kill = db.states().await;
    let acted_at_kill = acted_on(&journal);

    let mut medic = Medic::start(&config, port, &log);
    medic.wait_ready(&client, Duration::from_secs(60)).await;
    let restarted_at = started.elapsed();
    let retries = sender.await.expect("the sender");

    // Alertmanager delivers every alert again (its retries after the crash, its repeat
    // interval): all of them are duplicates now.
    for b in &batches {
        deliver(&client, &medic.url, b, deadline).await;
    }

    let finished = db.wait_all_final(ALERTS, Duration::from_secs(150)).await;
    let all_final_at = started.elapsed();

    let (states, problems) = check_end_state(&db, &journal, ALERTS).await;
    let counts = JournalCounts::read(&journal);
    println!(
        "crash_pg: ready {ready:?}, killed at {killed_at:?} (states {states_at_kill:?}, {acted_at_kill} acted on), \
         restarted and ready at {restarted_at:?}, all final at {all_final_at:?}; {retries} webhook retries; \
         final states {finished:?}; journal: {} targets changed, {} events, entries by process {:?}, {} unreadable lines",
        counts.changed.len(),
        counts.events,
        counts.by_pid,
        counts.unreadable
    );
    assert!(
        problems.is_empty(),
        "{}\nstates: {states:?}\n{}",
        problems.join("\n"),
        medic.log_tail(30)
    );
    let executed = states.get("executed").copied().unwrap_or(0);
    assert!(
        executed as usize + 64 >= ALERTS,
        "only {executed} of {ALERTS} incidents executed (at most the 64 in flight at the kill may end otherwise): {states:?}"
    );
    drop(medic);
}
