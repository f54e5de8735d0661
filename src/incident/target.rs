//! Resolving the Kubernetes object an alert is about from its labels.
//!
//! The label names are the ones kube-state-metrics and the kubernetes-mixin alerts use.
//! Note that `job` is the Prometheus scrape job, never a Kubernetes Job (`job_name` is),
//! and that `instance` is a scrape address: it names a node only when nothing else in the
//! labels names a target and the alert has no namespace.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::Labels;

/// The kinds of object an alert can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TargetKind {
    /// A pod (`pod` label).
    Pod,
    /// A Deployment (`deployment`).
    Deployment,
    /// A StatefulSet (`statefulset`).
    StatefulSet,
    /// A DaemonSet (`daemonset`).
    DaemonSet,
    /// A batch Job (`job_name`).
    Job,
    /// A CronJob (`cronjob`).
    CronJob,
    /// A HorizontalPodAutoscaler (`horizontalpodautoscaler`).
    HorizontalPodAutoscaler,
    /// A PersistentVolumeClaim (`persistentvolumeclaim`).
    PersistentVolumeClaim,
    /// A node (`node`, or `instance` without port).
    Node,
}

impl TargetKind {
    /// Every kind, in resolution order.
    pub const ALL: [TargetKind; 9] = [
        TargetKind::Pod,
        TargetKind::Deployment,
        TargetKind::StatefulSet,
        TargetKind::DaemonSet,
        TargetKind::Job,
        TargetKind::CronJob,
        TargetKind::HorizontalPodAutoscaler,
        TargetKind::PersistentVolumeClaim,
        TargetKind::Node,
    ];

    /// The Kubernetes `kind` string.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Pod => "Pod",
            TargetKind::Deployment => "Deployment",
            TargetKind::StatefulSet => "StatefulSet",
            TargetKind::DaemonSet => "DaemonSet",
            TargetKind::Job => "Job",
            TargetKind::CronJob => "CronJob",
            TargetKind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            TargetKind::PersistentVolumeClaim => "PersistentVolumeClaim",
            TargetKind::Node => "Node",
        }
    }

    /// Parses a Kubernetes `kind` string (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// The alert label that names an object of this kind.
    pub fn label(self) -> &'static str {
        match self {
            TargetKind::Pod => "pod",
            TargetKind::Deployment => "deployment",
            TargetKind::StatefulSet => "statefulset",
            TargetKind::DaemonSet => "daemonset",
            TargetKind::Job => "job_name",
            TargetKind::CronJob => "cronjob",
            TargetKind::HorizontalPodAutoscaler => "horizontalpodautoscaler",
            TargetKind::PersistentVolumeClaim => "persistentvolumeclaim",
            TargetKind::Node => "node",
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        self != TargetKind::Node
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference to the object an incident is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetRef {
    /// The object's kind.
    pub kind: TargetKind,
    /// Its namespace (`None` for nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// The container the alert names, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

impl fmt::Display for TargetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name)?,
            None => write!(f, "{}/{}", self.kind, self.name)?,
        }
        if let Some(c) = &self.container {
            write!(f, " (container {c})")?;
        }
        Ok(())
    }
}

/// Resolves the target of an alert from its labels; `None` when the labels name nothing
/// medic can act on (the alert is then escalated).
pub fn resolve_target(labels: &Labels) -> Option<TargetRef> {
    let namespace = labels.get("namespace").filter(|s| !s.is_empty()).cloned();
    let container = labels.get("container").filter(|s| !s.is_empty()).cloned();
    for kind in TargetKind::ALL {
        let Some(name) = labels.get(kind.label()).filter(|s| !s.is_empty()) else {
            continue;
        };
        if kind.namespaced() && namespace.is_none() {
            continue;
        }
        return Some(TargetRef {
            kind,
            namespace: if kind.namespaced() { namespace } else { None },
            name: name.clone(),
            container: if kind == TargetKind::Pod || kind.namespaced() {
                container
            } else {
                None
            },
        });
    }
    if namespace.is_none()
        && let Some(instance) = labels.get("instance").filter(|s| !s.is_empty())
    {
        let host = strip_port(instance);
        if !host.is_empty() && host.parse::<std::net::IpAddr>().is_err() {
            return Some(TargetRef {
                kind: TargetKind::Node,
                namespace: None,
                name: host.to_string(),
                container: None,
            });
        }
    }
    None
}

/// `host:port` → `host`; bracketed IPv6 keeps its address.
fn strip_port(instance: &str) -> &str {
    if let Some(rest) = instance.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match instance.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !host.contains(':') => host,
        _ => instance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn pod_wins_over_workload_and_keeps_container() {
        let t = resolve_target(&labels(&[
            ("namespace", "shop"),
            ("pod", "api-1"),
            ("deployment", "api"),
            ("container", "app"),
            ("job", "kube-state-metrics"),
        ]))
        .unwrap();
        assert_eq!(t.kind, TargetKind::Pod);
        assert_eq!(t.namespace.as_deref(), Some("shop"));
        assert_eq!(t.name, "api-1");
        assert_eq!(t.container.as_deref(), Some("app"));
    }

    #[test]
    fn each_label_resolves_its_kind() {
        for kind in TargetKind::ALL {
            let l = labels(&[("namespace", "ns"), (kind.label(), "x")]);
            let t = resolve_target(&l).unwrap();
            assert_eq!(t.kind, kind);
            assert_eq!(t.namespace.is_some(), kind.namespaced());
        }
    }

    #[test]
    fn scrape_job_is_not_a_kubernetes_job() {
        assert_eq!(
            resolve_target(&labels(&[("namespace", "ns"), ("job", "kube-state-metrics")])),
            None
        );
    }

    #[test]
    fn instance_is_a_node_only_without_namespace_and_not_an_ip() {
        let t = resolve_target(&labels(&[("instance", "worker-2:9100")])).unwrap();
        assert_eq!((t.kind, t.name.as_str()), (TargetKind::Node, "worker-2"));
        assert_eq!(resolve_target(&labels(&[("instance", "10.0.0.3:9100")])), None);
        assert_eq!(
            resolve_target(&labels(&[("namespace", "ns"), ("instance", "w:8080")])),
            None
        );
    }

    #[test]
    fn namespaced_label_without_namespace_is_not_a_target() {
        assert_eq!(resolve_target(&labels(&[("pod", "p")])), None);
        let t = resolve_target(&labels(&[("pod", "p"), ("node", "n1")])).unwrap();
        assert_eq!(t.kind, TargetKind::Node);
    }
}
