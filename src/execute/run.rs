//! Applying a plan: cluster calls in order (stopping at the first failure), evictions
//! that wait for disruption budgets, notifications, and an Event on each object acted on.

use jiff::Timestamp;
use tokio::time::Instant;

use super::events::{event_for, random_suffix};
use super::evict::evict_until;
use super::executor::Executor;
use super::notifier::{Message, NotifyError};
use super::outcome::{Outcome, OutcomeStatus};
use crate::actions::{ActionKind, Plan};
use crate::cluster::{ClusterError, Operation, OperationResult};
use crate::incident::Incident;
use crate::policy::{Verdict, VerdictKind};

/// Applies the plan when the verdict allows execution; otherwise records it as planned
/// (dry-run) or skipped (held/denied).
///
/// In dry-run nothing is sent or changed, with one exception: an allowed `escalate`
/// still sends its notifications (to the channels with `on_escalate: true`), because a
/// notification is how a human hears about an escalation, and it changes nothing in the
/// cluster. The outcome stays `planned`; its results list what was sent.
pub async fn execute(executor: &Executor, incident: &Incident, verdict: &Verdict, plan: Plan) -> Outcome {
    let started_at = Timestamp::now();
    let mut run = Run {
        executor,
        incident,
        plan: &plan,
        dry_run: verdict.dry_run,
        deadline: None,
    };
    let mut results = Vec::new();
    let mut error = None;
    let status = if !verdict.executes() {
        if sends_in_dry_run(verdict, &plan) {
            for op in plan
                .operations
                .iter()
                .filter(|op| matches!(op, Operation::Notify { .. }))
            {
                match run.notify(op).await {
                    Ok(answer) => results.push(format!("{} (escalation in dry-run): {answer}", op.describe())),
                    Err(e) => error = Some(e),
                }
            }
        }
        match verdict.kind {
            VerdictKind::Allow => OutcomeStatus::Planned,
            _ => {
                error = Some(verdict.summary());
                OutcomeStatus::Skipped
            }
        }
    } else if plan.is_noop() {
        // Nothing to apply. A plan whose artifacts are its result (collect_diagnostics)
        // has done its work by being made; anything else stays a plan.
        if plan.artifacts.is_empty() {
            OutcomeStatus::Planned
        } else {
            OutcomeStatus::Executed
        }
    } else {
        for op in &plan.operations {
            match run.apply(op).await {
                Ok(line) => results.push(line),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if error.is_some() {
            OutcomeStatus::Failed
        } else {
            OutcomeStatus::Executed
        }
    };
    Outcome {
        status,
        plan: Some(plan),
        results,
        error,
        started_at,
        finished_at: Timestamp::now(),
    }
}

/// Whether a plan not executed still sends its notifications: an allowed escalation in
/// dry-run.
fn sends_in_dry_run(verdict: &Verdict, plan: &Plan) -> bool {
    verdict.kind == VerdictKind::Allow && verdict.dry_run && plan.action == ActionKind::Escalate.name()
}

/// One plan being carried out.
struct Run<'a> {
    executor: &'a Executor,
    incident: &'a Incident,
    plan: &'a Plan,
    dry_run: bool,
    /// When evictions stop waiting for disruption budgets: set by the first eviction
    /// that waits, so a drain's timeout bounds the whole drain, as `kubectl drain`'s does.
    deadline: Option<(Instant, std::time::Duration)>,
}

impl Run<'_> {
    /// Carries out one operation; the result line, or the error line.
    async fn apply(&mut self, op: &Operation) -> Result<String, String> {
        if matches!(op, Operation::Notify { .. }) {
            return self
                .notify(op)
                .await
                .map(|answer| format!("{}: {answer}", op.describe()));
        }
        let cluster = self.executor.cluster.as_ref();
        let answer = match op {
            Operation::Evict {
                wait_seconds: Some(wait),
                ..
            } => {
                let (deadline, waited) = *self.deadline.get_or_insert_with(|| {
                    let wait = std::time::Duration::from_secs(*wait);
                    (Instant::now() + wait, wait)
                });
                evict_until(cluster, op, deadline, self.executor.evict_retry, waited).await
            }
            _ => cluster.apply(op).await,
        };
        match answer {
            Ok(result) => {
                self.record_event(op, &result).await;
                let output = result.output.as_deref().map(|o| format!("\n{o}")).unwrap_or_default();
                Ok(format!("{}: {}{output}", op.describe(), result.message))
            }
            Err(e) => Err(format!("{}: {e}{}", op.describe(), hint(&e))),
        }
    }

    /// Sends one notification: the notifier's answer, or the error line.
    async fn notify(&self, op: &Operation) -> Result<String, String> {
        let Operation::Notify { channel, text } = op else {
            return Err(format!("{}: not a notification", op.describe()));
        };
        let sent = match self.executor.settings.notify.iter().find(|c| &c.name == channel) {
            None => Err(NotifyError::UnknownChannel(channel.clone())),
            Some(config) => {
                let message = Message {
                    text,
                    incident: self.incident,
                    action: &self.plan.action,
                    summary: &self.plan.summary,
                    target: self.plan.target.as_ref(),
                    dry_run: self.dry_run,
                };
                self.executor.notifier.send(config, &message).await
            }
        };
        match sent {
            Ok(answer) => Ok(answer),
            Err(e) => Err(format!("{}: {e}", op.describe())),
        }
    }

    /// Records an Event on the object `op` acted on; a failure is logged and counted.
    async fn record_event(&self, op: &Operation, result: &OperationResult) {
        let Some(event) = event_for(self.plan, op, result, Timestamp::now(), &random_suffix()) else {
            return;
        };
        let create = Operation::Create { object: event };
        if let Err(e) = self.executor.cluster.apply(&create).await {
            self.executor.metrics.error("events");
            tracing::warn!(object = %op.target(), action = %self.plan.action, error = %e, "could not record a Kubernetes Event");
        }
    }
}

/// What to do about an error, where medic knows.
fn hint(e: &ClusterError) -> &'static str {
    match e {
        ClusterError::Forbidden { .. } => {
            " (medic's service account lacks this permission: `medic rbac` prints the ClusterRole it needs)"
        }
        _ => "",
    }
}
