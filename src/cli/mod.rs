//! The command line: `serve`, `recommend`, `config check`, `actions`, `rbac`, `history`,
//! `llm ping`, `bench`, `eval`, `policy explain`, `approve`/`reject`, `audit`.
//!
//! Parses arguments (clap), loads and validates the config, applies flag overrides, and
//! calls into the library. Each command lives in its own file; this one only dispatches.
//! Nothing here decides or talks to the cluster directly.

pub mod actions_cmd;
pub mod approve;
pub mod audit;
pub mod bench;
pub mod bench_assess;
pub mod bench_similar;
pub mod config_cmd;
pub mod eval;
pub mod history;
pub mod llm;
pub mod output;
pub mod policy;
pub mod rbac;
pub mod recommend;
pub mod serve;
pub mod similar;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::telemetry::{self, LogFormat};

/// medic: a Kubernetes remediation agent.
#[derive(Debug, Parser)]
#[command(name = "medic", version, about, long_about = None)]
pub struct Cli {
    /// YAML config file (default: built-in defaults; see config/medic.yaml).
    #[arg(long, global = true, env = "MEDIC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value = "text", env = "MEDIC_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// medic's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the agent: webhook, API and pipeline.
    Serve(serve::ServeArgs),
    /// Run the pipeline once on an alert file and print the result (no server, no store).
    Recommend(recommend::RecommendArgs),
    /// Work with config files.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// List the action catalog.
    Actions(actions_cmd::ActionsArgs),
    /// Measure the time from webhook receipt to stored decision.
    Bench(bench::BenchArgs),
    /// Print the least-privilege ClusterRole for the enabled actions.
    Rbac(rbac::RbacArgs),
    /// What medic did before: incidents, actions, outcomes and scores (`stats`, `similar`).
    History(history::HistoryArgs),
    /// Work with the configured language models (`ping`).
    #[command(subcommand)]
    Llm(llm::LlmCommand),
    /// Score deciders (the rules, models) on scenario files against simulated clusters.
    Eval(eval::EvalArgs),
    /// The tamper-evident audit log: `verify` the hash chain, `list` records.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Approve a held decision: medic checks the policy again, then executes it.
    Approve(approve::AnswerArgs),
    /// Reject a held decision: nothing is executed.
    Reject(approve::AnswerArgs),
    /// Explain the safety policy's verdict on an alert (`explain`), check by check.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
}

/// Runs the CLI; the binary's `main` calls this.
pub fn main() -> ExitCode {
    // kube, reqwest and sqlx use rustls; with more than one crypto provider in the tree,
    // none is chosen implicitly, so install aws-lc-rs before anything opens a connection.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    telemetry::init(cli.log_format, default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config(cmd) => config_cmd::run(cmd),
        Command::Actions(args) => actions_cmd::run(&args),
        Command::Bench(args) => bench::run(args).await,
        Command::Rbac(args) => rbac::run(&load_config(cli.config.as_deref())?, &args),
        Command::History(args) => history::run(load_config(cli.config.as_deref())?, args).await,
        Command::Llm(cmd) => llm::run(load_config(cli.config.as_deref())?, cmd).await,
        Command::Serve(args) => serve::run(load_config(cli.config.as_deref())?, args).await,
        Command::Recommend(args) => recommend::run(load_config(cli.config.as_deref())?, args).await,
        Command::Eval(args) => eval::run(load_config(cli.config.as_deref())?, args).await,
        Command::Audit(cmd) => audit::run(load_config(cli.config.as_deref())?, cmd).await,
        Command::Approve(args) => {
            approve::run(load_config(cli.config.as_deref())?, args, crate::store::Answer::Approve).await
        }
        Command::Reject(args) => {
            approve::run(load_config(cli.config.as_deref())?, args, crate::store::Answer::Reject).await
        }
        Command::Policy(cmd) => policy::run(load_config(cli.config.as_deref())?, cmd).await,
    }
}

/// The config file's contents, or the defaults when none is given.
fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    match path {
        Some(p) => Ok(config::load(p)?),
        None => Ok(Config::default()),
    }
}
