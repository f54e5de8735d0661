//! Approvals of held decisions: [`ApprovalStore`] for [`SqlStore`].
//!
//! An approval is answered by one conditional `UPDATE … WHERE state = 'pending' AND
//! expires_at_ms > now`, so two racing answers cannot both win and an expired approval
//! cannot be approved; the incident moves from `held` in the same transaction, with its
//! audit record. Nothing here decides or executes: a worker re-checks and executes an
//! approved decision.

use async_trait::async_trait;
use jiff::Timestamp;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::SqlStore;
use super::error::classify;
use super::processing::audit;
use super::rows::{RowReader, millis};
use crate::actions::Plan;
use crate::audit::AuditKind;
use crate::policy::Verdict;
use crate::store::{
    Answer, Answered, Approval, ApprovalState, ApprovalStore, ApprovalView, ProcessingState, StoreError,
};

/// An approval's columns, in the order [`read_approval`] reads them.
const COLUMNS: &str = "id, incident_id, decision_id, state, requested_at_ms, expires_at_ms, decided_by, reason, \
     decided_at_ms";

/// The actor of expiries in the approvals table and the audit log.
const EXPIRY_ACTOR: &str = "medic";

/// Reads one approval row.
fn read_approval(row: &AnyRow) -> Result<Approval, StoreError> {
    let id = RowReader::new(row, "approval").int("id")?;
    let name = format!("approval {id}");
    let r = RowReader::new(row, &name);
    let state = r.text("state")?;
    Ok(Approval {
        id,
        incident_id: r.text("incident_id")?,
        decision_id: r.int("decision_id")?,
        state: ApprovalState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            id: name.clone(),
            message: format!("column state: unknown approval state {state:?}"),
        })?,
        requested_at: r.timestamp("requested_at_ms")?,
        expires_at: r.timestamp("expires_at_ms")?,
        decided_by: r.opt_text("decided_by")?,
        reason: r.opt_text("reason")?,
        decided_at: r.opt_timestamp("decided_at_ms")?,
    })
}

/// Moves an approval's incident from `held` to `state`.
async fn move_incident(
    conn: &mut AnyConnection,
    approval: &Approval,
    state: ProcessingState,
    at: Timestamp,
    what: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE incidents SET state = $2, updated_at_ms = $3 WHERE id = $1 AND state = 'held'")
        .bind(approval.incident_id.as_str())
        .bind(state.as_str())
        .bind(millis(at))
        .execute(&mut *conn)
        .await
        .map_err(|e| classify(what, e))?;
    Ok(())
}

/// Marks pending approvals expired at `now` (only `id`, when given), with their incidents
/// and audit records, inside the caller's transaction.
async fn expire(
    store: &SqlStore,
    conn: &mut AnyConnection,
    id: Option<i64>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<Approval>, StoreError> {
    let what = "expiring approvals";
    let only = if id.is_some() { " AND id = $4" } else { "" };
    // Built from the constant fragments above only; every value is bound.
    let sql = format!(
        "UPDATE approvals SET state = 'expired', decided_by = '{EXPIRY_ACTOR}', \
         reason = 'nobody approved or rejected it before it expired', decided_at_ms = $1 \
         WHERE id IN (SELECT id FROM approvals WHERE state = 'pending' AND expires_at_ms <= $1{only} \
         ORDER BY expires_at_ms, id LIMIT $2) AND state = 'pending' AND expires_at_ms <= $3 \
         RETURNING {COLUMNS}"
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(millis(now))
        .bind(limit.max(0))
        .bind(millis(now));
    if let Some(id) = id {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&mut *conn).await.map_err(|e| classify(what, e))?;
    let mut expired = rows.iter().map(read_approval).collect::<Result<Vec<_>, _>>()?;
    expired.sort_by_key(|a| a.id);
    for a in &expired {
        move_incident(conn, a, ProcessingState::Expired, now, what).await?;
        let payload = json!({ "approval_id": a.id, "expires_at": a.expires_at.to_string() });
        audit(
            conn,
            store.backend,
            AuditKind::Expired,
            &a.incident_id,
            EXPIRY_ACTOR,
            now,
            payload,
        )
        .await?;
    }
    Ok(expired)
}

#[async_trait]
impl ApprovalStore for SqlStore {
    async fn approvals(&self, state: Option<ApprovalState>, limit: i64) -> Result<Vec<ApprovalView>, StoreError> {
        let filter = if state.is_some() { "WHERE a.state = $2" } else { "" };
        // Built from the constant fragments above only; every value is bound.
        let sql = format!(
            "SELECT a.id, a.incident_id, a.decision_id, a.state, a.requested_at_ms, a.expires_at_ms, \
             a.decided_by, a.reason, a.decided_at_ms, i.alertname, i.state AS incident_state, d.action, \
             COALESCE(d.target, i.target) AS target, d.verdict_json, o.plan_json \
             FROM approvals a JOIN incidents i ON i.id = a.incident_id JOIN decisions d ON d.id = a.decision_id \
             LEFT JOIN outcomes o ON o.decision_id = d.id {filter} \
             ORDER BY a.requested_at_ms DESC, a.id DESC LIMIT $1"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(limit.clamp(1, 500));
        if let Some(state) = state {
            query = query.bind(state.as_str());
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("listing approvals", e))?;
        rows.iter()
            .map(|row| {
                let approval = read_approval(row)?;
                let name = format!("approval {}", approval.id);
                let r = RowReader::new(row, &name);
                let verdict: Verdict = r.json("verdict_json")?;
                let plan: Option<Plan> = r.opt_json("plan_json")?;
                Ok(ApprovalView {
                    alertname: r.text("alertname")?,
                    incident_state: r.state("incident_state")?,
                    action: r.text("action")?,
                    target: r.opt_text("target")?,
                    plan_summary: plan.map(|p| p.summary),
                    reasons: verdict
                        .checks
                        .into_iter()
                        .filter(|c| !c.passed)
                        .map(|c| c.reason)
                        .collect(),
                    approval,
                })
            })
            .collect()
    }

    async fn approval_of(&self, incident_id: &str) -> Result<Option<Approval>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM approvals WHERE incident_id = $1 ORDER BY id DESC LIMIT 1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(incident_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| classify(&format!("reading the approval of incident {incident_id}"), e))?;
        row.as_ref().map(read_approval).transpose()
    }

    async fn answer(
        &self,
        id: i64,
        answer: Answer,
        by: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Answered, StoreError> {
        let what = format!("answering approval {id}");
        let mut tx = self.begin(&what).await?;
        let sql = format!(
            "UPDATE approvals SET state = $2, decided_by = $3, reason = $4, decided_at_ms = $5 \
             WHERE id = $1 AND state = 'pending' AND expires_at_ms > $5 RETURNING {COLUMNS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(answer.state().as_str())
            .bind(by)
            .bind(reason)
            .bind(millis(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| classify(&what, e))?;
        let answered = match row {
            Some(row) => {
                let approval = read_approval(&row)?;
                let state = match answer {
                    Answer::Approve => ProcessingState::Approved,
                    Answer::Reject => ProcessingState::Rejected,
                };
                move_incident(&mut tx, &approval, state, now, &what).await?;
                let payload = json!({
                    "approval_id": approval.id,
                    "answer": approval.state.as_str(),
                    "reason": reason,
                });
                audit(
                    &mut tx,
                    self.backend,
                    AuditKind::Approval,
                    &approval.incident_id,
                    by,
                    now,
                    payload,
                )
                .await?;
                Answered::Done(approval)
            }
            None => {
                let sql = format!("SELECT {COLUMNS} FROM approvals WHERE id = $1");
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| classify(&what, e))?;
                match row.as_ref().map(read_approval).transpose()? {
                    None => Answered::NotFound,
                    Some(a) if a.state == ApprovalState::Pending => {
                        match expire(self, &mut tx, Some(id), now, 1).await?.pop() {
                            Some(expired) => Answered::Expired(expired),
                            None => Answered::NotPending(a),
                        }
                    }
                    Some(a) => Answered::NotPending(a),
                }
            }
        };
        tx.commit().await.map_err(|e| classify(&what, e))?;
        Ok(answered)
    }

    async fn expire_approvals(&self, now: Timestamp, limit: i64) -> Result<Vec<Approval>, StoreError> {
        let what = "expiring approvals";
        let mut tx = self.begin(what).await?;
        let expired = expire(self, &mut tx, None, now, limit).await?;
        if expired.is_empty() {
            // Nothing written: end the transaction without a commit's fsync.
            tx.rollback().await.map_err(|e| classify(what, e))?;
        } else {
            tx.commit().await.map_err(|e| classify(what, e))?;
        }
        Ok(expired)
    }
}
