//! Recent activity in SQL: [`ActivityStore`] for [`SqlStore`], one statement of scalar
//! subqueries over the decisions (by `decided_at_ms`) and the incidents' states.
//!
//! Reads only; nothing here judges the counts.

use async_trait::async_trait;
use jiff::SignedDuration;

use super::SqlStore;
use super::error::classify;
use super::rows::{RowReader, millis};
use crate::policy::Activity;
use crate::store::StoreError;
use crate::store::activity::{ActivityQuery, ActivityStore};

/// The decision states counted as started actions, as an SQL list (constant; matches
/// [`crate::store::activity::STARTED_STATES`]).
const STARTED: &str = "('executing', 'executed', 'failed', 'interrupted')";

/// The statement: `$1` action, `$2` target, `$3` fingerprint, `$4` namespace, `$5` the
/// start of the rate window, `$6` the start of the cooldown lookback.
fn statement() -> String {
    format!(
        "SELECT \
         (SELECT MAX(d.decided_at_ms) FROM decisions d WHERE d.state IN {STARTED} \
            AND d.action = $1 AND d.target = $2 AND d.decided_at_ms >= $6) AS last_on_target_ms, \
         (SELECT MAX(d.decided_at_ms) FROM decisions d JOIN incidents i ON i.id = d.incident_id \
            WHERE d.state IN {STARTED} AND i.fingerprint = $3 AND d.decided_at_ms >= $6) AS last_on_fingerprint_ms, \
         (SELECT COUNT(*) FROM decisions d WHERE d.state IN {STARTED} AND d.decided_at_ms >= $5) AS last_hour, \
         (SELECT COUNT(*) FROM decisions d JOIN incidents i ON i.id = d.incident_id \
            WHERE d.state IN {STARTED} AND i.namespace = $4 AND d.decided_at_ms >= $5) AS last_hour_in_namespace, \
         (SELECT COUNT(*) FROM incidents WHERE state = 'executing') AS executing"
    )
}

#[async_trait]
impl ActivityStore for SqlStore {
    async fn activity(&self, query: &ActivityQuery) -> Result<Activity, StoreError> {
        let hour_ago = query.now - SignedDuration::from_hours(1);
        let sql = statement();
        // Built from constants only; every value is bound.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(query.action.as_str())
            .bind(query.target.as_deref())
            .bind(query.fingerprint.as_str())
            .bind(query.namespace.as_deref())
            .bind(millis(hour_ago))
            .bind(millis(query.since))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| classify("reading recent activity", e))?;
        let r = RowReader::new(&row, "recent activity");
        let count =
            |column: &str| -> Result<u32, StoreError> { Ok(u32::try_from(r.int(column)?.max(0)).unwrap_or(u32::MAX)) };
        Ok(Activity {
            last_on_target: r.opt_timestamp("last_on_target_ms")?,
            last_on_fingerprint: r.opt_timestamp("last_on_fingerprint_ms")?,
            executed_last_hour: count("last_hour")?,
            executed_last_hour_in_namespace: count("last_hour_in_namespace")?,
            executing: count("executing")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use crate::store::activity::{ActivityQuery, ActivityStore};
    use crate::store::sql::testing::{TestDb, on_both_backends};

    fn now() -> Timestamp {
        "2025-03-03T12:00:00Z".parse().unwrap()
    }

    /// An incident with one decision: `(id, fingerprint, namespace, incident state)` and
    /// `(action, target, decision state, minutes before now)`.
    async fn seed(db: &TestDb, incident: (&str, &str, &str, &str), decision: (&str, &str, &str, i64)) {
        let (id, fingerprint, namespace, state) = incident;
        let (action, target, decided, minutes) = decision;
        let at = (now() - SignedDuration::from_mins(minutes)).as_millisecond();
        sqlx::query(
            "INSERT INTO incidents (id, source, fingerprint, starts_at, starts_at_ms, alert_status, state, \
             alertname, namespace, incident_json, received_at_ms, updated_at_ms) \
             VALUES ($1, 'alertmanager', $2, $3, $4, 'firing', $5, 'X', $6, '{}', $4, $4)",
        )
        .bind(id)
        .bind(fingerprint)
        .bind(format!("{id}-start"))
        .bind(at)
        .bind(state)
        .bind(namespace)
        .execute(&db.store.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO decisions (incident_id, action, decider, decider_name, confidence, verdict, state, \
             context_json, decision_json, verdict_json, decided_at_ms, latency_ms, target) \
             VALUES ($1, $2, 'rules', 'r', 1.0, 'allow', $3, '{}', '{}', '{}', $4, 0, $5)",
        )
        .bind(id)
        .bind(action)
        .bind(decided)
        .bind(at)
        .bind(target)
        .execute(&db.store.pool)
        .await
        .unwrap();
    }

    fn query(action: &str, target: &str, fingerprint: &str, namespace: &str) -> ActivityQuery {
        ActivityQuery {
            action: action.into(),
            target: Some(target.into()),
            fingerprint: fingerprint.into(),
            namespace: Some(namespace.into()),
            now: now(),
            since: now() - SignedDuration::from_hours(24),
        }
    }

    async fn counts_started_actions_by_decision_time(db: &TestDb) {
        let empty = db
            .store
            .activity(&query("restart_pod", "pod/shop/a", "f1", "shop"))
            .await
            .unwrap();
        assert_eq!(empty, crate::policy::Activity::default());

        let a = "pod/shop/a";
        seed(db, ("i1", "f1", "shop", "executed"), ("restart_pod", a, "executed", 5)).await;
        seed(db, ("i2", "f2", "shop", "failed"), ("restart_pod", a, "failed", 30)).await;
        seed(
            db,
            ("i3", "f1", "shop", "executing"),
            ("rollout_restart", "deployment/shop/api", "executing", 2),
        )
        .await;
        seed(
            db,
            ("i4", "f3", "web", "interrupted"),
            ("restart_pod", "pod/web/b", "interrupted", 50),
        )
        .await;
        // Not started: planned, denied, held; and one started two hours ago.
        seed(db, ("i5", "f1", "shop", "planned"), ("restart_pod", a, "planned", 1)).await;
        seed(db, ("i6", "f1", "shop", "denied"), ("restart_pod", a, "denied", 1)).await;
        seed(db, ("i7", "f1", "shop", "held"), ("restart_pod", a, "held", 1)).await;
        seed(
            db,
            ("i8", "f4", "shop", "executed"),
            ("restart_pod", "pod/shop/c", "executed", 120),
        )
        .await;
        // Older than the lookback: not found at all.
        seed(
            db,
            ("i9", "f5", "shop", "executed"),
            ("restart_pod", "pod/shop/old", "executed", 25 * 60),
        )
        .await;

        let got = db.store.activity(&query("restart_pod", a, "f1", "shop")).await.unwrap();
        assert_eq!(got.last_on_target, Some(now() - SignedDuration::from_mins(5)));
        assert_eq!(got.last_on_fingerprint, Some(now() - SignedDuration::from_mins(2)));
        assert_eq!(got.executed_last_hour, 4);
        assert_eq!(got.executed_last_hour_in_namespace, 3);
        assert_eq!(got.executing, 1);

        let other = db
            .store
            .activity(&query("restart_pod", "pod/shop/c", "f4", "web"))
            .await
            .unwrap();
        assert_eq!(other.last_on_target, Some(now() - SignedDuration::from_mins(120)));
        assert_eq!(other.executed_last_hour_in_namespace, 1);
        let old = db
            .store
            .activity(&query("restart_pod", "pod/shop/old", "f5", "shop"))
            .await
            .unwrap();
        assert_eq!((old.last_on_target, old.last_on_fingerprint), (None, None));

        // No target, no namespace: only the global counts.
        let mut q = query("drain_node", "", "zz", "");
        q.target = None;
        q.namespace = None;
        let got = db.store.activity(&q).await.unwrap();
        assert_eq!(
            (
                got.last_on_target,
                got.executed_last_hour,
                got.executed_last_hour_in_namespace
            ),
            (None, 4, 0)
        );
    }

    on_both_backends!(counts_started_actions_by_decision_time);
}
