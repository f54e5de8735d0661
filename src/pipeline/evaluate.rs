//! Running one incident through the stages.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::config::{ApprovalsConfig, ProcessingConfig};
use crate::actions::plan::PlanInput;
use crate::actions::{ActionError, ActionSettings, Bounds};
use crate::assess::AssessmentConfig;
use crate::cluster::Cluster;
use crate::context::{self, Context, Limits};
use crate::decide::{Decider, Decision};
use crate::execute::{self, Outcome, OutcomeStatus};
use crate::incident::Incident;
use crate::memory::Memory;
use crate::policy::{self, Check, PolicyConfig, Verdict, VerdictKind};
use crate::store::{ProcessingState, Store};
use crate::web::metrics::Metrics;

/// The stages, wired.
pub struct Pipeline {
    /// The cluster read for context and acted on.
    pub cluster: Arc<dyn Cluster>,
    /// The decider chain.
    pub decider: Arc<dyn Decider>,
    /// The safety policy.
    pub policy: PolicyConfig,
    /// Parameter bounds.
    pub bounds: Bounds,
    /// Settings of the configurable actions.
    pub settings: ActionSettings,
    /// Context limits.
    pub limits: Limits,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Similar-incident retrieval: past incidents go into the context, decided ones are
    /// indexed. `None` (no store, as in `medic recommend`): no retrieval.
    pub memory: Option<Arc<Memory>>,
    /// Carries out allowed plans (the same cluster, notifier, channels).
    pub executor: Arc<execute::Executor>,
    /// When executed actions are assessed, and how history feeds back into decisions.
    pub assessment: AssessmentConfig,
    /// The claim lease.
    pub processing: ProcessingConfig,
    /// How long held decisions wait, and who is told about them.
    pub approvals: ApprovalsConfig,
    /// This process's lease owner id (random per process): every write of the pipeline
    /// to the store is fenced on it.
    pub owner: String,
}

/// The stages up to the verdict, before anything is executed ([`Pipeline::propose`]).
#[derive(Debug)]
pub struct Proposal {
    /// The incident.
    pub incident: Incident,
    /// Its context.
    pub context: Context,
    /// The decision.
    pub decision: Decision,
    /// What the policy knew when it checked the decision.
    pub facts: policy::PolicyFacts,
    /// The verdict, with the plan's check (bounds) included.
    pub verdict: Verdict,
    /// The plan, or why planning failed.
    pub plan: Result<crate::actions::Plan, ActionError>,
}

/// Everything the stages produced for one incident.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// The incident.
    pub incident: Incident,
    /// Its context.
    pub context: Context,
    /// The decision.
    pub decision: Decision,
    /// The verdict.
    pub verdict: Verdict,
    /// What was (or would be) done.
    pub outcome: Outcome,
}

impl Evaluation {
    /// The processing state this evaluation leaves an incident in.
    pub fn state(&self) -> ProcessingState {
        match (self.verdict.kind, self.outcome.status) {
            (VerdictKind::Deny, _) => ProcessingState::Denied,
            (VerdictKind::Hold, _) => ProcessingState::Held,
            _ if !self.decision.action.kind().mutates() => ProcessingState::Escalated,
            (_, OutcomeStatus::Executed) => ProcessingState::Executed,
            (_, OutcomeStatus::Failed) => ProcessingState::Failed,
            (_, OutcomeStatus::Planned) => ProcessingState::Planned,
            (_, OutcomeStatus::Skipped) => ProcessingState::Denied,
        }
    }
}

impl Pipeline {
    /// Runs context, decision, policy, planning and execution (or dry-run) for one
    /// incident. Never fails: every stage's failure becomes part of the result.
    pub async fn evaluate(&self, incident: &Incident) -> Evaluation {
        self.evaluate_with_history(incident, None).await
    }

    /// [`Pipeline::evaluate`], with the history of the same trouble read from `history`
    /// into the context (for the deciders) and checked for oscillation (by the policy
    /// stage). A history that cannot be read is recorded in the context's errors.
    pub async fn evaluate_with_history(&self, incident: &Incident, history: Option<&dyn Store>) -> Evaluation {
        self.evaluate_at(incident, history, Timestamp::now()).await
    }

    /// [`Pipeline::evaluate_with_history`] as of `now` (the age of the current revision,
    /// the history window), so that an evaluation on a simulated cluster whose clock is
    /// not the system's reads its context exactly.
    pub async fn evaluate_at(&self, incident: &Incident, history: Option<&dyn Store>, now: Timestamp) -> Evaluation {
        let proposal = self.propose(incident, history, now, None).await;
        self.carry_out(proposal).await
    }

    /// Everything up to the verdict, with no side effect: context (with history when
    /// `history` is given), decision, plan, policy facts and verdict. `approval` is set
    /// when a held decision is re-checked after a human approved it.
    pub async fn propose(
        &self,
        incident: &Incident,
        history: Option<&dyn Store>,
        now: Timestamp,
        approval: Option<policy::ApprovalGrant>,
    ) -> Proposal {
        let context = self.context_for(incident, history, now).await;
        let decision = self.decide(incident, &context).await;
        self.check(incident, context, decision, history, now, approval).await
    }

    /// The context of an incident as of `now`: the cluster, similar past incidents (with
    /// memory), and the history of the same trouble (when `history` is given; a history
    /// that cannot be read is recorded in the context's errors).
    pub async fn context_for(&self, incident: &Incident, history: Option<&dyn Store>, now: Timestamp) -> Context {
        let mut context = context::gather::gather_at(self.cluster.as_ref(), incident, &self.limits, now).await;
        if let Some(memory) = &self.memory {
            memory.recall_into(incident, &mut context).await;
        }
        if let Some(store) = history {
            match crate::history::lookup::for_incident(store, incident, &context, &self.assessment, now).await {
                Ok(facts) => context.history = facts,
                Err(e) => context.errors.push(format!("history: {e}")),
            }
        }
        context
    }

    /// The decider chain's decision on an incident in its context.
    pub async fn decide(&self, incident: &Incident, context: &Context) -> Decision {
        match self.decider.decide(incident, context).await {
            Ok(Some(d)) => d,
            Ok(None) | Err(_) => unreachable_fallback(incident, context),
        }
    }

    /// Plans `decision` against the cluster as it is now and checks it: policy facts
    /// (with `approval` when a human approved it) and verdict, the plan's own check
    /// included. Calls no decider, so a stored decision can be checked again.
    pub async fn check(
        &self,
        incident: &Incident,
        context: Context,
        decision: Decision,
        history: Option<&dyn Store>,
        now: Timestamp,
        approval: Option<policy::ApprovalGrant>,
    ) -> Proposal {
        self.check_resumed(incident, context, decision, history, now, approval, None)
            .await
    }

    /// [`Pipeline::check`] for a decision whose own execution was interrupted at
    /// `own_attempt` (its decision time) and is about to be applied again: that attempt
    /// is not counted against itself by the cooldowns, rate limits and concurrency limit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn check_resumed(
        &self,
        incident: &Incident,
        context: Context,
        decision: Decision,
        history: Option<&dyn Store>,
        now: Timestamp,
        approval: Option<policy::ApprovalGrant>,
        own_attempt: Option<Timestamp>,
    ) -> Proposal {
        let plan = self.plan(incident, &context, &decision).await;
        let mut facts = policy::gather(policy::GatherInput {
            store: history,
            cluster: self.cluster.as_ref(),
            incident,
            context: &context,
            decision: &decision,
            plan: plan.as_ref().ok(),
            now,
            approval,
        })
        .await;
        if let (Some(at), Some(activity)) = (own_attempt, facts.activity.as_mut()) {
            discount_own_attempt(activity, at, now);
        }
        let mut verdict = policy::evaluate(&self.policy, &decision, &facts);
        match &plan {
            Ok(plan) => verdict.checks.push(Check {
                name: "plan".into(),
                passed: true,
                reason: format!("parameters within bounds; {}", plan.summary),
            }),
            Err(e) => {
                let name = match e {
                    ActionError::OutOfBounds { .. } => "parameter_bounds",
                    _ => "plan",
                };
                verdict.checks.push(Check {
                    name: name.into(),
                    passed: false,
                    reason: e.to_string(),
                });
                verdict.kind = VerdictKind::Deny;
            }
        }
        Proposal {
            incident: incident.clone(),
            context,
            decision,
            facts,
            verdict,
            plan,
        }
    }

    /// Plans `decision` against the cluster as it is now.
    pub async fn plan(
        &self,
        incident: &Incident,
        context: &Context,
        decision: &Decision,
    ) -> Result<crate::actions::Plan, ActionError> {
        let input = PlanInput {
            incident,
            context,
            target: decision.target.as_ref(),
            cluster: self.cluster.as_ref(),
            bounds: &self.bounds,
            settings: &self.settings,
        };
        decision.action.plan(&input).await
    }

    /// Executes a proposal's plan when its verdict allows it (else records it as planned
    /// or skipped) and counts the decision.
    pub async fn carry_out(&self, proposal: Proposal) -> Evaluation {
        let Proposal {
            incident,
            context,
            decision,
            verdict,
            plan,
            ..
        } = proposal;
        let outcome = match plan {
            Ok(plan) => execute::execute(&self.executor, &incident, &verdict, plan).await,
            Err(e) => {
                let now = Timestamp::now();
                Outcome {
                    status: OutcomeStatus::Skipped,
                    plan: None,
                    results: Vec::new(),
                    error: Some(e.to_string()),
                    started_at: now,
                    finished_at: now,
                }
            }
        };
        self.metrics.decided(&decision, &verdict);
        Evaluation {
            incident,
            context,
            decision,
            verdict,
            outcome,
        }
    }
}

/// Removes an interrupted attempt (decided at `at`) of the decision being resumed from the
/// recent activity: it is the same action, not another one.
fn discount_own_attempt(activity: &mut policy::Activity, at: Timestamp, now: Timestamp) {
    activity.executing = activity.executing.saturating_sub(1);
    if now.as_millisecond() - at.as_millisecond() < 3_600_000 {
        activity.executed_last_hour = activity.executed_last_hour.saturating_sub(1);
        activity.executed_last_hour_in_namespace = activity.executed_last_hour_in_namespace.saturating_sub(1);
    }
    let own = |last: Option<Timestamp>| last.filter(|t| t.as_millisecond() != at.as_millisecond());
    activity.last_on_target = own(activity.last_on_target);
    activity.last_on_fingerprint = own(activity.last_on_fingerprint);
}

/// The chain always decides; should a decider still pass, escalate rather than drop
/// the incident.
fn unreachable_fallback(incident: &Incident, context: &Context) -> Decision {
    Decision {
        action: crate::actions::Action::Escalate(crate::actions::Escalate { reason: None }),
        target: context.target.clone(),
        rationale: format!("No decider proposed an action for {}.", incident.alertname),
        confidence: 1.0,
        decided_by: crate::decide::DecidedBy {
            decider: "fallback".into(),
            name: "escalate".into(),
        },
        alternatives: Vec::new(),
        llm: None,
    }
}
