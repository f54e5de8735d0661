//! `medic serve`: the agent.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use crate::config::Config;
use crate::pipeline::Worker;
use crate::policy::Mode;
use crate::web::metrics::Metrics;
use crate::web::{self, AppState};

/// Arguments of `medic serve`; each overrides the config file.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory for the embedded SQLite store (default ./.medic).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL or SQLite URL instead of the embedded store.
    #[arg(long, env = "MEDIC_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The cluster: `kube` (kubeconfig or in-cluster), `sim` (the bundled demo), or a fixture file.
    #[arg(long, value_name = "kube|sim|FIXTURE.yaml")]
    pub cluster: Option<String>,
    /// Plan only, whatever the config says.
    #[arg(long)]
    pub dry_run: bool,
}

/// Applies the flags to the config.
pub fn apply_overrides(config: &mut Config, args: &ServeArgs) {
    if let Some(l) = &args.listen {
        config.listen = l.clone();
    }
    if let Some(d) = &args.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(u) = &args.database_url {
        config.database_url = Some(u.clone());
    }
    if let Some(c) = &args.cluster {
        config.cluster = crate::app::cluster_flag(c);
    }
    if args.dry_run {
        config.policy.mode = Mode::DryRun;
    }
}

/// Runs the agent until SIGTERM/SIGINT.
pub async fn run(mut config: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    apply_overrides(&mut config, &args);
    let metrics = Arc::new(Metrics::new());
    let (store, memory) = crate::app::store_with_memory(&config).await?;
    let mut pipeline = crate::app::pipeline(&config, metrics.clone()).await?;
    pipeline.memory = Some(memory);
    let pipeline = Arc::new(pipeline);
    tracing::info!(
        store = store.backend(),
        cluster = %pipeline.cluster.describe(),
        mode = config.policy.mode.as_str(),
        owner = %pipeline.owner,
        lease = %config.processing.lease,
        "medic starting"
    );
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let cluster = pipeline.cluster.clone();
    let worker = Worker::new(pipeline, store.clone(), config.workers).spawn();
    let background = crate::app::start_assessment(&config, store.clone(), cluster)?;
    let state = AppState {
        store,
        worker: worker.handle(),
        metrics,
        max_body_bytes: config.webhook.max_body_bytes,
        security: Arc::new(
            web::security::Security::from_config(&config).context("cannot set up the HTTP server's security")?,
        ),
    };
    web::serve(listener, state).await.context("HTTP server failed")?;
    worker.shutdown().await;
    for task in background {
        task.shutdown().await;
    }
    tracing::info!("medic stopped");
    Ok(ExitCode::SUCCESS)
}
