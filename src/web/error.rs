//! One error type for every handler: client mistakes get a 4xx with the reason and the
//! field; internal errors get a 5xx with an id, and are logged once with the detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct ApiError {
    /// The status code.
    pub status: StatusCode,
    /// The message shown to the client.
    pub message: String,
    /// The offending field, for client errors about one.
    pub field: Option<String>,
}

impl ApiError {
    /// A 4xx about the request.
    pub fn client(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: None,
        }
    }

    /// A 4xx about one field of the request.
    pub fn field(status: StatusCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// 404 for an id.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::client(StatusCode::NOT_FOUND, format!("{what} {id:?} not found"))
    }
}

impl From<StoreError> for ApiError {
    /// An unavailable store is 503 (senders retry); anything else is a 500 with an id.
    fn from(e: StoreError) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let status = match e {
            StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        tracing::error!(error_id = %id, error = %e, "store error");
        let message = if status == StatusCode::SERVICE_UNAVAILABLE {
            format!("store unavailable, try again later (error id {id})")
        } else {
            format!("internal error (error id {id})")
        };
        ApiError {
            status,
            message,
            field: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if let Some(f) = self.field {
            body["field"] = json!(f);
        }
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        resp
    }
}
