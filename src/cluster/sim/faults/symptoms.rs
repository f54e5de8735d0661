//! How an afflicted pod looks, written into its status as the kubelet would report it:
//! a crash loop with the right termination reason and exit code, a container that runs
//! but fails its readiness probe, a pod stuck Terminating, a pod on a lost node.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use crate::cluster::sim::store::format_time;

/// What a fault does to one pod.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Symptom {
    /// The container exits at every start and waits in CrashLoopBackOff.
    Crash {
        /// The container.
        container: String,
        /// The termination reason (`OOMKilled`, `Error`).
        reason: &'static str,
        /// The exit code (137, 1).
        exit_code: i64,
    },
    /// The container runs but its readiness probe times out.
    Hung {
        /// The container.
        container: String,
    },
    /// The container runs, close to its memory limit, after being OOMKilled.
    Leak {
        /// The container.
        container: String,
    },
    /// The pod is Terminating long past its grace period.
    Terminating,
    /// The pod's node stopped reporting: the pod is not Ready.
    NodeLost,
}

/// Whether the pod already shows the symptom (so writing it again changes nothing).
pub(super) fn shows(pod: &Value, symptom: &Symptom) -> bool {
    let not_ready = ready_status(pod) == Some("False");
    match symptom {
        Symptom::Crash { container, reason, .. } => {
            not_ready
                && status_of(pod, container)
                    .and_then(|c| c.pointer("/lastState/terminated/reason"))
                    .and_then(Value::as_str)
                    == Some(*reason)
        }
        Symptom::Hung { container } => {
            not_ready && status_of(pod, container).and_then(|c| c.get("ready")) == Some(&Value::Bool(false))
        }
        Symptom::Leak { container } => {
            not_ready
                && status_of(pod, container)
                    .and_then(|c| c.pointer("/lastState/terminated/reason"))
                    .and_then(Value::as_str)
                    == Some("OOMKilled")
        }
        Symptom::Terminating => pod.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null()),
        Symptom::NodeLost => not_ready,
    }
}

/// Writes the symptom into the pod.
pub(super) fn write(pod: &mut Value, symptom: &Symptom, now: Timestamp) {
    let at = |secs: i64| format_time(now - SignedDuration::from_secs(secs));
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let ns = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match symptom {
        Symptom::Crash {
            container,
            reason,
            exit_code,
        } => {
            not_ready(pod, container, &at(0));
            let c = container_status(pod, container);
            let restarts = c.get("restartCount").and_then(Value::as_i64).unwrap_or(0) + 1;
            c.insert("ready".into(), json!(false));
            c.insert("started".into(), json!(false));
            c.insert("restartCount".into(), json!(restarts));
            c.insert(
                "state".into(),
                json!({"waiting": {"reason": "CrashLoopBackOff",
                    "message": format!("back-off 10s restarting failed container={container} pod={name}_{ns}")}}),
            );
            c.insert(
                "lastState".into(),
                json!({"terminated": {"reason": reason, "exitCode": exit_code, "startedAt": at(40), "finishedAt": at(5)}}),
            );
        }
        Symptom::Hung { container } => {
            not_ready(pod, container, &at(0));
            let c = container_status(pod, container);
            c.insert("ready".into(), json!(false));
            c.insert("started".into(), json!(true));
            if c.get("state").and_then(|s| s.get("running")).is_none() {
                c.insert("state".into(), json!({"running": {"startedAt": at(3600)}}));
            }
        }
        Symptom::Leak { container } => {
            not_ready(pod, container, &at(0));
            let c = container_status(pod, container);
            let restarts = c.get("restartCount").and_then(Value::as_i64).unwrap_or(0) + 1;
            c.insert("ready".into(), json!(false));
            c.insert("started".into(), json!(true));
            c.insert("restartCount".into(), json!(restarts));
            c.insert("state".into(), json!({"running": {"startedAt": at(120)}}));
            c.insert(
                "lastState".into(),
                json!({"terminated": {"reason": "OOMKilled", "exitCode": 137, "startedAt": at(3 * 3600), "finishedAt": at(125)}}),
            );
        }
        Symptom::Terminating => {
            if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("deletionTimestamp".into(), json!(at(40 * 60)));
                meta.insert("deletionGracePeriodSeconds".into(), json!(30));
            }
            set_ready(pod, "False", None, &at(0));
        }
        Symptom::NodeLost => set_ready(pod, "False", Some("NodeNotReady"), &at(0)),
    }
}

/// Moves the symptom on by the time that passed: a crash loop restarts about every five
/// minutes (the back-off's ceiling), a leaking container is OOMKilled again.
pub(super) fn progress(pod: &mut Value, symptom: &Symptom, from: Timestamp, to: Timestamp) {
    let seconds = to.duration_since(from).as_secs();
    if seconds < 60 {
        return;
    }
    let at = |secs: i64| format_time(to - SignedDuration::from_secs(secs));
    let (container, more) = match symptom {
        Symptom::Crash { container, .. } => (container, (seconds / 300).max(1)),
        Symptom::Leak { container } => (container, 1),
        _ => return,
    };
    let c = container_status(pod, container);
    let restarts = c.get("restartCount").and_then(Value::as_i64).unwrap_or(0) + more;
    c.insert("restartCount".into(), json!(restarts));
    if let Some(t) = c.get_mut("lastState").and_then(|s| s.get_mut("terminated")) {
        t["startedAt"] = json!(at(40));
        t["finishedAt"] = json!(at(5));
    }
    if let Some(w) = c.get_mut("state").and_then(|s| s.get_mut("waiting")) {
        if let Some(m) = w.get("message").and_then(Value::as_str) {
            w["message"] = json!(m.replacen("back-off 10s", "back-off 5m0s", 1));
        }
    } else if matches!(symptom, Symptom::Leak { .. }) {
        c.insert("state".into(), json!({"running": {"startedAt": at(30)}}));
    }
}

fn ready_status(pod: &Value) -> Option<&str> {
    pod.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))?
        .get("status")?
        .as_str()
}

fn status_of<'a>(pod: &'a Value, container: &str) -> Option<&'a Value> {
    pod.pointer("/status/containerStatuses")?
        .as_array()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
}

fn status_map(pod: &mut Value) -> &mut Map<String, Value> {
    if !pod.get("status").is_some_and(Value::is_object) {
        pod["status"] = json!({});
    }
    pod["status"]
        .as_object_mut()
        .unwrap_or_else(|| unreachable!("status was just made an object"))
}

/// The status entry of a container, created (waiting, from the spec's image) when missing.
fn container_status<'a>(pod: &'a mut Value, container: &str) -> &'a mut Map<String, Value> {
    let image = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
        })
        .and_then(|c| c.get("image"))
        .cloned()
        .unwrap_or(Value::Null);
    let status = status_map(pod);
    let list = status.entry("containerStatuses").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let list = list
        .as_array_mut()
        .unwrap_or_else(|| unreachable!("made an array above"));
    let pos = match list
        .iter()
        .position(|c| c.get("name").and_then(Value::as_str) == Some(container))
    {
        Some(i) => i,
        None => {
            list.push(json!({"name": container, "image": image, "imageID": "", "ready": false,
                             "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}));
            list.len() - 1
        }
    };
    list[pos]
        .as_object_mut()
        .unwrap_or_else(|| unreachable!("container statuses are objects"))
}

fn not_ready(pod: &mut Value, container: &str, now: &str) {
    if pod.pointer("/status/phase").is_none_or(|p| p != "Running") {
        status_map(pod).insert("phase".into(), json!("Running"));
    }
    let message = format!("containers with unready status: [{container}]");
    set_condition(
        pod,
        "ContainersReady",
        "False",
        Some("ContainersNotReady"),
        Some(&message),
        now,
    );
    set_condition(pod, "Ready", "False", Some("ContainersNotReady"), Some(&message), now);
}

fn set_ready(pod: &mut Value, status: &str, reason: Option<&str>, now: &str) {
    set_condition(pod, "Ready", status, reason, None, now);
}

fn set_condition(pod: &mut Value, type_: &str, status: &str, reason: Option<&str>, message: Option<&str>, now: &str) {
    let s = status_map(pod);
    let list = s.entry("conditions").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let list = list
        .as_array_mut()
        .unwrap_or_else(|| unreachable!("made an array above"));
    let mut c = json!({"type": type_, "status": status, "lastTransitionTime": now});
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    if let Some(m) = message {
        c["message"] = json!(m);
    }
    match list
        .iter_mut()
        .find(|x| x.get("type").and_then(Value::as_str) == Some(type_))
    {
        Some(existing) if existing.get("status").and_then(Value::as_str) == Some(status) => {
            if let Some(r) = reason {
                existing["reason"] = json!(r);
            }
            if let Some(m) = message {
                existing["message"] = json!(m);
            }
        }
        Some(existing) => *existing = c,
        None => list.push(c),
    }
}
