//! A labelled set of small incidents, as Alertmanager (kubernetes-mixin alerts) and the
//! context stage would describe them, in five families: OOM crash loops, crash loops from
//! a configuration error, image pull failures, nodes not ready, and full volumes.

use std::sync::Arc;

use jiff::Timestamp;
use tempfile::TempDir;

use crate::actions::{Action, Escalate};
use crate::context::{ContainerFacts, Context, EventFacts, LogTail, NodeFacts, PodFacts};
use crate::decide::{DecidedBy, Decision};
use crate::execute::{Outcome, OutcomeStatus};
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::memory::{EmbeddedIndex, HashedEmbedder, Memory};
use crate::policy::{Verdict, VerdictKind};
use crate::store::{DecisionRecord, ProcessingState, SqlStore, Store};

/// One labelled incident.
pub struct Case {
    /// Its family.
    pub family: &'static str,
    /// The alert.
    pub incident: Incident,
    /// What the context stage found.
    pub context: Context,
}

/// `2026-03-01T00:00:00Z` plus `minutes`.
pub fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_772_323_200 + minutes * 60).expect("valid time")
}

fn alert(alertname: &str, labels: &[(&str, &str)], description: String, summary: &str) -> Incident {
    let mut all = Labels::from([
        ("alertname".to_string(), alertname.to_string()),
        ("job".to_string(), "kube-state-metrics".to_string()),
        ("instance".to_string(), "10.2.0.15:8080".to_string()),
    ]);
    all.extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let fingerprint = format!("{:016x}", fnv(&format!("{all:?}")));
    Incident {
        source: "alertmanager".into(),
        fingerprint,
        status: AlertStatus::Firing,
        alertname: alertname.into(),
        severity: all.get("severity").cloned(),
        labels: all,
        annotations: Labels::from([
            ("description".to_string(), description),
            ("summary".to_string(), summary.to_string()),
            (
                "runbook_url".to_string(),
                format!(
                    "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{}",
                    alertname.to_lowercase()
                ),
            ),
        ]),
        starts_at: at(0),
        ends_at: None,
        generator_url: None,
        receiver: Some("medic".into()),
        group_key: None,
        target: None,
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn pod_target(namespace: &str, pod: &str) -> Option<TargetRef> {
    Some(TargetRef {
        kind: TargetKind::Pod,
        namespace: Some(namespace.into()),
        name: pod.into(),
        container: None,
    })
}

fn container(waiting: &str, message: Option<String>, terminated: Option<(&str, i32)>) -> ContainerFacts {
    ContainerFacts {
        name: "app".into(),
        ready: false,
        restart_count: 9,
        waiting_reason: Some(waiting.into()),
        waiting_message: message,
        last_termination_reason: terminated.map(|(r, _)| r.to_string()),
        last_exit_code: terminated.map(|(_, c)| c),
        image: None,
        memory_limit: Some("512Mi".into()),
        cpu_limit: None,
    }
}

fn pod(name: &str, container: ContainerFacts) -> PodFacts {
    PodFacts {
        name: name.into(),
        phase: Some("Running".into()),
        ready: false,
        node: Some("worker-3".into()),
        terminating: false,
        containers: vec![container],
    }
}

fn event(object: &str, reason: &str, message: String) -> EventFacts {
    EventFacts {
        object: object.into(),
        type_: "Warning".into(),
        reason: reason.into(),
        message,
        count: 14,
        last_seen: None,
    }
}

fn log(pod: &str, text: &str) -> LogTail {
    LogTail {
        pod: pod.into(),
        container: "app".into(),
        previous: true,
        text: text.into(),
        truncated: false,
    }
}

fn crash_looping(namespace: &str, pod: &str) -> Incident {
    let mut i = alert(
        "KubePodCrashLooping",
        &[
            ("namespace", namespace),
            ("pod", pod),
            ("container", "app"),
            ("severity", "warning"),
        ],
        format!("Pod {namespace}/{pod} (app) is in waiting state (reason: \"CrashLoopBackOff\")."),
        "Pod is crash looping.",
    );
    i.target = pod_target(namespace, pod);
    i
}

/// A container killed for exceeding its memory limit, crash looping.
pub fn oom(namespace: &str, pod_name: &str, log_line: &str) -> Case {
    Case {
        family: "oom",
        incident: crash_looping(namespace, pod_name),
        context: Context {
            pods: vec![pod(
                pod_name,
                container("CrashLoopBackOff", None, Some(("OOMKilled", 137))),
            )],
            events: vec![event(
                &format!("Pod/{pod_name}"),
                "BackOff",
                format!("Back-off restarting failed container app in pod {pod_name}_{namespace}"),
            )],
            logs: vec![log(pod_name, &format!("2026-03-01T00:00:01Z starting\n{log_line}\n"))],
            ..Context::default()
        },
    }
}

/// A container exiting on a configuration error, crash looping.
pub fn config_crash(namespace: &str, pod_name: &str, variable: &str) -> Case {
    Case {
        family: "config",
        incident: crash_looping(namespace, pod_name),
        context: Context {
            pods: vec![pod(pod_name, container("CrashLoopBackOff", None, Some(("Error", 1))))],
            events: vec![event(
                &format!("Pod/{pod_name}"),
                "BackOff",
                format!("Back-off restarting failed container app in pod {pod_name}_{namespace}"),
            )],
            logs: vec![log(
                pod_name,
                &format!("panic: missing required environment variable {variable}\ngoroutine 1 [running]:\n"),
            )],
            ..Context::default()
        },
    }
}

/// A pod whose image cannot be pulled.
pub fn image_pull(namespace: &str, pod_name: &str, image: &str) -> Case {
    let mut incident = alert(
        "KubePodNotReady",
        &[("namespace", namespace), ("pod", pod_name), ("severity", "warning")],
        format!("Pod {namespace}/{pod_name} has been in a non-ready state for longer than 15 minutes."),
        "Pod has been in a non-ready state for more than 15 minutes.",
    );
    incident.target = pod_target(namespace, pod_name);
    let mut waiting = pod(
        pod_name,
        container(
            "ImagePullBackOff",
            Some(format!("Back-off pulling image \"{image}\"")),
            None,
        ),
    );
    waiting.phase = Some("Pending".into());
    Case {
        family: "image",
        incident,
        context: Context {
            pods: vec![waiting],
            events: vec![
                event(
                    &format!("Pod/{pod_name}"),
                    "Failed",
                    format!(
                        "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack \
                         image \"{image}\": failed to resolve reference \"{image}\": not found"
                    ),
                ),
                event(
                    &format!("Pod/{pod_name}"),
                    "BackOff",
                    format!("Back-off pulling image \"{image}\""),
                ),
            ],
            ..Context::default()
        },
    }
}

/// A node that stopped reporting.
pub fn node_not_ready(node: &str, reason: &str) -> Case {
    let mut incident = alert(
        "KubeNodeNotReady",
        &[("node", node), ("severity", "warning")],
        format!("{node} has been unready for more than 15 minutes."),
        "Node is not ready.",
    );
    incident.target = Some(TargetRef {
        kind: TargetKind::Node,
        namespace: None,
        name: node.into(),
        container: None,
    });
    Case {
        family: "node",
        incident,
        context: Context {
            node: Some(NodeFacts {
                name: node.into(),
                ready: false,
                unschedulable: false,
                conditions: vec![
                    format!("Ready=Unknown ({reason})"),
                    format!("MemoryPressure=Unknown ({reason})"),
                    format!("DiskPressure=Unknown ({reason})"),
                ],
            }),
            events: vec![event(
                &format!("Node/{node}"),
                "NodeNotReady",
                format!("Node {node} status is now: NodeNotReady"),
            )],
            ..Context::default()
        },
    }
}

/// A persistent volume running out of space.
pub fn volume_full(namespace: &str, claim: &str, free: &str, log_line: &str) -> Case {
    let mut incident = alert(
        "KubePersistentVolumeFillingUp",
        &[
            ("namespace", namespace),
            ("persistentvolumeclaim", claim),
            ("severity", "critical"),
        ],
        format!("The PersistentVolume claimed by {claim} in Namespace {namespace} is only {free} free."),
        "PersistentVolume is filling up.",
    );
    incident.target = Some(TargetRef {
        kind: TargetKind::PersistentVolumeClaim,
        namespace: Some(namespace.into()),
        name: claim.into(),
        container: None,
    });
    Case {
        family: "volume",
        incident,
        context: Context {
            logs: vec![log(claim, &format!("{log_line}\n"))],
            ..Context::default()
        },
    }
}

/// The stored set: three of each family, and one configuration crash loop.
pub fn stored_set() -> Vec<Case> {
    vec![
        oom(
            "shop",
            "api-6f7c9d-x2x1z",
            "java.lang.OutOfMemoryError: Java heap space",
        ),
        oom(
            "billing",
            "invoicer-5d8b7c9f4-qq2zt",
            "fatal error: runtime: out of memory",
        ),
        oom(
            "search",
            "indexer-7c5d8-hk2vb",
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        ),
        image_pull("shop", "web-5b9f6d-7xk2p", "registry.example.com/shop/web:v2.3.1"),
        image_pull("payments", "gateway-84c7d9b5f-zl2mn", "ghcr.io/acme/gateway:1.18.0"),
        image_pull("search", "ranker-6d5f7-p9q2w", "docker.io/acme/ranker:2026.02.11"),
        node_not_ready("ip-10-0-3-17.ec2.internal", "NodeStatusUnknown"),
        node_not_ready("worker-7", "KubeletNotReady"),
        node_not_ready("gke-prod-pool-1-9f8e7d6c-x2w4", "NodeStatusUnknown"),
        volume_full(
            "db",
            "data-postgres-0",
            "2.47%",
            "FATAL: could not write to file \"pg_wal/xlogtemp.123\": No space left on device",
        ),
        volume_full(
            "logging",
            "data-elasticsearch-1",
            "1.2%",
            "flood stage disk watermark [95%] exceeded on [es-1]",
        ),
        volume_full(
            "queue",
            "data-kafka-2",
            "0.8%",
            "ERROR Error while appending records to events-3: No space left on device",
        ),
        config_crash("shop", "cart-7b8c9d6f5-k2lmn", "REDIS_URL"),
    ]
}

/// One new incident per family, unlike any stored one in names and numbers.
pub fn queries() -> Vec<Case> {
    vec![
        oom(
            "payments",
            "ledger-9c8b7a6d5-m4n5p",
            "java.lang.OutOfMemoryError: GC overhead limit exceeded",
        ),
        image_pull("billing", "exporter-7f6e5-d4c3b", "quay.io/acme/exporter:0.9.4"),
        node_not_ready("ip-10-0-9-201.ec2.internal", "NodeStatusUnknown"),
        volume_full(
            "metrics",
            "prometheus-db-prometheus-0",
            "3.1%",
            "level=error msg=\"compaction failed\" err=\"write /prometheus/wal: no space left on device\"",
        ),
        config_crash("billing", "notifier-5c4d3-b2a1z", "SMTP_PASSWORD"),
    ]
}

/// A store in a temporary directory with a memory on it (hashed embedder, embedded index).
pub struct Fixture {
    /// The store.
    pub store: Arc<SqlStore>,
    /// The memory.
    pub memory: Arc<Memory>,
    _dir: TempDir,
}

impl Fixture {
    /// An empty store and memory returning `k` incidents.
    pub async fn new(k: usize) -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Arc::new(SqlStore::sqlite_in(dir.path()).await.expect("SQLite store"));
        let embedder = Arc::new(HashedEmbedder::new(512));
        let index = Arc::new(
            EmbeddedIndex::open(store.clone(), HashedEmbedder::NAME, 512)
                .await
                .expect("index"),
        );
        let memory = Arc::new(Memory::new(embedder, index, store.clone(), k).expect("memory"));
        Fixture {
            store,
            memory,
            _dir: dir,
        }
    }

    /// Stores, decides (escalate) and indexes a case; returns its id.
    pub async fn remember(&self, case: &Case, minutes: i64) -> String {
        let mut incident = case.incident.clone();
        incident.starts_at = at(minutes);
        let recorded = self
            .store
            .record_alerts(&[incident.clone()], at(minutes))
            .await
            .expect("record");
        let id = recorded[0].id().to_string();
        let record = escalated(case.context.clone(), at(minutes + 1));
        self.store.save_result(&id, &record).await.expect("save decision");
        self.memory.remember(&id, &incident, &record).await.expect("index");
        id
    }
}

/// A decision record: escalated to a human, dry-run.
pub fn escalated(context: Context, decided_at: Timestamp) -> DecisionRecord {
    DecisionRecord {
        context,
        decision: Decision {
            action: Action::Escalate(Escalate {
                reason: Some("test".into()),
            }),
            target: None,
            rationale: "a human decides".into(),
            confidence: 1.0,
            decided_by: DecidedBy {
                decider: "fallback".into(),
                name: "escalate".into(),
            },
            alternatives: Vec::new(),
            llm: None,
        },
        verdict: Verdict {
            kind: VerdictKind::Allow,
            dry_run: true,
            checks: Vec::new(),
        },
        outcome: Outcome {
            status: OutcomeStatus::Planned,
            plan: None,
            results: Vec::new(),
            error: None,
            started_at: decided_at,
            finished_at: decided_at,
        },
        state: ProcessingState::Escalated,
        decided_at,
        latency_ms: 60_000,
        model: None,
        tokens_in: None,
        tokens_out: None,
        assessment: None,
    }
}

impl Fixture {
    /// A stored incident.
    pub async fn store_get(&self, id: &str) -> crate::store::StoredIncident {
        self.store.get(id).await.expect("read").expect("stored")
    }

    /// A second memory on the same store, loading the index afresh (as after a restart).
    pub async fn reopen(&self) -> Memory {
        let index = EmbeddedIndex::open(self.store.clone(), HashedEmbedder::NAME, 512)
            .await
            .expect("index");
        Memory::new(
            Arc::new(HashedEmbedder::new(512)),
            Arc::new(index),
            self.store.clone(),
            self.memory.k(),
        )
        .expect("memory")
    }
}
