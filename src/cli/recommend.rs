//! `medic recommend ALERT.json`: the pipeline once, without a server or a store.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use jiff::Timestamp;

use super::output::{Format, render_evaluation};
use crate::config::Config;
use crate::execute::{Executor, Withheld};
use crate::incident::parse_alert_file;
use crate::policy::Mode;
use crate::web::metrics::Metrics;

/// Arguments of `medic recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// An alert file: a whole Alertmanager webhook body or one alert (JSON or YAML).
    pub alert: PathBuf,
    /// The cluster: a fixture file (Kubernetes YAML), `sim` for the bundled demo, or `kube`.
    #[arg(long, value_name = "FIXTURE.yaml|sim|kube")]
    pub cluster: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Format,
}

/// Runs the pipeline on every alert of the file and prints the results. Always dry-run.
pub async fn run(mut config: Config, args: RecommendArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.alert).with_context(|| format!("cannot read {}", args.alert.display()))?;
    let body = parse_alert_file(&bytes).with_context(|| format!("in {}", args.alert.display()))?;
    if let Some(c) = &args.cluster {
        config.cluster = crate::app::cluster_flag(c);
    }
    config.policy.mode = Mode::DryRun;
    let metrics = Arc::new(Metrics::new());
    let mut pipeline = crate::app::pipeline(&config, metrics.clone()).await?;
    // Not even an escalation's notification leaves a one-off recommendation.
    pipeline.executor = Arc::new(Executor::new(
        pipeline.cluster.clone(),
        Arc::new(Withheld),
        config.actions.clone(),
        metrics,
    ));
    let mut results = Vec::new();
    for incident in body.incidents(Timestamp::now()) {
        results.push(pipeline.evaluate(&incident).await);
    }
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&results)?),
        Format::Yaml => print!("{}", serde_yaml_ng::to_string(&results)?),
        Format::Table => {
            for (i, r) in results.iter().enumerate() {
                if i > 0 {
                    println!("\n{}\n", "-".repeat(72));
                }
                print!("{}", render_evaluation(r));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
