//! Object kinds, references and the untyped object medic passes around.
//!
//! Objects travel as JSON (exactly what the API server returns), so kinds medic does not
//! model (custom resources, metrics) pass through untouched; [`Object::typed`] turns one
//! into its k8s-openapi type where a stage needs structure.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::incident::{TargetKind, TargetRef};

/// A Kubernetes kind: group/version, kind name, plural resource name, scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Kind {
    /// `apiVersion`, e.g. `apps/v1` or `v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// The plural resource name used in API paths, e.g. `deployments`.
    pub plural: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
}

/// The kinds medic knows by heart: (apiVersion, kind, plural, namespaced).
const KNOWN: &[(&str, &str, &str, bool)] = &[
    ("v1", "Pod", "pods", true),
    ("v1", "Node", "nodes", false),
    ("v1", "Event", "events", true),
    ("v1", "Service", "services", true),
    ("v1", "ConfigMap", "configmaps", true),
    ("v1", "Namespace", "namespaces", false),
    ("v1", "PersistentVolumeClaim", "persistentvolumeclaims", true),
    ("v1", "PersistentVolume", "persistentvolumes", false),
    ("v1", "LimitRange", "limitranges", true),
    ("v1", "ResourceQuota", "resourcequotas", true),
    ("v1", "ServiceAccount", "serviceaccounts", true),
    ("apps/v1", "Deployment", "deployments", true),
    ("apps/v1", "ReplicaSet", "replicasets", true),
    ("apps/v1", "StatefulSet", "statefulsets", true),
    ("apps/v1", "DaemonSet", "daemonsets", true),
    ("apps/v1", "ControllerRevision", "controllerrevisions", true),
    ("batch/v1", "Job", "jobs", true),
    ("batch/v1", "CronJob", "cronjobs", true),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    ),
    ("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", true),
    ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", true),
    ("storage.k8s.io/v1", "StorageClass", "storageclasses", false),
];

impl Kind {
    fn known(api_version: &str, kind: &str) -> Option<Kind> {
        KNOWN
            .iter()
            .find(|(a, k, _, _)| *k == kind && (api_version.is_empty() || *a == api_version))
            .map(|(a, k, p, n)| Kind {
                api_version: a.to_string(),
                kind: k.to_string(),
                plural: p.to_string(),
                namespaced: *n,
            })
    }

    /// A kind medic knows by name (`Pod`, `Deployment`, ...). Panics on an unknown name:
    /// use it with literals only.
    pub fn of(kind: &str) -> Kind {
        Kind::known("", kind).unwrap_or_else(|| panic!("Kind::of called with unknown kind {kind:?}"))
    }

    /// The kind for an `apiVersion`/`kind` pair; unknown kinds get a guessed plural
    /// (lower-case + `s`) and are assumed namespaced.
    pub fn from_type(api_version: &str, kind: &str) -> Kind {
        Kind::known(api_version, kind).unwrap_or_else(|| Kind {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            plural: format!("{}s", kind.to_ascii_lowercase()),
            namespaced: true,
        })
    }

    /// Whether medic knows this kind by heart (as opposed to an opaque custom resource).
    pub fn is_known(&self) -> bool {
        Kind::known(&self.api_version, &self.kind).is_some()
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
    }

    /// The version (`v1`).
    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(_, v)| v)
            .unwrap_or(&self.api_version)
    }

    /// Whether this is `kind` (compares the kind name only).
    pub fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }
}

impl From<TargetKind> for Kind {
    fn from(k: TargetKind) -> Kind {
        Kind::of(k.as_str())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)
    }
}

/// A reference to one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Its kind.
    pub kind: Kind,
    /// Its namespace; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

impl ObjectRef {
    /// A reference to a namespaced object of a known kind.
    pub fn namespaced(kind: &str, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            kind: Kind::of(kind),
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
        }
    }

    /// A reference to a cluster-scoped object of a known kind.
    pub fn cluster_scoped(kind: &str, name: &str) -> ObjectRef {
        ObjectRef {
            kind: Kind::of(kind),
            namespace: None,
            name: name.to_string(),
        }
    }

    /// The object an incident target names.
    pub fn from_target(t: &TargetRef) -> ObjectRef {
        ObjectRef {
            kind: t.kind.into(),
            namespace: t.namespace.clone(),
            name: t.name.clone(),
        }
    }
}

impl fmt::Display for ObjectRef {
    /// `deployment/shop/api`, `node/worker-1`: short, as in kubectl output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.kind.kind.to_ascii_lowercase();
        match &self.namespace {
            Some(ns) => write!(f, "{k}/{ns}/{}", self.name),
            None => write!(f, "{k}/{}", self.name),
        }
    }
}

/// One Kubernetes object as JSON, with `apiVersion`, `kind` and `metadata` present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Object(pub Value);

/// Why a JSON value is not a Kubernetes object.
#[derive(Debug, thiserror::Error)]
#[error("not a Kubernetes object: {0}")]
pub struct NotAnObject(pub String);

impl Object {
    /// Wraps a JSON value, checking the fields every object has.
    pub fn new(value: Value) -> Result<Object, NotAnObject> {
        let field = |p: &str| value.pointer(p).and_then(Value::as_str).filter(|s| !s.is_empty());
        if field("/apiVersion").is_none() {
            return Err(NotAnObject("missing apiVersion".into()));
        }
        if field("/kind").is_none() {
            return Err(NotAnObject("missing kind".into()));
        }
        if field("/metadata/name").is_none() {
            return Err(NotAnObject("missing metadata.name".into()));
        }
        Ok(Object(value))
    }

    /// Serializes a typed object (e.g. a k8s-openapi `Pod`).
    pub fn from_typed<K: Serialize>(k: &K) -> Result<Object, NotAnObject> {
        Object::new(serde_json::to_value(k).map_err(|e| NotAnObject(e.to_string()))?)
    }

    /// Deserializes into a typed object.
    pub fn typed<K: DeserializeOwned>(&self) -> Result<K, serde_json::Error> {
        K::deserialize(&self.0)
    }

    fn str_at(&self, pointer: &str) -> Option<&str> {
        self.0.pointer(pointer).and_then(Value::as_str)
    }

    /// `kind` of the object.
    pub fn kind(&self) -> Kind {
        Kind::from_type(
            self.str_at("/apiVersion").unwrap_or_default(),
            self.str_at("/kind").unwrap_or_default(),
        )
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.str_at("/metadata/name").unwrap_or_default()
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        self.str_at("/metadata/namespace")
    }

    /// `metadata.uid`.
    pub fn uid(&self) -> Option<&str> {
        self.str_at("/metadata/uid")
    }

    /// `metadata.resourceVersion`.
    pub fn resource_version(&self) -> Option<&str> {
        self.str_at("/metadata/resourceVersion")
    }

    /// A label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.0.get("metadata")?.get("labels")?.get(key)?.as_str()
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.0.get("metadata")?.get("annotations")?.get(key)?.as_str()
    }

    /// A reference to this object.
    pub fn reference(&self) -> ObjectRef {
        let kind = self.kind();
        ObjectRef {
            namespace: if kind.namespaced {
                self.namespace().map(str::to_string)
            } else {
                None
            },
            kind,
            name: self.name().to_string(),
        }
    }

    /// The owner marked `controller: true`, as a reference in this object's namespace.
    pub fn controller(&self) -> Option<ObjectRef> {
        let owners = self.0.pointer("/metadata/ownerReferences")?.as_array()?;
        let owner = owners
            .iter()
            .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))?;
        let kind = Kind::from_type(owner.get("apiVersion")?.as_str()?, owner.get("kind")?.as_str()?);
        Some(ObjectRef {
            namespace: if kind.namespaced {
                self.namespace().map(str::to_string)
            } else {
                None
            },
            kind,
            name: owner.get("name")?.as_str()?.to_string(),
        })
    }

    /// The object without the noise users never read in a diff or a prompt:
    /// `metadata.managedFields` and the `kubectl.kubernetes.io/last-applied-configuration`
    /// annotation.
    pub fn trimmed(&self) -> Object {
        let mut v = self.0.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                ann.remove("kubectl.kubernetes.io/last-applied-configuration");
                if ann.is_empty() {
                    meta.remove("annotations");
                }
            }
        }
        Object(v)
    }

    /// The object as YAML, as `kubectl get -o yaml` would print it (trimmed).
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(&self.trimmed().0).unwrap_or_else(|e| format!("# unprintable: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_and_unknown_kinds() {
        let d = Kind::of("Deployment");
        assert_eq!(
            (d.group(), d.version(), d.plural.as_str()),
            ("apps", "v1", "deployments")
        );
        let p = Kind::of("Pod");
        assert_eq!((p.group(), p.version()), ("", "v1"));
        let c = Kind::from_type("example.com/v1alpha1", "Widget");
        assert!(!c.is_known());
        assert_eq!(c.plural, "widgets");
    }

    #[test]
    fn object_accessors_and_controller() {
        let o = Object::new(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "api-1", "namespace": "shop", "labels": {"app": "api"},
              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-6f", "controller": true, "uid": "u"}]}
        }))
        .unwrap();
        assert_eq!(o.reference().to_string(), "pod/shop/api-1");
        assert_eq!(o.label("app"), Some("api"));
        assert_eq!(
            o.controller().unwrap(),
            ObjectRef::namespaced("ReplicaSet", "shop", "api-6f")
        );
        assert!(Object::new(json!({"kind": "Pod"})).is_err());
    }
}
