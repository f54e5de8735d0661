//! `medic rbac [--output yaml|json]`: the least-privilege ClusterRole for the enabled
//! actions of the config (see [`crate::actions::rbac`]).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::actions::rbac::{cluster_role, cluster_role_yaml};
use crate::config::Config;

/// How the ClusterRole is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RbacFormat {
    /// Kubernetes YAML, ready for `kubectl apply -f -`.
    Yaml,
    /// JSON.
    Json,
}

/// Arguments of `medic rbac`.
#[derive(Debug, Args)]
pub struct RbacArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "yaml")]
    pub output: RbacFormat,
}

/// Prints the ClusterRole.
pub fn run(config: &Config, args: &RbacArgs) -> anyhow::Result<ExitCode> {
    match args.output {
        RbacFormat::Yaml => print!("{}", cluster_role_yaml(config)),
        RbacFormat::Json => println!("{}", serde_json::to_string_pretty(&cluster_role(config))?),
    }
    Ok(ExitCode::SUCCESS)
}
