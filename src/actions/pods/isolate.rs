//! `isolate_pod`: cut a pod off the network with a deny-all NetworkPolicy that selects
//! exactly that pod.
//!
//! A pod's own labels are usually shared with its siblings, so the plan first gives the
//! pod a label of its own (`medic.dev/isolated: <pod name>`, a merge patch), then creates
//! the NetworkPolicy `medic-isolate-<pod>` selecting only that label, with both policy
//! types and no rule: no traffic in, none out. The policy carries the incident's labels
//! and annotations and is owned by the pod, so it goes away with it.
//!
//! NetworkPolicies add up: traffic another policy allows to the pod still flows, and the
//! plan says which policies do. Planning reads only; it must not write anything itself.

use serde_json::{Value, json};

use super::labels::{bounded_name, services_selecting, unique_label_value};
use super::live_pod;
use crate::actions::diff::{self, patch_change};
use crate::actions::plan::{Change, Plan, PlanInput};
use crate::actions::read::{incident_metadata, kind_and_name, label_selector_selects, not_applicable};
use crate::actions::{ActionError, ActionKind, IsolatePod};
use crate::cluster::{Kind, Object, ObjectRef, Operation, PatchBody};

/// The label that selects an isolated pod; its value stands for the pod's name.
pub const ISOLATED: &str = "medic.dev/isolated";

/// The prefix of the NetworkPolicies `isolate_pod` creates.
const POLICY_PREFIX: &str = "medic-isolate-";

/// Plans `isolate_pod`: label the pod, then create the deny-all NetworkPolicy.
pub async fn plan_isolate_pod(
    _p: &IsolatePod,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::IsolatePod;
    let (target, pod) = live_pod(kind, target, input).await?;
    let refuse = |reason: String| not_applicable(kind.name(), &target, reason);
    if let Some(owner) = pod.controller().filter(|o| o.kind.is("Node")) {
        return Err(refuse(format!(
            "it is a static pod of node {}: its labels are its manifest's, and the API cannot change them",
            owner.name
        )));
    }
    let namespace = target.namespace.clone().unwrap_or_default();
    let policy_name = bounded_name(POLICY_PREFIX, &target.name, 63);
    let policy_ref = ObjectRef::namespaced("NetworkPolicy", &namespace, &policy_name);
    if input.cluster.get(&policy_ref).await?.is_some() {
        return Err(refuse(format!(
            "NetworkPolicy {policy_name} already exists: the pod is already isolated"
        )));
    }
    let value = unique_label_value(&target.name);

    let mut operations = Vec::new();
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    if pod.label(ISOLATED) == Some(value.as_str()) {
        notes.push(format!("the pod already has the label {ISOLATED}={value}"));
    } else {
        let patch = PatchBody::Merge(json!({"metadata": {"labels": {ISOLATED: value}}}));
        changes.push(patch_change(kind.name(), &pod, &patch)?);
        operations.push(Operation::Patch {
            target: target.clone(),
            subresource: None,
            patch,
        });
    }
    let policy = policy_object(input, &pod, &policy_name, &namespace, &value)?;
    changes.push(Change {
        object: policy_ref.clone(),
        diff: diff::created(&policy),
    });
    operations.push(Operation::Create { object: policy });

    notes.push(format!(
        "NetworkPolicy {policy_name} selects only pods labelled {ISOLATED}={value}; with no ingress or egress rule it denies all traffic to and from the pod, DNS included"
    ));
    notes.extend(other_policies(input, &pod, &namespace).await?);
    let services = services_selecting(input.cluster, &namespace, pod.0.pointer("/metadata/labels")).await?;
    for s in &services {
        notes.push(format!(
            "the pod stays behind Service {} (selector {}): requests routed to it fail (quarantine_pod takes it out)",
            s.name, s.selector
        ));
    }
    notes.push(match pod.controller() {
        Some(owner) => format!(
            "the pod keeps running and its labels still match {}: it is not replaced",
            kind_and_name(&owner)
        ),
        None => "the pod keeps running".to_string(),
    });
    notes.push(
        "the policy is owned by the pod (deleted with it), and takes effect only where the network plugin enforces NetworkPolicies"
            .into(),
    );
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target.clone()),
        summary: format!("isolate {target} with the deny-all NetworkPolicy {policy_name}"),
        operations,
        changes,
        notes,
        artifacts: Vec::new(),
    })
}

/// The deny-all NetworkPolicy, labelled and annotated with the incident, owned by the pod.
fn policy_object(
    input: &PlanInput<'_>,
    pod: &Object,
    name: &str,
    namespace: &str,
    value: &str,
) -> Result<Object, ActionError> {
    let (labels, mut annotations) = incident_metadata(input.incident);
    annotations.insert("medic.dev/isolated-pod".into(), json!(pod.name()));
    let mut metadata = json!({
        "name": name,
        "namespace": namespace,
        "labels": labels,
        "annotations": annotations,
    });
    if let Some(uid) = pod.uid() {
        metadata["ownerReferences"] = json!([{
            "apiVersion": "v1", "kind": "Pod", "name": pod.name(), "uid": uid,
        }]);
    }
    Object::new(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": {
            "podSelector": {"matchLabels": {ISOLATED: value}},
            "policyTypes": ["Ingress", "Egress"],
        },
    }))
    .map_err(|e| not_applicable(ActionKind::IsolatePod.name(), &pod.reference(), e.to_string()))
}

/// Notes on the NetworkPolicies that already select the pod and allow some traffic:
/// policies add up, so what they allow still flows.
async fn other_policies(input: &PlanInput<'_>, pod: &Object, namespace: &str) -> Result<Vec<String>, ActionError> {
    let mut policies = input
        .cluster
        .list(&Kind::of("NetworkPolicy"), Some(namespace), None)
        .await?;
    policies.sort_by(|a, b| a.name().cmp(b.name()));
    let labels = pod.0.pointer("/metadata/labels");
    Ok(policies
        .iter()
        .filter(|np| {
            np.0.pointer("/spec/podSelector")
                .is_some_and(|s| label_selector_selects(s, labels))
        })
        .filter_map(|np| {
            let allows = |key: &str| {
                np.0.pointer(&format!("/spec/{key}"))
                    .and_then(Value::as_array)
                    .is_some_and(|rules| !rules.is_empty())
            };
            let what = match (allows("ingress"), allows("egress")) {
                (true, true) => "ingress and egress",
                (true, false) => "ingress",
                (false, true) => "egress",
                (false, false) => return None,
            };
            Some(format!(
                "NetworkPolicy {} also selects the pod and allows some {what}: policies add up, so that traffic still flows",
                np.name()
            ))
        })
        .collect())
}
