//! `medic policy explain ALERT.json`: each check with ✓/✗ and its reason, the verdict,
//! the store read when one exists (never created), JSON output, and the exit status
//! (0 allowed, 3 held or denied, 1 error).

use std::path::Path;
use std::process::{Command, Output};

const ALERT: &str = "tests/fixtures/alertmanager/kubepodcrashlooping-firing.json";

/// `medic --config CONFIG policy explain ARGS...` with a config whose store is in `data`.
fn explain(data: &Path, args: &[&str]) -> Output {
    let config = data.join("medic.yaml");
    std::fs::write(&config, format!("data_dir: {}\n", data.join("store").display())).unwrap();
    Command::new(env!("CARGO_BIN_EXE_medic"))
        .arg("--config")
        .arg(&config)
        .args(["policy", "explain"])
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn dry_run_allows_autonomous_holds_above_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let out = explain(dir.path(), &[ALERT]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("(no store read: history and recent activity are not checked)"),
        "{t}"
    );
    assert!(t.contains("✓ mode"), "{t}");
    assert!(t.contains("Verdict    allow (dry-run: planned, not executed)"), "{t}");
    assert!(!dir.path().join("store").exists(), "explain created a store");

    let out = explain(dir.path(), &[ALERT, "--mode", "autonomous"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains("✗ risk_ceiling            risk high of rollback_deployment is above the ceiling medium: it waits for approval"),
        "{t}"
    );
    assert!(t.contains("Verdict    hold for approval: risk high"), "{t}");
}

#[tokio::test]
async fn an_existing_store_is_read_and_json_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let store = medic::store::SqlStore::sqlite_in(&dir.path().join("store"))
        .await
        .unwrap();
    store.close().await;
    let out = explain(dir.path(), &[ALERT, "--mode", "autonomous", "--output", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &json[0];
    assert_eq!(first["verdict"]["kind"], "hold");
    assert_eq!(first["facts"]["activity"]["executed_last_hour"], 0);
    let reason = |name: &str| {
        first["verdict"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {name} check"))
    };
    assert_eq!(
        reason("rate_limit"),
        "0 actions started in the last hour, under the limit of 20 per hour"
    );
    let out = explain(dir.path(), &[ALERT, "--no-store", "--output", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json[0]["facts"].get("activity").is_none());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_unreadable_alert_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = explain(dir.path(), &["/nonexistent/alert.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("cannot read /nonexistent/alert.json"),
        "{}",
        text(&out)
    );
}
