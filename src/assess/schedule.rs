//! Scheduling: whether an evaluated incident gets an assessment, and when.
//!
//! Only an action that was executed (outcome `executed`) and changes the cluster is
//! scheduled. A planned (dry-run) action is never scored: nothing changed, so there is no
//! effect to judge. A failed execution is recorded in the history as a failure, not
//! scored. Pure: the times come from the outcome and the configuration.

use jiff::Timestamp;

use super::config::{AssessmentConfig, Interval};
use super::model::{Assessment, AssessmentState};
use super::signals::health;
use crate::cluster::ObjectRef;
use crate::context::Context;
use crate::decide::Decision;
use crate::execute::{Outcome, OutcomeStatus};
use crate::history::workload_of;

/// The assessment to schedule for a decision and its outcome, if any.
pub fn schedule(
    config: &AssessmentConfig,
    decision: &Decision,
    context: &Context,
    outcome: &Outcome,
) -> Option<Assessment> {
    if !config.enabled || outcome.status != OutcomeStatus::Executed || !decision.action.kind().mutates() {
        return None;
    }
    let executed_at = outcome.finished_at;
    Some(Assessment {
        state: AssessmentState::Pending,
        subject: subject(decision, context),
        executed_at,
        due_at: after(executed_at, config.stabilization.of(decision.action_name())),
        recurrence_until: after(executed_at, config.recurrence_window),
        baseline: health::baseline(context),
        score: None,
        components: None,
        evidence: Vec::new(),
        scored_at: None,
        revisions: 0,
    })
}

/// What the health signal reads: a node acted on, else the workload, else the target.
fn subject(decision: &Decision, context: &Context) -> Option<ObjectRef> {
    let target = decision.target.clone().or_else(|| context.target.clone());
    if let Some(node) = target.as_ref().filter(|t| t.kind.is("Node")) {
        return Some(node.clone());
    }
    workload_of(context).or(target)
}

/// `at` plus `interval`, saturating.
pub fn after(at: Timestamp, interval: Interval) -> Timestamp {
    at.checked_add(interval.duration()).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, Escalate, RolloutRestart, ScaleDeployment};
    use crate::context::{ContainerFacts, PodFacts, WorkloadFacts};
    use crate::decide::DecidedBy;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + seconds).unwrap()
    }

    fn decision(action: Action) -> Decision {
        Decision {
            action,
            target: Some(ObjectRef::namespaced("Deployment", "shop", "api")),
            rationale: String::new(),
            confidence: 0.8,
            decided_by: DecidedBy {
                decider: "rules".into(),
                name: "r".into(),
            },
            alternatives: vec![],
            llm: None,
        }
    }

    fn outcome(status: OutcomeStatus) -> Outcome {
        Outcome {
            status,
            plan: None,
            results: vec![],
            error: None,
            started_at: t(0),
            finished_at: t(2),
        }
    }

    fn context() -> Context {
        Context {
            target: Some(ObjectRef::namespaced("Pod", "shop", "api-1")),
            target_found: true,
            workload: Some(WorkloadFacts {
                reference: ObjectRef::namespaced("Deployment", "shop", "api"),
                replicas: Some(2),
                ready_replicas: Some(1),
                available_replicas: Some(1),
                revision: None,
                previous_revision: None,
                revision_age_seconds: None,
                paused: false,
                progressing_reason: None,
            }),
            pods: vec![PodFacts {
                name: "api-1".into(),
                phase: Some("Running".into()),
                ready: false,
                node: None,
                terminating: false,
                containers: vec![ContainerFacts {
                    name: "api".into(),
                    ready: false,
                    restart_count: 7,
                    waiting_reason: Some("CrashLoopBackOff".into()),
                    waiting_message: None,
                    last_termination_reason: None,
                    last_exit_code: None,
                    image: None,
                    memory_limit: None,
                    cpu_limit: None,
                }],
            }],
            ..Context::default()
        }
    }

    #[test]
    fn executed_actions_are_scheduled_after_their_stabilization_window() {
        let config = AssessmentConfig::default();
        let restart = decision(Action::RolloutRestart(RolloutRestart::default()));
        let a = schedule(&config, &restart, &context(), &outcome(OutcomeStatus::Executed)).unwrap();
        assert_eq!(a.state, AssessmentState::Pending);
        assert_eq!(a.executed_at, t(2));
        assert_eq!(a.due_at, t(2 + 600), "rollout_restart waits 10 minutes by default");
        assert_eq!(a.recurrence_until, t(2 + 3600));
        assert_eq!(a.subject, Some(ObjectRef::namespaced("Deployment", "shop", "api")));
        assert_eq!((a.baseline.pods, a.baseline.ready), (1, 0));
        assert_eq!(a.baseline.restarts[0].restarts, 7);

        let scale = decision(Action::ScaleDeployment(ScaleDeployment::default()));
        let a = schedule(&config, &scale, &context(), &outcome(OutcomeStatus::Executed)).unwrap();
        assert_eq!(a.due_at, t(2 + 300), "the default window is 5 minutes");
    }

    #[test]
    fn nothing_is_scheduled_unless_a_change_was_executed() {
        let config = AssessmentConfig::default();
        let restart = decision(Action::RolloutRestart(RolloutRestart::default()));
        for status in [OutcomeStatus::Planned, OutcomeStatus::Failed, OutcomeStatus::Skipped] {
            assert_eq!(
                schedule(&config, &restart, &context(), &outcome(status)),
                None,
                "{status:?}"
            );
        }
        let escalate = decision(Action::Escalate(Escalate::default()));
        assert_eq!(
            schedule(&config, &escalate, &context(), &outcome(OutcomeStatus::Executed)),
            None
        );
        let off = AssessmentConfig {
            enabled: false,
            ..AssessmentConfig::default()
        };
        assert_eq!(
            schedule(&off, &restart, &context(), &outcome(OutcomeStatus::Executed)),
            None
        );
    }
}
