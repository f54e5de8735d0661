//! Wiring: the validated config becomes the running parts (store, cluster, deciders,
//! pipeline). The only place that builds clients; it decides nothing itself.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::assess::periodic::Periodic;
use crate::assess::{Assessor, Clock, SystemClock, retention};
use crate::cluster::Cluster;
use crate::cluster::kube::KubeCluster;
use crate::cluster::sim::SimCluster;
use crate::config::model::DEMO_FIXTURE;
use crate::config::{ClusterConfig, Config};
use crate::decide::rules::RulesDecider;
use crate::decide::{Chain, Decider};
use crate::execute::{Executor, HttpNotifier};
use crate::memory::{
    EmbeddedIndex, Embedder, EmbedderConfig, HashedEmbedder, IndexConfig, Memory, MemoryConfig, MemoryError,
    OpenAiEmbedder, QdrantIndex, VectorIndex,
};
use crate::pipeline::Pipeline;
use crate::store::{SqlStore, Store};
use crate::web::metrics::Metrics;

/// The bundled demo cluster, compiled in so `medic serve` works from any directory.
const DEMO_CLUSTER_YAML: &str = include_str!("../config/demo/cluster.yaml");

/// Builds the cluster the config names.
pub async fn cluster(config: &ClusterConfig) -> anyhow::Result<Arc<dyn Cluster>> {
    Ok(match config {
        ClusterConfig::Sim { fixture, journal } => {
            let sim = match fixture {
                None => SimCluster::from_yaml(DEMO_CLUSTER_YAML)
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .with_context(|| format!("loading the bundled demo cluster {DEMO_FIXTURE}"))?
                    .with_source(format!("the bundled {DEMO_FIXTURE}")),
                Some(path) => {
                    SimCluster::load(path).map_err(|e| anyhow::anyhow!("cannot load the simulated cluster: {e}"))?
                }
            };
            match journal {
                None => Arc::new(sim),
                Some(path) => Arc::new(
                    sim.with_journal(path)
                        .context("opening the simulated cluster's journal")?,
                ),
            }
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
        "sim" | "demo" => ClusterConfig::Sim {
            fixture: None,
            journal: None,
        },
        path => ClusterConfig::Sim {
            fixture: Some(PathBuf::from(path)),
            journal: None,
        },
    }
}

/// Builds the decider chain: the operator's rules, then the LLM when one is configured
/// (without cluster tools), then the built-in pack, then `escalate` (the chain's own
/// fallback).
pub fn decider(config: &Config) -> anyhow::Result<Arc<dyn Decider>> {
    decider_with(config, None)
}

/// Builds the decider chain like [`decider`], giving the LLM read-only investigation
/// tools on `cluster`.
pub fn decider_with(config: &Config, cluster: Option<Arc<dyn Cluster>>) -> anyhow::Result<Arc<dyn Decider>> {
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
    let llm_parts = crate::decide::llm::build::DeciderParts {
        policy: config.policy.clone(),
        bounds: config.bounds.clone(),
        cluster,
    };
    if let Some(llm) = crate::decide::llm::build::default_decider(&config.llm, llm_parts)
        .context("building the LLM decider (llm: in the config)")?
    {
        deciders.push(Arc::new(llm.with_action_settings(config.actions.clone())));
    }
    if config.builtin_rules {
        deciders.push(Arc::new(RulesDecider::builtin().with_bounds(config.bounds.clone())));
    }
    Ok(Arc::new(Chain::new(deciders)))
}

/// Opens the store: `database_url` when set, else SQLite in `data_dir`.
pub async fn store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(Arc::new(sql_store(config).await?))
}

/// Opens the SQL store itself (what [`store`] hands out as a `dyn Store`).
pub async fn sql_store(config: &Config) -> anyhow::Result<SqlStore> {
    Ok(match &config.database_url {
        Some(url) => SqlStore::connect(url).await?,
        None => SqlStore::sqlite_in(&config.data_dir)
            .await
            .with_context(|| format!("opening the SQLite store in {}", config.data_dir.display()))?,
    })
}

/// Opens the store and the similar-incident memory on it (for `medic serve`: set the
/// pipeline's `memory` to the second).
pub async fn store_with_memory(config: &Config) -> anyhow::Result<(Arc<dyn Store>, Arc<Memory>)> {
    let sql = Arc::new(sql_store(config).await?);
    let memory = memory(&config.memory, sql.clone()).await?;
    Ok((sql, memory))
}

/// Builds the similar-incident memory the `memory:` config names: the embedder, then the
/// index (the embedded one loads its vectors from `store`; Qdrant's collection is created
/// when missing).
pub async fn memory(config: &MemoryConfig, store: Arc<SqlStore>) -> anyhow::Result<Arc<Memory>> {
    let problems = config.problems();
    anyhow::ensure!(
        problems.is_empty(),
        "invalid memory config:\n{}",
        problems
            .iter()
            .map(|p| format!("  - {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let api_key = |env: &Option<String>, key: &str| -> Result<Option<String>, MemoryError> {
        env.as_ref()
            .map(|env| {
                std::env::var(env).map_err(|_| MemoryError::MissingApiKey {
                    env: env.clone(),
                    key: key.into(),
                })
            })
            .transpose()
    };
    let embedder: Arc<dyn Embedder> = match &config.embedder {
        EmbedderConfig::Hashed { dims } => Arc::new(HashedEmbedder::new(*dims)),
        EmbedderConfig::Openai {
            base_url,
            model,
            dims,
            api_key_env,
        } => Arc::new(OpenAiEmbedder::new(
            base_url,
            model,
            *dims,
            api_key(api_key_env, "memory.embedder.api_key_env")?,
        )?),
    };
    let index: Arc<dyn VectorIndex> = match &config.index {
        IndexConfig::Embedded {} => Arc::new(
            EmbeddedIndex::open(store.clone(), embedder.name(), embedder.dims())
                .await
                .context("loading the embedded vector index")?,
        ),
        IndexConfig::Qdrant {
            url,
            collection,
            api_key_env,
        } => Arc::new(
            QdrantIndex::connect(
                url,
                collection,
                embedder.dims(),
                api_key(api_key_env, "memory.index.api_key_env")?,
            )
            .await?,
        ),
    };
    Ok(Arc::new(Memory::new(embedder, index, store, config.k)?))
}

/// Builds the executor: the cluster acted on, the HTTP notifier, the notify channels.
pub fn executor(config: &Config, cluster: Arc<dyn Cluster>, metrics: Arc<Metrics>) -> anyhow::Result<Executor> {
    let notifier = HttpNotifier::new().context("building the notifier")?;
    Ok(Executor::new(
        cluster,
        Arc::new(notifier),
        config.actions.clone(),
        metrics,
    ))
}

/// Starts the background tasks of assessment on the system clock: the assessor (unless
/// `assessment.enabled` is false) and the retention task (unless `retention_days` is 0).
/// Shut each down on exit.
pub fn start_assessment(
    config: &Config,
    store: Arc<dyn Store>,
    cluster: Arc<dyn Cluster>,
) -> anyhow::Result<Vec<Periodic>> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut tasks = Vec::new();
    if config.assessment.enabled {
        let assessor = Assessor::new(store.clone(), cluster, config.assessment.clone(), clock.clone())
            .context("building the assessor")?;
        tasks.push(assessor.spawn());
    }
    tasks.extend(retention::spawn(store, clock, config.assessment.retention_days));
    Ok(tasks)
}

/// Builds the pipeline for a config.
pub async fn pipeline(config: &Config, metrics: Arc<Metrics>) -> anyhow::Result<Pipeline> {
    let cluster = cluster(&config.cluster).await?;
    let decider = decider_with(config, Some(cluster.clone()))?;
    Ok(Pipeline {
        executor: Arc::new(executor(config, cluster.clone(), metrics.clone())?),
        cluster,
        decider,
        policy: config.policy.clone(),
        bounds: config.bounds.clone(),
        settings: config.actions.clone(),
        limits: config.context.clone(),
        metrics,
        memory: None,
        assessment: config.assessment.clone(),
        processing: config.processing.clone(),
        approvals: config.approvals.clone(),
        owner: crate::pipeline::process::owner_id(),
    })
}
