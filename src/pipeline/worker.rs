//! The background worker: decides stored incidents with bounded concurrency.
//!
//! The webhook handler stores alerts and hands new incident ids to the worker through
//! [`WorkerHandle::submit`] (the approvals API hands approved ones); nothing is lost if the
//! hand-off is missed, because the worker also claims work from the store at start and
//! periodically, as many incidents as it has free slots: new ones, approved ones, and
//! those whose process died (their lease ran out). The same sweep expires approvals
//! nobody answered. Several workers (replicas) on one database share the work: a claim
//! never hands the same incident to two of them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::evaluate::Pipeline;
use crate::store::Store;

/// The longest time between two sweeps of the store.
const SWEEP_AT_MOST_EVERY: Duration = Duration::from_secs(5);
/// The shortest.
const SWEEP_AT_LEAST_EVERY: Duration = Duration::from_millis(200);
/// Approvals expired per sweep.
const EXPIRE_BATCH: i64 = 100;

/// Runs incidents through the pipeline.
pub struct Worker {
    pipeline: Arc<Pipeline>,
    store: Arc<dyn Store>,
    concurrency: usize,
}

/// Submits work to a running worker and stops it.
#[derive(Clone)]
pub struct WorkerHandle {
    tx: mpsc::UnboundedSender<String>,
}

/// A running worker's task, to wait for on shutdown.
pub struct WorkerTask {
    handle: WorkerHandle,
    join: JoinHandle<()>,
}

impl WorkerHandle {
    /// A handle connected to no worker: submissions are dropped (the incidents stay
    /// pending in the store). For tools that drive the pipeline themselves.
    pub fn detached() -> WorkerHandle {
        let (tx, _rx) = mpsc::unbounded_channel();
        WorkerHandle { tx }
    }

    /// Queues a stored incident for deciding. Never blocks.
    pub fn submit(&self, id: String) {
        // A closed channel means shutdown: the incident stays pending in the store and
        // is resumed at the next start.
        let _ = self.tx.send(id);
    }
}

impl WorkerTask {
    /// The handle for submitting work.
    pub fn handle(&self) -> WorkerHandle {
        self.handle.clone()
    }

    /// Stops taking work and waits for incidents in flight to be stored.
    pub async fn shutdown(self) {
        drop(self.handle);
        let _ = self.join.await;
    }
}

impl Worker {
    /// A worker deciding up to `concurrency` incidents at once.
    pub fn new(pipeline: Arc<Pipeline>, store: Arc<dyn Store>, concurrency: usize) -> Self {
        Worker {
            pipeline,
            store,
            concurrency: concurrency.max(1),
        }
    }

    /// Starts the worker; it first resumes incidents left pending by an earlier run.
    pub fn spawn(self) -> WorkerTask {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = WorkerHandle { tx };
        let join = tokio::spawn(self.run(rx));
        WorkerTask { handle, join }
    }

    async fn run(self, mut rx: mpsc::UnboundedReceiver<String>) {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        // A quarter of the lease, so work left by a dead process is taken over soon after
        // its lease runs out.
        let every = (self.pipeline.processing.lease.std() / 4).clamp(SWEEP_AT_LEAST_EVERY, SWEEP_AT_MOST_EVERY);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                id = rx.recv() => {
                    let Some(id) = id else { break };
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        break;
                    };
                    let pipeline = self.pipeline.clone();
                    let store = self.store.clone();
                    tokio::spawn(async move {
                        if let Err(e) = pipeline.process(store.as_ref(), &id).await {
                            pipeline.metrics.error("process");
                            tracing::error!(incident = %id, error = %e, "could not process incident; it stays pending");
                        }
                        drop(permit);
                    });
                }
                _ = tick.tick() => self.sweep(&permits).await,
            }
        }
        // Wait for the incidents in flight.
        let _ = permits.acquire_many(self.concurrency as u32).await;
    }

    /// Expires unanswered approvals, then claims work for every free slot.
    async fn sweep(&self, permits: &Arc<Semaphore>) {
        let now = jiff::Timestamp::now();
        match self.store.expire_approvals(now, EXPIRE_BATCH).await {
            Ok(expired) => {
                for a in expired {
                    tracing::info!(incident = %a.incident_id, approval = a.id, "approval expired unanswered");
                }
            }
            Err(e) => {
                self.pipeline.metrics.error("store");
                tracing::warn!(error = %e, "cannot expire approvals; retrying");
            }
        }
        while let Ok(permit) = permits.clone().try_acquire_owned() {
            let now = jiff::Timestamp::now();
            let until = self.pipeline.lease_until(now);
            let claimed = match self.store.claim_next(&self.pipeline.owner, now, until, 1).await {
                Ok(mut claimed) => claimed.pop(),
                Err(e) => {
                    self.pipeline.metrics.error("store");
                    tracing::warn!(error = %e, "cannot claim pending incidents; retrying");
                    None
                }
            };
            let Some(claimed) = claimed else { break };
            let pipeline = self.pipeline.clone();
            let store = self.store.clone();
            tokio::spawn(async move {
                let id = claimed.id.clone();
                if let Err(e) = pipeline.process_claimed(store.as_ref(), claimed).await {
                    pipeline.metrics.error("process");
                    tracing::error!(incident = %id, error = %e, "could not process incident; it stays pending");
                }
                drop(permit);
            });
        }
    }
}
