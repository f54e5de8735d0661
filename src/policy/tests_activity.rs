//! Gathering the facts: no store (not checked), a store that answers, a store that is
//! down (a problem, and the checks fail closed), and read-only actions (nothing read).

use jiff::Timestamp;

use super::facts::PolicyFacts;
use super::gather::{GatherInput, gather};
use super::{PolicyConfig, VerdictKind, evaluate};
use crate::actions::{Action, Escalate, RestartPod};
use crate::cluster::ObjectRef;
use crate::cluster::sim::SimCluster;
use crate::context::Context;
use crate::decide::{DecidedBy, Decision};
use crate::store::Store;
use crate::store::sql::testing::{Backend, TestDb};

fn decision(action: Action) -> Decision {
    Decision {
        action,
        target: Some(ObjectRef::namespaced("Pod", "shop", "api-1")),
        rationale: String::new(),
        confidence: 1.0,
        decided_by: DecidedBy {
            decider: "rules".into(),
            name: "t".into(),
        },
        alternatives: vec![],
        llm: None,
    }
}

async fn facts_with(store: Option<&dyn Store>, d: &Decision) -> PolicyFacts {
    let cluster = SimCluster::from_yaml("").unwrap();
    let incident =
        crate::decide::rules::matcher::tests::incident("alertname: KubePodCrashLooping, namespace: shop, pod: api-1");
    gather(GatherInput {
        store,
        cluster: &cluster,
        incident: &incident,
        context: &Context::default(),
        decision: d,
        plan: None,
        now: Timestamp::now(),
        approval: None,
    })
    .await
}

#[tokio::test]
async fn no_store_is_not_a_problem_a_store_that_answers_gives_activity() {
    let d = decision(Action::RestartPod(RestartPod::default()));
    let f = facts_with(None, &d).await;
    assert_eq!((f.activity.as_ref(), f.activity_error.as_ref()), (None, None));
    assert!(f.problems.is_empty(), "{:?}", f.problems);

    let db = TestDb::new(Backend::Sqlite).await;
    let f = facts_with(Some(db.store.as_ref()), &d).await;
    assert_eq!(f.activity, Some(super::Activity::default()));
    assert!(f.problems.is_empty(), "{:?}", f.problems);
}

#[tokio::test]
async fn a_store_that_cannot_be_read_is_a_problem_and_the_checks_fail_closed() {
    let db = TestDb::new(Backend::Sqlite).await;
    db.store.close().await;
    let d = decision(Action::RestartPod(RestartPod::default()));
    let f = facts_with(Some(db.store.as_ref()), &d).await;
    assert!(f.activity.is_none());
    let error = f.activity_error.clone().expect("the error is kept");
    assert!(error.starts_with("store unavailable"), "{error}");
    assert_eq!(f.problems, [format!("recent activity: {error}")]);
    let policy = PolicyConfig {
        mode: super::Mode::Autonomous,
        ..PolicyConfig::default()
    };
    let v = evaluate(&policy, &d, &f);
    assert_eq!(v.kind, VerdictKind::Deny);
    assert!(
        v.summary()
            .contains("recent activity could not be read (store unavailable"),
        "{}",
        v.summary()
    );

    // Escalating needs no facts: nothing is read, nothing fails.
    let esc = decision(Action::Escalate(Escalate::default()));
    let f = facts_with(Some(db.store.as_ref()), &esc).await;
    assert!(f.problems.is_empty());
    assert_eq!(evaluate(&policy, &esc, &f).kind, VerdictKind::Allow);
}
