//! The audit log's hash chain on real databases: appends chain, concurrent appenders on
//! PostgreSQL (several pools, as several processes) keep one chain, and a changed
//! payload, a deleted row and swapped hashes are each reported by `medic audit verify`
//! with the first broken seq and the reason (exit 1), an intact log with exit 0.

use std::process::Command;
use std::sync::Arc;

use jiff::Timestamp;
use medic::audit::{AuditEntry, AuditKind, GENESIS_HASH};
use medic::store::SqlStore;
use medic::store::sql::{create_scratch_postgres, drop_scratch_postgres};
use serde_json::json;

fn server() -> String {
    std::env::var("MEDIC_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".into())
}

fn entry(n: usize, kind: AuditKind) -> AuditEntry {
    AuditEntry {
        at: Timestamp::now(),
        kind,
        incident_id: Some(format!("incident-{}", n % 7)),
        actor: if kind == AuditKind::Approval {
            "alice".into()
        } else {
            "medic".into()
        },
        payload: json!({"n": n, "reasons": ["within the risk ceiling"], "verdict": "allow"}),
    }
}

/// A scratch PostgreSQL database, dropped at the end.
struct Pg {
    url: String,
    name: String,
}

impl Pg {
    async fn new() -> Pg {
        let (url, name) = create_scratch_postgres(&server()).await.unwrap();
        Pg { url, name }
    }
    async fn drop(self) {
        let _ = drop_scratch_postgres(&server(), &self.name).await;
    }
}

/// Runs `medic audit ARGS --database-url URL`, returning (exit code, stdout).
fn medic_audit(url: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_medic"))
        .arg("audit")
        .args(args)
        .args(["--database-url", url])
        .env_remove("MEDIC_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

async fn raw(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    for statement in sql.split(";\n") {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appenders_on_postgres_keep_one_chain() {
    let pg = Pg::new().await;
    // Three pools on one database, as three replicas; eight tasks each.
    let mut stores = Vec::new();
    for _ in 0..3 {
        stores.push(Arc::new(SqlStore::connect(&pg.url).await.unwrap()));
    }
    let mut tasks = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        for t in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..25 {
                    let n = s * 1000 + t * 100 + i;
                    store
                        .audit_append(&entry(n, AuditKind::ExecutionStarted))
                        .await
                        .unwrap();
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = stores[0].audit_verify().await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.checked, 3 * 8 * 25);
    assert_eq!(report.head_seq, 600);
    let (code, out) = medic_audit(&pg.url, &["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 600 record(s)"), "{out}");
    for s in &stores {
        s.close().await;
    }
    pg.drop().await;
}

/// Appends five records and returns the store.
async fn five(url: &str) -> SqlStore {
    let store = SqlStore::connect(url).await.unwrap();
    let kinds = [
        AuditKind::Verdict,
        AuditKind::ExecutionStarted,
        AuditKind::ExecutionFinished,
        AuditKind::Approval,
        AuditKind::Expired,
    ];
    for (n, kind) in kinds.into_iter().enumerate() {
        store.audit_append(&entry(n, kind)).await.unwrap();
    }
    let report = store.audit_verify().await.unwrap();
    assert_eq!((report.checked, report.broken.clone()), (5, None));
    store
}

/// Each tampering on each backend: (what is done, the seq and reason reported).
async fn tampering_is_detected(url_of: impl AsyncFnMut() -> (String, Option<Pg>)) {
    let mut url_of = url_of;
    let cases: [(&str, &str, &str); 4] = [
        (
            "UPDATE audit_log SET payload_json = '{\"n\":2,\"reasons\":[],\"verdict\":\"deny\"}' WHERE seq = 3",
            "BROKEN at seq 3",
            "hash mismatch",
        ),
        ("DELETE FROM audit_log WHERE seq = 2", "BROKEN at seq 2", "gap"),
        // Swap the hashes of seq 4 and 5 (through a placeholder: hashes are unique).
        (
            "UPDATE audit_log SET hash = 'x' || hash WHERE seq = 5;\n\
             UPDATE audit_log SET hash = (SELECT substr(hash, 2) FROM audit_log WHERE seq = 5) WHERE seq = 4;\n\
             UPDATE audit_log SET hash = prev_hash WHERE seq = 5",
            "BROKEN at seq 4",
            "hash mismatch",
        ),
        (
            "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4",
            "BROKEN at seq 4",
            "hash mismatch",
        ),
    ];
    for (sql, at, why) in cases {
        let (url, pg) = url_of().await;
        let store = five(&url).await;
        let (code, out) = medic_audit(&url, &["verify"]);
        assert_eq!(code, 0, "{out}");
        raw(&url, sql).await;
        let report = store.audit_verify().await.unwrap();
        assert!(report.broken.is_some(), "{sql}: {report:?}");
        let (code, out) = medic_audit(&url, &["verify"]);
        assert_eq!(code, 1, "{sql}: {out}");
        assert!(out.contains(at) && out.contains(why), "{sql}: {out}");
        store.close().await;
        if let Some(pg) = pg {
            pg.drop().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_detected_on_sqlite() {
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut next = 0;
    tampering_is_detected(async || {
        let dir = dirs[next].path().join("medic.db");
        next += 1;
        (format!("sqlite://{}?mode=rwc", dir.display()), None)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_detected_on_postgres() {
    tampering_is_detected(async || {
        let pg = Pg::new().await;
        (pg.url.clone(), Some(pg))
    })
    .await;
}

#[tokio::test]
async fn list_shows_an_incident_trail_and_a_recorded_head_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("medic.db").display());
    let store = five(&url).await;
    let (code, out) = medic_audit(&url, &["list", "--incident", "incident-3", "--output", "json"]);
    assert_eq!(code, 0, "{out}");
    let records: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(records.as_array().unwrap().len(), 1, "{out}");
    assert_eq!(records[0]["kind"], "approval");
    assert_eq!(records[0]["actor"], "alice");
    assert_eq!(records[0]["payload"]["n"], 3);
    let head = store.audit_verify().await.unwrap().head_hash;
    assert_ne!(head, GENESIS_HASH);
    let (code, out) = medic_audit(&url, &["verify", "--expect-head", &head]);
    assert_eq!(code, 0, "{out}");
    // A log rewritten from seq 5 on verifies as a chain, but not against the old head.
    raw(&url, "DELETE FROM audit_log WHERE seq = 5").await;
    let (code, out) = medic_audit(&url, &["verify", "--expect-head", &head]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rewritten or truncated"), "{out}");
}
