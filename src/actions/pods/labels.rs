//! Label facts the pod actions read: which selectors pick a pod (PodDisruptionBudgets,
//! NetworkPolicies, Services), and names and label values derived from a pod's name
//! that stay within Kubernetes' length limits while staying unique.
//!
//! Pure functions and reads only: nothing here writes or decides.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::cluster::{Cluster, ClusterError, Kind, Object};

/// A Service that routes to a pod: its name and its selector as text (`app=api`).
pub(super) struct SelectingService {
    /// The Service's name.
    pub name: String,
    /// Its selector, `k=v` joined by commas.
    pub selector: String,
}

/// The Services of `namespace` whose selector matches `labels`, by name. A Service
/// without a selector (endpoints managed by hand) selects no pod.
pub(super) async fn services_selecting(
    cluster: &dyn Cluster,
    namespace: &str,
    labels: Option<&Value>,
) -> Result<Vec<SelectingService>, ClusterError> {
    let mut services = cluster.list(&Kind::of("Service"), Some(namespace), None).await?;
    services.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(services
        .iter()
        .filter_map(|s| {
            let selector = s.0.pointer("/spec/selector")?.as_object().filter(|m| !m.is_empty())?;
            let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
            selector
                .iter()
                .all(|(k, v)| label(k) == v.as_str())
                .then(|| SelectingService {
                    name: s.name().to_string(),
                    selector: selector
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(","),
                })
        })
        .collect())
}

/// The object's labels as a map (empty when it has none).
pub(super) fn labels_of(obj: &Object) -> serde_json::Map<String, Value> {
    obj.0
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `prefix` + `name` when it fits in `max` characters; otherwise `prefix`, as much of
/// `name` as fits, `-` and 10 hex characters of a hash of `name`, so that two long
/// names never share a result.
pub(super) fn bounded_name(prefix: &str, name: &str, max: usize) -> String {
    if prefix.len() + name.len() <= max {
        return format!("{prefix}{name}");
    }
    let hash = &hex::encode(Sha256::digest(name.as_bytes()))[..10];
    let room = max.saturating_sub(prefix.len() + 1 + hash.len());
    let mut head: String = name.chars().take(room).collect();
    while head.ends_with(['-', '.', '_']) {
        head.pop();
    }
    if head.is_empty() {
        format!("{prefix}{hash}")
    } else {
        format!("{prefix}{head}-{hash}")
    }
}

/// A label value (at most 63 characters) that stands for exactly one pod name: the name
/// itself when it fits, else a prefix of it and a hash of all of it.
pub(super) fn unique_label_value(name: &str) -> String {
    bounded_name("", name, 63)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::read::label_selector_selects;
    use serde_json::json;

    #[test]
    fn label_selectors_match_as_the_api_server_does() {
        let labels = json!({"app": "api", "tier": "web"});
        let l = Some(&labels);
        assert!(label_selector_selects(&json!({}), l));
        assert!(label_selector_selects(&json!({"matchLabels": {"app": "api"}}), l));
        assert!(!label_selector_selects(&json!({"matchLabels": {"app": "db"}}), l));
        let expr =
            |op: &str, values: Value| json!({"matchExpressions": [{"key": "tier", "operator": op, "values": values}]});
        assert!(label_selector_selects(&expr("In", json!(["web", "edge"])), l));
        assert!(!label_selector_selects(&expr("NotIn", json!(["web"])), l));
        assert!(label_selector_selects(&expr("Exists", json!([])), l));
        assert!(!label_selector_selects(&expr("DoesNotExist", json!([])), l));
        assert!(!label_selector_selects(&expr("Gt", json!(["1"])), l));
        assert!(!label_selector_selects(&json!({"matchLabels": {"app": "api"}}), None));
    }

    #[test]
    fn bounded_names_stay_short_and_unique() {
        assert_eq!(bounded_name("medic-isolate-", "api-1", 63), "medic-isolate-api-1");
        let long_a = format!("{}-a", "x".repeat(70));
        let long_b = format!("{}-b", "x".repeat(70));
        let a = bounded_name("medic-isolate-", &long_a, 63);
        let b = bounded_name("medic-isolate-", &long_b, 63);
        assert_eq!(a.len(), 63);
        assert_ne!(a, b);
        assert!(a.starts_with("medic-isolate-xxxx"), "{a}");
        assert_eq!(unique_label_value("api-6b9c4-x7k2p"), "api-6b9c4-x7k2p");
        let v = unique_label_value(&"web.".repeat(30));
        assert!(v.len() <= 63 && !v.contains("..-"), "{v}");
    }
}
