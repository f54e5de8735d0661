//! `medic bench assessments`: assessment throughput, against a baseline measured in the
//! same run.
//!
//! It stores N incidents about the demo cluster's crash-looping `default/web`, each with
//! an executed `rollout_restart` and the assessment the pipeline schedules with it (half
//! of them with a resolved notification), twice: one batch for the baseline, one for the
//! assessor. The baseline claims its batch and stores a fixed score, so it is what the
//! store alone costs per assessment. Then a [`ManualClock`] moves past the second
//! batch's due time and one [`Assessor::tick`] scores it for real: each assessment reads
//! the workload's pods through the simulated cluster, the incident's resolution and
//! recurrences from the store, and stores score, components and evidence. The machine is
//! shared, so compare the ratio, not absolute rates. It must only touch the temporary
//! store it creates.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use jiff::{SignedDuration, Timestamp};

use crate::actions::{Action, RolloutRestart};
use crate::assess::schedule::schedule;
use crate::assess::{AssessmentConfig, AssessmentResult, AssessmentState, Assessor, Components, ManualClock};
use crate::cluster::ObjectRef;
use crate::config::ClusterConfig;
use crate::context::{self, Context, Limits};
use crate::decide::{DecidedBy, Decision};
use crate::execute::{Outcome, OutcomeStatus};
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::policy::{Verdict, VerdictKind};
use crate::store::{DecisionRecord, ProcessingState, Recorded, SqlStore, Store};

/// Arguments of `medic bench assessments`.
#[derive(Debug, Args)]
pub struct AssessBenchArgs {
    /// Due assessments to score (per series).
    #[arg(long, default_value_t = 1000)]
    pub assessments: usize,
    /// PostgreSQL server URL (`postgres://user@host:port/`); the bench creates a fresh
    /// database there and drops it after. Default: SQLite in a temporary directory.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
}

/// Runs the benchmark and prints the figures.
pub async fn run(args: AssessBenchArgs) -> anyhow::Result<ExitCode> {
    let n = args.assessments;
    anyhow::ensure!(n >= 10, "--assessments must be at least 10, found {n}");
    let dir = std::env::temp_dir().join(format!("medic-bench-assess-{}", uuid::Uuid::new_v4().simple()));
    let (store, cleanup) = match &args.postgres {
        Some(server) => {
            let (url, db) = crate::store::sql::create_scratch_postgres(server).await?;
            (SqlStore::connect(&url).await?, Some((server.clone(), db)))
        }
        None => (
            SqlStore::sqlite_in(&dir)
                .await
                .with_context(|| format!("opening a SQLite store in {}", dir.display()))?,
            None,
        ),
    };
    let store: Arc<dyn Store> = Arc::new(store);
    let result = measure(store.clone(), n).await;
    drop(store);
    if let Some((server, db)) = cleanup {
        crate::store::sql::drop_scratch_postgres(&server, &db).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (baseline, assessor) = result?;
    let backend = if args.postgres.is_some() { "postgres" } else { "sqlite" };
    println!("medic bench assessments: {n} due assessments per series, {backend} store, simulated demo cluster");
    println!(
        "{:<48} {:>10} {:>16} {:>12}",
        "series", "total", "per assessment", "per second"
    );
    for (name, took) in [
        ("baseline: store only (claim + store a score)", baseline),
        ("assessor: claim + read signals + store", assessor),
    ] {
        println!(
            "{name:<48} {:>10.3?} {:>16.3?} {:>10.0}/s",
            took,
            took / n as u32,
            n as f64 / took.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "ratio (assessor / baseline): {:.2}x",
        assessor.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

async fn measure(store: Arc<dyn Store>, n: usize) -> anyhow::Result<(Duration, Duration)> {
    let cluster = crate::app::cluster(&ClusterConfig::default()).await?;
    let config = AssessmentConfig::default();
    let t0 = Timestamp::now();
    let context = context::gather(cluster.as_ref(), &incident("sample", t0), &Limits::default()).await;
    anyhow::ensure!(
        context.target_found,
        "the demo cluster has no pod default/web-7d4b9c-xyz"
    );
    let after = |mins: i64| t0.checked_add(SignedDuration::from_mins(mins)).unwrap_or(t0);

    // Baseline: executed a minute after receipt, due 10 minutes later.
    seed(store.as_ref(), &context, n, "base", t0, after(1), &config).await?;
    let fixed = AssessmentResult {
        state: AssessmentState::Final,
        score: Some(1.0),
        components: Components::default(),
        evidence: Vec::new(),
        scored_at: after(11),
    };
    let started = Instant::now();
    let mut stored = 0;
    loop {
        let due = store.claim_due_assessments(after(11), 100).await?;
        if due.is_empty() {
            break;
        }
        let scores: Vec<(i64, AssessmentResult)> = due.iter().map(|d| (d.id, fixed.clone())).collect();
        stored += store
            .save_assessments(&scores)
            .await?
            .into_iter()
            .filter(|s| *s)
            .count();
    }
    let baseline = started.elapsed();
    anyhow::ensure!(stored == n, "the baseline stored {stored} scores, expected {n}");

    // The assessor: executed two hours after receipt.
    seed(store.as_ref(), &context, n, "real", t0, after(120), &config).await?;
    let clock = Arc::new(ManualClock::new(after(130)));
    let assessor = Assessor::new(store.clone(), cluster, config, clock)?;
    let started = Instant::now();
    let report = assessor.tick().await?;
    let scored = started.elapsed();
    anyhow::ensure!(
        report.scored == n,
        "the assessor scored {}, expected {n}",
        report.scored
    );
    Ok((baseline, scored))
}

/// Stores `n` incidents received at `received`, each decided with a `rollout_restart`
/// executed at `executed` and its scheduled assessment; every other one resolved.
async fn seed(
    store: &dyn Store,
    context: &Context,
    n: usize,
    series: &str,
    received: Timestamp,
    executed: Timestamp,
    config: &AssessmentConfig,
) -> anyhow::Result<()> {
    for i in 0..n {
        let alert = incident(&format!("{series}-{i}"), received);
        let id = match store
            .record_alerts(std::slice::from_ref(&alert), received)
            .await?
            .as_slice()
        {
            [Recorded::New { id }] => id.clone(),
            other => anyhow::bail!("alert {i} was not new: {other:?}"),
        };
        anyhow::ensure!(store.claim(&id, received).await?, "incident {id} could not be claimed");
        store
            .save_result(&id, &executed_restart(context, executed, config))
            .await?;
        if i % 2 == 0 {
            let resolved = Incident {
                status: AlertStatus::Resolved,
                ends_at: Some(executed),
                ..alert
            };
            store.record_alerts(&[resolved], executed).await?;
        }
    }
    Ok(())
}

/// A crash-looping alert on the demo's `default/web-7d4b9c-xyz`, unique by `key`.
fn incident(key: &str, starts_at: Timestamp) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: format!("bench-{key}"),
        status: AlertStatus::Firing,
        alertname: "KubePodCrashLooping".into(),
        severity: Some("warning".into()),
        labels: Labels::from([
            ("alertname".to_string(), "KubePodCrashLooping".to_string()),
            ("namespace".to_string(), "default".to_string()),
            ("pod".to_string(), "web-7d4b9c-xyz".to_string()),
            ("bench".to_string(), key.to_string()),
        ]),
        annotations: Labels::new(),
        starts_at,
        ends_at: None,
        generator_url: None,
        receiver: Some("bench".into()),
        group_key: None,
        target: Some(TargetRef {
            kind: TargetKind::Pod,
            namespace: Some("default".into()),
            name: "web-7d4b9c-xyz".into(),
            container: None,
        }),
    }
}

/// The record the pipeline stores after executing a rollout restart of `default/web`.
fn executed_restart(context: &Context, at: Timestamp, config: &AssessmentConfig) -> DecisionRecord {
    let decision = Decision {
        action: Action::RolloutRestart(RolloutRestart::default()),
        target: Some(ObjectRef::namespaced("Deployment", "default", "web")),
        rationale: "bench".into(),
        confidence: 0.8,
        decided_by: DecidedBy {
            decider: "rules".into(),
            name: "bench".into(),
        },
        alternatives: Vec::new(),
        llm: None,
    };
    let outcome = Outcome {
        status: OutcomeStatus::Executed,
        plan: None,
        results: vec!["restarted".into()],
        error: None,
        started_at: at,
        finished_at: at,
    };
    let assessment = schedule(config, &decision, context, &outcome);
    DecisionRecord {
        context: context.clone(),
        decision,
        verdict: Verdict {
            kind: VerdictKind::Allow,
            dry_run: false,
            checks: Vec::new(),
        },
        outcome,
        state: ProcessingState::Executed,
        decided_at: at,
        latency_ms: 1,
        model: None,
        tokens_in: None,
        tokens_out: None,
        assessment,
    }
}
