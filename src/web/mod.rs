//! The HTTP side: the Alertmanager webhook, the incidents and history API, health and
//! metrics.
//!
//! [`app`] builds the router from an [`AppState`] (so tests drive it with `oneshot`
//! without a socket); [`serve()`] binds it and shuts down gracefully on SIGTERM/SIGINT.
//! Handlers are thin: they parse, call the store or the pipeline, and map errors
//! through [`error::ApiError`]. The webhook answers 200 only after the alerts are
//! committed to the store.
//!
//! Nothing here decides or acts on the cluster.

pub mod alerts;
pub mod approvals;
pub mod auth;
pub mod error;
pub mod health;
pub mod history;
pub mod incidents;
pub mod limits;
pub mod metrics;
pub mod security;
pub mod serve;
pub mod tls;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use serve::serve;

use crate::pipeline::WorkerHandle;
use crate::store::Store;
use metrics::Metrics;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Where incidents live.
    pub store: Arc<dyn Store>,
    /// Hands new incidents to the pipeline.
    pub worker: WorkerHandle,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Largest accepted webhook body, in bytes.
    pub max_body_bytes: usize,
    /// Authentication, rate and HTTP limits, TLS ([`security::protect`] enforces them).
    pub security: Arc<security::Security>,
}

/// The router.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/api/v1/alerts", post(alerts::receive))
        .route("/api/v1/incidents", get(incidents::list))
        .route("/api/v1/incidents/{id}", get(incidents::show))
        .route("/api/v1/history", get(history::history))
        .route("/api/v1/stats", get(history::stats))
        .route("/api/v1/approvals", get(approvals::list))
        .route("/api/v1/approvals/{id}/approve", post(approvals::approve))
        .route("/api/v1/approvals/{id}/reject", post(approvals::reject))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_body_bytes))
        .with_state(state.clone());
    security::protect(router, state)
}
