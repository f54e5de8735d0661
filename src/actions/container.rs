//! Which container an action works on: the one its parameters name, else the one the
//! alert names, else the only one. Shared by the actions that change a workload's pod
//! template (`set_env`, `increase_resources`) and by `exec_command`, which runs in a pod.

use serde_json::Value;

use super::ActionError;
use super::plan::PlanInput;
use super::read::{not_applicable, template_containers};
use crate::cluster::{Object, ObjectRef};

/// What holds the containers, for the refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A workload's pod template.
    PodTemplate,
    /// A pod.
    Pod,
}

/// Chooses among `names`: `param` (a name the target must have), else `alert` (likewise),
/// else the only one. Returns the position in `names`; refuses with the names listed.
pub fn choose_container(
    action: &'static str,
    names: &[&str],
    param: Option<&str>,
    alert: Option<&str>,
    target: &ObjectRef,
    holder: Holder,
) -> Result<usize, ActionError> {
    let list = names.join(", ");
    let position = |n: &str| names.iter().position(|x| *x == n);
    if let Some(n) = param {
        return position(n).ok_or_else(|| ActionError::InvalidParams {
            action,
            field: "params.container".into(),
            message: format!("{target} has no container {n:?} (containers: {list})"),
        });
    }
    if let Some(n) = alert {
        let it = match holder {
            Holder::PodTemplate => "it",
            Holder::Pod => "the pod",
        };
        return position(n).ok_or_else(|| {
            not_applicable(
                action,
                target,
                format!("the alert names container {n:?}, which {it} does not have (containers: {list}); give params.container"),
            )
        });
    }
    match names.len() {
        0 => Err(not_applicable(
            action,
            target,
            match holder {
                Holder::PodTemplate => "its pod template has no containers",
                Holder::Pod => "the pod has no containers",
            },
        )),
        1 => Ok(0),
        _ => Err(not_applicable(
            action,
            target,
            format!(
                "it has several containers ({list}) and neither the parameters nor the alert name one; give params.container"
            ),
        )),
    }
}

/// The container of the workload `live`'s pod template that the action changes (see
/// [`choose_container`]), with its index in the template.
pub fn template_container<'a>(
    action: &'static str,
    live: &'a Object,
    param: Option<&str>,
    input: &PlanInput<'_>,
    target: &ObjectRef,
) -> Result<(usize, &'a Value), ActionError> {
    let containers = live
        .0
        .pointer("/spec/template")
        .map(template_containers)
        .unwrap_or_default();
    let names: Vec<&str> = containers
        .iter()
        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or_default())
        .collect();
    let alert = input.incident.target.as_ref().and_then(|t| t.container.as_deref());
    let index = choose_container(action, &names, param, alert, target, Holder::PodTemplate)?;
    Ok((index, &containers[index]))
}
