//! The simulated cluster's applied-operations journal: the persistent state of a
//! simulated cluster (`cluster: {kind: sim, fixture: F, journal: J}`).
//!
//! The journal is a JSON Lines file, one line per successful write
//! (`{"at": "...", "op": <Operation>, "pid": 1234}`). At start the fixture is loaded and
//! every entry is replayed onto it in order, so the cluster a process sees after a
//! restart is the one it left. While running, each successful cluster-changing
//! [`Operation`] (patch, delete, create, evict; never exec) is appended with a single
//! `write` on a file opened with `O_APPEND`, then `sync_data`, before `apply` returns:
//! several processes may share one journal (each line lands whole, never interleaved),
//! and a `kill -9` loses at most the write in flight.
//!
//! Replay is forgiving, because a journal outlives the processes that wrote it:
//! a line that does not parse (a torn last line after a crash, or damage) is skipped with
//! a warning; an entry the cluster refuses at replay (its object is gone, say) is logged
//! and skipped. Preconditions recorded in an operation (a delete's uid, a JSON patch's
//! `test` of a value) were checked when the write was made; replay drops them, because
//! uids and resourceVersions are re-issued at every load and differ from the ones the
//! writing process saw when several processes shared the journal.
//!
//! This module only records and replays what was applied: it must not decide anything,
//! and must not write anything but the journal file.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SimCluster;
use super::apply::apply;
use super::controllers::reconcile;
use super::store::{Clock, Store};
use crate::cluster::{Operation, PatchBody};

/// One journal line: an operation the cluster applied, when, and by which process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When it was applied.
    pub at: Timestamp,
    /// The operation, as `Cluster::apply` received it.
    pub op: Operation,
    /// The id of the process that applied it.
    pub pid: u32,
}

/// A journal that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be opened, read or written.
    #[error("simulated cluster journal {path}: cannot {doing}: {source}")]
    Io {
        /// The journal file.
        path: String,
        /// What was being done (`read`, `open for appending`, `append`).
        doing: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// What a journal file holds.
#[derive(Debug, Default)]
pub struct Contents {
    /// The entries that parsed, with their 1-based line numbers, in file order.
    pub entries: Vec<(usize, Entry)>,
    /// The lines that did not parse (torn or damaged), with their line numbers and the
    /// parser's message.
    pub unreadable: Vec<(usize, String)>,
    /// Whether the file ends in the middle of a line (a torn last write).
    pub torn_tail: bool,
}

/// Reads a journal file; a missing file is an empty journal.
pub fn read(path: &Path) -> Result<Contents, JournalError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Contents::default()),
        Err(source) => {
            return Err(JournalError::Io {
                path: path.display().to_string(),
                doing: "read",
                source,
            });
        }
    };
    Ok(parse(&bytes))
}

/// Parses journal bytes: every non-empty line is an entry or is unreadable.
fn parse(bytes: &[u8]) -> Contents {
    let mut contents = Contents {
        torn_tail: !bytes.is_empty() && !bytes.ends_with(b"\n"),
        ..Contents::default()
    };
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(line) {
            Ok(entry) => contents.entries.push((i + 1, entry)),
            Err(e) => contents.unreadable.push((i + 1, e.to_string())),
        }
    }
    contents
}

/// Whether an operation changes the cluster, so that it is journaled (an exec runs a
/// command and changes nothing the simulation models; a notify is not a cluster call).
pub fn changes_cluster(op: &Operation) -> bool {
    match op {
        Operation::Patch { .. } | Operation::Delete { .. } | Operation::Create { .. } | Operation::Evict { .. } => true,
        Operation::Exec { .. } | Operation::Notify { .. } => false,
    }
}

/// How a replay went.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// Entries applied.
    pub applied: usize,
    /// Entries the cluster refused (logged).
    pub refused: usize,
    /// Lines that did not parse (logged).
    pub unreadable: usize,
}

/// Applies the journal's entries to `store` in order, running the controllers after each
/// as a live write does. With the system clock, each entry is applied at its own time,
/// so what it created carries that time.
pub(super) fn replay(store: &mut Store, contents: &Contents, path: &Path) -> Replayed {
    let shown = path.display();
    let last_line = contents
        .entries
        .last()
        .map(|(n, _)| *n)
        .into_iter()
        .chain(contents.unreadable.last().map(|(n, _)| *n))
        .max()
        .unwrap_or(0);
    for (line, message) in &contents.unreadable {
        if *line == last_line {
            tracing::warn!(journal = %shown, line, error = %message, "skipping a torn last line of the simulated cluster journal (a write cut short)");
        } else {
            tracing::warn!(journal = %shown, line, error = %message, "skipping an unreadable line of the simulated cluster journal");
        }
    }
    let mut replayed = Replayed {
        unreadable: contents.unreadable.len(),
        ..Replayed::default()
    };
    let clock = store.clock;
    for (line, entry) in &contents.entries {
        if clock == Clock::System {
            store.clock = Clock::Fixed(entry.at);
        }
        let op = without_preconditions(&entry.op);
        match apply(store, &op) {
            Ok(_) => {
                replayed.applied += 1;
                reconcile(store);
            }
            Err(e) => {
                replayed.refused += 1;
                tracing::warn!(journal = %shown, line, operation = %entry.op.describe(), error = %e, "the simulated cluster refused a journal entry at replay; skipped");
            }
        }
        store.clock = clock;
    }
    if !contents.entries.is_empty() || !contents.unreadable.is_empty() {
        reconcile(store);
        tracing::info!(
            journal = %shown,
            applied = replayed.applied,
            refused = replayed.refused,
            unreadable = replayed.unreadable,
            "replayed the simulated cluster journal"
        );
    }
    replayed
}

/// The operation without what only held when it was first applied: a delete's uid
/// precondition and a JSON patch's `test` operations.
fn without_preconditions(op: &Operation) -> Operation {
    match op {
        Operation::Delete {
            target,
            grace_period_seconds,
            ..
        } => Operation::Delete {
            target: target.clone(),
            grace_period_seconds: *grace_period_seconds,
            uid: None,
        },
        Operation::Patch {
            target,
            subresource,
            patch: PatchBody::Json(Value::Array(ops)),
        } => Operation::Patch {
            target: target.clone(),
            subresource: subresource.clone(),
            patch: PatchBody::Json(Value::Array(
                ops.iter()
                    .filter(|o| o.get("op").and_then(Value::as_str) != Some("test"))
                    .cloned()
                    .collect(),
            )),
        },
        other => other.clone(),
    }
}

impl SimCluster {
    /// Gives the cluster a journal: replays the entries of `path` (created when missing)
    /// onto the loaded objects, then appends every successful cluster-changing write to
    /// it. Unreadable lines and refused entries are logged and skipped.
    pub fn with_journal(mut self, path: &Path) -> Result<SimCluster, JournalError> {
        let contents = read(path)?;
        replay(&mut self.lock(), &contents, path);
        self.journal = Some(Journal::open(path, contents.torn_tail)?);
        self.source = format!("{} and the journal {}", self.source, path.display());
        Ok(self)
    }

    /// Replays the entries of the journal at `path` without attaching it (later writes
    /// are not recorded).
    pub fn replay_journal(&self, path: &Path) -> Result<Replayed, JournalError> {
        let contents = read(path)?;
        Ok(replay(&mut self.lock(), &contents, path))
    }

    /// The journal file, when the cluster has one.
    pub fn journal_path(&self) -> Option<&Path> {
        self.journal.as_ref().map(Journal::path)
    }
}

/// The journal, open for appending.
#[derive(Debug)]
pub(super) struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens (creating) the journal for appending. `torn_tail`: the file ends in the
    /// middle of a line, which is ended first so the next entry starts a line of its own.
    pub fn open(path: &Path, torn_tail: bool) -> Result<Journal, JournalError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| JournalError::Io {
                path: path.display().to_string(),
                doing: "open for appending",
                source,
            })?;
        let journal = Journal {
            path: path.to_path_buf(),
            file,
        };
        if torn_tail {
            journal.write_line(b"\n")?;
        }
        Ok(journal)
    }

    /// Appends one entry for `op`, durably (the data is synced before this returns).
    pub fn append(&self, op: &Operation) -> Result<(), JournalError> {
        let entry = Entry {
            at: Timestamp::now(),
            op: op.clone(),
            pid: std::process::id(),
        };
        let mut line = serde_json::to_vec(&entry).map_err(|e| self.error("append", io::Error::other(e)))?;
        line.push(b'\n');
        self.write_line(&line)
    }

    /// Writes `line` with one `write` (O_APPEND: it lands whole at the end, never
    /// interleaved with another process's), then syncs the data.
    fn write_line(&self, line: &[u8]) -> Result<(), JournalError> {
        let written = (&self.file).write(line).map_err(|e| self.error("append", e))?;
        if written != line.len() {
            // Writing the rest separately could interleave with another writer: the line
            // stays torn and is skipped at replay.
            return Err(self.error(
                "append",
                io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!("short write: {written} of {} bytes", line.len()),
                ),
            ));
        }
        self.file.sync_data().map_err(|e| self.error("sync", e))
    }

    fn error(&self, doing: &'static str, source: io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.display().to_string(),
            doing,
            source,
        }
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::cluster::{Cluster, ObjectRef};

    /// Two Deployments of one replica each, on one node.
    const TWO: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  allocatable: {cpu: "8", memory: 16Gi}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: ns}
spec:
  replicas: 1
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: "a:1"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: ns}
spec:
  replicas: 1
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: b, image: "b:1"}]}
"#;

    fn scale(name: &str, replicas: i64) -> Operation {
        Operation::Patch {
            target: ObjectRef::namespaced("Deployment", "ns", name),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": replicas}})),
        }
    }

    fn journaled(path: &Path) -> SimCluster {
        SimCluster::from_yaml(TWO).unwrap().with_journal(path).unwrap()
    }

    async fn replicas(sim: &SimCluster, name: &str) -> i64 {
        let d = sim
            .get(&ObjectRef::namespaced("Deployment", "ns", name))
            .await
            .unwrap()
            .unwrap();
        d.0["spec"]["replicas"].as_i64().unwrap()
    }

    async fn pods(sim: &SimCluster) -> usize {
        sim.list(&crate::cluster::Kind::of("Pod"), Some("ns"), None)
            .await
            .unwrap()
            .len()
    }

    #[tokio::test]
    async fn a_restart_replays_the_writes_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let sim = journaled(&path);
        sim.apply(&scale("a", 3)).await.unwrap();
        sim.apply(&scale("a", 2)).await.unwrap();
        sim.apply(&scale("b", 4)).await.unwrap();
        assert!(sim.apply(&scale("missing", 2)).await.is_err());
        drop(sim);

        let lines = std::fs::read_to_string(&path).unwrap();
        assert_eq!(lines.lines().count(), 3, "a refused write is not journaled: {lines}");
        let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
        assert_eq!(first["op"]["op"], "patch");
        assert_eq!(first["pid"], std::process::id());
        assert!(first["at"].as_str().unwrap().parse::<Timestamp>().is_ok());

        let again = journaled(&path);
        assert_eq!(replicas(&again, "a").await, 2, "the later write wins");
        assert_eq!(replicas(&again, "b").await, 4);
        assert_eq!(pods(&again).await, 6, "the controllers ran after the replay");
        assert!(again.applied().is_empty(), "applied() lists this process's writes only");
        let fresh = SimCluster::from_yaml(TWO).unwrap();
        assert_eq!(replicas(&fresh, "a").await, 1, "the fixture itself is untouched");
    }

    #[tokio::test]
    async fn execs_are_not_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let sim = journaled(&path);
        let pod = sim
            .list(&crate::cluster::Kind::of("Pod"), Some("ns"), None)
            .await
            .unwrap()[0]
            .clone();
        let _ = sim
            .apply(&Operation::Exec {
                namespace: "ns".into(),
                pod: pod.name().into(),
                container: "a".into(),
                command: vec!["true".into()],
                timeout_seconds: 5,
                max_output_bytes: 100,
            })
            .await;
        assert_eq!(read(&path).unwrap().entries.len(), 0);
    }

    #[tokio::test]
    async fn a_torn_last_line_is_skipped_and_ended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let sim = journaled(&path);
        sim.apply(&scale("a", 3)).await.unwrap();
        drop(sim);
        // A crash in the middle of the second write.
        let whole = serde_json::to_string(&Entry {
            at: Timestamp::now(),
            op: scale("b", 5),
            pid: 1,
        })
        .unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&whole.as_bytes()[..whole.len() / 2]).unwrap();
        drop(file);

        let contents = read(&path).unwrap();
        assert!(contents.torn_tail);
        assert_eq!(contents.entries.len(), 1);
        assert_eq!(contents.unreadable.len(), 1);
        assert_eq!(contents.unreadable[0].0, 2, "line 2 is torn");

        let again = journaled(&path);
        assert_eq!(replicas(&again, "a").await, 3);
        assert_eq!(replicas(&again, "b").await, 1, "the torn write is lost, nothing else");
        again.apply(&scale("b", 2)).await.unwrap();
        drop(again);
        let contents = read(&path).unwrap();
        assert!(!contents.torn_tail);
        assert_eq!(contents.entries.len(), 2, "the next write starts a line of its own");
        let third = journaled(&path);
        assert_eq!(replicas(&third, "b").await, 2);
    }

    #[tokio::test]
    async fn an_entry_the_cluster_refuses_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let entries = [
            scale("gone", 2),
            scale("a", 2),
            Operation::Delete {
                target: ObjectRef::namespaced("Deployment", "ns", "b"),
                grace_period_seconds: None,
                uid: Some("a-uid-from-another-load".into()),
            },
        ];
        let text: String = entries
            .iter()
            .map(|op| {
                let entry = Entry {
                    at: Timestamp::now(),
                    op: op.clone(),
                    pid: 7,
                };
                format!("{}\n", serde_json::to_string(&entry).unwrap())
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        let sim = SimCluster::from_yaml(TWO).unwrap();
        let replayed = sim.replay_journal(&path).unwrap();
        assert_eq!(
            replayed,
            Replayed {
                applied: 2,
                refused: 1,
                unreadable: 0
            }
        );
        assert_eq!(replicas(&sim, "a").await, 2);
        let b = sim.get(&ObjectRef::namespaced("Deployment", "ns", "b")).await.unwrap();
        assert!(b.is_none(), "the uid precondition is not checked again at replay");
    }

    #[tokio::test]
    async fn two_writers_share_one_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let one = Arc::new(journaled(&path));
        let two = Arc::new(journaled(&path));
        const EACH: i64 = 200;
        let writer = |sim: Arc<SimCluster>, name: &'static str| {
            tokio::spawn(async move {
                for r in 1..=EACH {
                    sim.apply(&scale(name, r % 7 + 1)).await.unwrap();
                }
            })
        };
        let (a, b) = (writer(one.clone(), "a"), writer(two.clone(), "b"));
        a.await.unwrap();
        b.await.unwrap();
        let contents = read(&path).unwrap();
        assert!(contents.unreadable.is_empty(), "no line torn or interleaved");
        assert!(!contents.torn_tail);
        assert_eq!(contents.entries.len(), 2 * EACH as usize);
        let per = |name: &str| {
            contents
                .entries
                .iter()
                .filter(|(_, e)| matches!(&e.op, Operation::Patch { target, .. } if target.name == name))
                .count()
        };
        assert_eq!((per("a"), per("b")), (EACH as usize, EACH as usize));
        let third = journaled(&path);
        assert_eq!(replicas(&third, "a").await, EACH % 7 + 1);
        assert_eq!(replicas(&third, "b").await, EACH % 7 + 1);
    }

    #[test]
    fn two_writers_in_threads_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let journal = Journal::open(&path, false).unwrap();
                    for i in 0..100 {
                        journal
                            .append(&scale(&format!("d-{t}-{i}-{}", "x".repeat(500)), 1))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let contents = read(&path).unwrap();
        assert!(contents.unreadable.is_empty());
        assert_eq!(contents.entries.len(), 400);
    }

    #[test]
    fn preconditions_are_dropped_for_replay() {
        let op = Operation::Patch {
            target: ObjectRef::namespaced("Deployment", "ns", "a"),
            subresource: None,
            patch: PatchBody::Json(json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
                {"op": "replace", "path": "/spec/replicas", "value": 3}
            ])),
        };
        match without_preconditions(&op) {
            Operation::Patch {
                patch: PatchBody::Json(v),
                ..
            } => assert_eq!(v, json!([{"op": "replace", "path": "/spec/replicas", "value": 3}])),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_config_key_gives_the_cluster_its_journal() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = dir.path().join("cluster.yaml");
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&fixture, TWO).unwrap();
        let config: crate::config::ClusterConfig = serde_yaml_ng::from_str(&format!(
            "kind: sim\nfixture: {}\njournal: {}\n",
            fixture.display(),
            path.display()
        ))
        .unwrap();
        let cluster = crate::app::cluster(&config).await.unwrap();
        assert!(cluster.describe().contains("journal.jsonl"), "{}", cluster.describe());
        cluster.apply(&scale("a", 2)).await.unwrap();
        drop(cluster);
        let again = crate::app::cluster(&config).await.unwrap();
        let a = again
            .get(&ObjectRef::namespaced("Deployment", "ns", "a"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.0["spec"]["replicas"], 2, "the restart replayed the journal");
    }

    #[test]
    fn a_missing_journal_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let contents = read(&dir.path().join("none.jsonl")).unwrap();
        assert!(contents.entries.is_empty() && contents.unreadable.is_empty() && !contents.torn_tail);
    }
}
