//! Retention: incidents older than `assessment.retention_days` are deleted, with their
//! decisions, outcomes and assessments, by an hourly task.
//!
//! [`purge`] does one pass at the injected clock's time; [`spawn`] repeats it. It deletes
//! through [`crate::store::HistoryStore::purge_older_than`] only, never anything younger
//! than the horizon.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::clock::Clock;
use super::periodic::Periodic;
use crate::store::{Store, StoreError};

/// How often the horizon is enforced.
pub const EVERY: Duration = Duration::from_secs(3600);

/// The horizon for `days` of retention at `now`; `None` when `days` is 0 (keep all).
pub fn cutoff(now: Timestamp, days: u32) -> Option<Timestamp> {
    if days == 0 {
        return None;
    }
    let keep = SignedDuration::from_hours(24 * i64::from(days));
    Some(now.checked_sub(keep).unwrap_or(Timestamp::MIN))
}

/// Deletes what is older than the horizon, returning how many incidents went.
pub async fn purge(store: &dyn Store, clock: &dyn Clock, days: u32) -> Result<u64, StoreError> {
    let Some(cutoff) = cutoff(clock.now(), days) else {
        return Ok(0);
    };
    let deleted = store.purge_older_than(cutoff).await?;
    if deleted > 0 {
        tracing::info!(deleted, %cutoff, retention_days = days, "old incidents deleted");
    }
    Ok(deleted)
}

/// Enforces the horizon now and then hourly, in the background; `None` when `days` is 0.
pub fn spawn(store: Arc<dyn Store>, clock: Arc<dyn Clock>, days: u32) -> Option<Periodic> {
    (days > 0).then(|| {
        Periodic::spawn("retention", EVERY, move || {
            let (store, clock) = (store.clone(), clock.clone());
            async move { purge(store.as_ref(), clock.as_ref(), days).await.map(drop) }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_horizon_is_days_before_now() {
        let now = Timestamp::from_second(1_767_225_600).unwrap();
        assert_eq!(
            cutoff(now, 90),
            Some(Timestamp::from_second(1_767_225_600 - 90 * 86_400).unwrap())
        );
        assert_eq!(
            cutoff(now, 1),
            Some(Timestamp::from_second(1_767_225_600 - 86_400).unwrap())
        );
        assert_eq!(cutoff(now, 0), None, "0 keeps everything");
        assert_eq!(cutoff(Timestamp::MIN, 90), Some(Timestamp::MIN), "saturates");
    }
}
