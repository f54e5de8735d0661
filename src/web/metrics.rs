//! Prometheus metrics: one place that names every series medic exports.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::decide::Decision;
use crate::policy::Verdict;

type Labels = Vec<(&'static str, String)>;

/// Every metric medic exports.
pub struct Metrics {
    registry: Registry,
    alerts: Family<Labels, Counter>,
    webhook: Family<Labels, Counter>,
    decisions: Family<Labels, Counter>,
    verdicts: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    incidents: Family<Labels, Gauge>,
    processing: Histogram,
    http_unauthorized: Family<Labels, Counter>,
    http_rate_limited: Family<Labels, Counter>,
    http_rejected: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("medic");
        let alerts = Family::<Labels, Counter>::default();
        registry.register(
            "alerts_received",
            "Alerts received on the webhook, by alert status",
            alerts.clone(),
        );
        let webhook = Family::<Labels, Counter>::default();
        registry.register(
            "webhook_requests",
            "Webhook requests, by HTTP status code",
            webhook.clone(),
        );
        let decisions = Family::<Labels, Counter>::default();
        registry.register("decisions", "Decisions made, by action and decider", decisions.clone());
        let verdicts = Family::<Labels, Counter>::default();
        registry.register("verdicts", "Policy verdicts, by kind", verdicts.clone());
        let errors = Family::<Labels, Counter>::default();
        registry.register("errors", "Errors, by stage", errors.clone());
        let incidents = Family::<Labels, Gauge>::default();
        registry.register("incidents", "Stored incidents, by processing state", incidents.clone());
        let processing = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "processing_seconds",
            "Time to decide and store one incident once claimed",
            processing.clone(),
        );
        let http_unauthorized = Family::<Labels, Counter>::default();
        registry.register(
            "http_unauthorized",
            "Requests refused for missing or wrong credentials (401) or a disabled route (403), by route class",
            http_unauthorized.clone(),
        );
        let http_rate_limited = Family::<Labels, Counter>::default();
        registry.register(
            "http_rate_limited",
            "Requests refused by a per-client rate limit (429), by route class",
            http_rate_limited.clone(),
        );
        let http_rejected = Family::<Labels, Counter>::default();
        registry.register(
            "http_rejected",
            "Requests refused by an HTTP limit, by reason (headers_too_large, timeout)",
            http_rejected.clone(),
        );
        Metrics {
            registry,
            http_unauthorized,
            http_rate_limited,
            http_rejected,
            alerts,
            webhook,
            decisions,
            verdicts,
            errors,
            incidents,
            processing,
        }
    }

    /// Counts an alert received.
    pub fn alert_received(&self, status: &str) {
        self.alerts.get_or_create(&vec![("status", status.to_string())]).inc();
    }

    /// Counts a webhook answer.
    pub fn webhook_answered(&self, code: u16) {
        self.webhook.get_or_create(&vec![("code", code.to_string())]).inc();
    }

    /// Counts a decision and its verdict.
    pub fn decided(&self, decision: &Decision, verdict: &Verdict) {
        self.decisions
            .get_or_create(&vec![
                ("action", decision.action_name().to_string()),
                ("decider", decision.decided_by.decider.clone()),
            ])
            .inc();
        self.verdicts
            .get_or_create(&vec![("verdict", verdict.kind.as_str().to_string())])
            .inc();
    }

    /// Counts a request refused with 401 or 403, by route class (`webhook`, `api`, `approvals`).
    pub fn unauthorized(&self, route: &str) {
        self.http_unauthorized
            .get_or_create(&vec![("route", route.to_string())])
            .inc();
    }

    /// Counts a request refused by a rate limit, by route class.
    pub fn rate_limited(&self, route: &str) {
        self.http_rate_limited
            .get_or_create(&vec![("route", route.to_string())])
            .inc();
    }

    /// Counts a request refused by an HTTP limit (`headers_too_large`, `timeout`).
    pub fn rejected(&self, reason: &str) {
        self.http_rejected
            .get_or_create(&vec![("reason", reason.to_string())])
            .inc();
    }

    /// Counts an error in a stage (`webhook`, `store`, `process`).
    pub fn error(&self, stage: &str) {
        self.errors.get_or_create(&vec![("stage", stage.to_string())]).inc();
    }

    /// Records how long processing one incident took.
    pub fn observe_processing(&self, took: Duration) {
        self.processing.observe(took.as_secs_f64());
    }

    /// Sets the incidents-by-state gauge (read from the store at scrape time).
    pub fn set_incident_counts(&self, counts: &[(String, i64)]) {
        self.incidents.clear();
        for (state, n) in counts {
            self.incidents.get_or_create(&vec![("state", state.clone())]).set(*n);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            out = format!("# metrics encoding failed: {e}\n");
        }
        out
    }
}
