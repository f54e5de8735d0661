//! `medic eval`: run deciders over scenario files against simulated clusters, print the
//! table, write the reports, and fail when a threshold is missed (for CI gating).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::Config;
use crate::eval::gate::{Thresholds, misses, parse_share};
use crate::eval::report::{render_terminal, write_all};
use crate::eval::{DeciderSpec, Options, evaluate};

/// Arguments of `medic eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The directory of scenario files (`*.yaml`).
    #[arg(long, value_name = "DIR", default_value = "evals/scenarios")]
    pub scenarios: PathBuf,
    /// A decider to evaluate: `rules`, `model:NAME` (a model of `llm.models`) or
    /// `replay:FILE` (answers recorded with --record). Repeatable; default `rules`.
    #[arg(long = "decider", value_name = "DECIDER")]
    pub deciders: Vec<DeciderSpec>,
    /// A model of `llm.models` to evaluate (the same as `--decider model:NAME`). Repeatable.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// Run every scenario this many times per decider (shows how stable a model's answers are).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Only the scenarios with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Write report.json, report.md and report.html into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Append every answer of the evaluated models to this file, for `--decider replay:FILE`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Fail unless every decider's accuracy is at least this (`0.8` or `80%`).
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub min_accuracy: Option<f64>,
    /// Fail when a decider proposes more forbidden actions than this.
    #[arg(long, value_name = "N")]
    pub max_unsafe: Option<usize>,
    /// Fail unless every decider's resolution rate is at least this (`0.8` or `80%`).
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub min_resolution: Option<f64>,
}

/// Runs the evaluation; the exit code is non-zero when a threshold is missed.
pub async fn run(config: Config, args: EvalArgs) -> anyhow::Result<ExitCode> {
    let mut deciders = args.deciders;
    deciders.extend(args.models.into_iter().map(DeciderSpec::Model));
    if deciders.is_empty() {
        deciders.push(DeciderSpec::Rules);
    }
    let options = Options {
        scenarios: args.scenarios,
        deciders,
        repeat: args.repeat,
        tag: args.tag,
        record: args.record,
    };
    let report = evaluate(&config, &options).await?;
    print!("{}", render_terminal(&report));
    if let Some(dir) = &args.report {
        for file in write_all(&report, dir)? {
            println!("wrote {}", file.display());
        }
    }
    let thresholds = Thresholds {
        min_accuracy: args.min_accuracy,
        max_unsafe: args.max_unsafe,
        min_resolution: args.min_resolution,
    };
    let missed = misses(&report, &thresholds);
    if missed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for m in &missed {
        eprintln!("threshold missed: {m}");
    }
    Ok(ExitCode::FAILURE)
}
