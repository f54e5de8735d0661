//! History in SQL: [`HistoryStore`] for [`SqlStore`] (history, statistics, retention),
//! and the history columns written with each decision.
//!
//! Both reads are one statement each, built from constant fragments with every value
//! bound. Statistics are aggregated by the database; the latest outcome of each group is
//! joined from its highest decision id. Nothing here judges the history.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::SqlStore;
use super::assessments::{ASSESSMENT_COLUMNS, insert_assessment, opt_float, read_assessment};
use super::error::classify;
use super::rows::{RowReader, millis, to_json};
use crate::history::{
    ActionStats, HistoryEntry, HistoryQuery, PastDecision, PastOutcome, SUCCESS_SCORE, StatsQuery, workload_of,
};
use crate::store::{DecisionRecord, HistoryStore, StoreError};

/// Incidents deleted per statement when purging, so that no lock is held for long.
const PURGE_BATCH: i64 = 1000;

/// Joins an incident (`i`) with its latest decision (`d`), as the incident list does.
const LATEST_DECISION_JOIN: &str = "LEFT JOIN decisions d ON d.id = \
     (SELECT MAX(d2.id) FROM decisions d2 WHERE d2.incident_id = i.id)";

/// Writes what the history needs of a decision beyond the incident's own tables: the
/// incident's workload, the decision's model, tokens, target, parameters and replica
/// count, and the scheduled assessment. Runs inside `save_result`'s transaction.
pub(crate) async fn save_history_columns(
    conn: &mut AnyConnection,
    id: &str,
    decision_id: i64,
    record: &DecisionRecord,
) -> Result<(), StoreError> {
    let what = format!("saving the history of incident {id}");
    if let Some(w) = workload_of(&record.context) {
        sqlx::query("UPDATE incidents SET workload_kind = $2, workload_name = $3 WHERE id = $1")
            .bind(id)
            .bind(w.kind.kind.as_str())
            .bind(w.name.as_str())
            .execute(&mut *conn)
            .await
            .map_err(|e| classify(&what, e))?;
    }
    let replicas_before = record.context.workload.as_ref().and_then(|w| w.replicas).map(i64::from);
    sqlx::query(
        "UPDATE decisions SET model = $2, tokens_in = $3, tokens_out = $4, target = $5, params_json = $6, \
         replicas_before = $7 WHERE id = $1",
    )
    .bind(decision_id)
    .bind(record.model.as_deref())
    .bind(record.tokens_in)
    .bind(record.tokens_out)
    .bind(record.decision.target.as_ref().map(ToString::to_string))
    .bind(to_json("the parameters", &record.decision.action.params_json())?)
    .bind(replicas_before)
    .execute(&mut *conn)
    .await
    .map_err(|e| classify(&what, e))?;
    if let Some(a) = &record.assessment {
        insert_assessment(conn, id, decision_id, a).await?;
    }
    Ok(())
}

#[async_trait]
impl HistoryStore for SqlStore {
    async fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut sql = format!(
            "SELECT i.id, i.alertname, i.fingerprint, i.alert_status, i.state, i.namespace, i.target, \
             i.workload_kind, i.workload_name, i.received_at_ms, i.resolved_at_ms, i.error, \
             d.id AS decision_id, d.action, d.params_json, d.target AS decision_target, d.decider, d.decider_name, \
             d.model, d.tokens_in, d.tokens_out, d.confidence, d.verdict, d.decided_at_ms, d.latency_ms, \
             d.replicas_before, o.status AS outcome_status, o.error AS outcome_error, o.started_at_ms, \
             o.finished_at_ms, {ASSESSMENT_COLUMNS} \
             FROM incidents i {LATEST_DECISION_JOIN} LEFT JOIN outcomes o ON o.decision_id = d.id \
             LEFT JOIN assessments a ON a.decision_id = d.id"
        );
        let filters = [
            ("i.namespace = $N", &query.namespace),
            ("(i.workload_name = $N OR i.target_name = $N)", &query.workload),
            ("i.alertname = $N", &query.alertname),
        ];
        let values = push_filters(&mut sql, &filters);
        sql.push_str(&format!(
            " ORDER BY i.received_at_ms DESC, i.id DESC LIMIT ${}",
            values.len() + 1
        ));
        // Built from the constant fragments above only; every value is bound.
        let mut statement = sqlx::query(AssertSqlSafe(sql));
        for value in values {
            statement = statement.bind(value);
        }
        let rows = statement
            .bind(query.limit())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("reading the history", e))?;
        rows.iter().map(entry).collect()
    }

    async fn stats(&self, query: &StatsQuery) -> Result<Vec<ActionStats>, StoreError> {
        let mut inner = String::from(
            "SELECT i.alertname, d.action, i.namespace, \
             COALESCE(i.workload_kind, i.target_kind) AS workload_kind, \
             COALESCE(i.workload_name, i.target_name) AS workload, \
             COUNT(*) AS decisions, \
             COUNT(CASE WHEN o.status = 'planned' THEN 1 END) AS planned, \
             COUNT(CASE WHEN o.status IN ('executed', 'failed') THEN 1 END) AS attempts, \
             COUNT(CASE WHEN o.status = 'failed' THEN 1 END) AS failures, \
             COUNT(a.score) AS assessed, \
             COUNT(CASE WHEN a.score >= $1 THEN 1 END) AS successes, \
             AVG(a.score) AS mean_score, \
             MAX(d.decided_at_ms) AS last_at_ms, \
             MAX(d.id) AS last_id \
             FROM decisions d JOIN incidents i ON i.id = d.incident_id \
             JOIN outcomes o ON o.decision_id = d.id LEFT JOIN assessments a ON a.decision_id = d.id",
        );
        let filters = [
            ("i.alertname = $N", &query.alertname),
            ("i.namespace = $N", &query.namespace),
            ("COALESCE(i.workload_name, i.target_name) = $N", &query.workload),
        ];
        // $1 is the success threshold; the filters' values follow.
        let values = push_filters_from(&mut inner, &filters, 2);
        inner.push_str(
            " GROUP BY i.alertname, d.action, i.namespace, COALESCE(i.workload_kind, i.target_kind), \
             COALESCE(i.workload_name, i.target_name)",
        );
        let sql = format!(
            "SELECT g.*, o.status AS last_status, la.score AS last_score FROM ({inner}) g \
             JOIN outcomes o ON o.decision_id = g.last_id LEFT JOIN assessments la ON la.decision_id = g.last_id \
             ORDER BY g.last_at_ms DESC, g.alertname, g.action"
        );
        // Built from the constant fragments above only; every value is bound.
        let mut statement = sqlx::query(AssertSqlSafe(sql)).bind(SUCCESS_SCORE);
        for value in values {
            statement = statement.bind(value);
        }
        let rows = statement
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("computing action statistics", e))?;
        rows.iter().map(stats_row).collect()
    }

    async fn purge_older_than(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let done = sqlx::query(
                "DELETE FROM incidents WHERE id IN \
                 (SELECT id FROM incidents WHERE received_at_ms < $1 ORDER BY received_at_ms LIMIT $2)",
            )
            .bind(millis(cutoff))
            .bind(PURGE_BATCH)
            .execute(&self.pool)
            .await
            .map_err(|e| classify(&format!("deleting incidents received before {cutoff}"), e))?;
            deleted += done.rows_affected();
            if (done.rows_affected() as i64) < PURGE_BATCH {
                return Ok(deleted);
            }
        }
    }
}

/// Appends ` WHERE`/` AND` conditions for the filters that have a value, numbering their
/// placeholders from `$1` (`$N` in a fragment stands for its number). Returns the values
/// to bind, in order.
fn push_filters<'q>(sql: &mut String, filters: &[(&str, &'q Option<String>)]) -> Vec<&'q str> {
    push_filters_from(sql, filters, 1)
}

/// [`push_filters`], numbering from `$first`.
fn push_filters_from<'q>(sql: &mut String, filters: &[(&str, &'q Option<String>)], first: usize) -> Vec<&'q str> {
    let mut values = Vec::new();
    for (condition, value) in filters {
        if let Some(value) = value {
            let joiner = if values.is_empty() { "WHERE" } else { "AND" };
            let placeholder = format!("${}", first + values.len());
            values.push(value.as_str());
            sql.push_str(&format!(" {joiner} {}", condition.replace("$N", &placeholder)));
        }
    }
    values
}

/// Reads one row of the history query.
fn entry(row: &AnyRow) -> Result<HistoryEntry, StoreError> {
    let id = RowReader::new(row, "history entry").text("id")?;
    let r = RowReader::new(row, &id);
    let decision = match r.opt_int("decision_id")? {
        None => None,
        Some(_) => Some(PastDecision {
            action: r.text("action")?,
            params: r.opt_json("params_json")?.unwrap_or_default(),
            target: r.opt_text("decision_target")?,
            decider: r.text("decider")?,
            decided_by: r.text("decider_name")?,
            model: r.opt_text("model")?,
            tokens_in: r.opt_int("tokens_in")?,
            tokens_out: r.opt_int("tokens_out")?,
            confidence: opt_float(row, "confidence", &id)?.unwrap_or_default(),
            verdict: r.text("verdict")?,
            decided_at: r.timestamp("decided_at_ms")?,
            latency_ms: r.int("latency_ms")?,
            replicas_before: r.opt_int("replicas_before")?,
            outcome: PastOutcome {
                status: r.named("outcome_status")?,
                error: r.opt_text("outcome_error")?,
                started_at: r.timestamp("started_at_ms")?,
                finished_at: r.timestamp("finished_at_ms")?,
            },
            assessment: read_assessment(row, &id)?,
        }),
    };
    Ok(HistoryEntry {
        alertname: r.text("alertname")?,
        fingerprint: r.text("fingerprint")?,
        alert_status: r.text("alert_status")?,
        state: r.state("state")?,
        namespace: r.opt_text("namespace")?,
        target: r.opt_text("target")?,
        workload_kind: r.opt_text("workload_kind")?,
        workload: r.opt_text("workload_name")?,
        received_at: r.timestamp("received_at_ms")?,
        resolved_at: r.opt_timestamp("resolved_at_ms")?,
        error: r.opt_text("error")?,
        decision,
        incident_id: id,
    })
}

/// Reads one row of the statistics query.
fn stats_row(row: &AnyRow) -> Result<ActionStats, StoreError> {
    let r = RowReader::new(row, "statistics");
    Ok(ActionStats {
        alertname: r.text("alertname")?,
        action: r.text("action")?,
        namespace: r.opt_text("namespace")?,
        workload_kind: r.opt_text("workload_kind")?,
        workload: r.opt_text("workload")?,
        decisions: r.int("decisions")?,
        planned: r.int("planned")?,
        attempts: r.int("attempts")?,
        failures: r.int("failures")?,
        assessed: r.int("assessed")?,
        successes: r.int("successes")?,
        mean_score: opt_float(row, "mean_score", "statistics")?.map(crate::assess::score::round),
        last_outcome: r.named("last_status")?,
        last_score: opt_float(row, "last_score", "statistics")?,
        last_at: r.timestamp("last_at_ms")?,
    })
}
