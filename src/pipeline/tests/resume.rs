//! Resuming an execution whose process died (its lease ran out with the incident
//! `executing`): the cluster is checked before anything is retried.

use jiff::{SignedDuration, Timestamp};

use super::{crash_looping, pipeline, stored};
use crate::actions::{Action, RolloutRestart, ScaleDeployment};
use crate::cluster::ObjectRef;
use crate::decide::{DecidedBy, Decision};
use crate::execute::{Outcome, OutcomeStatus};
use crate::pipeline::Pipeline;
use crate::policy::Mode;
use crate::store::sql::testing::{TestDb, on_both_backends};
use crate::store::{DecisionRecord, ProcessingState, Store};

on_both_backends!(
    an_applied_plan_is_verified_not_repeated,
    an_idempotent_action_is_applied_again,
    a_restart_is_left_to_a_human,
);

fn web() -> ObjectRef {
    ObjectRef::namespaced("Deployment", "default", "web")
}

fn decision(action: Action) -> Decision {
    Decision {
        action,
        target: Some(web()),
        rationale: "test".into(),
        confidence: 1.0,
        decided_by: DecidedBy {
            decider: "rules".into(),
            name: "test".into(),
        },
        alternatives: Vec::new(),
        llm: None,
    }
}

/// Stores an incident left `executing` `decision` by a process that died (its lease ran
/// out a second ago); returns its id and the plan's operations.
async fn interrupted(
    pipeline: &Pipeline,
    store: &dyn Store,
    decision: Decision,
) -> (String, Vec<crate::cluster::Operation>) {
    let incident = crash_looping("fp-resume");
    let id = stored(store, incident.clone()).await;
    let now = Timestamp::now();
    let gone = now.checked_sub(SignedDuration::from_secs(1)).unwrap();
    store.claim_id(&id, "dead", now, gone).await.unwrap().expect("claimed");
    let context = pipeline.context_for(&incident, Some(store), now).await;
    let proposal = pipeline
        .check(&incident, context, decision, Some(store), now, None)
        .await;
    assert!(proposal.verdict.executes(), "{:#?}", proposal.verdict);
    let plan = proposal.plan.expect("a plan");
    let operations = plan.operations.clone();
    let intent = DecisionRecord {
        context: proposal.context,
        decision: proposal.decision,
        verdict: proposal.verdict,
        outcome: Outcome {
            status: OutcomeStatus::Planned,
            plan: Some(plan),
            results: Vec::new(),
            error: None,
            started_at: now,
            finished_at: now,
        },
        state: ProcessingState::Executing,
        decided_at: now,
        latency_ms: 1,
        model: None,
        tokens_in: None,
        tokens_out: None,
        assessment: None,
    };
    store.start_execution(&id, "dead", &intent, gone).await.unwrap();
    (id, operations)
}

async fn replicas(pipeline: &Pipeline) -> i64 {
    let object = pipeline.cluster.get(&web()).await.unwrap().expect("the deployment");
    object.0["spec"]["replicas"].as_i64().unwrap()
}

async fn an_applied_plan_is_verified_not_repeated(db: &TestDb) {
    let store = db.store.as_ref();
    let (pipeline, _) = pipeline(Mode::Autonomous).await;
    let scale = Action::ScaleDeployment(ScaleDeployment {
        replicas: Some(3),
        delta: None,
    });
    let (id, operations) = interrupted(&pipeline, store, decision(scale)).await;
    // The dead process had applied it.
    for op in &operations {
        pipeline.cluster.apply(op).await.unwrap();
    }
    assert_eq!(replicas(&pipeline).await, 3);
    let state = pipeline.process(store, &id).await.unwrap().expect("reclaimed");
    assert_eq!(state, ProcessingState::Executed);
    let record = store.get(&id).await.unwrap().unwrap().decision.unwrap();
    assert_eq!(record.state, ProcessingState::Executed);
    assert!(
        record.outcome.results[0].starts_with("verified after a restart: the cluster already shows it done"),
        "{:?}",
        record.outcome.results
    );
    assert_eq!(replicas(&pipeline).await, 3);
}

async fn an_idempotent_action_is_applied_again(db: &TestDb) {
    let store = db.store.as_ref();
    let (pipeline, _) = pipeline(Mode::Autonomous).await;
    let scale = Action::ScaleDeployment(ScaleDeployment {
        replicas: Some(2),
        delta: None,
    });
    let before = replicas(&pipeline).await;
    let (id, _) = interrupted(&pipeline, store, decision(scale)).await;
    assert_eq!(replicas(&pipeline).await, before, "the dead process applied nothing");
    let state = pipeline.process(store, &id).await.unwrap().expect("reclaimed");
    let record = store.get(&id).await.unwrap().unwrap().decision.unwrap();
    assert_eq!(state, ProcessingState::Executed, "{:#?}", record.outcome);
    assert!(
        record.outcome.results[0].starts_with("re-applied after a restart"),
        "{:?}",
        record.outcome.results
    );
    assert_eq!(replicas(&pipeline).await, 2);
}

async fn a_restart_is_left_to_a_human(db: &TestDb) {
    let store = db.store.as_ref();
    let (pipeline, _) = pipeline(Mode::Autonomous).await;
    let restart = Action::RolloutRestart(RolloutRestart::default());
    let (id, _) = interrupted(&pipeline, store, decision(restart)).await;
    let state = pipeline.process(store, &id).await.unwrap().expect("reclaimed");
    assert_eq!(state, ProcessingState::Interrupted);
    let stored = store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Interrupted);
    let error = stored.error.expect("a reason for a human");
    assert!(error.contains("rollout_restart is not safe to apply twice"), "{error}");
    assert!(error.contains("Check deployment/default/web by hand"), "{error}");
    assert!(pipeline.process(store, &id).await.unwrap().is_none(), "nothing retried");
}
