//! What a plan would do to running pods, read from the plan's operations and the cluster:
//! the blast-radius facts of [`Impact`].
//!
//! - Pods disrupted directly: deleted or evicted (a drain is its evictions), relabelled
//!   out of their controller (quarantine), cut off by a new NetworkPolicy (isolate), or on
//!   a node given a `NoExecute` taint they do not tolerate. Pods already terminating or
//!   finished are not counted: they run nothing.
//! - Workloads changed: a scale-down removes its surplus pods; a pod template change (a
//!   rollout restart, resources, env, a rollback) takes `maxUnavailable` worth of pods down
//!   at once (all of them with the `Recreate` strategy, none with StatefulSet `OnDelete`);
//!   an HPA whose `maxReplicas` falls below the current replicas scales its target down.
//! - Each workload's ready replicas before the action and at its worst moment.
//! - The PodDisruptionBudgets covering the directly disrupted pods (rolling updates and
//!   scale-downs are not evictions: budgets do not govern them, the ready-replica checks
//!   do), with `status.disruptionsAllowed`, or computed from the spec when the status is
//!   missing.
//!
//! Reads only: it never changes the cluster, and judges nothing (the checks do).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::facts::{BudgetFact, Impact, WorkloadImpact};
use crate::actions::plan::Plan;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation};

/// The workload kinds whose pods medic follows.
const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];

/// Reads the plan's impact from the cluster.
pub async fn impact(cluster: &dyn Cluster, plan: &Plan) -> Result<Impact, ClusterError> {
    let mut reader = Reader {
        cluster,
        pods: HashMap::new(),
        sets: HashMap::new(),
        all_pods: None,
    };
    // (namespace, pod name) disrupted directly.
    let mut disrupted: BTreeSet<(String, String)> = BTreeSet::new();
    // Workload → the fewest ready replicas its change leaves, and the pods it takes down.
    let mut changed: BTreeMap<ObjectRef, (i64, u32, String)> = BTreeMap::new();
    for op in &plan.operations {
        match op {
            Operation::Delete { target, .. } if target.kind.is("Pod") => {
                if let Some(ns) = &target.namespace {
                    disrupted.insert((ns.clone(), target.name.clone()));
                }
            }
            Operation::Delete { target, .. } if WORKLOADS.contains(&target.kind.kind.as_str()) => {
                let pods = reader.members(target).await?.len();
                let down = u32::try_from(pods).unwrap_or(u32::MAX);
                changed.insert(target.clone(), (0, down, format!("deleted with its {pods} pods")));
            }
            Operation::Evict { namespace, pod, .. } => {
                disrupted.insert((namespace.clone(), pod.clone()));
            }
            Operation::Patch { target, patch, .. } if target.kind.is("Pod") => {
                if let Some(before) = cluster.get(target).await? {
                    let after = patch.apply_to(&before.0).map_err(|e| patch_error(target, e))?;
                    if before.0.pointer("/metadata/labels") != after.pointer("/metadata/labels")
                        && let Some(ns) = &target.namespace
                    {
                        disrupted.insert((ns.clone(), target.name.clone()));
                    }
                }
            }
            Operation::Patch { target, patch, .. } if target.kind.is("Node") => {
                if let Some(before) = cluster.get(target).await? {
                    let after = patch.apply_to(&before.0).map_err(|e| patch_error(target, e))?;
                    let fresh = new_no_execute_taints(&before.0, &after);
                    if !fresh.is_empty() {
                        for pod in reader.on_node(&target.name).await? {
                            if !tolerates_all(&pod, &fresh) && !is_daemon(&pod) {
                                disrupted.insert((pod.namespace().unwrap_or_default().to_string(), pod.name().into()));
                            }
                        }
                    }
                }
            }
            Operation::Patch {
                target,
                patch,
                subresource,
            } if WORKLOADS.contains(&target.kind.kind.as_str()) => {
                let Some(before) = cluster.get(target).await? else {
                    continue;
                };
                let mut after = patch.apply_to(&before.0).map_err(|e| patch_error(target, e))?;
                if subresource.as_deref() == Some("scale") {
                    // A Scale's spec.replicas is the workload's.
                    let replicas = after.pointer("/spec/replicas").cloned();
                    after = before.0.clone();
                    if let Some(r) = replicas {
                        after["spec"]["replicas"] = r;
                    }
                }
                if let Some(change) = reader.workload_change(&before, &after).await? {
                    merge(&mut changed, target.clone(), change);
                }
            }
            Operation::Patch { target, patch, .. } if target.kind.is("HorizontalPodAutoscaler") => {
                let Some(before) = cluster.get(target).await? else {
                    continue;
                };
                let after = patch.apply_to(&before.0).map_err(|e| patch_error(target, e))?;
                if let Some((workload, change)) = reader.hpa_change(&before, &after).await? {
                    merge(&mut changed, workload, change);
                }
            }
            Operation::Create { object } if object.kind().is("NetworkPolicy") => {
                let ns = object.namespace().unwrap_or_default().to_string();
                let selector = object.0.pointer("/spec/podSelector").cloned().unwrap_or(Value::Null);
                for pod in reader.pods_in(&ns).await?.clone() {
                    if selects(&selector, pod.0.pointer("/metadata/labels")) {
                        disrupted.insert((ns.clone(), pod.name().into()));
                    }
                }
            }
            _ => {}
        }
    }
    let touched: BTreeSet<String> = plan
        .operations
        .iter()
        .filter(|op| !matches!(op, Operation::Notify { .. }))
        .filter_map(|op| op.target().namespace)
        .collect();
    reader.assemble(&touched, &disrupted, changed).await
}

fn patch_error(target: &ObjectRef, e: String) -> ClusterError {
    ClusterError::Invalid {
        what: target.to_string(),
        message: format!("the plan's patch does not apply: {e}"),
    }
}

/// Keeps the worse of two changes to one workload.
fn merge(changed: &mut BTreeMap<ObjectRef, (i64, u32, String)>, workload: ObjectRef, change: (i64, u32, String)) {
    match changed.get(&workload) {
        Some(old) if old.0 <= change.0 => {}
        _ => {
            changed.insert(workload, change);
        }
    }
}

/// Reads pods and ReplicaSets once per namespace.
struct Reader<'a> {
    cluster: &'a dyn Cluster,
    pods: HashMap<String, Vec<Object>>,
    sets: HashMap<String, Vec<Object>>,
    all_pods: Option<Vec<Object>>,
}

impl Reader<'_> {
    async fn pods_in(&mut self, ns: &str) -> Result<&Vec<Object>, ClusterError> {
        if !self.pods.contains_key(ns) {
            let pods = self.cluster.list(&Kind::of("Pod"), Some(ns), None).await?;
            self.pods.insert(ns.to_string(), pods);
        }
        Ok(self.pods.get(ns).expect("inserted above"))
    }

    async fn sets_in(&mut self, ns: &str) -> Result<&Vec<Object>, ClusterError> {
        if !self.sets.contains_key(ns) {
            let sets = self.cluster.list(&Kind::of("ReplicaSet"), Some(ns), None).await?;
            self.sets.insert(ns.to_string(), sets);
        }
        Ok(self.sets.get(ns).expect("inserted above"))
    }

    async fn on_node(&mut self, node: &str) -> Result<Vec<Object>, ClusterError> {
        if self.all_pods.is_none() {
            self.all_pods = Some(self.cluster.list(&Kind::of("Pod"), None, None).await?);
        }
        Ok(self
            .all_pods
            .iter()
            .flatten()
            .filter(|p| p.0.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node))
            .filter(|p| running(p))
            .cloned()
            .collect())
    }

    /// The workload a pod belongs to: its controller, or the Deployment of its ReplicaSet;
    /// `None` for a pod no controller recreates.
    async fn owner(&mut self, pod: &Object) -> Result<Option<ObjectRef>, ClusterError> {
        let Some(controller) = pod.controller() else {
            return Ok(None);
        };
        if controller.kind.is("ReplicaSet")
            && let Some(ns) = &controller.namespace
        {
            let set = self.sets_in(ns).await?.iter().find(|s| s.name() == controller.name);
            if let Some(deployment) = set.and_then(Object::controller).filter(|c| c.kind.is("Deployment")) {
                return Ok(Some(deployment));
            }
        }
        Ok(Some(controller))
    }

    /// The running pods of a workload.
    async fn members(&mut self, workload: &ObjectRef) -> Result<Vec<Object>, ClusterError> {
        let Some(ns) = workload.namespace.clone() else {
            return Ok(Vec::new());
        };
        let pods = self.pods_in(&ns).await?.clone();
        let mut out = Vec::new();
        for pod in pods.into_iter().filter(running) {
            if self
                .owner(&pod)
                .await?
                .is_some_and(|o| o.kind.kind == workload.kind.kind && o.name == workload.name)
            {
                out.push(pod);
            }
        }
        Ok(out)
    }

    /// What a workload patch does: the fewest ready replicas it leaves, the pods it takes
    /// down, and how.
    async fn workload_change(
        &mut self,
        before: &Object,
        after: &Value,
    ) -> Result<Option<(i64, u32, String)>, ClusterError> {
        let workload = before.reference();
        let members = self.members(&workload).await?;
        let ready = members.iter().filter(|p| pod_ready(p)).count() as i64;
        let current = int_at(&before.0, "/spec/replicas").unwrap_or(members.len() as i64);
        let wanted = int_at(after, "/spec/replicas").unwrap_or(current);
        let mut worst: Option<(i64, u32, String)> = None;
        if wanted < current && !workload.kind.is("DaemonSet") {
            let removed = (current - wanted).max(0);
            worst = Some((
                ready.min(wanted),
                u32::try_from(removed).unwrap_or(u32::MAX),
                format!("scaled from {current} to {wanted}"),
            ));
        }
        if before.0.pointer("/spec/template") != after.pointer("/spec/template") {
            let replicas = if workload.kind.is("DaemonSet") {
                members.len() as i64
            } else {
                wanted
            };
            let at_once = down_at_once(&before.0, &workload.kind.kind, replicas);
            let floor = ready.min((replicas - at_once).max(0));
            let how = if at_once >= replicas && replicas > 0 {
                format!("all {replicas} replaced at once")
            } else {
                format!("{at_once} of {replicas} down at a time while its pods are replaced")
            };
            if worst.as_ref().is_none_or(|w| floor < w.0) {
                worst = Some((floor, u32::try_from(at_once).unwrap_or(u32::MAX), how));
            }
        }
        Ok(worst)
    }

    /// An HPA whose maxReplicas falls below its target's replicas scales the target down.
    async fn hpa_change(
        &mut self,
        before: &Object,
        after: &Value,
    ) -> Result<Option<(ObjectRef, (i64, u32, String))>, ClusterError> {
        let (Some(kind), Some(name), Some(ns)) = (
            after.pointer("/spec/scaleTargetRef/kind").and_then(Value::as_str),
            after.pointer("/spec/scaleTargetRef/name").and_then(Value::as_str),
            before.namespace(),
        ) else {
            return Ok(None);
        };
        if !WORKLOADS.contains(&kind) {
            return Ok(None);
        }
        let workload = ObjectRef::namespaced(kind, ns, name);
        let Some(target) = self.cluster.get(&workload).await? else {
            return Ok(None);
        };
        let current = int_at(&target.0, "/spec/replicas").unwrap_or(1);
        match int_at(after, "/spec/maxReplicas") {
            Some(max) if max < current => {
                let mut scaled = target.0.clone();
                scaled["spec"]["replicas"] = Value::from(max);
                Ok(self.workload_change(&target, &scaled).await?.map(|c| (workload, c)))
            }
            _ => Ok(None),
        }
    }

    /// Puts the facts together.
    async fn assemble(
        mut self,
        touched: &BTreeSet<String>,
        disrupted: &BTreeSet<(String, String)>,
        changed: BTreeMap<ObjectRef, (i64, u32, String)>,
    ) -> Result<Impact, ClusterError> {
        let mut impact = Impact::default();
        // Workload → (ready before, ready after, pods affected).
        let mut per_workload: BTreeMap<ObjectRef, (i64, i64, u32)> = BTreeMap::new();
        let mut hit: Vec<Object> = Vec::new();
        for (ns, name) in disrupted {
            let Some(pod) = self.pods_in(ns).await?.iter().find(|p| p.name() == name).cloned() else {
                continue;
            };
            if !running(&pod) {
                continue;
            }
            impact.pods.push(format!("{ns}/{name}"));
            let ready = pod_ready(&pod);
            let (key, before) = match self.owner(&pod).await? {
                Some(owner) => {
                    let members = self.members(&owner).await?;
                    let before = members.iter().filter(|p| pod_ready(p)).count() as i64;
                    (owner, before)
                }
                None => (pod.reference(), i64::from(ready)),
            };
            let entry = per_workload.entry(key).or_insert((before, before, 0));
            if ready {
                entry.1 -= 1;
            }
            entry.2 += 1;
            hit.push(pod);
        }
        for (workload, (floor, down, how)) in changed {
            let members = self.members(&workload).await?;
            let before = members.iter().filter(|p| pod_ready(p)).count() as i64;
            impact.pods.push(format!("{workload} ({how})"));
            let entry = per_workload.entry(workload).or_insert((before, before, 0));
            entry.1 = entry.1.min(floor);
            entry.2 += down;
        }
        for (workload, (before, after, pods)) in per_workload {
            let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
            impact.workloads.push(WorkloadImpact {
                namespace: workload.namespace.clone(),
                workload: workload.to_string(),
                ready_before: count(before),
                ready_after: count(after),
                pods_affected: pods,
            });
        }
        impact.pods_affected = impact.workloads.iter().map(|w| w.pods_affected).sum();
        if let Some(worst) = impact.workloads.iter().min_by_key(|w| {
            (
                w.ready_after,
                std::cmp::Reverse(w.ready_before - w.ready_after.min(w.ready_before)),
            )
        }) {
            impact.workload = Some(worst.workload.clone());
            impact.ready_before = Some(worst.ready_before);
            impact.ready_after = Some(worst.ready_after);
        }
        impact.budgets = self.budgets(&hit).await?;
        let mut namespaces: BTreeSet<String> = touched.clone();
        namespaces.extend(impact.workloads.iter().filter_map(|w| w.namespace.clone()));
        impact.namespaces = namespaces.into_iter().collect();
        Ok(impact)
    }

    /// The budgets covering the directly disrupted pods, with what each allows now and
    /// how many of its healthy pods the plan disrupts.
    async fn budgets(&mut self, hit: &[Object]) -> Result<Vec<BudgetFact>, ClusterError> {
        let namespaces: BTreeSet<&str> = hit.iter().filter_map(Object::namespace).collect();
        let mut out = Vec::new();
        for ns in namespaces {
            let mut budgets = self
                .cluster
                .list(&Kind::of("PodDisruptionBudget"), Some(ns), None)
                .await?;
            budgets.sort_by(|a, b| a.name().cmp(b.name()));
            let pods = self.pods_in(ns).await?.clone();
            for pdb in budgets {
                let Some(selector) = pdb.0.pointer("/spec/selector").filter(|s| !s.is_null()) else {
                    continue;
                };
                let covered: Vec<&Object> = hit
                    .iter()
                    .filter(|p| p.namespace() == Some(ns) && selects(selector, p.0.pointer("/metadata/labels")))
                    .collect();
                if covered.is_empty() {
                    continue;
                }
                let planned = covered.iter().filter(|p| pod_ready(p)).count() as u32;
                let allowed = match int_at(&pdb.0, "/status/disruptionsAllowed") {
                    Some(n) => n,
                    None => {
                        let members: Vec<&Object> = pods
                            .iter()
                            .filter(|p| running(p) && selects(selector, p.0.pointer("/metadata/labels")))
                            .collect();
                        computed_allowance(
                            &pdb.0,
                            members.len() as i64,
                            members.iter().filter(|p| pod_ready(p)).count() as i64,
                        )
                    }
                };
                out.push(BudgetFact {
                    name: format!("{ns}/{}", pdb.name()),
                    disruptions_allowed: u32::try_from(allowed.max(0)).unwrap_or(u32::MAX),
                    disruptions_planned: planned,
                });
            }
        }
        Ok(out)
    }
}

/// What a budget allows when its status does not say (the disruption controller has not
/// written it yet): healthy pods above what `minAvailable` or `maxUnavailable` requires.
fn computed_allowance(pdb: &Value, expected: i64, healthy: i64) -> i64 {
    let desired = if let Some(min) = pdb.pointer("/spec/minAvailable") {
        scaled(min, expected, true)
    } else if let Some(max) = pdb.pointer("/spec/maxUnavailable") {
        expected - scaled(max, expected, true)
    } else {
        expected
    };
    (healthy - desired).max(0)
}

/// How many pods a template change takes down at once.
fn down_at_once(workload: &Value, kind: &str, replicas: i64) -> i64 {
    match kind {
        "Deployment" => {
            if workload.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("Recreate") {
                return replicas;
            }
            let unavailable = workload
                .pointer("/spec/strategy/rollingUpdate/maxUnavailable")
                .map_or(replicas / 4, |v| scaled(v, replicas, false));
            let surge = workload
                .pointer("/spec/strategy/rollingUpdate/maxSurge")
                .map_or((replicas + 3) / 4, |v| scaled(v, replicas, true));
            // Both 0 is refused by the API server; it would take one down at a time.
            if unavailable == 0 && surge == 0 { 1 } else { unavailable }
        }
        "StatefulSet" => {
            if workload.pointer("/spec/updateStrategy/type").and_then(Value::as_str) == Some("OnDelete") {
                return 0;
            }
            workload
                .pointer("/spec/updateStrategy/rollingUpdate/maxUnavailable")
                .map_or(1, |v| scaled(v, replicas, false).max(1))
                .min(replicas)
        }
        "DaemonSet" => {
            if workload.pointer("/spec/updateStrategy/type").and_then(Value::as_str) == Some("OnDelete") {
                return 0;
            }
            let unavailable = workload
                .pointer("/spec/updateStrategy/rollingUpdate/maxUnavailable")
                .map_or(1, |v| scaled(v, replicas, true));
            unavailable.min(replicas)
        }
        _ => replicas,
    }
    .max(0)
}

/// An `IntOrString` (`2`, `"25%"`) against `total`.
fn scaled(v: &Value, total: i64, round_up: bool) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.trim().parse::<i64>().ok()) {
            Some(p) if round_up => (p * total + 99) / 100,
            Some(p) => p * total / 100,
            None => s.trim().parse().unwrap_or(0),
        },
        _ => 0,
    }
    .max(0)
}

fn int_at(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

/// A pod that runs something: not being deleted, not finished.
fn running(pod: &Object) -> bool {
    let terminating = pod
        .0
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null());
    let finished = matches!(
        pod.0.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    !terminating && !finished
}

/// Whether a pod's `Ready` condition is true (and it is running).
fn pod_ready(pod: &Object) -> bool {
    running(pod)
        && pod
            .0
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
}

fn is_daemon(pod: &Object) -> bool {
    pod.controller().is_some_and(|c| c.kind.is("DaemonSet"))
}

/// The `NoExecute` taints `after` has that `before` did not.
fn new_no_execute_taints(before: &Value, after: &Value) -> Vec<Value> {
    let taints = |v: &Value| -> Vec<Value> {
        v.pointer("/spec/taints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let old = taints(before);
    taints(after)
        .into_iter()
        .filter(|t| t.get("effect").and_then(Value::as_str) == Some("NoExecute") && !old.contains(t))
        .collect()
}

/// Whether a pod tolerates every one of `taints`.
fn tolerates_all(pod: &Object, taints: &[Value]) -> bool {
    let tolerations = pod
        .0
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    taints.iter().all(|taint| {
        tolerations.iter().any(|t| {
            let key = t.get("key").and_then(Value::as_str).unwrap_or_default();
            let exists = t.get("operator").and_then(Value::as_str) == Some("Exists");
            let effect_ok = t
                .get("effect")
                .and_then(Value::as_str)
                .is_none_or(|e| e.is_empty() || Some(e) == taint.get("effect").and_then(Value::as_str));
            let key_ok = (key.is_empty() && exists) || Some(key) == taint.get("key").and_then(Value::as_str);
            let value_ok = exists || t.get("value") == taint.get("value");
            key_ok && value_ok && effect_ok
        })
    })
}

/// Whether a `LabelSelector` selects an object with `labels`, as the API server matches
/// it (an absent selector selects nothing here).
pub(crate) fn selects(selector: &Value, labels: Option<&Value>) -> bool {
    !selector.is_null() && crate::actions::read::label_selector_selects(selector, labels)
}
