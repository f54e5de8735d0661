//! The target-health signal: read the subject (workload, else target) through the
//! [`Cluster`] as the context stage does, and compare with the baseline taken when the
//! action was decided.
//!
//! Three parts, each 0..1, averaged: the share of pods Ready; the share of pods none of
//! whose containers restarted since the action; the share of pods free of the trouble
//! that makes alerts fire (a container waiting on an error such as `CrashLoopBackOff`, a
//! pod not Running, a stuck rollout, a NotReady node). The signal is missing when the
//! subject cannot be read or no longer exists. It only reads the cluster.

use jiff::Timestamp;

use crate::assess::model::{Baseline, Evidence, RestartCount, Signal};
use crate::cluster::{Cluster, ObjectRef};
use crate::context::{Context, Limits, PodFacts, gather::gather_at};
use crate::incident::{AlertStatus, Incident, TargetKind, TargetRef};

/// What is read for the health signal: pods and workload state, no logs.
const LIMITS: Limits = Limits {
    log_bytes: 0,
    max_logs: 0,
    max_events: 1,
    max_pods: 200,
};

/// Waiting reasons that are a normal step of starting, not trouble.
const STARTING: &[&str] = &["ContainerCreating", "PodInitializing"];

/// The baseline of a context: its pods' readiness and restart counts.
pub fn baseline(context: &Context) -> Baseline {
    let pods: Vec<&PodFacts> = context.pods.iter().filter(|p| !p.terminating).collect();
    Baseline {
        pods: pods.len(),
        ready: pods.iter().filter(|p| p.ready).count(),
        restarts: pods
            .iter()
            .flat_map(|p| {
                p.containers.iter().map(|c| RestartCount {
                    pod: p.name.clone(),
                    container: c.name.clone(),
                    restarts: i64::from(c.restart_count),
                })
            })
            .collect(),
    }
}

/// Reads the subject and scores its health; `None` when it cannot be read.
pub async fn assess(
    cluster: &dyn Cluster,
    subject: Option<&ObjectRef>,
    baseline: &Baseline,
    now: Timestamp,
) -> (Option<f64>, Vec<Evidence>) {
    let ev = |text: String| vec![Evidence::new(Signal::Health, text)];
    let Some(subject) = subject else {
        return (None, ev("the action named no object whose health could be read".into()));
    };
    let Some(kind) = TargetKind::parse(&subject.kind.kind) else {
        return (None, ev(format!("the health of a {} is not read", subject.kind)));
    };
    let probe = probe(subject, kind, now);
    let context = gather_at(cluster, &probe, &LIMITS, now).await;
    if !context.target_found {
        let why = if context.errors.is_empty() {
            format!("{subject} no longer exists")
        } else {
            format!("could not read {subject}: {}", context.errors.join("; "))
        };
        return (None, ev(why));
    }
    score(subject, &context, baseline)
}

/// Scores a freshly gathered context of the subject against the baseline.
pub fn score(subject: &ObjectRef, context: &Context, baseline: &Baseline) -> (Option<f64>, Vec<Evidence>) {
    let mut parts: Vec<f64> = Vec::new();
    let mut evidence = Vec::new();
    let mut note = |text: String| evidence.push(Evidence::new(Signal::Health, text));
    let pods: Vec<&PodFacts> = context.pods.iter().filter(|p| !p.terminating).collect();
    let expects_none = context.workload.as_ref().and_then(|w| w.replicas) == Some(0);
    let is_node = subject.kind.is("Node");

    // Readiness.
    if pods.is_empty() {
        if expects_none {
            parts.push(1.0);
            note(format!("{subject} runs no pods and expects none (0 replicas)"));
        } else if !is_node {
            parts.push(0.0);
            note(format!("{subject} has no running pod"));
        }
    } else {
        let ready = pods.iter().filter(|p| p.ready).count();
        parts.push(ready as f64 / pods.len() as f64);
        note(format!(
            "{ready}/{} pods Ready (when decided: {}/{})",
            pods.len(),
            baseline.ready,
            baseline.pods
        ));
    }

    // Restarts since the action.
    if !pods.is_empty() {
        let mut restarted = Vec::new();
        for pod in &pods {
            let mut grew = Vec::new();
            for c in &pod.containers {
                let before = baseline
                    .restarts
                    .iter()
                    .find(|r| r.pod == pod.name && r.container == c.name)
                    .map_or(0, |r| r.restarts);
                let delta = i64::from(c.restart_count) - before;
                if delta > 0 {
                    grew.push(format!("{}/{} +{delta}", pod.name, c.name));
                }
            }
            if !grew.is_empty() {
                restarted.push(grew.join(", "));
            }
        }
        parts.push(1.0 - restarted.len() as f64 / pods.len() as f64);
        if restarted.is_empty() {
            note("no container restarted since the action".into());
        } else {
            note(format!("restarted since the action: {}", restarted.join("; ")));
        }
    }

    // The trouble itself.
    let mut troubled = Vec::new();
    let mut bad_pods = 0;
    for pod in &pods {
        let mut reasons = Vec::new();
        let phase = pod.phase.as_deref().unwrap_or("Unknown");
        if !matches!(phase, "Running" | "Succeeded") {
            reasons.push(format!("{} is {phase}", pod.name));
        }
        for c in &pod.containers {
            if let Some(reason) = c.waiting_reason.as_deref().filter(|r| !STARTING.contains(r)) {
                reasons.push(format!("{}/{} waiting: {reason}", pod.name, c.name));
            }
        }
        if !reasons.is_empty() {
            bad_pods += 1;
            troubled.extend(reasons);
        }
    }
    let stuck = context
        .workload
        .as_ref()
        .and_then(|w| w.progressing_reason.as_deref())
        .filter(|r| *r == "ProgressDeadlineExceeded");
    if is_node {
        let ready = context.node.as_ref().is_some_and(|n| n.ready);
        parts.push(if ready { 1.0 } else { 0.0 });
        note(format!(
            "node {} is {}",
            subject.name,
            if ready { "Ready" } else { "NotReady" }
        ));
    } else if let Some(reason) = stuck {
        parts.push(0.0);
        troubled.push(format!("the rollout of {subject} is stuck: {reason}"));
        note(format!("still troubled: {}", troubled.join("; ")));
    } else if !pods.is_empty() {
        parts.push(1.0 - bad_pods as f64 / pods.len() as f64);
        if troubled.is_empty() {
            note("no pod waiting on an error or out of Running".into());
        } else {
            note(format!("still troubled: {}", troubled.join("; ")));
        }
    }

    if parts.is_empty() {
        return (None, evidence);
    }
    let health = parts.iter().sum::<f64>() / parts.len() as f64;
    (Some(crate::assess::score::round(health)), evidence)
}

/// An incident about `subject`, only to drive the context gatherer.
fn probe(subject: &ObjectRef, kind: TargetKind, now: Timestamp) -> Incident {
    Incident {
        source: "assessment".into(),
        fingerprint: String::new(),
        status: AlertStatus::Firing,
        alertname: "Assessment".into(),
        severity: None,
        labels: Default::default(),
        annotations: Default::default(),
        starts_at: now,
        ends_at: None,
        generator_url: None,
        receiver: None,
        group_key: None,
        target: Some(TargetRef {
            kind,
            namespace: subject.namespace.clone(),
            name: subject.name.clone(),
            container: None,
        }),
    }
}
