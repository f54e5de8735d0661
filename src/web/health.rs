//! `/healthz` (the process answers), `/readyz` (the store answers), `/metrics`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;

/// Liveness: the process serves HTTP.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the store answers.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}\n")),
    }
}

/// Prometheus metrics (text format 0.0.4).
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.count_by_state().await {
        Ok(counts) => state.metrics.set_incident_counts(&counts),
        Err(e) => {
            state.metrics.error("store");
            tracing::warn!(error = %e, "cannot count incidents for /metrics");
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}
