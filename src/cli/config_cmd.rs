//! `medic config check FILE` and `medic config default`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::config::{self, Config};

/// Config subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file and list every problem with its path.
    Check {
        /// The file.
        file: PathBuf,
    },
    /// Print the built-in defaults as YAML.
    Default,
}

/// Runs a config subcommand; `check` exits 1 when the file has problems.
pub fn run(cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check { file } => {
            let problems = config::check_file(&file)?;
            if problems.is_empty() {
                println!("{}: ok", file.display());
                return Ok(ExitCode::SUCCESS);
            }
            println!("{}: {} problem(s)", file.display(), problems.len());
            for p in &problems {
                println!("  {p}");
            }
            Ok(ExitCode::FAILURE)
        }
        ConfigCommand::Default => {
            print!("{}", serde_yaml_ng::to_string(&Config::default())?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
