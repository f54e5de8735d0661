//! `delete_stuck_pods`: force-delete (grace period 0, uid precondition) the pods that
//! have been Terminating for longer than they should.
//!
//! The pods come from the target: a pod itself, a ReplicaSet's, StatefulSet's or
//! DaemonSet's pods, a Deployment's through its ReplicaSets, or with `params.selector`
//! the pods matching it in the target's namespace. A pod is stuck when it is being
//! deleted and `now` is more than `min_overdue_seconds` past its `deletionTimestamp`.
//! The API server sets that timestamp to the time of the delete request *plus* the
//! grace period (`metadata.deletionGracePeriodSeconds`), so it already is the moment the
//! pod should have been gone; the grace period is not added a second time.
//!
//! Planning reads only, and must not delete anything itself. How many pods one plan
//! force-deletes is bounded by `bounds.max_replicas`: more is refused, never cut.

use jiff::Timestamp;
use serde_json::Value;

use super::terminating;
use crate::actions::diff;
use crate::actions::plan::{Change, Plan, PlanInput};
use crate::actions::read::{get_existing, is_owned_by, kind_and_name, not_applicable};
use crate::actions::target::acting_on;
use crate::actions::{ActionError, ActionKind, DeleteStuckPods};
use crate::cluster::{Kind, Object, ObjectRef, Operation};

const ACTION: &str = "delete_stuck_pods";

/// Plans `delete_stuck_pods` as of the system clock.
pub async fn plan_delete_stuck_pods(
    p: &DeleteStuckPods,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    plan_delete_stuck_pods_at(p, target, input, Timestamp::now()).await
}

/// Plans `delete_stuck_pods` as of `now`: one force delete per stuck pod, by name order.
pub async fn plan_delete_stuck_pods_at(
    p: &DeleteStuckPods,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
    now: Timestamp,
) -> Result<Plan, ActionError> {
    p.validate()?;
    let target = acting_on(ActionKind::DeleteStuckPods, target, input).await?;
    let (of, mut pods) = candidates(p, &target, input).await?;
    pods.sort_by(|a, b| a.name().cmp(b.name()));
    let margin = p.min_overdue();
    let checked: Vec<(Object, Check)> = pods
        .into_iter()
        .map(|pod| {
            let check = check(&pod, now, margin);
            (pod, check)
        })
        .collect();
    let stuck: Vec<&Object> = checked
        .iter()
        .filter(|(_, c)| matches!(c, Check::Stuck { .. }))
        .map(|(pod, _)| pod)
        .collect();
    if stuck.is_empty() {
        let reason = match (checked.as_slice(), of.as_deref()) {
            ([(_, c)], None) => format!("the pod is {}", c.text()),
            ([], Some(of)) => format!("there is no pod {of}"),
            (all, of) => {
                let each: Vec<String> = all
                    .iter()
                    .map(|(pod, c)| format!("{} ({})", pod.name(), c.text()))
                    .collect();
                format!(
                    "no pod is Terminating more than {margin}s past its deletion deadline; checked {} {}: {}",
                    count(all.len(), "pod"),
                    of.unwrap_or_default(),
                    each.join(", ")
                )
            }
        };
        return Err(not_applicable(ACTION, &target, reason));
    }
    let max = input.bounds.max_replicas;
    if stuck.len() > usize::try_from(max).unwrap_or(0) {
        return Err(ActionError::OutOfBounds {
            action: ACTION,
            field: "stuck pods".into(),
            value: stuck.len().to_string(),
            limit: format!(
                "bounds.max_replicas is {max}: force-delete fewer at once (a narrower params.selector, or one workload)"
            ),
        });
    }
    let mut notes = vec![
        "a force delete (grace period 0) removes each pod from the API without waiting for its kubelet to confirm that its containers stopped"
            .to_string(),
    ];
    for (pod, c) in &checked {
        if let Check::Stuck { .. } = c {
            notes.push(format!("{}: {}{}", pod.name(), c.text(), node_text(input, pod).await));
            notes.extend(caveats(pod));
        }
    }
    let operations = stuck
        .iter()
        .map(|pod| Operation::Delete {
            target: pod.reference(),
            grace_period_seconds: Some(0),
            uid: pod.uid().map(str::to_string),
        })
        .collect();
    let changes = stuck
        .iter()
        .map(|pod| Change {
            object: pod.reference(),
            diff: diff::deleted(pod),
        })
        .collect();
    let summary = match of {
        None => format!("force-delete {target}, stuck Terminating"),
        Some(of) => format!("force-delete {} {of}, stuck Terminating", count(stuck.len(), "pod")),
    };
    Ok(Plan {
        action: ACTION.into(),
        target: Some(target),
        summary,
        operations,
        changes,
        notes,
        artifacts: Vec::new(),
    })
}

/// The pods to check, and how to name where they come from (`of deployment/shop/api`,
/// `matching app=api in namespace shop`; `None` for the target pod itself).
async fn candidates(
    p: &DeleteStuckPods,
    target: &ObjectRef,
    input: &PlanInput<'_>,
) -> Result<(Option<String>, Vec<Object>), ActionError> {
    let namespace = target.namespace.as_deref();
    let pod_kind = Kind::of("Pod");
    if let Some(selector) = &p.selector {
        let ns = namespace.unwrap_or("default");
        let pods = input.cluster.list(&pod_kind, Some(ns), Some(selector)).await?;
        return Ok((Some(format!("matching {selector} in namespace {ns}")), pods));
    }
    let live = get_existing(input, ACTION, target).await?;
    if target.kind.is("Pod") {
        return Ok((None, vec![live]));
    }
    let all = input.cluster.list(&pod_kind, namespace, None).await?;
    let owners: Vec<Object> = if target.kind.is("Deployment") {
        input
            .cluster
            .list(&Kind::of("ReplicaSet"), namespace, None)
            .await?
            .into_iter()
            .filter(|rs| is_owned_by(rs, &live))
            .collect()
    } else {
        vec![live]
    };
    let pods = all
        .into_iter()
        .filter(|pod| owners.iter().any(|o| is_owned_by(pod, o)))
        .collect();
    Ok((Some(format!("of {target}")), pods))
}

/// What a pod's deletion looks like as of `now`.
enum Check {
    /// Not being deleted.
    Running,
    /// Being deleted, without a readable deadline.
    NoDeadline,
    /// Being deleted; `past` seconds past its deadline (negative: before it), not more
    /// than the margin.
    Within { past: i64, margin: i64 },
    /// Stuck: `past` seconds past its deadline, more than the margin.
    Stuck { past: i64, grace: Option<i64> },
}

impl Check {
    fn text(&self) -> String {
        match self {
            Check::Running => "not terminating".into(),
            Check::NoDeadline => "terminating, without a readable deletionTimestamp".into(),
            Check::Within { past, .. } if *past < 0 => {
                format!("terminating, {} before its deletion deadline", duration(-past))
            }
            Check::Within { past, margin } => format!(
                "terminating, {} past its deletion deadline, within the {margin}s margin",
                duration(*past)
            ),
            Check::Stuck { past, grace } => {
                let grace = grace.map(|g| format!(" (grace period {g}s)")).unwrap_or_default();
                format!("Terminating {} past its deletion deadline{grace}", duration(*past))
            }
        }
    }
}

fn check(pod: &Object, now: Timestamp, margin: i64) -> Check {
    if !terminating(pod) {
        return Check::Running;
    }
    let Some(deadline) = pod
        .0
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<Timestamp>().ok())
    else {
        return Check::NoDeadline;
    };
    let past = now.duration_since(deadline).as_secs();
    if past > margin {
        let grace = pod
            .0
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64);
        Check::Stuck { past, grace }
    } else {
        Check::Within { past, margin }
    }
}

/// `, on node worker-2, which is not Ready (Unknown)` when the pod's node is unhealthy
/// or gone: the usual reason a pod stays Terminating. Empty otherwise, or when the node
/// cannot be read (the plan does not depend on it).
async fn node_text(input: &PlanInput<'_>, pod: &Object) -> String {
    let Some(node) = pod.0.pointer("/spec/nodeName").and_then(Value::as_str) else {
        return String::new();
    };
    match input.cluster.get(&ObjectRef::cluster_scoped("Node", node)).await {
        Ok(None) => format!(", on node {node}, which no longer exists"),
        Ok(Some(n)) => {
            let ready =
                n.0.pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
                    .and_then(|c| c.get("status").and_then(Value::as_str))
                    .unwrap_or("Unknown");
            if ready == "True" {
                format!(", on node {node}")
            } else {
                format!(", on node {node}, which is not Ready ({ready})")
            }
        }
        Err(_) => String::new(),
    }
}

/// What a reader must know about force-deleting this pod.
fn caveats(pod: &Object) -> Vec<String> {
    let mut out = Vec::new();
    let finalizers: Vec<&str> = pod
        .0
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !finalizers.is_empty() {
        out.push(format!(
            "{} has finalizers ({}): it stays until they are removed, force delete or not",
            pod.name(),
            finalizers.join(", ")
        ));
    }
    if let Some(owner) = pod.controller().filter(|o| o.kind.is("StatefulSet")) {
        out.push(format!(
            "{} belongs to {}: it is recreated under the same name at once, even if the old containers still run on an unreachable node",
            pod.name(),
            kind_and_name(&owner)
        ));
    }
    out
}

/// `1 pod`, `3 pods`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `45s`, `10m`, `2h5m`, `3d4h`: short, as kubectl prints ages.
fn duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 if s % 60 == 0 => format!("{}m", s / 60),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        3600..86400 if s % 3600 / 60 == 0 => format!("{}h", s / 3600),
        3600..86400 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_like_kubectl_ages() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(600), "10m");
        assert_eq!(duration(610), "10m10s");
        assert_eq!(duration(7500), "2h5m");
        assert_eq!(duration(7200), "2h");
        assert_eq!(duration(3 * 86400 + 4 * 3600 + 5), "3d4h");
        assert_eq!(duration(-3), "0s");
    }
}
