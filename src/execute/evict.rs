//! Evictions that wait for PodDisruptionBudgets: while the cluster answers
//! [`ClusterError::DisruptionBudget`], the eviction is tried again every retry interval
//! (5 s by default) until the deadline, then fails with the budget's message.
//!
//! Time is tokio's, so tests can pause it. Nothing else is retried here: any other answer
//! is returned as it is.

use std::time::Duration;

use tokio::time::Instant;

use crate::cluster::{Cluster, ClusterError, Operation, OperationResult};

/// Applies the eviction `op`, trying again every `interval` while a disruption budget
/// refuses it, until `deadline`. `waited` is the whole wait allowed (for the message).
pub(super) async fn evict_until(
    cluster: &dyn Cluster,
    op: &Operation,
    deadline: Instant,
    interval: Duration,
    waited: Duration,
) -> Result<OperationResult, ClusterError> {
    let mut attempts = 1u32;
    loop {
        match cluster.apply(op).await {
            Err(ClusterError::DisruptionBudget { what, message }) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(ClusterError::DisruptionBudget {
                        what,
                        message: format!(
                            "{message} (still refused after {attempts} attempts over the drain's timeout of {}s)",
                            waited.as_secs()
                        ),
                    });
                }
                tracing::info!(operation = %op.describe(), reason = %message, "eviction refused by a disruption budget; trying again");
                tokio::time::sleep(interval.min(deadline - now)).await;
                attempts += 1;
            }
            other => return other,
        }
    }
}
