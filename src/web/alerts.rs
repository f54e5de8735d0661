//! `POST /api/v1/alerts`: the Alertmanager webhook (payload version 4).
//!
//! Parses and validates the whole body first, then stores every alert in one
//! transaction, then answers: 200 only once committed; 4xx with the field for bad
//! input (nothing stored); 503 when the store is down, so Alertmanager retries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::incident::parse_webhook;
use crate::store::Recorded;

/// Receives one webhook notification.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let result = accept(&state, &headers, body).await;
    let code = match &result {
        Ok(_) => 200,
        Err(e) => e.status.as_u16(),
    };
    state.metrics.webhook_answered(code);
    if code >= 400 {
        state.metrics.error("webhook");
    }
    result
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::field(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            format!("expected application/json, found {content_type:?}"),
        ));
    }
    let body = body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::client(
                status,
                format!(
                    "body larger than the limit of {} bytes (webhook.max_body_bytes)",
                    state.max_body_bytes
                ),
            )
        } else {
            ApiError::client(status, e.body_text())
        }
    })?;
    let webhook = parse_webhook(&body).map_err(|e| match e.path() {
        Some(path) => ApiError::field(StatusCode::BAD_REQUEST, path, e.to_string()),
        None => ApiError::client(StatusCode::BAD_REQUEST, e.to_string()),
    })?;
    let now = Timestamp::now();
    let incidents = webhook.incidents(now);
    for i in &incidents {
        state.metrics.alert_received(i.status.as_str());
    }
    let recorded = state.store.record_alerts(&incidents, now).await?;
    let mut out = Vec::with_capacity(recorded.len());
    for r in &recorded {
        let result = match r {
            Recorded::New { id } => {
                state.worker.submit(id.clone());
                "new"
            }
            Recorded::Duplicate { .. } => "duplicate",
            Recorded::Resolved { .. } => "resolved",
            Recorded::ResolvedUnseen { .. } => "resolved_unseen",
        };
        out.push(json!({ "id": r.id(), "result": result }));
    }
    Ok(Json(json!({ "accepted": out.len(), "incidents": out })))
}
