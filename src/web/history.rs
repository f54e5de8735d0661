//! `GET /api/v1/history` and `GET /api/v1/stats`: the action history and its statistics.
//!
//! Thin: parse the filters, ask the store, answer `{"items": [...], "count": n}`. An
//! empty filter (`?namespace=`) is no filter. Nothing here judges the history.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::history::{HistoryQuery, StatsQuery};

/// Incidents newest first, each with its latest decision, outcome and assessment;
/// filters: `namespace`, `workload`, `alertname`, `limit` (default 50, at most 500).
pub async fn history(
    State(state): State<AppState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(mut query) = query.map_err(|e| ApiError::client(StatusCode::BAD_REQUEST, e.body_text()))?;
    for filter in [&mut query.namespace, &mut query.workload, &mut query.alertname] {
        drop_empty(filter);
    }
    let items = state.store.history(&query).await?;
    Ok(Json(json!({ "items": items, "count": items.len() })))
}

/// Statistics per (alertname, action, workload); filters: `alertname`, `namespace`,
/// `workload`.
pub async fn stats(
    State(state): State<AppState>,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(mut query) = query.map_err(|e| ApiError::client(StatusCode::BAD_REQUEST, e.body_text()))?;
    for filter in [&mut query.namespace, &mut query.workload, &mut query.alertname] {
        drop_empty(filter);
    }
    let items = state.store.stats(&query).await?;
    Ok(Json(json!({ "items": items, "count": items.len() })))
}

fn drop_empty(filter: &mut Option<String>) {
    if filter.as_deref().is_some_and(|f| f.trim().is_empty()) {
        *filter = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;
    use crate::assess::fixtures::{Record, decided, firing, restart, t};
    use crate::pipeline::WorkerHandle;
    use crate::store::{SqlStore, Store};
    use crate::web::metrics::Metrics;
    use crate::web::{AppState, app};

    async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
        let response = app(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn history_and_stats_answer_json_and_refuse_bad_filters() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqlStore::sqlite_in(dir.path()).await.unwrap());
        let crash = firing("KubePodCrashLooping", "fp-1", "shop", "api-pod-1", t(0));
        let id = decided(
            store.as_ref(),
            &crash,
            t(10),
            Record::executed(restart(), t(11)).scored(0.9),
        )
        .await;
        let other = firing("KubePodCrashLooping", "fp-2", "web", "cart-pod-1", t(20));
        decided(
            store.as_ref(),
            &other,
            t(20),
            Record::executed(restart(), t(21)).on("web", "cart", 1),
        )
        .await;
        let state = AppState {
            store,
            worker: WorkerHandle::detached(),
            metrics: Arc::new(Metrics::new()),
            max_body_bytes: 1 << 16,
            security: Default::default(),
        };

        let (status, body) = get(
            &state,
            "/api/v1/history?namespace=shop&workload=api&alertname=&limit=10",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["count"], 1);
        let item = &body["items"][0];
        assert_eq!(item["incident_id"], id.as_str());
        assert_eq!(item["decision"]["action"], "rollout_restart");
        assert_eq!(item["decision"]["outcome"]["status"], "executed");
        assert_eq!(item["decision"]["assessment"]["score"], 0.9);
        let (_, all) = get(&state, "/api/v1/history").await;
        assert_eq!(all["count"], 2);

        let (status, body) = get(&state, "/api/v1/stats?alertname=KubePodCrashLooping&namespace=shop").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["count"], 1);
        let s = &body["items"][0];
        assert_eq!((s["workload"].as_str(), s["attempts"].as_i64()), (Some("api"), Some(1)));
        assert_eq!(
            (s["successes"].as_i64(), s["mean_score"].as_f64()),
            (Some(1), Some(0.9))
        );

        for bad in [
            "/api/v1/history?limit=lots",
            "/api/v1/history?colour=blue",
            "/api/v1/stats?limit=3",
        ] {
            let (status, body) = get(&state, bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
            assert!(body["error"].is_string(), "{body}");
        }
    }
}
