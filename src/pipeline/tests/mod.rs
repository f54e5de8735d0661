//! Pipeline tests on the simulated cluster and a real store (both backends): approvals
//! (held → approved → re-checked → executed; approved but the cluster changed; expiry)
//! and resuming interrupted executions (verified, re-applied, interrupted).

mod approvals;
mod resume;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use jiff::Timestamp;

use super::Pipeline;
use crate::context::Context;
use crate::decide::{DecideError, Decider, Decision};
use crate::incident::Incident;
use crate::policy::Mode;
use crate::store::{Recorded, Store};

/// Counts the decisions of the decider it wraps.
pub(super) struct Counting {
    inner: Arc<dyn Decider>,
    pub calls: AtomicUsize,
}

#[async_trait]
impl Decider for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn decide(&self, incident: &Incident, context: &Context) -> Result<Option<Decision>, DecideError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.decide(incident, context).await
    }
}

/// A pipeline on the bundled demo cluster in `mode`, with a counting decider.
pub(super) async fn pipeline(mode: Mode) -> (Pipeline, Arc<Counting>) {
    let mut config = crate::config::Config::default();
    config.policy.mode = mode;
    let metrics = Arc::new(crate::web::metrics::Metrics::new());
    let mut pipeline = crate::app::pipeline(&config, metrics).await.expect("pipeline");
    let counting = Arc::new(Counting {
        inner: pipeline.decider.clone(),
        calls: AtomicUsize::new(0),
    });
    pipeline.decider = counting.clone();
    (pipeline, counting)
}

/// The demo cluster's crash-looping `default/web` pod (medic rolls its Deployment back).
pub(super) fn crash_looping(fingerprint: &str) -> Incident {
    crate::assess::fixtures::firing(
        "KubePodCrashLooping",
        fingerprint,
        "default",
        "web-7d4b9c-xyz",
        Timestamp::now(),
    )
}

/// Stores `incident` as new; its id.
pub(super) async fn stored(store: &dyn Store, incident: Incident) -> String {
    match store
        .record_alerts(&[incident], Timestamp::now())
        .await
        .unwrap()
        .as_slice()
    {
        [Recorded::New { id }] => id.clone(),
        other => panic!("expected one new incident, got {other:?}"),
    }
}
