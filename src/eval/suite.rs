//! An evaluation: every scenario (of a tag) with every decider, repeated, into a report.

use std::path::PathBuf;
use std::time::Instant;

use futures::StreamExt;
use jiff::Timestamp;

use super::decider::{DeciderError, DeciderFactory, DeciderSpec};
use super::load::{ScenarioError, ValidScenario, load_dir};
use super::metrics::score;
use super::report::Report;
use super::run::Harness;
use crate::config::Config;

/// Runs of one decider in flight at once (models answer slowly; the rules do not care).
const CONCURRENCY: usize = 4;

/// What to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The directory of scenario files.
    pub scenarios: PathBuf,
    /// The deciders, in report order.
    pub deciders: Vec<DeciderSpec>,
    /// Runs of each scenario per decider (at least 1).
    pub repeat: u32,
    /// Only the scenarios with this tag.
    pub tag: Option<String>,
    /// Append the models' answers to this file (for `replay:`).
    pub record: Option<PathBuf>,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Scenario files are invalid.
    #[error(transparent)]
    Scenarios(#[from] ScenarioError),
    /// A decider cannot be built.
    #[error(transparent)]
    Decider(#[from] DeciderError),
    /// No scenario has the tag.
    #[error("no scenario in {dir} has the tag {tag:?}")]
    NoScenarioWithTag {
        /// The directory.
        dir: String,
        /// The tag.
        tag: String,
    },
    /// `--record` needs a live model.
    #[error("--record writes a model's answers: give --model NAME (there is none among {0})")]
    NothingToRecord(String),
}

/// Validates every scenario, then runs them all with every decider.
pub async fn evaluate(config: &Config, options: &Options) -> Result<Report, EvalError> {
    let started = Instant::now();
    let dir = options.scenarios.display().to_string();
    let mut scenarios = load_dir(&options.scenarios)?;
    if let Some(tag) = &options.tag {
        scenarios.retain(|s| s.scenario.tags.contains(tag));
        if scenarios.is_empty() {
            return Err(EvalError::NoScenarioWithTag { dir, tag: tag.clone() });
        }
    }
    if options.record.is_some() && !options.deciders.iter().any(|d| matches!(d, DeciderSpec::Model(_))) {
        let names: Vec<String> = options.deciders.iter().map(ToString::to_string).collect();
        return Err(EvalError::NothingToRecord(names.join(", ")));
    }
    let mut factories = Vec::new();
    for spec in &options.deciders {
        let record = match spec {
            DeciderSpec::Model(_) => options.record.as_deref(),
            _ => None,
        };
        factories.push(DeciderFactory::new(spec, config, record)?);
    }
    let mut report = run_suite(config, &scenarios, &factories, options.repeat).await;
    report.scenarios_dir = dir;
    report.tag = options.tag.clone();
    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// Runs validated scenarios with every decider, `repeat` times each, into a report.
pub async fn run_suite(
    config: &Config,
    scenarios: &[ValidScenario],
    factories: &[DeciderFactory],
    repeat: u32,
) -> Report {
    let started = Instant::now();
    let harness = Harness::new(config);
    let repeat = repeat.max(1);
    let mut runs = Vec::new();
    for factory in factories {
        let jobs: Vec<(&ValidScenario, u32)> = (0..repeat)
            .flat_map(|rep| scenarios.iter().map(move |s| (s, rep)))
            .collect();
        let done: Vec<_> = futures::stream::iter(jobs)
            .map(|(s, rep)| harness.run(s, factory, rep))
            .buffered(CONCURRENCY)
            .collect()
            .await;
        runs.extend(done);
    }
    let deciders = factories.iter().map(|f| score(f.label(), &runs)).collect();
    let dir = scenarios
        .first()
        .and_then(|s| s.file.parent())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    Report {
        generated_at: Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        medic_version: env!("CARGO_PKG_VERSION").to_string(),
        scenarios_dir: dir,
        scenario_count: scenarios.len(),
        repeat,
        tag: None,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        deciders,
        runs,
    }
}
