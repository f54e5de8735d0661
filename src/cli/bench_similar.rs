//! `medic bench similar`: similar-incident retrieval latency at 10k and 100k stored
//! incidents, against a baseline measured in the same run.
//!
//! Synthetic incidents of five families (OOM and configuration crash loops, image pull
//! failures, nodes not ready, full volumes) with random namespaces, names, hashes and
//! numbers are rendered by the real normalizer and embedded by the hashed embedder; the
//! vectors fill the embedded index's matrix, and fresh incidents are searched at each
//! size. The baseline is what medic pays per incident anyway to search at all: rendering
//! and embedding one incident's text. With `--persisted N` it also stores N incidents and
//! their vectors in a temporary SQLite store and times loading the index at start and a
//! whole recall (embed, search, read the k incidents from the store), as the pipeline's
//! hook runs it. Figures are medians and 99th percentiles; the machine is shared, so
//! compare ratios, not absolute times. It must only touch the temporary store it creates.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use jiff::Timestamp;

use crate::context::{ContainerFacts, Context, EventFacts, LogTail, NodeFacts, PodFacts};
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::memory::{
    EmbeddedIndex, FlatVectors, HashedEmbedder, Memory, Payload, SearchFilter, VectorIndex, VectorRows, incident_text,
};
use crate::store::{SqlStore, Store};

/// Arguments of `medic bench similar`.
#[derive(Debug, Args)]
pub struct SimilarBenchArgs {
    /// Index sizes to measure at, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    pub sizes: Vec<usize>,
    /// Searches timed at each size.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Neighbours asked for.
    #[arg(long, short = 'k', default_value_t = 5)]
    pub k: usize,
    /// Dimensions of the hashed embedder.
    #[arg(long, default_value_t = 512)]
    pub dims: usize,
    /// Also store this many incidents with their vectors in a temporary SQLite store and
    /// time loading the index and whole recalls through it (0: skip).
    #[arg(long, default_value_t = 10_000)]
    pub persisted: usize,
}

/// Median, 99th percentile and mean of a series.
#[derive(Debug, Clone, Copy)]
struct Figures {
    median: Duration,
    p99: Duration,
    mean: Duration,
}

impl Figures {
    fn of(mut samples: Vec<Duration>) -> Figures {
        samples.sort();
        let n = samples.len().max(1);
        let at = |q: f64| {
            samples
                .get(((n as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        Figures {
            median: at(0.5),
            p99: at(0.99),
            mean: samples.iter().sum::<Duration>() / n as u32,
        }
    }
}

/// Runs the benchmark and prints the figures.
pub async fn run(args: SimilarBenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.queries >= 10,
        "--queries must be at least 10, found {}",
        args.queries
    );
    anyhow::ensure!(!args.sizes.is_empty(), "--sizes must name at least one size");
    anyhow::ensure!(args.k >= 1, "-k must be at least 1, found {}", args.k);
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    let largest = *sizes.last().unwrap_or(&0);
    let embedder = HashedEmbedder::new(args.dims);
    let mut rng = Rng::new(0x006d_6564_6963);

    println!(
        "medic bench similar: {} embedder, {} dimensions, k = {}, {} queries per size, {} build",
        HashedEmbedder::NAME,
        args.dims,
        args.k,
        args.queries,
        if cfg!(debug_assertions) {
            "DEBUG (use --release for real figures)"
        } else {
            "release"
        }
    );
    let queries: Vec<(Incident, Context)> = (0..args.queries).map(|i| synthetic(&mut rng, 1_000_000 + i)).collect();
    let mut baseline = Vec::with_capacity(queries.len());
    let mut query_vectors = Vec::with_capacity(queries.len());
    for (incident, context) in &queries {
        let t = Instant::now();
        let vector = embedder.embed_one(&incident_text(incident, context));
        baseline.push(t.elapsed());
        query_vectors.push(vector);
    }
    let baseline = Figures::of(baseline);

    let mut rows: Vec<(String, Figures)> = vec![("baseline: render + embed one incident".into(), baseline)];
    let mut matrix = FlatVectors::new(args.dims);
    let started = Instant::now();
    for size in &sizes {
        while matrix.len() < *size {
            let i = matrix.len();
            let (incident, context) = synthetic(&mut rng, i);
            let vector = embedder.embed_one(&incident_text(&incident, &context));
            matrix.upsert(
                &format!("incident-{i}"),
                &vector,
                payload(&format!("incident-{i}"), &incident),
            );
        }
        let search = time(&query_vectors, |q| {
            matrix.search(q, args.k, None);
        });
        let filter = SearchFilter {
            alertname: Some("KubePodCrashLooping".into()),
            ..SearchFilter::default()
        };
        let filtered = time(&query_vectors, |q| {
            matrix.search(q, args.k, Some(&filter));
        });
        rows.push((format!("search {} (brute-force cosine)", thousands(*size)), search));
        rows.push((format!("search {}, alertname filter", thousands(*size)), filtered));
    }
    let build = started.elapsed();

    println!(
        "{:<46} {:>10} {:>10} {:>10} {:>8}",
        "series", "median", "p99", "mean", "×base"
    );
    for (name, f) in &rows {
        println!(
            "{name:<46} {:>10.3?} {:>10.3?} {:>10.3?} {:>7.1}x",
            f.median,
            f.p99,
            f.mean,
            f.median.as_secs_f64() / baseline.median.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "index memory at {}: {:.1} MiB of vectors; {} incidents rendered and embedded in {:.1?} ({:.0} per second)",
        thousands(largest),
        (largest * args.dims * 4) as f64 / (1024.0 * 1024.0),
        thousands(largest),
        build,
        largest as f64 / build.as_secs_f64().max(1e-9)
    );
    if args.persisted > 0 {
        persisted(&args, &queries).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Times `f` on every query.
fn time(queries: &[Vec<f32>], mut f: impl FnMut(&[f32])) -> Figures {
    // One untimed pass warms caches.
    for q in queries.iter().take(3) {
        f(q);
    }
    Figures::of(
        queries
            .iter()
            .map(|q| {
                let t = Instant::now();
                f(q);
                t.elapsed()
            })
            .collect(),
    )
}

/// Stores `args.persisted` incidents with vectors in a temporary SQLite store; times the
/// index's load and whole recalls.
async fn persisted(args: &SimilarBenchArgs, queries: &[(Incident, Context)]) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("medic-bench-similar-{}", uuid::Uuid::new_v4().simple()));
    let result = persisted_in(args, queries, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn persisted_in(
    args: &SimilarBenchArgs,
    queries: &[(Incident, Context)],
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let store = Arc::new(SqlStore::sqlite_in(dir).await?);
    let embedder = Arc::new(HashedEmbedder::new(args.dims));
    let mut rng = Rng::new(0x7065_7273);
    let received = Timestamp::now();
    let started = Instant::now();
    for chunk_start in (0..args.persisted).step_by(1000) {
        let batch: Vec<(Incident, Context)> = (chunk_start..(chunk_start + 1000).min(args.persisted))
            .map(|i| synthetic(&mut rng, i))
            .collect();
        let incidents: Vec<Incident> = batch.iter().map(|(i, _)| i.clone()).collect();
        let recorded = store.record_alerts(&incidents, received).await?;
        for ((incident, context), r) in batch.iter().zip(&recorded) {
            let vector = embedder.embed_one(&incident_text(incident, context));
            store
                .put_vector(&crate::memory::StoredVector {
                    incident_id: r.id().to_string(),
                    embedder: HashedEmbedder::NAME.into(),
                    vector,
                    payload: payload(r.id(), incident),
                    created_at: received,
                })
                .await?;
        }
    }
    let write = started.elapsed();
    let t = Instant::now();
    let index = Arc::new(EmbeddedIndex::open(store.clone(), HashedEmbedder::NAME, args.dims).await?);
    let load = t.elapsed();
    anyhow::ensure!(
        index.len().await? == args.persisted,
        "the index loaded {} vectors, expected {}",
        index.len().await?,
        args.persisted
    );
    let memory = Memory::new(embedder, index.clone(), store.clone(), args.k)?;
    let mut recalls = Vec::with_capacity(queries.len());
    for (incident, context) in queries {
        let t = Instant::now();
        let found = memory.similar_to(incident, context, None).await?;
        recalls.push(t.elapsed());
        anyhow::ensure!(
            found.len() == args.k,
            "a recall found {} incidents, expected {}",
            found.len(),
            args.k
        );
    }
    let recall = Figures::of(recalls);
    println!(
        "persisted ({} incidents, SQLite): stored in {:.1?}; index loaded at start in {:.1?}",
        thousands(args.persisted),
        write,
        load
    );
    println!(
        "{:<46} {:>10.3?} {:>10.3?} {:>10.3?}",
        "recall: embed + search + read k from store", recall.median, recall.p99, recall.mean
    );
    store.close().await;
    Ok(())
}

/// The payload of a synthetic incident.
fn payload(id: &str, incident: &Incident) -> Payload {
    Payload {
        incident_id: id.to_string(),
        alertname: incident.alertname.clone(),
        fingerprint: incident.fingerprint.clone(),
        starts_at: incident.starts_at,
        namespace: incident.labels.get("namespace").cloned(),
        target: incident.target.as_ref().map(|t| t.to_string()),
        action: Some("escalate".into()),
        outcome: Some("escalated".into()),
        score: None,
    }
}

/// `100000` as `100k`.
fn thousands(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// `n` characters of Kubernetes' generated-name alphabet.
    fn suffix(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n).map(|_| ALPHABET[self.below(ALPHABET.len())] as char).collect()
    }
}

const NAMESPACES: &[&str] = &[
    "shop", "billing", "search", "payments", "db", "logging", "queue", "auth", "media", "ml", "edge", "ops",
];
const APPS: &[&str] = &[
    "api",
    "web",
    "worker",
    "cart",
    "checkout",
    "indexer",
    "ranker",
    "gateway",
    "ledger",
    "notifier",
    "exporter",
    "scheduler",
    "uploader",
    "resizer",
    "auth",
    "session",
];
const OOM_LOGS: &[&str] = &[
    "java.lang.OutOfMemoryError: Java heap space",
    "fatal error: runtime: out of memory",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    "MemoryError: Unable to allocate 512. MiB for an array",
];
const CONFIG_LOGS: &[&str] = &[
    "panic: missing required environment variable DATABASE_URL",
    "Error: config file /etc/app/config.yaml: no such file or directory",
    "FATAL: invalid value for --port: strconv.Atoi: parsing \"http\": invalid syntax",
];
const REGISTRIES: &[&str] = &["registry.example.com", "ghcr.io/acme", "docker.io/acme", "quay.io/acme"];
const NODE_REASONS: &[&str] = &["NodeStatusUnknown", "KubeletNotReady"];
const VOLUME_LOGS: &[&str] = &[
    "FATAL: could not write to file \"pg_wal/xlogtemp.123\": No space left on device",
    "ERROR Error while appending records to events-3: No space left on device",
    "flood stage disk watermark [95%] exceeded",
];

/// Synthetic incident number `i`, of a family chosen by `i`.
fn synthetic(rng: &mut Rng, i: usize) -> (Incident, Context) {
    let namespace = rng.pick(NAMESPACES);
    let app = rng.pick(APPS);
    let pod = format!("{app}-{}-{}", rng.suffix(9), rng.suffix(5));
    let mut labels = Labels::from([
        ("namespace".to_string(), namespace.to_string()),
        ("job".to_string(), "kube-state-metrics".to_string()),
        (
            "instance".to_string(),
            format!("10.{}.{}.{}:8080", rng.below(255), rng.below(255), rng.below(255)),
        ),
    ]);
    let mut context = Context::default();
    let (alertname, description) = match i % 5 {
        0 | 1 => {
            labels.insert("pod".into(), pod.clone());
            let (reason, code, log) = if i.is_multiple_of(5) {
                ("OOMKilled", 137, rng.pick(OOM_LOGS))
            } else {
                ("Error", 1, rng.pick(CONFIG_LOGS))
            };
            context.pods = vec![pod_facts(&pod, "CrashLoopBackOff", None, Some((reason, code)))];
            context.events = vec![event(
                &pod,
                "BackOff",
                format!("Back-off restarting failed container app in pod {pod}"),
            )];
            context.logs = vec![LogTail {
                pod: pod.clone(),
                container: "app".into(),
                previous: true,
                text: format!("{log}\n"),
                truncated: false,
            }];
            (
                "KubePodCrashLooping",
                format!("Pod {namespace}/{pod} (app) is in waiting state (reason: \"CrashLoopBackOff\")."),
            )
        }
        2 => {
            labels.insert("pod".into(), pod.clone());
            let image = format!(
                "{}/{app}:v{}.{}.{}",
                rng.pick(REGISTRIES),
                rng.below(5),
                rng.below(30),
                rng.below(10)
            );
            let message = format!("Back-off pulling image \"{image}\"");
            context.pods = vec![pod_facts(&pod, "ImagePullBackOff", Some(message.clone()), None)];
            context.events = vec![
                event(
                    &pod,
                    "Failed",
                    format!("Failed to pull image \"{image}\": rpc error: code = NotFound"),
                ),
                event(&pod, "BackOff", message),
            ];
            (
                "KubePodNotReady",
                format!("Pod {namespace}/{pod} has been in a non-ready state for longer than 15 minutes."),
            )
        }
        3 => {
            labels.remove("namespace");
            let node = format!("ip-10-0-{}-{}.ec2.internal", rng.below(255), rng.below(255));
            labels.insert("node".into(), node.clone());
            let reason = rng.pick(NODE_REASONS);
            context.node = Some(NodeFacts {
                name: node.clone(),
                ready: false,
                unschedulable: false,
                conditions: vec![
                    format!("Ready=Unknown ({reason})"),
                    format!("MemoryPressure=Unknown ({reason})"),
                ],
            });
            context.events = vec![event(
                &node,
                "NodeNotReady",
                format!("Node {node} status is now: NodeNotReady"),
            )];
            (
                "KubeNodeNotReady",
                format!("{node} has been unready for more than 15 minutes."),
            )
        }
        _ => {
            let claim = format!("data-{app}-{}", rng.below(4));
            labels.insert("persistentvolumeclaim".into(), claim.clone());
            context.logs = vec![LogTail {
                pod: format!("{app}-0"),
                container: "app".into(),
                previous: false,
                text: format!("{}\n", rng.pick(VOLUME_LOGS)),
                truncated: false,
            }];
            (
                "KubePersistentVolumeFillingUp",
                format!(
                    "The PersistentVolume claimed by {claim} in Namespace {namespace} is only {}.{}% free.",
                    rng.below(4),
                    rng.below(100)
                ),
            )
        }
    };
    labels.insert("alertname".into(), alertname.into());
    let target = labels.get("pod").map(|p| TargetRef {
        kind: TargetKind::Pod,
        namespace: Some(namespace.into()),
        name: p.clone(),
        container: None,
    });
    let incident = Incident {
        source: "alertmanager".into(),
        fingerprint: format!("{:016x}", rng.next()),
        status: AlertStatus::Firing,
        alertname: alertname.into(),
        severity: Some("warning".into()),
        labels,
        annotations: Labels::from([("description".to_string(), description)]),
        starts_at: Timestamp::from_second(1_772_323_200 + i as i64).unwrap_or(Timestamp::UNIX_EPOCH),
        ends_at: None,
        generator_url: None,
        receiver: Some("bench".into()),
        group_key: None,
        target,
    };
    (incident, context)
}

fn pod_facts(pod: &str, waiting: &str, message: Option<String>, terminated: Option<(&str, i32)>) -> PodFacts {
    PodFacts {
        name: pod.into(),
        phase: Some("Running".into()),
        ready: false,
        node: None,
        terminating: false,
        containers: vec![ContainerFacts {
            name: "app".into(),
            ready: false,
            restart_count: 5,
            waiting_reason: Some(waiting.into()),
            waiting_message: message,
            last_termination_reason: terminated.map(|(r, _)| r.into()),
            last_exit_code: terminated.map(|(_, c)| c),
            image: None,
            memory_limit: None,
            cpu_limit: None,
        }],
    }
}

fn event(object: &str, reason: &str, message: String) -> EventFacts {
    EventFacts {
        object: object.into(),
        type_: "Warning".into(),
        reason: reason.into(),
        message,
        count: 3,
        last_seen: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_take_the_median_and_the_99th_percentile() {
        let f = Figures::of((1..=100).map(Duration::from_millis).collect());
        assert_eq!(f.median, Duration::from_millis(50));
        assert_eq!(f.p99, Duration::from_millis(99));
        assert_eq!(thousands(100_000), "100k");
        assert_eq!(thousands(1500), "1500");
    }

    #[test]
    fn synthetic_incidents_are_deterministic_and_of_every_family() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let names: Vec<String> = (0..5).map(|i| synthetic(&mut a, i).0.alertname).collect();
        assert_eq!(
            names,
            [
                "KubePodCrashLooping",
                "KubePodCrashLooping",
                "KubePodNotReady",
                "KubeNodeNotReady",
                "KubePersistentVolumeFillingUp"
            ]
        );
        let mut a = Rng::new(7);
        assert_eq!(synthetic(&mut a, 3).0, synthetic(&mut b, 3).0);
    }

    #[tokio::test]
    async fn runs_small() {
        let args = SimilarBenchArgs {
            sizes: vec![200, 100],
            queries: 10,
            k: 3,
            dims: 64,
            persisted: 50,
        };
        assert_eq!(run(args).await.unwrap(), ExitCode::SUCCESS);
    }
}
