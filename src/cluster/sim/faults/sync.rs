//! The fault model at work: the hook that afflicts pods as they are created, the
//! controller pass that keeps afflicted objects unhealthy (and plays the parts of
//! Kubernetes the simulator otherwise leaves out: the HPA, the volume resizer, the Job
//! controller, the node lifecycle controller), and the passing of time.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::objects::{self, belongs, condition, pods, ready, target_key, target_object, terminating};
use super::spec::FaultKind;
use super::state::{Baseline, FaultState, armed, job_template};
use super::symptoms::{self, Symptom};
use crate::cluster::Object;
use crate::cluster::sim::controllers::{controlled_by, reconcile, record_event};
use crate::cluster::sim::store::{Key, Store, format_time, metadata_mut};

/// How long pods stay on a node that stopped reporting before the node lifecycle
/// controller evicts them (the default `tolerationSeconds` of the not-ready taints).
const EVICTION_DELAY: SignedDuration = SignedDuration::from_secs(300);

/// The symptom a fault gives this pod, when it afflicts it.
pub(super) fn affliction(state: &FaultState, store: &Store, pod: &Object) -> Option<Symptom> {
    let target = state.target()?;
    let in_set = || match pod.uid() {
        Some(uid) if state.settled => state.affected.contains(uid),
        _ => !state.settled && belongs(store, pod, target),
    };
    let spec = pod.0.get("spec").unwrap_or(&Value::Null);
    match (&state.fault.kind, &state.baseline) {
        (
            FaultKind::Oom,
            Baseline::Limit {
                container,
                value: Some(l0),
            },
        ) => {
            let fixed = objects::limit(spec, container, "memory").is_none_or(|l| l >= l0 * 1.25);
            // Of the pods there at injection, those that were OOMing; every pod since.
            let exposed = match pod.uid() {
                Some(uid) if state.settled && state.initial.contains(uid) => state.affected.contains(uid),
                _ => true,
            };
            (!fixed && exposed && belongs(store, pod, target)).then(|| Symptom::Crash {
                container: container.clone(),
                reason: "OOMKilled",
                exit_code: 137,
            })
        }
        (FaultKind::BadRollout, Baseline::Revision { bad, container, .. }) => {
            (objects::behaviour(spec) == *bad && belongs(store, pod, target)).then(|| Symptom::Crash {
                container: container.clone(),
                reason: "Error",
                exit_code: 1,
            })
        }
        (FaultKind::HungProcess, _) => in_set().then(|| Symptom::Hung {
            container: state
                .fault
                .container
                .clone()
                .or_else(|| objects::container_names(spec).into_iter().next())
                .unwrap_or_default(),
        }),
        (FaultKind::MemoryLeak, Baseline::Limit { container, .. }) => in_set().then(|| Symptom::Leak {
            container: container.clone(),
        }),
        (FaultKind::StuckTerminating, _) => (state.settled && in_set()).then_some(Symptom::Terminating),
        // DaemonSet pods belong to their node: they go down with it and are not evicted.
        (FaultKind::NodeNotReady, _) => (spec.get("nodeName").and_then(Value::as_str) == Some(target.name.as_str())
            && pod.controller().is_none_or(|c| !c.kind.is("DaemonSet")))
        .then_some(Symptom::NodeLost),
        _ => None,
    }
}

/// Called by the controllers for every pod they create, before it is stored: a fault
/// that afflicts the new pod writes its symptom (and its log) into it.
pub(in crate::cluster::sim) fn on_pod_created(store: &mut Store, pod: &mut Value) {
    if store.faults.is_empty() {
        return;
    }
    let now = store.now();
    let object = Object(pod.clone());
    let mut logs = Vec::new();
    for state in store.faults.iter().filter(|s| s.active()) {
        if let Some(symptom) = affliction(state, store, &object) {
            symptoms::write(pod, &symptom, now);
            logs.extend(state.logs.iter().map(|(c, text)| (c.clone(), text.clone())));
        }
    }
    let ns = object.namespace().unwrap_or("default").to_string();
    for (container, text) in logs {
        let previous = pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| {
                c.get("name").and_then(Value::as_str) == Some(&container)
                    && c.pointer("/lastState/terminated").is_some()
            });
        store
            .logs
            .insert((ns.clone(), object.name().to_string(), container, previous), text);
    }
}

/// Ends the load: the pods present now are the ones a pod-level fault afflicts, and
/// their logs are what later afflicted pods print.
pub(super) fn settle(store: &mut Store) {
    let mut faults = std::mem::take(&mut store.faults);
    for state in faults.iter_mut().filter(|s| s.pending) {
        let injected_at = state.injected_at;
        *state = armed(store, &state.fault);
        state.injected_at = injected_at;
    }
    for state in faults.iter_mut().filter(|s| s.active()) {
        let Some(target) = state.target().cloned() else {
            continue;
        };
        let members = pods(store, &target);
        state.initial = members.iter().filter_map(|p| p.uid().map(str::to_string)).collect();
        match state.fault.kind {
            FaultKind::Oom => {
                let showing: BTreeSet<String> = members
                    .iter()
                    .filter(|p| affliction(state, store, p).is_some_and(|s| symptoms::shows(&p.0, &s)))
                    .filter_map(|p| p.uid().map(str::to_string))
                    .collect();
                state.affected = if showing.is_empty() {
                    state.initial.clone()
                } else {
                    showing
                };
            }
            FaultKind::HungProcess | FaultKind::MemoryLeak => {
                state.affected = members
                    .iter()
                    .filter(|p| !terminating(p))
                    .filter_map(|p| p.uid().map(str::to_string))
                    .collect();
            }
            FaultKind::StuckTerminating => {
                let stuck: Vec<&Object> = members.iter().filter(|p| terminating(p)).collect();
                let chosen: Vec<&Object> = if stuck.is_empty() {
                    members.iter().collect()
                } else {
                    stuck
                };
                state.affected = chosen.iter().filter_map(|p| p.uid().map(str::to_string)).collect();
            }
            _ => {}
        }
        for pod in &members {
            let ns = pod.namespace().unwrap_or_default();
            for ((lns, lpod, container, _), text) in &store.logs {
                if lns == ns && lpod == pod.name() {
                    state.logs.entry(container.clone()).or_insert_with(|| text.clone());
                }
            }
        }
        state.settled = true;
    }
    store.faults = faults;
}

/// The fault model's controller pass: keeps afflicted objects unhealthy and plays the
/// Kubernetes parts the fault needs. Returns whether it changed anything.
pub(in crate::cluster::sim) fn sync(store: &mut Store) -> bool {
    if store.faults.iter().all(|s| !s.active()) {
        return false;
    }
    let mut faults = std::mem::take(&mut store.faults);
    let mut changed = false;
    for state in faults.iter_mut().filter(|s| s.active()) {
        // While loading, the objects show what the scenario wrote; only the pods the
        // controllers create then get the fault (from the creation hook).
        if state.settled {
            changed |= sync_pods(store, state);
        }
        changed |= match state.fault.kind {
            FaultKind::NodeNotReady => sync_node(store, state),
            FaultKind::HpaMaxed => sync_autoscaler(store, state),
            FaultKind::ReplicaShortage => sync_budget(store, state),
            FaultKind::JobFailedTransient => sync_jobs(store, state),
            FaultKind::CompromisedPod => {
                track_compromise(store, state);
                false
            }
            _ => false,
        };
    }
    store.faults = faults;
    changed
}

/// Stores `object` when it differs from what is stored; true when it did.
fn save(store: &mut Store, object: Object) -> bool {
    let key = Key::of(&object);
    if store.get(&key).is_some_and(|o| o.0 == object.0) {
        return false;
    }
    store.update(object);
    true
}

fn sync_pods(store: &mut Store, state: &FaultState) -> bool {
    let now = store.now();
    let namespace = state.target().map(target_key).map(|k| k.namespace);
    let scope = namespace.as_deref().filter(|ns| !ns.is_empty());
    let afflicted: Vec<(Object, Symptom)> = store
        .list("", "Pod", scope)
        .filter_map(|p| affliction(state, store, p).map(|s| (p.clone(), s)))
        .filter(|(p, s)| !symptoms::shows(&p.0, s))
        .collect();
    let mut changed = false;
    for (mut pod, symptom) in afflicted {
        symptoms::write(&mut pod.0, &symptom, now);
        changed |= save(store, pod);
    }
    changed
}

/// Keeps the node's Ready condition off True, as a node whose kubelet stopped posting.
fn sync_node(store: &mut Store, state: &FaultState) -> bool {
    let Some(mut node) = state.target().and_then(|t| target_object(store, t)) else {
        return false;
    };
    if condition(&node.0, "Ready") == Some("False") || condition(&node.0, "Ready") == Some("Unknown") {
        return false;
    }
    let now = store.now_text();
    let lost = json!({"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                      "message": "Kubelet stopped posting node status.",
                      "lastHeartbeatTime": format_time(state.injected_at - SignedDuration::from_secs(600)),
                      "lastTransitionTime": now});
    let conditions = node.0["status"]["conditions"].as_array_mut();
    match conditions {
        Some(list) => {
            list.retain(|c| c.get("type").and_then(Value::as_str) != Some("Ready"));
            list.push(lost);
        }
        None => node.0["status"]["conditions"] = json!([lost]),
    }
    save(store, node)
}

/// The HPA controller for a maxed-out autoscaler: scales its Deployment to the load,
/// within min and max replicas, and reports the utilization the load gives.
fn sync_autoscaler(store: &mut Store, state: &FaultState) -> bool {
    let Baseline::Load { demand, target } = state.baseline else {
        return false;
    };
    let Some(mut hpa) = state.target().and_then(|t| target_object(store, t)) else {
        return false;
    };
    let ns = hpa.namespace().unwrap_or("default").to_string();
    let name = hpa
        .0
        .pointer("/spec/scaleTargetRef/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(mut deployment) = store.get(&Key::new("apps", "Deployment", &ns, name)).cloned() else {
        return false;
    };
    let min = objects::int(&hpa.0, "/spec/minReplicas").unwrap_or(1);
    let max = objects::int(&hpa.0, "/spec/maxReplicas").unwrap_or(min);
    let wanted = (demand - 1e-9).ceil() as i64;
    let desired = wanted.clamp(min, max.max(min));
    let mut changed = false;
    if objects::int(&deployment.0, "/spec/replicas") != Some(desired) {
        deployment.0["spec"]["replicas"] = json!(desired);
        let generation = objects::int(&deployment.0, "/metadata/generation").unwrap_or(1);
        metadata_mut(&mut deployment).insert("generation".into(), json!(generation + 1));
        changed |= save(store, deployment.clone());
    }
    let current = objects::int(&deployment.0, "/status/replicas").unwrap_or(desired);
    let ready = objects::int(&deployment.0, "/status/readyReplicas").unwrap_or(0).max(1);
    let utilization = (demand * target / ready as f64).round() as i64;
    let now = store.now_text();
    let limited = wanted > max;
    let mut conditions = hpa
        .0
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (status, reason, message) = if limited {
        (
            "True",
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    } else {
        (
            "False",
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        )
    };
    set_condition(
        &mut conditions,
        "AbleToScale",
        "True",
        "ReadyForNewScale",
        "recommended size matches current size",
        &now,
    );
    set_condition(
        &mut conditions,
        "ScalingActive",
        "True",
        "ValidMetricFound",
        "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
        &now,
    );
    set_condition(&mut conditions, "ScalingLimited", status, reason, message, &now);
    let metric = hpa
        .0
        .pointer("/spec/metrics/0/resource/name")
        .cloned()
        .unwrap_or(json!("cpu"));
    let status_map = &mut hpa.0["status"];
    status_map["currentReplicas"] = json!(current);
    status_map["desiredReplicas"] = json!(desired);
    status_map["currentMetrics"] = json!([{"type": "Resource",
        "resource": {"name": metric, "current": {"averageUtilization": utilization}}}]);
    status_map["conditions"] = Value::Array(conditions);
    changed | save(store, hpa)
}

fn set_condition(conditions: &mut Vec<Value>, type_: &str, status: &str, reason: &str, message: &str, now: &str) {
    match conditions
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
    {
        Some(c) => {
            if c.get("status").and_then(Value::as_str) != Some(status) {
                c["lastTransitionTime"] = json!(now);
            }
            c["status"] = json!(status);
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        None => conditions.push(json!({"type": type_, "status": status, "reason": reason,
                                       "message": message, "lastTransitionTime": now})),
    }
}

/// The disruption controller's status of the budget a short workload is measured against.
fn sync_budget(store: &mut Store, state: &FaultState) -> bool {
    let Baseline::Required { replicas, budget } = &state.baseline else {
        return false;
    };
    let Some(target) = state.target() else {
        return false;
    };
    let ns = target_key(target).namespace;
    let Some(mut pdb) = store
        .get(&Key::new("policy", "PodDisruptionBudget", &ns, budget))
        .cloned()
    else {
        return false;
    };
    let members: Vec<Object> = pods(store, target).into_iter().filter(|p| !terminating(p)).collect();
    let healthy = members.iter().filter(|p| ready(p)).count() as i64;
    let now = store.now_text();
    let allowed = (healthy - replicas).max(0);
    let mut conditions = pdb
        .0
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (status, reason, message) = if allowed > 0 {
        ("True", "SufficientPods", "")
    } else {
        ("False", "InsufficientPods", "")
    };
    set_condition(&mut conditions, "DisruptionAllowed", status, reason, message, &now);
    let generation = objects::int(&pdb.0, "/metadata/generation").unwrap_or(1);
    pdb.0["status"] = json!({
        "currentHealthy": healthy,
        "desiredHealthy": replicas,
        "expectedPods": members.len(),
        "disruptionsAllowed": allowed,
        "observedGeneration": generation,
        "conditions": conditions,
    });
    save(store, pdb)
}

/// The failed Job stays failed; a Job re-created from its template after the fault was
/// injected (a retry) runs to completion, since the failure was transient.
fn sync_jobs(store: &mut Store, state: &FaultState) -> bool {
    let Baseline::JobTemplate { template } = &state.baseline else {
        return false;
    };
    let Some(target) = state.target() else {
        return false;
    };
    let now = store.now_text();
    let mut changed = false;
    if let Some(mut failed) = target_object(store, target)
        && condition(&failed.0, "Failed") != Some("True")
    {
        let backoff = objects::int(&failed.0, "/spec/backoffLimit").unwrap_or(6);
        failed.0["status"]["failed"] = json!(backoff + 1);
        failed.0["status"]["active"] = json!(0);
        failed.0["status"]["conditions"] = json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
            "message": "Job has reached the specified backoff limit", "lastTransitionTime": now, "lastProbeTime": now}]);
        changed |= save(store, failed);
    }
    let injected = state.injected_at;
    let retries: Vec<Object> = store
        .list("batch", "Job", target.namespace.as_deref())
        .filter(|j| j.name() != target.name)
        .filter(|j| {
            j.0.pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .and_then(|t| t.parse::<Timestamp>().ok())
                .is_some_and(|t| t >= injected)
        })
        .filter(|j| condition(&j.0, "Complete") != Some("True"))
        .filter(|j| job_template(j) == *template)
        .cloned()
        .collect();
    for mut job in retries {
        let created = job
            .0
            .pointer("/metadata/creationTimestamp")
            .cloned()
            .unwrap_or(json!(now));
        job.0["status"] = json!({
            "startTime": created,
            "completionTime": now,
            "succeeded": 1,
            "active": 0,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                 "message": "Reached expected number of succeeded pods", "lastTransitionTime": now, "lastProbeTime": now},
                {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                 "message": "Reached expected number of succeeded pods", "lastTransitionTime": now, "lastProbeTime": now},
            ],
        });
        changed |= save(store, job);
    }
    changed
}

/// When the compromised pod is deleted, its evidence is gone and the attacker comes back
/// through the same hole: the newest pod of the same controller is compromised in turn.
fn track_compromise(store: &mut Store, state: &mut FaultState) {
    let Some((name, uid)) = state.compromised.clone() else {
        return;
    };
    let Some(target) = state.target().cloned() else {
        return;
    };
    let ns = target_key(&target).namespace;
    let alive = store
        .get(&Key::new("", "Pod", &ns, &name))
        .is_some_and(|p| p.uid() == Some(uid.as_str()));
    if alive {
        return;
    }
    state.evidence_lost = true;
    let Some(owner) = state.owner.clone() else {
        return;
    };
    let Some(owner) = store.get(&owner).cloned() else {
        return;
    };
    let replacement = store
        .list("", "Pod", Some(&ns))
        .filter(|p| controlled_by(p, &owner) && !terminating(p))
        .max_by_key(|p| {
            (
                p.0.pointer("/metadata/creationTimestamp")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                p.name().to_string(),
            )
        })
        .cloned();
    if let Some(pod) = replacement {
        for (container, text) in &state.logs {
            store.logs.insert(
                (ns.clone(), pod.name().to_string(), container.clone(), false),
                text.clone(),
            );
        }
        state.compromised = Some((pod.name().to_string(), pod.uid().unwrap_or_default().to_string()));
    }
}

/// Time passes from `from` to the store's now: crash loops restart again, leaking
/// containers are OOMKilled again, and pods on a node that stopped reporting are evicted
/// once the not-ready taints' tolerations run out. The controllers then run.
pub(in crate::cluster::sim) fn elapse(store: &mut Store, from: Timestamp) {
    let to = store.now();
    if to <= from || store.faults.iter().all(|s| !s.active()) {
        return;
    }
    let faults = store.faults.clone();
    let mut progressed = Vec::new();
    for pod in store.list("", "Pod", None) {
        for state in faults.iter().filter(|s| s.active()) {
            if let Some(symptom) = affliction(state, store, pod) {
                let mut p = pod.clone();
                symptoms::progress(&mut p.0, &symptom, from, to);
                progressed.push(p);
            }
        }
    }
    for pod in progressed {
        save(store, pod);
    }
    for state in faults
        .iter()
        .filter(|s| s.active() && s.fault.kind == FaultKind::NodeNotReady)
    {
        evict_from_lost_node(store, state, to);
    }
    reconcile(store);
}

fn evict_from_lost_node(store: &mut Store, state: &FaultState, now: Timestamp) {
    let Some(node) = state.target().and_then(|t| target_object(store, t)) else {
        return;
    };
    let since = node
        .0
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        .and_then(|c| c.get("lastTransitionTime"))
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<Timestamp>().ok())
        .unwrap_or(state.injected_at)
        .min(state.injected_at);
    if now.duration_since(since) < EVICTION_DELAY {
        return;
    }
    let evicted: Vec<Object> = store
        .list("", "Pod", None)
        .filter(|p| p.0.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node.name()))
        .filter(|p| p.controller().is_some_and(|c| !c.kind.is("DaemonSet")))
        .cloned()
        .collect();
    for pod in evicted {
        record_event(
            store,
            &pod,
            "Normal",
            "TaintManagerEviction",
            &format!(
                "Marking for deletion Pod {}/{}",
                pod.namespace().unwrap_or_default(),
                pod.name()
            ),
            "taint-eviction-controller",
        );
        store.remove(&Key::of(&pod));
    }
}
