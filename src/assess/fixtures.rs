//! Test fixtures for history and assessment: incidents and decision records built so that
//! tests read as sentences (`Record::executed(restart(), t(60)).on("shop", "api")`).
//! Test support only.

use jiff::Timestamp;

use crate::actions::{Action, Escalate, Plan, RollbackDeployment, RolloutRestart, ScaleDeployment};
use crate::assess::{Assessment, AssessmentConfig, AssessmentState, Components};
use crate::cluster::ObjectRef;
use crate::context::{ContainerFacts, Context, PodFacts, WorkloadFacts};
use crate::decide::{DecidedBy, Decision};
use crate::execute::{Outcome, OutcomeStatus};
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::policy::{Verdict, VerdictKind};
use crate::store::{DecisionRecord, ProcessingState, Recorded, Store};

/// `2026-01-01T00:00:00Z` plus `seconds`.
pub(crate) fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + seconds).expect("valid time")
}

/// A firing alert about pod `namespace/pod` of Deployment `workload`.
pub(crate) fn firing(alertname: &str, fingerprint: &str, namespace: &str, pod: &str, starts_at: Timestamp) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: fingerprint.into(),
        status: AlertStatus::Firing,
        alertname: alertname.into(),
        severity: Some("warning".into()),
        labels: Labels::from([
            ("alertname".to_string(), alertname.to_string()),
            ("namespace".to_string(), namespace.to_string()),
            ("pod".to_string(), pod.to_string()),
        ]),
        annotations: Labels::new(),
        starts_at,
        ends_at: None,
        generator_url: None,
        receiver: Some("medic".into()),
        group_key: None,
        target: Some(TargetRef {
            kind: TargetKind::Pod,
            namespace: Some(namespace.into()),
            name: pod.into(),
            container: None,
        }),
    }
}

/// The resolved notification of an alert.
pub(crate) fn resolved(incident: &Incident, ends_at: Timestamp) -> Incident {
    Incident {
        status: AlertStatus::Resolved,
        ends_at: Some(ends_at),
        ..incident.clone()
    }
}

/// `rollout_restart`.
pub(crate) fn restart() -> Action {
    Action::RolloutRestart(RolloutRestart::default())
}

/// `rollback_deployment`.
pub(crate) fn rollback() -> Action {
    Action::RollbackDeployment(RollbackDeployment::default())
}

/// `scale_deployment` to `replicas`.
pub(crate) fn scale_to(replicas: i32) -> Action {
    Action::ScaleDeployment(ScaleDeployment {
        replicas: Some(replicas),
        ..ScaleDeployment::default()
    })
}

/// `escalate`.
pub(crate) fn escalate() -> Action {
    Action::Escalate(Escalate::default())
}

/// A decision record under construction.
pub(crate) struct Record(DecisionRecord);

impl Record {
    /// `action` executed at `at` on Deployment `shop/api` (2 replicas, one pod
    /// crash-looping with 5 restarts), by rule `test-rule`.
    pub fn executed(action: Action, at: Timestamp) -> Record {
        Record(DecisionRecord {
            context: Context::default(),
            decision: Decision {
                action,
                target: None,
                rationale: "a test decision".into(),
                confidence: 0.8,
                decided_by: DecidedBy {
                    decider: "rules".into(),
                    name: "test-rule".into(),
                },
                alternatives: vec![],
                llm: None,
            },
            verdict: Verdict {
                kind: VerdictKind::Allow,
                dry_run: false,
                checks: vec![],
            },
            outcome: Outcome {
                status: OutcomeStatus::Executed,
                plan: None,
                results: vec!["applied".into()],
                error: None,
                started_at: at,
                finished_at: at,
            },
            state: ProcessingState::Executed,
            decided_at: at,
            latency_ms: 10,
            model: None,
            tokens_in: None,
            tokens_out: None,
            assessment: None,
        })
        .on("shop", "api", 2)
    }

    /// Aimed at Deployment `namespace/name` with `replicas`, about its pod `name-pod-1`.
    pub fn on(mut self, namespace: &str, name: &str, replicas: i32) -> Record {
        let deployment = ObjectRef::namespaced("Deployment", namespace, name);
        let pod = format!("{name}-pod-1");
        self.0.decision.target = Some(deployment.clone());
        self.0.context = Context {
            target: Some(ObjectRef::namespaced("Pod", namespace, &pod)),
            target_found: true,
            owners: vec![deployment.clone()],
            workload: Some(WorkloadFacts {
                reference: deployment,
                replicas: Some(replicas),
                ready_replicas: Some(replicas - 1),
                available_replicas: Some(replicas - 1),
                revision: Some(2),
                previous_revision: Some(1),
                revision_age_seconds: Some(600),
                paused: false,
                progressing_reason: None,
            }),
            pods: vec![PodFacts {
                name: pod,
                phase: Some("Running".into()),
                ready: false,
                node: Some("worker-1".into()),
                terminating: false,
                containers: vec![ContainerFacts {
                    name: "app".into(),
                    ready: false,
                    restart_count: 5,
                    waiting_reason: Some("CrashLoopBackOff".into()),
                    waiting_message: None,
                    last_termination_reason: Some("Error".into()),
                    last_exit_code: Some(1),
                    image: None,
                    memory_limit: None,
                    cpu_limit: None,
                }],
            }],
            ..Context::default()
        };
        self
    }

    /// Only planned (dry-run).
    pub fn planned(mut self) -> Record {
        self.0.verdict.dry_run = true;
        self.0.outcome.status = OutcomeStatus::Planned;
        self.0.outcome.plan = Some(Plan {
            action: self.0.decision.action_name().into(),
            target: self.0.decision.target.clone(),
            summary: "a planned change".into(),
            operations: vec![],
            changes: vec![],
            notes: vec![],
            artifacts: vec![],
        });
        self.0.state = ProcessingState::Planned;
        self
    }

    /// Execution failed with `error`.
    pub fn failed(mut self, error: &str) -> Record {
        self.0.outcome.status = OutcomeStatus::Failed;
        self.0.outcome.error = Some(error.into());
        self.0.state = ProcessingState::Failed;
        self
    }

    /// With the assessment the pipeline would schedule under `config`.
    pub fn scheduled(mut self, config: &AssessmentConfig) -> Record {
        let r = &self.0;
        self.0.assessment = crate::assess::schedule::schedule(config, &r.decision, &r.context, &r.outcome);
        assert!(self.0.assessment.is_some(), "only executed actions are scheduled");
        self
    }

    /// With a final assessment that scored `score`.
    pub fn scored(mut self, score: f64) -> Record {
        let at = self.0.outcome.finished_at;
        self.0.assessment = Some(Assessment {
            state: AssessmentState::Final,
            subject: self.0.decision.target.clone(),
            executed_at: at,
            due_at: at,
            recurrence_until: at,
            baseline: Default::default(),
            score: Some(score),
            components: Some(Components {
                health: Some(score),
                alert: Some(score),
                recurrence: Some(score),
            }),
            evidence: vec![],
            scored_at: Some(at),
            revisions: 0,
        });
        self
    }

    /// Decided by a model.
    pub fn by_model(mut self, model: &str, tokens_in: i64, tokens_out: i64) -> Record {
        self.0.decision.decided_by = DecidedBy {
            decider: "llm".into(),
            name: model.into(),
        };
        self.0.model = Some(model.into());
        self.0.tokens_in = Some(tokens_in);
        self.0.tokens_out = Some(tokens_out);
        self
    }

    /// The record so far.
    pub fn peek(&self) -> &DecisionRecord {
        &self.0
    }

    /// The record.
    pub fn build(self) -> DecisionRecord {
        self.0
    }
}

/// Records `incident` at `at` and stores `record` as its decision, returning its id.
pub(crate) async fn decided(store: &dyn Store, incident: &Incident, at: Timestamp, record: Record) -> String {
    let id = match store
        .record_alerts(std::slice::from_ref(incident), at)
        .await
        .unwrap()
        .as_slice()
    {
        [Recorded::New { id }] => id.clone(),
        other => panic!("expected a new incident, got {other:?}"),
    };
    assert!(store.claim(&id, at).await.unwrap());
    store.save_result(&id, &record.build()).await.unwrap();
    id
}
