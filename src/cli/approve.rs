//! `medic approve ID` and `medic reject ID`: answer a held decision's approval on the
//! configured store directly (the same validation and effect as the API). A running
//! `medic serve` picks an approved incident up at its next sweep (a few seconds) and
//! checks the policy again before executing anything.
//!
//! Nothing here decides or talks to the cluster.

use std::process::ExitCode;

use clap::Args;
use jiff::Timestamp;

use super::history::StoreFlags;
use crate::config::Config;
use crate::pipeline::approval::{self, AnswerRequest};
use crate::store::{Answer, Answered};

/// Arguments of `medic approve` and `medic reject`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The approval's id (`GET /api/v1/approvals`, or the notification).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Who answers (default: $USER).
    #[arg(long, env = "USER", value_name = "NAME")]
    pub by: Option<String>,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Where the store is.
    #[command(flatten)]
    pub store: StoreFlags,
}

/// Answers the approval; exit code 1 when it is unknown, not pending or expired.
pub async fn run(mut config: Config, args: AnswerArgs, answer: Answer) -> anyhow::Result<ExitCode> {
    let request = AnswerRequest {
        by: args.by.clone(),
        reason: args.reason.clone(),
    };
    let valid = request
        .validate()
        .map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.message))?;
    let Ok(id) = args.id.parse::<i64>() else {
        anyhow::bail!("approval {:?} not found (approval ids are numbers)", args.id);
    };
    if let Some(dir) = &args.store.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &args.store.database_url {
        config.database_url = Some(url.clone());
    }
    let store = crate::app::store(&config).await?;
    let answered = approval::answer(store.as_ref(), id, answer, &valid, Timestamp::now()).await?;
    match &answered {
        Answered::Done(a) => {
            let next = match answer {
                Answer::Approve => "medic checks the policy again, then executes it or denies it",
                Answer::Reject => "nothing will be executed",
            };
            println!(
                "approval {} {} by {} (incident {}): {next}",
                a.id,
                a.state.as_str(),
                valid.by,
                a.incident_id
            );
            Ok(ExitCode::SUCCESS)
        }
        refused => {
            eprintln!("error: {}", approval::refusal(&args.id, refused).unwrap_or_default());
            Ok(ExitCode::FAILURE)
        }
    }
}
