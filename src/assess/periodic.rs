//! Background loops: run a step, wait, run it again, until told to stop.
//!
//! The waiting happens here, on tokio's timer; the step itself reads an injected clock,
//! so tests call the step directly instead of running the loop. A step's error is logged
//! and the loop goes on.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running loop, to stop on shutdown.
pub struct Periodic {
    stop: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl Periodic {
    /// Runs `step` now and then every `every` until [`Periodic::shutdown`]. `name` names
    /// the loop in logs.
    pub fn spawn<F, Fut, E>(name: &'static str, every: Duration, mut step: F) -> Periodic
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send,
        E: std::fmt::Display,
    {
        let (stop, mut stopped) = watch::channel(false);
        let join = tokio::spawn(async move {
            loop {
                if let Err(e) = step().await {
                    tracing::warn!(task = name, error = %e, "background step failed; retrying later");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Periodic { stop, join }
    }

    /// Stops the loop, waiting for a step in progress to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.join.await;
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc;

    use super::*;

    #[tokio::test]
    async fn runs_at_once_and_stops_without_waiting_for_the_interval() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = Periodic::spawn("test", Duration::from_secs(3600), move || {
            let tx = tx.clone();
            async move {
                let _ = tx.send(());
                Err::<(), _>("a failing step is logged, not fatal")
            }
        });
        rx.recv().await.expect("the first step runs at once");
        // Shutdown interrupts the hour-long wait: this returns at once.
        tokio::time::timeout(Duration::from_secs(5), task.shutdown())
            .await
            .expect("shutdown does not wait for the interval");
        assert!(rx.try_recv().is_err(), "nothing ran after the first step");
    }
}
