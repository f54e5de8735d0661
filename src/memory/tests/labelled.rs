//! A labelled set: queries from each family find their own family first, in a sensible
//! order (a crash loop from a configuration error is nearer an OOM crash loop than a full
//! volume is), with the actions and states read from the store.

use std::collections::HashMap;

use super::fixtures::{Fixture, queries, stored_set};

/// Stores the set; returns the family of each id.
async fn remember_all(f: &Fixture) -> HashMap<String, &'static str> {
    let mut family_of = HashMap::new();
    for (i, case) in stored_set().iter().enumerate() {
        let id = f.remember(case, i as i64 * 10).await;
        family_of.insert(id, case.family);
    }
    family_of
}

#[tokio::test]
async fn each_family_finds_its_own_first() {
    let f = Fixture::new(4).await;
    let family_of = remember_all(&f).await;
    assert_eq!(f.memory.index().len().await.unwrap(), 13);
    for query in queries() {
        let similar = f
            .memory
            .similar_to(&query.incident, &query.context, None)
            .await
            .unwrap();
        let found: Vec<(&str, f32)> = similar
            .iter()
            .map(|s| (family_of[&s.incident_id], s.similarity))
            .collect();
        eprintln!("query {:<7} → {found:?}", query.family);
        assert_eq!(similar.len(), 4, "k is respected");
        assert!(
            similar.windows(2).all(|w| w[0].similarity >= w[1].similarity),
            "best first: {found:?}"
        );
        let families: Vec<&str> = found.iter().map(|(f, _)| *f).collect();
        let expected: &[&str] = match query.family {
            "oom" => &["oom", "oom", "oom", "config"],
            "config" => &["config", "oom", "oom", "oom"],
            "image" => &["image", "image", "image"],
            "node" => &["node", "node", "node"],
            "volume" => &["volume", "volume", "volume"],
            other => panic!("unknown family {other}"),
        };
        assert_eq!(
            &families[..expected.len()],
            expected,
            "query {}: {found:?}",
            query.family
        );
        for s in &similar {
            assert_eq!(s.action.as_deref(), Some("escalate"));
            assert_eq!(s.state.as_deref(), Some("escalated"));
            assert_eq!(s.effectiveness, None, "not assessed");
        }
    }
}

#[tokio::test]
async fn a_stored_incident_never_finds_itself() {
    let f = Fixture::new(3).await;
    let family_of = remember_all(&f).await;
    let (oom_id, _) = family_of.iter().find(|(_, fam)| **fam == "oom").unwrap();
    let similar = f.memory.similar_to_stored(oom_id).await.unwrap();
    assert!(similar.iter().all(|s| &s.incident_id != oom_id));
    let families: Vec<&str> = similar.iter().map(|s| family_of[&s.incident_id]).collect();
    assert_eq!(families, ["oom", "oom", "config"]);
    // The same alert again (same fingerprint and start) is the same incident, not a neighbour.
    let stored = f.store_get(oom_id).await;
    let context = stored.decision.unwrap().context;
    let again = f.memory.similar_to(&stored.incident, &context, None).await.unwrap();
    assert!(again.iter().all(|s| &s.incident_id != oom_id));
    assert!(matches!(
        f.memory.similar_to_stored("no-such-incident").await,
        Err(crate::memory::MemoryError::UnknownIncident(id)) if id == "no-such-incident"
    ));
}

#[tokio::test]
async fn k_zero_turns_retrieval_off() {
    let f = Fixture::new(0).await;
    remember_all(&f).await;
    let q = &queries()[0];
    assert!(
        f.memory
            .similar_to(&q.incident, &q.context, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_index_survives_a_restart() {
    let f = Fixture::new(3).await;
    let family_of = remember_all(&f).await;
    let reopened = f.reopen().await;
    assert_eq!(reopened.index().len().await.unwrap(), 13);
    let q = &queries()[1];
    let similar = reopened.similar_to(&q.incident, &q.context, None).await.unwrap();
    let families: Vec<&str> = similar.iter().map(|s| family_of[&s.incident_id]).collect();
    assert_eq!(families, ["image", "image", "image"]);
}

#[tokio::test]
async fn purged_incidents_are_forgotten() {
    use crate::store::HistoryStore;

    let f = Fixture::new(4).await;
    let family_of = remember_all(&f).await;
    // The three OOM crash loops were received at minutes 0, 10 and 20.
    assert_eq!(f.store.purge_older_than(super::fixtures::at(25)).await.unwrap(), 3);
    let q = &queries()[0];
    assert_eq!(q.family, "oom");
    let similar = f.memory.similar_to(&q.incident, &q.context, None).await.unwrap();
    let families: Vec<&str> = similar.iter().map(|s| family_of[&s.incident_id]).collect();
    assert_eq!(families[0], "config", "{families:?}");
    assert!(!families.contains(&"oom"), "{families:?}");
    assert_eq!(
        f.memory.index().len().await.unwrap(),
        10,
        "the stale vectors were dropped"
    );
    let reopened = f.reopen().await;
    assert_eq!(
        reopened.index().len().await.unwrap(),
        10,
        "their rows went with the incidents"
    );
}
