//! The pipeline's hooks: a decided incident is indexed, the next similar one finds it in
//! its context (stored with the decision), and a failing memory never fails an incident.

use std::sync::Arc;

use super::fixtures::{Fixture, at};
use crate::config::Config;
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::memory::{EmbeddedIndex, Memory, OpenAiEmbedder};
use crate::store::Store;
use crate::web::metrics::Metrics;

/// The demo cluster's crash-looping pod, as a firing alert starting at `minutes`.
fn web_crash_loop(fingerprint: &str, minutes: i64) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: fingerprint.into(),
        status: AlertStatus::Firing,
        alertname: "KubePodCrashLooping".into(),
        severity: Some("warning".into()),
        labels: Labels::from([
            ("alertname".to_string(), "KubePodCrashLooping".to_string()),
            ("namespace".to_string(), "default".to_string()),
            ("pod".to_string(), "web-7d4b9c-xyz".to_string()),
            ("container".to_string(), "web".to_string()),
        ]),
        annotations: Labels::from([(
            "summary".to_string(),
            "Pod default/web-7d4b9c-xyz is crash looping".to_string(),
        )]),
        starts_at: at(minutes),
        ends_at: None,
        generator_url: None,
        receiver: Some("medic".into()),
        group_key: None,
        target: Some(TargetRef {
            kind: TargetKind::Pod,
            namespace: Some("default".into()),
            name: "web-7d4b9c-xyz".into(),
            container: Some("web".into()),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_incident_finds_the_decided_one_in_its_context() {
    let f = Fixture::new(5).await;
    let mut pipeline = crate::app::pipeline(&Config::default(), Arc::new(Metrics::new()))
        .await
        .unwrap();
    pipeline.memory = Some(f.memory.clone());

    let first = web_crash_loop("aaaa000000000001", 0);
    let first_id = f.store.record_alerts(&[first], at(0)).await.unwrap()[0]
        .id()
        .to_string();
    pipeline
        .process(f.store.as_ref(), &first_id)
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!(
        f.memory.index().len().await.unwrap(),
        1,
        "the decided incident is indexed"
    );
    let first_stored = f.store_get(&first_id).await;
    let first_decision = first_stored.decision.as_ref().unwrap();
    assert!(
        first_decision.context.similar.is_empty(),
        "nothing was stored before it"
    );

    let second = web_crash_loop("aaaa000000000002", 60);
    let second_id = f.store.record_alerts(&[second], at(60)).await.unwrap()[0]
        .id()
        .to_string();
    pipeline
        .process(f.store.as_ref(), &second_id)
        .await
        .unwrap()
        .expect("claimed");
    let second_stored = f.store_get(&second_id).await;
    let similar = &second_stored.decision.as_ref().unwrap().context.similar;
    assert_eq!(similar.len(), 1);
    assert_eq!(similar[0].incident_id, first_id);
    assert_eq!(similar[0].alertname, "KubePodCrashLooping");
    assert_eq!(
        similar[0].action.as_deref(),
        Some(first_decision.decision.action_name())
    );
    assert_eq!(similar[0].state.as_deref(), Some(first_stored.state.as_str()));
    assert!(
        similar[0].similarity > 0.95,
        "the same trouble: {}",
        similar[0].similarity
    );
    assert_eq!(f.memory.index().len().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_memory_is_reported_in_the_context_and_the_incident_decided() {
    let f = Fixture::new(5).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let embedder = Arc::new(OpenAiEmbedder::new(&format!("http://{addr}/v1"), "m", 512, None).unwrap());
    let index = Arc::new(EmbeddedIndex::open(f.store.clone(), "openai:m", 512).await.unwrap());
    let memory = Arc::new(Memory::new(embedder, index, f.store.clone(), 5).unwrap());
    let mut pipeline = crate::app::pipeline(&Config::default(), Arc::new(Metrics::new()))
        .await
        .unwrap();
    pipeline.memory = Some(memory);
    let id = f
        .store
        .record_alerts(&[web_crash_loop("bbbb000000000001", 0)], at(0))
        .await
        .unwrap()[0]
        .id()
        .to_string();
    let state = pipeline.process(f.store.as_ref(), &id).await.unwrap().expect("claimed");
    assert!(state.is_final());
    let stored = f.store_get(&id).await;
    let errors = &stored.decision.unwrap().context.errors;
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("similar incidents: embeddings provider openai (model m)")),
        "{errors:?}"
    );
}
