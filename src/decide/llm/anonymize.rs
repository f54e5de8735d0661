//! Optional anonymization: names of namespaces, workloads, pods and nodes replaced by
//! stable placeholders (`anon-namespace-1`, `anon-workload-2`, `anon-pod-1`,
//! `anon-node-1`) before anything is sent to a model, and mapped back in its answer.
//!
//! Names are replaced as whole words (a name inside a longer name is left alone, but a
//! name followed by `-` is replaced as a prefix, so a sibling pod `api-6f-x2` of a
//! workload `api-6f` becomes `anon-workload-2-x2` and maps back). Placeholders are
//! numbered in order of first appearance, so the same incident always gives the same
//! prompt (which replaying recorded answers needs).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cluster::ObjectRef;
use crate::context::Context;
use crate::incident::Incident;

/// A reversible mapping between real names and placeholders for one decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Anonymizer {
    /// (real, placeholder), longest real name first.
    forward: Vec<(String, String)>,
    /// (placeholder, real), longest placeholder first.
    backward: Vec<(String, String)>,
}

/// The class of a name, which names its placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Namespace,
    Workload,
    Pod,
    Node,
}

impl Class {
    fn prefix(self) -> &'static str {
        match self {
            Class::Namespace => "anon-namespace",
            Class::Workload => "anon-workload",
            Class::Pod => "anon-pod",
            Class::Node => "anon-node",
        }
    }

    fn of_kind(kind: &str) -> Class {
        match kind {
            "Namespace" => Class::Namespace,
            "Pod" => Class::Pod,
            "Node" => Class::Node,
            _ => Class::Workload,
        }
    }
}

/// Alert labels naming objects, with their class.
const LABELS: &[(&str, Class)] = &[
    ("namespace", Class::Namespace),
    ("exported_namespace", Class::Namespace),
    ("pod", Class::Pod),
    ("deployment", Class::Workload),
    ("statefulset", Class::Workload),
    ("daemonset", Class::Workload),
    ("replicaset", Class::Workload),
    ("job_name", Class::Workload),
    ("cronjob", Class::Workload),
    ("horizontalpodautoscaler", Class::Workload),
    ("persistentvolumeclaim", Class::Workload),
    ("node", Class::Node),
];

#[derive(Default)]
struct Collector {
    order: Vec<(String, Class)>,
}

impl Collector {
    fn add(&mut self, name: &str, class: Class) {
        if name.len() < 2 || self.order.iter().any(|(n, _)| n == name) {
            return;
        }
        self.order.push((name.to_string(), class));
    }

    fn add_ref(&mut self, r: &ObjectRef) {
        if let Some(ns) = &r.namespace {
            self.add(ns, Class::Namespace);
        }
        self.add(&r.name, Class::of_kind(&r.kind.kind));
    }
}

impl Anonymizer {
    /// The mapping for the names an incident and its context mention.
    pub fn for_incident(incident: &Incident, context: &Context) -> Self {
        let mut c = Collector::default();
        if let Some(t) = &incident.target {
            c.add_ref(&ObjectRef::from_target(t));
        }
        for r in context.target.iter().chain(&context.owners) {
            c.add_ref(r);
        }
        if let Some(w) = &context.workload {
            c.add_ref(&w.reference);
        }
        for (label, class) in LABELS {
            if let Some(v) = incident.labels.get(*label) {
                c.add(v, *class);
            }
        }
        for p in &context.pods {
            c.add(&p.name, Class::Pod);
            if let Some(n) = &p.node {
                c.add(n, Class::Node);
            }
        }
        if let Some(n) = &context.node {
            c.add(&n.name, Class::Node);
        }
        Anonymizer::from_names(c.order)
    }

    fn from_names(names: Vec<(String, Class)>) -> Self {
        let mut counters: BTreeMap<Class, usize> = BTreeMap::new();
        let mut pairs = Vec::new();
        for (name, class) in names {
            let placeholder = loop {
                let n = counters.entry(class).or_insert(0);
                *n += 1;
                let candidate = format!("{}-{n}", class.prefix());
                if candidate != name {
                    break candidate;
                }
            };
            pairs.push((name, placeholder));
        }
        let mut forward = pairs.clone();
        forward.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let mut backward: Vec<(String, String)> = pairs.into_iter().map(|(r, p)| (p, r)).collect();
        backward.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Anonymizer { forward, backward }
    }

    /// Whether there is nothing to replace.
    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }

    /// The placeholder of a real name, if it has one.
    pub fn placeholder(&self, real: &str) -> Option<&str> {
        self.forward.iter().find(|(r, _)| r == real).map(|(_, p)| p.as_str())
    }

    /// Replaces real names by placeholders.
    pub fn anonymize(&self, text: &str) -> String {
        replace_words(text, &self.forward)
    }

    /// Replaces placeholders by real names.
    pub fn restore(&self, text: &str) -> String {
        replace_words(text, &self.backward)
    }

    /// Anonymizes every string (keys included) of a JSON value.
    pub fn anonymize_json(&self, value: &mut Value) {
        map_strings(value, &|s| self.anonymize(s));
    }

    /// Restores every string (keys included) of a JSON value.
    pub fn restore_json(&self, value: &mut Value) {
        map_strings(value, &|s| self.restore(s));
    }
}

fn map_strings(value: &mut Value, f: &dyn Fn(&str) -> String) {
    match value {
        Value::String(s) => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|v| map_strings(v, f)),
        Value::Object(obj) => {
            let entries: Vec<(String, Value)> = std::mem::take(obj).into_iter().collect();
            for (k, mut v) in entries {
                map_strings(&mut v, f);
                obj.insert(f(&k), v);
            }
        }
        _ => {}
    }
}

/// Characters that continue a name on its left (a name preceded by one is part of a
/// longer name).
fn name_char_left(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Characters that continue a name on its right; `-` is not one, so names are replaced
/// as prefixes of longer names too.
fn name_char_right(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Replaces each `from` (tried in order: longest first) where it stands as a word.
fn replace_words(text: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'scan: while i < text.len() {
        let rest = &text[i..];
        let left_ok = text[..i].chars().next_back().is_none_or(|c| !name_char_left(c));
        if left_ok {
            for (from, to) in pairs {
                if rest.starts_with(from.as_str())
                    && rest[from.len()..].chars().next().is_none_or(|c| !name_char_right(c))
                {
                    out.push_str(to);
                    i += from.len();
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8().max(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{PodFacts, WorkloadFacts};
    use crate::decide::rules::matcher::tests::incident;

    fn anonymizer() -> Anonymizer {
        let inc = incident("alertname: KubePodCrashLooping, namespace: shop, pod: api-6f-x1, container: api");
        let ctx = Context {
            target: Some(ObjectRef::namespaced("Pod", "shop", "api-6f-x1")),
            owners: vec![
                ObjectRef::namespaced("ReplicaSet", "shop", "api-6f"),
                ObjectRef::namespaced("Deployment", "shop", "api"),
            ],
            workload: Some(WorkloadFacts {
                reference: ObjectRef::namespaced("Deployment", "shop", "api"),
                replicas: None,
                ready_replicas: None,
                available_replicas: None,
                revision: None,
                previous_revision: None,
                revision_age_seconds: None,
                paused: false,
                progressing_reason: None,
            }),
            pods: vec![PodFacts {
                name: "api-6f-x1".into(),
                phase: None,
                ready: false,
                node: Some("worker-2".into()),
                terminating: false,
                containers: vec![],
            }],
            ..Context::default()
        };
        Anonymizer::for_incident(&inc, &ctx)
    }

    #[test]
    fn names_become_stable_placeholders_and_come_back() {
        let a = anonymizer();
        assert_eq!(a.placeholder("shop"), Some("anon-namespace-1"));
        assert_eq!(a.placeholder("api-6f-x1"), Some("anon-pod-1"));
        assert_eq!(a.placeholder("api-6f"), Some("anon-workload-1"));
        assert_eq!(a.placeholder("api"), Some("anon-workload-2"));
        assert_eq!(a.placeholder("worker-2"), Some("anon-node-1"));
        let text = "pod shop/api-6f-x1 on worker-2 (sibling api-6f-x2, svc api.shop.svc, rapid shop-api)";
        let anon = a.anonymize(text);
        assert_eq!(
            anon,
            "pod anon-namespace-1/anon-pod-1 on anon-node-1 (sibling anon-workload-1-x2, svc anon-workload-2.anon-namespace-1.svc, rapid anon-namespace-1-api)"
        );
        for real in ["shop", "api-6f", "worker-2"] {
            assert!(!anon.contains(real), "{real} in {anon}");
        }
        assert_eq!(a.restore(&anon), text);
    }

    #[test]
    fn placeholders_with_more_digits_are_not_prefixes() {
        let names = (1..=12).map(|i| (format!("pod-{i:02}"), Class::Pod)).collect();
        let a = Anonymizer::from_names(names);
        let anon = a.anonymize("pod-01 pod-12");
        assert_eq!(anon, "anon-pod-1 anon-pod-12");
        assert_eq!(a.restore(&anon), "pod-01 pod-12");
    }

    #[test]
    fn json_round_trip() {
        let a = anonymizer();
        let mut v = serde_json::json!({"target": {"namespace": "shop", "name": "api"}, "shop": ["worker-2"]});
        let original = v.clone();
        a.anonymize_json(&mut v);
        assert_eq!(v["target"]["name"], "anon-workload-2");
        assert!(v.get("anon-namespace-1").is_some());
        a.restore_json(&mut v);
        assert_eq!(v, original);
    }
}
