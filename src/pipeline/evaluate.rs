//! Running one incident through the stages.

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;
use tracing::Instrument;

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
use crate::store::{DecisionRecord, ProcessingState, Store, StoreError};
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
        let decision = match self.decider.decide(incident, &context).await {
            Ok(Some(d)) => d,
            Ok(None) | Err(_) => unreachable_fallback(incident, &context),
        };
        let facts = policy::gather(policy::GatherInput {
            store: history,
            cluster: self.cluster.as_ref(),
            incident,
            context: &context,
            decision: &decision,
            plan: None,
            now,
            approval: None,
        })
        .await;
        let mut verdict = policy::evaluate(&self.policy, &decision, &facts);
        let input = PlanInput {
            incident,
            context: &context,
            target: decision.target.as_ref(),
            cluster: self.cluster.as_ref(),
            bounds: &self.bounds,
            settings: &self.settings,
        };
        let planned = decision.action.plan(&input).await;
        let outcome = match planned {
            Ok(plan) => {
                verdict.checks.push(Check {
                    name: "plan".into(),
                    passed: true,
                    reason: format!("parameters within bounds; {}", plan.summary),
                });
                execute::execute(&self.executor, incident, &verdict, plan).await
            }
            Err(e) => {
                let name = match &e {
                    ActionError::OutOfBounds { .. } => "parameter_bounds",
                    _ => "plan",
                };
                verdict.checks.push(Check {
                    name: name.into(),
                    passed: false,
                    reason: e.to_string(),
                });
                verdict.kind = VerdictKind::Deny;
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
            incident: incident.clone(),
            context,
            decision,
            verdict,
            outcome,
        }
    }

    /// Claims a stored incident, evaluates it and stores the result. Returns the new
    /// state, or `None` when the incident was not there to claim (already taken or done).
    pub async fn process(&self, store: &dyn Store, id: &str) -> Result<Option<ProcessingState>, StoreError> {
        let started = Instant::now();
        if !store.claim(id, Timestamp::now()).await? {
            return Ok(None);
        }
        let Some(stored) = store.get(id).await? else {
            return Ok(None);
        };
        let span = tracing::info_span!("incident", incident = %id, alertname = %stored.incident.alertname);
        let evaluation = self
            .evaluate_with_history(&stored.incident, Some(store))
            .instrument(span.clone())
            .await;
        let state = evaluation.state();
        let received_ms = stored.received_at.as_millisecond();
        let decided_at = Timestamp::now();
        let assessment = crate::assess::schedule::schedule(
            &self.assessment,
            &evaluation.decision,
            &evaluation.context,
            &evaluation.outcome,
        );
        // A model-backed decision reports its model and tokens; rules have none.
        let usage = evaluation.decision.llm.clone();
        let record = DecisionRecord {
            context: evaluation.context,
            decision: evaluation.decision,
            verdict: evaluation.verdict,
            outcome: evaluation.outcome,
            state,
            decided_at,
            latency_ms: (decided_at.as_millisecond() - received_ms).max(0),
            model: usage.as_ref().map(|u| u.model.clone()),
            tokens_in: usage.as_ref().map(|u| i64::try_from(u.tokens_in).unwrap_or(i64::MAX)),
            tokens_out: usage.as_ref().map(|u| i64::try_from(u.tokens_out).unwrap_or(i64::MAX)),
            assessment,
        };
        store.save_result(id, &record).await?;
        if let Some(memory) = &self.memory {
            memory.remember_logged(id, &stored.incident, &record).await;
        }
        self.metrics.observe_processing(started.elapsed());
        let _enter = span.enter();
        tracing::info!(
            action = record.decision.action_name(),
            verdict = record.verdict.kind.as_str(),
            state = state.as_str(),
            "incident decided"
        );
        Ok(Some(state))
    }
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
