//! The approvals contract on both backends: approve, reject, answering twice, unknown
//! ids, expiry (by answer and by the sweep), and the list.

use super::processing_tests::{new_incident, record, state_of, t};
use super::testing::{TestDb, on_both_backends};
use crate::policy::VerdictKind;
use crate::store::{Answer, Answered, ApprovalState, ApprovalStore, ProcessingState, ProcessingStore, Store};

on_both_backends!(
    approving_moves_the_incident_to_approved_and_claimable,
    rejecting_moves_the_incident_to_rejected,
    an_approval_is_answered_once,
    an_unknown_approval_is_not_found,
    an_expired_approval_cannot_be_approved,
    the_sweep_expires_unanswered_approvals,
    the_list_shows_what_is_held_and_why,
);

/// An incident held at `t(2)` whose approval expires at `t(1802)`; (incident, approval).
async fn held(store: &dyn Store, name: &str) -> (String, i64) {
    let id = new_incident(store, name, t(0)).await;
    store.claim_id(&id, "a", t(1), t(61)).await.unwrap().unwrap();
    let approval = store
        .save_decided(
            &id,
            "a",
            &record(ProcessingState::Held, VerdictKind::Hold, t(2)),
            Some(t(1802)),
        )
        .await
        .unwrap()
        .unwrap();
    (id, approval)
}

async fn approving_moves_the_incident_to_approved_and_claimable(db: &TestDb) {
    let s = db.store.as_ref();
    let (id, approval) = held(s, "A").await;
    let answered = s
        .answer(approval, Answer::Approve, "alice", Some("checked the graphs"), t(100))
        .await
        .unwrap();
    let Answered::Done(a) = answered else {
        panic!("expected Done, got {answered:?}")
    };
    assert_eq!(a.state, ApprovalState::Approved);
    assert_eq!(a.decided_by.as_deref(), Some("alice"));
    assert_eq!(a.reason.as_deref(), Some("checked the graphs"));
    assert_eq!(a.decided_at, Some(t(100)));
    assert_eq!(state_of(s, &id).await, ProcessingState::Approved);
    let claimed = s.claim_next("b", t(101), t(161), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].state,
        ProcessingState::Approved,
        "the worker re-checks, not re-decides"
    );
    assert!(s.claim_next("c", t(102), t(162), 10).await.unwrap().is_empty());
    let audited = db.store.audit_recent(Some(&id), 10).await.unwrap();
    let approval_record = audited.iter().find(|r| r.kind == "approval").expect("audited");
    assert_eq!(approval_record.actor, "alice");
}

async fn rejecting_moves_the_incident_to_rejected(db: &TestDb) {
    let s = db.store.as_ref();
    let (id, approval) = held(s, "A").await;
    let answered = s.answer(approval, Answer::Reject, "bob", None, t(100)).await.unwrap();
    assert!(
        matches!(answered, Answered::Done(ref a) if a.state == ApprovalState::Rejected),
        "{answered:?}"
    );
    assert_eq!(state_of(s, &id).await, ProcessingState::Rejected);
    assert!(ProcessingState::Rejected.is_final());
    assert!(s.claim_next("b", t(101), t(161), 10).await.unwrap().is_empty());
}

async fn an_approval_is_answered_once(db: &TestDb) {
    let s = db.store.as_ref();
    let (id, approval) = held(s, "A").await;
    let (one, two) = tokio::join!(
        s.answer(approval, Answer::Approve, "alice", None, t(100)),
        s.answer(approval, Answer::Reject, "bob", None, t(100)),
    );
    let answers = [one.unwrap(), two.unwrap()];
    let done: Vec<_> = answers.iter().filter(|a| matches!(a, Answered::Done(_))).collect();
    assert_eq!(done.len(), 1, "{answers:?}");
    assert!(
        answers.iter().any(|a| matches!(a, Answered::NotPending(_))),
        "{answers:?}"
    );
    let later = s
        .answer(approval, Answer::Approve, "carol", None, t(200))
        .await
        .unwrap();
    match later {
        Answered::NotPending(a) => assert_ne!(a.decided_by.as_deref(), Some("carol")),
        other => panic!("expected NotPending, got {other:?}"),
    }
    assert_ne!(state_of(s, &id).await, ProcessingState::Held);
}

async fn an_unknown_approval_is_not_found(db: &TestDb) {
    let answered = db
        .store
        .answer(4242, Answer::Approve, "alice", None, t(1))
        .await
        .unwrap();
    assert_eq!(answered, Answered::NotFound);
    assert_eq!(db.store.approval_of("no-such-incident").await.unwrap(), None);
}

async fn an_expired_approval_cannot_be_approved(db: &TestDb) {
    let s = db.store.as_ref();
    let (id, approval) = held(s, "A").await;
    let answered = s
        .answer(approval, Answer::Approve, "alice", None, t(1802))
        .await
        .unwrap();
    match answered {
        Answered::Expired(a) => {
            assert_eq!(a.state, ApprovalState::Expired);
            assert_eq!(a.decided_by.as_deref(), Some("medic"));
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    assert_eq!(state_of(s, &id).await, ProcessingState::Expired);
    assert!(matches!(
        s.answer(approval, Answer::Approve, "alice", None, t(1803))
            .await
            .unwrap(),
        Answered::NotPending(_)
    ));
}

async fn the_sweep_expires_unanswered_approvals(db: &TestDb) {
    let s = db.store.as_ref();
    let (first, _) = held(s, "A").await;
    let (second, answered) = held(s, "B").await;
    s.answer(answered, Answer::Approve, "alice", None, t(10)).await.unwrap();
    assert!(s.expire_approvals(t(1801), 100).await.unwrap().is_empty(), "not yet");
    let expired = s.expire_approvals(t(1802), 100).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].incident_id, first);
    assert_eq!(expired[0].state, ApprovalState::Expired);
    assert_eq!(state_of(s, &first).await, ProcessingState::Expired);
    assert_eq!(
        state_of(s, &second).await,
        ProcessingState::Approved,
        "answered ones stay"
    );
    assert!(s.expire_approvals(t(5000), 100).await.unwrap().is_empty());
    let audited = db.store.audit_recent(Some(&first), 10).await.unwrap();
    assert!(audited.iter().any(|r| r.kind == "expired"), "{audited:?}");
}

async fn the_list_shows_what_is_held_and_why(db: &TestDb) {
    let s = db.store.as_ref();
    let (first, a1) = held(s, "First").await;
    let (_, a2) = held(s, "Second").await;
    s.answer(a2, Answer::Reject, "bob", Some("not now"), t(10))
        .await
        .unwrap();
    let pending = s.approvals(Some(ApprovalState::Pending), 50).await.unwrap();
    assert_eq!(pending.len(), 1);
    let view = &pending[0];
    assert_eq!(view.approval.id, a1);
    assert_eq!(view.approval.incident_id, first);
    assert_eq!(view.alertname, "First");
    assert_eq!(view.incident_state, ProcessingState::Held);
    assert_eq!(view.action, "escalate");
    assert_eq!(
        view.plan_summary.as_deref(),
        Some("scale deployment/shop/api from 2 to 4 replicas")
    );
    assert_eq!(view.reasons, vec!["mode approve: waits for a human".to_string()]);
    let all = s.approvals(None, 50).await.unwrap();
    assert_eq!(
        all.iter().map(|v| v.approval.id).collect::<Vec<_>>(),
        vec![a2, a1],
        "newest first"
    );
    let rejected = s.approvals(Some(ApprovalState::Rejected), 50).await.unwrap();
    assert_eq!(rejected[0].approval.reason.as_deref(), Some("not now"));
}
