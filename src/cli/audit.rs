//! `medic audit`: the tamper-evident audit log.
//!
//! - `medic audit verify`: checks the whole hash chain, oldest first; exits 0 when intact
//!   (printing the record count and the head hash, worth keeping elsewhere: a chain
//!   rewritten from some record on is only caught by comparing heads), 1 naming the first
//!   broken record and why (a gap, a `prev_hash` mismatch, a hash mismatch);
//! - `medic audit list [--incident ID] [--limit N]`: the latest records, oldest first.
//!
//! Opens the store the config names, as `medic serve` does. It only reads.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::history::StoreFlags;
use super::output::Format;
use crate::audit::AuditRecord;
use crate::config::Config;

/// `medic audit`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exit 1 at the first broken record.
    Verify(VerifyArgs),
    /// Show the latest records, oldest first.
    List(ListArgs),
}

/// Arguments of `medic audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Where the store is.
    #[command(flatten)]
    pub store: StoreFlags,
    /// Also fail unless the chain's head hash is this one (a head recorded earlier).
    #[arg(long, value_name = "HASH")]
    pub expect_head: Option<String>,
}

/// Arguments of `medic audit list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the records of this incident.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// At most this many records (default 50).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: i64,
    /// Where the store is.
    #[command(flatten)]
    pub store: StoreFlags,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Format,
}

fn apply(flags: &StoreFlags, config: &mut Config) {
    if let Some(dir) = &flags.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &flags.database_url {
        config.database_url = Some(url.clone());
    }
}

/// Runs an audit subcommand.
pub async fn run(mut config: Config, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify(args) => {
            apply(&args.store, &mut config);
            let store = crate::app::sql_store(&config).await?;
            let report = store.audit_verify().await?;
            if let Some(broken) = &report.broken {
                println!(
                    "audit log BROKEN at seq {}: {broken}\n{} record(s) before it are intact",
                    broken.seq(),
                    report.checked
                );
                return Ok(ExitCode::FAILURE);
            }
            if let Some(expected) = &args.expect_head
                && !expected.eq_ignore_ascii_case(&report.head_hash)
            {
                println!(
                    "audit log chain intact ({} records) but its head is seq {} hash {}, not {expected}: \
                     the log was rewritten or truncated",
                    report.checked, report.head_seq, report.head_hash
                );
                return Ok(ExitCode::FAILURE);
            }
            println!(
                "audit log intact: {} record(s); head seq {} hash {}",
                report.checked, report.head_seq, report.head_hash
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::List(args) => {
            apply(&args.store, &mut config);
            let store = crate::app::sql_store(&config).await?;
            let records = store
                .audit_recent(args.incident.as_deref(), args.limit.clamp(1, 10_000))
                .await?;
            print!("{}", render(&records, args.output)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Records as a table, JSON or YAML (payloads as JSON documents).
fn render(records: &[AuditRecord], format: Format) -> anyhow::Result<String> {
    let as_values = || -> Vec<serde_json::Value> {
        records
            .iter()
            .map(|r| {
                let payload: serde_json::Value =
                    serde_json::from_str(&r.payload_json).unwrap_or_else(|_| r.payload_json.clone().into());
                let at = jiff::Timestamp::from_millisecond(r.at_ms)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                serde_json::json!({
                    "seq": r.seq, "at": at, "kind": r.kind, "incident_id": r.incident_id,
                    "actor": r.actor, "payload": payload, "prev_hash": r.prev_hash, "hash": r.hash,
                })
            })
            .collect()
    };
    Ok(match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&as_values())?),
        Format::Yaml => serde_yaml_ng::to_string(&as_values())?,
        Format::Table => {
            let mut out = format!(
                "{:>6}  {:<24}  {:<18}  {:<36}  {:<12}  {}\n",
                "SEQ", "AT", "KIND", "INCIDENT", "ACTOR", "PAYLOAD"
            );
            for r in records {
                let at = jiff::Timestamp::from_millisecond(r.at_ms)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{:>6}  {:<24}  {:<18}  {:<36}  {:<12}  {}\n",
                    r.seq,
                    at,
                    r.kind,
                    r.incident_id.as_deref().unwrap_or("-"),
                    r.actor,
                    r.payload_json
                ));
            }
            out
        }
    })
}
