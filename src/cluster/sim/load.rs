//! Reading cluster fixtures: multi-document Kubernetes YAML as `kubectl get -o yaml`
//! prints it, plus medic's own documents (`ContainerLogs`, `ContainerExec`,
//! `FixtureClock`).
//!
//! Known kinds are validated by deserializing into their k8s-openapi types, so a typo in
//! a fixture is an error naming the document, the object and the field; unknown kinds
//! (custom resources, metrics) are kept as they are. This module only parses and
//! normalizes: it must not apply controller logic or touch a `Store`.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::{apps, autoscaling, batch, core, networking, policy, rbac, storage};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::exec::{ExecAnswer, ExecKey};
use super::store::{Key, LogKey, format_time, metadata_mut};
use crate::cluster::{Kind, Object};

/// The apiVersion of medic's own fixture documents.
pub const MEDIC_API_VERSION: &str = "medic.dev/v1alpha1";

/// Why a cluster fixture could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The file could not be read.
    #[error("cannot read cluster fixture {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// An error inside a fixture file.
    #[error("{path}: {error}")]
    InFile {
        /// The file.
        path: String,
        /// What is wrong in it.
        error: Box<SimError>,
    },
    /// A document is not valid YAML.
    #[error("document {document}: invalid YAML: {message}")]
    Yaml {
        /// 1-based index of the document in the file.
        document: usize,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A document is not a Kubernetes object (no apiVersion, kind or metadata.name).
    #[error("{location}: {message}")]
    NotAnObject {
        /// `document 3` or `document 2, items[4]`.
        location: String,
        /// What is missing.
        message: String,
    },
    /// An object of a known kind does not match its schema.
    #[error("{location} ({kind} {name}): invalid at {path}: {message}")]
    Invalid {
        /// `document 3` or `document 2, items[4]`.
        location: String,
        /// The object's kind.
        kind: String,
        /// `namespace/name` or `name`.
        name: String,
        /// The path of the offending field, e.g. `spec.template.spec.containers[0].image`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// Two documents define the same object.
    #[error("{location}: {object} is defined twice (first at {first})")]
    Duplicate {
        /// The second definition.
        location: String,
        /// The object.
        object: String,
        /// The first definition.
        first: String,
    },
    /// A `ContainerLogs`, `ContainerExec` or `FixtureClock` document is malformed.
    #[error("{location} ({kind}): {message}")]
    Medic {
        /// `document 3`.
        location: String,
        /// `ContainerLogs`, `ContainerExec` or `FixtureClock`.
        kind: String,
        /// What is wrong, naming the field.
        message: String,
    },
}

/// A parsed fixture, not yet loaded into a store.
#[derive(Debug, Default)]
pub(super) struct Fixture {
    /// Objects in document order.
    pub objects: Vec<Object>,
    /// Container logs.
    pub logs: BTreeMap<LogKey, String>,
    /// What commands answer in containers.
    pub exec: BTreeMap<ExecKey, BTreeMap<String, ExecAnswer>>,
    /// The instant the fixture's timestamps are written relative to, if it says.
    pub written_at: Option<Timestamp>,
    seen: BTreeMap<Key, String>,
}

/// `ContainerLogs`: log texts keyed by `namespace/pod/container`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ContainerLogs {
    #[allow(dead_code, reason = "present in the document, checked by `parse_document`")]
    api_version: String,
    #[allow(dead_code, reason = "present in the document, checked by `parse_document`")]
    kind: String,
    #[serde(default)]
    #[allow(dead_code, reason = "allowed for symmetry with Kubernetes objects, not used")]
    metadata: Option<Value>,
    /// Logs of the running instances.
    #[serde(default)]
    logs: BTreeMap<String, String>,
    /// Logs of the previous (terminated) instances.
    #[serde(default)]
    previous: BTreeMap<String, String>,
}

/// `ContainerExec`: command answers keyed by `namespace/pod/container`, then by the argv
/// joined with spaces.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ContainerExec {
    #[allow(dead_code, reason = "present in the document, checked by `parse_document`")]
    api_version: String,
    #[allow(dead_code, reason = "present in the document, checked by `parse_document`")]
    kind: String,
    #[serde(default)]
    #[allow(dead_code, reason = "allowed for symmetry with Kubernetes objects, not used")]
    metadata: Option<Value>,
    /// The answers.
    #[serde(default)]
    outputs: BTreeMap<String, BTreeMap<String, ExecOutput>>,
}

/// One command's answer: its output (exit code 0), or its output and exit code.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExecOutput {
    /// Output of a command that succeeds.
    Output(String),
    /// Output and exit code.
    Full {
        /// The output.
        #[serde(default)]
        output: String,
        /// The exit code.
        #[serde(rename = "exitCode")]
        exit_code: i32,
    },
}

/// `FixtureClock`: the instant the fixture's timestamps are written relative to.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FixtureClock {
    #[allow(dead_code, reason = "present in the document, checked by `parse_document`")]
    api_version: String,
    #[allow(dead_code, reason = "present in the document, checked by `parse_document`")]
    kind: String,
    #[serde(default)]
    #[allow(dead_code, reason = "allowed for symmetry with Kubernetes objects, not used")]
    metadata: Option<Value>,
    now: Timestamp,
}

impl Fixture {
    /// Parses a multi-document YAML text.
    pub fn parse(text: &str) -> Result<Fixture, SimError> {
        let mut fixture = Fixture::default();
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let document = i + 1;
            let value = Value::deserialize(doc).map_err(|e| SimError::Yaml {
                document,
                message: e.to_string(),
            })?;
            if value.is_null() {
                continue;
            }
            fixture.add(value, format!("document {document}"))?;
        }
        Ok(fixture)
    }

    fn add(&mut self, value: Value, location: String) -> Result<(), SimError> {
        if !value.is_object() {
            return Err(SimError::NotAnObject {
                location,
                message: format!("expected a mapping, found {}", type_name(&value)),
            });
        }
        let api_version = value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if api_version == MEDIC_API_VERSION && kind == "ContainerLogs" {
            return self.add_logs(&value, &location);
        }
        if api_version == MEDIC_API_VERSION && kind == "ContainerExec" {
            return self.add_exec(&value, &location);
        }
        if api_version == MEDIC_API_VERSION && kind == "FixtureClock" {
            let clock: FixtureClock = medic_doc(&value, &location, &kind)?;
            self.written_at = Some(clock.now);
            return Ok(());
        }
        if let Some(items) = value.get("items").and_then(Value::as_array)
            && (kind == "List" || kind.ends_with("List"))
        {
            for (j, item) in items.iter().enumerate() {
                self.add(item.clone(), format!("{location}, items[{j}]"))?;
            }
            return Ok(());
        }
        let mut object = Object::new(value).map_err(|e| SimError::NotAnObject {
            location: location.clone(),
            message: e.to_string(),
        })?;
        normalize(&mut object);
        validate(&object).map_err(|(path, message)| SimError::Invalid {
            location: location.clone(),
            kind: kind.clone(),
            name: display_name(&object),
            path,
            message,
        })?;
        let key = Key::of(&object);
        if let Some(first) = self.seen.get(&key) {
            return Err(SimError::Duplicate {
                location,
                object: object.reference().to_string(),
                first: first.clone(),
            });
        }
        self.seen.insert(key, location);
        self.objects.push(object);
        Ok(())
    }

    fn add_logs(&mut self, value: &Value, location: &str) -> Result<(), SimError> {
        let doc: ContainerLogs = medic_doc(value, location, "ContainerLogs")?;
        for (previous, map) in [(false, doc.logs), (true, doc.previous)] {
            let field = if previous { "previous" } else { "logs" };
            for (path, text) in map {
                let parts: Vec<&str> = path.split('/').collect();
                let [ns, pod, container] = parts.as_slice() else {
                    return Err(SimError::Medic {
                        location: location.to_string(),
                        kind: "ContainerLogs".into(),
                        message: format!("{field}: key {path:?} is not namespace/pod/container"),
                    });
                };
                if parts.iter().any(|p| p.is_empty()) {
                    return Err(SimError::Medic {
                        location: location.to_string(),
                        kind: "ContainerLogs".into(),
                        message: format!("{field}: key {path:?} has an empty part"),
                    });
                }
                self.logs
                    .insert((ns.to_string(), pod.to_string(), container.to_string(), previous), text);
            }
        }
        Ok(())
    }
}

impl Fixture {
    fn add_exec(&mut self, value: &Value, location: &str) -> Result<(), SimError> {
        let doc: ContainerExec = medic_doc(value, location, "ContainerExec")?;
        for (path, answers) in doc.outputs {
            let parts: Vec<&str> = path.split('/').collect();
            let (ns, pod, container) = match parts.as_slice() {
                [ns, pod, container] if parts.iter().all(|p| !p.is_empty()) => (*ns, *pod, *container),
                _ => {
                    return Err(SimError::Medic {
                        location: location.to_string(),
                        kind: "ContainerExec".into(),
                        message: format!("outputs: key {path:?} is not namespace/pod/container"),
                    });
                }
            };
            let entry = self
                .exec
                .entry((ns.to_string(), pod.to_string(), container.to_string()))
                .or_default();
            for (command, answer) in answers {
                let answer = match answer {
                    ExecOutput::Output(output) => ExecAnswer { output, exit_code: 0 },
                    ExecOutput::Full { output, exit_code } => ExecAnswer { output, exit_code },
                };
                entry.insert(command, answer);
            }
        }
        Ok(())
    }
}

fn medic_doc<T: DeserializeOwned>(value: &Value, location: &str, kind: &str) -> Result<T, SimError> {
    serde_path_to_error::deserialize(value).map_err(|e| SimError::Medic {
        location: location.to_string(),
        kind: kind.to_string(),
        message: format!("at {}: {}", e.path(), e.inner()),
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `namespace/name` or `name`.
pub(super) fn display_name(o: &Object) -> String {
    match o.namespace() {
        Some(ns) => format!("{ns}/{}", o.name()),
        None => o.name().to_string(),
    }
}

/// Defaults the namespace of namespaced known kinds to `default` and drops it from
/// cluster-scoped known kinds, as the API server does.
pub(super) fn normalize(object: &mut Object) {
    let kind = object.kind();
    if !kind.is_known() && !is_validated(&kind) {
        return;
    }
    let namespaced = kind.namespaced;
    let meta = metadata_mut(object);
    let has_ns = meta
        .get("namespace")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if namespaced && !has_ns {
        meta.insert("namespace".into(), Value::String("default".into()));
    } else if !namespaced {
        meta.remove("namespace");
    }
}

type Validator = fn(&Value) -> Result<(), (String, String)>;

fn check<T: DeserializeOwned>(v: &Value) -> Result<(), (String, String)> {
    serde_path_to_error::deserialize::<_, T>(v)
        .map(|_| ())
        .map_err(|e| (e.path().to_string(), e.inner().to_string()))
}

/// The kinds validated against their k8s-openapi type: (apiVersion, kind, check).
const VALIDATORS: &[(&str, &str, Validator)] = &[
    ("v1", "Pod", check::<core::v1::Pod>),
    ("v1", "Node", check::<core::v1::Node>),
    ("v1", "Event", check::<core::v1::Event>),
    ("v1", "Service", check::<core::v1::Service>),
    ("v1", "Endpoints", check::<core::v1::Endpoints>),
    ("v1", "ConfigMap", check::<core::v1::ConfigMap>),
    ("v1", "Secret", check::<core::v1::Secret>),
    ("v1", "Namespace", check::<core::v1::Namespace>),
    ("v1", "PersistentVolumeClaim", check::<core::v1::PersistentVolumeClaim>),
    ("v1", "PersistentVolume", check::<core::v1::PersistentVolume>),
    ("v1", "LimitRange", check::<core::v1::LimitRange>),
    ("v1", "ResourceQuota", check::<core::v1::ResourceQuota>),
    ("v1", "ServiceAccount", check::<core::v1::ServiceAccount>),
    ("apps/v1", "Deployment", check::<apps::v1::Deployment>),
    ("apps/v1", "ReplicaSet", check::<apps::v1::ReplicaSet>),
    ("apps/v1", "StatefulSet", check::<apps::v1::StatefulSet>),
    ("apps/v1", "DaemonSet", check::<apps::v1::DaemonSet>),
    ("apps/v1", "ControllerRevision", check::<apps::v1::ControllerRevision>),
    ("batch/v1", "Job", check::<batch::v1::Job>),
    ("batch/v1", "CronJob", check::<batch::v1::CronJob>),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        check::<autoscaling::v2::HorizontalPodAutoscaler>,
    ),
    (
        "autoscaling/v1",
        "HorizontalPodAutoscaler",
        check::<autoscaling::v1::HorizontalPodAutoscaler>,
    ),
    (
        "policy/v1",
        "PodDisruptionBudget",
        check::<policy::v1::PodDisruptionBudget>,
    ),
    (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        check::<networking::v1::NetworkPolicy>,
    ),
    ("networking.k8s.io/v1", "Ingress", check::<networking::v1::Ingress>),
    ("storage.k8s.io/v1", "StorageClass", check::<storage::v1::StorageClass>),
    ("rbac.authorization.k8s.io/v1", "Role", check::<rbac::v1::Role>),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        check::<rbac::v1::RoleBinding>,
    ),
];

fn is_validated(kind: &Kind) -> bool {
    VALIDATORS
        .iter()
        .any(|(a, k, _)| *a == kind.api_version && *k == kind.kind)
}

/// Checks an object of a known kind against its k8s-openapi type; `Err((path, message))`
/// names the offending field. Unknown kinds always pass.
pub(super) fn validate(object: &Object) -> Result<(), (String, String)> {
    let api_version = object.0.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = object.0.get("kind").and_then(Value::as_str).unwrap_or_default();
    match VALIDATORS.iter().find(|(a, k, _)| *a == api_version && *k == kind) {
        Some((_, _, check)) => check(&object.0),
        None => Ok(()),
    }
}

/// Keys whose string values are timestamps.
const TIME_KEYS: &[&str] = &[
    "creationTimestamp",
    "deletionTimestamp",
    "startTime",
    "completionTime",
    "lastTransitionTime",
    "lastProbeTime",
    "lastHeartbeatTime",
    "lastUpdateTime",
    "startedAt",
    "finishedAt",
    "firstTimestamp",
    "lastTimestamp",
    "eventTime",
    "lastObservedTime",
    "lastScheduleTime",
    "lastSuccessfulTime",
    "timestamp",
    "kubectl.kubernetes.io/restartedAt",
];

/// Moves every timestamp in `value` by `by` (so a fixture written "as of" one instant
/// reads as of another).
pub(super) fn shift_times(value: &mut Value, by: SignedDuration) {
    match value {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if TIME_KEYS.contains(&k.as_str())
                    && let Some(t) = v.as_str().and_then(|s| s.parse::<Timestamp>().ok())
                    && let Ok(moved) = t.checked_add(by)
                {
                    *v = Value::String(format_time(moved));
                } else {
                    shift_times(v, by);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| shift_times(v, by)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_opaque_objects_load() {
        let f = Fixture::parse(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n\
             - apiVersion: v1\n  kind: Node\n  metadata: {name: n1, namespace: oops}\n---\n# only a comment\n---\n\
             apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {anything: [1, 2]}\n",
        )
        .unwrap();
        assert_eq!(f.objects.len(), 3);
        assert_eq!(f.objects[0].namespace(), Some("default"));
        assert_eq!(f.objects[1].namespace(), None);
        assert_eq!(f.objects[2].namespace(), None, "opaque kinds are left as written");
        assert_eq!(f.objects[2].0["spec"]["anything"][1], 2);
    }

    #[test]
    fn invalid_object_names_document_object_and_path() {
        let e = Fixture::parse(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: apps/v1\nkind: Deployment\n\
             metadata: {name: api, namespace: shop}\nspec:\n  replicas: three\n  selector: {}\n  template: {}\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "document 2 (Deployment shop/api): invalid at spec.replicas: invalid type: string \"three\", expected i32"
        );
        let e = Fixture::parse("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: 3}}\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("document 1, items[0] (Pod default/p): invalid at spec.containers:"),
            "{e}"
        );
        let e = Fixture::parse("kind: Pod\nmetadata: {name: p}\n").unwrap_err();
        assert_eq!(e.to_string(), "document 1: not a Kubernetes object: missing apiVersion");
        let e = Fixture::parse("a: [unclosed\n").unwrap_err();
        assert!(matches!(e, SimError::Yaml { document: 1, .. }), "{e}");
    }

    #[test]
    fn duplicates_and_bad_log_keys_are_refused() {
        let e = Fixture::parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: default}}\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "document 2: configmap/default/a is defined twice (first at document 1)"
        );
        let e = Fixture::parse("apiVersion: medic.dev/v1alpha1\nkind: ContainerLogs\nlogs: {\"web-1/app\": x}\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "document 1 (ContainerLogs): logs: key \"web-1/app\" is not namespace/pod/container"
        );
        let e = Fixture::parse("apiVersion: medic.dev/v1alpha1\nkind: ContainerLogs\nlog: {}\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `log`"), "{e}");
    }

    #[test]
    fn logs_and_clock_documents() {
        let f = Fixture::parse(
            "apiVersion: medic.dev/v1alpha1\nkind: ContainerLogs\nlogs: {ns/p/c: now}\nprevious: {ns/p/c: before}\n---\n\
             apiVersion: medic.dev/v1alpha1\nkind: FixtureClock\nnow: \"2026-01-01T00:00:00Z\"\n",
        )
        .unwrap();
        assert_eq!(f.logs[&("ns".into(), "p".into(), "c".into(), true)], "before");
        assert_eq!(f.logs.len(), 2);
        assert_eq!(f.written_at, Some("2026-01-01T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn shifting_moves_timestamps_only() {
        let mut v = serde_json::json!({"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z", "name": "2026-01-01T00:00:00Z"},
            "status": {"conditions": [{"lastTransitionTime": "2026-01-01T00:10:00Z"}]}});
        shift_times(&mut v, SignedDuration::from_hours(1));
        assert_eq!(v["metadata"]["creationTimestamp"], "2026-01-01T01:00:00Z");
        assert_eq!(v["metadata"]["name"], "2026-01-01T00:00:00Z");
        assert_eq!(
            v["status"]["conditions"][0]["lastTransitionTime"],
            "2026-01-01T01:10:00Z"
        );
    }
}
