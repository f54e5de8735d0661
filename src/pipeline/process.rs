//! Processing stored incidents: claimed under a lease (renewed while worked on), decided,
//! executed in two phases, approved decisions re-checked, interrupted executions resumed.
//!
//! What a claimed incident needs depends on the state it was claimed in:
//! - `deciding`: decide it. A verdict that executes a change first stores the decision
//!   and plan with the incident `executing` (the intent), then applies the plan, then
//!   stores the outcome; any other verdict is stored in one transaction (a `held` one
//!   with its approval).
//! - `approved`: check the stored decision again with a fresh plan and fresh facts (the
//!   cluster may have changed; the decider is not asked again), then execute it or deny
//!   it with the new reasons.
//! - `executing`: the process applying its plan died. The stored decision is planned
//!   again against the cluster now: nothing left to do means it was applied; an
//!   idempotent action is applied again after a policy check; anything else is marked
//!   `interrupted` for a human.
//!
//! Every write is fenced on this process's lease; nothing is applied to the cluster before
//! the intent is committed.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tracing::Instrument;

use super::evaluate::{Evaluation, Pipeline, Proposal};
use crate::actions::settings::NotifyChannel;
use crate::actions::{ActionError, ActionKind};
use crate::assess::schedule::after;
use crate::execute::notifier::Message;
use crate::execute::{self, Outcome, OutcomeStatus};
use crate::policy::{ApprovalGrant, Check, VerdictKind};
use crate::store::{ApprovalState, Claimed, DecisionRecord, Finish, ProcessingState, Store, StoreError};

/// How many times a store write after an applied plan is tried before giving up (the
/// incident then stays `executing` and is verified against the cluster when reclaimed).
const FINISH_ATTEMPTS: u32 = 6;

/// Whether planning `kind` again was refused because the cluster is already as the action
/// would leave it (`already at 3 replicas`, `the node is already cordoned`, `its pod
/// template already matches revision 4`): the interrupted attempt was applied. Jobs are
/// excluded: existing Jobs do not tell whether this attempt created one.
fn already_done(kind: ActionKind, e: &ActionError) -> bool {
    !matches!(kind, ActionKind::RunJob | ActionKind::RetryJob)
        && matches!(e, ActionError::NotApplicable { reason, .. } if reason.contains("already"))
}

/// A random lease owner id for this process: the host name (a pod's name) and a random
/// suffix, so that restarts and replicas never share one.
pub fn owner_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "medic".to_string());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}", &suffix[..12])
}

impl Pipeline {
    /// When a lease taken or renewed at `now` runs out.
    pub fn lease_until(&self, now: Timestamp) -> Timestamp {
        after(now, self.processing.lease)
    }

    /// Claims the stored incident `id` and processes it. Returns the new state, or `None`
    /// when the incident was not there to claim (taken by another worker, or done).
    pub async fn process(&self, store: &dyn Store, id: &str) -> Result<Option<ProcessingState>, StoreError> {
        let now = Timestamp::now();
        let Some(claimed) = store.claim_id(id, &self.owner, now, self.lease_until(now)).await? else {
            return Ok(None);
        };
        self.process_claimed(store, claimed).await.map(Some)
    }

    /// Processes an incident claimed by this process, renewing its lease meanwhile, and
    /// returns the state it ends in.
    pub async fn process_claimed(&self, store: &dyn Store, claimed: Claimed) -> Result<ProcessingState, StoreError> {
        let started = Instant::now();
        let span = tracing::info_span!(
            "incident",
            incident = %claimed.id,
            alertname = %claimed.incident.alertname,
            claimed_as = claimed.state.as_str()
        );
        let work = async {
            match claimed.state {
                ProcessingState::Approved => self.act_on_approval(store, &claimed).await,
                ProcessingState::Executing => self.resume(store, &claimed).await,
                _ => {
                    let proposal = self
                        .propose(&claimed.incident, Some(store), Timestamp::now(), None)
                        .await;
                    self.settle(store, &claimed, proposal, None).await
                }
            }
        }
        .instrument(span);
        let state = tokio::select! {
            biased;
            state = work => state?,
            never = self.heartbeat(store, &claimed) => match never {},
        };
        self.metrics.observe_processing(started.elapsed());
        Ok(state)
    }

    /// Renews the lease every third of its length, for as long as it is polled.
    async fn heartbeat(&self, store: &dyn Store, claimed: &Claimed) -> Infallible {
        let every = (self.processing.lease.std() / 3).max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            let until = self.lease_until(Timestamp::now());
            match store.renew_lease(&claimed.id, &claimed.owner, until).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(incident = %claimed.id, "the claim lease was lost; this process will write nothing more")
                }
                Err(e) => {
                    self.metrics.error("lease");
                    tracing::warn!(incident = %claimed.id, error = %e, "cannot renew the claim lease; retrying");
                }
            }
        }
    }

    /// Stores a proposal's result: in two phases when it executes a change, else in one
    /// transaction. `approval` is the grant of an approved decision being re-checked: a
    /// verdict that still holds it then denies it (one approval is asked per decision).
    async fn settle(
        &self,
        store: &dyn Store,
        claimed: &Claimed,
        mut proposal: Proposal,
        approval: Option<&ApprovalGrant>,
    ) -> Result<ProcessingState, StoreError> {
        if let Some(grant) = approval
            && proposal.verdict.kind == VerdictKind::Hold
        {
            let reason = format!(
                "approved by {}, but the policy still holds it on a fresh check: {}",
                grant.by,
                proposal.verdict.summary()
            );
            proposal.verdict.checks.push(Check {
                name: "approval".into(),
                passed: false,
                reason,
            });
            proposal.verdict.kind = VerdictKind::Deny;
        }
        let changes = proposal.verdict.executes()
            && proposal.decision.action.kind().mutates()
            && matches!(&proposal.plan, Ok(plan) if !plan.is_noop());
        if changes {
            return self.execute_two_phase(store, claimed, proposal).await;
        }
        let evaluation = self.carry_out(proposal).await;
        let state = evaluation.state();
        let now = Timestamp::now();
        let expires = (state == ProcessingState::Held).then(|| after(now, self.approvals.expiry));
        let record = self.record_of(evaluation, state, claimed, now);
        let approval_id = store
            .save_decided(&claimed.id, &claimed.owner, &record, expires)
            .await?;
        if let (Some(id), Some(expires)) = (approval_id, expires) {
            self.notify_held(claimed, &record, id, expires).await;
        }
        self.settled(claimed, &record).await;
        Ok(state)
    }

    /// Stores the intent, applies the plan, stores the outcome.
    async fn execute_two_phase(
        &self,
        store: &dyn Store,
        claimed: &Claimed,
        proposal: Proposal,
    ) -> Result<ProcessingState, StoreError> {
        let Proposal {
            incident,
            context,
            decision,
            verdict,
            plan,
            ..
        } = proposal;
        let plan = plan.map_err(|e| StoreError::Query(format!("no plan to execute: {e}")))?;
        let now = Timestamp::now();
        let intent = Evaluation {
            incident,
            context,
            decision,
            verdict,
            outcome: Outcome {
                status: OutcomeStatus::Planned,
                plan: Some(plan.clone()),
                results: Vec::new(),
                error: None,
                started_at: now,
                finished_at: now,
            },
        };
        let intent_record = self.record_of(intent.clone(), ProcessingState::Executing, claimed, now);
        store
            .start_execution(&claimed.id, &claimed.owner, &intent_record, self.lease_until(now))
            .await?;
        let outcome = execute::execute(&self.executor, &intent.incident, &intent.verdict, plan).await;
        self.metrics.decided(&intent.decision, &intent.verdict);
        let evaluation = Evaluation { outcome, ..intent };
        let state = evaluation.state();
        let mut record = self.record_of(evaluation, state, claimed, Timestamp::now());
        record.decided_at = now;
        self.finish(store, claimed, &record, false).await?;
        self.settled(claimed, &record).await;
        Ok(state)
    }

    /// Re-checks an approved decision with a fresh plan and fresh facts, then executes or
    /// denies it.
    async fn act_on_approval(&self, store: &dyn Store, claimed: &Claimed) -> Result<ProcessingState, StoreError> {
        let stored = store.get(&claimed.id).await?.and_then(|s| s.decision);
        let approval = store.approval_of(&claimed.id).await?;
        let (Some(stored), Some(approval)) = (stored, approval) else {
            let reason = "approved, but its held decision or approval is missing from the store";
            store.mark_failed(&claimed.id, reason, Timestamp::now()).await?;
            return Ok(ProcessingState::Failed);
        };
        let now = Timestamp::now();
        let grant = ApprovalGrant {
            by: approval.decided_by.clone().unwrap_or_else(|| "unknown".into()),
            at: approval.decided_at.unwrap_or(now),
        };
        let context = self.context_for(&claimed.incident, Some(store), now).await;
        let proposal = self
            .check(
                &claimed.incident,
                context,
                stored.decision,
                Some(store),
                now,
                Some(grant.clone()),
            )
            .await;
        self.settle(store, claimed, proposal, Some(&grant)).await
    }

    /// Takes over an incident whose process died while applying its plan: checks the
    /// cluster before anything is retried.
    async fn resume(&self, store: &dyn Store, claimed: &Claimed) -> Result<ProcessingState, StoreError> {
        let Some(stored) = store.get(&claimed.id).await?.and_then(|s| s.decision) else {
            let reason = "was executing, but its decision is missing from the store";
            store.mark_failed(&claimed.id, reason, Timestamp::now()).await?;
            return Ok(ProcessingState::Failed);
        };
        let now = Timestamp::now();
        let incident = &claimed.incident;
        let kind = stored.decision.action.kind();
        let action = stored.decision.action_name().to_string();
        let target = stored
            .decision
            .target
            .as_ref()
            .or(stored.context.target.as_ref())
            .map(ToString::to_string)
            .unwrap_or_else(|| "its target".into());
        let summary = stored
            .outcome
            .plan
            .as_ref()
            .map(|p| p.summary.clone())
            .unwrap_or_else(|| action.clone());
        let context = self.context_for(incident, Some(store), now).await;
        let fresh = self.plan(incident, &context, &stored.decision).await;
        let mut record = stored.clone();
        let interrupted = |why: String| {
            format!(
                "medic stopped while applying {action} to {target} and {why}; {action} is not safe to apply \
                 twice. Check {target} by hand (the plan was: {summary}), then finish or undo it."
            )
        };
        let reason = match fresh {
            Ok(plan) if plan.is_noop() => {
                return self.verified(store, claimed, record, &summary, now).await;
            }
            Err(e) if already_done(kind, &e) => {
                return self
                    .verified(store, claimed, record, &format!("{summary} ({e})"), now)
                    .await;
            }
            Ok(_) if kind.idempotent() => {
                let grant = match store.approval_of(&claimed.id).await? {
                    Some(a) if a.state == ApprovalState::Approved => Some(ApprovalGrant {
                        by: a.decided_by.unwrap_or_else(|| "unknown".into()),
                        at: a.decided_at.unwrap_or(now),
                    }),
                    _ => None,
                };
                let proposal = self
                    .check_resumed(
                        incident,
                        context,
                        stored.decision.clone(),
                        Some(store),
                        now,
                        grant,
                        Some(stored.decided_at),
                    )
                    .await;
                match proposal.plan {
                    Ok(plan) if proposal.verdict.executes() => {
                        let mut outcome = execute::execute(&self.executor, incident, &proposal.verdict, plan).await;
                        self.metrics.decided(&proposal.decision, &proposal.verdict);
                        outcome.results.insert(
                            0,
                            "re-applied after a restart: the action is idempotent and the cluster did not show it done"
                                .to_string(),
                        );
                        record.state = match outcome.status {
                            OutcomeStatus::Executed => ProcessingState::Executed,
                            _ => ProcessingState::Failed,
                        };
                        record.outcome = outcome;
                        record.assessment = crate::assess::schedule::schedule(
                            &self.assessment,
                            &record.decision,
                            &record.context,
                            &record.outcome,
                        );
                        return self.finish_resumed(store, claimed, record).await;
                    }
                    Ok(_) => format!(
                        "the cluster does not show it done, and the policy now refuses to apply it again ({})",
                        proposal.verdict.summary()
                    ),
                    Err(e) => format!("it cannot be planned again ({e})"),
                }
            }
            Ok(_) => "the cluster does not show it done".to_string(),
            Err(e) => format!("it cannot be planned again to tell whether it was applied ({e})"),
        };
        let reason = interrupted(reason);
        record.state = ProcessingState::Interrupted;
        record.outcome.status = OutcomeStatus::Failed;
        record.outcome.error = Some(reason.clone());
        record.outcome.finished_at = now;
        record.assessment = None;
        let state = self.finish_resumed(store, claimed, record.clone()).await?;
        self.notify_interrupted(claimed, &record, &reason).await;
        Ok(state)
    }

    /// Stores an interrupted execution the cluster shows done as executed.
    async fn verified(
        &self,
        store: &dyn Store,
        claimed: &Claimed,
        mut record: DecisionRecord,
        what: &str,
        now: Timestamp,
    ) -> Result<ProcessingState, StoreError> {
        record.outcome.status = OutcomeStatus::Executed;
        record.outcome.results = vec![format!(
            "verified after a restart: the cluster already shows it done, nothing applied again: {what}"
        )];
        record.outcome.error = None;
        record.outcome.finished_at = now;
        record.state = ProcessingState::Executed;
        record.assessment =
            crate::assess::schedule::schedule(&self.assessment, &record.decision, &record.context, &record.outcome);
        self.finish_resumed(store, claimed, record).await
    }

    /// Stores a resumed execution's outcome.
    async fn finish_resumed(
        &self,
        store: &dyn Store,
        claimed: &Claimed,
        record: DecisionRecord,
    ) -> Result<ProcessingState, StoreError> {
        self.finish(store, claimed, &record, true).await?;
        tracing::info!(
            incident = %claimed.id,
            action = record.decision.action_name(),
            state = record.state.as_str(),
            "resumed an interrupted execution"
        );
        Ok(record.state)
    }

    /// The second phase of execution, tried again while the store is unavailable (the
    /// plan was applied: its outcome must not be lost).
    async fn finish(
        &self,
        store: &dyn Store,
        claimed: &Claimed,
        record: &DecisionRecord,
        resumed: bool,
    ) -> Result<(), StoreError> {
        let failed = matches!(record.state, ProcessingState::Failed | ProcessingState::Interrupted);
        let finish = Finish {
            outcome: &record.outcome,
            state: record.state,
            error: if failed { record.outcome.error.as_deref() } else { None },
            assessment: record.assessment.as_ref(),
            at: Timestamp::now(),
            resumed,
        };
        let mut wait = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match store.finish_execution(&claimed.id, &claimed.owner, &finish).await {
                Err(StoreError::Unavailable(e)) if attempt < FINISH_ATTEMPTS => {
                    self.metrics.error("store");
                    tracing::warn!(incident = %claimed.id, error = %e, attempt, "cannot store the outcome yet; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(self.processing.lease.std() / 4);
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// The record stored for an evaluation.
    fn record_of(
        &self,
        evaluation: Evaluation,
        state: ProcessingState,
        claimed: &Claimed,
        now: Timestamp,
    ) -> DecisionRecord {
        let assessment = crate::assess::schedule::schedule(
            &self.assessment,
            &evaluation.decision,
            &evaluation.context,
            &evaluation.outcome,
        );
        // A model-backed decision reports its model and tokens; rules have none.
        let usage = evaluation.decision.llm.clone();
        DecisionRecord {
            context: evaluation.context,
            decision: evaluation.decision,
            verdict: evaluation.verdict,
            outcome: evaluation.outcome,
            state,
            decided_at: now,
            latency_ms: (now.as_millisecond() - claimed.received_at.as_millisecond()).max(0),
            model: usage.as_ref().map(|u| u.model.clone()),
            tokens_in: usage.as_ref().map(|u| i64::try_from(u.tokens_in).unwrap_or(i64::MAX)),
            tokens_out: usage.as_ref().map(|u| i64::try_from(u.tokens_out).unwrap_or(i64::MAX)),
            assessment,
        }
    }

    /// After a decision is stored: index it for retrieval, log it.
    async fn settled(&self, claimed: &Claimed, record: &DecisionRecord) {
        if let Some(memory) = &self.memory {
            memory.remember_logged(&claimed.id, &claimed.incident, record).await;
        }
        tracing::info!(
            incident = %claimed.id,
            action = record.decision.action_name(),
            verdict = record.verdict.kind.as_str(),
            state = record.state.as_str(),
            "incident decided"
        );
    }

    /// Tells the `approvals.notify` channel about a held decision.
    async fn notify_held(&self, claimed: &Claimed, record: &DecisionRecord, approval: i64, expires: Timestamp) {
        let Some(name) = &self.approvals.notify else { return };
        let target = record.decision.target.as_ref().or(record.context.target.as_ref());
        let text = format!(
            "medic holds {action} on {target} for approval (incident {alertname}, {id}): {reasons}. \
             Approve with `medic approve {approval} --reason WHY` or POST /api/v1/approvals/{approval}/approve; \
             reject with `medic reject {approval}`. It expires at {expires}.",
            action = record.decision.action_name(),
            target = target.map(ToString::to_string).unwrap_or_else(|| "no target".into()),
            alertname = claimed.incident.alertname,
            id = claimed.id,
            reasons = record.verdict.summary(),
        );
        let channels: Vec<&NotifyChannel> = self
            .executor
            .settings
            .notify
            .iter()
            .filter(|c| &c.name == name)
            .collect();
        self.tell(&channels, claimed, record, &text).await;
    }

    /// Tells humans an execution was interrupted: the `approvals.notify` channel and the
    /// channels notified of escalations.
    async fn notify_interrupted(&self, claimed: &Claimed, record: &DecisionRecord, reason: &str) {
        let channels: Vec<&NotifyChannel> = self
            .executor
            .settings
            .notify
            .iter()
            .filter(|c| c.on_escalate || self.approvals.notify.as_ref() == Some(&c.name))
            .collect();
        let text = format!(
            "medic needs a human for incident {} ({}): {reason}",
            claimed.incident.alertname, claimed.id
        );
        self.tell(&channels, claimed, record, &text).await;
    }

    /// Sends `text` to `channels`; a failure is logged and counted, never fatal.
    async fn tell(&self, channels: &[&NotifyChannel], claimed: &Claimed, record: &DecisionRecord, text: &str) {
        let summary = record
            .outcome
            .plan
            .as_ref()
            .map(|p| p.summary.as_str())
            .unwrap_or_default();
        let message = Message {
            text,
            incident: &claimed.incident,
            action: record.decision.action_name(),
            summary,
            target: record.decision.target.as_ref(),
            dry_run: record.verdict.dry_run,
        };
        for channel in channels {
            if let Err(e) = self.executor.notifier.send(channel, &message).await {
                self.metrics.error("notify");
                tracing::warn!(incident = %claimed.id, error = %e, "cannot notify about the incident");
            }
        }
    }
}
