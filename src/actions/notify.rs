//! `notify`: post a message about the incident to a configured webhook.
//!
//! The plan holds one [`Operation::Notify`] naming the channel (its URL stays in config
//! and never enters a plan) and the text. The executor sends it; in dry-run nothing is
//! sent. Planning reads neither the cluster nor the network: only the incident and the
//! configured channels (`actions.notify`).

use super::plan::{Plan, PlanInput};
use super::settings::NotifyChannel;
use super::{ActionError, ActionKind, Notify, target_text};
use crate::cluster::{ObjectRef, Operation};
use crate::incident::Incident;

/// Plans `notify`: one message to `params.channel`, or to the first configured channel.
pub async fn plan_notify(p: &Notify, target: Option<&ObjectRef>, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    let kind = ActionKind::Notify;
    let channel = channel(p, target, input.settings.notify.as_slice())?;
    let text = match p.message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => incident_text(input.incident, target),
    };
    Ok(Plan {
        action: kind.name().into(),
        target: target.cloned(),
        summary: format!(
            "post a message about {} to notify channel {:?}",
            input.incident.alertname, channel.name
        ),
        operations: vec![Operation::Notify {
            channel: channel.name.clone(),
            text: text.clone(),
        }],
        changes: Vec::new(),
        notes: vec![format!("message: {text}")],
        artifacts: Vec::new(),
    })
}

/// The channel asked for, or the first configured one.
fn channel<'a>(
    p: &Notify,
    target: Option<&ObjectRef>,
    channels: &'a [NotifyChannel],
) -> Result<&'a NotifyChannel, ActionError> {
    let action = ActionKind::Notify.name();
    let Some(first) = channels.first() else {
        return Err(ActionError::NotApplicable {
            action,
            target: target_text(target),
            reason: "no notify channel configured (actions.notify)".into(),
        });
    };
    match p.channel.as_deref() {
        None => Ok(first),
        Some(name) => channels.iter().find(|c| c.name == name).ok_or_else(|| {
            let known: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
            ActionError::InvalidParams {
                action,
                field: "params.channel".into(),
                message: format!("no channel {name:?} in actions.notify (channels: {})", known.join(", ")),
            }
        }),
    }
}

/// One line about the incident: `[firing] KubePodCrashLooping (warning) on
/// pod/shop/api-1: Pod is crash looping.` (the summary annotation, else the description).
pub fn incident_text(incident: &Incident, target: Option<&ObjectRef>) -> String {
    let severity = incident
        .severity
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    let on = target.map(|t| format!(" on {t}")).unwrap_or_default();
    let summary = incident.summary();
    let about = if summary == incident.alertname {
        String::new()
    } else {
        format!(": {summary}")
    };
    format!(
        "[{}] {}{severity}{on}{about}",
        incident.status.as_str(),
        incident.alertname
    )
}
