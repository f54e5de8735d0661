//! The assessment schedule in SQL: [`AssessmentStore`] for [`SqlStore`], and reading an
//! [`Assessment`] out of a joined row.
//!
//! Claiming is one conditional `UPDATE` that stamps the claimed rows with a fresh token
//! (re-checking the condition, so two assessors never claim the same row), then one
//! `SELECT` of the rows with that token joined with their incident and the first
//! recurrence. Scores are written with conditional updates on the state. Nothing here
//! scores anything.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use uuid::Uuid;

use super::SqlStore;
use super::error::classify;
use super::rows::{RowReader, millis, to_json};
use crate::assess::{Assessment, AssessmentResult, AssessmentState, DueAssessment, Recurrence};
use crate::store::{AssessmentStore, StoreError};

/// How long an assessment may stay `scoring` before another assessor may take it over
/// (the first died): longer than reading the cluster and Alertmanager takes.
const ASSESSMENT_LEASE_MS: i64 = 120_000;

/// The columns [`read_assessment`] reads, from an assessments table aliased `a`.
pub(crate) const ASSESSMENT_COLUMNS: &str = "a.state AS assessment_state, a.subject_json, a.executed_at_ms, \
     a.due_at_ms, a.recurrence_until_ms, a.baseline_json, a.score, a.components_json, a.evidence_json, \
     a.scored_at_ms, a.revisions";

/// Whether incident `r` is a recurrence of incident `i` for the assessment aliased `a`:
/// a new incident (not a resolved one never seen firing) received after the action and
/// within the window, with the same fingerprint, or the same alertname on the same
/// target or workload.
fn recurrence_match(a: &str) -> String {
    format!(
        "r.id <> i.id AND r.state <> 'ignored' AND r.received_at_ms > {a}.executed_at_ms \
         AND r.received_at_ms <= {a}.recurrence_until_ms \
         AND (r.fingerprint = i.fingerprint OR (r.alertname = i.alertname AND r.namespace = i.namespace \
         AND (r.target_name = i.target_name OR r.target_name = i.workload_name \
         OR r.workload_name = i.workload_name OR r.workload_name = i.target_name)))"
    )
}

/// The columns of a [`DueAssessment`], from `assessments a JOIN incidents i JOIN decisions d`.
fn due_columns() -> String {
    let matching = recurrence_match("a");
    format!(
        "a.id AS assessment_id, a.incident_id, i.alertname, i.fingerprint, d.action, i.resolved_at_ms, \
         {ASSESSMENT_COLUMNS}, \
         (SELECT r.id FROM incidents r WHERE {matching} ORDER BY r.received_at_ms, r.id LIMIT 1) AS recurrence_id, \
         (SELECT MIN(r.received_at_ms) FROM incidents r WHERE {matching}) AS recurrence_at_ms"
    )
}

const DUE_FROM: &str =
    "FROM assessments a JOIN incidents i ON i.id = a.incident_id JOIN decisions d ON d.id = a.decision_id";

/// Schedules an assessment for a decision, inside the decision's transaction.
pub(crate) async fn insert_assessment(
    conn: &mut AnyConnection,
    incident_id: &str,
    decision_id: i64,
    a: &Assessment,
) -> Result<(), StoreError> {
    let what = format!("scheduling the assessment of incident {incident_id}");
    let subject = a.subject.as_ref().map(|s| to_json("the subject", s)).transpose()?;
    let components = a
        .components
        .as_ref()
        .map(|c| to_json("the components", c))
        .transpose()?;
    sqlx::query(
        "INSERT INTO assessments (incident_id, decision_id, state, subject_json, executed_at_ms, due_at_ms, \
         recurrence_until_ms, baseline_json, score, components_json, evidence_json, scored_at_ms, revisions) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(incident_id)
    .bind(decision_id)
    .bind(a.state.as_str())
    .bind(subject)
    .bind(millis(a.executed_at))
    .bind(millis(a.due_at))
    .bind(millis(a.recurrence_until))
    .bind(to_json("the baseline", &a.baseline)?)
    .bind(a.score)
    .bind(components)
    .bind(to_json("the evidence", &a.evidence)?)
    .bind(a.scored_at.map(millis))
    .bind(a.revisions)
    .execute(&mut *conn)
    .await
    .map_err(|e| classify(&what, e))?;
    Ok(())
}

/// Reads the [`ASSESSMENT_COLUMNS`] of a row; `None` when the row has no assessment.
pub(crate) fn read_assessment(row: &AnyRow, id: &str) -> Result<Option<Assessment>, StoreError> {
    let r = RowReader::new(row, id);
    let Some(state) = r.opt_text("assessment_state")? else {
        return Ok(None);
    };
    let state = AssessmentState::parse(&state).ok_or_else(|| StoreError::Corrupt {
        id: id.to_string(),
        message: format!("column assessment_state: unknown state {state:?}"),
    })?;
    Ok(Some(Assessment {
        state,
        subject: r.opt_json("subject_json")?,
        executed_at: r.timestamp("executed_at_ms")?,
        due_at: r.timestamp("due_at_ms")?,
        recurrence_until: r.timestamp("recurrence_until_ms")?,
        baseline: r.json("baseline_json")?,
        score: opt_float(row, "score", id)?,
        components: r.opt_json("components_json")?,
        evidence: r.opt_json("evidence_json")?.unwrap_or_default(),
        scored_at: r.opt_timestamp("scored_at_ms")?,
        revisions: r.int("revisions")?,
    }))
}

/// A nullable floating-point column.
pub(crate) fn opt_float(row: &AnyRow, column: &str, id: &str) -> Result<Option<f64>, StoreError> {
    row.try_get(column).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        message: format!("column {column}: {e}"),
    })
}

/// Reads one row of [`due_columns`].
fn due(row: &AnyRow) -> Result<DueAssessment, StoreError> {
    let id = RowReader::new(row, "assessment").int("assessment_id")?;
    let name = format!("assessment {id}");
    let r = RowReader::new(row, &name);
    let assessment = read_assessment(row, &name)?.ok_or_else(|| StoreError::Corrupt {
        id: name.clone(),
        message: "column assessment_state: unexpected NULL".into(),
    })?;
    let recurrence = match r.opt_text("recurrence_id")? {
        Some(incident_id) => Some(Recurrence {
            incident_id,
            received_at: r.timestamp("recurrence_at_ms")?,
        }),
        None => None,
    };
    Ok(DueAssessment {
        id,
        incident_id: r.text("incident_id")?,
        alertname: r.text("alertname")?,
        fingerprint: r.text("fingerprint")?,
        action: r.text("action")?,
        assessment,
        resolved_at: r.opt_timestamp("resolved_at_ms")?,
        recurrence,
    })
}

#[async_trait]
impl AssessmentStore for SqlStore {
    async fn claim_due_assessments(&self, now: Timestamp, limit: i64) -> Result<Vec<DueAssessment>, StoreError> {
        let token = Uuid::now_v7().to_string();
        let claimable = "((state = 'pending' AND due_at_ms <= $1) OR (state = 'scoring' AND claimed_at_ms < $3))";
        let claim = format!(
            "UPDATE assessments SET state = 'scoring', claimed_at_ms = $1, claim_token = $2 \
             WHERE id IN (SELECT id FROM assessments WHERE {claimable} ORDER BY due_at_ms, id LIMIT $4) \
             AND {claimable}"
        );
        // Built from constant fragments only; every value is bound.
        sqlx::query(AssertSqlSafe(claim))
            .bind(millis(now))
            .bind(token.as_str())
            .bind(millis(now) - ASSESSMENT_LEASE_MS)
            .bind(limit.max(0))
            .execute(&self.pool)
            .await
            .map_err(|e| classify("claiming due assessments", e))?;
        let select = format!(
            "SELECT {} {DUE_FROM} WHERE a.claim_token = $1 ORDER BY a.due_at_ms, a.id",
            due_columns()
        );
        let rows = sqlx::query(AssertSqlSafe(select))
            .bind(token.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("reading claimed assessments", e))?;
        rows.iter().map(due).collect()
    }

    async fn save_assessment(&self, id: i64, result: &AssessmentResult) -> Result<bool, StoreError> {
        let what = format!("storing the score of assessment {id}");
        let done = sqlx::query(
            "UPDATE assessments SET state = $2, score = $3, components_json = $4, evidence_json = $5, \
             scored_at_ms = $6, claim_token = NULL WHERE id = $1 AND state = 'scoring'",
        )
        .bind(id)
        .bind(result.state.as_str())
        .bind(result.score)
        .bind(to_json("the components", &result.components)?)
        .bind(to_json("the evidence", &result.evidence)?)
        .bind(millis(result.scored_at))
        .execute(&self.pool)
        .await
        .map_err(|e| classify(&what, e))?;
        Ok(done.rows_affected() == 1)
    }

    async fn recurred_assessments(&self, limit: i64) -> Result<Vec<DueAssessment>, StoreError> {
        let select = format!(
            "SELECT {} {DUE_FROM} WHERE a.state = 'provisional' \
             AND EXISTS (SELECT 1 FROM incidents r WHERE {}) ORDER BY a.id LIMIT $1",
            due_columns(),
            recurrence_match("a")
        );
        let rows = sqlx::query(AssertSqlSafe(select))
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("listing recurred assessments", e))?;
        rows.iter().map(due).collect()
    }

    async fn revise_assessment(&self, id: i64, revisions: i64, result: &AssessmentResult) -> Result<bool, StoreError> {
        let what = format!("revising the score of assessment {id}");
        let done = sqlx::query(
            "UPDATE assessments SET state = $2, score = $3, components_json = $4, evidence_json = $5, \
             scored_at_ms = $6, revisions = revisions + 1 \
             WHERE id = $1 AND state = 'provisional' AND revisions = $7",
        )
        .bind(id)
        .bind(result.state.as_str())
        .bind(result.score)
        .bind(to_json("the components", &result.components)?)
        .bind(to_json("the evidence", &result.evidence)?)
        .bind(millis(result.scored_at))
        .bind(revisions)
        .execute(&self.pool)
        .await
        .map_err(|e| classify(&what, e))?;
        Ok(done.rows_affected() == 1)
    }

    async fn finalize_assessments(&self, now: Timestamp) -> Result<u64, StoreError> {
        let sql = format!(
            "UPDATE assessments SET state = 'final' WHERE state = 'provisional' AND recurrence_until_ms <= $1 \
             AND NOT EXISTS (SELECT 1 FROM incidents i JOIN incidents r ON {} \
             WHERE i.id = assessments.incident_id)",
            recurrence_match("assessments")
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(millis(now))
            .execute(&self.pool)
            .await
            .map_err(|e| classify("finalizing assessments", e))?;
        Ok(done.rows_affected())
    }
}
