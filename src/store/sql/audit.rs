//! The audit log in SQL: appending a record inside the caller's write transaction, and
//! reading the chain back (for `medic audit verify` and `medic audit list`).
//!
//! Appends are serialised across processes so the chain never forks: on PostgreSQL a
//! transaction-scoped advisory lock ([`AUDIT_LOCK_KEY`]) is taken before the last hash is
//! read, and held until the caller's transaction ends; on SQLite the caller's write
//! transaction (`BEGIN IMMEDIATE`) already holds the database's only write lock. `seq` is
//! the primary key, so even an append outside those locks fails rather than forking.
//!
//! The hash itself is defined in [`crate::audit::chain`]. This module must not update or
//! delete audit rows: the log is append-only.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::SqlStore;
use super::error::classify;
use super::rows::{RowReader, millis};
use super::url::Backend;
use crate::audit::{AuditEntry, AuditRecord, Break, GENESIS_HASH, Verifier, canonical_json, record_hash};
use crate::store::StoreError;

/// The PostgreSQL advisory lock key that serialises appends ("medic" and 6, the migration
/// that made the table). Transaction-scoped: released at commit or rollback.
const AUDIT_LOCK_KEY: i64 = 0x6d65_6469_6300_0006;

/// Records read per query when verifying.
const VERIFY_PAGE: i64 = 1_000;

/// The columns of an audit record, in [`read_record`]'s order.
const COLUMNS: &str = "seq, at_ms, kind, incident_id, actor, payload_json, prev_hash, hash";

/// Appends `entry` to the audit log within the caller's open write transaction
/// (`append(&mut *tx, backend, &entry)`): the record is chained to the last one and
/// becomes visible when the caller commits (and vanishes if it rolls back).
///
/// On PostgreSQL this takes the audit advisory lock, which other appenders then wait on
/// until this transaction ends: append late in a transaction, not first thing.
pub(crate) async fn append(conn: &mut AnyConnection, backend: Backend, entry: &AuditEntry) -> Result<(), StoreError> {
    append_record(conn, backend, entry).await.map(|_| ())
}

/// [`append`], returning the stored record.
pub(crate) async fn append_record(
    conn: &mut AnyConnection,
    backend: Backend,
    entry: &AuditEntry,
) -> Result<AuditRecord, StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1)) AS l")
            .bind(AUDIT_LOCK_KEY)
            .execute(&mut *conn)
            .await
            .map_err(|e| classify("locking the audit log", e))?;
    }
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| classify("reading the audit log's head", e))?;
    let (prev_seq, prev_hash) = match &last {
        Some(row) => {
            let r = RowReader::new(row, "audit log head");
            (r.int("seq")?, r.text("hash")?)
        }
        None => (0, GENESIS_HASH.to_string()),
    };
    let seq = prev_seq + 1;
    let at_ms = millis(entry.at);
    let kind = entry.kind.as_str();
    let payload_json = canonical_json(&entry.payload);
    let hash = record_hash(
        &prev_hash,
        seq,
        at_ms,
        kind,
        entry.incident_id.as_deref(),
        &entry.actor,
        &payload_json,
    );
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, kind, incident_id, actor, payload_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at_ms)
    .bind(kind)
    .bind(entry.incident_id.clone())
    .bind(entry.actor.clone())
    .bind(payload_json.clone())
    .bind(prev_hash.clone())
    .bind(hash.clone())
    .execute(&mut *conn)
    .await
    .map_err(|e| classify("appending to the audit log", e))?;
    Ok(AuditRecord {
        seq,
        at_ms,
        kind: kind.to_string(),
        incident_id: entry.incident_id.clone(),
        actor: entry.actor.clone(),
        payload_json,
        prev_hash,
        hash,
    })
}

fn read_record(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let r = RowReader::new(row, "audit record");
    Ok(AuditRecord {
        seq: r.int("seq")?,
        at_ms: r.int("at_ms")?,
        kind: r.text("kind")?,
        incident_id: r.opt_text("incident_id")?,
        actor: r.text("actor")?,
        payload_json: r.text("payload_json")?,
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

/// The outcome of checking the whole audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Records found intact before the first break (all of them when intact).
    pub checked: u64,
    /// The last intact record's seq (0 when none).
    pub head_seq: i64,
    /// The last intact record's hash ([`GENESIS_HASH`] when none).
    pub head_hash: String,
    /// The first break, if any.
    pub broken: Option<Break>,
}

impl SqlStore {
    /// Appends one record in a transaction of its own, returning it as stored.
    pub async fn audit_append(&self, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
        let mut tx = self.begin("appending to the audit log").await?;
        let record = append_record(&mut tx, self.backend, entry).await?;
        tx.commit()
            .await
            .map_err(|e| classify("committing the audit record", e))?;
        Ok(record)
    }

    /// Up to `limit` records after `after_seq`, oldest first (pages for verification).
    pub async fn audit_page(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("reading the audit log", e))?;
        rows.iter().map(read_record).collect()
    }

    /// The latest `limit` records (of one incident, if given), oldest first.
    pub async fn audit_recent(&self, incident_id: Option<&str>, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let filter = if incident_id.is_some() {
            "WHERE incident_id = $2"
        } else {
            ""
        };
        let sql = format!("SELECT {COLUMNS} FROM audit_log {filter} ORDER BY seq DESC LIMIT $1");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit.max(0));
        if let Some(id) = incident_id {
            query = query.bind(id.to_string());
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify("reading the audit log", e))?;
        let mut records = rows.iter().map(read_record).collect::<Result<Vec<_>, _>>()?;
        records.reverse();
        Ok(records)
    }

    /// Checks the whole chain, oldest first, a page at a time; stops at the first break.
    pub async fn audit_verify(&self) -> Result<AuditVerification, StoreError> {
        let mut verifier = Verifier::new();
        let mut after = 0;
        let mut head_seq = 0;
        loop {
            let page = self.audit_page(after, VERIFY_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for record in &page {
                if let Err(broken) = verifier.check(record) {
                    return Ok(AuditVerification {
                        checked: verifier.count(),
                        head_seq,
                        head_hash: verifier.head().to_string(),
                        broken: Some(broken),
                    });
                }
                head_seq = record.seq;
            }
        }
        Ok(AuditVerification {
            checked: verifier.count(),
            head_seq,
            head_hash: verifier.head().to_string(),
            broken: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use serde_json::json;

    use super::*;
    use crate::audit::AuditKind;
    use crate::store::sql::testing::{TestDb, on_both_backends};

    fn entry(n: i64) -> AuditEntry {
        AuditEntry {
            at: Timestamp::from_millisecond(1_700_000_000_000 + n).unwrap(),
            kind: AuditKind::Verdict,
            incident_id: Some(format!("inc-{n}")),
            actor: "medic".into(),
            payload: json!({"n": n, "reasons": ["ok"], "verdict": "allow"}),
        }
    }

    async fn appends_inside_a_transaction_chain(db: &TestDb) {
        let store = &db.store;
        let mut tx = store.begin("test").await.unwrap();
        append(&mut tx, store.backend, &entry(1)).await.unwrap();
        append(&mut tx, store.backend, &entry(2)).await.unwrap();
        tx.commit().await.unwrap();
        // A rolled-back append leaves no trace.
        let mut tx = store.begin("test").await.unwrap();
        append(&mut tx, store.backend, &entry(99)).await.unwrap();
        tx.rollback().await.unwrap();
        let third = store.audit_append(&entry(3)).await.unwrap();
        assert_eq!(third.seq, 3);
        let all = store.audit_page(0, 10).await.unwrap();
        assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(all[0].prev_hash, GENESIS_HASH);
        assert_eq!(all[1].prev_hash, all[0].hash);
        assert_eq!(all[2].prev_hash, all[1].hash);
        assert_eq!(all[0].payload_json, r#"{"n":1,"reasons":["ok"],"verdict":"allow"}"#);
        let report = store.audit_verify().await.unwrap();
        assert_eq!(report.broken, None);
        assert_eq!((report.checked, report.head_seq), (3, 3));
        assert_eq!(report.head_hash, all[2].hash);
        let of_two = store.audit_recent(Some("inc-2"), 10).await.unwrap();
        assert_eq!(of_two.len(), 1);
        assert_eq!(of_two[0].seq, 2);
        let last_two = store.audit_recent(None, 2).await.unwrap();
        assert_eq!(last_two.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![2, 3]);
    }

    async fn an_empty_log_verifies(db: &TestDb) {
        let report = db.store.audit_verify().await.unwrap();
        assert_eq!(report.checked, 0);
        assert_eq!(report.head_hash, GENESIS_HASH);
        assert_eq!(report.broken, None);
    }

    on_both_backends!(appends_inside_a_transaction_chain, an_empty_log_verifies);
}
