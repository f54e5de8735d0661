//! The processing contract on both backends: claims with a lease (expiry, fencing, two
//! claimers never sharing an incident), the two phases of execution, held decisions.
//! Fixtures here are shared with the approval tests.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;

use super::testing::{TestDb, on_both_backends};
use crate::actions::{Action, Escalate, Plan};
use crate::context::Context;
use crate::decide::{DecidedBy, Decision};
use crate::execute::{Outcome, OutcomeStatus};
use crate::incident::{AlertStatus, Incident, Labels};
use crate::policy::{Check, Verdict, VerdictKind};
use crate::store::{
    ApprovalStore, DecisionRecord, Finish, ProcessingState, ProcessingStore, Recorded, Store, StoreError,
};

on_both_backends!(
    claim_next_takes_the_oldest_and_moves_it_to_deciding,
    a_lease_keeps_others_out_until_it_expires,
    a_lost_lease_writes_nothing,
    renewing_keeps_the_lease,
    two_claimers_never_get_the_same_incident,
    two_phase_execution_stores_intent_then_outcome,
    an_expired_executing_incident_is_reclaimed_as_executing,
    a_held_decision_gets_a_pending_approval,
    every_write_is_audited,
);

// ---------------------------------------------------------------------------------------
// Fixtures

/// `2026-01-01T00:00:00Z` plus `seconds`.
pub(super) fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + seconds).expect("valid time")
}

/// A firing alert.
pub(super) fn firing(alertname: &str, fingerprint: &str) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: fingerprint.into(),
        status: AlertStatus::Firing,
        alertname: alertname.into(),
        severity: Some("warning".into()),
        labels: Labels::from([("alertname".to_string(), alertname.to_string())]),
        annotations: Labels::new(),
        starts_at: t(0),
        ends_at: None,
        generator_url: None,
        receiver: None,
        group_key: None,
        target: None,
    }
}

/// Stores a new firing alert received at `at`; its id.
pub(super) async fn new_incident(store: &dyn Store, name: &str, at: Timestamp) -> String {
    match store
        .record_alerts(&[firing(name, &format!("fp-{name}"))], at)
        .await
        .unwrap()
        .as_slice()
    {
        [Recorded::New { id }] => id.clone(),
        other => panic!("expected one new incident, got {other:?}"),
    }
}

/// A decision record in `state` with verdict `kind` and a plan.
pub(super) fn record(state: ProcessingState, kind: VerdictKind, at: Timestamp) -> DecisionRecord {
    DecisionRecord {
        context: Context::default(),
        decision: Decision {
            action: Action::Escalate(Escalate { reason: None }),
            target: None,
            rationale: "test".into(),
            confidence: 0.9,
            decided_by: DecidedBy {
                decider: "rules".into(),
                name: "test".into(),
            },
            alternatives: Vec::new(),
            llm: None,
        },
        verdict: Verdict {
            kind,
            dry_run: false,
            checks: vec![Check {
                name: "mode".into(),
                passed: kind == VerdictKind::Allow,
                reason: "mode approve: waits for a human".into(),
            }],
        },
        outcome: Outcome {
            status: OutcomeStatus::Planned,
            plan: Some(Plan {
                action: "escalate".into(),
                target: None,
                summary: "scale deployment/shop/api from 2 to 4 replicas".into(),
                operations: Vec::new(),
                changes: Vec::new(),
                notes: Vec::new(),
                artifacts: Vec::new(),
            }),
            results: Vec::new(),
            error: None,
            started_at: at,
            finished_at: at,
        },
        state,
        decided_at: at,
        latency_ms: 5,
        model: None,
        tokens_in: None,
        tokens_out: None,
        assessment: None,
    }
}

/// The incident's state.
pub(super) async fn state_of(store: &dyn Store, id: &str) -> ProcessingState {
    store.get(id).await.unwrap().expect("stored").state
}

// ---------------------------------------------------------------------------------------
// The contract

async fn claim_next_takes_the_oldest_and_moves_it_to_deciding(db: &TestDb) {
    let s = db.store.as_ref();
    let late = new_incident(s, "Late", t(20)).await;
    let early = new_incident(s, "Early", t(10)).await;
    let claimed = s.claim_next("a", t(30), t(90), 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, early);
    assert_eq!(claimed[0].state, ProcessingState::Deciding);
    assert_eq!(claimed[0].incident.alertname, "Early", "the claim reads the incident");
    assert_eq!(claimed[0].received_at, t(10));
    assert_eq!(claimed[0].owner, "a");
    let rest = s.claim_next("a", t(30), t(90), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![late.clone()]
    );
    assert!(s.claim_next("a", t(31), t(91), 10).await.unwrap().is_empty());
    assert!(s.claim_id(&late, "b", t(31), t(91)).await.unwrap().is_none());
    assert!(
        s.claim_id("no-such-incident", "b", t(31), t(91))
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_lease_keeps_others_out_until_it_expires(db: &TestDb) {
    let s = db.store.as_ref();
    let id = new_incident(s, "A", t(0)).await;
    assert!(s.claim_id(&id, "a", t(1), t(61)).await.unwrap().is_some());
    assert!(
        s.claim_id(&id, "b", t(60), t(120)).await.unwrap().is_none(),
        "within the lease"
    );
    assert!(s.claim_next("b", t(60), t(120), 10).await.unwrap().is_empty());
    let taken = s.claim_next("b", t(62), t(122), 10).await.unwrap();
    assert_eq!(taken.len(), 1, "after the lease the incident is taken over");
    assert_eq!(
        taken[0].state,
        ProcessingState::Deciding,
        "nothing was applied: decide again"
    );
    assert_eq!(taken[0].owner, "b");
}

async fn a_lost_lease_writes_nothing(db: &TestDb) {
    let s = db.store.as_ref();
    let id = new_incident(s, "A", t(0)).await;
    s.claim_id(&id, "a", t(1), t(61)).await.unwrap().unwrap();
    s.claim_id(&id, "b", t(62), t(122)).await.unwrap().unwrap();
    let late = record(ProcessingState::Planned, VerdictKind::Allow, t(63));
    match s.save_decided(&id, "a", &late, None).await {
        Err(StoreError::LeaseLost { id: lost, owner }) => {
            assert_eq!((lost.as_str(), owner.as_str()), (id.as_str(), "a"))
        }
        other => panic!("expected LeaseLost, got {other:?}"),
    }
    assert!(matches!(
        s.start_execution(&id, "a", &late, t(120)).await,
        Err(StoreError::LeaseLost { .. })
    ));
    let stored = s.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Deciding);
    assert_eq!(stored.decision, None, "the loser wrote no decision");
    s.save_decided(&id, "b", &late, None).await.unwrap();
    assert_eq!(state_of(s, &id).await, ProcessingState::Planned);
    assert!(
        !s.renew_lease(&id, "b", t(200)).await.unwrap(),
        "a final state releases the lease"
    );
}

async fn renewing_keeps_the_lease(db: &TestDb) {
    let s = db.store.as_ref();
    let id = new_incident(s, "A", t(0)).await;
    s.claim_id(&id, "a", t(1), t(61)).await.unwrap().unwrap();
    assert!(s.renew_lease(&id, "a", t(150)).await.unwrap());
    assert!(!s.renew_lease(&id, "b", t(300)).await.unwrap(), "only the owner renews");
    assert!(s.claim_next("b", t(100), t(160), 10).await.unwrap().is_empty());
    assert_eq!(s.claim_next("b", t(151), t(211), 10).await.unwrap().len(), 1);
}

async fn two_claimers_never_get_the_same_incident(db: &TestDb) {
    const N: usize = 60;
    for i in 0..N {
        new_incident(db.store.as_ref(), &format!("A{i}"), t(i as i64)).await;
    }
    let other = db.reopen().await;
    let claimers: Vec<(Arc<super::SqlStore>, &str)> = vec![(db.store.clone(), "a"), (other, "b")];
    let tasks = claimers.into_iter().map(|(store, owner)| {
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store.claim_next(owner, t(100), t(160), 1).await.expect("claim");
                match claimed.into_iter().next() {
                    Some(c) => mine.push(c.id),
                    None => return mine,
                }
            }
        })
    });
    let mut all = Vec::new();
    let mut per_claimer = Vec::new();
    for task in tasks {
        let mine = task.await.unwrap();
        per_claimer.push(mine.len());
        all.extend(mine);
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), N, "every incident claimed once: {per_claimer:?}");
    assert_eq!(unique.len(), N, "no incident claimed twice");
}

/// A new incident `A`, claimed by `a` at 1 s and moved to `executing` (its intent
/// stored at 2 s, the lease to 62 s): a process in the middle of applying a plan.
async fn executing_under_a(s: &dyn Store) -> String {
    let id = new_incident(s, "A", t(0)).await;
    s.claim_id(&id, "a", t(1), t(61)).await.unwrap().unwrap();
    let intent = record(ProcessingState::Executing, VerdictKind::Allow, t(2));
    s.start_execution(&id, "a", &intent, t(62)).await.unwrap();
    id
}

async fn two_phase_execution_stores_intent_then_outcome(db: &TestDb) {
    let s = db.store.as_ref();
    let id = executing_under_a(s).await;
    let intent = record(ProcessingState::Executing, VerdictKind::Allow, t(2));
    let stored = s.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Executing);
    let decision = stored.decision.expect("the intent is stored");
    assert_eq!(decision.state, ProcessingState::Executing);
    assert_eq!(decision.outcome.status, OutcomeStatus::Planned);
    assert_eq!(
        decision.outcome.plan, intent.outcome.plan,
        "the plan is stored before it is applied"
    );
    assert!(
        s.claim_next("b", t(61), t(121), 10).await.unwrap().is_empty(),
        "the intent kept the lease"
    );

    let mut outcome = intent.outcome.clone();
    outcome.status = OutcomeStatus::Executed;
    outcome.results = vec!["PATCH deployment/shop/api/scale: replicas 2 → 4".into()];
    outcome.finished_at = t(3);
    let finish = Finish {
        outcome: &outcome,
        state: ProcessingState::Executed,
        error: None,
        assessment: None,
        at: t(3),
        resumed: false,
    };
    assert!(matches!(
        s.finish_execution(&id, "b", &finish).await,
        Err(StoreError::LeaseLost { .. })
    ));
    s.finish_execution(&id, "a", &finish).await.unwrap();
    let stored = s.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Executed);
    let decision = stored.decision.unwrap();
    assert_eq!(decision.state, ProcessingState::Executed);
    assert_eq!(decision.outcome, outcome);
    assert!(
        matches!(
            s.finish_execution(&id, "a", &finish).await,
            Err(StoreError::LeaseLost { .. })
        ),
        "an outcome is stored once"
    );
    assert!(
        s.claim_next("b", t(500), t(560), 10).await.unwrap().is_empty(),
        "executed is final"
    );
}

async fn an_expired_executing_incident_is_reclaimed_as_executing(db: &TestDb) {
    let s = db.store.as_ref();
    let id = executing_under_a(s).await;
    // The process dies: its lease runs out.
    assert_eq!(s.pending(10).await.unwrap(), vec![id.clone()]);
    let taken = s.claim_next("b", t(63), t(123), 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(
        taken[0].state,
        ProcessingState::Executing,
        "resume, do not decide again"
    );
    let mut outcome = record(ProcessingState::Interrupted, VerdictKind::Allow, t(64)).outcome;
    outcome.status = OutcomeStatus::Failed;
    outcome.error = Some("check it by hand".into());
    let finish = Finish {
        outcome: &outcome,
        state: ProcessingState::Interrupted,
        error: Some("check it by hand"),
        assessment: None,
        at: t(64),
        resumed: true,
    };
    s.finish_execution(&id, "b", &finish).await.unwrap();
    let stored = s.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Interrupted);
    assert_eq!(stored.error.as_deref(), Some("check it by hand"));
    assert!(stored.state.is_final());
}

async fn a_held_decision_gets_a_pending_approval(db: &TestDb) {
    let s = db.store.as_ref();
    let id = new_incident(s, "A", t(0)).await;
    s.claim_id(&id, "a", t(1), t(61)).await.unwrap().unwrap();
    let held = record(ProcessingState::Held, VerdictKind::Hold, t(2));
    let approval = s
        .save_decided(&id, "a", &held, Some(t(1802)))
        .await
        .unwrap()
        .expect("an approval id");
    assert_eq!(state_of(s, &id).await, ProcessingState::Held);
    let a = s.approval_of(&id).await.unwrap().unwrap();
    assert_eq!(a.id, approval);
    assert_eq!(a.state, crate::store::ApprovalState::Pending);
    assert_eq!((a.requested_at, a.expires_at), (t(2), t(1802)));
    assert_eq!((a.decided_by, a.decided_at), (None, None));
    assert!(
        s.claim_next("b", t(500), t(560), 10).await.unwrap().is_empty(),
        "held waits for a human"
    );
}

async fn every_write_is_audited(db: &TestDb) {
    let s = db.store.as_ref();
    let id = executing_under_a(s).await;
    let outcome = record(ProcessingState::Executed, VerdictKind::Allow, t(3)).outcome;
    let finish = Finish {
        outcome: &outcome,
        state: ProcessingState::Executed,
        error: None,
        assessment: None,
        at: t(3),
        resumed: false,
    };
    s.finish_execution(&id, "a", &finish).await.unwrap();
    let kinds: Vec<String> = db
        .store
        .audit_recent(Some(&id), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    for kind in ["verdict", "execution_started", "execution_finished"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} missing from {kinds:?}");
    }
    assert_eq!(
        db.store.audit_verify().await.unwrap().broken,
        None,
        "the chain verifies"
    );
}
