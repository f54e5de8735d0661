//! `GET /api/v1/approvals`, `POST /api/v1/approvals/{id}/approve` and `/reject`.
//!
//! Thin handlers: they validate, record the answer in the store and, on approval, wake the
//! worker, which re-checks the policy before executing anything. Errors: 400 with the
//! field for a bad body or filter, 404 for an unknown approval, 409 for one that is not
//! pending (answered or expired). Authentication is a middleware's job, not this module's.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Authenticated;
use super::error::ApiError;
use crate::pipeline::approval::{self, AnswerRequest};
use crate::store::{Answer, Answered, ApprovalState};

/// Filters of the list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsQuery {
    /// `pending` (default), `approved`, `rejected`, `expired` or `all`.
    #[serde(default)]
    pub state: Option<String>,
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Lists approvals, newest first: pending ones unless `state` says otherwise.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ApprovalsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::client(StatusCode::BAD_REQUEST, e.body_text()))?;
    let filter = match query.state.as_deref().unwrap_or("pending") {
        "all" => None,
        s => Some(ApprovalState::parse(s).ok_or_else(|| {
            let known: Vec<&str> = ApprovalState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "state",
                format!("unknown approval state {s:?}; one of {}, all", known.join(", ")),
            )
        })?),
    };
    let items = state.store.approvals(filter, query.limit.unwrap_or(50)).await?;
    Ok(Json(json!({ "items": items, "count": items.len() })))
}

/// Approves a pending approval; the worker re-checks the policy, then executes or denies.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: Option<Extension<Authenticated>>,
    body: Result<Json<AnswerRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    answer(&state, &id, Answer::Approve, who.map(|Extension(a)| a), body).await
}

/// Rejects a pending approval.
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: Option<Extension<Authenticated>>,
    body: Result<Json<AnswerRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    answer(&state, &id, Answer::Reject, who.map(|Extension(a)| a), body).await
}

async fn answer(
    state: &AppState,
    id: &str,
    answer: Answer,
    authenticated: Option<Authenticated>,
    body: Result<Json<AnswerRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(request) = body.map_err(|e| ApiError::client(e.status(), e.body_text()))?;
    let mut valid = request
        .validate()
        .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, e.field, e.message))?;
    // `by` is what the caller declares; a basic-auth user name is what the server knows.
    // Record both when they differ, so the audit log does not rest on the declaration
    // alone (a bearer token names no one: `token`).
    if let Some(Authenticated(principal)) = authenticated
        && principal != "token"
        && principal != valid.by
    {
        valid.by = format!("{} (authenticated as {principal})", valid.by);
    }
    let Ok(number) = id.parse::<i64>() else {
        return Err(ApiError::not_found("approval", id));
    };
    let answered = approval::answer(state.store.as_ref(), number, answer, &valid, Timestamp::now()).await?;
    match answered {
        Answered::Done(a) => {
            if answer == Answer::Approve {
                state.worker.submit(a.incident_id.clone());
            }
            tracing::info!(approval = a.id, incident = %a.incident_id, answer = a.state.as_str(), by = %valid.by, "approval answered");
            Ok(Json(json!({ "approval": a })))
        }
        Answered::NotFound => Err(ApiError::not_found("approval", id)),
        refused => Err(ApiError::client(
            StatusCode::CONFLICT,
            approval::refusal(id, &refused).unwrap_or_default(),
        )),
    }
}
