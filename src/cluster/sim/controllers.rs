//! What the cluster's controllers would do, run synchronously after every write so that
//! actions have their real effect: the Deployment controller (ReplicaSets, revisions,
//! rollouts and rollbacks), the ReplicaSet, StatefulSet and DaemonSet controllers (pods),
//! the taint eviction controller (pods on a node with a `NoExecute` taint they do not
//! tolerate are deleted), and a scheduler good enough to leave pods Pending when nothing
//! fits (cordoned nodes and untolerated taints included).
//!
//! It is deterministic: the same state and clock give the same result, names included.
//! Rollouts complete in one go (a rolling update whose new pods become available scales
//! the old ReplicaSets to 0; one whose new pods do not keeps as many old ones as
//! `maxUnavailable` requires). A bound PersistentVolumeClaim whose request grew gets the
//! new capacity at once (volume expansion). New pods are healthy unless [`new_pod_status`] says
//! otherwise, or an injected fault afflicts them (`faults`, right after it). Jobs, CronJobs and HPAs are not
//! simulated. Orphans are not adopted: ownership is by `ownerReferences` only; a pod
//! whose labels its controller's selector no longer matches is released (its owner
//! reference removed) and replaced.
//!
//! This module must only do what a Kubernetes controller would; it never answers API
//! calls (that is `apply`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::selector::Selector;
use super::store::{Key, Store, metadata_mut, stable_hash};
use crate::actions::quantity::Quantity;
use crate::cluster::Object;

/// The Deployment revision annotation (on Deployments and their ReplicaSets).
pub(super) const REVISION: &str = "deployment.kubernetes.io/revision";
const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
const TEMPLATE_HASH: &str = "pod-template-hash";
const REVISION_HASH: &str = "controller-revision-hash";
/// Controller passes before giving up on converging (a pass that changes nothing ends it).
const MAX_ROUNDS: usize = 10;

/// Runs every controller until nothing changes.
pub(super) fn reconcile(store: &mut Store) {
    for _ in 0..MAX_ROUNDS {
        let mut changed = evict_for_no_execute(store);
        for key in keys(store, "apps", "Deployment") {
            changed |= sync_deployment(store, &key);
        }
        for key in keys(store, "apps", "ReplicaSet") {
            changed |= sync_replica_set(store, &key);
        }
        for key in keys(store, "apps", "StatefulSet") {
            changed |= sync_stateful_set(store, &key);
        }
        for key in keys(store, "apps", "DaemonSet") {
            changed |= sync_daemon_set(store, &key);
        }
        changed |= super::faults::sync(store);
        for key in keys(store, "", "PersistentVolumeClaim") {
            changed |= sync_claim_capacity(store, &key);
        }
        if !changed {
            return;
        }
    }
}

fn keys(store: &Store, group: &str, kind: &str) -> Vec<Key> {
    store.list(group, kind, None).map(Key::of).collect()
}

/// Stores `object` if it changed; true when it did.
fn save(store: &mut Store, object: Object) -> bool {
    let key = Key::of(&object);
    let before = store.get(&key).and_then(|o| o.resource_version().map(str::to_string));
    let after = store.update(object);
    before.as_deref() != after.resource_version()
}

fn i64_at(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn spec_replicas(o: &Object) -> i64 {
    i64_at(&o.0, "/spec/replicas").unwrap_or(1).max(0)
}

/// A ReplicaSet's or Deployment's revision (0 when unset).
pub(super) fn revision(o: &Object) -> i64 {
    o.annotation(REVISION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

fn set_annotation(o: &mut Object, key: &str, value: String) {
    let meta = metadata_mut(o);
    let ann = meta.entry("annotations").or_insert_with(|| json!({}));
    if !ann.is_object() {
        *ann = json!({});
    }
    ann[key] = Value::String(value);
}

/// Whether an owner reference names `owner` (kind and name; objects are unique by
/// name in the simulation, so the uid adds nothing).
fn refers_to(r: &Value, owner: &Object) -> bool {
    r.get("kind").and_then(Value::as_str) == Some(owner.kind().kind.as_str())
        && r.get("name").and_then(Value::as_str) == Some(owner.name())
}

/// Whether `owner` is the controller of `object`.
pub(super) fn controlled_by(object: &Object, owner: &Object) -> bool {
    object.namespace() == owner.namespace()
        && object
            .0
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r.get("controller").and_then(Value::as_bool) == Some(true) && refers_to(r, owner))
            })
}

/// Whether any owner reference of `object` names `owner`.
pub(super) fn owned_by(object: &Object, owner: &Object) -> bool {
    object.namespace() == owner.namespace()
        && object
            .0
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| refs.iter().any(|r| refers_to(r, owner)))
}

fn owner_reference(owner: &Object) -> Value {
    json!({
        "apiVersion": owner.0.get("apiVersion").cloned().unwrap_or(Value::Null),
        "kind": owner.kind().kind,
        "name": owner.name(),
        "uid": owner.uid().unwrap_or_default(),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

fn terminating(o: &Object) -> bool {
    o.0.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null())
}

/// Whether a pod's `Ready` condition is true.
pub(super) fn pod_ready(pod: &Object) -> bool {
    condition_status(&pod.0, "Ready") == Some("True") && !terminating(pod)
}

fn condition_status<'a>(o: &'a Value, type_: &str) -> Option<&'a str> {
    o.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))?
        .get("status")?
        .as_str()
}

/// Releases the pods `owner` controls whose labels its selector no longer matches (a
/// relabelled, quarantined pod), removing `owner` from their `ownerReferences` as the
/// ReplicaSet, StatefulSet and DaemonSet controllers do; the owner then replaces them.
/// True when a pod was released.
fn release_unmatched(store: &mut Store, owner: &Object) -> bool {
    let Some(selector) = owner
        .0
        .pointer("/spec/selector")
        .and_then(Selector::from_label_selector)
    else {
        return false;
    };
    let released: Vec<Object> = store
        .list("", "Pod", owner.namespace())
        .filter(|p| controlled_by(p, owner) && !selector.matches_object(&p.0))
        .cloned()
        .collect();
    for mut pod in released.iter().cloned() {
        if let Some(refs) = pod
            .0
            .pointer_mut("/metadata/ownerReferences")
            .and_then(Value::as_array_mut)
        {
            refs.retain(|r| !refers_to(r, owner));
        }
        if let Some(meta) = pod.0.get_mut("metadata").and_then(Value::as_object_mut)
            && meta
                .get("ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        {
            meta.remove("ownerReferences");
        }
        save(store, pod);
    }
    !released.is_empty()
}

/// The live (not terminating) pods `owner` controls.
fn pods_of(store: &Store, owner: &Object) -> Vec<Object> {
    store
        .list("", "Pod", owner.namespace())
        .filter(|p| controlled_by(p, owner) && !terminating(p))
        .cloned()
        .collect()
}

/// A pod template without what differs between a Deployment and its ReplicaSet (the
/// `pod-template-hash` label) and without empty values, for comparison.
fn comparable_template(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove(TEMPLATE_HASH);
    }
    prune(&mut t);
    t
}

fn prune(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.values_mut().for_each(prune);
            m.retain(|_, v| !is_empty(v));
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// An `IntOrString` (`1`, `"25%"`) against a total; `round_up` for surge, down otherwise.
fn scaled(v: Option<&Value>, total: i64, default_percent: i64, round_up: bool) -> i64 {
    let percent = |p: i64| {
        let x = p * total;
        if round_up { (x + 99) / 100 } else { x / 100 }
    };
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<i64>().ok())
            .map(percent)
            .unwrap_or(0),
        _ => percent(default_percent),
    }
    .max(0)
}

/// Sets a condition, keeping its transition time when the status did not change.
fn set_condition(conditions: &mut Vec<Value>, type_: &str, status: &str, reason: &str, message: &str, now: &str) {
    let existing = conditions
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_));
    match existing {
        Some(c) => {
            if c.get("status").and_then(Value::as_str) != Some(status) {
                c["lastTransitionTime"] = json!(now);
            }
            if c.get("reason").and_then(Value::as_str) != Some(reason)
                || c.get("message").and_then(Value::as_str) != Some(message)
            {
                c["lastUpdateTime"] = json!(now);
            }
            c["status"] = json!(status);
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        None => conditions.push(json!({
            "type": type_, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": now, "lastUpdateTime": now,
        })),
    }
}

/// Writes a count into a status map; `optional` counts are omitted when 0, as the API does.
fn set_count(status: &mut Map<String, Value>, key: &str, n: i64, optional: bool) {
    if optional && n == 0 {
        status.remove(key);
    } else {
        status.insert(key.into(), json!(n));
    }
}

fn status_map(o: &mut Object) -> &mut Map<String, Value> {
    if !o.0.get("status").is_some_and(Value::is_object) {
        o.0["status"] = json!({});
    }
    o.0["status"]
        .as_object_mut()
        .unwrap_or_else(|| unreachable!("status was just made an object"))
}

fn observe_generation(o: &mut Object) {
    if let Some(g) = i64_at(&o.0, "/metadata/generation") {
        status_map(o).insert("observedGeneration".into(), json!(g));
    }
}

// ---------------------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------------------

fn sync_deployment(store: &mut Store, key: &Key) -> bool {
    let Some(mut deployment) = store.get(key).cloned() else {
        return false;
    };
    let mut changed = false;
    let desired = spec_replicas(&deployment);
    let paused = deployment.0.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
    let template = deployment.0.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    let wanted = comparable_template(&template);
    let mut sets: Vec<Object> = store
        .list("apps", "ReplicaSet", deployment.namespace())
        .filter(|rs| controlled_by(rs, &deployment))
        .cloned()
        .collect();
    let max_revision = sets.iter().map(revision).max().unwrap_or(0);
    let recreate = str_at(&deployment.0, "/spec/strategy/type") == Some("Recreate");
    let max_unavailable = if recreate {
        desired
    } else {
        scaled(
            deployment.0.pointer("/spec/strategy/rollingUpdate/maxUnavailable"),
            desired,
            25,
            false,
        )
    };
    let max_surge = if recreate {
        0
    } else {
        scaled(
            deployment.0.pointer("/spec/strategy/rollingUpdate/maxSurge"),
            desired,
            25,
            true,
        )
    };

    let current = sets
        .iter()
        .filter(|rs| comparable_template(rs.0.pointer("/spec/template").unwrap_or(&Value::Null)) == wanted)
        .max_by_key(|rs| revision(rs))
        .cloned();
    let new_set = match current {
        Some(mut rs) => {
            let old_revision = revision(&rs);
            if !paused && old_revision < max_revision {
                // A rollback: the ReplicaSet whose template came back becomes the newest revision.
                let mut history: Vec<String> = rs
                    .annotation(REVISION_HISTORY)
                    .map(|h| h.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                if old_revision > 0 {
                    history.push(old_revision.to_string());
                }
                set_annotation(&mut rs, REVISION, (max_revision + 1).to_string());
                if !history.is_empty() {
                    set_annotation(&mut rs, REVISION_HISTORY, history.join(","));
                }
            }
            Some(rs)
        }
        None if paused => None,
        None => {
            let rs = new_replica_set(store, &deployment, &template, max_revision + 1, desired);
            changed = true;
            sets.push(rs.clone());
            Some(rs)
        }
    };

    if let Some(mut rs) = new_set.clone() {
        rs.0["spec"]["replicas"] = json!(desired);
        set_annotation(&mut rs, DESIRED_REPLICAS, desired.to_string());
        set_annotation(&mut rs, MAX_REPLICAS, (desired + max_surge).to_string());
        let rev = revision(&rs);
        changed |= save(store, rs);
        set_annotation(&mut deployment, REVISION, rev.to_string());
    }
    let new_name = new_set.as_ref().map(|rs| rs.name().to_string());

    // Scale the old ReplicaSets down as far as availability allows, oldest first.
    let new_available = new_set
        .as_ref()
        .map(|rs| pods_of(store, rs).iter().filter(|p| pod_ready(p)).count() as i64)
        .unwrap_or(0);
    let mut old: Vec<Object> = sets
        .iter()
        .filter(|rs| Some(rs.name()) != new_name.as_deref())
        .filter_map(|rs| store.get(&Key::of(rs)).cloned())
        .collect();
    old.sort_by_key(|rs| (revision(rs), rs.name().to_string()));
    if !paused && new_set.is_some() {
        let min_available = (desired - max_unavailable).max(0);
        let keep = (min_available - new_available).max(0);
        let mut excess = old.iter().map(spec_replicas).sum::<i64>() - keep;
        for rs in &mut old {
            if excess <= 0 {
                break;
            }
            let have = spec_replicas(rs);
            let cut = have.min(excess);
            if cut > 0 {
                rs.0["spec"]["replicas"] = json!(have - cut);
                excess -= cut;
                changed |= save(store, rs.clone());
            }
        }
    }

    // Status, from the pods as they are now.
    let now = store.now_text();
    let mut total = 0;
    let mut ready = 0;
    let mut updated = 0;
    let mut new_ready = 0;
    for rs in store
        .list("apps", "ReplicaSet", deployment.namespace())
        .filter(|rs| controlled_by(rs, &deployment))
    {
        let pods = pods_of(store, rs);
        let r = pods.iter().filter(|p| pod_ready(p)).count() as i64;
        total += pods.len() as i64;
        ready += r;
        if Some(rs.name()) == new_name.as_deref() {
            updated = pods.len() as i64;
            new_ready = r;
        }
    }
    observe_generation(&mut deployment);
    let status = status_map(&mut deployment);
    set_count(status, "replicas", total, true);
    set_count(status, "updatedReplicas", updated, true);
    set_count(status, "readyReplicas", ready, true);
    set_count(status, "availableReplicas", ready, true);
    set_count(status, "unavailableReplicas", (desired - ready).max(0), true);
    let mut conditions: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Recreate has no availability slack: the Deployment is available only when all are.
    let slack = if recreate { 0 } else { max_unavailable };
    if ready >= desired - slack {
        set_condition(
            &mut conditions,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            &now,
        );
    } else {
        set_condition(
            &mut conditions,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            &now,
        );
    }
    let rs_name = new_name.unwrap_or_default();
    let stuck = conditions.iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some("Progressing")
            && c.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded")
            && c.get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains(&rs_name))
    });
    if paused {
        set_condition(
            &mut conditions,
            "Progressing",
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused",
            &now,
        );
    } else if updated == desired && new_ready == desired && total == desired {
        let message = format!("ReplicaSet \"{rs_name}\" has successfully progressed.");
        set_condition(
            &mut conditions,
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            &message,
            &now,
        );
    } else if !stuck {
        let message = format!("ReplicaSet \"{rs_name}\" is progressing.");
        set_condition(
            &mut conditions,
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            &message,
            &now,
        );
    }
    status.insert("conditions".into(), Value::Array(conditions));
    changed |= save(store, deployment);
    changed
}

/// Creates the ReplicaSet of a new Deployment revision.
fn new_replica_set(store: &mut Store, deployment: &Object, template: &Value, revision: i64, replicas: i64) -> Object {
    let ns = deployment.namespace().unwrap_or("default").to_string();
    let base = comparable_template(template);
    let mut collision = 0u32;
    let (name, hash) = loop {
        let input = if collision == 0 {
            base.clone()
        } else {
            json!({"template": base, "collisionCount": collision})
        };
        let hash = stable_hash(&input, 10);
        let name = format!("{}-{hash}", deployment.name());
        if store.get(&Key::new("apps", "ReplicaSet", &ns, &name)).is_none() {
            break (name, hash);
        }
        collision += 1;
    };
    let mut template = template.clone();
    template["metadata"]["labels"][TEMPLATE_HASH] = json!(hash);
    let mut labels = template["metadata"]["labels"].clone();
    labels[TEMPLATE_HASH] = json!(hash);
    let mut selector = deployment.0.pointer("/spec/selector").cloned().unwrap_or(json!({}));
    selector["matchLabels"][TEMPLATE_HASH] = json!(hash);
    let rs = json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "annotations": { REVISION: revision.to_string() },
            "ownerReferences": [owner_reference(deployment)],
            "generation": 1,
        },
        "spec": {
            "replicas": replicas,
            "selector": selector,
            "template": template,
        },
    });
    store.insert_new(Object(rs))
}

// ---------------------------------------------------------------------------------------
// ReplicaSets
// ---------------------------------------------------------------------------------------

fn sync_replica_set(store: &mut Store, key: &Key) -> bool {
    let Some(mut rs) = store.get(key).cloned() else {
        return false;
    };
    let mut changed = release_unmatched(store, &rs);
    let desired = spec_replicas(&rs);
    let template = rs.0.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    let mut pods = pods_of(store, &rs);
    let have = pods.len() as i64;
    if have < desired {
        for _ in have..desired {
            let name = store.fresh_name(&Key::new("", "Pod", &key.namespace, ""), &format!("{}-", rs.name()));
            create_pod(store, &rs, &name, &template, &[], None);
        }
        changed = true;
    } else if have > desired {
        pods.sort_by_key(deletion_rank);
        for pod in pods.iter().take((have - desired) as usize) {
            store.remove(&Key::of(pod));
        }
        changed = true;
    }
    let pods = pods_of(store, &rs);
    let ready = pods.iter().filter(|p| pod_ready(p)).count() as i64;
    let selector =
        rs.0.pointer("/spec/selector")
            .and_then(Selector::from_label_selector)
            .unwrap_or_default();
    let labeled = pods.iter().filter(|p| selector.matches_object(&p.0)).count() as i64;
    observe_generation(&mut rs);
    let status = status_map(&mut rs);
    set_count(status, "replicas", pods.len() as i64, false);
    set_count(status, "fullyLabeledReplicas", labeled, true);
    set_count(status, "readyReplicas", ready, true);
    set_count(status, "availableReplicas", ready, true);
    changed |= save(store, rs);
    changed
}

/// The order in which a ReplicaSet deletes surplus pods: unscheduled, then pending,
/// then unready, then the youngest.
fn deletion_rank(pod: &Object) -> (bool, u8, bool, std::cmp::Reverse<String>, String) {
    let phase = match str_at(&pod.0, "/status/phase") {
        Some("Pending") => 0,
        Some("Running") => 2,
        _ => 1,
    };
    (
        str_at(&pod.0, "/spec/nodeName").is_some(),
        phase,
        pod_ready(pod),
        std::cmp::Reverse(
            str_at(&pod.0, "/metadata/creationTimestamp")
                .unwrap_or_default()
                .to_string(),
        ),
        pod.name().to_string(),
    )
}

// ---------------------------------------------------------------------------------------
// StatefulSets and DaemonSets
// ---------------------------------------------------------------------------------------

/// The revision name of a StatefulSet's or DaemonSet's current template: remembered from
/// the first time it was seen (the fixture's `status.updateRevision` or its pods' label),
/// and a new one whenever the template changes.
fn current_revision(store: &mut Store, set: &Object, pods: &[Object]) -> String {
    let key = Key::of(set);
    let template = comparable_template(set.0.pointer("/spec/template").unwrap_or(&Value::Null));
    match store.rolled_out.get(&key) {
        Some((t, r)) if *t == template => r.clone(),
        Some(_) => {
            let r = format!("{}-{}", set.name(), stable_hash(&template, 10));
            store.rolled_out.insert(key, (template, r.clone()));
            r
        }
        None => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for p in pods {
                if let Some(l) = p.label(REVISION_HASH) {
                    *counts.entry(l).or_default() += 1;
                }
            }
            let from_pods = counts.into_iter().max_by_key(|(_, n)| *n).map(|(l, _)| l.to_string());
            let r = str_at(&set.0, "/status/updateRevision")
                .map(str::to_string)
                .or(from_pods)
                .unwrap_or_else(|| format!("{}-{}", set.name(), stable_hash(&template, 10)));
            store.rolled_out.insert(key, (template, r.clone()));
            r
        }
    }
}

/// Whether a pod runs an older template than `revision` (pods without the label are
/// taken as current).
fn outdated(pod: &Object, revision: &str) -> bool {
    pod.label(REVISION_HASH).is_some_and(|l| l != revision)
}

fn sync_stateful_set(store: &mut Store, key: &Key) -> bool {
    let Some(mut sts) = store.get(key).cloned() else {
        return false;
    };
    let mut changed = release_unmatched(store, &sts);
    let desired = spec_replicas(&sts);
    let template = sts.0.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    let on_delete = str_at(&sts.0, "/spec/updateStrategy/type") == Some("OnDelete");
    let pods = pods_of(store, &sts);
    let revision = current_revision(store, &sts, &pods);
    let ordinal = |p: &Object| {
        p.name()
            .strip_prefix(&format!("{}-", sts.name()))
            .and_then(|i| i.parse::<i64>().ok())
    };
    for pod in &pods {
        let surplus = ordinal(pod).is_none_or(|i| i >= desired);
        if surplus || (!on_delete && outdated(pod, &revision)) {
            store.remove(&Key::of(pod));
            changed = true;
        }
    }
    for i in 0..desired {
        let name = format!("{}-{i}", sts.name());
        if store.get(&Key::new("", "Pod", &key.namespace, &name)).is_some() {
            continue;
        }
        let mut template = template.clone();
        for claim in sts
            .0
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let claim_name = format!("{}-{name}", str_at(&claim, "/metadata/name").unwrap_or("data"));
            ensure_claim(store, &sts, &claim, &claim_name);
            attach_claim(
                &mut template,
                str_at(&claim, "/metadata/name").unwrap_or("data"),
                &claim_name,
            );
        }
        let labels = [
            (REVISION_HASH, revision.clone()),
            ("statefulset.kubernetes.io/pod-name", name.clone()),
            ("apps.kubernetes.io/pod-index", i.to_string()),
        ];
        create_pod(store, &sts, &name, &template, &labels, None);
        changed = true;
    }
    let pods = pods_of(store, &sts);
    let ready = pods.iter().filter(|p| pod_ready(p)).count() as i64;
    let current = pods.iter().filter(|p| !outdated(p, &revision)).count() as i64;
    observe_generation(&mut sts);
    let status = status_map(&mut sts);
    set_count(status, "replicas", pods.len() as i64, false);
    set_count(status, "readyReplicas", ready, true);
    set_count(status, "availableReplicas", ready, true);
    set_count(status, "currentReplicas", current, true);
    set_count(status, "updatedReplicas", current, true);
    status.insert("currentRevision".into(), json!(revision));
    status.insert("updateRevision".into(), json!(revision));
    changed |= save(store, sts);
    changed
}

/// Creates a StatefulSet's PersistentVolumeClaim (bound at once) unless it exists.
fn ensure_claim(store: &mut Store, sts: &Object, claim: &Value, name: &str) {
    let ns = sts.namespace().unwrap_or("default");
    if store.get(&Key::new("", "PersistentVolumeClaim", ns, name)).is_some() {
        return;
    }
    let spec = claim.get("spec").cloned().unwrap_or(json!({}));
    let mut status = json!({"phase": "Bound"});
    if let Some(modes) = spec.get("accessModes") {
        status["accessModes"] = modes.clone();
    }
    if let Some(size) = spec.pointer("/resources/requests/storage") {
        status["capacity"] = json!({"storage": size});
    }
    let labels = sts
        .0
        .pointer("/spec/selector/matchLabels")
        .cloned()
        .unwrap_or(json!({}));
    store.insert_new(Object(json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": spec,
        "status": status,
    })));
}

/// The volume expander: a bound claim whose storage request grew above its capacity gets
/// the new capacity (the volume and its filesystem resized in one step).
fn sync_claim_capacity(store: &mut Store, key: &Key) -> bool {
    let Some(mut claim) = store.get(key).cloned() else {
        return false;
    };
    if str_at(&claim.0, "/status/phase") != Some("Bound") {
        return false;
    }
    let Some(requested) = claim.0.pointer("/spec/resources/requests/storage").cloned() else {
        return false;
    };
    let capacity = claim.0.pointer("/status/capacity/storage").and_then(quantity);
    match (quantity(&requested), capacity) {
        (Some(r), Some(c)) if r > c => {
            claim.0["status"]["capacity"]["storage"] = requested;
            save(store, claim)
        }
        _ => false,
    }
}

fn attach_claim(template: &mut Value, volume: &str, claim: &str) {
    let Some(spec) = template.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
    let Some(list) = volumes.as_array_mut() else {
        return;
    };
    list.retain(|v| v.get("name").and_then(Value::as_str) != Some(volume));
    list.push(json!({"name": volume, "persistentVolumeClaim": {"claimName": claim}}));
}

/// Taints every DaemonSet pod tolerates (the DaemonSet controller adds these tolerations).
const DAEMON_TOLERATED: &[&str] = &[
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
    "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/pid-pressure",
];

fn sync_daemon_set(store: &mut Store, key: &Key) -> bool {
    let Some(mut ds) = store.get(key).cloned() else {
        return false;
    };
    let mut changed = release_unmatched(store, &ds);
    let template = ds.0.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    let on_delete = str_at(&ds.0, "/spec/updateStrategy/type") == Some("OnDelete");
    let pods = pods_of(store, &ds);
    let revision = current_revision(store, &ds, &pods);
    let nodes: Vec<Object> = store.list("", "Node", None).cloned().collect();
    let eligible: Vec<String> = nodes
        .iter()
        .filter(|n| node_selector_matches(&template, n) && untolerated_taint(&template, n, DAEMON_TOLERATED).is_none())
        .map(|n| n.name().to_string())
        .collect();
    // A running daemon pod stays on a node that stopped taking new ones (a NoSchedule
    // taint); only a NoExecute taint it does not tolerate, or a selector it no longer
    // matches, takes it off.
    let runnable: Vec<String> = nodes
        .iter()
        .filter(|n| node_selector_matches(&template, n) && !no_execute_untolerated(&template, n, DAEMON_TOLERATED))
        .map(|n| n.name().to_string())
        .collect();
    // Without any Node in the cluster, placement is unknown: leave the pods as they are.
    if !nodes.is_empty() {
        let mut placed: BTreeMap<String, usize> = BTreeMap::new();
        for pod in &pods {
            let node = str_at(&pod.0, "/spec/nodeName").unwrap_or_default().to_string();
            let count = placed.entry(node.clone()).or_default();
            *count += 1;
            if !runnable.contains(&node) || *count > 1 || (!on_delete && outdated(pod, &revision)) {
                store.remove(&Key::of(pod));
                *count -= 1;
                changed = true;
            }
        }
        for node in &eligible {
            if placed.get(node).copied().unwrap_or(0) > 0 {
                continue;
            }
            let name = store.fresh_name(&Key::new("", "Pod", &key.namespace, ""), &format!("{}-", ds.name()));
            create_pod(
                store,
                &ds,
                &name,
                &template,
                &[(REVISION_HASH, revision.clone())],
                Some(node),
            );
            changed = true;
        }
    }
    let pods = pods_of(store, &ds);
    let ready = pods.iter().filter(|p| pod_ready(p)).count() as i64;
    let desired = if nodes.is_empty() {
        pods.len() as i64
    } else {
        eligible.len() as i64
    };
    let current = pods.iter().filter(|p| !outdated(p, &revision)).count() as i64;
    observe_generation(&mut ds);
    let status = status_map(&mut ds);
    set_count(status, "desiredNumberScheduled", desired, false);
    set_count(status, "currentNumberScheduled", pods.len() as i64, false);
    set_count(status, "numberMisscheduled", 0, false);
    set_count(status, "numberReady", ready, false);
    set_count(status, "numberAvailable", ready, true);
    set_count(status, "numberUnavailable", (desired - ready).max(0), true);
    set_count(status, "updatedNumberScheduled", current, true);
    changed |= save(store, ds);
    changed
}

// ---------------------------------------------------------------------------------------
// Pods and scheduling
// ---------------------------------------------------------------------------------------

/// Where the scheduler put a new pod.
pub(super) enum Placement {
    /// On this node.
    Node(Object),
    /// Nowhere: the scheduler's message says why.
    Unschedulable(String),
    /// The cluster has no Node objects: the pod runs, nodeless.
    Anywhere,
}

/// Creates a pod from `template`, owned by `owner`, scheduled (or on `node`), with the
/// status [`new_pod_status`] gives it.
fn create_pod(
    store: &mut Store,
    owner: &Object,
    name: &str,
    template: &Value,
    extra_labels: &[(&str, String)],
    node: Option<&str>,
) {
    let ns = owner.namespace().unwrap_or("default").to_string();
    let mut labels = template.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    for (k, v) in extra_labels {
        labels[*k] = json!(v);
    }
    let mut metadata = json!({
        "name": name,
        "namespace": ns,
        "labels": labels,
        "ownerReferences": [owner_reference(owner)],
    });
    if let Some(ann) = template.pointer("/metadata/annotations") {
        metadata["annotations"] = ann.clone();
    }
    if !owner.kind().is("StatefulSet") {
        metadata["generateName"] = json!(format!("{}-", owner.name()));
    }
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    });
    if let Err(message) = super::faults::admit(store, &pod) {
        let component = format!("{}-controller", owner.kind().kind.to_ascii_lowercase());
        record_event(
            store,
            owner,
            "Warning",
            "FailedCreate",
            &format!("Error creating: {message}"),
            &component,
        );
        return;
    }
    let placement = match node {
        Some(n) => store
            .get(&Key::new("", "Node", "", n))
            .cloned()
            .map(Placement::Node)
            .unwrap_or(Placement::Anywhere),
        None => schedule(store, &pod),
    };
    if let Placement::Node(n) = &placement {
        pod["spec"]["nodeName"] = json!(n.name());
    }
    let now = store.now_text();
    pod["status"] = new_pod_status(&pod, &placement, &now);
    super::faults::on_pod_created(store, &mut pod);
    let pod = store.insert_new(Object(pod));
    if let Placement::Unschedulable(message) = &placement {
        record_event(store, &pod, "Warning", "FailedScheduling", message, "default-scheduler");
    }
}

/// The status a new pod starts with. Pods start healthy (Running and Ready) when
/// scheduled on a Ready node, Pending when unschedulable, and stuck in
/// `ContainerCreating` on a node that is not Ready.
///
/// Injected faults then afflict the pods they match (`faults::on_pod_created`, called by
/// `create_pod` right after this).
pub(super) fn new_pod_status(pod: &Value, placement: &Placement, now: &str) -> Value {
    let containers: Vec<&Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    let condition = |type_: &str, status: &str| json!({"type": type_, "status": status, "lastTransitionTime": now});
    match placement {
        Placement::Unschedulable(message) => json!({
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                            "message": message, "lastTransitionTime": now}],
        }),
        Placement::Node(node) if condition_status(&node.0, "Ready") != Some("True") => json!({
            "phase": "Pending",
            "startTime": now,
            "conditions": [condition("PodScheduled", "True"), condition("Initialized", "True"),
                           condition("ContainersReady", "False"), condition("Ready", "False")],
            "containerStatuses": containers.iter().map(|c| json!({
                "name": c.get("name").cloned().unwrap_or(Value::Null),
                "image": c.get("image").cloned().unwrap_or(Value::Null),
                "imageID": "",
                "ready": false,
                "started": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}},
            })).collect::<Vec<_>>(),
        }),
        _ => json!({
            "phase": "Running",
            "startTime": now,
            "conditions": [condition("PodScheduled", "True"), condition("Initialized", "True"),
                           condition("ContainersReady", "True"), condition("Ready", "True")],
            "containerStatuses": containers.iter().map(|c| json!({
                "name": c.get("name").cloned().unwrap_or(Value::Null),
                "image": c.get("image").cloned().unwrap_or(Value::Null),
                "imageID": "",
                "ready": true,
                "started": true,
                "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            })).collect::<Vec<_>>(),
        }),
    }
}

/// Chooses a node: Ready, schedulable, matching the node selector, tolerated, with room
/// for the pod's requests; the least loaded wins (ties by name).
fn schedule(store: &Store, pod: &Value) -> Placement {
    let nodes: Vec<&Object> = store.list("", "Node", None).collect();
    if nodes.is_empty() {
        return Placement::Anywhere;
    }
    let (cpu, memory) = requests(pod);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut best: Option<(usize, &Object)> = None;
    for node in &nodes {
        let on_node: Vec<&Object> = store
            .list("", "Pod", None)
            .filter(|p| str_at(&p.0, "/spec/nodeName") == Some(node.name()))
            .filter(|p| !matches!(str_at(&p.0, "/status/phase"), Some("Succeeded" | "Failed")))
            .collect();
        let reason = if !node_selector_matches(pod, node) {
            Some("node(s) didn't match Pod's node affinity/selector".to_string())
        } else if let Some(taint) = untolerated_taint(pod, node, &[]) {
            Some(format!("node(s) had untolerated taint {{{taint}}}"))
        } else {
            let used = on_node
                .iter()
                .map(|p| requests(&p.0))
                .fold((0.0, 0.0), |a, r| (a.0 + r.0, a.1 + r.1));
            let (cpu_free, memory_free) = allocatable(node);
            if cpu > 0.0 && used.0 + cpu > cpu_free {
                Some("Insufficient cpu".to_string())
            } else if memory > 0.0 && used.1 + memory > memory_free {
                Some("Insufficient memory".to_string())
            } else {
                None
            }
        };
        match reason {
            Some(r) => *reasons.entry(r).or_default() += 1,
            None => {
                if best.is_none_or(|(load, _)| on_node.len() < load) {
                    best = Some((on_node.len(), node));
                }
            }
        }
    }
    match best {
        Some((_, node)) => Placement::Node(node.clone()),
        None => {
            let n = nodes.len();
            let why: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
            Placement::Unschedulable(format!(
                "0/{n} nodes are available: {}. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling.",
                why.join(", ")
            ))
        }
    }
}

/// A pod's CPU (cores) and memory (bytes) requests; a container without requests
/// requests its limits, as the API server defaults it.
fn requests(pod: &Value) -> (f64, f64) {
    let mut total = (0.0, 0.0);
    for c in pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let amount = |resource: &str| {
            c.pointer(&format!("/resources/requests/{resource}"))
                .or_else(|| c.pointer(&format!("/resources/limits/{resource}")))
                .and_then(quantity)
                .unwrap_or(0.0)
        };
        total.0 += amount("cpu");
        total.1 += amount("memory");
    }
    total
}

fn quantity(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => Quantity::parse(s).ok().map(|q| q.value()),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// A node's allocatable CPU and memory (infinite when it does not say).
fn allocatable(node: &Object) -> (f64, f64) {
    let get = |resource: &str| {
        node.0
            .pointer(&format!("/status/allocatable/{resource}"))
            .or_else(|| node.0.pointer(&format!("/status/capacity/{resource}")))
            .and_then(quantity)
            .unwrap_or(f64::INFINITY)
    };
    (get("cpu"), get("memory"))
}

/// Whether the pod (or template)'s `spec.nodeSelector` matches the node's labels.
fn node_selector_matches(pod: &Value, node: &Object) -> bool {
    pod.pointer("/spec/nodeSelector")
        .and_then(Value::as_object)
        .is_none_or(|sel| sel.iter().all(|(k, v)| node.label(k) == v.as_str()))
}

/// The first `NoSchedule`/`NoExecute` taint of the node the pod does not tolerate, as
/// `key: value`. Cordoned and not-Ready nodes count as tainted, as the node controller
/// taints them.
fn untolerated_taint(pod: &Value, node: &Object, also_tolerated: &[&str]) -> Option<String> {
    let mut taints: Vec<(String, String, String)> = node
        .0
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            (s("key"), s("value"), s("effect"))
        })
        .collect();
    let has = |taints: &[(String, String, String)], k: &str| taints.iter().any(|t| t.0 == k);
    if node.0.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true)
        && !has(&taints, "node.kubernetes.io/unschedulable")
    {
        taints.push((
            "node.kubernetes.io/unschedulable".into(),
            String::new(),
            "NoSchedule".into(),
        ));
    }
    if condition_status(&node.0, "Ready") != Some("True")
        && !has(&taints, "node.kubernetes.io/not-ready")
        && !has(&taints, "node.kubernetes.io/unreachable")
    {
        let key = if condition_status(&node.0, "Ready") == Some("Unknown") {
            "node.kubernetes.io/unreachable"
        } else {
            "node.kubernetes.io/not-ready"
        };
        taints.push((key.into(), String::new(), "NoSchedule".into()));
    }
    let tolerations: Vec<&Value> = pod
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .map(|t| t.iter().collect())
        .unwrap_or_default();
    taints
        .into_iter()
        .filter(|(_, _, effect)| effect == "NoSchedule" || effect == "NoExecute")
        .find(|(key, value, effect)| {
            !also_tolerated.contains(&key.as_str())
                && !tolerations.iter().any(|t| {
                    let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
                    let effect_ok = s("effect").is_empty() || s("effect") == effect;
                    let exists = s("operator") == "Exists";
                    let key_ok = (s("key").is_empty() && exists) || s("key") == key;
                    effect_ok && key_ok && (exists || s("value") == value)
                })
        })
        .map(|(key, value, _)| format!("{key}: {value}"))
}

/// The taint eviction controller: deletes the pods running on a node with a `NoExecute`
/// taint (in `spec.taints`) they do not tolerate, with a `TaintManagerEviction` event; their
/// controllers then replace them elsewhere. A toleration with `tolerationSeconds` counts
/// as tolerating (simulated time does not pass); finished pods run nothing, and pods
/// already terminating are left to their kubelet.
fn evict_for_no_execute(store: &mut Store) -> bool {
    let tainted: BTreeMap<String, Object> = store
        .list("", "Node", None)
        .filter(|n| !no_execute_taints(n).is_empty())
        .map(|n| (n.name().to_string(), n.clone()))
        .collect();
    if tainted.is_empty() {
        return false;
    }
    let evicted: Vec<Object> = store
        .list("", "Pod", None)
        .filter(|p| !terminating(p) && !matches!(str_at(&p.0, "/status/phase"), Some("Succeeded" | "Failed")))
        .filter(|p| {
            let node = str_at(&p.0, "/spec/nodeName").unwrap_or_default();
            tainted.get(node).is_some_and(|n| no_execute_untolerated(&p.0, n, &[]))
        })
        .cloned()
        .collect();
    for pod in &evicted {
        store.remove(&Key::of(pod));
        let message = format!(
            "Marking for deletion Pod {}/{}",
            pod.namespace().unwrap_or_default(),
            pod.name()
        );
        record_event(
            store,
            pod,
            "Normal",
            "TaintManagerEviction",
            &message,
            "taint-eviction-controller",
        );
    }
    !evicted.is_empty()
}

/// The node's `NoExecute` taints (in `spec.taints`), as (key, value).
fn no_execute_taints(node: &Object) -> Vec<(String, String)> {
    node.0
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| str_at(t, "/effect") == Some("NoExecute"))
        .map(|t| {
            let s = |p: &str| str_at(t, p).unwrap_or_default().to_string();
            (s("/key"), s("/value"))
        })
        .collect()
}

/// Whether the node has a `NoExecute` taint the pod (or template) does not tolerate,
/// apart from the keys in `also_tolerated`.
fn no_execute_untolerated(pod: &Value, node: &Object, also_tolerated: &[&str]) -> bool {
    no_execute_taints(node)
        .iter()
        .any(|(key, value)| !also_tolerated.contains(&key.as_str()) && !tolerates_no_execute(pod, key, value))
}

/// Whether a pod tolerates the `NoExecute` taint `key=value`.
fn tolerates_no_execute(pod: &Value, key: &str, value: &str) -> bool {
    pod.pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|t| {
            let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
            let effect_ok = s("effect").is_empty() || s("effect") == "NoExecute";
            let key_ok = match s("operator") {
                "Exists" => s("key").is_empty() || s("key") == key,
                _ => s("key") == key && s("value") == value,
            };
            effect_ok && key_ok
        })
}

/// Records an event on `object`, or counts one more of the same.
pub(super) fn record_event(
    store: &mut Store,
    object: &Object,
    type_: &str,
    reason: &str,
    message: &str,
    component: &str,
) {
    let now = store.now_text();
    let ns = object.namespace().unwrap_or("default").to_string();
    let same = store
        .list("", "Event", Some(&ns))
        .find(|e| {
            str_at(&e.0, "/involvedObject/name") == Some(object.name())
                && str_at(&e.0, "/involvedObject/kind") == Some(object.kind().kind.as_str())
                && str_at(&e.0, "/reason") == Some(reason)
                && str_at(&e.0, "/message") == Some(message)
        })
        .cloned();
    if let Some(mut e) = same {
        let count = i64_at(&e.0, "/count").unwrap_or(1);
        e.0["count"] = json!(count + 1);
        e.0["lastTimestamp"] = json!(now);
        store.update(e);
        return;
    }
    let name = store.fresh_name(&Key::new("", "Event", &ns, ""), &format!("{}.", object.name()));
    store.insert_new(Object(json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {
            "apiVersion": object.0.get("apiVersion").cloned().unwrap_or(Value::Null),
            "kind": object.kind().kind,
            "name": object.name(),
            "namespace": object.namespace(),
            "uid": object.uid(),
        },
        "type": type_,
        "reason": reason,
        "message": message,
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": "",
    })));
}
