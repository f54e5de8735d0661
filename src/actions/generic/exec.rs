//! `exec_command`: run one command the operator allow-listed (`actions.exec_commands`)
//! in a container of a running pod, through the `exec` subresource, and keep its output.
//!
//! The decider names the command by its key in config, never by a command line: the
//! argv, the timeout and the output budget come from the config alone, and the argv is
//! run without a shell. The container is the one the parameters name, else the one the
//! alert names (unless the alert is about another pod), else the pod's only container.
//!
//! Planning reads only; it must not run anything itself.

use serde_json::Value;

use crate::actions::container::{Holder, choose_container};
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::read::{get_existing, not_applicable};
use crate::actions::target::acting_on;
use crate::actions::{ActionError, ActionKind, ExecCommand};
use crate::cluster::{Object, ObjectRef, Operation};
use crate::incident::TargetKind;

const ACTION: &str = "exec_command";

/// Seconds an exec may run when its spec does not say.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;

/// Bytes of output kept when its spec does not say.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 65_536;

/// Plans `exec_command`: one `Exec` of the allow-listed argv.
pub async fn plan_exec_command(
    p: &ExecCommand,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    p.validate()?;
    let allowed = &input.settings.exec_commands;
    let spec = allowed.get(&p.command).ok_or_else(|| ActionError::InvalidParams {
        action: ACTION,
        field: "params.command".into(),
        message: if allowed.is_empty() {
            format!(
                "{:?} is not allowed: actions.exec_commands is empty, so exec_command is disabled",
                p.command
            )
        } else {
            format!(
                "{:?} is not a command of actions.exec_commands (allowed: {})",
                p.command,
                allowed.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        },
    })?;
    let target = acting_on(ActionKind::ExecCommand, target, input).await?;
    if spec.command.is_empty() {
        return Err(not_applicable(
            ACTION,
            &target,
            format!("actions.exec_commands.{} has an empty command", p.command),
        ));
    }
    let pod = get_existing(input, ACTION, &target).await?;
    let alert_container = input
        .incident
        .target
        .as_ref()
        .filter(|t| t.kind != TargetKind::Pod || (t.name == target.name && t.namespace == target.namespace))
        .and_then(|t| t.container.as_deref());
    let container = pick_container(&pod, p.container.as_deref(), alert_container, &target)?;
    check_running(&pod, &container, &target)?;
    let timeout_seconds = spec.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    let max_output_bytes = spec.max_output_bytes.unwrap_or(DEFAULT_MAX_OUTPUT_BYTES);
    let argv = spec.command.join(" ");
    Ok(Plan {
        action: ACTION.into(),
        target: Some(target.clone()),
        summary: format!("run {} ({argv}) in container {container} of {target}", p.command),
        operations: vec![Operation::Exec {
            namespace: target.namespace.clone().unwrap_or_default(),
            pod: target.name.clone(),
            container,
            command: spec.command.clone(),
            timeout_seconds,
            max_output_bytes,
        }],
        changes: Vec::new(),
        notes: vec![
            "the command is run as configured, without a shell, and changes no Kubernetes object".into(),
            format!("its output is kept up to {max_output_bytes} bytes; it is given up after {timeout_seconds}s"),
        ],
        artifacts: Vec::new(),
    })
}

/// The container to run in: the parameter's, else the alert's, else the only one.
fn pick_container(
    pod: &Object,
    param: Option<&str>,
    alert: Option<&str>,
    target: &ObjectRef,
) -> Result<String, ActionError> {
    let names: Vec<&str> = pod
        .0
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let index = choose_container(ACTION, &names, param, alert, target, Holder::Pod)?;
    Ok(names[index].to_string())
}

/// Refuses a pod that is not Running, or a container that is not running in it: there
/// is no process to exec into.
fn check_running(pod: &Object, container: &str, target: &ObjectRef) -> Result<(), ActionError> {
    let phase = pod
        .0
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Unknown");
    if phase != "Running" {
        return Err(not_applicable(
            ACTION,
            target,
            format!("the pod is {phase}, not Running: there is no process to exec into"),
        ));
    }
    let state = pod
        .0
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(container))
        .and_then(|s| s.get("state"));
    let Some(state) = state else {
        return Err(not_applicable(
            ACTION,
            target,
            format!("container {container} has no status yet: it has not started"),
        ));
    };
    if state.get("running").is_some() {
        return Ok(());
    }
    let (how, detail) = match (state.get("waiting"), state.get("terminated")) {
        (Some(w), _) => ("waiting", w.get("reason").and_then(Value::as_str)),
        (None, Some(t)) => ("terminated", t.get("reason").and_then(Value::as_str)),
        (None, None) => ("not running", None),
    };
    let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
    Err(not_applicable(
        ACTION,
        target,
        format!("container {container} is not running ({how}{detail})"),
    ))
}
