//! Judging a fault after the simulation ran: is it gone? A fault is resolved when no pod
//! shows it any more, the workload it afflicted has its pods Ready, and what makes the
//! alert fire (a limit, a template, a condition, a count) no longer holds.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::objects::{self, condition, pods, ready, target_key, target_object, terminating};
use super::spec::{FaultKind, FaultTarget};
use super::state::{Baseline, FaultState, job_template, pod_spec};
use super::symptoms::Symptom;
use super::sync::affliction;
use crate::cluster::Object;
use crate::cluster::sim::selector::{Selector, labels_of};
use crate::cluster::sim::store::{Key, Store};

/// How a fault stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// The fault's kind.
    pub kind: FaultKind,
    /// Its target as text.
    pub target: String,
    /// Whether it is gone; `None` for `none` (there was nothing to resolve).
    pub resolved: Option<bool>,
    /// What still shows the fault (empty when resolved).
    pub findings: Vec<String>,
}

/// Shows at most this many afflicted pods by name.
const SHOWN: usize = 3;

/// Judges one fault on the store as it is now.
pub(super) fn report(store: &Store, state: &FaultState) -> FaultReport {
    let mut findings = Vec::new();
    if state.fault.kind != FaultKind::None {
        afflicted_pods(store, state, &mut findings);
        if let Some(subject) = &state.subject {
            subject_health(store, subject, &mut findings);
        }
        condition_holds(store, state, &mut findings);
    }
    FaultReport {
        kind: state.fault.kind,
        target: state.fault.target_text(),
        resolved: (state.fault.kind != FaultKind::None).then_some(findings.is_empty()),
        findings,
    }
}

fn afflicted_pods(store: &Store, state: &FaultState, findings: &mut Vec<String>) {
    let afflicted: Vec<(String, Symptom)> = store
        .list("", "Pod", None)
        .filter_map(|p| affliction(state, store, p).map(|s| (p.name().to_string(), s)))
        .collect();
    for (name, symptom) in afflicted.iter().take(SHOWN) {
        findings.push(format!("pod {name}: {}", describe(symptom, state)));
    }
    if afflicted.len() > SHOWN {
        findings.push(format!("and {} more pods like these", afflicted.len() - SHOWN));
    }
}

fn describe(symptom: &Symptom, state: &FaultState) -> String {
    match symptom {
        Symptom::Crash {
            container,
            reason,
            exit_code,
        } => {
            format!("container {container} is in CrashLoopBackOff (last terminated: {reason}, exit code {exit_code})")
        }
        Symptom::Hung { container } => format!("container {container} runs but fails its readiness probe"),
        Symptom::Leak { container } => format!("container {container} still leaks memory and is OOMKilled again"),
        Symptom::Terminating => "still Terminating, long past its grace period".into(),
        Symptom::NodeLost => format!(
            "not Ready on node {}, which stopped reporting",
            state.target().map(|t| t.name.as_str()).unwrap_or_default()
        ),
    }
}

/// The desired replicas of a workload.
fn desired(o: &Object) -> i64 {
    if o.kind().is("DaemonSet") {
        objects::int(&o.0, "/status/desiredNumberScheduled").unwrap_or(0)
    } else if o.kind().is("Pod") {
        1
    } else {
        objects::int(&o.0, "/spec/replicas").unwrap_or(1)
    }
}

fn subject_health(store: &Store, subject: &FaultTarget, findings: &mut Vec<String>) {
    if subject.kind == "Pod" {
        // A bare pod: restarting or deleting it removes the workload itself.
        match target_object(store, subject) {
            Some(p) if ready(&p) => {}
            Some(_) => findings.push(format!("{subject} is not Ready")),
            None => findings.push(format!("{subject} no longer exists and nothing recreates it")),
        }
        return;
    }
    let Some(workload) = target_object(store, subject) else {
        findings.push(format!("{subject} no longer exists"));
        return;
    };
    let live: Vec<Object> = pods(store, subject).into_iter().filter(|p| !terminating(p)).collect();
    let ready_count = live.iter().filter(|p| ready(p)).count() as i64;
    let want = desired(&workload);
    if ready_count < want {
        findings.push(format!("{ready_count} of {want} pods of {subject} are Ready"));
    }
}

fn limit_of(store: &Store, state: &FaultState, container: &str, resource: &str) -> Option<f64> {
    let object = target_object(store, state.target()?)?;
    objects::limit(pod_spec(&object)?, container, resource)
}

fn condition_holds(store: &Store, state: &FaultState, findings: &mut Vec<String>) {
    let Some(target) = state.target() else {
        return;
    };
    match (&state.fault.kind, &state.baseline) {
        (
            FaultKind::Oom,
            Baseline::Limit {
                container,
                value: Some(l0),
            },
        ) => {
            let now = limit_of(store, state, container, "memory").unwrap_or(*l0);
            if now < l0 * 1.25 {
                findings.push(format!(
                    "the memory limit of container {container} is {} (was {}): the OOMKills stop only at {} or more",
                    bytes(now),
                    bytes(*l0),
                    bytes(l0 * 1.25)
                ));
            }
        }
        (
            FaultKind::CpuThrottled,
            Baseline::Limit {
                container,
                value: Some(l0),
            },
        ) => {
            let now = limit_of(store, state, container, "cpu").unwrap_or(*l0);
            let old = pods(store, target)
                .iter()
                .filter(|p| !terminating(p))
                .filter(|p| {
                    objects::limit(p.0.get("spec").unwrap_or(&Value::Null), container, "cpu").is_some_and(|l| l <= *l0)
                })
                .count();
            if now <= *l0 || old > 0 {
                findings.push(format!(
                    "container {container} is still CPU-throttled: its CPU limit is {} ({old} pods run with the old limit of {})",
                    cores(now),
                    cores(*l0)
                ));
            }
        }
        (FaultKind::BadRollout, Baseline::Revision { good, .. }) => {
            let current = target_object(store, target)
                .and_then(|d| objects::template(&d).map(objects::comparable))
                .unwrap_or(Value::Null);
            if current != *good {
                findings.push(format!(
                    "the pod template of {target} is not the previous revision's: the faulty revision is still rolled out"
                ));
            }
        }
        (
            FaultKind::MemoryLeak,
            Baseline::Limit {
                container,
                value: Some(l0),
            },
        ) => {
            let now = limit_of(store, state, container, "memory").unwrap_or(*l0);
            if now > *l0 {
                findings.push(format!(
                    "the memory limit of container {container} was raised from {} to {}: that only delays the next OOMKill, the leak is still there",
                    bytes(*l0),
                    bytes(now)
                ));
            }
        }
        (FaultKind::NodeNotReady, _) => node_condition(store, target, findings),
        (FaultKind::PvcFull, Baseline::Volume { used }) => {
            let capacity = target_object(store, target)
                .and_then(|c| c.0.pointer("/status/capacity/storage").and_then(objects::quantity))
                .unwrap_or(*used);
            if used / capacity > 0.85 {
                findings.push(format!(
                    "the volume of {target} is {:.0}% full ({} of {})",
                    100.0 * used / capacity,
                    bytes(*used),
                    bytes(capacity)
                ));
            }
        }
        (FaultKind::HpaMaxed, Baseline::Load { demand, .. }) => {
            if let Some(hpa) = target_object(store, target) {
                let max = objects::int(&hpa.0, "/spec/maxReplicas").unwrap_or(0);
                let current = objects::int(&hpa.0, "/status/currentReplicas").unwrap_or(0);
                if current >= max {
                    findings.push(format!(
                        "{target} still runs at maxReplicas {max}; the load needs {}",
                        demand.ceil()
                    ));
                }
            }
        }
        (FaultKind::ReplicaShortage, Baseline::Required { replicas, budget }) => {
            let healthy = pods(store, target).iter().filter(|p| ready(p)).count() as i64;
            if healthy < *replicas {
                findings.push(format!(
                    "{healthy} pods of {target} are Ready; PodDisruptionBudget {budget} requires {replicas}"
                ));
            }
        }
        (FaultKind::JobFailedTransient, Baseline::JobTemplate { template }) => {
            let done = store
                .list("batch", "Job", target.namespace.as_deref())
                .filter(|j| j.name() != target.name)
                .any(|j| condition(&j.0, "Complete") == Some("True") && job_template(j) == *template);
            if !done {
                findings.push(format!("no re-run of {target} has completed"));
            }
        }
        (FaultKind::CompromisedPod, _) => compromise(store, state, findings),
        _ => {}
    }
}

fn node_condition(store: &Store, target: &FaultTarget, findings: &mut Vec<String>) {
    let Some(node) = target_object(store, target) else {
        return;
    };
    let cordoned = node.0.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true);
    if !cordoned {
        findings.push(format!(
            "node {} is not Ready and still schedulable: KubeNodeNotReady keeps firing",
            target.name
        ));
    }
    let stranded = store
        .list("", "Pod", None)
        .filter(|p| p.0.pointer("/spec/nodeName").and_then(Value::as_str) == Some(target.name.as_str()))
        .filter(|p| p.controller().is_none_or(|c| !c.kind.is("DaemonSet")) && !terminating(p))
        .count();
    if stranded > 0 {
        findings.push(format!("{stranded} pods are still on node {}", target.name));
    }
}

fn compromise(store: &Store, state: &FaultState, findings: &mut Vec<String>) {
    let Some((name, _)) = &state.compromised else {
        return;
    };
    let ns = state.target().map(target_key).map(|k| k.namespace).unwrap_or_default();
    if state.evidence_lost {
        findings.push(format!(
            "the compromised pod was deleted: its evidence is gone, and the same hole compromised pod {name}"
        ));
        return;
    }
    let Some(pod) = store.get(&Key::new("", "Pod", &ns, name)) else {
        return;
    };
    if !isolated(store, pod) && !quarantined(store, pod) {
        findings.push(format!(
            "pod {ns}/{name} is compromised and still reaches the network and its Services"
        ));
    }
}

/// Whether a NetworkPolicy denying all ingress and egress selects the pod.
fn isolated(store: &Store, pod: &Object) -> bool {
    let labels = labels_of(&pod.0);
    store
        .list("networking.k8s.io", "NetworkPolicy", pod.namespace())
        .any(|np| {
            let selects =
                np.0.pointer("/spec/podSelector")
                    .and_then(Selector::from_label_selector)
                    .is_some_and(|s| s.matches(&labels));
            let types: Vec<&str> =
                np.0.pointer("/spec/policyTypes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
            let no_rules = |k: &str| {
                np.0.pointer(&format!("/spec/{k}"))
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
            };
            selects
                && types.contains(&"Ingress")
                && types.contains(&"Egress")
                && no_rules("ingress")
                && no_rules("egress")
        })
}

/// Whether the pod no longer matches its controller's selector (released and kept).
fn quarantined(store: &Store, pod: &Object) -> bool {
    let Some(owner) = pod.controller().and_then(|c| store.get(&Key::of_ref(&c)).cloned()) else {
        return true;
    };
    !owner
        .0
        .pointer("/spec/selector")
        .and_then(Selector::from_label_selector)
        .is_some_and(|s| s.matches_object(&pod.0))
}

/// Bytes as Kubernetes writes memory (`256Mi`, `1.5Gi`).
fn bytes(b: f64) -> String {
    const GI: f64 = 1024.0 * 1024.0 * 1024.0;
    const MI: f64 = 1024.0 * 1024.0;
    if b >= GI {
        format!("{}Gi", trim(b / GI))
    } else {
        format!("{}Mi", trim(b / MI))
    }
}

/// CPU cores as Kubernetes writes them (`500m`, `2`).
fn cores(c: f64) -> String {
    if c < 1.0 || c.fract() != 0.0 {
        format!("{}m", (c * 1000.0).round())
    } else {
        format!("{c}")
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
