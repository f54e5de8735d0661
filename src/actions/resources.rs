//! Resource actions: `increase_resources` raises one container's memory and/or CPU
//! limit (and request) in a workload's pod template.
//!
//! The new limit is the current limit times a factor (rounded up to a whole Mi or
//! millicore), or an absolute value higher than the current limit; a container without a
//! limit is multiplied from its request. Requests rise by the same factor, never above
//! the new limit. The change is one JSON patch that first `test`s the resourceVersion
//! read and the container's name at its index, so it cannot land on another container or
//! on a template changed meanwhile.
//!
//! Planning reads only; it must not write anything, and it must not clamp: a value
//! beyond the configured bounds is refused.

use serde_json::{Map, Value, json};

use super::bounds::Bounds;
use super::container::template_container;
use super::diff::patch_change;
use super::plan::{Plan, PlanInput};
use super::quantity::Quantity;
use super::read::{is_paused, not_applicable};
use super::target::acting_on_live;
use super::{ActionError, ActionKind, IncreaseResources};
use crate::cluster::{ObjectRef, PatchBody};

const ACTION: &str = "increase_resources";

/// Tolerance when comparing a derived factor with `bounds.max_resource_factor`.
const FACTOR_EPSILON: f64 = 1e-9;

/// Plans `increase_resources`.
pub async fn plan_increase(
    p: &IncreaseResources,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    p.validate(input.bounds)?;
    let (target, live) = acting_on_live(ActionKind::IncreaseResources, target, input).await?;
    if target.kind.is("Deployment") && is_paused(&live) {
        return Err(not_applicable(
            ACTION,
            &target,
            "rollout is paused: the new resources would reach no pod until it is resumed",
        ));
    }
    let (index, container) = template_container(ACTION, &live, p.container.as_deref(), input, &target)?;
    let name = container.get("name").and_then(Value::as_str).unwrap_or_default();

    let mut raises = Vec::new();
    for (res, factor, absolute) in [
        (&MEMORY, p.memory_factor, p.memory.as_ref()),
        (&CPU, p.cpu_factor, p.cpu.as_ref()),
    ] {
        if let Some(raise) = plan_raise(res, factor, absolute, container, name, &target, input.bounds)? {
            raises.push(raise);
        }
    }

    let base = format!("/spec/template/spec/containers/{index}");
    let mut ops = Vec::new();
    if let Some(rv) = live.resource_version() {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops.push(json!({"op": "test", "path": format!("{base}/name"), "value": name}));
    let limits: Vec<(&str, &Quantity)> = raises.iter().map(|r| (r.res.key, &r.new_limit)).collect();
    let requests: Vec<(&str, &Quantity)> = raises
        .iter()
        .filter(|r| r.new_request.is_some() && r.new_request != r.old_request)
        .filter_map(|r| r.new_request.as_ref().map(|q| (r.res.key, q)))
        .collect();
    let mut working = container.clone();
    for (section, entries) in [("limits", &limits), ("requests", &requests)] {
        section_ops(&base, &mut working, section, entries, &mut ops);
    }
    let patch = PatchBody::Json(Value::Array(ops));
    let change = patch_change(ACTION, &live, &patch)?;

    let mut summary = String::new();
    for (i, r) in raises.iter().enumerate() {
        let label = r.res.label;
        let new = &r.new_limit;
        let part = match (i, &r.old_limit) {
            (0, Some(old)) => format!("raise {label} limit of container {name} in {target} from {old} to {new}"),
            (0, None) => format!("set {label} limit of container {name} in {target} to {new} (it had none)"),
            (_, Some(old)) => format!(", and {label} limit from {old} to {new}"),
            (_, None) => format!(", and set {label} limit to {new} (it had none)"),
        };
        summary.push_str(&part);
    }
    let mut notes = Vec::new();
    for r in &raises {
        match (&r.old_request, &r.new_request) {
            (Some(old), Some(new)) if old != new => {
                notes.push(format!("{} request from {old} to {new}", r.res.label));
            }
            (Some(old), _) => notes.push(format!("{} request stays {old}", r.res.label)),
            (None, _) => notes.push(format!(
                "{} request unset (the API server defaults it to the limit)",
                r.res.label
            )),
        }
        if r.old_limit.is_none() {
            notes.push(format!(
                "container {name} had no {} limit: until now it could use whatever its node had free",
                r.res.label
            ));
        }
    }
    notes.push(format!(
        "changing the pod template replaces the pods of {target}, following its update strategy"
    ));
    Ok(Plan::one_patch(ACTION, summary, target, None, patch, change, notes))
}

/// One resource (memory or CPU): its key in `resources`, how to round, how to bound.
struct Resource {
    key: &'static str,
    label: &'static str,
    factor_field: &'static str,
    value_field: &'static str,
    round: fn(f64) -> Quantity,
    check: fn(&Bounds, &Quantity, &str) -> Result<(), ActionError>,
}

const MEMORY: Resource = Resource {
    key: "memory",
    label: "memory",
    factor_field: "params.memory_factor",
    value_field: "params.memory",
    round: Quantity::memory,
    check: Bounds::check_memory,
};

const CPU: Resource = Resource {
    key: "cpu",
    label: "CPU",
    factor_field: "params.cpu_factor",
    value_field: "params.cpu",
    round: Quantity::cpu,
    check: Bounds::check_cpu,
};

/// What one resource of the container becomes.
struct Raise {
    res: &'static Resource,
    old_limit: Option<Quantity>,
    new_limit: Quantity,
    old_request: Option<Quantity>,
    new_request: Option<Quantity>,
}

/// The container's current `resources.<section>.<key>`, parsed.
fn current(
    container: &Value,
    section: &str,
    key: &str,
    name: &str,
    target: &ObjectRef,
) -> Result<Option<Quantity>, ActionError> {
    let Some(text) = container.pointer(&format!("/resources/{section}/{key}")) else {
        return Ok(None);
    };
    let text = match text {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    Quantity::parse(&text).map(Some).map_err(|e| {
        not_applicable(
            ACTION,
            target,
            format!("container {name} has an unreadable {key} {section} value: {e}"),
        )
    })
}

/// Plans one resource's new limit and request; `None` when the parameters leave it alone.
fn plan_raise(
    res: &'static Resource,
    factor: Option<f64>,
    absolute: Option<&Quantity>,
    container: &Value,
    name: &str,
    target: &ObjectRef,
    bounds: &Bounds,
) -> Result<Option<Raise>, ActionError> {
    let old_limit = current(container, "limits", res.key, name, target)?;
    let old_request = current(container, "requests", res.key, name, target)?;
    let (new_limit, applied_factor) = match (factor, absolute) {
        (None, None) => return Ok(None),
        (Some(f), _) => {
            let Some(base) = old_limit.as_ref().or(old_request.as_ref()) else {
                return Err(not_applicable(
                    ACTION,
                    target,
                    format!(
                        "container {name} has no {} limit or request to multiply; give {}",
                        res.label, res.value_field
                    ),
                ));
            };
            let new = (res.round)(base.value() * f);
            (res.check)(bounds, &new, res.factor_field).map_err(|e| match e {
                ActionError::OutOfBounds {
                    action, field, limit, ..
                } => ActionError::OutOfBounds {
                    action,
                    field,
                    value: format!("{f} ({} limit {new})", res.label),
                    limit,
                },
                other => other,
            })?;
            (new, Some(f))
        }
        (None, Some(q)) => {
            let q = q.clone();
            let invalid = |message: String| ActionError::InvalidParams {
                action: ACTION,
                field: res.value_field.into(),
                message,
            };
            match (&old_limit, &old_request) {
                (Some(l), _) if q.value() <= l.value() => {
                    return Err(invalid(format!(
                        "must be higher than the current {} limit {l} of container {name}, found {q}",
                        res.label
                    )));
                }
                (None, Some(r)) if q.value() < r.value() => {
                    return Err(invalid(format!(
                        "must be at least the current {} request {r} of container {name}, found {q}",
                        res.label
                    )));
                }
                _ => {}
            }
            (res.check)(bounds, &q, res.value_field)?;
            let derived = old_limit.as_ref().map(|l| q.value() / l.value());
            if let (Some(d), Some(l)) = (derived, &old_limit)
                && d > bounds.max_resource_factor + FACTOR_EPSILON
            {
                return Err(ActionError::OutOfBounds {
                    action: ACTION,
                    field: res.value_field.into(),
                    value: q.to_string(),
                    limit: format!(
                        "bounds.max_resource_factor is {} and this is {d:.2} times the current limit {l}",
                        bounds.max_resource_factor
                    ),
                });
            }
            (q, derived)
        }
    };
    let new_request = old_request.as_ref().map(|r| {
        let raised = match applied_factor {
            Some(f) => (res.round)(r.value() * f),
            None => r.clone(),
        };
        if raised.value() > new_limit.value() {
            new_limit.clone()
        } else {
            raised
        }
    });
    Ok(Some(Raise {
        res,
        old_limit,
        new_limit,
        old_request,
        new_request,
    }))
}

/// Appends the JSON-patch operations that set `entries` under
/// `<base>/resources/<section>`: `add` creates a missing `resources` or section map
/// whole, `replace` changes an existing value, `add` sets a missing one. `working` is
/// the container as the operations so far leave it.
fn section_ops(base: &str, working: &mut Value, section: &str, entries: &[(&str, &Quantity)], ops: &mut Vec<Value>) {
    if entries.is_empty() {
        return;
    }
    let values: Map<String, Value> = entries
        .iter()
        .map(|(k, q)| (k.to_string(), Value::String(q.to_string())))
        .collect();
    let has_resources = working.get("resources").is_some_and(Value::is_object);
    if !has_resources {
        let value = json!({ section: values });
        ops.push(json!({"op": "add", "path": format!("{base}/resources"), "value": value}));
        working["resources"] = value;
        return;
    }
    let has_section = working["resources"].get(section).is_some_and(Value::is_object);
    if !has_section {
        ops.push(json!({"op": "add", "path": format!("{base}/resources/{section}"), "value": values}));
        working["resources"][section] = Value::Object(values);
        return;
    }
    for (key, value) in values {
        let op = if working["resources"][section].get(&key).is_some() {
            "replace"
        } else {
            "add"
        };
        ops.push(json!({"op": op, "path": format!("{base}/resources/{section}/{key}"), "value": value}));
        working["resources"][section][key] = value;
    }
}
