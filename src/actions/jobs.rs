//! Batch actions on existing objects: `retry_job` re-creates a failed Job under a fresh
//! name; `suspend_cronjob` and `resume_cronjob` set a CronJob's `spec.suspend` (as
//! `kubectl patch cronjob -p '{"spec":{"suspend":true}}'`). `run_job`, which creates a
//! Job from a template in config, is in [`super::run_job`].
//!
//! A retry copies the failed Job's spec the way `kubectl get job -o yaml | kubectl
//! create -f -` users have to: without its status, its server-set metadata, and the
//! selector and `controller-uid`/`job-name` labels the API server generated for the old
//! Job (it generates fresh ones for the new). A CronJob owner reference is kept, so the
//! retry counts as its CronJob's run. The failed Job stays, with its pods and logs.
//!
//! Planning reads only; it must not write anything.

use serde_json::{Map, Value, json};

use super::diff::{created, patch_change};
use super::plan::{Plan, PlanInput};
use super::read::{first_free_job_name, incident_metadata, not_applicable};
use super::target::acting_on_live;
use super::{ActionError, ActionKind, ResumeCronJob, RetryJob, SuspendCronJob};
use crate::cluster::{Object, ObjectRef, Operation, PatchBody};

/// The annotation a retried Job carries: the name of the Job it retries.
pub const RETRY_OF: &str = "medic.dev/retry-of";

/// The labels the API server generates for a Job (on its selector and pod template),
/// legacy and current.
pub const GENERATED_JOB_LABELS: &[&str] = &[
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
];

/// The longest Job name: the API server copies it into a label value.
pub const MAX_JOB_NAME: usize = 63;

/// How many `-retry-<n>` names are tried before giving up.
const MAX_RETRIES: u32 = 100;

/// Plans `retry_job`: create a copy of the failed Job under `<name>-retry-<n>`.
pub async fn plan_retry_job(
    _p: &RetryJob,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::RetryJob;
    let (target, live) = acting_on_live(kind, target, input).await?;
    let Some(failure) = condition(&live, "Failed") else {
        return Err(not_applicable(kind.name(), &target, not_failed_reason(&live)));
    };
    let base = live.annotation(RETRY_OF).unwrap_or(live.name()).to_string();
    let namespace = target.namespace.clone().unwrap_or_default();
    let name = free_name(input, &namespace, &base, &target).await?;
    let job = retry_object(&live, &name, &base, input.incident);
    let new_ref = job.reference();
    let mut notes = Vec::new();
    let reason = failure.get("reason").and_then(Value::as_str).unwrap_or("Failed");
    match failure.get("message").and_then(Value::as_str) {
        Some(message) => notes.push(format!("{} failed: {reason}: {message}", live.name())),
        None => notes.push(format!("{} failed: {reason}", live.name())),
    }
    if let Some(limit) = live.0.pointer("/spec/backoffLimit").and_then(Value::as_i64) {
        notes.push(format!(
            "the retry has the same backoffLimit ({limit}) and pod template"
        ));
    }
    if let Some(owner) = cronjob_owner(&live) {
        let owner_name = owner.get("name").and_then(Value::as_str).unwrap_or("?");
        notes.push(format!(
            "it stays owned by CronJob {owner_name}: it counts against its history limits and concurrencyPolicy"
        ));
    }
    notes.push(format!(
        "{} is kept, with its pods and their logs, for inspection",
        live.name()
    ));
    Ok(Plan {
        action: kind.name().into(),
        target: Some(target.clone()),
        summary: format!("re-create failed {target} as {new_ref}"),
        operations: vec![Operation::Create { object: job.clone() }],
        changes: vec![super::plan::Change {
            object: new_ref,
            diff: created(&job),
        }],
        notes,
        artifacts: Vec::new(),
    })
}

/// Why a Job that has not failed is not retried.
fn not_failed_reason(job: &Object) -> String {
    if condition(job, "Complete").is_some() {
        return "it completed successfully: there is nothing to retry".into();
    }
    if job.0.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return "it has not failed: it is suspended (spec.suspend), so it has not run to the end".into();
    }
    let active = job.0.pointer("/status/active").and_then(Value::as_i64).unwrap_or(0);
    if active > 0 {
        return format!(
            "it has not failed and is still running (active pods: {active}): a retry now would run it twice"
        );
    }
    "it has not failed (no Failed condition)".into()
}

/// A condition of the object whose status is `True`.
fn condition<'a>(obj: &'a Object, type_: &str) -> Option<&'a Value> {
    obj.0
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| {
            c.get("type").and_then(Value::as_str) == Some(type_)
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// The owner reference to a CronJob, if the Job has one.
fn cronjob_owner(job: &Object) -> Option<&Value> {
    job.0
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("kind").and_then(Value::as_str) == Some("CronJob"))
}

/// The first `<base>-retry-<n>` (n from 1) no Job in the namespace has, checked through
/// the cluster. `base` is shortened when the name would exceed [`MAX_JOB_NAME`].
async fn free_name(
    input: &PlanInput<'_>,
    namespace: &str,
    base: &str,
    target: &ObjectRef,
) -> Result<String, ActionError> {
    let names = (1..=MAX_RETRIES).map(|n| {
        let suffix = format!("-retry-{n}");
        let kept: String = base.chars().take(MAX_JOB_NAME.saturating_sub(suffix.len())).collect();
        format!("{}{suffix}", kept.trim_end_matches(['-', '.']))
    });
    if let Some(name) = first_free_job_name(input.cluster, namespace, names).await? {
        return Ok(name);
    }
    Err(not_applicable(
        "retry_job",
        target,
        format!("{base}-retry-1 to {base}-retry-{MAX_RETRIES} all exist: clean up the old retries first"),
    ))
}

/// The new Job: the old one's spec and metadata, without what the API server set for the
/// old one, named `name`, labelled with the incident and annotated with what it retries.
fn retry_object(live: &Object, name: &str, base: &str, incident: &crate::incident::Incident) -> Object {
    let meta = |k: &str| live.0.pointer(&format!("/metadata/{k}")).cloned();
    let mut labels = meta("labels").and_then(into_map).unwrap_or_default();
    let mut annotations = meta("annotations").and_then(into_map).unwrap_or_default();
    let manual_selector = live.0.pointer("/spec/manualSelector").and_then(Value::as_bool) == Some(true);
    for l in GENERATED_JOB_LABELS {
        labels.remove(*l);
    }
    annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    annotations.remove("batch.kubernetes.io/job-tracking");
    let (incident_labels, incident_annotations) = incident_metadata(incident);
    labels.extend(incident_labels);
    annotations.extend(incident_annotations);
    annotations.insert(RETRY_OF.into(), Value::String(base.to_string()));

    let mut spec = live.0.get("spec").cloned().unwrap_or_else(|| json!({}));
    if !manual_selector {
        if let Some(s) = spec.as_object_mut() {
            s.remove("selector");
        }
        if let Some(meta) = spec.pointer_mut("/template/metadata").and_then(Value::as_object_mut) {
            if let Some(l) = meta.get_mut("labels").and_then(Value::as_object_mut) {
                for key in GENERATED_JOB_LABELS {
                    l.remove(*key);
                }
            }
            if meta.get("labels").and_then(Value::as_object).is_some_and(Map::is_empty) {
                meta.remove("labels");
            }
        }
    }
    let mut metadata = json!({
        "name": name,
        "namespace": live.namespace(),
        "labels": labels,
        "annotations": annotations,
    });
    if let Some(owner) = cronjob_owner(live) {
        metadata["ownerReferences"] = json!([owner]);
    }
    Object(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": spec,
    }))
}

fn into_map(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Plans `suspend_cronjob`: `spec.suspend: true`.
pub async fn plan_suspend_cronjob(
    _p: &SuspendCronJob,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::SuspendCronJob;
    let (target, live) = acting_on_live(kind, target, input).await?;
    if suspended(&live) {
        return Err(not_applicable(kind.name(), &target, "it is already suspended"));
    }
    let patch = PatchBody::Merge(json!({"spec": {"suspend": true}}));
    let change = patch_change(kind.name(), &live, &patch)?;
    let active: Vec<&str> = live
        .0
        .pointer("/status/active")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("name").and_then(Value::as_str))
        .collect();
    let schedule = live.0.pointer("/spec/schedule").and_then(Value::as_str).unwrap_or("?");
    let mut notes = vec![format!(
        "no new Job starts on its schedule ({schedule}) until resume_cronjob resumes it"
    )];
    if !active.is_empty() {
        notes.push(format!("Jobs already running are not stopped: {}", active.join(", ")));
    }
    Ok(Plan::one_patch(
        kind.name(),
        format!("suspend {target}"),
        target,
        None,
        patch,
        change,
        notes,
    ))
}

/// Plans `resume_cronjob`: `spec.suspend: false`.
pub async fn plan_resume_cronjob(
    _p: &ResumeCronJob,
    target: Option<&ObjectRef>,
    input: &PlanInput<'_>,
) -> Result<Plan, ActionError> {
    let kind = ActionKind::ResumeCronJob;
    let (target, live) = acting_on_live(kind, target, input).await?;
    if !suspended(&live) {
        return Err(not_applicable(kind.name(), &target, "it is not suspended"));
    }
    let patch = PatchBody::Merge(json!({"spec": {"suspend": false}}));
    let change = patch_change(kind.name(), &live, &patch)?;
    let schedule = live.0.pointer("/spec/schedule").and_then(Value::as_str).unwrap_or("?");
    let missed = match live.0.pointer("/spec/startingDeadlineSeconds").and_then(Value::as_i64) {
        Some(deadline) => format!(
            "a run missed while suspended starts at once if it was due less than {deadline}s ago (startingDeadlineSeconds)"
        ),
        None => "a run missed while suspended starts at once (it has no startingDeadlineSeconds)".into(),
    };
    Ok(Plan::one_patch(
        kind.name(),
        format!("resume {target}"),
        target,
        None,
        patch,
        change,
        vec![format!("Jobs start again on its schedule ({schedule})"), missed],
    ))
}

/// Whether a CronJob is suspended (`spec.suspend`).
fn suspended(cronjob: &Object) -> bool {
    cronjob.0.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true)
}
