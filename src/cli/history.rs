//! `medic history`: what medic did before, read from the store.
//!
//! - `medic history [--namespace NS] [--workload W] [--alertname A] [--limit N]`: incidents,
//!   newest first, with the action, its outcome and its effectiveness score;
//! - `medic history stats [--namespace NS] [--workload W] [--alertname A]`: per alertname,
//!   action and workload, the attempts, successes, mean score and last outcome;
//! - `medic history similar INCIDENT_ID`: the most similar past incidents
//!   ([`super::similar`]).
//!
//! Opens the store the config names (`database_url`, else SQLite in `data_dir`, either
//! overridable by flags) as `medic serve` does. It only reads.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::Format;
use crate::config::Config;
use crate::history::{ActionStats, HistoryEntry, HistoryQuery, StatsQuery};

/// Arguments of `medic history`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    /// Statistics or similar incidents instead of the list.
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,
    /// Which incidents.
    #[command(flatten)]
    pub filters: Filters,
    /// At most this many incidents (default 50, at most 500).
    #[arg(long, value_name = "N")]
    pub limit: Option<i64>,
    /// Where the store is.
    #[command(flatten)]
    pub store: StoreFlags,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Format,
}

/// `medic history`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Per alertname, action and workload: attempts, successes, mean score, last outcome.
    Stats(StatsArgs),
    /// The stored past incidents most like a stored one.
    Similar(super::similar::SimilarArgs),
}

/// Arguments of `medic history stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Which incidents count.
    #[command(flatten)]
    pub filters: Filters,
    /// Where the store is.
    #[command(flatten)]
    pub store: StoreFlags,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Format,
}

/// Filters shared by the list and the statistics.
#[derive(Debug, Args)]
pub struct Filters {
    /// Only this namespace.
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Only this workload (Deployment, StatefulSet, ... name; or the alert's target name).
    #[arg(long, value_name = "NAME")]
    pub workload: Option<String>,
    /// Only this alertname.
    #[arg(long, value_name = "ALERTNAME")]
    pub alertname: Option<String>,
}

/// Where the store is, overriding the config.
#[derive(Debug, Args)]
pub struct StoreFlags {
    /// Directory of the embedded SQLite store (default: the config's `data_dir`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL or SQLite URL instead of the embedded store.
    #[arg(long, env = "MEDIC_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl StoreFlags {
    fn apply(&self, config: &mut Config) {
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.database_url {
            config.database_url = Some(url.clone());
        }
    }
}

/// Runs `medic history` or one of its subcommands.
pub async fn run(mut config: Config, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(HistoryCommand::Similar(similar)) => super::similar::run(config, similar).await,
        Some(HistoryCommand::Stats(stats)) => {
            stats.store.apply(&mut config);
            let store = crate::app::store(&config).await?;
            let query = StatsQuery {
                alertname: stats.filters.alertname,
                namespace: stats.filters.namespace,
                workload: stats.filters.workload,
            };
            let rows = store.stats(&query).await?;
            print(&rows, stats.output, render_stats)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            if let Some(limit) = args.limit {
                anyhow::ensure!(
                    (1..=500).contains(&limit),
                    "--limit must be from 1 to 500, found {limit}"
                );
            }
            args.store.apply(&mut config);
            let store = crate::app::store(&config).await?;
            let query = HistoryQuery {
                namespace: args.filters.namespace,
                workload: args.filters.workload,
                alertname: args.filters.alertname,
                limit: args.limit,
            };
            let entries = store.history(&query).await?;
            print(&entries, args.output, render_history)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print<T: serde::Serialize>(items: &[T], format: Format, table: fn(&[T]) -> String) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(items)?),
        Format::Yaml => print!("{}", serde_yaml_ng::to_string(items)?),
        Format::Table => print!("{}", table(items)),
    }
    Ok(())
}

/// The history as an aligned table, one incident a line.
pub fn render_history(entries: &[HistoryEntry]) -> String {
    if entries.is_empty() {
        return "no incidents match\n".into();
    }
    let mut rows = vec![row(&[
        "RECEIVED",
        "ALERT",
        "WORKLOAD",
        "ACTION",
        "OUTCOME",
        "SCORE",
        "ASSESSMENT",
    ])];
    for e in entries {
        let workload = match (&e.namespace, e.workload.as_ref().or(e.target.as_ref())) {
            (Some(ns), Some(w)) if e.workload.is_some() => format!("{ns}/{w}"),
            (_, Some(w)) => w.clone(),
            _ => "-".into(),
        };
        let d = e.decision.as_ref();
        let assessment = d.and_then(|d| d.assessment.as_ref());
        rows.push(vec![
            seconds(e.received_at),
            e.alertname.clone(),
            workload,
            d.map_or_else(|| e.state.as_str().to_string(), |d| d.action.clone()),
            d.map_or("-", |d| d.outcome.status.as_str()).to_string(),
            score(assessment.and_then(|a| a.score)),
            assessment.map_or("-", |a| a.state.as_str()).to_string(),
        ]);
    }
    align(&rows)
}

/// The statistics as an aligned table, one (alertname, action, workload) a line.
pub fn render_stats(stats: &[ActionStats]) -> String {
    if stats.is_empty() {
        return "no decisions match\n".into();
    }
    let mut rows = vec![row(&[
        "ALERT",
        "ACTION",
        "WORKLOAD",
        "ATTEMPTS",
        "FAILED",
        "SCORED",
        "SUCCESSES",
        "MEAN",
        "LAST",
        "LAST AT",
    ])];
    for s in stats {
        let workload = match (&s.namespace, &s.workload) {
            (Some(ns), Some(w)) => format!("{ns}/{w}"),
            (None, Some(w)) => w.clone(),
            _ => "-".into(),
        };
        let last = match s.last_score {
            Some(x) => format!("{} ({x:.2})", s.last_outcome.as_str()),
            None => s.last_outcome.as_str().to_string(),
        };
        rows.push(vec![
            s.alertname.clone(),
            s.action.clone(),
            workload,
            s.attempts.to_string(),
            s.failures.to_string(),
            s.assessed.to_string(),
            s.successes.to_string(),
            score(s.mean_score),
            last,
            seconds(s.last_at),
        ]);
    }
    align(&rows)
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn score(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.2}"))
}

/// A timestamp to the second, in UTC.
fn seconds(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Left-aligned columns separated by two spaces.
fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<width$}", width = widths[i]))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::assess::fixtures::t;
    use crate::cli::{Cli, Command};
    use crate::execute::OutcomeStatus;
    use crate::history::{PastDecision, PastOutcome};
    use crate::store::ProcessingState;

    #[test]
    fn the_command_line_is_a_group_with_a_default_list() {
        let cli = Cli::parse_from([
            "medic",
            "history",
            "--namespace",
            "shop",
            "--workload",
            "api",
            "-o",
            "json",
        ]);
        let Command::History(args) = cli.command else {
            panic!("not history")
        };
        assert!(args.command.is_none());
        assert_eq!(args.filters.namespace.as_deref(), Some("shop"));
        assert_eq!(args.filters.workload.as_deref(), Some("api"));
        assert_eq!(args.output, Format::Json);

        let cli = Cli::parse_from(["medic", "history", "stats", "--alertname", "KubePodCrashLooping"]);
        let Command::History(HistoryArgs {
            command: Some(HistoryCommand::Stats(stats)),
            ..
        }) = cli.command
        else {
            panic!("not history stats")
        };
        assert_eq!(stats.filters.alertname.as_deref(), Some("KubePodCrashLooping"));

        let cli = Cli::parse_from(["medic", "history", "similar", "0190-abc"]);
        assert!(matches!(
            cli.command,
            Command::History(HistoryArgs {
                command: Some(HistoryCommand::Similar(_)),
                ..
            })
        ));
        assert!(Cli::try_parse_from(["medic", "history", "--limit", "lots"]).is_err());
    }

    #[test]
    fn tables_show_one_line_per_row() {
        let entry = HistoryEntry {
            incident_id: "i-1".into(),
            alertname: "KubePodCrashLooping".into(),
            fingerprint: "fp".into(),
            alert_status: "firing".into(),
            state: ProcessingState::Executed,
            namespace: Some("shop".into()),
            target: Some("Pod/shop/api-1".into()),
            workload_kind: Some("Deployment".into()),
            workload: Some("api".into()),
            received_at: t(0),
            resolved_at: None,
            error: None,
            decision: Some(PastDecision {
                action: "rollout_restart".into(),
                params: serde_json::Value::Null,
                target: Some("deployment/shop/api".into()),
                decider: "rules".into(),
                decided_by: "r".into(),
                model: None,
                tokens_in: None,
                tokens_out: None,
                confidence: 0.8,
                verdict: "allow".into(),
                decided_at: t(1),
                latency_ms: 3,
                replicas_before: Some(2),
                outcome: PastOutcome {
                    status: OutcomeStatus::Executed,
                    error: None,
                    started_at: t(1),
                    finished_at: t(1),
                },
                assessment: None,
            }),
        };
        let undecided = HistoryEntry {
            decision: None,
            workload: None,
            state: ProcessingState::Received,
            ..entry.clone()
        };
        assert_eq!(
            render_history(&[entry, undecided]),
            "RECEIVED              ALERT                WORKLOAD        ACTION           OUTCOME   SCORE  ASSESSMENT\n\
             2026-01-01T00:00:00Z  KubePodCrashLooping  shop/api        rollout_restart  executed  -      -\n\
             2026-01-01T00:00:00Z  KubePodCrashLooping  Pod/shop/api-1  received         -         -      -\n"
        );
        assert_eq!(render_history(&[]), "no incidents match\n");
        assert_eq!(render_stats(&[]), "no decisions match\n");
    }
}
