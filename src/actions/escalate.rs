//! Escalation: the action that changes nothing and hands the incident to a human.
//!
//! Its plan changes nothing in the cluster; its notes say what a human should look at
//! first (the incident, the target, what the context found wrong). When notify channels
//! have `on_escalate: true`, the plan holds one [`Operation::Notify`] per channel, so that
//! a human hears about it. It must never touch the cluster, not even to read: everything
//! it says comes from the incident and its context.

use super::plan::{Plan, PlanInput};
use super::{ActionError, ActionKind, Escalate};
use crate::cluster::{ObjectRef, Operation};

/// Most container problems and events listed in the notes.
const MAX_FINDINGS: usize = 3;

/// Plans `escalate`: no cluster operations, a summary with the reason, notes for the
/// human, and the notifications of the `on_escalate` channels.
pub fn plan_escalate(p: &Escalate, target: Option<&ObjectRef>, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    let reason = p
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("no catalog action fits this incident");
    let incident = input.incident;
    let ctx = input.context;
    let mut notes = Vec::new();
    let severity = incident
        .severity
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    notes.push(format!(
        "incident: {}{severity}: {}",
        incident.alertname,
        incident.summary()
    ));
    match target {
        Some(t) => notes.push(format!("look at {t}")),
        None => notes.push("the alert names no Kubernetes object: look at its labels".into()),
    }
    if let Some(w) = &ctx.workload {
        let mut facts = vec![format!(
            "{}/{} ready",
            w.ready_replicas.unwrap_or(0),
            w.replicas.unwrap_or(0)
        )];
        if let Some(r) = w.revision {
            facts.push(format!("revision {r}"));
        }
        if w.paused {
            facts.push("rollout paused".into());
        }
        if let Some(reason) = &w.progressing_reason {
            facts.push(format!("progressing: {reason}"));
        }
        notes.push(format!("workload {}: {}", w.reference, facts.join(", ")));
    }
    let troubled = ctx
        .containers()
        .filter(|(_, c)| !c.ready || c.waiting_reason.is_some() || c.last_termination_reason.is_some());
    for (pod, c) in troubled.take(MAX_FINDINGS) {
        let mut facts = Vec::new();
        if let Some(w) = &c.waiting_reason {
            facts.push(w.clone());
        }
        if let Some(t) = &c.last_termination_reason {
            let code = c.last_exit_code.map(|e| format!(" (exit {e})")).unwrap_or_default();
            facts.push(format!("last terminated {t}{code}"));
        }
        facts.push(format!("{} restarts", c.restart_count));
        notes.push(format!("pod {} container {}: {}", pod.name, c.name, facts.join(", ")));
    }
    let recent = ctx.events.iter().rev().take(MAX_FINDINGS).collect::<Vec<_>>();
    for e in recent.into_iter().rev() {
        notes.push(format!(
            "event on {}: {}: {} (×{})",
            e.object, e.reason, e.message, e.count
        ));
    }
    for err in &ctx.errors {
        notes.push(format!("medic could not read {err}"));
    }
    let summary = format!("hand to a human: {reason}");
    let operations = notifications(input, reason, &notes);
    Ok(Plan {
        action: ActionKind::Escalate.name().into(),
        target: target.cloned(),
        summary,
        operations,
        changes: Vec::new(),
        notes,
        artifacts: Vec::new(),
    })
}

/// One [`Operation::Notify`] per channel configured with `on_escalate: true`, carrying the
/// reason and the notes. They change nothing in the cluster; the executor sends them even
/// in dry-run (see [`crate::execute`]).
fn notifications(input: &PlanInput<'_>, reason: &str, notes: &[String]) -> Vec<Operation> {
    let channels: Vec<&str> = input
        .settings
        .notify
        .iter()
        .filter(|c| c.on_escalate)
        .map(|c| c.name.as_str())
        .collect();
    if channels.is_empty() {
        return Vec::new();
    }
    let mut text = format!("medic escalation: {reason}");
    for note in notes {
        text.push_str(&format!("\n- {note}"));
    }
    channels
        .into_iter()
        .map(|channel| Operation::Notify {
            channel: channel.to_string(),
            text: text.clone(),
        })
        .collect()
}
