//! What the incident prompt shows: the alert, the context, history and similar
//! incidents, the allowed actions and the objects that may be targeted, prepared for the
//! `incident.tera` template.
//!
//! Every text that comes from the cluster or the alert is redacted, anonymized when asked,
//! and fenced as untrusted data ([`super::sanitize`]). The parts the token budget may cut
//! ([`Parts`]) are kept apart so that [`super::budget::fit`] can shrink them and render again.

use serde::Serialize;
use serde_json::Value;

use super::anonymize::Anonymizer;
use super::sanitize::{fence, redact, redact_json};
use super::schema::params_schema;
use super::usage::PromptCut;
use crate::actions::{ActionKind, ActionSettings};
use crate::cluster::ObjectRef;
use crate::context::{Context, EventFacts, LogTail, PodFacts, WorkloadFacts};
use crate::incident::Incident;

/// The parts of the prompt the token budget may cut, in the order it cuts them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parts {
    /// Log tails.
    pub logs: Vec<LogTail>,
    /// Warning events, oldest first.
    pub events: Vec<EventFacts>,
    /// The target object as YAML (secrets redacted).
    pub object: Option<String>,
    /// Similar past incidents (from the context's `similar`, when present).
    pub similar: Option<Value>,
    /// History statistics (from the context's `history`, when present).
    pub history: Option<Value>,
    /// The concerned pods.
    pub pods: Vec<PodFacts>,
}

/// A field of the context that other stages add (`history`, `similar`), read through
/// serde so the prompt shows it whatever its type.
pub fn context_extra(context: &Context, key: &str) -> Option<Value> {
    let value = serde_json::to_value(context).ok()?.get(key).cloned()?;
    let empty = match &value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    (!empty).then_some(value)
}

impl Parts {
    /// The cuttable parts of a context.
    pub fn of(context: &Context) -> Parts {
        Parts {
            logs: context.logs.clone(),
            events: context.events.clone(),
            object: context.object.as_ref().map(|o| {
                let mut v = o.trimmed().0;
                redact_json(&mut v);
                serde_yaml_ng::to_string(&v).unwrap_or_else(|e| format!("# unprintable: {e}\n"))
            }),
            similar: context_extra(context, "similar"),
            history: context_extra(context, "history"),
            pods: context.pods.clone(),
        }
    }
}

/// Everything besides the parts that the incident prompt needs.
#[derive(Clone, Copy)]
pub struct ViewInput<'a> {
    /// The incident.
    pub incident: &'a Incident,
    /// Its context.
    pub context: &'a Context,
    /// The actions offered.
    pub allowed: &'a [ActionKind],
    /// The configurable actions' settings (their choices are listed).
    pub actions: &'a ActionSettings,
    /// The objects that may be targeted.
    pub candidates: &'a [ObjectRef],
    /// The anonymizer, when anonymizing.
    pub anonymizer: Option<&'a Anonymizer>,
}

#[derive(Serialize)]
struct AlertView {
    name: String,
    status: &'static str,
    severity: Option<String>,
    starts_at: String,
    details: String,
}

#[derive(Serialize)]
struct ActionView {
    name: &'static str,
    risk: &'static str,
    targets: String,
    summary: &'static str,
    params: String,
    choices: String,
}

/// The data of `incident.tera`.
#[derive(Serialize)]
pub struct IncidentView {
    alert: AlertView,
    target: Option<String>,
    target_found: bool,
    owners: Vec<String>,
    workload: Option<String>,
    node: Option<String>,
    pods: Option<String>,
    events: Option<String>,
    logs: Vec<String>,
    object: Option<String>,
    history: Option<String>,
    similar: Option<String>,
    errors: Vec<String>,
    cuts: Vec<String>,
    actions: Vec<ActionView>,
    candidates: Vec<String>,
}

impl ViewInput<'_> {
    /// Redacts and anonymizes a text.
    pub fn prep(&self, text: &str) -> String {
        let text = redact(text);
        match self.anonymizer {
            Some(a) => a.anonymize(&text),
            None => text,
        }
    }

    /// Redacts, anonymizes and fences a text from `source`.
    pub fn fenced(&self, source: &str, text: &str) -> String {
        fence(&self.prep(source), &self.prep(text))
    }

    fn names(&self, text: &str) -> String {
        match self.anonymizer {
            Some(a) => a.anonymize(text),
            None => text.to_string(),
        }
    }

    /// The view of the incident with these parts and cuts.
    pub fn view(&self, parts: &Parts, cuts: &[PromptCut]) -> IncidentView {
        let incident = self.incident;
        let context = self.context;
        let namespace = super::allowed::namespace_of(incident, context).unwrap_or_default();
        let mut details: Vec<String> = incident.labels.iter().map(|(k, v)| format!("label {k}={v}")).collect();
        details.extend(incident.annotations.iter().map(|(k, v)| format!("annotation {k}: {v}")));
        IncidentView {
            alert: AlertView {
                name: self.names(&incident.alertname),
                status: incident.status.as_str(),
                severity: incident.severity.clone(),
                starts_at: incident.starts_at.to_string(),
                details: self.fenced("the alert", &details.join("\n")),
            },
            target: context
                .target
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| incident.target.as_ref().map(|t| ObjectRef::from_target(t).to_string()))
                .map(|t| self.names(&t)),
            target_found: context.target_found,
            owners: context.owners.iter().map(|o| self.names(&o.to_string())).collect(),
            workload: context.workload.as_ref().map(|w| self.names(&workload_line(w))),
            node: context.node.as_ref().map(|n| {
                let state = format!(
                    "node/{}: {}, {}; conditions: {}",
                    n.name,
                    if n.ready { "Ready" } else { "NotReady" },
                    if n.unschedulable { "cordoned" } else { "schedulable" },
                    n.conditions.join(", ")
                );
                self.prep(&state)
            }),
            pods: (!parts.pods.is_empty()).then(|| {
                let lines: Vec<String> = parts.pods.iter().map(pod_line).collect();
                self.fenced(&format!("pod states in namespace {namespace}"), &lines.join("\n"))
            }),
            events: (!parts.events.is_empty()).then(|| {
                let lines: Vec<String> = parts.events.iter().map(event_line).collect();
                self.fenced("Kubernetes events", &lines.join("\n"))
            }),
            logs: parts
                .logs
                .iter()
                .map(|l| {
                    let source = format!(
                        "log of pod {namespace}/{} container {}{}{}",
                        l.pod,
                        l.container,
                        if l.previous { " (previous instance)" } else { "" },
                        if l.truncated { " (older lines cut)" } else { "" }
                    );
                    self.fenced(&source, &l.text)
                })
                .collect(),
            object: parts
                .object
                .as_ref()
                .map(|y| self.fenced("the target object (YAML)", y)),
            history: parts
                .history
                .as_ref()
                .map(|h| self.fenced("medic's action history", &pretty(h))),
            similar: parts
                .similar
                .as_ref()
                .map(|s| self.fenced("similar past incidents", &pretty(s))),
            errors: context.errors.iter().map(|e| self.prep(e)).collect(),
            cuts: cuts
                .iter()
                .map(|c| {
                    self.names(&format!(
                        "{}: {} of {} bytes kept",
                        c.what, c.bytes_after, c.bytes_before
                    ))
                })
                .collect(),
            actions: self.allowed.iter().map(|k| action_view(*k, self.actions)).collect(),
            candidates: self.candidates.iter().map(|c| self.names(&c.to_string())).collect(),
        }
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn action_view(kind: ActionKind, settings: &ActionSettings) -> ActionView {
    let schema = params_schema(kind);
    let params: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    ActionView {
        name: kind.name(),
        risk: kind.risk().as_str(),
        targets: kind.target_kinds().join(", "),
        summary: kind.summary(),
        params: params.join(", "),
        choices: super::allowed::choices(settings, kind).join(", "),
    }
}

fn workload_line(w: &WorkloadFacts) -> String {
    let mut parts = vec![w.reference.to_string()];
    let n = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
    parts.push(format!(
        "{} of {} ready, {} available",
        n(w.ready_replicas),
        n(w.replicas),
        n(w.available_replicas)
    ));
    if let Some(r) = w.revision {
        let mut rev = format!("revision {r}");
        if let Some(age) = w.revision_age_seconds {
            rev.push_str(&format!(" rolled out {} ago", age_text(age)));
        }
        match w.previous_revision {
            Some(p) => rev.push_str(&format!(", previous revision {p} available")),
            None => rev.push_str(", no previous revision"),
        }
        parts.push(rev);
    }
    if w.paused {
        parts.push("rollout paused".into());
    }
    if let Some(reason) = &w.progressing_reason {
        parts.push(format!("progressing: {reason}"));
    }
    parts.join("; ")
}

/// `12 minutes`, `5 hours`, `9 days`.
fn age_text(seconds: i64) -> String {
    let minutes = seconds / 60;
    match minutes {
        ..120 => format!("{minutes} minutes"),
        120..2880 => format!("{} hours", minutes / 60),
        _ => format!("{} days", minutes / 1440),
    }
}

fn pod_line(p: &PodFacts) -> String {
    let mut line = format!(
        "pod {}: {}, {}{}{}",
        p.name,
        p.phase.as_deref().unwrap_or("unknown phase"),
        if p.ready { "ready" } else { "not ready" },
        p.node.as_ref().map(|n| format!(", on node {n}")).unwrap_or_default(),
        if p.terminating { ", terminating" } else { "" }
    );
    for c in &p.containers {
        line.push_str(&format!("\n  container {}: restarts {}", c.name, c.restart_count));
        if let Some(w) = &c.waiting_reason {
            line.push_str(&format!(", waiting {w}"));
            if let Some(m) = &c.waiting_message {
                line.push_str(&format!(" ({})", m.replace('\n', " ")));
            }
        }
        if let Some(r) = &c.last_termination_reason {
            line.push_str(&format!(", last terminated {r}"));
            if let Some(code) = c.last_exit_code {
                line.push_str(&format!(" (exit {code})"));
            }
        }
        for (what, v) in [
            ("image", &c.image),
            ("memory limit", &c.memory_limit),
            ("cpu limit", &c.cpu_limit),
        ] {
            if let Some(v) = v {
                line.push_str(&format!(", {what} {v}"));
            }
        }
    }
    line
}

fn event_line(e: &EventFacts) -> String {
    format!(
        "{} {} {} x{} on {}: {}",
        e.last_seen.as_deref().unwrap_or("-"),
        e.type_,
        e.reason,
        e.count,
        e.object,
        e.message.replace('\n', " ")
    )
}
