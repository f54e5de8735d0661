//! What is sent when: nothing in dry-run but an allowed escalation's notification;
//! notifications of executed plans, and their failures.

use super::*;

#[tokio::test]
async fn dry_run_sends_nothing_and_changes_nothing() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let dry = verdict(VerdictKind::Allow, true);
    for (name, params) in [
        ("notify", json!({})),
        ("cordon_node", json!({})),
        ("drain_node", json!({})),
    ] {
        let outcome = s.run(name, params, &dry).await;
        assert_eq!(outcome.status, OutcomeStatus::Planned, "{name}");
        assert!(outcome.results.is_empty(), "{name}: {:?}", outcome.results);
    }
    assert!(s.notifier.sent().is_empty());
    assert!(s.cluster.applied().is_empty());
}

#[tokio::test]
async fn an_escalation_notifies_its_channels_even_in_dry_run() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let outcome = s
        .run(
            "escalate",
            json!({"reason": "disk failure"}),
            &verdict(VerdictKind::Allow, true),
        )
        .await;
    assert_eq!(outcome.status, OutcomeStatus::Planned);
    assert_eq!(
        outcome.results,
        ["NOTIFY pager (escalation in dry-run): delivered (200 OK)"]
    );
    let sent = s.notifier.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "pager");
    assert!(
        sent[0].1.starts_with("medic escalation: disk failure\n"),
        "{}",
        sent[0].1
    );
    assert!(sent[0].2, "the message says it is a dry-run");
    assert!(s.cluster.applied().is_empty());

    // A one-off command (`medic recommend`) withholds even that.
    let mut quiet = s.executor();
    quiet.notifier = Arc::new(Withheld);
    let plan = s.plan("escalate", json!({})).await;
    let outcome = execute(&quiet, &s.incident, &verdict(VerdictKind::Allow, true), plan).await;
    assert_eq!(
        outcome.results,
        ["NOTIFY pager (escalation in dry-run): withheld from pager (this command sends no notifications)"]
    );
    assert_eq!(s.notifier.sent().len(), 1);

    // Held or denied, it waits for a human's decision: nothing is sent.
    let held = s.run("escalate", json!({}), &verdict(VerdictKind::Hold, true)).await;
    assert_eq!(held.status, OutcomeStatus::Skipped);
    assert_eq!(s.notifier.sent().len(), 1);
}

#[tokio::test]
async fn executed_notify_sends_and_a_failed_send_fails_the_outcome() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let go = verdict(VerdictKind::Allow, false);
    let outcome = s.run("notify", json!({"message": "worker-1 cordoned"}), &go).await;
    assert_eq!(outcome.status, OutcomeStatus::Executed);
    assert_eq!(outcome.results, ["NOTIFY ops: delivered (200 OK)"]);
    assert_eq!(
        s.notifier.sent(),
        [("ops".to_string(), "worker-1 cordoned".to_string(), false)]
    );
    assert!(s.cluster.applied().is_empty(), "a notification is not a cluster call");

    // A channel removed from config between planning and execution.
    let plan = s.plan("notify", json!({"channel": "pager"})).await;
    let mut executor = s.executor();
    executor.settings.notify.retain(|c| c.name != "pager");
    let outcome = execute(&executor, &s.incident, &go, plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert_eq!(
        outcome.error.as_deref(),
        Some("NOTIFY pager: notify channel \"pager\" is not configured (actions.notify)")
    );
}
