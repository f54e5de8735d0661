//! `medic history similar INCIDENT_ID`: the stored past incidents most like a stored
//! one, best first, with what was done about them and how well it worked.
//!
//! Opens the store and the memory the config names (the embedded index loads from the
//! store; Qdrant is asked over the network), judges the incident on its stored context,
//! and prints. It only reads: it must not index, decide or touch the cluster.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::output::Format;
use crate::config::Config;
use crate::memory::SimilarIncident;

/// Arguments of `medic history similar`.
#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// The stored incident's id (as listed by `GET /api/v1/incidents`).
    pub incident: String,
    /// How many similar incidents (default: the config's `memory.k`).
    #[arg(long, short = 'k', value_name = "N")]
    pub k: Option<usize>,
    /// Directory of the embedded SQLite store (default: the config's `data_dir`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL or SQLite URL instead of the embedded store.
    #[arg(long, env = "MEDIC_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Format,
}

/// Prints the incidents most similar to the one named.
pub async fn run(mut config: Config, args: SimilarArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &args.database_url {
        config.database_url = Some(url.clone());
    }
    if let Some(k) = args.k {
        anyhow::ensure!(k >= 1, "-k must be at least 1, found {k}");
        config.memory.k = k;
    }
    if config.memory.k == 0 {
        config.memory.k = crate::memory::config::DEFAULT_K;
    }
    let (_store, memory) = crate::app::store_with_memory(&config).await?;
    let similar = memory.similar_to_stored(&args.incident).await?;
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&similar)?),
        Format::Yaml => print!("{}", serde_yaml_ng::to_string(&similar)?),
        Format::Table => {
            let indexed = memory.index().len().await?;
            print!(
                "{}",
                render_table(
                    &args.incident,
                    &similar,
                    memory.embedder().name(),
                    memory.index().backend(),
                    indexed
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The similar incidents as an aligned table, with a heading saying what was searched.
pub fn render_table(id: &str, similar: &[SimilarIncident], embedder: &str, backend: &str, indexed: usize) -> String {
    let mut out = format!("incidents similar to {id} ({embedder} vectors, {backend} index of {indexed})\n");
    if similar.is_empty() {
        out.push_str("none stored yet\n");
        return out;
    }
    out.push_str(&format!(
        "{:>2}  {:>5}  {:<36}  {:<17}  {:<28}  {:<32}  {:<20}  {:<10}  {:>5}\n",
        "#", "SIM", "INCIDENT", "STARTED", "ALERT", "TARGET", "ACTION", "STATE", "SCORE"
    ));
    for (i, s) in similar.iter().enumerate() {
        out.push_str(&format!(
            "{:>2}  {:>5.3}  {:<36}  {:<17}  {:<28}  {:<32}  {:<20}  {:<10}  {:>5}\n",
            i + 1,
            s.similarity,
            s.incident_id,
            s.started_at.strftime("%Y-%m-%d %H:%MZ").to_string(),
            s.alertname,
            s.target.as_deref().unwrap_or("-"),
            s.action.as_deref().unwrap_or("-"),
            s.state.as_deref().unwrap_or("-"),
            s.effectiveness.map_or("-".to_string(), |e| format!("{e:.2}")),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    #[test]
    fn renders_one_line_per_incident_with_dashes_for_the_unknown() {
        let similar = vec![
            SimilarIncident {
                incident_id: "0199b2c4-7d1e-7c3a-9f00-1234567890ab".into(),
                similarity: 0.9312,
                alertname: "KubePodCrashLooping".into(),
                target: Some("Pod/shop/api".into()),
                namespace: Some("shop".into()),
                started_at: Timestamp::from_second(1_772_323_200).unwrap(),
                summary: None,
                action: Some("increase_resources".into()),
                state: Some("executed".into()),
                effectiveness: Some(0.875),
            },
            SimilarIncident {
                incident_id: "0199b2c4-7d1e-7c3a-9f00-1234567890ac".into(),
                similarity: 0.5,
                alertname: "KubeNodeNotReady".into(),
                target: None,
                namespace: None,
                started_at: Timestamp::from_second(1_772_323_200).unwrap(),
                summary: None,
                action: None,
                state: None,
                effectiveness: None,
            },
        ];
        let table = render_table("x", &similar, "hashed-ngram-v1", "embedded", 13);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "incidents similar to x (hashed-ngram-v1 vectors, embedded index of 13)"
        );
        assert!(
            lines[2].starts_with(" 1  0.931  0199b2c4-7d1e-7c3a-9f00-1234567890ab  2026-03-01 00:00Z"),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].contains("increase_resources") && lines[2].ends_with(" 0.88"),
            "{}",
            lines[2]
        );
        assert!(lines[3].ends_with("-"), "{}", lines[3]);
        assert_eq!(lines.len(), 4);
        assert_eq!(
            render_table("y", &[], "e", "qdrant", 0),
            "incidents similar to y (e vectors, qdrant index of 0)\nnone stored yet\n"
        );
    }
}
