//! Node actions: `cordon_node` and `uncordon_node` set `spec.unschedulable` with a merge
//! patch; `taint_node` adds a taint with a JSON patch guarded by the resourceVersion
//! (`nodes/taints.rs`); `drain_node` cordons, then evicts every pod but DaemonSet and mirror
//! pods through the Eviction API (`nodes/drain.rs`).
//!
//! A change that would change nothing (cordoning a cordoned node, a taint that is already
//! there) is refused rather than planned as a no-op. Planning reads only; it must not
//! change anything itself (the executor applies the plan, after the policy stage allowed
//! it).

mod budgets;
mod drain;
mod taints;

use serde_json::{Value, json};

pub use drain::plan_drain_node;
pub use taints::plan_taint_node;

use super::diff;
use super::plan::{Plan, PlanInput};
use super::read::not_applicable;
use super::target::acting_on_live;
use super::{ActionError, ActionKind, CordonNode, UncordonNode};
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, PatchBody};

/// The annotation the kubelet puts on the API's copy of a static pod.
pub const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// Plans `cordon_node`: one merge patch setting `spec.unschedulable: true`.
pub async fn plan_cordon_node(
    _p: &CordonNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::CordonNode;
    let (target, node) = acting_on_live(kind, target, input).await?;
    if is_cordoned(&node) {
        return Err(not_applicable(
            kind.name(),
            &target,
            "the node is already cordoned (spec.unschedulable is true)",
        ));
    }
    let patch = cordon_patch();
    let change = diff::patch_change(kind.name(), &node, &patch)?;
    Ok(Plan::one_patch(
        kind.name(),
        format!("cordon {target}: mark it unschedulable"),
        target,
        None,
        patch,
        change,
        vec![
            "pods already running on the node keep running; only new pods are kept off it (drain_node evicts them)"
                .into(),
        ],
    ))
}

/// Plans `uncordon_node`: one merge patch removing `spec.unschedulable`, as
/// `kubectl uncordon` does.
pub async fn plan_uncordon_node(
    _p: &UncordonNode,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::UncordonNode;
    let (target, node) = acting_on_live(kind, target, input).await?;
    if !is_cordoned(&node) {
        return Err(not_applicable(
            kind.name(),
            &target,
            "the node is not cordoned (spec.unschedulable is not set)",
        ));
    }
    let patch = PatchBody::Merge(json!({"spec": {"unschedulable": null}}));
    let change = diff::patch_change(kind.name(), &node, &patch)?;
    let mut notes =
        vec!["new pods may be scheduled on the node again; pods moved elsewhere stay where they are".into()];
    if !is_ready(&node) {
        notes.push("the node is not Ready: pods scheduled on it will not start until it is".into());
    }
    Ok(Plan::one_patch(
        kind.name(),
        format!("uncordon {target}: mark it schedulable again"),
        target,
        None,
        patch,
        change,
        notes,
    ))
}

/// The patch that cordons a node.
fn cordon_patch() -> PatchBody {
    PatchBody::Merge(json!({"spec": {"unschedulable": true}}))
}

/// Whether the node is cordoned (`spec.unschedulable: true`).
fn is_cordoned(node: &Object) -> bool {
    node.0.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true)
}

/// Whether the node's `Ready` condition is true.
fn is_ready(node: &Object) -> bool {
    node.0
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// The pods bound to the node, that are neither finished nor being deleted, sorted by
/// namespace and name. The cluster lists by label only, so every pod is listed and
/// filtered on `spec.nodeName`.
async fn pods_on(cluster: &dyn Cluster, node: &str) -> Result<Vec<Object>, ClusterError> {
    let mut pods: Vec<Object> = cluster
        .list(&Kind::of("Pod"), None, None)
        .await?
        .into_iter()
        .filter(|p| p.0.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node))
        .collect();
    pods.sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));
    Ok(pods)
}

/// Whether the pod has finished (`Succeeded` or `Failed`): nothing is lost by removing it.
fn is_finished(pod: &Object) -> bool {
    matches!(
        pod.0.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// Whether the pod is being deleted (`metadata.deletionTimestamp` is set).
fn is_terminating(pod: &Object) -> bool {
    pod.0
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// `namespace/name` of a pod, for notes and reasons.
fn pod_name(pod: &Object) -> String {
    format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name())
}

/// Names joined with `, `.
fn names(pods: &[&Object]) -> String {
    pods.iter().map(|p| pod_name(p)).collect::<Vec<_>>().join(", ")
}
