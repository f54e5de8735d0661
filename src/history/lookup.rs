//! Reading the history of an incident's workload from the store, for the context.
//!
//! Called by the pipeline between gathering the context and deciding. It reads the store
//! through the [`Store`] seam only and never writes.

use jiff::Timestamp;

use super::facts::{HistoryFacts, facts};
use super::model::{HistoryQuery, StatsQuery};
use super::subject_of;
use crate::assess::AssessmentConfig;
use crate::context::Context;
use crate::incident::Incident;
use crate::store::{Store, StoreError};

/// How many past incidents of the workload are read for last outcomes and oscillations.
const RECENT_INCIDENTS: i64 = 100;

/// The history facts for an incident, once its context is known; `None` when the
/// incident names no object (there is nothing to key its history on).
pub async fn for_incident(
    store: &dyn Store,
    incident: &Incident,
    context: &Context,
    config: &AssessmentConfig,
    now: Timestamp,
) -> Result<Option<HistoryFacts>, StoreError> {
    let Some((namespace, name)) = subject_of(incident, context) else {
        return Ok(None);
    };
    let stats = store
        .stats(&StatsQuery {
            alertname: Some(incident.alertname.clone()),
            namespace: namespace.clone(),
            workload: Some(name.clone()),
        })
        .await?;
    let entries = store
        .history(&HistoryQuery {
            namespace: namespace.clone(),
            workload: Some(name.clone()),
            alertname: None,
            limit: Some(RECENT_INCIDENTS),
        })
        .await?;
    let subject = match &namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name,
    };
    Ok(Some(facts(&incident.alertname, &subject, stats, &entries, config, now)))
}
