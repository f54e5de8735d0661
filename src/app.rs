//! Wiring: the validated config becomes the running parts (store, cluster, deciders,
//! pipeline). The only place that builds clients; it decides nothing itself.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::cluster::Cluster;
use crate::cluster::kube::KubeCluster;
use crate::cluster::sim::SimCluster;
use crate::config::model::DEMO_FIXTURE;
use crate::config::{ClusterConfig, Config};
use crate::decide::rules::RulesDecider;
use crate::decide::{Chain, Decider};
use crate::pipeline::Pipeline;
use crate::store::{SqlStore, Store};
use crate::web::metrics::Metrics;

/// The bundled demo cluster, compiled in so `medic serve` works from any directory.
const DEMO_CLUSTER_YAML: &str = include_str!("../config/demo/cluster.yaml");

/// Builds the cluster the config names.
pub async fn cluster(config: &ClusterConfig) -> anyhow::Result<Arc<dyn Cluster>> {
    Ok(match config {
        ClusterConfig::Sim { fixture: None } => Arc::new(
            SimCluster::from_yaml(DEMO_CLUSTER_YAML)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("loading the bundled demo cluster {DEMO_FIXTURE}"))?
                .with_source(format!("the bundled {DEMO_FIXTURE}")),
        ),
        ClusterConfig::Sim { fixture: Some(path) } => {
            Arc::new(SimCluster::load(path).map_err(|e| anyhow::anyhow!("cannot load the simulated cluster: {e}"))?)
        }
        ClusterConfig::Kube { context } => Arc::new(
            KubeCluster::connect(context.as_deref())
                .await
                .context("connecting to the Kubernetes API")?,
        ),
    })
}

/// Interprets a `--cluster` flag: `kube`, `sim` (the demo) or a fixture path.
pub fn cluster_flag(value: &str) -> ClusterConfig {
    match value {
        "kube" => ClusterConfig::Kube { context: None },
        "sim" | "demo" => ClusterConfig::Sim { fixture: None },
        path => ClusterConfig::Sim {
            fixture: Some(PathBuf::from(path)),
        },
    }
}

/// Builds the decider chain: the operator's rules, then the built-in pack, then
/// `escalate` (the chain's own fallback).
pub fn decider(config: &Config) -> anyhow::Result<Arc<dyn Decider>> {
    let mut deciders: Vec<Arc<dyn Decider>> = Vec::new();
    if !config.rules.is_empty() {
        let rules = RulesDecider::new("rules", config.rules.clone())
            .map(|r| r.with_bounds(config.bounds.clone()))
            .map_err(|problems| {
                anyhow::anyhow!(
                    "invalid rules:\n{}",
                    problems
                        .iter()
                        .map(|(p, m)| format!("  - {p}: {m}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })?;
        deciders.push(Arc::new(rules));
    }
    if config.builtin_rules {
        deciders.push(Arc::new(RulesDecider::builtin().with_bounds(config.bounds.clone())));
    }
    Ok(Arc::new(Chain::new(deciders)))
}

/// Opens the store: `database_url` when set, else SQLite in `data_dir`.
pub async fn store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = match &config.database_url {
        Some(url) => SqlStore::connect(url).await?,
        None => SqlStore::sqlite_in(&config.data_dir)
            .await
            .with_context(|| format!("opening the SQLite store in {}", config.data_dir.display()))?,
    };
    Ok(Arc::new(store))
}

/// Builds the pipeline for a config.
pub async fn pipeline(config: &Config, metrics: Arc<Metrics>) -> anyhow::Result<Pipeline> {
    Ok(Pipeline {
        cluster: cluster(&config.cluster).await?,
        decider: decider(config)?,
        policy: config.policy.clone(),
        bounds: config.bounds.clone(),
        settings: config.actions.clone(),
        limits: config.context.clone(),
        metrics,
    })
}
