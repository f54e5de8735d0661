//! The history and assessment parts of the store, on both backends: history of a
//! workload and of an alertname, statistics, retention, and the assessment schedule
//! (claiming once, leases, recurrences, finalizing).

use crate::assess::fixtures::{Record, decided, escalate, firing, resolved, restart, rollback, scale_to, t};
use crate::assess::{AssessmentConfig, AssessmentResult, AssessmentState, Components};
use crate::execute::OutcomeStatus;
use crate::history::{HistoryQuery, StatsQuery};
use crate::store::sql::testing::{TestDb, on_both_backends};
use crate::store::{AssessmentStore, HistoryStore, IncidentQuery, Store};

on_both_backends!(
    history_of_a_workload_and_of_an_alertname,
    stats_per_alertname_action_and_workload,
    get_shows_model_tokens_and_assessment,
    purge_deletes_old_incidents_with_everything,
    due_assessments_are_claimed_once,
    a_dead_assessor_s_claim_is_taken_over,
    recurrence_by_fingerprint_or_by_workload,
    provisional_scores_are_finalized_after_the_window,
);

/// Stores one score, saying whether it was taken.
async fn saved(store: &dyn Store, id: i64, result: &AssessmentResult) -> bool {
    store.save_assessments(&[(id, result.clone())]).await.unwrap() == [true]
}

async fn history_of_a_workload_and_of_an_alertname(db: &TestDb) {
    let store = db.store.as_ref();
    let crash = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    let first = decided(store, &crash, t(10), Record::executed(restart(), t(11))).await;
    let oom = firing("KubeContainerOOMKilled", "fp-2", "shop", "api-pod-1", t(100));
    let second = decided(
        store,
        &oom,
        t(110),
        Record::executed(rollback(), t(111)).failed("forbidden"),
    )
    .await;
    let elsewhere = firing("KubePodCrashLooping", "fp-3", "shop", "cart-pod-1", t(200));
    let third = decided(
        store,
        &elsewhere,
        t(210),
        Record::executed(restart(), t(211)).on("shop", "cart", 1),
    )
    .await;
    let other_ns = firing("KubePodCrashLooping", "fp-4", "web", "api-pod-1", t(300));
    decided(
        store,
        &other_ns,
        t(310),
        Record::executed(escalate(), t(311)).on("web", "api", 1),
    )
    .await;
    // Not decided yet: matched by its target's name only.
    let pending = firing("KubePodCrashLooping", "fp-5", "shop", "api", t(400));
    store.record_alerts(&[pending], t(410)).await.unwrap();

    let query = |namespace: &str, workload: &str| HistoryQuery {
        namespace: Some(namespace.into()),
        workload: Some(workload.into()),
        ..HistoryQuery::default()
    };
    let api = store.history(&query("shop", "api")).await.unwrap();
    let ids: Vec<&str> = api.iter().map(|e| e.incident_id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{api:#?}");
    assert_eq!(&ids[1..], [second.as_str(), first.as_str()], "newest first");
    assert!(
        api[0].decision.is_none(),
        "the undecided incident, matched by its target's name"
    );

    let failed = api[1].decision.as_ref().unwrap();
    assert_eq!(failed.action, "rollback_deployment");
    assert_eq!(failed.target.as_deref(), Some("deployment/shop/api"));
    assert_eq!(failed.outcome.status, OutcomeStatus::Failed);
    assert_eq!(failed.outcome.error.as_deref(), Some("forbidden"));
    assert_eq!(failed.replicas_before, Some(2));
    assert_eq!(failed.decided_by, "test-rule");
    assert_eq!(api[1].workload.as_deref(), Some("api"));
    assert_eq!(api[1].workload_kind.as_deref(), Some("Deployment"));
    assert_eq!(api[1].target.as_deref(), Some("Pod/shop/api-pod-1"));

    let by_alert = store
        .history(&HistoryQuery {
            alertname: Some("KubePodCrashLooping".into()),
            limit: Some(2),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_alert.len(), 2, "the limit holds");
    let crashes_in_shop = store
        .history(&HistoryQuery {
            alertname: Some("KubePodCrashLooping".into()),
            namespace: Some("shop".into()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    let ids: Vec<&str> = crashes_in_shop.iter().skip(1).map(|e| e.incident_id.as_str()).collect();
    assert_eq!(ids, [third.as_str(), first.as_str()]);
    assert!(
        store
            .history(&query("shop", "'; DROP TABLE incidents; --"))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn stats_per_alertname_action_and_workload(db: &TestDb) {
    let store = db.store.as_ref();
    let mut n = 0;
    let mut next = |alertname: &str| {
        n += 1;
        firing(alertname, &format!("fp-{n}"), "shop", "api-pod-1", t(n * 100))
    };
    let crash = "KubePodCrashLooping";
    decided(
        store,
        &next(crash),
        t(100),
        Record::executed(restart(), t(101)).scored(0.9),
    )
    .await;
    decided(
        store,
        &next(crash),
        t(200),
        Record::executed(restart(), t(201)).scored(0.3),
    )
    .await;
    decided(
        store,
        &next(crash),
        t(300),
        Record::executed(restart(), t(301)).failed("conflict"),
    )
    .await;
    decided(
        store,
        &next(crash),
        t(400),
        Record::executed(restart(), t(401)).planned(),
    )
    .await;
    decided(
        store,
        &next(crash),
        t(500),
        Record::executed(restart(), t(501)).scored(0.6),
    )
    .await;
    decided(store, &next(crash), t(600), Record::executed(scale_to(3), t(601))).await;
    decided(
        store,
        &next("KubeContainerOOMKilled"),
        t(700),
        Record::executed(restart(), t(701)).scored(0.1),
    )
    .await;
    let cart = firing(crash, "fp-cart", "shop", "cart-pod-1", t(800));
    decided(
        store,
        &cart,
        t(800),
        Record::executed(restart(), t(801)).on("shop", "cart", 1).scored(1.0),
    )
    .await;

    let all = store.stats(&StatsQuery::default()).await.unwrap();
    assert_eq!(all.len(), 4, "{all:#?}");
    assert_eq!(all[0].workload.as_deref(), Some("cart"), "most recently used first");

    let api = store
        .stats(&StatsQuery {
            alertname: Some(crash.into()),
            namespace: Some("shop".into()),
            workload: Some("api".into()),
        })
        .await
        .unwrap();
    let actions: Vec<&str> = api.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["scale_deployment", "rollout_restart"]);
    let r = &api[1];
    assert_eq!(
        (r.decisions, r.planned, r.attempts, r.failures, r.assessed, r.successes),
        (5, 1, 4, 1, 3, 1),
        "{r:#?}"
    );
    assert_eq!(r.mean_score, Some(0.6));
    assert_eq!(r.last_outcome, OutcomeStatus::Executed);
    assert_eq!(r.last_score, Some(0.6));
    assert_eq!(r.last_at, t(501));
    assert_eq!(r.workload_kind.as_deref(), Some("Deployment"));
    let s = &api[0];
    assert_eq!((s.attempts, s.assessed, s.mean_score, s.last_score), (1, 0, None, None));

    let oom = store
        .stats(&StatsQuery {
            alertname: Some("KubeContainerOOMKilled".into()),
            ..StatsQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(oom.len(), 1);
    assert_eq!(oom[0].mean_score, Some(0.1));
}

async fn get_shows_model_tokens_and_assessment(db: &TestDb) {
    let store = db.store.as_ref();
    let config = AssessmentConfig::default();
    let crash = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    let record = Record::executed(restart(), t(60))
        .by_model("gpt-4o", 1200, 80)
        .scheduled(&config);
    let expected = record.peek().clone();
    let id = decided(store, &crash, t(10), record).await;
    let stored = store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.decision.as_ref(), Some(&expected), "the record round-trips");
    let a = stored.decision.unwrap().assessment.unwrap();
    assert_eq!(a.state, AssessmentState::Pending);
    assert_eq!(a.due_at, t(60 + 600));
    let entry = &store.history(&HistoryQuery::default()).await.unwrap()[0];
    let d = entry.decision.as_ref().unwrap();
    assert_eq!(
        (d.model.as_deref(), d.tokens_in, d.tokens_out, d.decider.as_str()),
        (Some("gpt-4o"), Some(1200), Some(80), "llm")
    );
    assert_eq!(d.assessment.as_ref(), Some(&a));
}

async fn purge_deletes_old_incidents_with_everything(db: &TestDb) {
    let store = db.store.as_ref();
    let config = AssessmentConfig::default();
    let old = firing("KubePodCrashLooping", "fp-old", "shop", "api-pod-1", t(0));
    decided(
        store,
        &old,
        t(10),
        Record::executed(restart(), t(11)).scheduled(&config),
    )
    .await;
    let young = firing("KubePodCrashLooping", "fp-young", "shop", "api-pod-1", t(86_400));
    let kept = decided(
        store,
        &young,
        t(86_400),
        Record::executed(restart(), t(86_401)).scheduled(&config),
    )
    .await;

    assert_eq!(store.purge_older_than(t(0)).await.unwrap(), 0, "nothing is older");
    assert_eq!(store.purge_older_than(t(3600)).await.unwrap(), 1);
    let left = store.list(&IncidentQuery::default()).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, kept);
    for table in ["decisions", "outcomes", "assessments"] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&db.store.pool)
            .await
            .unwrap();
        assert_eq!(
            sqlx::Row::get::<i64, _>(&row, "n"),
            1,
            "{table} of the old incident went with it"
        );
    }
    // More than one batch.
    for i in 0..1005 {
        let a = firing("Many", &format!("fp-many-{i}"), "shop", "x", t(100 + i));
        store.record_alerts(&[a], t(100)).await.unwrap();
    }
    assert_eq!(store.purge_older_than(t(3600)).await.unwrap(), 1005);
}

async fn due_assessments_are_claimed_once(db: &TestDb) {
    let store = db.store.clone();
    let config = AssessmentConfig::default();
    for i in 0..5 {
        let a = firing("KubePodCrashLooping", &format!("fp-{i}"), "shop", "api-pod-1", t(i));
        // Default windows: 5 minutes for scale_deployment, 10 for rollout_restart.
        let action = if i < 3 { scale_to(3) } else { restart() };
        decided(
            store.as_ref(),
            &a,
            t(i),
            Record::executed(action, t(i)).scheduled(&config),
        )
        .await;
    }
    assert!(
        store.claim_due_assessments(t(299), 10).await.unwrap().is_empty(),
        "none due yet"
    );
    let (one, two) = tokio::join!(
        store.claim_due_assessments(t(400), 10),
        store.claim_due_assessments(t(400), 10)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(
        one.len() + two.len(),
        3,
        "the three scale actions, once: {one:?} {two:?}"
    );
    let mut all: Vec<_> = one.iter().chain(&two).collect();
    all.sort_by_key(|d| d.assessment.due_at);
    assert_eq!(all[0].assessment.due_at, t(300));
    assert_eq!(all[0].action, "scale_deployment");
    assert_eq!(all[0].alertname, "KubePodCrashLooping");
    assert_eq!(all[0].assessment.state, AssessmentState::Scoring);
    assert!(store.claim_due_assessments(t(401), 10).await.unwrap().is_empty());

    let result = AssessmentResult {
        state: AssessmentState::Provisional,
        score: Some(0.75),
        components: Components {
            health: Some(1.0),
            alert: Some(1.0),
            recurrence: Some(0.0),
        },
        evidence: vec![],
        scored_at: t(450),
    };
    for d in &all {
        assert!(saved(store.as_ref(), d.id, &result).await);
    }
    assert!(
        !saved(store.as_ref(), all[0].id, &result).await,
        "only a claimed assessment takes a score"
    );
    let later = store.claim_due_assessments(t(700), 1).await.unwrap();
    assert_eq!(later.len(), 1, "the limit holds");
    assert_eq!(later[0].action, "rollout_restart");
    assert_eq!(later[0].assessment.due_at, t(603));
}

async fn a_dead_assessor_s_claim_is_taken_over(db: &TestDb) {
    let store = db.store.as_ref();
    let config = AssessmentConfig::default();
    let a = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    decided(store, &a, t(0), Record::executed(scale_to(3), t(0)).scheduled(&config)).await;
    assert_eq!(store.claim_due_assessments(t(300), 10).await.unwrap().len(), 1);
    // The claimant died: within the lease nobody else may take it, after it someone may.
    assert!(store.claim_due_assessments(t(300 + 119), 10).await.unwrap().is_empty());
    let again = db.reopen().await;
    assert_eq!(again.claim_due_assessments(t(300 + 121), 10).await.unwrap().len(), 1);
}

async fn recurrence_by_fingerprint_or_by_workload(db: &TestDb) {
    let store = db.store.as_ref();
    let config = AssessmentConfig::default();
    let first = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    let id = decided(
        store,
        &first,
        t(0),
        Record::executed(scale_to(3), t(10)).scheduled(&config),
    )
    .await;
    // A redelivery, the resolution, another alert on the workload, the same alert
    // elsewhere: none is a recurrence.
    store.record_alerts(std::slice::from_ref(&first), t(20)).await.unwrap();
    store.record_alerts(&[resolved(&first, t(25))], t(30)).await.unwrap();
    let other = firing("KubeContainerOOMKilled", "fp-2", "shop", "api-pod-1", t(40));
    decided(store, &other, t(40), Record::executed(escalate(), t(41))).await;
    let elsewhere = firing("KubePodCrashLooping", "fp-3", "shop", "cart-pod-1", t(50));
    decided(
        store,
        &elsewhere,
        t(50),
        Record::executed(escalate(), t(51)).on("shop", "cart", 1),
    )
    .await;
    let due = store.claim_due_assessments(t(400), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].incident_id, id);
    assert_eq!(due[0].resolved_at, Some(t(30)), "the resolved notification is known");
    assert_eq!(due[0].recurrence, None);
    assert!(store.recurred_assessments(10).await.unwrap().is_empty());

    // A new pod of the same workload crash-loops: a new fingerprint, but once decided,
    // the same workload.
    let again = firing("KubePodCrashLooping", "fp-4", "shop", "api-pod-2", t(500));
    let again_id = decided(store, &again, t(500), Record::executed(escalate(), t(501))).await;
    let result = AssessmentResult {
        state: AssessmentState::Provisional,
        score: Some(1.0),
        components: Components::default(),
        evidence: vec![],
        scored_at: t(400),
    };
    assert!(saved(store, due[0].id, &result).await);
    let recurred = store.recurred_assessments(10).await.unwrap();
    assert_eq!(recurred.len(), 1);
    let r = recurred[0].recurrence.as_ref().unwrap();
    assert_eq!((r.incident_id.as_str(), r.received_at), (again_id.as_str(), t(500)));
    assert_eq!(recurred[0].assessment.state, AssessmentState::Provisional);

    let revised = AssessmentResult {
        state: AssessmentState::Final,
        score: Some(0.75),
        ..result
    };
    assert!(store.revise_assessment(recurred[0].id, 0, &revised).await.unwrap());
    assert!(
        !store.revise_assessment(recurred[0].id, 0, &revised).await.unwrap(),
        "revised once"
    );
    assert!(store.recurred_assessments(10).await.unwrap().is_empty());
    let a = store
        .get(&id)
        .await
        .unwrap()
        .unwrap()
        .decision
        .unwrap()
        .assessment
        .unwrap();
    assert_eq!((a.state, a.score, a.revisions), (AssessmentState::Final, Some(0.75), 1));

    // A re-fire of the same fingerprint after the window is no recurrence.
    let late = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(5000));
    store.record_alerts(&[late], t(5000)).await.unwrap();
    assert!(store.recurred_assessments(10).await.unwrap().is_empty());
}

async fn provisional_scores_are_finalized_after_the_window(db: &TestDb) {
    let store = db.store.as_ref();
    let config = AssessmentConfig::default();
    let quiet = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
    let quiet_id = decided(
        store,
        &quiet,
        t(0),
        Record::executed(scale_to(3), t(0)).scheduled(&config),
    )
    .await;
    let noisy = firing("KubePodCrashLooping", "fp-2", "shop", "cart-pod-1", t(0));
    decided(
        store,
        &noisy,
        t(0),
        Record::executed(scale_to(2), t(0))
            .on("shop", "cart", 1)
            .scheduled(&config),
    )
    .await;
    let due = store.claim_due_assessments(t(300), 10).await.unwrap();
    assert_eq!(due.len(), 2);
    for d in &due {
        let result = AssessmentResult {
            state: AssessmentState::Provisional,
            score: Some(1.0),
            components: Components::default(),
            evidence: vec![],
            scored_at: t(300),
        };
        assert!(saved(store, d.id, &result).await);
    }
    // cart recurs within the window: it is not finalized, it waits for its revision.
    store
        .record_alerts(
            &[firing("KubePodCrashLooping", "fp-2", "shop", "cart-pod-1", t(3000))],
            t(3000),
        )
        .await
        .unwrap();
    assert_eq!(
        store.finalize_assessments(t(3599)).await.unwrap(),
        0,
        "the window is open"
    );
    assert_eq!(store.finalize_assessments(t(3600)).await.unwrap(), 1);
    let a = store
        .get(&quiet_id)
        .await
        .unwrap()
        .unwrap()
        .decision
        .unwrap()
        .assessment
        .unwrap();
    assert_eq!(a.state, AssessmentState::Final);
    assert_eq!(store.recurred_assessments(10).await.unwrap().len(), 1);
}
