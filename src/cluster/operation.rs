//! The write side of the cluster seam: one API call, as data.
//!
//! Actions plan a list of [`Operation`]s; dry-run shows them, the executor hands them to
//! [`super::Cluster::apply`]. [`PatchBody::apply_to`] computes locally what a patch does
//! to an object, so a plan can show the object after the change, and the simulated
//! cluster can apply it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::object::{Object, ObjectRef};

/// A patch in one of the API server's patch formats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "kebab-case")]
pub enum PatchBody {
    /// `application/merge-patch+json` (RFC 7386).
    Merge(Value),
    /// `application/json-patch+json` (RFC 6902): an array of operations. medic puts a
    /// `test` operation first wherever it relies on a value (optimistic concurrency).
    Json(Value),
    /// `application/strategic-merge-patch+json`: like a merge patch, but lists of
    /// objects with a `name` (containers, env) are merged by name.
    Strategic(Value),
}

impl PatchBody {
    /// The HTTP content type of this patch.
    pub fn content_type(&self) -> &'static str {
        match self {
            PatchBody::Merge(_) => "application/merge-patch+json",
            PatchBody::Json(_) => "application/json-patch+json",
            PatchBody::Strategic(_) => "application/strategic-merge-patch+json",
        }
    }

    /// The patch document.
    pub fn body(&self) -> &Value {
        match self {
            PatchBody::Merge(v) | PatchBody::Json(v) | PatchBody::Strategic(v) => v,
        }
    }

    /// Applies the patch to `object` as the API server would, returning the result.
    pub fn apply_to(&self, object: &Value) -> Result<Value, String> {
        let mut out = object.clone();
        match self {
            PatchBody::Merge(p) => json_patch::merge(&mut out, p),
            PatchBody::Json(p) => {
                let ops: json_patch::Patch =
                    serde_json::from_value(p.clone()).map_err(|e| format!("malformed JSON patch: {e}"))?;
                json_patch::patch(&mut out, &ops).map_err(|e| e.to_string())?;
            }
            PatchBody::Strategic(p) => strategic_merge(&mut out, p),
        }
        Ok(out)
    }
}

/// A strategic merge as the API server does it for the fields medic patches: objects
/// merge recursively, `null` deletes, lists whose items all carry a `name` merge by name
/// (a `$patch: delete` item removes its namesake), other lists are replaced.
fn strategic_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, pv) in p {
                if pv.is_null() {
                    t.remove(k);
                } else if let Some(tv) = t.get_mut(k) {
                    strategic_merge(tv, pv);
                } else {
                    let mut fresh = Value::Null;
                    strategic_merge(&mut fresh, pv);
                    t.insert(k.clone(), fresh);
                }
            }
        }
        (Value::Array(t), Value::Array(p)) if named_list(t) && named_list(p) => {
            for item in p {
                let name = item.get("name").cloned();
                let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                let pos = t.iter().position(|x| x.get("name") == name.as_ref());
                match (pos, delete) {
                    (Some(i), true) => {
                        t.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => strategic_merge(&mut t[i], item),
                    (None, false) => t.push(item.clone()),
                }
            }
        }
        (t, p) => *t = strip_directives(p),
    }
}

fn named_list(items: &[Value]) -> bool {
    items.iter().all(|i| i.get("name").is_some_and(Value::is_string))
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !k.starts_with("$patch") && !v.is_null())
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// One API call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// PATCH an object (or its `scale`/`status` subresource).
    Patch {
        /// The object.
        target: ObjectRef,
        /// `scale` or `status`, when patching a subresource.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subresource: Option<String>,
        /// The patch.
        patch: PatchBody,
    },
    /// DELETE an object.
    Delete {
        /// The object.
        target: ObjectRef,
        /// Grace period override (`0` with force: immediate).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grace_period_seconds: Option<i64>,
        /// Delete only if the object still has this uid (it was not replaced meanwhile).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uid: Option<String>,
    },
    /// POST a new object.
    Create {
        /// The object to create.
        object: Object,
    },
    /// POST an Eviction for a pod (honours PodDisruptionBudgets).
    Evict {
        /// The pod's namespace.
        namespace: String,
        /// The pod.
        pod: String,
        /// While a disruption budget refuses the eviction, the executor retries for up to
        /// this many seconds (a drain's timeout); `None`: refused at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wait_seconds: Option<u64>,
    },
    /// Run a command in a container (the `exec` subresource) and capture its output.
    Exec {
        /// The pod's namespace.
        namespace: String,
        /// The pod.
        pod: String,
        /// The container.
        container: String,
        /// The argv, run without a shell.
        command: Vec<String>,
        /// Give up after this many seconds.
        timeout_seconds: u64,
        /// Keep at most this many bytes of output.
        max_output_bytes: usize,
    },
    /// POST a message to a configured notification channel. Not a cluster call: the
    /// executor sends it; clusters refuse it.
    Notify {
        /// The channel's name (`actions.notify[].name`); its URL stays in config.
        channel: String,
        /// The message.
        text: String,
    },
}

impl Operation {
    /// The object the call is about.
    pub fn target(&self) -> ObjectRef {
        match self {
            Operation::Patch { target, .. } | Operation::Delete { target, .. } => target.clone(),
            Operation::Create { object } => object.reference(),
            Operation::Evict { namespace, pod, .. } | Operation::Exec { namespace, pod, .. } => {
                ObjectRef::namespaced("Pod", namespace, pod)
            }
            Operation::Notify { channel, .. } => ObjectRef {
                kind: super::Kind::from_type("medic.dev/v1alpha1", "NotifyChannel"),
                namespace: None,
                name: channel.clone(),
            },
        }
    }

    /// A kubectl-like one-liner: `PATCH deployment/shop/api (merge-patch)`.
    pub fn describe(&self) -> String {
        match self {
            Operation::Patch {
                target,
                subresource,
                patch,
            } => {
                let sub = subresource.as_deref().map(|s| format!("/{s}")).unwrap_or_default();
                let kind = patch
                    .content_type()
                    .trim_start_matches("application/")
                    .trim_end_matches("+json");
                format!("PATCH {target}{sub} ({kind})")
            }
            Operation::Delete {
                target,
                grace_period_seconds,
                ..
            } => match grace_period_seconds {
                Some(g) => format!("DELETE {target} (grace period {g}s)"),
                None => format!("DELETE {target}"),
            },
            Operation::Create { object } => format!("CREATE {}", object.reference()),
            Operation::Evict {
                namespace,
                pod,
                wait_seconds,
            } => match wait_seconds {
                Some(w) => format!("EVICT pod/{namespace}/{pod} (waiting up to {w}s for disruption budgets)"),
                None => format!("EVICT pod/{namespace}/{pod}"),
            },
            Operation::Exec {
                namespace,
                pod,
                container,
                command,
                ..
            } => format!("EXEC pod/{namespace}/{pod} -c {container} -- {}", command.join(" ")),
            Operation::Notify { channel, .. } => format!("NOTIFY {channel}"),
        }
    }
}

/// What the API answered to an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationResult {
    /// The object after the call, when the API returns it (not for deletes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Object>,
    /// A short human summary (`deployment.apps/api patched`).
    pub message: String,
    /// Captured output (exec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let obj = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}]}});
        let patch = PatchBody::Strategic(json!({"spec": {"containers": [
            {"name": "a", "env": [{"name": "X", "$patch": "delete"}, {"name": "Y", "value": "2"}]}]}}));
        let out = patch.apply_to(&obj).unwrap();
        assert_eq!(out["spec"]["containers"][0]["image"], "a:1");
        assert_eq!(
            out["spec"]["containers"][0]["env"],
            json!([{"name": "Y", "value": "2"}])
        );
        assert_eq!(out["spec"]["containers"][1]["name"], "b");
    }

    #[test]
    fn json_patch_test_op_guards_the_change() {
        let obj = json!({"metadata": {"resourceVersion": "7"}, "spec": {"replicas": 1}});
        let ok = PatchBody::Json(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
            {"op": "replace", "path": "/spec/replicas", "value": 3}]));
        assert_eq!(ok.apply_to(&obj).unwrap()["spec"]["replicas"], 3);
        let stale = PatchBody::Json(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "6"},
            {"op": "replace", "path": "/spec/replicas", "value": 3}]));
        assert!(stale.apply_to(&obj).is_err());
    }

    #[test]
    fn merge_patch_and_describe() {
        let op = Operation::Patch {
            target: ObjectRef::namespaced("Deployment", "shop", "api"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": 4}})),
        };
        assert_eq!(op.describe(), "PATCH deployment/shop/api/scale (merge-patch)");
    }
}
