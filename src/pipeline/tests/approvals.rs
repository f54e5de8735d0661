//! Held decisions through approval: approved → re-checked → executed without asking the
//! decider again; approved, but the cluster changed so the re-check denies; expiry.

use std::sync::atomic::Ordering;

use jiff::{SignedDuration, Timestamp};

use super::{crash_looping, pipeline, stored};
use crate::cluster::{ObjectRef, Operation};
use crate::policy::{Mode, VerdictKind};
use crate::store::sql::testing::{TestDb, on_both_backends};
use crate::store::{Answer, Answered, ApprovalState, ApprovalStore, ProcessingState, Store};

on_both_backends!(
    held_then_approved_is_rechecked_and_executed,
    approved_but_the_cluster_changed_is_denied,
    an_unanswered_approval_expires,
);

/// Processes `id`, expecting it claimed; its new state.
async fn process(pipeline: &crate::pipeline::Pipeline, store: &dyn Store, id: &str) -> ProcessingState {
    pipeline.process(store, id).await.expect("processed").expect("claimed")
}

/// Approves the incident's pending approval as alice.
async fn approve(store: &dyn Store, id: &str) {
    let approval = store.approval_of(id).await.unwrap().expect("an approval");
    assert_eq!(approval.state, ApprovalState::Pending);
    let answered = store
        .answer(
            approval.id,
            Answer::Approve,
            "alice",
            Some("looked at it"),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(matches!(answered, Answered::Done(_)), "{answered:?}");
}

async fn held_then_approved_is_rechecked_and_executed(db: &TestDb) {
    let store = db.store.as_ref();
    let (pipeline, decider) = pipeline(Mode::Approve).await;
    let id = stored(store, crash_looping("fp-held")).await;
    assert_eq!(process(&pipeline, store, &id).await, ProcessingState::Held);
    assert_eq!(decider.calls.load(Ordering::SeqCst), 1);
    let held = store.get(&id).await.unwrap().unwrap().decision.unwrap();
    assert_eq!(held.verdict.kind, VerdictKind::Hold);
    assert!(
        pipeline.process(store, &id).await.unwrap().is_none(),
        "held waits for a human"
    );

    approve(store, &id).await;
    assert_eq!(process(&pipeline, store, &id).await, ProcessingState::Executed);
    assert_eq!(
        decider.calls.load(Ordering::SeqCst),
        1,
        "the stored decision is re-checked, not re-decided"
    );
    let executed = store.get(&id).await.unwrap().unwrap();
    assert_eq!(executed.state, ProcessingState::Executed);
    let record = executed.decision.unwrap();
    assert_eq!(record.decision, held.decision);
    assert_eq!(record.verdict.kind, VerdictKind::Allow, "{:#?}", record.verdict);
    assert!(!record.outcome.results.is_empty(), "{:#?}", record.outcome);
    assert!(pipeline.process(store, &id).await.unwrap().is_none(), "executed once");
}

async fn approved_but_the_cluster_changed_is_denied(db: &TestDb) {
    let store = db.store.as_ref();
    let (pipeline, _) = pipeline(Mode::Approve).await;
    let id = stored(store, crash_looping("fp-changed")).await;
    assert_eq!(process(&pipeline, store, &id).await, ProcessingState::Held);
    approve(store, &id).await;
    // Meanwhile someone deleted the Deployment medic wanted to roll back.
    let web = ObjectRef::namespaced("Deployment", "default", "web");
    pipeline
        .cluster
        .apply(&Operation::Delete {
            target: web,
            grace_period_seconds: None,
            uid: None,
        })
        .await
        .expect("delete the deployment");
    assert_eq!(process(&pipeline, store, &id).await, ProcessingState::Denied);
    let record = store.get(&id).await.unwrap().unwrap().decision.unwrap();
    assert_eq!(record.verdict.kind, VerdictKind::Deny);
    let failed: Vec<_> = record.verdict.checks.iter().filter(|c| !c.passed).collect();
    assert!(!failed.is_empty(), "{:#?}", record.verdict);
    assert_eq!(record.outcome.results, Vec::<String>::new(), "nothing was applied");
}

async fn an_unanswered_approval_expires(db: &TestDb) {
    let store = db.store.as_ref();
    let (pipeline, _) = pipeline(Mode::Approve).await;
    let id = stored(store, crash_looping("fp-expires")).await;
    assert_eq!(process(&pipeline, store, &id).await, ProcessingState::Held);
    let approval = store.approval_of(&id).await.unwrap().unwrap();
    assert_eq!(
        approval.expires_at,
        approval
            .requested_at
            .checked_add(SignedDuration::from_mins(30))
            .unwrap(),
        "approvals.expiry defaults to 30m"
    );
    let later = approval.expires_at.checked_add(SignedDuration::from_secs(1)).unwrap();
    let expired = store.expire_approvals(later, 10).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(store.get(&id).await.unwrap().unwrap().state, ProcessingState::Expired);
    let answered = store
        .answer(approval.id, Answer::Approve, "alice", None, later)
        .await
        .unwrap();
    assert!(matches!(answered, Answered::NotPending(_)), "{answered:?}");
    assert!(
        pipeline.process(store, &id).await.unwrap().is_none(),
        "nothing left to do"
    );
}
