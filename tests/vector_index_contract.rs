//! The `VectorIndex` contract, run against every implementation:
//!
//! - `embedded_sqlite`: the embedded index persisted in a SQLite store in a temporary
//!   directory;
//! - `embedded_postgres`: the embedded index persisted in a fresh scratch database on the
//!   PostgreSQL server of `MEDIC_TEST_DATABASE_URL` (default
//!   `postgres://postgres@127.0.0.1:5432/`), dropped afterwards;
//! - `qdrant`: a fresh collection on the Qdrant server of `MEDIC_TEST_QDRANT_URL` (gRPC,
//!   e.g. `http://127.0.0.1:6334`), deleted afterwards. When the variable is not set,
//!   each Qdrant test prints `SKIPPED: qdrant contract ... (MEDIC_TEST_QDRANT_URL not set)`
//!   and passes.
//!
//! Each property is one generic `async fn(&Subject)`; [`contract!`] instantiates it per
//! implementation, as `embedded_sqlite::NAME`, `embedded_postgres::NAME`, `qdrant::NAME`.

use std::sync::Arc;

use jiff::Timestamp;
use medic::incident::{AlertStatus, Incident, Labels};
use medic::memory::{EmbeddedIndex, MemoryError, Payload, QdrantIndex, SearchFilter, VectorIndex};
use medic::store::{SqlStore, Store};
use tempfile::TempDir;

/// Dimensions of the test vectors.
const DIMS: usize = 16;
/// Ids prepared per subject.
const IDS: usize = 40;
/// The embedder name the embedded index is opened with.
const EMBEDDER: &str = "contract-test-v1";

// ---------------------------------------------------------------------------------------
// Subjects

/// An index under test, with ids it may store under and a way to open it again.
struct Subject {
    index: Arc<dyn VectorIndex>,
    ids: Vec<String>,
    backend: Backend,
}

enum Backend {
    Embedded {
        store: Arc<SqlStore>,
        _dir: Option<TempDir>,
        _pg: Option<PgDatabase>,
    },
    Qdrant {
        url: String,
        collection: String,
    },
}

impl Subject {
    async fn embedded_sqlite() -> Subject {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Arc::new(SqlStore::sqlite_in(dir.path()).await.expect("SQLite store"));
        Subject::embedded(store, Some(dir), None).await
    }

    async fn embedded_postgres() -> Subject {
        let pg = PgDatabase::create().await;
        let store = Arc::new(SqlStore::connect(&pg.url).await.expect("PostgreSQL store"));
        Subject::embedded(store, None, Some(pg)).await
    }

    /// The embedded index on `store`, with [`IDS`] stored incidents to index.
    async fn embedded(store: Arc<SqlStore>, dir: Option<TempDir>, pg: Option<PgDatabase>) -> Subject {
        let incidents: Vec<Incident> = (0..IDS).map(incident).collect();
        let recorded = store.record_alerts(&incidents, at(0)).await.expect("record incidents");
        let ids = recorded.iter().map(|r| r.id().to_string()).collect();
        let index = EmbeddedIndex::open(store.clone(), EMBEDDER, DIMS)
            .await
            .expect("open the embedded index");
        Subject {
            index: Arc::new(index),
            ids,
            backend: Backend::Embedded {
                store,
                _dir: dir,
                _pg: pg,
            },
        }
    }

    /// A fresh collection on the Qdrant server of `MEDIC_TEST_QDRANT_URL`; `None` when
    /// the variable is not set.
    async fn qdrant() -> Option<Subject> {
        let url = std::env::var("MEDIC_TEST_QDRANT_URL").ok().filter(|u| !u.is_empty())?;
        let collection = format!("medic_contract_{}", uuid::Uuid::new_v4().simple());
        let index = QdrantIndex::connect(&url, &collection, DIMS, None)
            .await
            .expect("connect to Qdrant and create the collection");
        // Half the ids are UUIDs (as medic's are), half not (mapped to UUIDs).
        let ids = (0..IDS)
            .map(|i| {
                if i % 2 == 0 {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    format!("incident-{i}")
                }
            })
            .collect();
        Some(Subject {
            index: Arc::new(index),
            ids,
            backend: Backend::Qdrant { url, collection },
        })
    }

    /// The same index opened again, as after a restart.
    async fn reopen(&self) -> Arc<dyn VectorIndex> {
        match &self.backend {
            Backend::Embedded { store, .. } => Arc::new(
                EmbeddedIndex::open(store.clone(), EMBEDDER, DIMS)
                    .await
                    .expect("reopen the embedded index"),
            ),
            Backend::Qdrant { url, collection } => Arc::new(
                QdrantIndex::connect(url, collection, DIMS, None)
                    .await
                    .expect("reconnect to Qdrant"),
            ),
        }
    }
}

impl Drop for Subject {
    fn drop(&mut self) {
        if let Backend::Qdrant { url, collection } = &self.backend {
            let (url, collection) = (url.clone(), collection.clone());
            // Best effort, on a thread of its own: drop may run inside the test's runtime.
            let deleter = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let client = qdrant_client::Qdrant::from_url(&url)
                        .skip_compatibility_check()
                        .build()
                        .ok()?;
                    client.delete_collection(collection).await.ok()
                })
            });
            let _ = deleter.join();
        }
    }
}

/// A PostgreSQL database created for one test, dropped afterwards.
struct PgDatabase {
    server: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> PgDatabase {
        let server = std::env::var("MEDIC_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".to_string());
        let (url, name) = medic::store::sql::create_scratch_postgres(&server)
            .await
            .expect("create the test database");
        PgDatabase { server, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime
                .block_on(medic::store::sql::drop_scratch_postgres(&server, &name))
                .ok()
        });
        let _ = dropper.join();
    }
}

/// Says that a Qdrant test was skipped, on the process's standard error itself so that
/// the test harness's output capture does not swallow it.
fn skipped(test: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: qdrant contract {test} (MEDIC_TEST_QDRANT_URL not set)"
    );
}

/// Instantiates each contract test for every implementation.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod embedded_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let subject = super::Subject::embedded_sqlite().await;
                    super::$name(&subject).await;
                }
            )*
        }
        mod embedded_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let subject = super::Subject::embedded_postgres().await;
                    super::$name(&subject).await;
                }
            )*
        }
        mod qdrant {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(subject) = super::Subject::qdrant().await else {
                        super::skipped(stringify!($name));
                        return;
                    };
                    super::$name(&subject).await;
                }
            )*
        }
    };
}

contract!(
    upsert_then_search_finds_it_first,
    k_is_respected,
    results_are_ordered_by_cosine,
    upsert_replaces,
    delete_removes,
    payload_round_trips,
    filters_are_applied,
    unusable_vectors_are_refused,
    persists_across_reopen,
);

// ---------------------------------------------------------------------------------------
// Fixtures

/// `2026-03-01T00:00:00Z` plus `seconds`.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_772_323_200 + seconds).expect("valid time")
}

/// Incident number `i` (only stored, for the embedded index's foreign key).
fn incident(i: usize) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: format!("{i:016x}"),
        status: AlertStatus::Firing,
        alertname: "KubePodCrashLooping".into(),
        severity: None,
        labels: Labels::from([("alertname".to_string(), "KubePodCrashLooping".to_string())]),
        annotations: Labels::new(),
        starts_at: at(i as i64),
        ends_at: None,
        generator_url: None,
        receiver: None,
        group_key: None,
        target: None,
    }
}

/// A deterministic pseudo-random vector (xorshift), different per seed.
fn vector(seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..DIMS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// A vector close to `base`: `base` plus a small step along another vector.
fn near(base: &[f32], seed: u64, step: f32) -> Vec<f32> {
    base.iter().zip(vector(seed)).map(|(b, d)| b + step * d).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// A payload for `id`.
fn payload(id: &str, alertname: &str, namespace: Option<&str>) -> Payload {
    Payload {
        incident_id: id.to_string(),
        alertname: alertname.into(),
        fingerprint: format!("fp-{id}"),
        starts_at: at(0),
        namespace: namespace.map(str::to_string),
        target: None,
        action: None,
        outcome: None,
        score: None,
    }
}

/// Stores `n` random vectors under the first `n` ids; returns the vectors.
async fn fill(s: &Subject, n: usize) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(n);
    for (i, id) in s.ids.iter().take(n).enumerate() {
        let v = vector(i as u64 + 1);
        s.index
            .upsert(id, &v, &payload(id, "KubePodCrashLooping", Some("shop")))
            .await
            .expect("upsert");
        out.push(v);
    }
    out
}

// ---------------------------------------------------------------------------------------
// The contract

async fn upsert_then_search_finds_it_first(s: &Subject) {
    assert!(s.index.is_empty().await.unwrap());
    let vectors = fill(s, 20).await;
    assert_eq!(s.index.len().await.unwrap(), 20);
    for i in [0, 7, 19] {
        let hits = s.index.search(&vectors[i], 3, None).await.unwrap();
        assert_eq!(hits[0].id, s.ids[i], "vector {i} finds itself first");
        assert!(
            (hits[0].score - 1.0).abs() < 1e-4,
            "cosine with itself is 1: {}",
            hits[0].score
        );
    }
    // A vector near one stored finds that one first.
    let hits = s.index.search(&near(&vectors[4], 99, 0.05), 1, None).await.unwrap();
    assert_eq!(hits[0].id, s.ids[4]);
}

async fn k_is_respected(s: &Subject) {
    fill(s, 12).await;
    let q = vector(1000);
    for k in [1, 5, 12] {
        assert_eq!(s.index.search(&q, k, None).await.unwrap().len(), k);
    }
    assert_eq!(
        s.index.search(&q, 50, None).await.unwrap().len(),
        12,
        "at most what is stored"
    );
    assert!(s.index.search(&q, 0, None).await.unwrap().is_empty());
}

async fn results_are_ordered_by_cosine(s: &Subject) {
    let vectors = fill(s, 25).await;
    let q = vector(4242);
    let hits = s.index.search(&q, 25, None).await.unwrap();
    assert_eq!(hits.len(), 25);
    for w in hits.windows(2) {
        assert!(
            w[0].score >= w[1].score,
            "best first: {} then {}",
            w[0].score,
            w[1].score
        );
    }
    for hit in &hits {
        let i = s.ids.iter().position(|id| *id == hit.id).expect("a stored id");
        let expected = cosine(&q, &vectors[i]);
        assert!(
            (hit.score - expected).abs() < 1e-4,
            "{}: score {} cosine {expected}",
            hit.id,
            hit.score
        );
    }
    let mut by_cosine: Vec<(usize, f32)> = vectors.iter().enumerate().map(|(i, v)| (i, cosine(&q, v))).collect();
    by_cosine.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(hits[0].id, s.ids[by_cosine[0].0]);
    assert_eq!(hits[24].id, s.ids[by_cosine[24].0]);
}

async fn upsert_replaces(s: &Subject) {
    let vectors = fill(s, 10).await;
    let id = &s.ids[3];
    let replacement = vector(777);
    let mut p = payload(id, "KubeNodeNotReady", None);
    p.action = Some("cordon_node".into());
    s.index.upsert(id, &replacement, &p).await.unwrap();
    assert_eq!(s.index.len().await.unwrap(), 10, "one vector per id");
    let hits = s.index.search(&replacement, 1, None).await.unwrap();
    assert_eq!(hits[0].id, *id);
    assert_eq!(hits[0].payload, p);
    let old = s.index.search(&vectors[3], 10, None).await.unwrap();
    let old_hit = old.iter().find(|h| h.id == *id).expect("still stored");
    assert!(old_hit.score < 0.999, "the old vector is gone: {}", old_hit.score);
}

async fn delete_removes(s: &Subject) {
    let vectors = fill(s, 10).await;
    s.index.delete(&s.ids[2]).await.unwrap();
    assert_eq!(s.index.len().await.unwrap(), 9);
    let hits = s.index.search(&vectors[2], 10, None).await.unwrap();
    assert!(hits.iter().all(|h| h.id != s.ids[2]));
    s.index.delete(&s.ids[2]).await.expect("deleting twice is not an error");
    s.index
        .delete(&s.ids[30])
        .await
        .expect("deleting a never-stored id is not an error");
    assert_eq!(s.index.len().await.unwrap(), 9);
}

async fn payload_round_trips(s: &Subject) {
    let id = &s.ids[5];
    let full = Payload {
        incident_id: id.clone(),
        alertname: "KubePersistentVolumeFillingUp".into(),
        fingerprint: "c0ffee0123456789".into(),
        starts_at: Timestamp::from_millisecond(1_772_323_200_123).unwrap(),
        namespace: Some("db".into()),
        target: Some("PersistentVolumeClaim/db/data-postgres-0".into()),
        action: Some("expand_pvc".into()),
        outcome: Some("executed".into()),
        score: Some(0.875),
    };
    let v = vector(55);
    s.index.upsert(id, &v, &full).await.unwrap();
    let sparse_id = &s.ids[6];
    let sparse = payload(sparse_id, "KubeNodeNotReady", None);
    let w = vector(66);
    s.index.upsert(sparse_id, &w, &sparse).await.unwrap();
    assert_eq!(s.index.search(&v, 1, None).await.unwrap()[0].payload, full);
    assert_eq!(s.index.search(&w, 1, None).await.unwrap()[0].payload, sparse);
}

async fn filters_are_applied(s: &Subject) {
    for (i, id) in s.ids.iter().take(12).enumerate() {
        let (alertname, namespace) = match i % 3 {
            0 => ("KubePodCrashLooping", Some("shop")),
            1 => ("KubePodCrashLooping", Some("billing")),
            _ => ("KubeNodeNotReady", None),
        };
        s.index
            .upsert(id, &vector(i as u64 + 1), &payload(id, alertname, namespace))
            .await
            .unwrap();
    }
    let q = vector(1);
    let by_name = SearchFilter {
        alertname: Some("KubeNodeNotReady".into()),
        ..SearchFilter::default()
    };
    let hits = s.index.search(&q, 12, Some(&by_name)).await.unwrap();
    assert_eq!(hits.len(), 4);
    assert!(hits.iter().all(|h| h.payload.alertname == "KubeNodeNotReady"));
    let by_ns = SearchFilter {
        namespace: Some("billing".into()),
        ..SearchFilter::default()
    };
    let hits = s.index.search(&q, 12, Some(&by_ns)).await.unwrap();
    assert_eq!(hits.len(), 4);
    assert!(hits.iter().all(|h| h.payload.namespace.as_deref() == Some("billing")));
    let excluding = SearchFilter {
        exclude: vec![s.ids[0].clone(), s.ids[3].clone()],
        ..SearchFilter::default()
    };
    let hits = s.index.search(&q, 12, Some(&excluding)).await.unwrap();
    assert_eq!(hits.len(), 10);
    assert!(hits.iter().all(|h| h.id != s.ids[0] && h.id != s.ids[3]));
}

async fn unusable_vectors_are_refused(s: &Subject) {
    let id = &s.ids[0];
    let p = payload(id, "A", None);
    assert!(matches!(
        s.index.upsert(id, &[1.0, 2.0], &p).await,
        Err(MemoryError::Dimensions {
            expected: DIMS,
            found: 2,
            ..
        })
    ));
    assert!(matches!(
        s.index.upsert(id, &[0.0; DIMS], &p).await,
        Err(MemoryError::BadVector { .. })
    ));
    let mut nan = vector(1);
    nan[3] = f32::NAN;
    assert!(matches!(
        s.index.upsert(id, &nan, &p).await,
        Err(MemoryError::BadVector { .. })
    ));
    assert!(matches!(
        s.index.search(&[1.0; 3], 1, None).await,
        Err(MemoryError::Dimensions { .. })
    ));
    assert_eq!(s.index.len().await.unwrap(), 0, "nothing was written");
}

async fn persists_across_reopen(s: &Subject) {
    let vectors = fill(s, 15).await;
    s.index.delete(&s.ids[1]).await.unwrap();
    let reopened = s.reopen().await;
    assert_eq!(reopened.len().await.unwrap(), 14);
    let hits = reopened.search(&vectors[9], 1, None).await.unwrap();
    assert_eq!(hits[0].id, s.ids[9]);
    assert_eq!(hits[0].payload, payload(&s.ids[9], "KubePodCrashLooping", Some("shop")));
    assert!(
        reopened
            .search(&vectors[1], 15, None)
            .await
            .unwrap()
            .iter()
            .all(|h| h.id != s.ids[1])
    );
}

// ---------------------------------------------------------------------------------------
// The embedded index only

/// Vectors of another embedder (or size) stay stored but are neither loaded nor searched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_passes_over_other_embedders() {
    let s = Subject::embedded_sqlite().await;
    fill(&s, 6).await;
    let Backend::Embedded { store, .. } = &s.backend else {
        unreachable!("an embedded subject")
    };
    let other = EmbeddedIndex::open(store.clone(), "another-embedder", DIMS)
        .await
        .unwrap();
    assert_eq!(other.len().await.unwrap(), 0);
    assert_eq!(other.passed_over(), 6);
    other
        .upsert(&s.ids[10], &vector(5), &payload(&s.ids[10], "A", None))
        .await
        .unwrap();
    let wider = EmbeddedIndex::open(store.clone(), EMBEDDER, DIMS * 2).await.unwrap();
    assert_eq!(wider.len().await.unwrap(), 0);
    assert_eq!(wider.passed_over(), 7);
    let reopened = EmbeddedIndex::open(store.clone(), EMBEDDER, DIMS).await.unwrap();
    assert_eq!(reopened.len().await.unwrap(), 6);
    assert_eq!(reopened.passed_over(), 1);
}
