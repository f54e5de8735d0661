//! Storm coalescing: a thousand alerts of one Alertmanager group cost one model call.

use std::sync::Arc;

use serde_json::json;

use super::fixtures::*;
use super::mock::{MockServer, Script, Wire};
use crate::decide::Decider;

#[tokio::test]
async fn a_thousand_alerts_of_one_group_make_exactly_one_provider_call() {
    let delayed = Script::Delay(
        std::time::Duration::from_millis(200),
        Box::new(Script::answer(json!({
            "action": "increase_resources", "params": {"memory_factor": 1.5},
            "target": {"kind": "Deployment", "namespace": "shop", "name": "api"},
            "confidence": 0.8, "rationale": "OOMKilled at the limit"
        }))),
    );
    let server = MockServer::start(Wire::OpenAi, vec![delayed]).await;
    let cluster = demo_cluster();
    let mut incident = crash_incident();
    incident.group_key = Some("{}/{severity=\"warning\"}:{alertname=\"KubePodCrashLooping\"}".into());
    let context = Arc::new(context_of(&cluster, &incident).await);
    let d = Arc::new(decider(openai(&server, quick()), settings(), cluster));

    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let (d, context) = (d.clone(), context.clone());
            let mut incident = incident.clone();
            incident.fingerprint = format!("fp-{i}");
            tokio::spawn(async move { d.decide(&incident, &context).await })
        })
        .collect();
    let mut shared = 0;
    for t in tasks {
        let decision = t.await.unwrap().unwrap().unwrap();
        assert_eq!(decision.action_name(), "increase_resources");
        let usage = decision.llm.unwrap();
        if usage.shared_from.is_some() {
            shared += 1;
            assert_eq!((usage.tokens_in, usage.tokens_out), (0, 0));
        } else {
            assert_eq!(usage.tokens_in, 42);
        }
    }
    assert_eq!(server.calls(), 1);
    assert_eq!(shared, 999);

    // another group is decided on its own (and fails: the mock's script is exhausted)
    let mut other = incident.clone();
    other.group_key = Some("{}:{alertname=\"KubeNodeNotReady\"}".into());
    assert!(d.decide(&other, &context).await.is_err());
    assert!(server.calls() > 1);
}
