//! The store contract, run against both backends: SQLite in a temporary directory and
//! PostgreSQL in a fresh database per test (a scratch database created through the
//! `postgres` maintenance database of `MEDIC_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/`, and dropped afterwards, best effort).
//!
//! Each contract test is an `async fn(&TestDb)`; [`contract!`] instantiates it once per
//! backend, as `store::sql::tests::sqlite::NAME` and `store::sql::tests::postgres::NAME`.
//! The tests must not touch any database they did not create.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tempfile::TempDir;

use super::{SqlStore, create_scratch_postgres, drop_scratch_postgres};
use crate::actions::{Action, Escalate, Plan};
use crate::cluster::ObjectRef;
use crate::context::Context;
use crate::decide::{DecidedBy, Decision};
use crate::execute::{Outcome, OutcomeStatus};
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::policy::{Check, Verdict, VerdictKind};
use crate::store::{DecisionRecord, IncidentQuery, ProcessingState, Recorded, Store, StoreError};

// ---------------------------------------------------------------------------------------
// Test databases

/// A store on a database of its own, removed when dropped.
struct TestDb {
    store: SqlStore,
    /// The URL the store was opened with (to open it again).
    url: String,
    kind: Kind,
    _dir: Option<TempDir>,
    _pg: Option<PgDatabase>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqlStore::sqlite_in(&dir.path().join("data"))
            .await
            .expect("open SQLite store");
        let url = super::url::sqlite_file_url(&dir.path().join("data").join("medic.db"));
        TestDb {
            store,
            url,
            kind: Kind::Sqlite,
            _dir: Some(dir),
            _pg: None,
        }
    }

    async fn postgres() -> TestDb {
        let pg = PgDatabase::create().await;
        let url = pg.url.clone();
        let store = SqlStore::connect(&url).await.expect("open PostgreSQL store");
        TestDb {
            store,
            url,
            kind: Kind::Postgres,
            _dir: None,
            _pg: Some(pg),
        }
    }

    /// Runs raw SQL on the test database (setup only).
    async fn exec(&self, sql: &'static str) {
        sqlx::raw_sql(sql).execute(&self.store.pool).await.expect(sql);
    }
}

/// A PostgreSQL database created for one test.
struct PgDatabase {
    server: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> PgDatabase {
        let server = std::env::var("MEDIC_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".to_string());
        let (url, name) = create_scratch_postgres(&server)
            .await
            .expect("create the test database");
        PgDatabase { server, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Best effort, on a thread of its own: drop may run inside the test's runtime.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(drop_scratch_postgres(&server, &name)).ok()
        });
        let _ = dropper.join();
    }
}

/// Instantiates each contract test for both backends.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::TestDb::sqlite().await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::TestDb::postgres().await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}

contract!(
    migrations_run_twice,
    firing_then_duplicate_then_resolved,
    resolved_unseen_is_ignored,
    refire_after_resolve_is_a_new_incident,
    one_notification_keeps_alert_order,
    concurrent_redelivery_records_once,
    claim_succeeds_once,
    pending_is_oldest_first,
    save_result_round_trips,
    save_result_for_unknown_incident_fails,
    mark_failed_keeps_the_reason,
    list_filters_and_orders,
    count_by_state_groups,
    corrupt_json_names_the_record,
    failed_notification_leaves_nothing,
    closed_store_is_unavailable,
);

// ---------------------------------------------------------------------------------------
// Fixtures

/// `2026-01-01T00:00:00Z` plus `seconds`.
fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + seconds).expect("valid time")
}

/// A firing alert, as the Alertmanager parser would build it.
fn firing(alertname: &str, fingerprint: &str, starts_at: Timestamp) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: fingerprint.into(),
        status: AlertStatus::Firing,
        alertname: alertname.into(),
        severity: Some("critical".into()),
        labels: Labels::from([("alertname".to_string(), alertname.to_string())]),
        annotations: Labels::from([("summary".to_string(), format!("{alertname} is firing"))]),
        starts_at,
        ends_at: None,
        generator_url: None,
        receiver: Some("medic".into()),
        group_key: None,
        target: None,
    }
}

/// Fixture builders, so tests read as sentences.
trait IncidentExt {
    /// About the Deployment `namespace/name`.
    fn on_deployment(self, namespace: &str, name: &str) -> Incident;
    /// The resolved notification of this alert.
    fn resolved_at(&self, ends_at: Timestamp) -> Incident;
}

impl IncidentExt for Incident {
    fn on_deployment(mut self, namespace: &str, name: &str) -> Incident {
        self.labels.insert("namespace".into(), namespace.into());
        self.labels.insert("deployment".into(), name.into());
        self.target = Some(TargetRef {
            kind: TargetKind::Deployment,
            namespace: Some(namespace.into()),
            name: name.into(),
            container: None,
        });
        self
    }

    fn resolved_at(&self, ends_at: Timestamp) -> Incident {
        Incident {
            status: AlertStatus::Resolved,
            ends_at: Some(ends_at),
            ..self.clone()
        }
    }
}

/// A complete decision record: escalate, allowed in dry-run, planned.
fn escalation(state: ProcessingState, decided_at: Timestamp) -> DecisionRecord {
    DecisionRecord {
        context: Context {
            target: Some(ObjectRef::namespaced("Deployment", "shop", "api")),
            target_found: true,
            errors: vec!["events: forbidden".into()],
            ..Context::default()
        },
        decision: Decision {
            action: Action::Escalate(Escalate {
                reason: Some("no rule matched".into()),
            }),
            target: None,
            rationale: "nothing safe to do automatically".into(),
            confidence: 0.25,
            decided_by: DecidedBy {
                decider: "fallback".into(),
                name: "escalate".into(),
            },
            alternatives: vec!["restart_pod: no pod named".into()],
            llm: None,
        },
        verdict: Verdict {
            kind: VerdictKind::Allow,
            dry_run: true,
            checks: vec![Check {
                name: "allowed_actions".into(),
                passed: true,
                reason: "escalate is allowed".into(),
            }],
        },
        outcome: Outcome {
            status: OutcomeStatus::Planned,
            plan: Some(Plan {
                action: "escalate".into(),
                target: None,
                summary: "hand the incident to a human".into(),
                operations: vec![],
                changes: vec![],
                notes: vec!["nothing is changed in the cluster".into()],
                artifacts: Vec::new(),
            }),
            results: vec!["recorded".into()],
            error: None,
            started_at: decided_at,
            finished_at: Timestamp::from_millisecond(decided_at.as_millisecond() + 7).expect("valid time"),
        },
        state,
        decided_at,
        latency_ms: 1_234,
        model: None,
        tokens_in: None,
        tokens_out: None,
        assessment: None,
    }
}

/// Records one notification, expecting success.
async fn record(db: &TestDb, incidents: &[Incident], at: Timestamp) -> Vec<Recorded> {
    db.store.record_alerts(incidents, at).await.expect("record alerts")
}

/// Records one new firing alert and returns its id.
async fn new_incident(db: &TestDb, incident: Incident, at: Timestamp) -> String {
    match record(db, &[incident], at).await.as_slice() {
        [Recorded::New { id }] => id.clone(),
        other => panic!("expected one new incident, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// The contract

async fn migrations_run_twice(db: &TestDb) {
    let id = new_incident(db, firing("KubePodCrashLooping", "fp-1", t(0)), t(1)).await;
    let again = SqlStore::connect(&db.url)
        .await
        .expect("second start-up migrates cleanly");
    assert_eq!(again.backend(), db.store.backend());
    let stored = again.get(&id).await.unwrap().expect("data survives a restart");
    assert_eq!(stored.incident.alertname, "KubePodCrashLooping");
    again.close().await;
}

async fn firing_then_duplicate_then_resolved(db: &TestDb) {
    let alert = firing("KubePodCrashLooping", "fp-1", t(0)).on_deployment("shop", "api");
    let id = new_incident(db, alert.clone(), t(5)).await;
    assert_eq!(
        record(db, std::slice::from_ref(&alert), t(6)).await,
        vec![Recorded::Duplicate { id: id.clone() }]
    );

    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.state, ProcessingState::Received);
    assert_eq!(stored.incident, alert);
    assert_eq!(stored.received_at, t(5));
    assert_eq!(stored.updated_at, t(5), "a duplicate writes nothing");
    assert_eq!(stored.resolved_at, None);
    assert_eq!(stored.decision, None);

    let resolved = alert.resolved_at(t(60));
    assert_eq!(
        record(db, std::slice::from_ref(&resolved), t(61)).await,
        vec![Recorded::Resolved { id: id.clone() }]
    );
    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.incident.status, AlertStatus::Resolved);
    assert_eq!(stored.incident.ends_at, Some(t(60)));
    assert_eq!(stored.resolved_at, Some(t(61)));
    assert_eq!(stored.updated_at, t(61));
    assert_eq!(
        stored.state,
        ProcessingState::Received,
        "resolving does not touch processing"
    );

    assert_eq!(
        record(db, &[resolved], t(62)).await,
        vec![Recorded::Duplicate { id: id.clone() }]
    );
    assert_eq!(
        record(db, &[alert], t(63)).await,
        vec![Recorded::Duplicate { id: id.clone() }]
    );
    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.incident.status,
        AlertStatus::Resolved,
        "a late firing redelivery does not reopen"
    );
    assert_eq!(stored.resolved_at, Some(t(61)));
}

async fn resolved_unseen_is_ignored(db: &TestDb) {
    let resolved = firing("NodeNotReady", "fp-2", t(0)).resolved_at(t(30));
    let id = match record(db, std::slice::from_ref(&resolved), t(31)).await.as_slice() {
        [Recorded::ResolvedUnseen { id }] => id.clone(),
        other => panic!("expected ResolvedUnseen, got {other:?}"),
    };
    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Ignored);
    assert_eq!(stored.incident, resolved);
    assert_eq!(stored.resolved_at, Some(t(31)));
    assert!(db.store.pending(10).await.unwrap().is_empty());
    assert!(!db.store.claim(&id, t(32)).await.unwrap());
    assert_eq!(record(db, &[resolved], t(33)).await, vec![Recorded::Duplicate { id }]);
}

async fn refire_after_resolve_is_a_new_incident(db: &TestDb) {
    let first = firing("KubePodCrashLooping", "fp-1", t(0));
    let id = new_incident(db, first.clone(), t(1)).await;
    record(db, &[first.resolved_at(t(100))], t(101)).await;
    let refire = firing("KubePodCrashLooping", "fp-1", t(200));
    let second = new_incident(db, refire, t(201)).await;
    assert_ne!(id, second);
    assert_eq!(db.store.pending(10).await.unwrap(), vec![id, second]);
}

async fn one_notification_keeps_alert_order(db: &TestDb) {
    let a = firing("A", "fp-a", t(0));
    let b = firing("B", "fp-b", t(0));
    let out = record(db, &[a.clone(), b, a], t(1)).await;
    assert_eq!(out.len(), 3);
    assert!(matches!(&out[0], Recorded::New { .. }));
    assert!(matches!(&out[1], Recorded::New { .. }));
    assert_eq!(
        out[2],
        Recorded::Duplicate {
            id: out[0].id().to_string()
        }
    );
    assert_ne!(out[0].id(), out[1].id());
}

async fn concurrent_redelivery_records_once(db: &TestDb) {
    let alert = firing("KubePodCrashLooping", "fp-race", t(0));
    let deliveries = (0..6).map(|i| {
        let store = db.store.clone();
        let alert = alert.clone();
        tokio::spawn(async move { store.record_alerts(&[alert], t(1 + i)).await })
    });
    let mut new = 0;
    let mut ids = HashSet::new();
    for delivery in deliveries {
        let out = delivery.await.unwrap().expect("every redelivery succeeds");
        if matches!(out[0], Recorded::New { .. }) {
            new += 1;
        } else {
            assert!(matches!(out[0], Recorded::Duplicate { .. }), "{out:?}");
        }
        ids.insert(out[0].id().to_string());
    }
    assert_eq!(new, 1, "exactly one delivery creates the incident");
    assert_eq!(ids.len(), 1, "every delivery names the same incident");
    assert_eq!(
        db.store.count_by_state().await.unwrap(),
        vec![("received".to_string(), 1)]
    );
}

async fn claim_succeeds_once(db: &TestDb) {
    let id = new_incident(db, firing("A", "fp-a", t(0)), t(1)).await;
    let (one, two) = tokio::join!(db.store.claim(&id, t(2)), db.store.claim(&id, t(2)));
    let claims = [one.unwrap(), two.unwrap()];
    assert_eq!(claims.iter().filter(|&&c| c).count(), 1, "{claims:?}");
    assert!(!db.store.claim(&id, t(3)).await.unwrap());
    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Deciding);
    assert_eq!(stored.updated_at, t(2));
    assert_eq!(
        db.store.pending(10).await.unwrap(),
        vec![id.clone()],
        "a crash leaves `deciding` pending"
    );
    assert!(!db.store.claim("no-such-incident", t(4)).await.unwrap());
    // The claimant died: within the lease nobody else may take it, after it someone may.
    assert!(!db.store.claim(&id, t(2 + 119)).await.unwrap());
    assert!(db.store.claim(&id, t(2 + 121)).await.unwrap());
    assert!(!db.store.claim(&id, t(2 + 122)).await.unwrap());
}

async fn pending_is_oldest_first(db: &TestDb) {
    let late = new_incident(db, firing("Late", "fp-late", t(0)), t(30)).await;
    let early = new_incident(db, firing("Early", "fp-early", t(0)), t(10)).await;
    let middle = new_incident(db, firing("Middle", "fp-middle", t(0)), t(20)).await;
    assert_eq!(
        db.store.pending(10).await.unwrap(),
        vec![early.clone(), middle.clone(), late.clone()]
    );
    assert_eq!(db.store.pending(2).await.unwrap(), vec![early.clone(), middle.clone()]);
    assert!(db.store.pending(0).await.unwrap().is_empty());
    assert!(db.store.pending(-5).await.unwrap().is_empty());

    assert!(db.store.claim(&early, t(40)).await.unwrap());
    db.store
        .save_result(&early, &escalation(ProcessingState::Escalated, t(41)))
        .await
        .unwrap();
    assert_eq!(db.store.pending(10).await.unwrap(), vec![middle, late]);
}

async fn save_result_round_trips(db: &TestDb) {
    let id = new_incident(db, firing("A", "fp-a", t(0)).on_deployment("shop", "api"), t(1)).await;
    assert!(db.store.claim(&id, t(2)).await.unwrap());
    let first = escalation(ProcessingState::Planned, t(3));
    db.store.save_result(&id, &first).await.unwrap();

    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Planned);
    assert_eq!(stored.updated_at, t(3));
    assert_eq!(stored.error, None);
    assert_eq!(stored.decision.as_ref(), Some(&first));

    // A later decision (after an approval, say) becomes the current one.
    let mut second = escalation(ProcessingState::Failed, t(10));
    second.outcome.status = OutcomeStatus::Failed;
    second.outcome.plan = None;
    second.outcome.results = vec![];
    second.outcome.error = Some("the API server refused: forbidden".into());
    second.verdict.kind = VerdictKind::Hold;
    db.store.save_result(&id, &second).await.unwrap();
    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Failed);
    assert_eq!(stored.error.as_deref(), Some("the API server refused: forbidden"));
    assert_eq!(stored.decision, Some(second));

    let listed = db.store.list(&IncidentQuery::default()).await.unwrap();
    assert_eq!(listed[0].action.as_deref(), Some("escalate"));
    assert_eq!(
        listed[0].verdict.as_deref(),
        Some("hold"),
        "the list shows the latest verdict"
    );
}

async fn save_result_for_unknown_incident_fails(db: &TestDb) {
    let err = db
        .store
        .save_result("no-such-incident", &escalation(ProcessingState::Planned, t(1)))
        .await
        .unwrap_err();
    match err {
        StoreError::Query(message) => assert!(message.contains("no-such-incident"), "{message}"),
        other => panic!("expected a query error, got {other:?}"),
    }
}

async fn mark_failed_keeps_the_reason(db: &TestDb) {
    let id = new_incident(db, firing("A", "fp-a", t(0)), t(1)).await;
    assert!(db.store.claim(&id, t(2)).await.unwrap());
    db.store
        .mark_failed(&id, "context: cluster unreachable", t(3))
        .await
        .unwrap();
    let stored = db.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, ProcessingState::Failed);
    assert_eq!(stored.error.as_deref(), Some("context: cluster unreachable"));
    assert_eq!(stored.updated_at, t(3));
    assert!(db.store.pending(10).await.unwrap().is_empty());
    assert!(matches!(
        db.store.mark_failed("no-such-incident", "x", t(4)).await,
        Err(StoreError::Query(_))
    ));
    assert_eq!(db.store.get("no-such-incident").await.unwrap(), None);
}

async fn list_filters_and_orders(db: &TestDb) {
    let crash_shop = new_incident(
        db,
        firing("CrashLoop", "fp-1", t(0)).on_deployment("shop", "api"),
        t(10),
    )
    .await;
    let crash_billing = new_incident(
        db,
        firing("CrashLoop", "fp-2", t(0)).on_deployment("billing", "worker"),
        t(20),
    )
    .await;
    let oom_shop = new_incident(
        db,
        firing("OOMKilled", "fp-3", t(0)).on_deployment("shop", "cart"),
        t(30),
    )
    .await;
    let node = firing("NodeNotReady", "fp-4", t(0)).resolved_at(t(35));
    let node = record(db, &[node], t(40)).await[0].id().to_string();
    db.store
        .save_result(&oom_shop, &escalation(ProcessingState::Escalated, t(50)))
        .await
        .unwrap();

    let ids = |query: IncidentQuery| async move {
        let listed = db.store.list(&query).await.unwrap();
        listed.into_iter().map(|s| s.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(IncidentQuery::default()).await,
        vec![
            node.clone(),
            oom_shop.clone(),
            crash_billing.clone(),
            crash_shop.clone()
        ],
        "newest first"
    );
    let by_name = IncidentQuery {
        alertname: Some("CrashLoop".into()),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(by_name).await, vec![crash_billing.clone(), crash_shop.clone()]);
    let by_namespace = IncidentQuery {
        namespace: Some("shop".into()),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(by_namespace).await, vec![oom_shop.clone(), crash_shop.clone()]);
    let both = IncidentQuery {
        alertname: Some("CrashLoop".into()),
        namespace: Some("shop".into()),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(both).await, vec![crash_shop.clone()]);
    let resolved = IncidentQuery {
        status: Some("resolved".into()),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(resolved).await, vec![node.clone()]);
    let escalated = IncidentQuery {
        state: Some("escalated".into()),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(escalated).await, vec![oom_shop.clone()]);
    let limited = IncidentQuery {
        limit: Some(2),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(limited).await, vec![node.clone(), oom_shop.clone()]);
    let nothing = IncidentQuery {
        alertname: Some("'; DROP TABLE incidents; --".into()),
        ..IncidentQuery::default()
    };
    assert!(ids(nothing).await.is_empty());

    let listed = db.store.list(&IncidentQuery::default()).await.unwrap();
    let oom = listed.iter().find(|s| s.id == oom_shop).unwrap();
    assert_eq!(oom.alertname, "OOMKilled");
    assert_eq!(oom.status, "firing");
    assert_eq!(oom.state, ProcessingState::Escalated);
    assert_eq!(oom.target.as_deref(), Some("Deployment/shop/cart"));
    assert_eq!(oom.action.as_deref(), Some("escalate"));
    assert_eq!(oom.verdict.as_deref(), Some("allow"));
    assert_eq!(oom.received_at, t(30));
    let node = listed.iter().find(|s| s.id == node).unwrap();
    assert_eq!(
        (node.status.as_str(), node.state),
        ("resolved", ProcessingState::Ignored)
    );
    assert_eq!((&node.target, &node.action, &node.verdict), (&None, &None, &None));
}

async fn count_by_state_groups(db: &TestDb) {
    assert!(db.store.count_by_state().await.unwrap().is_empty());
    let a = new_incident(db, firing("A", "fp-a", t(0)), t(1)).await;
    new_incident(db, firing("B", "fp-b", t(0)), t(1)).await;
    new_incident(db, firing("C", "fp-c", t(0)), t(1)).await;
    record(db, &[firing("D", "fp-d", t(0)).resolved_at(t(5))], t(6)).await;
    assert!(db.store.claim(&a, t(7)).await.unwrap());
    assert_eq!(
        db.store.count_by_state().await.unwrap(),
        vec![("deciding".into(), 1), ("ignored".into(), 1), ("received".into(), 2)]
    );
}

async fn corrupt_json_names_the_record(db: &TestDb) {
    let id = new_incident(db, firing("A", "fp-a", t(0)), t(1)).await;
    sqlx::query("UPDATE incidents SET incident_json = '{not json' WHERE id = $1")
        .bind(id.as_str())
        .execute(&db.store.pool)
        .await
        .unwrap();
    match db.store.get(&id).await {
        Err(StoreError::Corrupt { id: bad, message }) => {
            assert_eq!(bad, id);
            assert!(message.contains("incident_json"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    sqlx::query("UPDATE incidents SET state = 'sleeping' WHERE id = $1")
        .bind(id.as_str())
        .execute(&db.store.pool)
        .await
        .unwrap();
    match db.store.list(&IncidentQuery::default()).await {
        Err(StoreError::Corrupt { id: bad, message }) => {
            assert_eq!(bad, id);
            assert!(message.contains("sleeping"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

async fn failed_notification_leaves_nothing(db: &TestDb) {
    // The database itself refuses the second alert of the notification.
    match db.kind {
        Kind::Sqlite => {
            db.exec(
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON incidents WHEN NEW.alertname = 'Boom' \
                 BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;",
            )
            .await
        }
        Kind::Postgres => {
            db.exec(
                "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.alertname = 'Boom' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER refuse_boom BEFORE INSERT ON incidents \
                 FOR EACH ROW EXECUTE FUNCTION refuse_boom();",
            )
            .await
        }
    }
    let good = firing("Good", "fp-good", t(0));
    let err = db
        .store
        .record_alerts(&[good.clone(), firing("Boom", "fp-boom", t(0))], t(1))
        .await
        .unwrap_err();
    match err {
        StoreError::Query(message) => assert!(message.contains("refused by test trigger"), "{message}"),
        other => panic!("expected a query error, got {other:?}"),
    }
    assert!(
        db.store.list(&IncidentQuery::default()).await.unwrap().is_empty(),
        "the first alert was rolled back"
    );
    assert!(db.store.count_by_state().await.unwrap().is_empty());
    // Alertmanager retries the part it can: the first alert is new, not a duplicate.
    new_incident(db, good, t(2)).await;
}

async fn closed_store_is_unavailable(db: &TestDb) {
    db.store.ping().await.expect("an open store answers");
    db.store.close().await;
    assert!(matches!(db.store.ping().await, Err(StoreError::Unavailable(_))));
    assert!(matches!(
        db.store.record_alerts(&[firing("A", "fp-a", t(0))], t(1)).await,
        Err(StoreError::Unavailable(_))
    ));
}

// ---------------------------------------------------------------------------------------
// Start-up

#[tokio::test]
async fn dead_postgres_is_unavailable_quickly_and_the_password_stays_secret() {
    let started = Instant::now();
    let err = SqlStore::connect("postgres://medic:hunter2@127.0.0.1:1/medic")
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    match &err {
        StoreError::Unavailable(message) => {
            assert!(message.contains("postgres://medic:****@127.0.0.1:1/medic"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[tokio::test]
async fn unknown_scheme_is_a_bad_url() {
    match SqlStore::connect("mysql://root:hunter2@localhost/medic").await {
        Err(StoreError::BadUrl { url, .. }) => assert_eq!(url, "mysql://root:****@localhost/medic"),
        other => panic!("expected BadUrl, got {other:?}"),
    }
}

#[tokio::test]
async fn sqlite_in_creates_the_directory_and_a_wal_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let store = SqlStore::sqlite_in(&data).await.unwrap();
    assert!(data.join("medic.db").is_file());
    assert_eq!(store.backend(), "sqlite");
    let mut conn = store.pool.acquire().await.unwrap();
    let row = sqlx::query("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(sqlx::Row::get::<String, _>(&row, 0), "wal");
    let row = sqlx::query("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(sqlx::Row::get::<i64, _>(&row, 0), 1);
    let row = sqlx::query("PRAGMA busy_timeout").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(
        sqlx::Row::get::<i64, _>(&row, 0),
        i64::from(super::SQLITE_BUSY_TIMEOUT_MS)
    );
}

#[tokio::test]
async fn sqlite_in_an_unwritable_place_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    match SqlStore::sqlite_in(&file.join("data")).await {
        Err(StoreError::BadUrl { message, .. }) => assert!(message.contains("data directory"), "{message}"),
        other => panic!("expected BadUrl, got {other:?}"),
    }
}
