//! The [`Store`] implementation: the queries, shared by SQLite and PostgreSQL.
//!
//! Every statement is plain SQL both backends accept, with `$n` placeholders. Writes that
//! belong together run in one transaction ([`SqlStore::begin`]); reads that assemble one
//! answer are one statement, so they see one snapshot. Nothing here decides or plans.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};
use uuid::Uuid;

use super::SqlStore;
use super::assessments::{ASSESSMENT_COLUMNS, read_assessment};
use super::error::classify;
use super::rows::{RowReader, canonical, millis, to_json};
use crate::execute::Outcome;
use crate::incident::{AlertStatus, Incident};
use crate::store::{
    DecisionRecord, IncidentQuery, IncidentSummary, ProcessingState, Recorded, Store, StoreError, StoredIncident,
};

/// Inserts a new incident unless its (fingerprint, starts_at) is already stored.
const INSERT_INCIDENT: &str = "INSERT INTO incidents (id, source, fingerprint, starts_at, starts_at_ms, alert_status, \
     state, alertname, severity, namespace, target_kind, target_name, target, incident_json, received_at_ms, \
     updated_at_ms, resolved_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16) \
     ON CONFLICT (fingerprint, starts_at) DO NOTHING";

/// The stored incident with a given identity.
const SELECT_BY_KEY: &str =
    "SELECT id, alert_status, incident_json FROM incidents WHERE fingerprint = $1 AND starts_at = $2";

/// Marks a firing incident resolved; changes nothing when it already is.
const RESOLVE_INCIDENT: &str = "UPDATE incidents SET alert_status = 'resolved', resolved_at_ms = $2, \
     updated_at_ms = $2, incident_json = $3 WHERE id = $1 AND alert_status = 'firing'";

/// The lease owner of [`Store::claim`], which tools and tests use.
const ANONYMOUS_OWNER: &str = "anonymous";

/// Joins an incident (`i`) with its latest decision (`d`): the one with the highest id.
const LATEST_DECISION_JOIN: &str = "LEFT JOIN decisions d ON d.id = \
     (SELECT MAX(d2.id) FROM decisions d2 WHERE d2.incident_id = i.id)";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|e| classify("pinging the database", e))?;
        Ok(())
    }

    async fn record_alerts(&self, incidents: &[Incident], received_at: Timestamp) -> Result<Vec<Recorded>, StoreError> {
        let mut tx = self.begin("recording alerts").await?;
        let mut recorded = Vec::with_capacity(incidents.len());
        for incident in incidents {
            recorded.push(record_one(&mut tx, incident, received_at).await?);
        }
        tx.commit().await.map_err(|e| classify("committing alerts", e))?;
        Ok(recorded)
    }

    async fn pending(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM incidents WHERE state IN ('received', 'deciding', 'approved', 'executing') \
             ORDER BY received_at_ms, id LIMIT $1",
        )
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify("listing pending incidents", e))?;
        rows.iter()
            .map(|row| RowReader::new(row, "pending incident").text("id"))
            .collect()
    }

    async fn claim(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let until = Timestamp::from_millisecond(millis(now) + super::CLAIM_LEASE_MS).unwrap_or(Timestamp::MAX);
        let claimed = super::processing::claim(self, Some(id), ANONYMOUS_OWNER, now, until, 1).await?;
        Ok(!claimed.is_empty())
    }

    async fn save_result(&self, id: &str, record: &DecisionRecord) -> Result<(), StoreError> {
        let what = format!("saving the decision on incident {id}");
        let error = match record.state {
            ProcessingState::Failed => record.outcome.error.clone(),
            _ => None,
        };
        let mut tx = self.begin(&what).await?;
        let updated = sqlx::query(
            "UPDATE incidents SET state = $2, updated_at_ms = $3, error = $4, lease_owner = NULL, \
             lease_until_ms = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(record.state.as_str())
        .bind(millis(record.decided_at))
        .bind(error)
        .execute(&mut *tx)
        .await
        .map_err(|e| classify(&what, e))?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Query(format!("{what}: no incident {id}")));
        }
        insert_decision(&mut tx, id, record).await?;
        tx.commit().await.map_err(|e| classify(&what, e))
    }

    async fn mark_failed(&self, id: &str, error: &str, now: Timestamp) -> Result<(), StoreError> {
        let what = format!("marking incident {id} failed");
        let done = sqlx::query("UPDATE incidents SET state = 'failed', error = $2, updated_at_ms = $3 WHERE id = $1")
            .bind(id)
            .bind(error)
            .bind(millis(now))
            .execute(&self.pool)
            .await
            .map_err(|e| classify(&what, e))?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Query(format!("{what}: no incident {id}")));
        }
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<StoredIncident>, StoreError> {
        let sql = format!(
            "SELECT i.id, i.state, i.incident_json, i.received_at_ms, i.updated_at_ms, i.resolved_at_ms, i.error, \
             d.id AS decision_id, d.state AS decision_state, d.context_json, d.decision_json, d.verdict_json, \
             d.decided_at_ms, d.latency_ms, o.status AS outcome_status, o.plan_json, o.results_json, \
             o.error AS outcome_error, o.started_at_ms, o.finished_at_ms, d.model, d.tokens_in, d.tokens_out, \
             {ASSESSMENT_COLUMNS} \
             FROM incidents i {LATEST_DECISION_JOIN} LEFT JOIN outcomes o ON o.decision_id = d.id \
             LEFT JOIN assessments a ON a.decision_id = d.id \
             WHERE i.id = $1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| classify(&format!("reading incident {id}"), e))?;
        row.map(|row| stored_incident(&row, id)).transpose()
    }

    async fn list(&self, query: &IncidentQuery) -> Result<Vec<IncidentSummary>, StoreError> {
        let mut sql = format!(
            "SELECT i.id, i.alertname, i.alert_status, i.state, i.target, i.received_at_ms, \
             d.action, d.verdict FROM incidents i {LATEST_DECISION_JOIN}"
        );
        let filters = [
            ("i.state", &query.state),
            ("i.alertname", &query.alertname),
            ("i.namespace", &query.namespace),
            ("i.alert_status", &query.status),
        ];
        let mut values = Vec::new();
        for (column, value) in filters {
            if let Some(value) = value {
                values.push(value.as_str());
                let joiner = if values.len() == 1 { "WHERE" } else { "AND" };
                sql.push_str(&format!(" {joiner} {column} = ${}", values.len()));
            }
        }
        sql.push_str(&format!(
            " ORDER BY i.received_at_ms DESC, i.id DESC LIMIT ${}",
            values.len() + 1
        ));
        // The SQL is built from the constant fragments above only; every value is bound.
        let mut statement = sqlx::query(AssertSqlSafe(sql));
        for value in values {
            statement = statement.bind(value);
        }
        let rows = statement
            .bind(query.limit())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("listing incidents", e))?;
        rows.iter().map(summary).collect()
    }

    async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM incidents GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("counting incidents", e))?;
        rows.iter()
            .map(|row| {
                let r = RowReader::new(row, "incident counts");
                Ok((r.text("state")?, r.int("n")?))
            })
            .collect()
    }
}

/// Inserts a decision with its outcome and history columns (and its assessment, if
/// any) for incident `id`, inside the caller's transaction; returns the decision's id.
pub(super) async fn insert_decision(
    conn: &mut AnyConnection,
    id: &str,
    record: &DecisionRecord,
) -> Result<i64, StoreError> {
    let what = format!("saving the decision on incident {id}");
    let context = to_json("the context", &record.context)?;
    let decision = to_json("the decision", &record.decision)?;
    let verdict = to_json("the verdict", &record.verdict)?;
    let outcome = &record.outcome;
    let plan = outcome.plan.as_ref().map(|p| to_json("the plan", p)).transpose()?;
    let results = to_json("the results", &outcome.results)?;
    let row = sqlx::query(
        "INSERT INTO decisions (incident_id, action, decider, decider_name, confidence, verdict, state, \
         context_json, decision_json, verdict_json, decided_at_ms, latency_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(id)
    .bind(record.decision.action_name())
    .bind(record.decision.decided_by.decider.as_str())
    .bind(record.decision.decided_by.name.as_str())
    .bind(record.decision.confidence)
    .bind(record.verdict.kind.as_str())
    .bind(record.state.as_str())
    .bind(context)
    .bind(decision)
    .bind(verdict)
    .bind(millis(record.decided_at))
    .bind(record.latency_ms)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| classify(&what, e))?;
    let decision_id = RowReader::new(&row, id).int("id")?;
    sqlx::query(
        "INSERT INTO outcomes (decision_id, incident_id, status, plan_json, results_json, error, \
         started_at_ms, finished_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(decision_id)
    .bind(id)
    .bind(outcome.status.as_str())
    .bind(plan)
    .bind(results)
    .bind(outcome.error.as_deref())
    .bind(millis(outcome.started_at))
    .bind(millis(outcome.finished_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| classify(&what, e))?;
    super::history::save_history_columns(conn, id, decision_id, record).await?;
    Ok(decision_id)
}

/// Stores one alert of a notification inside the notification's transaction.
///
/// Safe under concurrent redelivery: the insert does nothing on a known identity (waiting
/// for a concurrent insert of the same identity to commit or roll back), and resolving is
/// a conditional update, so exactly one of two racing deliveries reports `New`/`Resolved`.
async fn record_one(
    conn: &mut AnyConnection,
    incident: &Incident,
    received_at: Timestamp,
) -> Result<Recorded, StoreError> {
    let id = Uuid::now_v7().to_string();
    let starts_at = canonical(incident.starts_at);
    let what = format!(
        "recording alert {} (fingerprint {}, startsAt {starts_at})",
        incident.alertname, incident.fingerprint
    );
    let (state, resolved_at) = match incident.status {
        AlertStatus::Firing => (ProcessingState::Received, None),
        AlertStatus::Resolved => (ProcessingState::Ignored, Some(millis(received_at))),
    };
    let target = incident.target.as_ref();
    let namespace = target
        .and_then(|t| t.namespace.clone())
        .or_else(|| incident.labels.get("namespace").cloned());
    let inserted = sqlx::query(INSERT_INCIDENT)
        .bind(id.as_str())
        .bind(incident.source.as_str())
        .bind(incident.fingerprint.as_str())
        .bind(starts_at.as_str())
        .bind(millis(incident.starts_at))
        .bind(incident.status.as_str())
        .bind(state.as_str())
        .bind(incident.alertname.as_str())
        .bind(incident.severity.as_deref())
        .bind(namespace)
        .bind(target.map(|t| t.kind.as_str()))
        .bind(target.map(|t| t.name.as_str()))
        .bind(target.map(|t| t.to_string()))
        .bind(to_json("the incident", incident)?)
        .bind(millis(received_at))
        .bind(resolved_at)
        .execute(&mut *conn)
        .await
        .map_err(|e| classify(&what, e))?;
    if inserted.rows_affected() == 1 {
        return Ok(match incident.status {
            AlertStatus::Firing => Recorded::New { id },
            AlertStatus::Resolved => Recorded::ResolvedUnseen { id },
        });
    }

    let row = sqlx::query(SELECT_BY_KEY)
        .bind(incident.fingerprint.as_str())
        .bind(starts_at.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| classify(&what, e))?;
    let existing = RowReader::new(&row, "incident").text("id")?;
    let r = RowReader::new(&row, &existing);
    if incident.status == AlertStatus::Resolved && r.text("alert_status")? == AlertStatus::Firing.as_str() {
        let mut stored: Incident = r.json("incident_json")?;
        stored.status = AlertStatus::Resolved;
        stored.ends_at = incident.ends_at;
        let resolved = sqlx::query(RESOLVE_INCIDENT)
            .bind(existing.as_str())
            .bind(millis(received_at))
            .bind(to_json("the incident", &stored)?)
            .execute(&mut *conn)
            .await
            .map_err(|e| classify(&what, e))?;
        if resolved.rows_affected() == 1 {
            return Ok(Recorded::Resolved { id: existing });
        }
    }
    Ok(Recorded::Duplicate { id: existing })
}

/// Assembles a [`StoredIncident`] from the row of [`Store::get`]'s query.
fn stored_incident(row: &AnyRow, id: &str) -> Result<StoredIncident, StoreError> {
    let r = RowReader::new(row, id);
    let decision = match r.opt_int("decision_id")? {
        None => None,
        Some(_) => Some(DecisionRecord {
            context: r.json("context_json")?,
            decision: r.json("decision_json")?,
            verdict: r.json("verdict_json")?,
            outcome: Outcome {
                status: r.named("outcome_status")?,
                plan: r.opt_json("plan_json")?,
                results: r.json("results_json")?,
                error: r.opt_text("outcome_error")?,
                started_at: r.timestamp("started_at_ms")?,
                finished_at: r.timestamp("finished_at_ms")?,
            },
            state: r.state("decision_state")?,
            decided_at: r.timestamp("decided_at_ms")?,
            latency_ms: r.int("latency_ms")?,
            model: r.opt_text("model")?,
            tokens_in: r.opt_int("tokens_in")?,
            tokens_out: r.opt_int("tokens_out")?,
            assessment: read_assessment(row, id)?,
        }),
    };
    Ok(StoredIncident {
        id: r.text("id")?,
        state: r.state("state")?,
        incident: r.json("incident_json")?,
        received_at: r.timestamp("received_at_ms")?,
        updated_at: r.timestamp("updated_at_ms")?,
        resolved_at: r.opt_timestamp("resolved_at_ms")?,
        error: r.opt_text("error")?,
        decision,
    })
}

/// Reads one row of [`Store::list`]'s query.
fn summary(row: &AnyRow) -> Result<IncidentSummary, StoreError> {
    let id = RowReader::new(row, "listed incident").text("id")?;
    let r = RowReader::new(row, &id);
    Ok(IncidentSummary {
        alertname: r.text("alertname")?,
        status: r.text("alert_status")?,
        state: r.state("state")?,
        target: r.opt_text("target")?,
        action: r.opt_text("action")?,
        verdict: r.opt_text("verdict")?,
        received_at: r.timestamp("received_at_ms")?,
        id,
    })
}
