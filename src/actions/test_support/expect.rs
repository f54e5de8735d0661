//! Reading what planning returned: an action from its parts, the parts of a refusal, the
//! one operation of a plan, a container of a workload.

use serde_json::Value;

use crate::actions::plan::Plan;
use crate::actions::{Action, ActionError};
use crate::cluster::{Object, ObjectRef, Operation, PatchBody};

/// An action from its name and parameters, which must be valid.
pub fn action(name: &str, params: Value) -> Action {
    Action::from_parts(name, params).expect("valid action")
}

/// The target and reason of a `NotApplicable`, or a panic naming what came instead.
pub fn not_applicable(result: Result<Plan, ActionError>) -> (String, String) {
    match result {
        Err(ActionError::NotApplicable { target, reason, .. }) => (target, reason),
        other => panic!("expected NotApplicable, got {other:?}"),
    }
}

/// The field and message of an `InvalidParams`, or a panic naming what came instead.
pub fn invalid_params(result: Result<Plan, ActionError>) -> (String, String) {
    match result {
        Err(ActionError::InvalidParams { field, message, .. }) => (field, message),
        other => panic!("expected InvalidParams, got {other:?}"),
    }
}

/// The field, value and limit of an `OutOfBounds`, or a panic naming what came instead.
pub fn out_of_bounds(result: Result<Plan, ActionError>) -> (String, String, String) {
    match result {
        Err(ActionError::OutOfBounds {
            field, value, limit, ..
        }) => (field, value, limit),
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
}

/// The one patch a plan makes: its target, subresource and body.
pub fn patch_of(plan: &Plan) -> (&ObjectRef, Option<&str>, &PatchBody) {
    match plan.operations.as_slice() {
        [
            Operation::Patch {
                target,
                subresource,
                patch,
            },
        ] => (target, subresource.as_deref(), patch),
        other => panic!("expected one patch, got {other:?}"),
    }
}

/// The one object a plan creates.
pub fn created_by(plan: &Plan) -> &Object {
    match plan.operations.as_slice() {
        [Operation::Create { object }] => object,
        other => panic!("expected one create, got {other:?}"),
    }
}

/// The container `name` of a workload's pod template.
pub fn container_at<'a>(obj: &'a Object, name: &str) -> &'a Value {
    obj.0
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container {name}"))
}
