//! Claims with a lease and the pipeline's fenced writes: [`ProcessingStore`] for
//! [`SqlStore`].
//!
//! A claim is one `UPDATE … RETURNING` that also reads what the worker needs, so taking an
//! incident costs one statement. On PostgreSQL the rows are picked by a sub-select with
//! `FOR UPDATE SKIP LOCKED` (concurrent claimers skip each other's rows instead of waiting
//! on them, and re-check the condition on rows changed meanwhile); on SQLite the statement
//! runs inside `BEGIN IMMEDIATE`, which holds the database's only write lock. Every later
//! write carries `lease_owner = $owner` in its `WHERE`: a process that lost its lease
//! writes nothing and gets [`StoreError::LeaseLost`]. Each write appends its audit record
//! in the same transaction. Nothing here decides, plans or calls the cluster.

use async_trait::async_trait;
use jiff::Timestamp;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::SqlStore;
use super::assessments::insert_assessment;
use super::error::classify;
use super::queries::insert_decision;
use super::rows::{RowReader, millis, to_json};
use super::url::Backend;
use crate::audit::{AuditEntry, AuditKind};
use crate::store::{Claimed, DecisionRecord, Finish, ProcessingState, ProcessingStore, StoreError};

/// Which incidents a claim may take (`$3` is now): new ones, approved ones nobody works
/// on, and ones whose worker's lease ran out.
const CLAIMABLE: &str = "(state = 'received' OR (state IN ('deciding', 'approved', 'executing') \
     AND COALESCE(lease_until_ms, 0) < $3))";

/// Claims up to `limit` incidents (only `id`, when given) for `owner` until `until`.
pub(super) async fn claim(
    store: &SqlStore,
    id: Option<&str>,
    owner: &str,
    now: Timestamp,
    until: Timestamp,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    let what = match id {
        Some(id) => format!("claiming incident {id}"),
        None => "claiming incidents".to_string(),
    };
    let only = if id.is_some() { " AND id = $5" } else { "" };
    let lock = match store.backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // Built from the constant fragments above only; every value is bound.
    let sql = format!(
        "UPDATE incidents SET state = CASE WHEN state = 'received' THEN 'deciding' ELSE state END, \
         lease_owner = $1, lease_until_ms = $2, updated_at_ms = $3 \
         WHERE id IN (SELECT id FROM incidents WHERE {CLAIMABLE}{only} \
         ORDER BY received_at_ms, id LIMIT $4{lock}) AND {CLAIMABLE} \
         RETURNING id, state, incident_json, received_at_ms"
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(owner)
        .bind(millis(until))
        .bind(millis(now))
        .bind(limit.max(0));
    if let Some(id) = id {
        query = query.bind(id);
    }
    let rows = match store.backend {
        Backend::Postgres => query.fetch_all(&store.pool).await.map_err(|e| classify(&what, e))?,
        Backend::Sqlite => {
            let mut tx = store.begin(&what).await?;
            let rows = query.fetch_all(&mut *tx).await.map_err(|e| classify(&what, e))?;
            tx.commit().await.map_err(|e| classify(&what, e))?;
            rows
        }
    };
    let mut claimed = rows
        .iter()
        .map(|row| {
            let id = RowReader::new(row, "claimed incident").text("id")?;
            let r = RowReader::new(row, &id);
            Ok(Claimed {
                state: r.state("state")?,
                incident: r.json("incident_json")?,
                received_at: r.timestamp("received_at_ms")?,
                owner: owner.to_string(),
                id,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    claimed.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
    Ok(claimed)
}

/// Appends one audit record inside the caller's transaction.
pub(super) async fn audit(
    conn: &mut AnyConnection,
    backend: Backend,
    kind: AuditKind,
    incident_id: &str,
    actor: &str,
    at: Timestamp,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        at,
        kind,
        incident_id: Some(incident_id.to_string()),
        actor: actor.to_string(),
        payload,
    };
    super::audit::append(conn, backend, &entry).await
}

/// The audit payload of a verdict: the action, its target, the verdict and its reasons
/// (never the action's parameters, which may carry values such as environment variables).
fn verdict_payload(record: &DecisionRecord, approval_id: Option<i64>) -> serde_json::Value {
    let reasons: Vec<&str> = record
        .verdict
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.reason.as_str())
        .collect();
    let mut payload = json!({
        "action": record.decision.action_name(),
        "target": record.decision.target.as_ref().map(ToString::to_string),
        "decided_by": format!("{}/{}", record.decision.decided_by.decider, record.decision.decided_by.name),
        "verdict": record.verdict.kind.as_str(),
        "dry_run": record.verdict.dry_run,
        "reasons": reasons,
        "state": record.state.as_str(),
    });
    if let Some(id) = approval_id {
        payload["approval_id"] = json!(id);
    }
    payload
}

/// Moves `owner`'s incident to `state` (fenced), optionally releasing the lease or
/// setting it to `until`; [`StoreError::LeaseLost`] when `owner` no longer holds it.
async fn fenced_update(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    update: Update<'_>,
    what: &str,
) -> Result<(), StoreError> {
    let (sql, until) = match update.until {
        Some(until) => (
            "UPDATE incidents SET state = $2, updated_at_ms = $3, error = $4, lease_until_ms = $6 \
             WHERE id = $1 AND lease_owner = $5",
            Some(millis(until)),
        ),
        None => (
            "UPDATE incidents SET state = $2, updated_at_ms = $3, error = $4, lease_owner = NULL, \
             lease_until_ms = NULL WHERE id = $1 AND lease_owner = $5",
            None,
        ),
    };
    let mut query = sqlx::query(sql)
        .bind(id)
        .bind(update.state.as_str())
        .bind(millis(update.at))
        .bind(update.error)
        .bind(owner);
    if let Some(until) = until {
        query = query.bind(until);
    }
    let done = query.execute(&mut *conn).await.map_err(|e| classify(what, e))?;
    if done.rows_affected() != 1 {
        return Err(StoreError::LeaseLost {
            id: id.to_string(),
            owner: owner.to_string(),
        });
    }
    Ok(())
}

/// What [`fenced_update`] writes.
struct Update<'a> {
    state: ProcessingState,
    at: Timestamp,
    error: Option<&'a str>,
    /// Keep the lease until then; `None` releases it.
    until: Option<Timestamp>,
}

#[async_trait]
impl ProcessingStore for SqlStore {
    async fn claim_next(
        &self,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        claim(self, None, owner, now, until, limit).await
    }

    async fn claim_id(
        &self,
        id: &str,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Option<Claimed>, StoreError> {
        Ok(claim(self, Some(id), owner, now, until, 1).await?.pop())
    }

    async fn renew_lease(&self, id: &str, owner: &str, until: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE incidents SET lease_until_ms = $3 WHERE id = $1 AND lease_owner = $2 \
             AND state IN ('deciding', 'approved', 'executing')",
        )
        .bind(id)
        .bind(owner)
        .bind(millis(until))
        .execute(&self.pool)
        .await
        .map_err(|e| classify(&format!("renewing the lease on incident {id}"), e))?;
        Ok(done.rows_affected() == 1)
    }

    async fn save_decided(
        &self,
        id: &str,
        owner: &str,
        record: &DecisionRecord,
        approval_expires: Option<Timestamp>,
    ) -> Result<Option<i64>, StoreError> {
        let what = format!("saving the decision on incident {id}");
        let error = match record.state {
            ProcessingState::Failed => record.outcome.error.as_deref(),
            _ => None,
        };
        let mut tx = self.begin(&what).await?;
        let update = Update {
            state: record.state,
            at: record.decided_at,
            error,
            until: None,
        };
        fenced_update(&mut tx, id, owner, update, &what).await?;
        let decision_id = insert_decision(&mut tx, id, record).await?;
        let approval_id = match (record.state, approval_expires) {
            (ProcessingState::Held, Some(expires)) => {
                let row = sqlx::query(
                    "INSERT INTO approvals (incident_id, decision_id, state, requested_at_ms, expires_at_ms) \
                     VALUES ($1, $2, 'pending', $3, $4) RETURNING id",
                )
                .bind(id)
                .bind(decision_id)
                .bind(millis(record.decided_at))
                .bind(millis(expires))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| classify(&what, e))?;
                Some(RowReader::new(&row, id).int("id")?)
            }
            _ => None,
        };
        let payload = verdict_payload(record, approval_id);
        audit(
            &mut tx,
            self.backend,
            AuditKind::Verdict,
            id,
            owner,
            record.decided_at,
            payload,
        )
        .await?;
        tx.commit().await.map_err(|e| classify(&what, e))?;
        Ok(approval_id)
    }

    async fn start_execution(
        &self,
        id: &str,
        owner: &str,
        record: &DecisionRecord,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        let what = format!("storing the execution intent of incident {id}");
        let mut tx = self.begin(&what).await?;
        let update = Update {
            state: ProcessingState::Executing,
            at: record.decided_at,
            error: None,
            until: Some(until),
        };
        fenced_update(&mut tx, id, owner, update, &what).await?;
        let mut intent = record.clone();
        intent.state = ProcessingState::Executing;
        intent.assessment = None;
        insert_decision(&mut tx, id, &intent).await?;
        let at = record.decided_at;
        audit(
            &mut tx,
            self.backend,
            AuditKind::Verdict,
            id,
            owner,
            at,
            verdict_payload(&intent, None),
        )
        .await?;
        let started = json!({
            "action": record.decision.action_name(),
            "target": record.decision.target.as_ref().map(ToString::to_string),
            "plan": record.outcome.plan.as_ref().map(|p| p.summary.as_str()),
        });
        audit(
            &mut tx,
            self.backend,
            AuditKind::ExecutionStarted,
            id,
            owner,
            at,
            started,
        )
        .await?;
        tx.commit().await.map_err(|e| classify(&what, e))
    }

    async fn finish_execution(&self, id: &str, owner: &str, finish: &Finish<'_>) -> Result<(), StoreError> {
        let what = format!("storing the outcome of incident {id}");
        let outcome = finish.outcome;
        let plan = outcome.plan.as_ref().map(|p| to_json("the plan", p)).transpose()?;
        let results = to_json("the results", &outcome.results)?;
        let mut tx = self.begin(&what).await?;
        let fenced = sqlx::query(
            "UPDATE incidents SET state = $2, updated_at_ms = $3, error = $4, lease_owner = NULL, \
             lease_until_ms = NULL WHERE id = $1 AND lease_owner = $5 AND state = 'executing'",
        )
        .bind(id)
        .bind(finish.state.as_str())
        .bind(millis(finish.at))
        .bind(finish.error)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(|e| classify(&what, e))?;
        if fenced.rows_affected() != 1 {
            return Err(StoreError::LeaseLost {
                id: id.to_string(),
                owner: owner.to_string(),
            });
        }
        let row = sqlx::query("SELECT MAX(id) AS id FROM decisions WHERE incident_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| classify(&what, e))?;
        let decision_id = RowReader::new(&row, id).int("id")?;
        sqlx::query("UPDATE decisions SET state = $2 WHERE id = $1")
            .bind(decision_id)
            .bind(finish.state.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| classify(&what, e))?;
        sqlx::query(
            "UPDATE outcomes SET status = $2, plan_json = $3, results_json = $4, error = $5, \
             started_at_ms = $6, finished_at_ms = $7 WHERE decision_id = $1",
        )
        .bind(decision_id)
        .bind(outcome.status.as_str())
        .bind(plan)
        .bind(results)
        .bind(outcome.error.as_deref())
        .bind(millis(outcome.started_at))
        .bind(millis(outcome.finished_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| classify(&what, e))?;
        if let Some(a) = finish.assessment {
            insert_assessment(&mut tx, id, decision_id, a).await?;
        }
        let kind = if finish.resumed {
            AuditKind::Resumed
        } else {
            AuditKind::ExecutionFinished
        };
        let payload = json!({
            "state": finish.state.as_str(),
            "outcome": outcome.status.as_str(),
            "results": outcome.results,
            "error": finish.error.or(outcome.error.as_deref()),
        });
        audit(&mut tx, self.backend, kind, id, owner, finish.at, payload).await?;
        tx.commit().await.map_err(|e| classify(&what, e))
    }
}
