//! Writes against the simulated cluster, answered as the API server would: patches
//! (object, `scale` and `status` subresources), deletes with a uid precondition and
//! cascading to dependents, creates (with `generateName`), evictions that honour
//! PodDisruptionBudgets, and execs (answered by `exec`).
//!
//! Each function here performs one API call on the store and nothing else: the caller
//! records the operation and runs the controllers afterwards. It must never retry, and
//! never accept what the real API server would refuse for the reasons it models
//! (schema, immutable fields, selector mismatch, requests above limits, preconditions).

use serde_json::{Value, json};

use super::controllers::{owned_by, pod_ready};
use super::load::{normalize, validate};
use super::selector::{Selector, labels_of};
use super::store::{Key, Store, metadata_mut};
use crate::actions::quantity::Quantity;
use crate::cluster::{ClusterError, Kind, Object, ObjectRef, Operation, OperationResult, PatchBody};

/// Performs one operation.
pub(super) fn apply(store: &mut Store, op: &Operation) -> Result<OperationResult, ClusterError> {
    match op {
        Operation::Patch {
            target,
            subresource,
            patch,
        } => match subresource.as_deref() {
            None => patch_object(store, target, patch),
            Some("scale") => patch_scale(store, target, patch),
            Some("status") => patch_status(store, target, patch),
            Some(other) => Err(ClusterError::NotFound(format!("{target}/{other}"))),
        },
        Operation::Delete {
            target,
            uid,
            grace_period_seconds,
        } => delete(store, target, uid.as_deref(), *grace_period_seconds),
        Operation::Create { object } => create(store, object),
        Operation::Evict { namespace, pod, .. } => evict(store, namespace, pod),
        Operation::Exec {
            namespace,
            pod,
            container,
            command,
            max_output_bytes,
            ..
        } => super::exec::exec(store, namespace, pod, container, command, *max_output_bytes),
        Operation::Notify { channel, .. } => Err(ClusterError::Unsupported(format!(
            "notify {channel} is not a cluster call: the executor sends it"
        ))),
    }
}

/// `deployment.apps/api`, `pod/web-1`: how kubectl names an object in its messages.
fn resource_name(kind: &Kind, name: &str) -> String {
    let k = kind.kind.to_ascii_lowercase();
    match kind.group() {
        "" => format!("{k}/{name}"),
        g => format!("{k}.{g}/{name}"),
    }
}

/// `deployments.apps "api"`, as the API server names an object in a conflict.
fn api_name(kind: &Kind, name: &str) -> String {
    match kind.group() {
        "" => format!("{} \"{name}\"", kind.plural),
        g => format!("{}.{g} \"{name}\"", kind.plural),
    }
}

fn get(store: &Store, target: &ObjectRef) -> Result<Object, ClusterError> {
    store
        .get(&Key::of_ref(target))
        .cloned()
        .ok_or_else(|| ClusterError::NotFound(target.to_string()))
}

fn invalid(target: &ObjectRef, message: impl Into<String>) -> ClusterError {
    ClusterError::Invalid {
        what: target.to_string(),
        message: message.into(),
    }
}

/// The conflict the API server answers when a resourceVersion precondition fails.
fn modified(target: &ObjectRef) -> ClusterError {
    ClusterError::Conflict {
        what: target.to_string(),
        message: format!(
            "Operation cannot be fulfilled on {}: the object has been modified; please apply your changes to the latest version and try again",
            api_name(&target.kind, &target.name)
        ),
    }
}

/// Checks the resourceVersion a patch relies on: a JSON patch `test` of
/// `/metadata/resourceVersion`, or `metadata.resourceVersion` in a merge patch.
fn check_version_precondition(target: &ObjectRef, patch: &PatchBody, current: &str) -> Result<(), ClusterError> {
    let expected: Vec<&Value> = match patch {
        PatchBody::Json(ops) => ops
            .as_array()
            .into_iter()
            .flatten()
            .filter(|op| {
                op.get("op").and_then(Value::as_str) == Some("test")
                    && op.get("path").and_then(Value::as_str) == Some("/metadata/resourceVersion")
            })
            .filter_map(|op| op.get("value"))
            .collect(),
        PatchBody::Merge(p) | PatchBody::Strategic(p) => p.pointer("/metadata/resourceVersion").into_iter().collect(),
    };
    match expected.iter().find(|v| v.as_str() != Some(current)) {
        Some(_) => Err(modified(target)),
        None => Ok(()),
    }
}

fn patch_object(store: &mut Store, target: &ObjectRef, patch: &PatchBody) -> Result<OperationResult, ClusterError> {
    let current = get(store, target)?;
    check_version_precondition(target, patch, current.resource_version().unwrap_or_default())?;
    let patched = patch.apply_to(&current.0).map_err(|e| invalid(target, e))?;
    let mut patched = Object::new(patched).map_err(|e| invalid(target, e.to_string()))?;
    check_immutable(target, &current, &patched)?;
    check_object(target, &patched)?;
    if current.0.get("spec") != patched.0.get("spec") && !target.kind.is("Pod") {
        let generation = current
            .0
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        metadata_mut(&mut patched).insert("generation".into(), json!(generation + 1));
    }
    let unchanged = without_version(&current) == without_version(&patched);
    let stored = store.update(patched);
    let verb = if unchanged { "patched (no change)" } else { "patched" };
    Ok(OperationResult {
        message: format!("{} {verb}", resource_name(&target.kind, &target.name)),
        object: Some(stored),
        output: None,
    })
}

fn without_version(o: &Object) -> Value {
    let mut v = o.0.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
    }
    v
}

/// The kinds with a `scale` subresource.
const SCALABLE: &[&str] = &["Deployment", "ReplicaSet", "StatefulSet"];

fn patch_scale(store: &mut Store, target: &ObjectRef, patch: &PatchBody) -> Result<OperationResult, ClusterError> {
    if target.kind.group() != "apps" || !SCALABLE.contains(&target.kind.kind.as_str()) {
        return Err(ClusterError::NotFound(format!("{target}/scale")));
    }
    let current = get(store, target)?;
    let version = current.resource_version().unwrap_or_default().to_string();
    check_version_precondition(target, patch, &version)?;
    let scale = scale_of(&current);
    let patched = patch.apply_to(&scale).map_err(|e| invalid(target, e))?;
    let replicas = match patched.pointer("/spec/replicas") {
        Some(v) => v
            .as_i64()
            .filter(|r| (0..=i64::from(i32::MAX)).contains(r))
            .ok_or_else(|| {
                invalid(
                    target,
                    format!("spec.replicas: Invalid value: {v}: must be a whole number, 0 or more"),
                )
            })?,
        None => 0,
    };
    let mut updated = current.clone();
    if current.0.pointer("/spec/replicas").and_then(Value::as_i64) != Some(replicas) {
        updated.0["spec"]["replicas"] = json!(replicas);
        let generation = current
            .0
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        metadata_mut(&mut updated).insert("generation".into(), json!(generation + 1));
    }
    let stored = store.update(updated);
    Ok(OperationResult {
        message: format!("{} scaled", resource_name(&target.kind, &target.name)),
        object: Some(Object(scale_of(&stored))),
        output: None,
    })
}

/// The `autoscaling/v1` Scale of a workload.
fn scale_of(o: &Object) -> Value {
    let selector =
        o.0.pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
    json!({
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {
            "name": o.name(),
            "namespace": o.namespace(),
            "uid": o.uid(),
            "resourceVersion": o.resource_version(),
            "creationTimestamp": o.0.pointer("/metadata/creationTimestamp"),
        },
        "spec": {"replicas": o.0.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)},
        "status": {
            "replicas": o.0.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector,
        },
    })
}

fn patch_status(store: &mut Store, target: &ObjectRef, patch: &PatchBody) -> Result<OperationResult, ClusterError> {
    let current = get(store, target)?;
    check_version_precondition(target, patch, current.resource_version().unwrap_or_default())?;
    let patched = patch.apply_to(&current.0).map_err(|e| invalid(target, e))?;
    let mut updated = current.clone();
    match patched.get("status") {
        Some(s) => updated.0["status"] = s.clone(),
        None => {
            if let Some(m) = updated.0.as_object_mut() {
                m.remove("status");
            }
        }
    }
    check_object(target, &updated)?;
    let stored = store.update(updated);
    Ok(OperationResult {
        message: format!("{} patched", resource_name(&target.kind, &target.name)),
        object: Some(stored),
        output: None,
    })
}

fn delete(
    store: &mut Store,
    target: &ObjectRef,
    uid: Option<&str>,
    grace_period_seconds: Option<i64>,
) -> Result<OperationResult, ClusterError> {
    let current = get(store, target)?;
    if let Some(expected) = uid
        && current.uid() != Some(expected)
    {
        return Err(ClusterError::Conflict {
            what: target.to_string(),
            message: format!(
                "Precondition failed: UID in precondition: {expected}, UID in object meta: {}",
                current.uid().unwrap_or_default()
            ),
        });
    }
    if target.kind.is("Pod") && being_deleted(&current) && grace_period_seconds != Some(0) {
        // A pod already Terminating waits for its kubelet: a graceful delete changes
        // nothing, only a forced one (grace period 0) removes it.
        return Ok(OperationResult {
            message: format!("{} deleted", resource_name(&target.kind, &target.name)),
            object: Some(current),
            output: None,
        });
    }
    store.remove(&Key::of_ref(target));
    collect_garbage(store, &current);
    Ok(OperationResult {
        object: None,
        message: format!("{} deleted", resource_name(&target.kind, &target.name)),
        output: None,
    })
}

/// Whether an object already has a `deletionTimestamp`.
fn being_deleted(o: &Object) -> bool {
    o.0.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null())
}

/// Deletes the dependents of a deleted object that have no other owner left (the garbage
/// collector's background propagation, done at once).
fn collect_garbage(store: &mut Store, removed: &Object) {
    let orphans: Vec<Key> = store
        .objects
        .values()
        .filter(|o| owned_by(o, removed) && !has_other_owner(store, o, removed))
        .map(Key::of)
        .collect();
    for key in orphans {
        if let Some(o) = store.remove(&key) {
            collect_garbage(store, &o);
        }
    }
}

fn has_other_owner(store: &Store, o: &Object, removed: &Object) -> bool {
    o.0.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
            if s("kind") == removed.kind().kind && s("name") == removed.name() {
                return false;
            }
            let kind = Kind::from_type(s("apiVersion"), s("kind"));
            let ns = if kind.namespaced {
                o.namespace().unwrap_or_default()
            } else {
                ""
            };
            store.get(&Key::new(kind.group(), &kind.kind, ns, s("name"))).is_some()
        })
}

fn create(store: &mut Store, object: &Object) -> Result<OperationResult, ClusterError> {
    let mut object = object.clone();
    let mut target = object.reference();
    let meta = metadata_mut(&mut object);
    for field in [
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "deletionTimestamp",
        "generation",
    ] {
        meta.remove(field);
    }
    let has_name = meta.get("name").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    if !has_name {
        let Some(prefix) = meta.get("generateName").and_then(Value::as_str).map(str::to_string) else {
            return Err(invalid(
                &target,
                "metadata.name: Required value: name or generateName is required",
            ));
        };
        normalize(&mut object);
        let key = Key::of(&object);
        let name = store.fresh_name(&key, &prefix);
        metadata_mut(&mut object).insert("name".into(), json!(name));
    }
    normalize(&mut object);
    let mut object = Object::new(object.0).map_err(|e| invalid(&target, e.to_string()))?;
    target = object.reference();
    check_object(&target, &object)?;
    if store.get(&Key::of(&object)).is_some() {
        return Err(ClusterError::Conflict {
            what: target.to_string(),
            message: format!("{} already exists", api_name(&target.kind, &target.name)),
        });
    }
    if object.0.get("spec").is_some() && !target.kind.is("Pod") {
        metadata_mut(&mut object).insert("generation".into(), json!(1));
    }
    let stored = store.insert_new(object);
    Ok(OperationResult {
        message: format!("{} created", resource_name(&target.kind, &target.name)),
        object: Some(stored),
        output: None,
    })
}

fn evict(store: &mut Store, namespace: &str, pod: &str) -> Result<OperationResult, ClusterError> {
    let target = ObjectRef::namespaced("Pod", namespace, pod);
    let current = get(store, &target)?;
    if being_deleted(&current) {
        // The Eviction API accepts a pod that is already Terminating and changes nothing.
        return Ok(OperationResult {
            object: None,
            message: format!("pod/{pod} evicted"),
            output: None,
        });
    }
    let labels = labels_of(&current.0);
    let budgets: Vec<Object> = store
        .list("policy", "PodDisruptionBudget", Some(namespace))
        .filter(|pdb| {
            pdb.0
                .pointer("/spec/selector")
                .filter(|s| !s.is_null())
                .and_then(Selector::from_label_selector)
                .is_some_and(|s| s.matches(&labels))
        })
        .cloned()
        .collect();
    for pdb in &budgets {
        check_budget(store, pdb, &current).map_err(|message| ClusterError::DisruptionBudget {
            what: target.to_string(),
            message,
        })?;
    }
    store.remove(&Key::of_ref(&target));
    collect_garbage(store, &current);
    Ok(OperationResult {
        object: None,
        message: format!("pod/{pod} evicted"),
        output: None,
    })
}

/// Whether evicting `pod` keeps `pdb` satisfied, computed from the pods as they are now
/// (the disruption controller's arithmetic, with the matching pods as the expected count).
fn check_budget(store: &Store, pdb: &Object, pod: &Object) -> Result<(), String> {
    let selector = pdb
        .0
        .pointer("/spec/selector")
        .and_then(Selector::from_label_selector)
        .unwrap_or_default();
    let matching: Vec<&Object> = store
        .list("", "Pod", pod.namespace())
        .filter(|p| selector.matches_object(&p.0))
        .filter(|p| p.0.pointer("/metadata/deletionTimestamp").is_none_or(Value::is_null))
        .collect();
    let expected = matching.len() as i64;
    let healthy = matching.iter().filter(|p| pod_ready(p)).count() as i64;
    let spec = |k: &str| pdb.0.pointer(&format!("/spec/{k}"));
    let desired = match (spec("minAvailable"), spec("maxUnavailable")) {
        (Some(min), _) => scaled_up(min, expected),
        (None, Some(max)) => (expected - scaled_up(max, expected)).max(0),
        // Neither set: at least one pod must stay (the old policy/v1beta1 default).
        (None, None) => 1,
    };
    let always = spec("unhealthyPodEvictionPolicy").and_then(Value::as_str) == Some("AlwaysAllow");
    let allowed = if pod_ready(pod) {
        healthy - desired > 0
    } else {
        always || healthy >= desired
    };
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget {} needs {desired} healthy pods and has {healthy} currently",
            pdb.name()
        ))
    }
}

/// An IntOrString (`2`, `"50%"`) of `total`, percentages rounded up.
fn scaled_up(v: &Value, total: i64) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<i64>().ok())
            .map(|p| (p * total + 99) / 100)
            .unwrap_or(0),
        _ => 0,
    }
}

/// Fields the API server refuses to change.
fn check_immutable(target: &ObjectRef, before: &Object, after: &Object) -> Result<(), ClusterError> {
    let immutable = |path: &str, a: Option<&Value>, b: Option<&Value>| {
        if a == b {
            Ok(())
        } else {
            Err(invalid(
                target,
                format!(
                    "{path}: Invalid value: {}: field is immutable",
                    b.map(Value::to_string).unwrap_or_else(|| "null".into())
                ),
            ))
        }
    };
    immutable("kind", before.0.get("kind"), after.0.get("kind"))?;
    for field in ["name", "namespace", "uid", "creationTimestamp"] {
        let p = format!("/metadata/{field}");
        immutable(&format!("metadata.{field}"), before.0.pointer(&p), after.0.pointer(&p))?;
    }
    if before.kind().group() != after.kind().group() {
        return Err(invalid(
            target,
            "apiVersion: Invalid value: the API group cannot change",
        ));
    }
    let kind = before.kind();
    let selector_fixed = (kind.group() == "apps" && kind.kind != "ControllerRevision") || kind.is("Job");
    if selector_fixed {
        immutable(
            "spec.selector",
            before.0.pointer("/spec/selector"),
            after.0.pointer("/spec/selector"),
        )?;
    }
    if kind.is("Pod") && kind.group().is_empty() {
        let mutable_parts = |o: &Object| {
            let mut spec = o.0.get("spec").cloned().unwrap_or(Value::Null);
            if let Some(m) = spec.as_object_mut() {
                m.remove("activeDeadlineSeconds");
                m.remove("tolerations");
                for list in ["containers", "initContainers"] {
                    for c in m.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
                        if let Some(c) = c.as_object_mut() {
                            c.remove("image");
                        }
                    }
                }
            }
            spec
        };
        if mutable_parts(before) != mutable_parts(after) {
            return Err(invalid(
                target,
                "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`, \
                 `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations)",
            ));
        }
    }
    Ok(())
}

/// The schema of known kinds, and the semantic checks the API server makes on what
/// medic changes: replicas not negative, the selector matches the template, requests
/// not above limits.
fn check_object(target: &ObjectRef, object: &Object) -> Result<(), ClusterError> {
    validate(object).map_err(|(path, message)| invalid(target, format!("{path}: {message}")))?;
    let kind = object.kind();
    if !kind.is_known() {
        return Ok(());
    }
    if let Some(r) = object.0.pointer("/spec/replicas").and_then(Value::as_i64)
        && r < 0
    {
        return Err(invalid(
            target,
            format!("spec.replicas: Invalid value: {r}: must be greater than or equal to 0"),
        ));
    }
    if kind.group() == "apps"
        && let (Some(selector), Some(template)) =
            (object.0.pointer("/spec/selector"), object.0.pointer("/spec/template"))
    {
        let matches = Selector::from_label_selector(selector).is_some_and(|s| s.matches_object(template));
        if !matches {
            return Err(invalid(
                target,
                "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`",
            ));
        }
    }
    let pod_spec = match kind.kind.as_str() {
        "Pod" => Some(("spec", "/spec")),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            Some(("spec.template.spec", "/spec/template/spec"))
        }
        "CronJob" => Some((
            "spec.jobTemplate.spec.template.spec",
            "/spec/jobTemplate/spec/template/spec",
        )),
        _ => None,
    };
    if let Some((path, pointer)) = pod_spec
        && let Some(spec) = object.0.pointer(pointer)
    {
        check_requests(target, path, spec)?;
    }
    Ok(())
}

fn check_requests(target: &ObjectRef, path: &str, spec: &Value) -> Result<(), ClusterError> {
    for list in ["containers", "initContainers"] {
        for (i, c) in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for resource in ["cpu", "memory"] {
                let q = |kind: &str| {
                    c.pointer(&format!("/resources/{kind}/{resource}"))
                        .and_then(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        })
                        .and_then(|s| Quantity::parse(&s).ok())
                };
                if let (Some(request), Some(limit)) = (q("requests"), q("limits"))
                    && request.value() > limit.value()
                {
                    return Err(invalid(
                        target,
                        format!(
                            "{path}.{list}[{i}].resources.requests: Invalid value: \"{request}\": must be less than or equal to {resource} limit of {limit}"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}
