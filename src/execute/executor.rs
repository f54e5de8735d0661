//! [`Executor`]: what execution needs, built once at start-up (`app.rs`) and held by the
//! pipeline: the cluster, the notifier, the configured channels, the metrics.

use std::sync::Arc;
use std::time::Duration;

use super::notifier::Notifier;
use crate::actions::ActionSettings;
use crate::cluster::Cluster;
use crate::web::metrics::Metrics;

/// How often an eviction refused by a disruption budget is tried again.
pub const EVICT_RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// Carries out plans: cluster calls, notifications, Events on what it touched.
pub struct Executor {
    /// The cluster acted on.
    pub cluster: Arc<dyn Cluster>,
    /// Delivers `notify` and `escalate` messages.
    pub notifier: Arc<dyn Notifier>,
    /// The actions' settings (the notify channels, by name).
    pub settings: ActionSettings,
    /// Counts failures to record Events.
    pub metrics: Arc<Metrics>,
    /// How often a refused eviction is tried again ([`EVICT_RETRY_INTERVAL`]).
    pub evict_retry: Duration,
}

impl Executor {
    /// An executor with the default eviction retry interval.
    pub fn new(
        cluster: Arc<dyn Cluster>,
        notifier: Arc<dyn Notifier>,
        settings: ActionSettings,
        metrics: Arc<Metrics>,
    ) -> Executor {
        Executor {
            cluster,
            notifier,
            settings,
            metrics,
            evict_retry: EVICT_RETRY_INTERVAL,
        }
    }

    /// Tries refused evictions again every `interval` instead.
    pub fn with_evict_retry(mut self, interval: Duration) -> Executor {
        self.evict_retry = interval;
        self
    }
}
