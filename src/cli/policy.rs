//! `medic policy explain ALERT.json`: which policy checks pass and which stop the decision
//! the pipeline would take on an alert, with the facts they were judged on.
//!
//! Runs the stages up to the verdict ([`crate::pipeline::Pipeline::propose`]) and never
//! executes anything. It reads the configured store (history and recent activity) when
//! one exists, unless `--no-store`; it never creates one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use jiff::Timestamp;
use serde::Serialize;

use super::output::Format;
use crate::config::Config;
use crate::incident::parse_alert_file;
use crate::pipeline::Proposal;
use crate::policy::{Mode, VerdictKind};
use crate::store::Store;
use crate::web::metrics::Metrics;

/// `medic policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show which checks pass and which stop the decision on an alert, and the verdict.
    ///
    /// Exit status: 0 when every incident of the file would be allowed (in dry-run:
    /// planned), 3 when at least one would be held for approval or denied, 1 on an error
    /// (unreadable alert file, config, cluster or store).
    Explain(ExplainArgs),
}

/// Arguments of `medic policy explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// An alert file: a whole Alertmanager webhook body or one alert (JSON or YAML).
    pub alert: PathBuf,
    /// The cluster: a fixture file (Kubernetes YAML), `sim` for the bundled demo, or `kube`.
    #[arg(long, value_name = "FIXTURE.yaml|sim|kube")]
    pub cluster: Option<String>,
    /// Judge as in this mode instead of the config's (`autonomous` shows what would run).
    #[arg(long, value_enum)]
    pub mode: Option<ModeFlag>,
    /// Do not read the store: history and recent activity are not checked.
    #[arg(long)]
    pub no_store: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Format,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeFlag {
    /// Plan only.
    DryRun,
    /// Every action waits for approval.
    Approve,
    /// Act up to the risk ceiling.
    Autonomous,
}

/// One incident's explanation, as printed with `--output json|yaml`.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The alert's name.
    pub alertname: String,
    /// The incident's fingerprint.
    pub fingerprint: String,
    /// The decision checked.
    pub decision: crate::decide::Decision,
    /// The plan's summary, or why planning failed.
    pub plan: Result<String, String>,
    /// The facts the checks were judged on.
    pub facts: crate::policy::PolicyFacts,
    /// The verdict with every check.
    pub verdict: crate::policy::Verdict,
}

impl Explanation {
    fn of(p: Proposal) -> Explanation {
        Explanation {
            alertname: p.incident.alertname.clone(),
            fingerprint: p.incident.fingerprint.clone(),
            decision: p.decision,
            plan: p.plan.map(|plan| plan.summary).map_err(|e| e.to_string()),
            facts: p.facts,
            verdict: p.verdict,
        }
    }
}

/// Runs `medic policy ...`.
pub async fn run(mut config: Config, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let PolicyCommand::Explain(args) = command;
    let bytes = std::fs::read(&args.alert).with_context(|| format!("cannot read {}", args.alert.display()))?;
    let body = parse_alert_file(&bytes).with_context(|| format!("in {}", args.alert.display()))?;
    if let Some(c) = &args.cluster {
        config.cluster = crate::app::cluster_flag(c);
    }
    if let Some(mode) = args.mode {
        config.policy.mode = match mode {
            ModeFlag::DryRun => Mode::DryRun,
            ModeFlag::Approve => Mode::Approve,
            ModeFlag::Autonomous => Mode::Autonomous,
        };
    }
    let store = if args.no_store {
        None
    } else {
        existing_store(&config).await?
    };
    let pipeline = crate::app::pipeline(&config, Arc::new(Metrics::new())).await?;
    let now = Timestamp::now();
    let mut out = Vec::new();
    for incident in body.incidents(now) {
        let proposal = pipeline.propose(&incident, store.as_deref(), now, None).await;
        out.push(Explanation::of(proposal));
    }
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        Format::Yaml => print!("{}", serde_yaml_ng::to_string(&out)?),
        Format::Table => {
            if store.is_none() {
                println!("(no store read: history and recent activity are not checked)\n");
            }
            for (i, e) in out.iter().enumerate() {
                if i > 0 {
                    println!("\n{}\n", "-".repeat(72));
                }
                print!("{}", render(e));
            }
        }
    }
    let stopped = out.iter().any(|e| e.verdict.kind != VerdictKind::Allow);
    Ok(if stopped { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// The configured store when it exists: a SQLite file already in `data_dir`, or the
/// `database_url`. Never creates a database.
async fn existing_store(config: &Config) -> anyhow::Result<Option<Arc<dyn Store>>> {
    if config.database_url.is_none() && !config.data_dir.join("medic.db").exists() {
        return Ok(None);
    }
    let store = crate::app::store(config)
        .await
        .context("opening the store (use --no-store to explain without history and recent activity)")?;
    Ok(Some(store))
}

/// One explanation as text: the decision, each check with ✓ or ✗, problems, the verdict.
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    let d = &e.decision;
    out.push_str(&format!("Incident   {} ({})\n", e.alertname, e.fingerprint));
    out.push_str(&format!(
        "Decision   {} on {} (by {} {}, confidence {:.2})\n",
        d.action_name(),
        d.target
            .as_ref()
            .map_or_else(|| "no target".to_string(), ToString::to_string),
        d.decided_by.decider,
        d.decided_by.name,
        d.confidence
    ));
    match &e.plan {
        Ok(summary) => out.push_str(&format!("Plan       {summary}\n")),
        Err(error) => out.push_str(&format!("Plan       not possible: {error}\n")),
    }
    out.push_str("Checks\n");
    let width = e.verdict.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &e.verdict.checks {
        let mark = if c.passed { '✓' } else { '✗' };
        out.push_str(&format!("  {mark} {:<width$}  {}\n", c.name, c.reason));
    }
    for p in &e.facts.problems {
        out.push_str(&format!("Problem    {p}\n"));
    }
    let verdict = match (e.verdict.kind, e.verdict.dry_run) {
        (VerdictKind::Allow, true) => "allow (dry-run: planned, not executed)".to_string(),
        (VerdictKind::Allow, false) => "allow: it would be executed".to_string(),
        (VerdictKind::Hold, _) => format!("hold for approval: {}", e.verdict.summary()),
        (VerdictKind::Deny, _) => format!("deny: {}", e.verdict.summary()),
    };
    out.push_str(&format!("Verdict    {verdict}\n"));
    out
}
