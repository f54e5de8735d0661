//! [`SimCluster`]: the [`Cluster`] trait over an in-memory store, with constructors from
//! YAML fixtures, programmatic log and exec-answer setting, a settable clock, the log of applied
//! operations, and the journal that persists them (`journal`).
//!
//! The store sits behind a `std::sync::Mutex`; no lock is held across an `.await` (no
//! method here awaits). This type must not add behaviour of its own: API semantics are
//! in `apply`, controller behaviour in `controllers`.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;
use serde_json::Value;

use super::apply::apply;
use super::controllers::reconcile;
use super::exec::ExecAnswer;
use super::faults::{Fault, arm, elapse};
use super::journal::{Journal, changes_cluster};
use super::load::{Fixture, SimError, shift_times};
use super::selector::Selector;
use super::store::{Clock, Key, Store};
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation, OperationResult};

/// A Kubernetes cluster simulated in memory.
///
/// Built from Kubernetes YAML ([`SimCluster::from_yaml`], [`SimCluster::load`]), it answers
/// reads like the API server and applies writes with the API server's checks, then runs
/// the controllers so that a rollout restart replaces pods, a rollback reuses the old
/// ReplicaSet, a scale creates or removes pods, and a deleted pod is replaced.
pub struct SimCluster {
    store: Mutex<Store>,
    pub(super) source: String,
    /// Where successful writes are appended, when the cluster has a journal.
    pub(super) journal: Option<Journal>,
}

impl std::fmt::Debug for SimCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCluster")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl SimCluster {
    /// Loads a fixture text, on the system clock. A `FixtureClock` document moves the
    /// fixture's timestamps so that its `now` is the moment of loading.
    pub fn from_yaml(text: &str) -> Result<SimCluster, SimError> {
        SimCluster::build(text, Clock::System, "inline YAML".into(), &[])
    }

    /// Loads a fixture text with the clock frozen at `now` (tests, evaluation scenarios).
    pub fn from_yaml_at(text: &str, now: Timestamp) -> Result<SimCluster, SimError> {
        SimCluster::build(text, Clock::Fixed(now), "inline YAML".into(), &[])
    }

    /// Loads a fixture file, on the system clock. Errors name the file.
    pub fn load(path: &Path) -> Result<SimCluster, SimError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Read {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        SimCluster::build(&text, Clock::System, shown.clone(), &[]).map_err(|e| SimError::InFile {
            path: shown,
            error: Box::new(e),
        })
    }

    /// Names where the objects came from in [`Cluster::describe`] (e.g. the bundled demo
    /// fixture's path, for a text loaded with [`SimCluster::from_yaml`]).
    pub fn with_source(mut self, source: impl Into<String>) -> SimCluster {
        self.source = source.into();
        self
    }

    /// Loads a fixture; `faults` are armed on the loaded objects before the controllers run.
    pub(super) fn build(text: &str, clock: Clock, source: String, faults: &[Fault]) -> Result<SimCluster, SimError> {
        let fixture = Fixture::parse(text)?;
        let mut store = Store::new(clock);
        let shift = fixture.written_at.map(|at| store.now().duration_since(at));
        for mut object in fixture.objects {
            if let Some(by) = shift {
                shift_times(&mut object.0, by);
            }
            if let Some(v) = object.resource_version() {
                store.observe_version(v);
            }
            store.insert_loaded(object);
        }
        store.logs = fixture.logs;
        store.exec = fixture.exec;
        store.faults = faults.iter().map(|f| arm(&store, f)).collect();
        reconcile(&mut store);
        Ok(SimCluster {
            store: Mutex::new(store),
            source,
            journal: None,
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves a consistent store (every change is a
        // whole-object replacement), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets (replaces) a container's log; `previous` for its last terminated instance.
    pub fn set_log(&self, namespace: &str, pod: &str, container: &str, previous: bool, text: impl Into<String>) {
        self.lock().logs.insert(
            (namespace.to_string(), pod.to_string(), container.to_string(), previous),
            text.into(),
        );
    }

    /// Sets (replaces) what `command` (the argv joined with spaces) answers when exec'd in
    /// a container: its output and exit code.
    pub fn set_exec_output(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        command: &str,
        output: impl Into<String>,
        exit_code: i32,
    ) {
        self.lock()
            .exec
            .entry((namespace.to_string(), pod.to_string(), container.to_string()))
            .or_default()
            .insert(
                command.to_string(),
                ExecAnswer {
                    output: output.into(),
                    exit_code,
                },
            );
    }

    /// The operations applied successfully through [`Cluster::apply`] by this process, in
    /// order (controller actions and journal entries replayed at start are not included).
    pub fn applied(&self) -> Vec<Operation> {
        self.lock().applied.clone()
    }

    /// Freezes the simulation's clock at `now` (objects created from now on carry it).
    /// Injected faults progress by the time that passed.
    pub fn set_now(&self, now: Timestamp) {
        let mut store = self.lock();
        let before = store.now();
        store.clock = Clock::Fixed(now);
        elapse(&mut store, before);
    }

    /// Every object, in key order (group, kind, namespace, name).
    pub fn objects(&self) -> Vec<Object> {
        self.lock().objects.values().cloned().collect()
    }

    /// Runs the controllers (they also run after every write).
    pub fn reconcile(&self) {
        reconcile(&mut self.lock());
    }
}

/// When an event last happened: `lastTimestamp`, else `eventTime`, else `firstTimestamp`.
fn event_time(e: &Object) -> Option<Timestamp> {
    [
        "/lastTimestamp",
        "/eventTime",
        "/firstTimestamp",
        "/metadata/creationTimestamp",
    ]
    .iter()
    .find_map(|p| e.0.pointer(p).and_then(Value::as_str))
    .and_then(|s| s.parse().ok())
}

/// The last `max_bytes` of `text`, starting at a line start when a whole line fits in
/// that window.
fn tail(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut start = text.len() - max_bytes;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = &text[start..];
    if start > 0 && text.as_bytes()[start - 1] == b'\n' {
        return window;
    }
    // Drop the partial first line, unless it is all there is (a last line longer than `max_bytes`).
    match window.find('\n') {
        Some(i) if i + 1 < window.len() => &window[i + 1..],
        _ => window,
    }
}

#[async_trait]
impl Cluster for SimCluster {
    fn describe(&self) -> String {
        format!("simulated ({} objects from {})", self.lock().objects.len(), self.source)
    }

    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError> {
        Ok(self.lock().get(&Key::of_ref(r)).cloned())
    }

    async fn list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Object>, ClusterError> {
        let selector = match label_selector {
            Some(s) => Selector::parse(s).map_err(|message| ClusterError::Api {
                code: 400,
                what: format!("label selector {s:?}"),
                message: format!("unable to parse requirement: {message}"),
            })?,
            None => Selector::default(),
        };
        let namespace = namespace.filter(|_| kind.namespaced);
        Ok(self
            .lock()
            .list(kind.group(), &kind.kind, namespace)
            .filter(|o| selector.matches_object(&o.0))
            .cloned()
            .collect())
    }

    async fn events(&self, r: &ObjectRef) -> Result<Vec<Event>, ClusterError> {
        let store = self.lock();
        let namespace = r.namespace.as_deref().unwrap_or_default();
        let mut found: Vec<(Option<Timestamp>, &Object)> = store
            .list("", "Event", None)
            .filter(|e| {
                let s = |p: &str| e.0.pointer(p).and_then(Value::as_str).unwrap_or_default();
                s("/involvedObject/kind") == r.kind.kind
                    && s("/involvedObject/name") == r.name
                    && s("/involvedObject/namespace") == namespace
            })
            .map(|e| (event_time(e), e))
            .collect();
        found.sort_by_key(|(t, _)| *t);
        found
            .into_iter()
            .map(|(_, e)| {
                e.typed::<Event>().map_err(|err| {
                    ClusterError::Unavailable(format!(
                        "event {}/{} is malformed: {err}",
                        e.namespace().unwrap_or_default(),
                        e.name()
                    ))
                })
            })
            .collect()
    }

    async fn log_tail(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        max_bytes: usize,
    ) -> Result<Option<String>, ClusterError> {
        let store = self.lock();
        let key = (namespace.to_string(), pod.to_string(), container.to_string(), previous);
        Ok(store.logs.get(&key).map(|text| tail(text, max_bytes).to_string()))
    }

    async fn apply(&self, op: &Operation) -> Result<OperationResult, ClusterError> {
        let mut store = self.lock();
        let result = apply(&mut store, op)?;
        store.applied.push(op.clone());
        reconcile(&mut store);
        if let Some(journal) = &self.journal
            && changes_cluster(op)
        {
            // Appended under the store's lock, so the journal's order is the order of
            // application. Applied but not journaled is a failure that must not be retried
            // (the write took effect): an API answer of 200 carrying the error.
            journal.append(op).map_err(|e| ClusterError::Api {
                code: 200,
                what: op.describe(),
                message: format!("applied, but the simulated cluster's journal could not record it: {e}"),
            })?;
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_cuts_at_a_line_start() {
        let text = "one\ntwo\nthree\n";
        assert_eq!(tail(text, 100), text);
        assert_eq!(tail(text, 6), "three\n");
        assert_eq!(tail(text, 8), "three\n", "the partial `o` line is dropped");
        assert_eq!(
            tail(text, 10),
            "two\nthree\n",
            "a cut right after a newline keeps the line"
        );
        assert_eq!(tail("abcdef", 3), "def", "no line break: the bytes as they are");
        assert_eq!(
            tail("a\nlong line\n", 6),
            " line\n",
            "never empty when the last line is long"
        );
        assert_eq!(tail("é\néé", 3), "é", "never inside a character");
    }
}
