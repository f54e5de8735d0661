//! `run_job`: create a Job from a named template of the config (`actions.job_templates`),
//! Karo-style. This is how medic runs what is not a catalog action of its own — a
//! database failover, a backup, a secret rotation — without ever running free text: the
//! operator writes the Job template, the decider only names it.
//!
//! The template's `command`, `args` and `env` values may reference the incident
//! (`{{ labels.NAME }}`, `{{ annotations.NAME }}`, `{{ alertname }}`, `{{ namespace }}`,
//! …, rendered by [`crate::decide::rules::template`]); a reference without a value
//! refuses the plan, naming it. The Job runs once by default (`backoffLimit: 0`), is
//! stopped after `activeDeadlineSeconds` (600) and deleted `ttlSecondsAfterFinished`
//! (86400) after it finishes; it and its pods carry the incident's labels and
//! `medic.dev/job-template`, so `kubectl get jobs -l medic.dev/fingerprint=...` finds it.
//!
//! Planning reads only (whether a name is taken); it must not write anything.

use serde_json::{Map, Value, json};

use super::diff::created;
use super::plan::{Change, Plan, PlanInput};
use super::read::{first_free_job_name, incident_metadata, label_value};
use super::settings::JobTemplate;
use super::{ActionError, RunJob};
use crate::cluster::{Object, ObjectRef, Operation};
use crate::decide::rules::template;

const ACTION: &str = "run_job";

/// The label (and annotation) naming the template a Job was created from.
pub const JOB_TEMPLATE_LABEL: &str = "medic.dev/job-template";

/// Defaults of a template's optional limits.
pub const DEFAULT_BACKOFF_LIMIT: i32 = 0;
/// Seconds after which a running Job is stopped, unless the template says otherwise.
pub const DEFAULT_ACTIVE_DEADLINE_SECONDS: i64 = 600;
/// Seconds a finished Job is kept, unless the template says otherwise.
pub const DEFAULT_TTL_SECONDS_AFTER_FINISHED: i32 = 86_400;

/// The longest object name that is also a valid label value.
const MAX_NAME: usize = 63;

/// How many `-<n>` names are tried before giving up.
const MAX_RUNS: u32 = 100;

/// Plans `run_job`.
pub async fn plan_run_job(p: &RunJob, target: Option<&ObjectRef>, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    p.validate()?;
    let invalid = |message: String| ActionError::InvalidParams {
        action: ACTION,
        field: "params.template".into(),
        message,
    };
    let templates = &input.settings.job_templates;
    let Some(tpl) = templates.get(&p.template) else {
        let known = if templates.is_empty() {
            "none are configured".to_string()
        } else {
            format!(
                "templates: {}",
                templates.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
            )
        };
        return Err(invalid(format!(
            "no Job template {:?} in actions.job_templates ({known})",
            p.template
        )));
    };
    if tpl.image.trim().is_empty() {
        return Err(invalid(format!("Job template {:?} has no image", p.template)));
    }
    let namespace = p
        .namespace
        .clone()
        .or_else(|| tpl.namespace.clone())
        .or_else(|| target.and_then(|t| t.namespace.clone()))
        .or_else(|| input.incident.labels.get("namespace").cloned())
        .ok_or_else(|| ActionError::NotApplicable {
            action: ACTION,
            target: super::target_text(target),
            reason: "there is no namespace to run it in: neither the parameters, the template nor the incident give one; give params.namespace".into(),
        })?;
    let rendered = render(&p.template, tpl, input)?;
    let name = free_name(input, &namespace, &p.template, &input.incident.fingerprint).await?;
    let job = job_object(&name, &namespace, &p.template, tpl, &rendered, input.incident)?;
    let job_ref = job.reference();
    let mut notes = Vec::new();
    if let Some(d) = &tpl.description {
        notes.push(format!("{}: {d}", p.template));
    }
    notes.push(match &tpl.service_account {
        Some(sa) => format!("it runs as service account {sa}"),
        None => format!("it runs as the default service account of namespace {namespace}"),
    });
    let backoff = tpl.backoff_limit.unwrap_or(DEFAULT_BACKOFF_LIMIT);
    notes.push(if backoff == 0 {
        "backoffLimit 0: it runs once and is not retried if it fails".into()
    } else {
        format!("backoffLimit {backoff}: a failed pod is retried up to {backoff} times")
    });
    notes.push(format!(
        "it is stopped after {}s if still running, and deleted with its pods {}s after it finishes",
        tpl.active_deadline_seconds.unwrap_or(DEFAULT_ACTIVE_DEADLINE_SECONDS),
        tpl.ttl_seconds_after_finished
            .unwrap_or(DEFAULT_TTL_SECONDS_AFTER_FINISHED)
    ));
    Ok(Plan {
        action: ACTION.into(),
        target: Some(job_ref.clone()),
        summary: format!("run Job template {} as {job_ref} (image {})", p.template, tpl.image),
        operations: vec![Operation::Create { object: job.clone() }],
        changes: vec![Change {
            object: job_ref,
            diff: created(&job),
        }],
        notes,
        artifacts: Vec::new(),
    })
}

/// The template's command, args and env values with the incident filled in.
struct Rendered {
    command: Vec<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

fn render(name: &str, tpl: &JobTemplate, input: &PlanInput<'_>) -> Result<Rendered, ActionError> {
    let one = |path: String, text: &str| {
        template::render(text, input.incident, input.context).map_err(|e| ActionError::InvalidParams {
            action: ACTION,
            field: "params.template".into(),
            message: format!("Job template {name:?} at {path}: {e}"),
        })
    };
    let list = |field: &str, items: &[String]| {
        items
            .iter()
            .enumerate()
            .map(|(i, s)| one(format!("{field}[{i}]"), s))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(Rendered {
        command: list("command", &tpl.command)?,
        args: list("args", &tpl.args)?,
        env: tpl
            .env
            .iter()
            .map(|(k, v)| Ok((k.clone(), one(format!("env.{k}"), v)?)))
            .collect::<Result<Vec<_>, ActionError>>()?,
    })
}

/// A template name made part of a DNS name: lower case, `[a-z0-9-]`, no leading or
/// trailing `-`.
fn dns_part(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    mapped.trim_matches('-').to_string()
}

/// The first 8 alphanumerics of the fingerprint, lower case.
fn short_fingerprint(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(8)
        .collect()
}

/// The first `medic-<template>-<fingerprint>-<n>` (n from 1) no Job in the namespace has,
/// checked through the cluster; the template part is shortened to fit [`MAX_NAME`].
async fn free_name(
    input: &PlanInput<'_>,
    namespace: &str,
    template: &str,
    fingerprint: &str,
) -> Result<String, ActionError> {
    let tpl = dns_part(template);
    let fp = short_fingerprint(fingerprint);
    let names = (1..=MAX_RUNS).map(|n| {
        let tail = if fp.is_empty() {
            format!("-{n}")
        } else {
            format!("-{fp}-{n}")
        };
        let room = MAX_NAME.saturating_sub("medic-".len() + tail.len());
        let kept: String = tpl.chars().take(room).collect();
        format!("medic-{}{tail}", kept.trim_end_matches('-'))
    });
    if let Some(name) = first_free_job_name(input.cluster, namespace, names).await? {
        return Ok(name);
    }
    Err(ActionError::NotApplicable {
        action: ACTION,
        target: format!("job/{namespace}"),
        reason: format!("{MAX_RUNS} Jobs of template {template} already exist for this incident: clean them up first"),
    })
}

/// The Job to create.
fn job_object(
    name: &str,
    namespace: &str,
    template_name: &str,
    tpl: &JobTemplate,
    rendered: &Rendered,
    incident: &crate::incident::Incident,
) -> Result<Object, ActionError> {
    let (mut labels, mut annotations) = incident_metadata(incident);
    labels.insert(JOB_TEMPLATE_LABEL.into(), Value::String(label_value(template_name)));
    annotations.insert(JOB_TEMPLATE_LABEL.into(), Value::String(template_name.to_string()));
    let container_name = match dns_part(template_name) {
        n if n.is_empty() => "job".to_string(),
        n => n
            .chars()
            .take(MAX_NAME)
            .collect::<String>()
            .trim_end_matches('-')
            .to_string(),
    };
    let mut container = Map::new();
    container.insert("name".into(), json!(container_name));
    container.insert("image".into(), json!(tpl.image));
    if !rendered.command.is_empty() {
        container.insert("command".into(), json!(rendered.command));
    }
    if !rendered.args.is_empty() {
        container.insert("args".into(), json!(rendered.args));
    }
    if !rendered.env.is_empty() {
        let env: Vec<Value> = rendered
            .env
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        container.insert("env".into(), Value::Array(env));
    }
    let unprintable = |what: &str, e: serde_json::Error| ActionError::InvalidParams {
        action: ACTION,
        field: "params.template".into(),
        message: format!("Job template {template_name:?} has {what} medic cannot write: {e}"),
    };
    if !tpl.volume_mounts.is_empty() {
        let mounts = serde_json::to_value(&tpl.volume_mounts).map_err(|e| unprintable("volumeMounts", e))?;
        container.insert("volumeMounts".into(), mounts);
    }
    let mut pod_spec = Map::new();
    pod_spec.insert("restartPolicy".into(), json!("Never"));
    if let Some(sa) = &tpl.service_account {
        pod_spec.insert("serviceAccountName".into(), json!(sa));
    }
    pod_spec.insert("containers".into(), json!([container]));
    if !tpl.volumes.is_empty() {
        let volumes = serde_json::to_value(&tpl.volumes).map_err(|e| unprintable("volumes", e))?;
        pod_spec.insert("volumes".into(), volumes);
    }
    Ok(Object(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels.clone(),
            "annotations": annotations,
        },
        "spec": {
            "backoffLimit": tpl.backoff_limit.unwrap_or(DEFAULT_BACKOFF_LIMIT),
            "activeDeadlineSeconds": tpl.active_deadline_seconds.unwrap_or(DEFAULT_ACTIVE_DEADLINE_SECONDS),
            "ttlSecondsAfterFinished": tpl.ttl_seconds_after_finished.unwrap_or(DEFAULT_TTL_SECONDS_AFTER_FINISHED),
            "template": {
                "metadata": {"labels": labels},
                "spec": pod_spec,
            },
        },
    })))
}
