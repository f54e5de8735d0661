//! Gathering an incident's context through the [`Cluster`] trait: the target, its owner
//! chain, the workload's state and revisions, its pods and containers, Warning events,
//! log tails and the node, each bounded by [`Limits`].
//!
//! Every read that fails is recorded in [`Context::errors`] as `what: error` and the rest
//! is still gathered: gathering never fails. It only reads; it must never write to the
//! cluster, and it must not judge what it finds (that is the decider's job). The only
//! clock it reads is the `now` given to [`gather_at`].

use std::collections::BTreeSet;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, ContainerStatus, Event, Node, Pod};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{ContainerFacts, Context, EventFacts, LogTail, NodeFacts, PodFacts, WorkloadFacts};
use crate::cluster::{Cluster, Kind, Object, ObjectRef};
use crate::incident::Incident;

/// How much context to keep (`context:` in the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Bytes of log tail kept per container. Default 8192.
    pub log_bytes: usize,
    /// Containers whose logs are read. Default 3.
    pub max_logs: usize,
    /// Most recent Warning events kept. Default 20.
    pub max_events: usize,
    /// Pods of a workload described. Default 10.
    pub max_pods: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            log_bytes: 8192,
            max_logs: 3,
            max_events: 20,
            max_pods: 10,
        }
    }
}

/// Gathers the context of an incident.
pub async fn gather(cluster: &dyn Cluster, incident: &Incident, limits: &Limits) -> Context {
    gather_at(cluster, incident, limits, Timestamp::now()).await
}

/// Gathers the context of an incident as of `now` (used for the age of the current
/// revision), so that tests and evaluations are exact.
pub async fn gather_at(cluster: &dyn Cluster, incident: &Incident, limits: &Limits, now: Timestamp) -> Context {
    let mut g = Gatherer {
        cluster,
        limits,
        now,
        ctx: Context::default(),
    };
    if let Some(target) = &incident.target {
        let r = ObjectRef::from_target(target);
        g.run(r, target.container.as_deref()).await;
    }
    g.ctx
}

/// How far up `ownerReferences` are followed (pod → ReplicaSet → Deployment is 2).
const MAX_OWNER_DEPTH: usize = 4;
/// Kinds that are a workload in the context's sense, most specific first.
const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];
const REVISION: &str = "deployment.kubernetes.io/revision";

struct Gatherer<'a> {
    cluster: &'a dyn Cluster,
    limits: &'a Limits,
    now: Timestamp,
    ctx: Context,
}

impl Gatherer<'_> {
    fn failed(&mut self, what: impl std::fmt::Display, error: impl std::fmt::Display) {
        self.ctx.errors.push(format!("{what}: {error}"));
    }

    async fn get(&mut self, r: &ObjectRef) -> Option<Object> {
        match self.cluster.get(r).await {
            Ok(o) => o,
            Err(e) => {
                self.failed(format!("get {r}"), e);
                None
            }
        }
    }

    async fn list(&mut self, kind: &str, namespace: Option<&str>, selector: Option<&str>) -> Vec<Object> {
        match self.cluster.list(&Kind::of(kind), namespace, selector).await {
            Ok(list) => list,
            Err(e) => {
                let mut what = format!("list {}", Kind::of(kind).plural);
                if let Some(ns) = namespace {
                    what.push_str(&format!(" in {ns}"));
                }
                if let Some(s) = selector {
                    what.push_str(&format!(" ({s})"));
                }
                self.failed(what, e);
                Vec::new()
            }
        }
    }

    async fn run(&mut self, target: ObjectRef, container: Option<&str>) {
        self.ctx.target = Some(target.clone());
        let Some(object) = self.get(&target).await else {
            return;
        };
        self.ctx.target_found = true;
        self.ctx.object = Some(object.trimmed());

        // The owner chain: pod → ReplicaSet → Deployment, Job → CronJob.
        let mut chain = Vec::new();
        let mut current = object.clone();
        for _ in 0..MAX_OWNER_DEPTH {
            let Some(owner) = current.controller() else { break };
            let Some(found) = self.get(&owner).await else { break };
            self.ctx.owners.push(owner);
            chain.push(found.clone());
            current = found;
        }

        // The pods concerned, and the workload behind them.
        let namespace = object.namespace().map(str::to_string);
        let mut pods: Vec<Object> = Vec::new();
        let workload = match target.kind.kind.as_str() {
            "Pod" => {
                pods.push(object.clone());
                pick_workload(&object, &chain)
            }
            "Node" => {
                pods = self
                    .list("Pod", None, None)
                    .await
                    .into_iter()
                    .filter(|p| p.0.pointer("/spec/nodeName").and_then(Value::as_str) == Some(object.name()))
                    .collect();
                None
            }
            "PersistentVolumeClaim" => {
                pods = self
                    .list("Pod", namespace.as_deref(), None)
                    .await
                    .into_iter()
                    .filter(|p| mounts_claim(p, object.name()))
                    .collect();
                match pods.first().cloned() {
                    Some(pod) => self.workload_of_pod(&pod).await,
                    None => None,
                }
            }
            "HorizontalPodAutoscaler" => self.scale_target(&object).await,
            _ => pick_workload(&object, &chain),
        };
        if let Some(w) = &workload
            && !target.kind.is("Pod")
            && !target.kind.is("PersistentVolumeClaim")
        {
            pods = self.pods_of(w).await;
        }
        sort_unhealthy_first(&mut pods);
        pods.truncate(self.limits.max_pods.max(usize::from(target.kind.is("Pod"))));
        self.ctx.pods = pods.iter().map(pod_facts).collect();

        // The workload's state.
        let mut current_set = None;
        if let Some(w) = &workload {
            let (facts, set) = self.workload_facts(w).await;
            self.ctx.workload = Some(facts);
            current_set = set;
        }

        // The node.
        let node_name = match target.kind.kind.as_str() {
            "Node" => Some(object.name().to_string()),
            _ => common_node(&self.ctx.pods),
        };
        if let Some(name) = node_name {
            let node = if target.kind.is("Node") {
                Some(object.clone())
            } else {
                self.get(&ObjectRef::cluster_scoped("Node", &name)).await
            };
            self.ctx.node = node.as_ref().map(node_facts);
        }

        // Warning events of everything involved.
        let mut subjects = vec![target.clone()];
        subjects.extend(self.ctx.owners.iter().cloned());
        subjects.extend(workload.as_ref().map(Object::reference));
        subjects.extend(current_set);
        subjects.extend(pods.iter().map(Object::reference));
        self.events(subjects).await;

        // Log tails of the troubled containers.
        self.logs(&pods, container).await;
    }

    /// The workload a pod belongs to, following its owners without recording them.
    async fn workload_of_pod(&mut self, pod: &Object) -> Option<Object> {
        let mut chain = Vec::new();
        let mut current = pod.clone();
        for _ in 0..MAX_OWNER_DEPTH {
            let Some(owner) = current.controller() else { break };
            let Some(found) = self.get(&owner).await else { break };
            chain.push(found.clone());
            current = found;
        }
        pick_workload(pod, &chain)
    }

    /// The object an HPA scales.
    async fn scale_target(&mut self, hpa: &Object) -> Option<Object> {
        let t = hpa.0.pointer("/spec/scaleTargetRef")?;
        let kind = Kind::from_type(
            t.get("apiVersion").and_then(Value::as_str).unwrap_or("apps/v1"),
            t.get("kind").and_then(Value::as_str)?,
        );
        let r = ObjectRef {
            kind,
            namespace: hpa.namespace().map(str::to_string),
            name: t.get("name").and_then(Value::as_str)?.to_string(),
        };
        self.get(&r).await
    }

    /// A workload's pods, by its selector (a CronJob's through its Jobs).
    async fn pods_of(&mut self, workload: &Object) -> Vec<Object> {
        let ns = workload.namespace().map(str::to_string);
        if workload.kind().is("CronJob") {
            let cron = workload.reference();
            let jobs: Vec<Object> = self
                .list("Job", ns.as_deref(), None)
                .await
                .into_iter()
                .filter(|j| j.controller().as_ref() == Some(&cron))
                .collect();
            let mut pods = Vec::new();
            for job in jobs {
                let r = job.reference();
                pods.extend(
                    self.list("Pod", ns.as_deref(), None)
                        .await
                        .into_iter()
                        .filter(|p| p.controller().as_ref() == Some(&r)),
                );
            }
            return pods;
        }
        match workload.0.pointer("/spec/selector").and_then(selector_string) {
            Some(selector) => self.list("Pod", ns.as_deref(), Some(&selector)).await,
            None => Vec::new(),
        }
    }

    /// A workload's facts, and for a Deployment the ReplicaSet of its current revision.
    async fn workload_facts(&mut self, w: &Object) -> (WorkloadFacts, Option<ObjectRef>) {
        let v = &w.0;
        let int = |p: &str| v.pointer(p).and_then(Value::as_i64).map(|n| n as i32);
        let has_status = v.get("status").is_some_and(Value::is_object);
        let count = |p: &str| int(p).or(has_status.then_some(0));
        let kind = w.kind().kind;
        let (replicas, ready, available) = match kind.as_str() {
            "Deployment" | "StatefulSet" | "ReplicaSet" => (
                Some(int("/spec/replicas").unwrap_or(1)),
                count("/status/readyReplicas"),
                count("/status/availableReplicas"),
            ),
            "DaemonSet" => (
                int("/status/desiredNumberScheduled"),
                count("/status/numberReady"),
                count("/status/numberAvailable"),
            ),
            "Job" => (int("/spec/parallelism"), int("/status/ready"), None),
            _ => (None, None, None),
        };
        let mut facts = WorkloadFacts {
            reference: w.reference(),
            replicas,
            ready_replicas: ready,
            available_replicas: available,
            revision: None,
            previous_revision: None,
            revision_age_seconds: None,
            paused: v.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
                || v.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true),
            progressing_reason: v
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|cs| {
                    cs.iter()
                        .find(|c| c.get("type").and_then(Value::as_str) == Some("Progressing"))
                })
                .and_then(|c| c.get("reason").and_then(Value::as_str))
                .map(str::to_string),
        };
        if kind != "Deployment" {
            return (facts, None);
        }
        let me = w.reference();
        let selector = v.pointer("/spec/selector").and_then(selector_string);
        let sets: Vec<Object> = self
            .list("ReplicaSet", w.namespace(), selector.as_deref())
            .await
            .into_iter()
            .filter(|rs| rs.controller().as_ref() == Some(&me))
            .collect();
        let revision_of = |o: &Object| o.annotation(REVISION).and_then(|r| r.parse::<i64>().ok());
        let revision = revision_of(w).or_else(|| sets.iter().filter_map(revision_of).max());
        facts.revision = revision;
        let Some(revision) = revision else {
            return (facts, None);
        };
        facts.previous_revision = sets.iter().filter_map(revision_of).filter(|r| *r < revision).max();
        let current = sets.iter().find(|rs| revision_of(rs) == Some(revision));
        facts.revision_age_seconds = current
            .and_then(|rs| rs.0.pointer("/metadata/creationTimestamp"))
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
            .map(|created| self.now.duration_since(created).as_secs().max(0));
        (facts, current.map(Object::reference))
    }

    /// The most recent Warning events of `subjects`, oldest first.
    async fn events(&mut self, subjects: Vec<ObjectRef>) {
        let mut seen = BTreeSet::new();
        let mut found: Vec<(Option<Timestamp>, EventFacts)> = Vec::new();
        for r in subjects {
            if !seen.insert(r.clone()) {
                continue;
            }
            match self.cluster.events(&r).await {
                Ok(events) => found.extend(
                    events
                        .iter()
                        .filter(|e| e.type_.as_deref() == Some("Warning"))
                        .map(|e| event_facts(&r, e)),
                ),
                Err(e) => self.failed(format!("events of {r}"), e),
            }
        }
        found.sort_by_key(|(t, _)| *t);
        let skip = found.len().saturating_sub(self.limits.max_events);
        self.ctx.events = found.into_iter().skip(skip).map(|(_, e)| e).collect();
    }

    /// Log tails of up to `max_logs` troubled containers (the one the alert names first):
    /// the previous instance's when it restarted, else the current one's.
    async fn logs(&mut self, pods: &[Object], named: Option<&str>) {
        if self.limits.max_logs == 0 || self.limits.log_bytes == 0 {
            return;
        }
        let mut wanted: Vec<(String, String, String, bool)> = Vec::new();
        for (i, (pod, facts)) in pods.iter().zip(self.ctx.pods.iter()).enumerate() {
            let ns = pod.namespace().unwrap_or("default").to_string();
            for c in &facts.containers {
                let troubled = !c.ready
                    || c.restart_count > 0
                    || c.waiting_reason.is_some()
                    || c.last_termination_reason.is_some();
                let is_named = i == 0 && named == Some(c.name.as_str());
                if !troubled && !is_named {
                    continue;
                }
                // Only a restarted container has a previous instance to read.
                let restarted = c.restart_count > 0;
                let entry = (ns.clone(), facts.name.clone(), c.name.clone(), restarted);
                if is_named {
                    wanted.insert(0, entry);
                } else {
                    wanted.push(entry);
                }
            }
        }
        wanted.truncate(self.limits.max_logs);
        let fetch = self.limits.log_bytes.saturating_mul(2);
        for (ns, pod, container, restarted) in wanted {
            let mut attempts = vec![restarted];
            if restarted {
                attempts.push(false);
            }
            for previous in attempts {
                match self.cluster.log_tail(&ns, &pod, &container, previous, fetch).await {
                    Ok(Some(text)) => {
                        let (text, truncated) = tail_at_line(&text, self.limits.log_bytes);
                        self.ctx.logs.push(LogTail {
                            pod: pod.clone(),
                            container: container.clone(),
                            previous,
                            text: text.to_string(),
                            truncated,
                        });
                        break;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let which = if previous { "previous log" } else { "log" };
                        self.failed(format!("{which} of {ns}/{pod}/{container}"), e);
                        break;
                    }
                }
            }
        }
    }
}

/// The workload among the target and its owners: the nearest Deployment, StatefulSet,
/// DaemonSet, Job or CronJob, else a bare ReplicaSet.
fn pick_workload(object: &Object, chain: &[Object]) -> Option<Object> {
    let candidates = || std::iter::once(object).chain(chain.iter());
    candidates()
        .find(|o| WORKLOAD_KINDS.contains(&o.kind().kind.as_str()))
        .or_else(|| candidates().find(|o| o.kind().is("ReplicaSet")))
        .cloned()
}

/// Whether a pod mounts the claim `name`.
fn mounts_claim(pod: &Object, name: &str) -> bool {
    pod.0
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .is_some_and(|vs| {
            vs.iter()
                .any(|v| v.pointer("/persistentVolumeClaim/claimName").and_then(Value::as_str) == Some(name))
        })
}

/// A structured `LabelSelector` in the API's string syntax; `None` when it selects
/// nothing usable (missing, empty, or malformed).
fn selector_string(selector: &Value) -> Option<String> {
    let mut terms = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            terms.push(format!("{k}={}", v.as_str()?));
        }
    }
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key")?.as_str()?;
        let values = || -> Option<String> {
            let vs: Option<Vec<&str>> = e.get("values")?.as_array()?.iter().map(Value::as_str).collect();
            Some(vs?.join(","))
        };
        terms.push(match e.get("operator")?.as_str()? {
            "In" => format!("{key} in ({})", values()?),
            "NotIn" => format!("{key} notin ({})", values()?),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        });
    }
    (!terms.is_empty()).then(|| terms.join(","))
}

fn pod_ready(pod: &Object) -> bool {
    pod.0
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn restarts(pod: &Object) -> i64 {
    pod.0
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
                .sum()
        })
        .unwrap_or(0)
}

/// Unhealthy pods first (not ready, terminating, pending, or failed), most restarts
/// first, then by name.
fn sort_unhealthy_first(pods: &mut [Object]) {
    pods.sort_by_key(|p| {
        let terminating = p.0.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null());
        let succeeded = p.0.pointer("/status/phase").and_then(Value::as_str) == Some("Succeeded");
        let healthy = (pod_ready(p) || succeeded) && !terminating;
        (healthy, std::cmp::Reverse(restarts(p)), p.name().to_string())
    });
}

/// The node shared by every unhealthy pod (every pod, when all are healthy), if one.
fn common_node(pods: &[PodFacts]) -> Option<String> {
    let unhealthy: Vec<&PodFacts> = pods.iter().filter(|p| !p.ready || p.terminating).collect();
    let concerned: Vec<&PodFacts> = if unhealthy.is_empty() {
        pods.iter().collect()
    } else {
        unhealthy
    };
    let first = concerned.first()?.node.clone()?;
    concerned
        .iter()
        .all(|p| p.node.as_deref() == Some(first.as_str()))
        .then_some(first)
}

fn pod_facts(object: &Object) -> PodFacts {
    let terminating = object
        .0
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null());
    let ready = pod_ready(object);
    let name = object.name().to_string();
    let Ok(pod) = object.typed::<Pod>() else {
        return PodFacts {
            name,
            phase: None,
            ready,
            node: None,
            terminating,
            containers: Vec::new(),
        };
    };
    let spec = pod.spec.unwrap_or_default();
    let status = pod.status.unwrap_or_default();
    let statuses = status.container_statuses.unwrap_or_default();
    let mut containers: Vec<ContainerFacts> = spec
        .containers
        .iter()
        .map(|c| container_facts(c, statuses.iter().find(|s| s.name == c.name)))
        .collect();
    // Init containers only when they are the trouble (failing, restarting, stuck).
    let init_statuses = status.init_container_statuses.unwrap_or_default();
    for c in spec.init_containers.iter().flatten() {
        let s = init_statuses.iter().find(|s| s.name == c.name);
        let troubled = s.is_some_and(|s| {
            let waiting = s
                .state
                .as_ref()
                .and_then(|st| st.waiting.as_ref())
                .is_some_and(|w| w.reason.as_deref() != Some("PodInitializing"));
            let failed = s
                .state
                .as_ref()
                .and_then(|st| st.terminated.as_ref())
                .is_some_and(|t| t.exit_code != 0);
            waiting || failed || s.restart_count > 0
        });
        if troubled {
            containers.push(container_facts(c, s));
        }
    }
    PodFacts {
        name,
        phase: status.phase,
        ready,
        node: spec.node_name,
        terminating,
        containers,
    }
}

fn container_facts(c: &Container, status: Option<&ContainerStatus>) -> ContainerFacts {
    let limit = |resource: &str| {
        c.resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .and_then(|l| l.get(resource))
            .map(|q| q.0.clone())
    };
    let waiting = status.and_then(|s| s.state.as_ref()).and_then(|st| st.waiting.as_ref());
    let terminated = status
        .and_then(|s| s.last_state.as_ref())
        .and_then(|st| st.terminated.as_ref())
        .or_else(|| {
            status
                .and_then(|s| s.state.as_ref())
                .and_then(|st| st.terminated.as_ref())
        });
    ContainerFacts {
        name: c.name.clone(),
        ready: status.is_some_and(|s| s.ready),
        restart_count: status.map_or(0, |s| s.restart_count),
        waiting_reason: waiting.and_then(|w| w.reason.clone()),
        waiting_message: waiting.and_then(|w| w.message.clone()),
        last_termination_reason: terminated.and_then(|t| t.reason.clone()),
        last_exit_code: terminated.map(|t| t.exit_code),
        image: c.image.clone(),
        memory_limit: limit("memory"),
        cpu_limit: limit("cpu"),
    }
}

fn node_facts(object: &Object) -> NodeFacts {
    let name = object.name().to_string();
    let node: Node = object.typed().unwrap_or_default();
    let conditions = node.status.and_then(|s| s.conditions).unwrap_or_default();
    NodeFacts {
        name,
        ready: conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"),
        unschedulable: node.spec.and_then(|s| s.unschedulable).unwrap_or(false),
        conditions: conditions
            .iter()
            .map(|c| match &c.reason {
                Some(reason) => format!("{}={} ({reason})", c.type_, c.status),
                None => format!("{}={}", c.type_, c.status),
            })
            .collect(),
    }
}

fn event_facts(subject: &ObjectRef, e: &Event) -> (Option<Timestamp>, EventFacts) {
    let last = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or(e.event_time.as_ref().map(|t| t.0))
        .or(e
            .series
            .as_ref()
            .and_then(|s| s.last_observed_time.as_ref())
            .map(|t| t.0))
        .or(e.first_timestamp.as_ref().map(|t| t.0));
    let facts = EventFacts {
        object: subject.to_string(),
        type_: e.type_.clone().unwrap_or_default(),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        count: e.count.or(e.series.as_ref().and_then(|s| s.count)).unwrap_or(1),
        last_seen: last.map(|t| t.to_string()),
    };
    (last, facts)
}

/// The last `max` bytes of `text`, starting at a line start when a whole line fits in
/// that window, and whether anything was cut.
fn tail_at_line(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = &text[start..];
    if text.as_bytes()[start - 1] == b'\n' {
        return (window, true);
    }
    // Drop the partial first line, unless it is all there is (a last line longer than `max`).
    match window.find('\n') {
        Some(i) if i + 1 < window.len() => (&window[i + 1..], true),
        _ => (window, true),
    }
}

#[cfg(test)]
mod tests;
