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

/// The conditions on a recurrence candidate `r` of incident `i`, for the assessment
/// aliased `a`: another incident (not a resolved one never seen firing) received after
/// the action and within the window.
fn in_window(a: &str) -> String {
    format!(
        "r.id <> i.id AND r.state <> 'ignored' AND r.received_at_ms > {a}.executed_at_ms \
         AND r.received_at_ms <= {a}.recurrence_until_ms"
    )
}

/// A recurrence with the same fingerprint (found through the fingerprint index).
fn same_fingerprint(a: &str) -> String {
    format!("r.fingerprint = i.fingerprint AND {}", in_window(a))
}

/// A recurrence of the same alertname on the same target or workload (found through the
/// alertname index, by time).
fn same_target(a: &str) -> String {
    format!(
        "r.alertname = i.alertname AND {} AND r.namespace = i.namespace \
         AND (r.target_name = i.target_name OR r.target_name = i.workload_name \
         OR r.workload_name = i.workload_name OR r.workload_name = i.target_name)",
        in_window(a)
    )
}

/// Whether the incident `i` of the assessment aliased `a` has recurred. Two index-friendly
/// `EXISTS` rather than one `OR`, which planners turn into scans.
fn recurred(a: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM incidents r WHERE {}) OR EXISTS (SELECT 1 FROM incidents r WHERE {}))",
        same_fingerprint(a),
        same_target(a)
    )
}

/// The columns of a [`DueAssessment`], from `assessments a JOIN incidents i JOIN decisions d`:
/// the first recurrence of each kind, the earlier of which [`due`] keeps.
fn due_columns() -> String {
    let first = |matching: String, name: &str| {
        format!(
            "(SELECT r.id FROM incidents r WHERE {matching} ORDER BY r.received_at_ms, r.id LIMIT 1) AS {name}_id, \
             (SELECT MIN(r.received_at_ms) FROM incidents r WHERE {matching}) AS {name}_at_ms"
        )
    };
    format!(
        "a.id AS assessment_id, a.incident_id, i.alertname, i.fingerprint, d.action, i.resolved_at_ms, \
         {ASSESSMENT_COLUMNS}, {}, {}",
        first(same_fingerprint("a"), "fingerprint_recurrence"),
        first(same_target("a"), "target_recurrence")
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
    let mut recurrence: Option<Recurrence> = None;
    for kind in ["fingerprint_recurrence", "target_recurrence"] {
        let Some(incident_id) = r.opt_text(&format!("{kind}_id"))? else {
            continue;
        };
        let found = Recurrence {
            incident_id,
            received_at: r.timestamp(&format!("{kind}_at_ms"))?,
        };
        let earlier = recurrence
            .as_ref()
            .is_none_or(|known| (found.received_at, &found.incident_id) < (known.received_at, &known.incident_id));
        if earlier {
            recurrence = Some(found);
        }
    }
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

    async fn save_assessments(&self, scored: &[(i64, AssessmentResult)]) -> Result<Vec<bool>, StoreError> {
        if scored.is_empty() {
            return Ok(Vec::new());
        }
        let what = format!("storing {} assessment scores", scored.len());
        let mut tx = self.begin(&what).await?;
        let mut stored = Vec::with_capacity(scored.len());
        for (id, result) in scored {
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
            .execute(&mut *tx)
            .await
            .map_err(|e| classify(&format!("storing the score of assessment {id}"), e))?;
            stored.push(done.rows_affected() == 1);
        }
        tx.commit().await.map_err(|e| classify(&what, e))?;
        Ok(stored)
    }

    async fn recurred_assessments(&self, limit: i64) -> Result<Vec<DueAssessment>, StoreError> {
        let select = format!(
            "SELECT {} {DUE_FROM} WHERE a.state = 'provisional' AND {} ORDER BY a.id LIMIT $1",
            due_columns(),
            recurred("a")
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
             AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = assessments.incident_id AND {})",
            recurred("assessments")
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(millis(now))
            .execute(&self.pool)
            .await
            .map_err(|e| classify("finalizing assessments", e))?;
        Ok(done.rows_affected())
    }
}
