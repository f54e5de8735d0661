//! The PodDisruptionBudgets that cover pods a drain evicts, so that its plan can say
//! which evictions may have to wait.
//!
//! Reads only. Label selectors are matched here as the API server matches a
//! `LabelSelector` (`matchLabels` and `matchExpressions`); this module decides nothing
//! about the drain itself.

use std::collections::BTreeSet;

use super::pod_name;
use crate::actions::read::{budget_requirement, label_selector_selects};
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
                .filter(|p| label_selector_selects(selector, p.0.pointer("/metadata/labels")))
                .map(|p| pod_name(p))
                .collect();
            if !selected.is_empty() {
                found.push(Covered {
                    budget: format!("{ns}/{}", pdb.name()),
                    requirement: budget_requirement(&pdb),
                    pods: selected,
                });
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors_match_as_the_api_server_does() {
        let labels = json!({"app": "api", "tier": "web"});
        let l = Some(&labels);
        assert!(label_selector_selects(&json!({}), l));
        assert!(label_selector_selects(&json!({"matchLabels": {"app": "api"}}), l));
        assert!(!label_selector_selects(&json!({"matchLabels": {"app": "db"}}), l));
        assert!(label_selector_selects(
            &json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "edge"]}]}),
            l
        ));
        assert!(!label_selector_selects(
            &json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}),
            l
        ));
        assert!(label_selector_selects(
            &json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}),
            l
        ));
        assert!(label_selector_selects(
            &json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
            l
        ));
        assert!(!label_selector_selects(
            &json!({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}),
            l
        ));
        assert!(!label_selector_selects(
            &json!({"matchExpressions": [{"key": "app", "operator": "Gt"}]}),
            l
        ));
        assert!(!label_selector_selects(&json!({"matchLabels": {"app": "api"}}), None));
    }
}
