//! History judgments on hand-made histories: ineffective actions, last outcomes,
//! flapping, repeated failure, and the policy check built on them.

use jiff::Timestamp;
use serde_json::json;

use super::facts::facts;
use super::oscillation::{Direction, OscillationKind, detect, direction, policy_check, scale_moves};
use super::*;
use crate::actions::{Action, RolloutRestart, ScaleDeployment};
use crate::assess::fixtures::t;
use crate::assess::{Assessment, AssessmentConfig, AssessmentState};
use crate::cluster::ObjectRef;
use crate::context::{Context, WorkloadFacts};
use crate::decide::{DecidedBy, Decision};
use crate::execute::OutcomeStatus;
use crate::store::ProcessingState;

const API: &str = "deployment/shop/api";

/// One history entry: `action` with `params` on `target` at `at`.
fn entry(alertname: &str, action: &str, params: serde_json::Value, at: Timestamp) -> HistoryEntry {
    HistoryEntry {
        incident_id: format!("inc-{}", at.as_second()),
        alertname: alertname.into(),
        fingerprint: "fp".into(),
        alert_status: "firing".into(),
        state: ProcessingState::Executed,
        namespace: Some("shop".into()),
        target: Some("Pod/shop/api-1".into()),
        workload_kind: Some("Deployment".into()),
        workload: Some("api".into()),
        received_at: at,
        resolved_at: None,
        error: None,
        decision: Some(PastDecision {
            action: action.into(),
            params,
            target: Some(API.into()),
            decider: "rules".into(),
            decided_by: "r".into(),
            model: None,
            tokens_in: None,
            tokens_out: None,
            confidence: 0.8,
            verdict: "allow".into(),
            decided_at: at,
            latency_ms: 5,
            replicas_before: None,
            outcome: PastOutcome {
                status: OutcomeStatus::Executed,
                error: None,
                started_at: at,
                finished_at: at,
            },
            assessment: None,
        }),
    }
}

trait EntryExt {
    fn with_replicas_before(self, n: i64) -> Self;
    fn failed(self) -> Self;
    fn scored(self, score: f64) -> Self;
    fn planned(self) -> Self;
}

impl EntryExt for HistoryEntry {
    fn with_replicas_before(mut self, n: i64) -> Self {
        self.decision.as_mut().unwrap().replicas_before = Some(n);
        self
    }
    fn failed(mut self) -> Self {
        self.decision.as_mut().unwrap().outcome.status = OutcomeStatus::Failed;
        self
    }
    fn scored(mut self, score: f64) -> Self {
        let at = self.received_at;
        self.decision.as_mut().unwrap().assessment = Some(Assessment {
            state: AssessmentState::Final,
            subject: None,
            executed_at: at,
            due_at: at,
            recurrence_until: at,
            baseline: Default::default(),
            score: Some(score),
            components: None,
            evidence: vec![],
            scored_at: Some(at),
            revisions: 0,
        });
        self
    }
    fn planned(mut self) -> Self {
        self.decision.as_mut().unwrap().outcome.status = OutcomeStatus::Planned;
        self
    }
}

fn scale(to: i64, from: i64, at: Timestamp) -> HistoryEntry {
    entry("HighLoad", "scale_deployment", json!({"replicas": to}), at).with_replicas_before(from)
}

fn stats(action: &str, assessed: i64, mean: Option<f64>) -> ActionStats {
    ActionStats {
        alertname: "KubePodCrashLooping".into(),
        action: action.into(),
        namespace: Some("shop".into()),
        workload_kind: Some("Deployment".into()),
        workload: Some("api".into()),
        decisions: assessed,
        planned: 0,
        attempts: assessed,
        failures: 0,
        assessed,
        successes: 0,
        mean_score: mean,
        last_outcome: OutcomeStatus::Executed,
        last_score: mean,
        last_at: t(0),
    }
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

fn scale_decision(replicas: i32) -> Decision {
    decision(Action::ScaleDeployment(ScaleDeployment {
        replicas: Some(replicas),
        ..ScaleDeployment::default()
    }))
}

fn context_with_replicas(replicas: i32) -> Context {
    Context {
        target: Some(ObjectRef::namespaced("Deployment", "shop", "api")),
        workload: Some(WorkloadFacts {
            reference: ObjectRef::namespaced("Deployment", "shop", "api"),
            replicas: Some(replicas),
            ready_replicas: Some(replicas),
            available_replicas: Some(replicas),
            revision: None,
            previous_revision: None,
            revision_age_seconds: None,
            paused: false,
            progressing_reason: None,
        }),
        ..Context::default()
    }
}

#[test]
fn an_action_is_ineffective_after_enough_low_scores() {
    let config = AssessmentConfig::default();
    let f = facts(
        "KubePodCrashLooping",
        "shop/api",
        vec![
            stats("rollback_deployment", 3, Some(0.3)),
            stats("rollout_restart", 2, Some(0.1)),
            stats("increase_resources", 4, Some(0.5)),
        ],
        &[],
        &config,
        t(0),
    );
    assert_eq!(f.ineffective.len(), 1, "{:?}", f.ineffective);
    assert_eq!(f.ineffective[0].action, "rollback_deployment");
    assert_eq!(
        f.skip_reason("rollback_deployment").as_deref(),
        Some(
            "its mean effectiveness for KubePodCrashLooping on shop/api is 0.30 over 3 scored attempts, \
             below assessment.skip_below 0.50"
        )
    );
    assert_eq!(f.skip_reason("rollout_restart"), None, "two attempts are not enough");
    assert_eq!(f.skip_reason("increase_resources"), None, "0.5 is not below 0.5");
}

#[test]
fn recent_outcomes_are_the_same_alert_newest_first() {
    let config = AssessmentConfig {
        recent_outcomes: 2,
        ..AssessmentConfig::default()
    };
    let entries = [
        entry("KubePodCrashLooping", "rollout_restart", json!({}), t(300)).scored(0.9),
        entry("HighLoad", "scale_deployment", json!({"replicas": 3}), t(200)),
        entry("KubePodCrashLooping", "rollback_deployment", json!({}), t(100)).failed(),
        entry("KubePodCrashLooping", "rollout_restart", json!({}), t(0)).planned(),
    ];
    let f = facts("KubePodCrashLooping", "shop/api", vec![], &entries, &config, t(400));
    let seen: Vec<(&str, OutcomeStatus, Option<f64>)> = f
        .recent
        .iter()
        .map(|r| (r.action.as_str(), r.outcome, r.score))
        .collect();
    assert_eq!(
        seen,
        [
            ("rollout_restart", OutcomeStatus::Executed, Some(0.9)),
            ("rollback_deployment", OutcomeStatus::Failed, None)
        ]
    );
    assert_eq!(f.recent[0].assessment, Some(AssessmentState::Final));
}

#[test]
fn scale_direction_with_replicas_before_or_delta() {
    assert_eq!(direction(&json!({"replicas": 4}), Some(2)), Some(Direction::Up));
    assert_eq!(direction(&json!({"replicas": 1}), Some(2)), Some(Direction::Down));
    assert_eq!(direction(&json!({"replicas": 2}), Some(2)), None);
    assert_eq!(
        direction(&json!({"replicas": 4}), None),
        None,
        "no count to compare with"
    );
    assert_eq!(direction(&json!({"delta": -1}), None), Some(Direction::Down));
    assert_eq!(direction(&json!({}), Some(2)), None);
}

#[test]
fn up_down_up_within_the_window_is_flapping() {
    let window = 3600;
    let history = [scale(4, 2, t(2000)), scale(2, 4, t(1000)), scale(4, 2, t(0))];
    let found = detect(&history, t(2500), window, 3, 0.5);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, OscillationKind::Flapping);
    assert_eq!(found[0].target, API);
    assert_eq!(found[0].attempts, 3);
    assert_eq!(
        found[0].detail,
        "deployment/shop/api was scaled up 2→4, down 4→2, up 2→4 within 1h: flapping"
    );

    // The first move left the window: one reversal only.
    assert!(detect(&history, t(3700), window, 3, 0.5).is_empty());
    // Same direction every time is not flapping.
    let steady = [scale(6, 4, t(2000)), scale(4, 2, t(0))];
    assert!(detect(&steady, t(2500), window, 3, 0.5).is_empty());
    // Only executed moves count.
    let planned = [scale(4, 2, t(2000)).planned(), scale(2, 4, t(1000)), scale(4, 2, t(0))];
    assert!(detect(&planned, t(2500), window, 3, 0.5).is_empty());
    assert_eq!(scale_moves(&planned, t(2500), window).len(), 2);
}

#[test]
fn the_same_action_failing_or_scoring_low_in_a_row_is_repeated_failure() {
    let restart = |at| entry("KubePodCrashLooping", "rollout_restart", json!({}), at);
    let history = [
        restart(t(300)).scored(0.2),
        restart(t(200)).failed(),
        restart(t(100)).scored(0.1),
        restart(t(0)).scored(1.0),
    ];
    let found = detect(&history, t(400), 3600, 3, 0.5);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, OscillationKind::RepeatedFailure);
    assert_eq!(found[0].action, "rollout_restart");
    assert_eq!(
        found[0].detail,
        "rollout_restart on deployment/shop/api failed or scored below 0.50 3 times in a row within 1h: \
         scored 0.10, failed, scored 0.20"
    );
    // A good latest attempt breaks the streak; an unscored one is no evidence either way.
    let recovered = [
        restart(t(400)).scored(0.9),
        history[0].clone(),
        history[1].clone(),
        history[2].clone(),
    ];
    assert!(detect(&recovered, t(500), 3600, 3, 0.5).is_empty());
    let pending = [
        restart(t(400)),
        history[0].clone(),
        history[1].clone(),
        history[2].clone(),
    ];
    assert!(detect(&pending, t(500), 3600, 3, 0.5).is_empty());
    assert!(detect(&history, t(400), 3600, 4, 0.5).is_empty(), "four in a row asked");
}

#[test]
fn the_policy_check_refuses_oscillating_actions_only() {
    let config = AssessmentConfig::default();
    let flapping = [scale(4, 2, t(2000)), scale(2, 4, t(1000)), scale(4, 2, t(0))];
    let f = facts("HighLoad", "shop/api", vec![], &flapping, &config, t(2500));
    let check = policy_check(Some(&f), &scale_decision(2), &context_with_replicas(4)).unwrap();
    assert!(!check.passed);
    assert_eq!(check.name, "oscillation");
    assert!(check.reason.contains("flapping"), "{}", check.reason);
    let restart = decision(Action::RolloutRestart(RolloutRestart::default()));
    let check = policy_check(Some(&f), &restart, &context_with_replicas(4)).unwrap();
    assert!(check.passed, "another kind of action on the target is not refused");

    // One reversal so far: the next reversal is refused before it happens.
    let one = [scale(2, 4, t(1000)), scale(4, 2, t(0))];
    let f = facts("HighLoad", "shop/api", vec![], &one, &config, t(1500));
    assert!(f.oscillations.is_empty());
    let back_up = policy_check(Some(&f), &scale_decision(4), &context_with_replicas(2)).unwrap();
    assert!(!back_up.passed);
    assert_eq!(
        back_up.reason,
        "scale_deployment on deployment/shop/api would reverse direction again after up 2→4, down 4→2: flapping"
    );
    let further_down = policy_check(Some(&f), &scale_decision(1), &context_with_replicas(2)).unwrap();
    assert!(further_down.passed, "{}", further_down.reason);

    // No history known, or nothing changed: no check at all.
    assert_eq!(policy_check(None, &scale_decision(2), &context_with_replicas(4)), None);
    let escalate = decision(Action::Escalate(Default::default()));
    assert_eq!(policy_check(Some(&f), &escalate, &Context::default()), None);
}

#[test]
fn the_workload_is_the_outermost_owner_then_the_context_s_then_the_target() {
    let job = ObjectRef::namespaced("Job", "batch", "report-123");
    let cron = ObjectRef::namespaced("CronJob", "batch", "report");
    let c = Context {
        target: Some(ObjectRef::namespaced("Pod", "batch", "report-123-x")),
        owners: vec![job.clone(), cron.clone()],
        ..Context::default()
    };
    assert_eq!(workload_of(&c), Some(cron));
    let deployment = context_with_replicas(2);
    assert_eq!(
        workload_of(&deployment),
        Some(ObjectRef::namespaced("Deployment", "shop", "api"))
    );
    let node = Context {
        target: Some(ObjectRef::cluster_scoped("Node", "worker-3")),
        ..Context::default()
    };
    assert_eq!(workload_of(&node), None);
    let incident = crate::assess::fixtures::firing("KubeNodeNotReady", "fp", "x", "y", t(0));
    assert_eq!(subject_of(&incident, &node), Some((None, "worker-3".to_string())));
    assert_eq!(
        subject_of(&incident, &Context::default()),
        Some((Some("x".to_string()), "y".to_string())),
        "without context, the alert's own target"
    );
}
