//! The PodDisruptionBudgets that cover pods a drain evicts, so that its plan can say
//! which evictions may have to wait.
//!
//! Reads only. Label selectors are matched here as the API server matches a
//! `LabelSelector` (`matchLabels` and `matchExpressions`); this module decides nothing
//! about the drain itself.

use std::collections::BTreeSet;

use serde_json::Value;

use super::pod_name;
use crate::cluster::{Cluster, ClusterError, Kind, Object};

/// One budget and the pods of the drain it selects.
pub(super) struct Covered {
    /// `namespace/name` of the budget.
    pub budget: String,
    /// What it requires (`minAvailable 1`).
    pub requirement: String,
    /// `namespace/name` of the pods it selects.
    pub pods: Vec<String>,
}

/// The budgets in the pods' namespaces that select at least one of `pods`, by namespace
/// and name.
pub(super) async fn covering(cluster: &dyn Cluster, pods: &[&Object]) -> Result<Vec<Covered>, ClusterError> {
    let namespaces: BTreeSet<&str> = pods.iter().filter_map(|p| p.namespace()).collect();
    let mut found = Vec::new();
    for ns in namespaces {
        let mut budgets = cluster.list(&Kind::of("PodDisruptionBudget"), Some(ns), None).await?;
        budgets.sort_by(|a, b| a.name().cmp(b.name()));
        for pdb in budgets {
            let Some(selector) = pdb.0.pointer("/spec/selector").filter(|s| !s.is_null()) else {
                continue;
            };
            let selected: Vec<String> = pods
                .iter()
                .filter(|p| p.namespace() == Some(ns))
                .filter(|p| selects(selector, p.0.pointer("/metadata/labels")))
                .map(|p| pod_name(p))
                .collect();
            if !selected.is_empty() {
                found.push(Covered {
                    budget: format!("{ns}/{}", pdb.name()),
                    requirement: requirement(&pdb),
                    pods: selected,
                });
            }
        }
    }
    Ok(found)
}

/// `minAvailable 2`, `maxUnavailable 25%`, or `at least one pod available`.
fn requirement(pdb: &Object) -> String {
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

/// Whether a `LabelSelector` selects an object with `labels`. An empty selector selects
/// everything; an unknown operator selects nothing.
pub(super) fn selects(selector: &Value, labels: Option<&Value>) -> bool {
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let match_labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let match_expressions = selector
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
    match_labels && match_expressions
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors_match_as_the_api_server_does() {
        let labels = json!({"app": "api", "tier": "web"});
        let l = Some(&labels);
        assert!(selects(&json!({}), l));
        assert!(selects(&json!({"matchLabels": {"app": "api"}}), l));
        assert!(!selects(&json!({"matchLabels": {"app": "db"}}), l));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "edge"]}]}),
            l
        ));
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}),
            l
        ));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}),
            l
        ));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
            l
        ));
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}),
            l
        ));
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "app", "operator": "Gt"}]}),
            l
        ));
        assert!(!selects(&json!({"matchLabels": {"app": "api"}}), None));
    }
}
