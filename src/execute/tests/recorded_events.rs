//! Events recorded on the objects an executed plan acted on, in the simulated cluster.

use super::*;

fn medic_events(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("medic"))
        .collect()
}

#[tokio::test]
async fn an_executed_plan_leaves_an_event_on_each_object_acted_on() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let pods: Vec<String> = s
        .cluster
        .list(&Kind::of("Pod"), Some("shop"), None)
        .await
        .unwrap()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let outcome = s
        .run("drain_node", json!({}), &verdict(VerdictKind::Allow, false))
        .await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    assert_eq!(outcome.results.len(), 3, "{:?}", outcome.results);

    let node_events = s
        .cluster
        .events(&ObjectRef::cluster_scoped("Node", "worker-1"))
        .await
        .unwrap();
    let ours = medic_events(&node_events);
    assert_eq!(ours.len(), 1);
    let e = ours[0];
    assert_eq!(e.reason.as_deref(), Some("MedicDrainNode"));
    assert_eq!(
        e.message.as_deref(),
        Some("drain node/worker-1: cordon it and evict 2 pods")
    );
    assert_eq!(e.type_.as_deref(), Some("Normal"));
    assert_eq!(e.count, Some(1));
    assert_eq!(e.reporting_component.as_deref(), Some("medic"));
    assert_eq!(e.metadata.namespace.as_deref(), Some("default"));
    assert!(e.metadata.name.as_deref().unwrap().starts_with("worker-1."));
    assert_eq!(e.involved_object.kind.as_deref(), Some("Node"));
    assert_eq!(e.involved_object.uid.as_deref(), Some("uid-worker-1"));
    assert!(e.first_timestamp.is_some() && e.last_timestamp.is_some());

    for pod in pods {
        let events = s
            .cluster
            .events(&ObjectRef::namespaced("Pod", "shop", &pod))
            .await
            .unwrap();
        let ours = medic_events(&events);
        assert_eq!(ours.len(), 1, "one event on {pod}");
        assert_eq!(ours[0].reason.as_deref(), Some("MedicDrainNode"));
        assert_eq!(ours[0].metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(ours[0].involved_object.namespace.as_deref(), Some("shop"));
    }
}

#[tokio::test]
async fn a_failed_operation_records_no_event_and_stops_the_plan() {
    let s = Setup::on(TargetKind::Node, None, "worker-1");
    let plan = s.plan("cordon_node", json!({})).await;
    // The node goes away between planning and execution.
    s.cluster
        .apply(&Operation::Delete {
            target: ObjectRef::cluster_scoped("Node", "worker-1"),
            grace_period_seconds: None,
            uid: None,
        })
        .await
        .unwrap();
    let outcome = execute(&s.executor(), &s.incident, &verdict(VerdictKind::Allow, false), plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    assert_eq!(
        outcome.error.as_deref(),
        Some("PATCH node/worker-1 (merge-patch): node/worker-1 not found")
    );
    let all_events = s.cluster.list(&Kind::of("Event"), None, None).await.unwrap();
    assert!(!all_events.iter().any(|e| e.0["source"]["component"] == "medic"));
}
