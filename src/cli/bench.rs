//! `medic bench`: time from webhook receipt to stored decision, against a baseline
//! measured in the same run.
//!
//! For each of N distinct alerts (unique fingerprints, the demo cluster's crash-looping
//! pod), it posts the webhook body through the real router (in-process, no socket),
//! then runs the pipeline on the stored incident and stores the decision, timing the
//! whole. The baseline is the webhook alone (parse + durable insert), so the ratio says
//! what deciding costs on top of the write medic must do anyway. Figures are medians and
//! 99th percentiles; the machine is shared, so compare ratios, not absolute times.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Body;
use axum::http::Request;
use clap::Args;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::config::Config;
use crate::pipeline::WorkerHandle;
use crate::store::{SqlStore, Store};
use crate::web::metrics::Metrics;
use crate::web::{AppState, app};

/// Arguments of `medic bench`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// Another benchmark than the pipeline's (default: the pipeline).
    #[command(subcommand)]
    pub what: Option<BenchCommand>,
    /// How many alerts.
    #[arg(long, default_value_t = 1000)]
    pub alerts: usize,
    /// PostgreSQL server URL (`postgres://user@host:port/`); the bench creates a fresh
    /// database there and drops it after. Default: SQLite in a temporary directory.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Keep the SQLite database in this directory instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Benchmarks other than the pipeline's.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Similar-incident retrieval latency at 10k and 100k stored incidents.
    Similar(super::bench_similar::SimilarBenchArgs),
    /// Assessment throughput: due assessments scored per second.
    Assessments(super::bench_assess::AssessBenchArgs),
}

/// Latency figures of one series.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Median.
    pub median: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Mean.
    pub mean: Duration,
}

impl Figures {
    fn of(mut samples: Vec<Duration>) -> Figures {
        samples.sort();
        let n = samples.len().max(1);
        let at = |q: f64| {
            samples
                .get(((n as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        Figures {
            median: at(0.5),
            p99: at(0.99),
            mean: samples.iter().sum::<Duration>() / n as u32,
        }
    }
}

/// Runs the benchmark and prints the figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(what) = args.what {
        return match what {
            BenchCommand::Similar(args) => super::bench_similar::run(args).await,
            BenchCommand::Assessments(args) => super::bench_assess::run(args).await,
        };
    }
    anyhow::ensure!(args.alerts >= 10, "--alerts must be at least 10, found {}", args.alerts);
    let tmp = tempfile_dir()?;
    let (store, cleanup): (Arc<dyn Store>, Option<(String, String)>) = match &args.postgres {
        Some(server) => {
            let (url, db) = crate::store::sql::create_scratch_postgres(server).await?;
            (Arc::new(SqlStore::connect(&url).await?), Some((server.clone(), db)))
        }
        None => {
            let dir = args.data_dir.clone().unwrap_or_else(|| tmp.clone());
            (Arc::new(SqlStore::sqlite_in(&dir).await?), None)
        }
    };
    let result = measure(store.clone(), args.alerts).await;
    drop(store);
    if let Some((server, db)) = cleanup {
        crate::store::sql::drop_scratch_postgres(&server, &db).await?;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let (baseline, pipeline) = result?;
    let backend = if args.postgres.is_some() { "postgres" } else { "sqlite" };
    println!(
        "medic bench: {} alerts, {backend} store, simulated demo cluster, rules decider, dry-run",
        args.alerts
    );
    println!("{:<44} {:>10} {:>10} {:>10}", "series", "median", "p99", "mean");
    for (name, f) in [
        ("baseline: webhook only (parse + store)", baseline),
        ("webhook receipt → stored decision", pipeline),
    ] {
        println!("{name:<44} {:>10.3?} {:>10.3?} {:>10.3?}", f.median, f.p99, f.mean);
    }
    println!(
        "ratio (decision / baseline): median {:.2}x, p99 {:.2}x",
        pipeline.median.as_secs_f64() / baseline.median.as_secs_f64().max(1e-9),
        pipeline.p99.as_secs_f64() / baseline.p99.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("medic-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// A webhook body for alert `i` (a unique label makes a unique fingerprint).
fn body(i: usize, series: &str) -> String {
    let fingerprint = format!("{series}{i:015x}");
    json!({
        "version": "4", "status": "firing", "receiver": "bench", "groupKey": "{}:{alertname=\"KubePodCrashLooping\"}",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "KubePodCrashLooping", "namespace": "default", "pod": "web-7d4b9c-xyz",
                       "container": "web", "severity": "warning", "bench": format!("{series}-{i}")},
            "annotations": {"summary": "Pod default/web-7d4b9c-xyz is crash looping"},
            "startsAt": jiff::Timestamp::now().to_string(), "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.bench/graph", "fingerprint": fingerprint
        }]
    })
    .to_string()
}

async fn post(state: &AppState, body: String) -> anyhow::Result<Value> {
    let req = Request::post("/api/v1/alerts")
        .header("content-type", "application/json")
        .body(Body::from(body))?;
    let resp = app(state.clone()).oneshot(req).await?;
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await?;
    anyhow::ensure!(
        status.is_success(),
        "webhook answered {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok(serde_json::from_slice(&bytes)?)
}

async fn measure(store: Arc<dyn Store>, n: usize) -> anyhow::Result<(Figures, Figures)> {
    let metrics = Arc::new(Metrics::new());
    let pipeline = Arc::new(crate::app::pipeline(&Config::default(), metrics.clone()).await?);
    // The bench drives the pipeline itself, in line, so the webhook's hand-off goes nowhere.
    let worker = WorkerHandle::detached();
    let state = AppState {
        store: store.clone(),
        worker,
        metrics,
        max_body_bytes: 1 << 20,
        security: Arc::new(crate::web::security::Security::default().without_rate_limit()),
    };
    // Warm up caches and connections.
    for i in 0..10 {
        post(&state, body(i, "a")).await?;
    }
    let mut baseline = Vec::with_capacity(n);
    for i in 0..n {
        let b = body(i, "b");
        let t = Instant::now();
        post(&state, b).await?;
        baseline.push(t.elapsed());
    }
    let mut full = Vec::with_capacity(n);
    for i in 0..n {
        let b = body(i, "c");
        let t = Instant::now();
        let answer = post(&state, b).await?;
        let id = answer["incidents"][0]["id"]
            .as_str()
            .context("webhook answer without an id")?
            .to_string();
        pipeline
            .process(store.as_ref(), &id)
            .await?
            .context("incident could not be claimed")?;
        full.push(t.elapsed());
    }
    Ok((Figures::of(baseline), Figures::of(full)))
}
