//! A fault's state in the store: the fault, what was true when it was injected (the
//! baseline its resolution is judged against), and the pods it afflicts.
//!
//! A fault is *armed* on the objects as loaded, before the controllers first run (so
//! that the pods they create at load already show it), then *settled* once the load has
//! converged (the pods present then are the ones a pod-level fault afflicts).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde_json::Value;

use super::objects::{self, behaviour, comparable, container_names, limit, target_object};
use super::spec::{Fault, FaultError, FaultKind, FaultTarget};
use crate::cluster::Object;
use crate::cluster::sim::controllers::{controlled_by, revision};
use crate::cluster::sim::selector::{Selector, labels_of};
use crate::cluster::sim::store::{Key, Store};

/// What was true when the fault was injected.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Baseline {
    /// Nothing to remember (the fault afflicts a set of pods, or a node).
    Nothing,
    /// A container's limit (`memory` bytes or `cpu` cores) in the workload's template.
    Limit {
        /// The container.
        container: String,
        /// The limit then; `None` when it had none.
        value: Option<f64>,
    },
    /// The faulty revision and the one before it.
    Revision {
        /// What makes the faulty revision's pods behave as they do.
        bad: Value,
        /// The previous revision's template, as the Deployment controller compares it.
        good: Value,
        /// The container that fails.
        container: String,
    },
    /// The bytes used on the full volume.
    Volume {
        /// Bytes used.
        used: f64,
    },
    /// The load on an autoscaled workload.
    Load {
        /// The load, in pods at the target utilization.
        demand: f64,
        /// The target utilization (percent).
        target: f64,
    },
    /// The replicas a PodDisruptionBudget requires.
    Required {
        /// minAvailable.
        replicas: i64,
        /// The budget's name.
        budget: String,
    },
    /// The failed Job's pod template, to recognize its retries.
    JobTemplate {
        /// The template without the labels the Job controller adds.
        template: Value,
    },
}

/// One injected fault.
#[derive(Debug, Clone)]
pub struct FaultState {
    /// The fault as given.
    pub(super) fault: Fault,
    /// Why it could not be armed (the scenario is then invalid).
    pub(super) error: Option<String>,
    /// When it was injected.
    pub(super) injected_at: Timestamp,
    /// Whether the load has converged (pods created from now on are replacements).
    pub(super) settled: bool,
    /// Whether arming waits for the load to settle (a pod target the controllers create).
    pub(super) pending: bool,
    /// What was true at injection.
    pub(super) baseline: Baseline,
    /// The uids of the pods a pod-level fault afflicts (for `oom`: of the pods present
    /// when the load settled, those that showed it).
    pub(super) affected: BTreeSet<String>,
    /// The uids of the pods present when the load settled.
    pub(super) initial: BTreeSet<String>,
    /// The compromised pod (name, uid), for `compromised_pod`.
    pub(super) compromised: Option<(String, String)>,
    /// The object whose health tells whether the fault is gone: the target workload, a
    /// target pod's top controller, an HPA's Deployment (`None` for nodes, claims, Jobs).
    pub(super) subject: Option<FaultTarget>,
    /// The compromised pod's controller, whose replacement pods the attacker takes over.
    pub(super) owner: Option<Key>,
    /// Whether the compromised pod was deleted (its evidence is gone).
    pub(super) evidence_lost: bool,
    /// Log text of an afflicted pod per container, given to the pods the fault afflicts later.
    pub(super) logs: BTreeMap<String, String>,
}

impl FaultState {
    /// The fault's target (`None` only for `none`).
    pub(super) fn target(&self) -> Option<&FaultTarget> {
        self.fault.target.as_ref()
    }

    /// The error to report, when the fault could not be armed.
    pub(super) fn failure(&self) -> Option<FaultError> {
        self.error.as_ref().map(|message| FaultError {
            kind: self.fault.kind,
            target: self.fault.target_text(),
            message: message.clone(),
        })
    }

    /// Whether the fault is in force (armed without error, and not `none`).
    pub(super) fn active(&self) -> bool {
        self.error.is_none() && !self.pending && self.fault.kind != FaultKind::None
    }
}

/// Arms a fault on the loaded objects: checks its target and takes the baseline. A pod
/// target may be one the controllers create at load: it is armed when the load settles
/// ([`FaultState::pending`]).
pub(in crate::cluster::sim) fn arm(store: &Store, fault: &Fault) -> FaultState {
    let pod_to_come = fault
        .target
        .as_ref()
        .is_some_and(|t| t.kind == "Pod" && target_object(store, t).is_none());
    let mut state = armed(store, fault);
    if pod_to_come {
        state.error = None;
        state.pending = true;
    }
    state
}

/// Arms a fault now.
pub(super) fn armed(store: &Store, fault: &Fault) -> FaultState {
    let mut state = FaultState {
        fault: fault.clone(),
        error: None,
        injected_at: store.now(),
        settled: false,
        pending: false,
        baseline: Baseline::Nothing,
        affected: BTreeSet::new(),
        initial: BTreeSet::new(),
        compromised: None,
        owner: None,
        subject: None,
        evidence_lost: false,
        logs: BTreeMap::new(),
    };
    match baseline(store, fault) {
        Ok(b) => state.baseline = b,
        Err(message) => state.error = Some(message),
    }
    if state.error.is_none() {
        state.subject = subject(store, fault);
    }
    if state.error.is_none()
        && fault.kind == FaultKind::CompromisedPod
        && let Some(pod) = fault.target.as_ref().and_then(|t| target_object(store, t))
    {
        state.compromised = Some((pod.name().to_string(), pod.uid().unwrap_or_default().to_string()));
        state.owner = pod.controller().map(|c| Key::of_ref(&c));
    }
    state
}

/// The workload whose pods must end healthy (see [`FaultState::subject`]).
fn subject(store: &Store, fault: &Fault) -> Option<FaultTarget> {
    let target = fault.target.as_ref()?;
    let as_target = |o: &Object| FaultTarget {
        kind: o.kind().kind,
        namespace: o.namespace().map(str::to_string),
        name: o.name().to_string(),
    };
    match target.kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" => Some(target.clone()),
        "Pod" => {
            let pod = target_object(store, target)?;
            let Some(owner) = pod.controller().and_then(|c| store.get(&Key::of_ref(&c)).cloned()) else {
                return Some(target.clone());
            };
            let top = owner
                .controller()
                .and_then(|c| store.get(&Key::of_ref(&c)).cloned())
                .unwrap_or(owner);
            Some(as_target(&top))
        }
        "HorizontalPodAutoscaler" => {
            let hpa = target_object(store, target)?;
            let name = hpa.0.pointer("/spec/scaleTargetRef/name").and_then(Value::as_str)?;
            Some(FaultTarget {
                kind: "Deployment".into(),
                namespace: target.namespace.clone(),
                name: name.to_string(),
            })
        }
        _ => None,
    }
}

fn baseline(store: &Store, fault: &Fault) -> Result<Baseline, String> {
    let kinds = fault.kind.target_kinds();
    let Some(target) = &fault.target else {
        return if kinds.is_empty() {
            Ok(Baseline::Nothing)
        } else {
            Err(format!("a target is required: one of {}", kinds.join(", ")))
        };
    };
    if !kinds.is_empty() && !kinds.contains(&target.kind.as_str()) {
        return Err(format!(
            "target kind {:?} is not one this fault afflicts ({})",
            target.kind,
            kinds.join(", ")
        ));
    }
    if fault.kind == FaultKind::None {
        return Ok(Baseline::Nothing);
    }
    let object = target_object(store, target).ok_or_else(|| format!("{target} is not among the scenario's objects"))?;
    let pod_spec = pod_spec(&object);
    if fault.kind.needs_container() && fault.container.is_none() {
        return Err("`container` is required for this kind".into());
    }
    if let (Some(c), Some(spec)) = (&fault.container, pod_spec)
        && objects::container(spec, c).is_none()
    {
        return Err(format!(
            "container {c:?} is not in {target} (containers: {})",
            container_names(spec).join(", ")
        ));
    }
    let container = || {
        fault
            .container
            .clone()
            .or_else(|| pod_spec.and_then(|s| container_names(s).into_iter().next()))
            .unwrap_or_default()
    };
    match fault.kind {
        FaultKind::Oom | FaultKind::CpuThrottled | FaultKind::MemoryLeak => {
            let resource = if fault.kind == FaultKind::CpuThrottled {
                "cpu"
            } else {
                "memory"
            };
            let container = container();
            let value = pod_spec.and_then(|s| limit(s, &container, resource));
            if value.is_none() && fault.kind != FaultKind::MemoryLeak {
                return Err(format!("container {container:?} has no {resource} limit to exceed"));
            }
            Ok(Baseline::Limit { container, value })
        }
        FaultKind::BadRollout => bad_rollout(store, &object),
        FaultKind::PvcFull => {
            let size = object
                .0
                .pointer("/status/capacity/storage")
                .or_else(|| object.0.pointer("/spec/resources/requests/storage"))
                .and_then(objects::quantity)
                .ok_or("the claim has neither status.capacity.storage nor spec.resources.requests.storage")?;
            Ok(Baseline::Volume { used: size * 0.97 })
        }
        FaultKind::HpaMaxed => hpa_load(store, &object),
        FaultKind::ReplicaShortage => required_replicas(store, &object),
        FaultKind::JobFailedTransient => Ok(Baseline::JobTemplate {
            template: job_template(&object),
        }),
        _ => Ok(Baseline::Nothing),
    }
}

/// The pod spec of a pod or a workload's template.
pub(super) fn pod_spec(o: &Object) -> Option<&Value> {
    if o.kind().is("Pod") {
        o.0.get("spec")
    } else {
        o.0.pointer("/spec/template/spec")
    }
}

fn bad_rollout(store: &Store, deployment: &Object) -> Result<Baseline, String> {
    let current = objects::template(deployment).cloned().unwrap_or(Value::Null);
    let wanted = comparable(&current);
    let previous = store
        .list("apps", "ReplicaSet", deployment.namespace())
        .filter(|rs| controlled_by(rs, deployment))
        .filter(|rs| comparable(objects::template(rs).unwrap_or(&Value::Null)) != wanted)
        .max_by_key(|rs| revision(rs))
        .ok_or(
            "no ReplicaSet of an earlier revision is among the objects: a bad rollout needs the previous \
             revision's ReplicaSet (with its deployment.kubernetes.io/revision annotation)",
        )?;
    let good = comparable(objects::template(previous).unwrap_or(&Value::Null));
    let bad_spec = current.get("spec").cloned().unwrap_or(Value::Null);
    let good_spec = good.get("spec").cloned().unwrap_or(Value::Null);
    let bad = behaviour(&bad_spec);
    if bad == behaviour(&good_spec) {
        return Err(format!(
            "the current template differs from revision {} only in resources or metadata: nothing in it could break the pods",
            revision(previous)
        ));
    }
    let good_containers = behaviour(&good_spec);
    let container = bad
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| !good_containers.as_array().is_some_and(|g| g.contains(c)))
        .and_then(|c| c.get("name").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    Ok(Baseline::Revision { bad, good, container })
}

fn hpa_load(store: &Store, hpa: &Object) -> Result<Baseline, String> {
    let max = objects::int(&hpa.0, "/spec/maxReplicas").ok_or("spec.maxReplicas is missing")?;
    let current = objects::int(&hpa.0, "/status/currentReplicas").unwrap_or(max);
    let target = hpa
        .0
        .pointer("/spec/metrics/0/resource/target/averageUtilization")
        .and_then(Value::as_f64)
        .unwrap_or(80.0);
    let utilization = hpa
        .0
        .pointer("/status/currentMetrics/0/resource/current/averageUtilization")
        .and_then(Value::as_f64)
        .ok_or("status.currentMetrics[0].resource.current.averageUtilization is missing: the load cannot be known")?;
    let demand = current as f64 * utilization / target;
    if demand <= max as f64 {
        return Err(format!(
            "{current} replicas at {utilization}% of a {target}% target fit within maxReplicas {max}: the HPA is not maxed out"
        ));
    }
    let scale_target = hpa
        .0
        .pointer("/spec/scaleTargetRef/name")
        .and_then(Value::as_str)
        .ok_or("spec.scaleTargetRef.name is missing")?;
    let ns = hpa.namespace().unwrap_or("default");
    if store.get(&Key::new("apps", "Deployment", ns, scale_target)).is_none() {
        return Err(format!(
            "its scale target Deployment {ns}/{scale_target} is not among the objects"
        ));
    }
    Ok(Baseline::Load { demand, target })
}

fn required_replicas(store: &Store, workload: &Object) -> Result<Baseline, String> {
    let labels = workload.0.pointer("/spec/template").map(labels_of).unwrap_or_default();
    let budget = store
        .list("policy", "PodDisruptionBudget", workload.namespace())
        .find(|pdb| {
            pdb.0
                .pointer("/spec/selector")
                .and_then(Selector::from_label_selector)
                .is_some_and(|s| s.matches(&labels))
        })
        .ok_or(
            "no PodDisruptionBudget selects the workload's pods: a replica shortage is measured against its minAvailable",
        )?;
    let required = objects::int(&budget.0, "/spec/minAvailable").ok_or(format!(
        "PodDisruptionBudget {} has no integer spec.minAvailable",
        budget.name()
    ))?;
    let replicas = objects::int(&workload.0, "/spec/replicas").unwrap_or(1);
    if replicas >= required {
        return Err(format!(
            "the workload asks for {replicas} replicas, already at least minAvailable {required} of PodDisruptionBudget {}",
            budget.name()
        ));
    }
    Ok(Baseline::Required {
        replicas: required,
        budget: budget.name().to_string(),
    })
}

/// Labels the Job controller adds to a Job's template (they differ between retries).
const JOB_LABELS: &[&str] = &[
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
];

/// A Job's pod template without what differs between a Job and its retry.
pub(super) fn job_template(job: &Object) -> Value {
    let mut t = job.0.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    if let Some(labels) = t.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        for l in JOB_LABELS {
            labels.remove(*l);
        }
    }
    comparable(&t)
}
