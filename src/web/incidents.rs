//! `GET /api/v1/incidents` and `GET /api/v1/incidents/{id}`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::store::{IncidentQuery, ProcessingState, StoredIncident};

/// Lists incidents, newest first; filters: `limit`, `state`, `alertname`, `namespace`, `status`.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<IncidentQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::client(StatusCode::BAD_REQUEST, e.body_text()))?;
    if let Some(s) = &query.state
        && ProcessingState::parse(s).is_none()
    {
        let known: Vec<&str> = ProcessingState::ALL.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "state",
            format!("unknown state {s:?}; one of {}", known.join(", ")),
        ));
    }
    if let Some(s) = &query.status
        && s != "firing"
        && s != "resolved"
    {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "status",
            format!("unknown status {s:?}; firing or resolved"),
        ));
    }
    let items = state.store.list(&query).await?;
    Ok(Json(json!({ "items": items, "count": items.len() })))
}

/// One incident with its context, decision, verdict and plan.
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<StoredIncident>, ApiError> {
    match state.store.get(&id).await? {
        Some(incident) => Ok(Json(incident)),
        None => Err(ApiError::not_found("incident", &id)),
    }
}
