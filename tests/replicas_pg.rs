//! Two replicas on one PostgreSQL (issue 6): two `medic serve` processes share one
//! database and one simulated-cluster journal (the simulated cluster both act on), and
//! 1,000 alerts are sent, half to each, the way an Alertmanager behind a load balancer
//! would. Every incident must end in a final state and be acted on exactly once: the
//! journal shows each target changed once, whichever process claimed it.
//!
//! Each process replays the journal only at start, so each acts on its own copy of the
//! simulated cluster afterwards: an incident executed by both processes shows as its
//! target changed twice (neither copy knows the other already acted).

mod common;

use std::time::{Duration, Instant};

use common::medic_proc::{
    ConfigSpec, JournalCounts, Medic, ScratchDb, alert, check_end_state, config_yaml, cronjobs_fixture, deliver,
    free_port, webhook,
};
use serde_json::Value;

/// Alerts sent, one per CronJob.
const ALERTS: usize = 1000;
/// Alerts per webhook notification.
const BATCH: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_act_on_each_incident_once() {
    let started = Instant::now();
    let db = ScratchDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("cluster.yaml");
    let journal = dir.path().join("journal.jsonl");
    std::fs::write(&fixture, cronjobs_fixture(ALERTS)).unwrap();

    let client = reqwest::Client::new();
    let mut replicas = Vec::new();
    for n in 1..=2 {
        let config = dir.path().join(format!("medic-{n}.yaml"));
        std::fs::write(
            &config,
            config_yaml(&ConfigSpec {
                fixture: &fixture,
                journal: &journal,
                database_url: &db.url,
                data_dir: &dir.path().join(format!("data-{n}")),
                workers: 8,
            }),
        )
        .unwrap();
        replicas.push(Medic::start(
            &config,
            free_port(),
            &dir.path().join(format!("medic-{n}.log")),
        ));
    }
    for m in &mut replicas {
        m.wait_ready(&client, Duration::from_secs(60)).await;
    }
    let ready = started.elapsed();

    let starts_at = jiff::Timestamp::now();
    let alerts: Vec<Value> = (0..ALERTS).map(|i| alert(i, starts_at)).collect();
    let batches: Vec<Value> = alerts.chunks(BATCH).map(webhook).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let senders: Vec<_> = replicas
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let (client, url) = (client.clone(), m.url.clone());
            let mine: Vec<Value> = batches.iter().skip(k).step_by(2).cloned().collect();
            tokio::spawn(async move {
                for b in &mine {
                    deliver(&client, &url, b, deadline).await;
                }
            })
        })
        .collect();
    for s in senders {
        s.await.expect("a sender");
    }
    let sent = started.elapsed();

    let finished = db.wait_all_final(ALERTS, Duration::from_secs(150)).await;
    let all_final_at = started.elapsed();

    let (states, problems) = check_end_state(&db, &journal, ALERTS).await;
    let counts = JournalCounts::read(&journal);
    println!(
        "replicas_pg: both ready at {ready:?}, all sent at {sent:?}, all final at {all_final_at:?}; final states {finished:?}; \
         journal: {} targets changed, {} events, entries by process {:?}, {} unreadable lines",
        counts.changed.len(),
        counts.events,
        counts.by_pid,
        counts.unreadable
    );
    assert!(
        problems.is_empty(),
        "{}\nstates: {states:?}\nlog 1:\n{}\nlog 2:\n{}",
        problems.join("\n"),
        replicas[0].log_tail(20),
        replicas[1].log_tail(20)
    );
    assert_eq!(
        states.get("executed").copied().unwrap_or(0),
        ALERTS as i64,
        "every incident executed (nothing was in flight at a crash): {states:?}"
    );
    assert_eq!(
        counts.by_pid.len(),
        2,
        "both processes did part of the work: {:?}",
        counts.by_pid
    );
}
