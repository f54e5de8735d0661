//! Exec in the simulated cluster. There are no processes: a command's answer comes from
//! a side table, filled from a fixture's `ContainerExec` document or by
//! [`super::SimCluster::set_exec_output`], keyed by container and by the argv joined with
//! spaces. A command nobody gave an answer for fails as a container without that
//! executable would: exit code 127 and a "not found" line.
//!
//! The checks before running are the API server's and the kubelet's: the pod must exist
//! (404), the container must be one of the pod's (400), the pod must not have completed
//! (400) and the container must be running (400, as the kubelet's "container not
//! found"). This module answers one exec and must not change any object.

use serde_json::Value;

use super::store::{Key, Store};
use crate::cluster::{ClusterError, OperationResult};

/// A container: namespace, pod, container.
pub(super) type ExecKey = (String, String, String);

/// What a command answers in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExecAnswer {
    /// Its output (stdout, then stderr).
    pub output: String,
    /// Its exit code.
    pub exit_code: i32,
}

/// Exit code of a command the container does not have.
const NOT_FOUND: i32 = 127;

/// Runs `command` in `container` of `namespace/pod`.
pub(super) fn exec(
    store: &Store,
    namespace: &str,
    pod: &str,
    container: &str,
    command: &[String],
    max_output_bytes: usize,
) -> Result<OperationResult, ClusterError> {
    let what = format!("pod/{namespace}/{pod}");
    let bad_request = |message: String| ClusterError::Api {
        code: 400,
        what: what.clone(),
        message,
    };
    let object = store
        .get(&Key::new("", "Pod", namespace, pod))
        .ok_or_else(|| ClusterError::NotFound(what.clone()))?;
    let in_spec = object
        .0
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c.get("name").and_then(Value::as_str) == Some(container));
    if !in_spec {
        return Err(bad_request(format!("container {container} is not valid for pod {pod}")));
    }
    let phase = object
        .0
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if matches!(phase, "Succeeded" | "Failed") {
        return Err(bad_request(format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        )));
    }
    let running = object
        .0
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(container))
        .is_some_and(|s| s.pointer("/state/running").is_some());
    if phase != "Running" || !running {
        return Err(bad_request(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        )));
    }
    let key = (namespace.to_string(), pod.to_string(), container.to_string());
    let line = command.join(" ");
    let answer = store
        .exec
        .get(&key)
        .and_then(|answers| answers.get(&line))
        .cloned()
        .unwrap_or_else(|| ExecAnswer {
            output: format!(
                "exec: \"{}\": executable file not found in $PATH\n",
                command.first().map(String::as_str).unwrap_or_default()
            ),
            exit_code: NOT_FOUND,
        });
    Ok(OperationResult {
        object: None,
        message: format!(
            "exec in pod/{namespace}/{pod} -c {container} exited {}",
            answer.exit_code
        ),
        output: Some(head(&answer.output, max_output_bytes).to_string()),
    })
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::head;

    #[test]
    fn head_keeps_whole_characters() {
        assert_eq!(head("abcdef", 3), "abc");
        assert_eq!(head("abc", 10), "abc");
        assert_eq!(head("éé", 3), "é");
    }
}
