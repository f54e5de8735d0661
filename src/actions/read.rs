//! Reads and object facts shared by the action planners: fetching the target with a
//! clear error when it is gone, a Deployment's ReplicaSets and revisions, a pod
//! template's images.
//!
//! Everything here only reads (the cluster through [`Cluster`], or JSON already read);
//! it must not decide what an action does, nor write anything.

use serde_json::Value;

use super::ActionError;
use super::plan::PlanInput;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef};

/// The workload kinds whose pod template medic changes.
pub const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];

/// The annotation holding a Deployment's (or its ReplicaSet's) revision number.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// The label the Deployment controller adds to each ReplicaSet's pod template.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// A [`ActionError::NotApplicable`] for `target`.
pub fn not_applicable(action: &'static str, target: &ObjectRef, reason: impl Into<String>) -> ActionError {
    ActionError::NotApplicable {
        action,
        target: target.to_string(),
        reason: reason.into(),
    }
}

/// Reads the object `r`; a missing object is [`ActionError::NotApplicable`]
/// (`deployment not found`), a failed read is [`ActionError::Cluster`].
pub async fn get_existing(input: &PlanInput<'_>, action: &'static str, r: &ObjectRef) -> Result<Object, ActionError> {
    input
        .cluster
        .get(r)
        .await?
        .ok_or_else(|| not_applicable(action, r, format!("{} not found", r.kind.kind.to_ascii_lowercase())))
}

/// The revision number in an object's `deployment.kubernetes.io/revision` annotation.
pub fn revision(obj: &Object) -> Option<i64> {
    obj.annotation(REVISION_ANNOTATION)?.trim().parse().ok()
}

/// Whether a Deployment's rollout is paused (`spec.paused`).
pub fn is_paused(obj: &Object) -> bool {
    obj.0.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
}

/// `spec.replicas`, defaulting to 1 as the API server does.
pub fn replicas(obj: &Object) -> i64 {
    obj.0.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

/// Whether `owned` names `owner` among its ownerReferences: by uid when both have one,
/// else by kind and name.
pub fn is_owned_by(owned: &Object, owner: &Object) -> bool {
    let Some(refs) = owned.0.pointer("/metadata/ownerReferences").and_then(Value::as_array) else {
        return false;
    };
    let owner_kind = owner.kind();
    refs.iter().any(|r| {
        let field = |k: &str| r.get(k).and_then(Value::as_str);
        match (field("uid"), owner.uid()) {
            (Some(uid), Some(owner_uid)) => uid == owner_uid,
            _ => field("kind") == Some(owner_kind.kind.as_str()) && field("name") == Some(owner.name()),
        }
    })
}

/// The ReplicaSets a Deployment owns, with their revision numbers (ReplicaSets without a
/// revision are left out), oldest revision first.
pub async fn owned_replicasets(cluster: &dyn Cluster, deployment: &Object) -> Result<Vec<(i64, Object)>, ClusterError> {
    let all = cluster
        .list(&Kind::of("ReplicaSet"), deployment.namespace(), None)
        .await?;
    let mut owned: Vec<(i64, Object)> = all
        .into_iter()
        .filter(|rs| is_owned_by(rs, deployment))
        .filter_map(|rs| revision(&rs).map(|r| (r, rs)))
        .collect();
    owned.sort_by_key(|(r, _)| *r);
    Ok(owned)
}

/// The containers of a pod template (`template.spec.containers`), in order.
pub fn template_containers(template: &Value) -> &[Value] {
    template
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The images of a pod template, for humans: `api:1.3` for one container,
/// `api=api:1.3, proxy=envoy:1.30` for several.
pub fn template_images(template: &Value) -> String {
    let containers = template_containers(template);
    let image = |c: &Value| c.get("image").and_then(Value::as_str).unwrap_or("no image").to_string();
    match containers {
        [] => "no containers".into(),
        [only] => image(only),
        several => several
            .iter()
            .map(|c| format!("{}={}", c.get("name").and_then(Value::as_str).unwrap_or("?"), image(c)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `Kind name` for humans: `ReplicaSet api-6f`.
pub fn kind_and_name(r: &ObjectRef) -> String {
    format!("{} {}", r.kind.kind, r.name)
}

/// The label every object medic creates carries (`app.kubernetes.io/managed-by: medic`).
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "medic");

/// Labels and annotations identifying the incident on an object medic creates: the
/// managed-by label, the alert's fingerprint and name as labels (for selectors), and the
/// alert's summary as an annotation.
pub fn incident_metadata(
    incident: &crate::incident::Incident,
) -> (serde_json::Map<String, Value>, serde_json::Map<String, Value>) {
    let mut labels = serde_json::Map::new();
    labels.insert(MANAGED_BY.0.into(), Value::String(MANAGED_BY.1.into()));
    labels.insert(
        "medic.dev/fingerprint".into(),
        Value::String(incident.fingerprint.clone()),
    );
    labels.insert(
        "medic.dev/alertname".into(),
        Value::String(label_value(&incident.alertname)),
    );
    let mut annotations = serde_json::Map::new();
    annotations.insert("medic.dev/alertname".into(), Value::String(incident.alertname.clone()));
    annotations.insert(
        "medic.dev/starts-at".into(),
        Value::String(incident.starts_at.to_string()),
    );
    annotations.insert(
        "medic.dev/summary".into(),
        Value::String(incident.summary().to_string()),
    );
    (labels, annotations)
}

/// A string made a valid label value: at most 63 characters of `[A-Za-z0-9._-]`,
/// starting and ending with an alphanumeric.
pub fn label_value(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

/// Whether a `LabelSelector` (`matchLabels` and `matchExpressions`) selects an object
/// with `labels`. An empty selector selects every object; an unknown operator selects
/// none, as the API server would refuse it.
pub fn label_selector_selects(selector: &Value, labels: Option<&Value>) -> bool {
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let by_labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let by_expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e.get("operator").and_then(Value::as_str) {
                Some("In") => label(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => label(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => label(key).is_some(),
                Some("DoesNotExist") => label(key).is_none(),
                _ => false,
            }
        });
    by_labels && by_expressions
}

/// What a PodDisruptionBudget requires: `minAvailable 2`, `maxUnavailable 25%`, or `at
/// least one pod available` for a budget that gives neither.
pub fn budget_requirement(pdb: &Object) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(min) = pdb.0.pointer("/spec/minAvailable") {
        format!("minAvailable {}", text(min))
    } else if let Some(max) = pdb.0.pointer("/spec/maxUnavailable") {
        format!("maxUnavailable {}", text(max))
    } else {
        "at least one pod available".into()
    }
}

/// The first of `names` that no Job in `namespace` has, asked of the cluster in turn
/// (and no further than needed); `None` when every one is taken.
pub async fn first_free_job_name(
    cluster: &dyn Cluster,
    namespace: &str,
    names: impl IntoIterator<Item = String>,
) -> Result<Option<String>, ClusterError> {
    for name in names {
        if cluster
            .get(&ObjectRef::namespaced("Job", namespace, &name))
            .await?
            .is_none()
        {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ownership_by_uid_or_by_name() {
        let deploy = Object::new(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop", "uid": "d-1"}}))
        .unwrap();
        let rs = |owner: Value| {
            Object::new(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": "api-1", "namespace": "shop", "ownerReferences": [owner]}}))
            .unwrap()
        };
        assert!(is_owned_by(
            &rs(json!({"kind": "Deployment", "name": "other", "uid": "d-1"})),
            &deploy
        ));
        assert!(!is_owned_by(
            &rs(json!({"kind": "Deployment", "name": "api", "uid": "d-0"})),
            &deploy
        ));
        assert!(is_owned_by(&rs(json!({"kind": "Deployment", "name": "api"})), &deploy));
        assert!(!is_owned_by(
            &rs(json!({"kind": "StatefulSet", "name": "api"})),
            &deploy
        ));
    }

    #[test]
    fn images_of_one_or_several_containers() {
        let one = json!({"spec": {"containers": [{"name": "api", "image": "api:1.3"}]}});
        assert_eq!(template_images(&one), "api:1.3");
        let two = json!({"spec": {"containers": [{"name": "api", "image": "api:1.3"}, {"name": "proxy", "image": "envoy:1"}]}});
        assert_eq!(template_images(&two), "api=api:1.3, proxy=envoy:1");
    }
}
