//! `medic actions [--output table|json]`: the action catalog.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::output::Format;
use crate::actions::ActionKind;

/// Arguments of `medic actions`.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Format,
}

/// Prints the catalog.
pub fn run(args: &ActionsArgs) -> anyhow::Result<ExitCode> {
    let entries: Vec<_> = ActionKind::ALL
        .iter()
        .map(|k| {
            json!({
                "name": k.name(),
                "risk": k.risk(),
                "targets": k.target_kinds(),
                "summary": k.summary(),
                "rbac": k.rbac(),
                "params_schema": k.params_schema(),
            })
        })
        .collect();
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&entries)?),
        Format::Yaml => print!("{}", serde_yaml_ng::to_string(&entries)?),
        Format::Table => {
            println!("{:<22} {:<9} {:<34} SUMMARY", "ACTION", "RISK", "TARGETS");
            for k in ActionKind::ALL {
                let targets = if k.target_kinds().is_empty() {
                    "-".to_string()
                } else {
                    k.target_kinds().join(",")
                };
                let params = params_line(k.params_schema());
                println!(
                    "{:<22} {:<9} {:<34} {}",
                    k.name(),
                    k.risk().as_str(),
                    targets,
                    k.summary()
                );
                if !params.is_empty() {
                    println!("{:<22} {:<9} {:<34} params: {params}", "", "", "");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `name: type, ...` from a parameters schema.
fn params_line(schema: serde_json::Value) -> String {
    let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
        return String::new();
    };
    props
        .iter()
        .map(|(name, s)| {
            let ty = s
                .get("type")
                .map(|t| match t {
                    serde_json::Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str())
                        .filter(|x| *x != "null")
                        .collect::<Vec<_>>()
                        .join("|"),
                    other => other.as_str().unwrap_or("?").to_string(),
                })
                .unwrap_or_else(|| "string".into());
            format!("{name}: {ty}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
