//! The background worker: decides stored incidents with bounded concurrency.
//!
//! The webhook handler stores alerts and hands new incident ids to the worker through
//! [`WorkerHandle::submit`]; nothing is lost if the hand-off is missed, because the
//! worker also sweeps the store for pending incidents at start and periodically.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::evaluate::Pipeline;
use crate::store::Store;

/// How often the store is swept for pending incidents missed by the hand-off.
const SWEEP_EVERY: Duration = Duration::from_secs(15);

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
        let sweeper = handle.tx.downgrade();
        let join = tokio::spawn(self.run(rx, sweeper));
        WorkerTask { handle, join }
    }

    async fn run(self, mut rx: mpsc::UnboundedReceiver<String>, sweeper: mpsc::WeakUnboundedSender<String>) {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let store = self.store.clone();
        let sweep = tokio::spawn(async move {
            loop {
                match store.pending(1000).await {
                    Ok(ids) => {
                        let Some(tx) = sweeper.upgrade() else { return };
                        for id in ids {
                            let _ = tx.send(id);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot list pending incidents; retrying"),
                }
                tokio::time::sleep(SWEEP_EVERY).await;
            }
        });
        while let Some(id) = rx.recv().await {
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
        sweep.abort();
        // Wait for the incidents in flight.
        let _ = permits.acquire_many(self.concurrency as u32).await;
    }
}
