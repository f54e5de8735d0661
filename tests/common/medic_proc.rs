//! Running the real `medic` binary against a scratch PostgreSQL database and a generated
//! simulated cluster with a journal: start it, `kill -9` it, wait for readiness, send
//! Alertmanager webhooks the way Alertmanager does (retrying until acknowledged), and
//! read what happened from the database and the journal.
//!
//! The database is created per test with `create_scratch_postgres` on the server named by
//! `MEDIC_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/`) and dropped
//! when the [`ScratchDb`] is dropped.
//!
//! The targets are CronJobs and the action `suspend_cronjob` (idempotent: a suspended
//! CronJob is not suspended again), one CronJob per alert, so that the journal shows an
//! action executed twice as a target changed twice. Deployments and `scale_deployment`
//! would be the natural choice, but the simulator runs every controller over every
//! Deployment after each write: measured in a debug build (on a busy 2-core machine), one
//! scale costs 117 ms with 50 Deployments, 520 ms with 100 and 1.5 s with 200 (quadratic
//! overall), so 1,000 of them would take hours. A write to one of 1,000 CronJobs costs
//! 0.6 ms (no controller runs over CronJobs) and loading them 0.2 s.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use medic::cluster::Operation;
use medic::store::sql::{create_scratch_postgres, drop_scratch_postgres};
use serde_json::{Value, json};
use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

/// The alert every test sends, one per CronJob.
pub const ALERTNAME: &str = "MedicLoadTest";

/// States in which an incident still has work to do.
pub const PENDING: [&str; 4] = ["received", "deciding", "approved", "executing"];

/// Whether a stored state is final (no more work for medic without a human).
pub fn is_final(state: &str) -> bool {
    !PENDING.contains(&state)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL database created for one test, dropped (forcibly) at the end.
pub struct ScratchDb {
    server: String,
    /// The database's name (`medic_scratch_<hex>`).
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl ScratchDb {
    /// Creates a fresh database on the test server.
    pub async fn create() -> ScratchDb {
        let server = std::env::var("MEDIC_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".to_string());
        let (url, name) = create_scratch_postgres(&server)
            .await
            .unwrap_or_else(|e| panic!("cannot create a scratch database on {server}: {e}"));
        ScratchDb { server, name, url }
    }

    /// The database's URL with its host and port replaced (to reach it through a proxy).
    pub fn url_through(&self, port: u16) -> String {
        let mut url = reqwest::Url::parse(&self.url).expect("scratch URL");
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(port)).unwrap();
        url.to_string()
    }

    /// A direct connection for the test's own queries.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.name))
    }

    /// The number of incidents in each state.
    pub async fn states(&self) -> BTreeMap<String, i64> {
        let mut conn = self.connect().await;
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT state, count(*) FROM incidents GROUP BY state")
            .fetch_all(&mut conn)
            .await
            .expect("count incidents by state");
        conn.close().await.ok();
        rows.into_iter().collect()
    }

    /// Waits until `expected` incidents are stored and every one is in a final state;
    /// returns the count per state (panics with the last counts after `timeout`).
    pub async fn wait_all_final(&self, expected: usize, timeout: Duration) -> BTreeMap<String, i64> {
        wait_for("every incident in a final state", timeout, || async move {
            let states = self.states().await;
            let (total, done) = summary(&states);
            if total == expected as i64 && done == total {
                Ok(states)
            } else {
                Err(format!("{states:?}"))
            }
        })
        .await
    }

    /// Every incident: id, fingerprint, state, namespace, target name.
    pub async fn incidents(&self) -> Vec<IncidentRow> {
        let mut conn = self.connect().await;
        type Row = (String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> =
            sqlx::query_as("SELECT id, fingerprint, state, namespace, target_name FROM incidents ORDER BY id")
                .fetch_all(&mut conn)
                .await
                .expect("list incidents");
        conn.close().await.ok();
        rows.into_iter()
            .map(|(id, fingerprint, state, namespace, target)| IncidentRow {
                id,
                fingerprint,
                state,
                namespace: namespace.unwrap_or_default(),
                target: target.unwrap_or_default(),
            })
            .collect()
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Best effort, on a thread of its own: drop may run inside the test's runtime.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(drop_scratch_postgres(&server, &name)).ok()
        });
        let _ = dropper.join();
    }
}

/// One stored incident, as the tests read it.
#[derive(Debug, Clone)]
pub struct IncidentRow {
    /// Its id.
    pub id: String,
    /// The alert's fingerprint.
    pub fingerprint: String,
    /// Its processing state.
    pub state: String,
    /// The target's namespace.
    pub namespace: String,
    /// The target's name.
    pub target: String,
}

/// From incidents counted by state: how many there are, and how many are final.
pub fn summary(states: &BTreeMap<String, i64>) -> (i64, i64) {
    let total = states.values().sum();
    let done = states.iter().filter(|(s, _)| is_final(s)).map(|(_, n)| n).sum();
    (total, done)
}

/// The CronJob alert `i` is about: `(namespace, name)`, in ten namespaces.
pub fn target(i: usize) -> (String, String) {
    (format!("load-{}", i % 10), format!("job-{i:04}"))
}

/// A simulated cluster: one node, ten namespaces and `n` CronJobs (not suspended).
pub fn cronjobs_fixture(n: usize) -> String {
    let mut out = String::from(
        "apiVersion: v1\nkind: Node\nmetadata: {name: node-1, labels: {kubernetes.io/hostname: node-1}}\n\
         status:\n  allocatable: {cpu: \"64\", memory: 256Gi}\n  conditions: [{type: Ready, status: \"True\"}]\n",
    );
    for ns in 0..10 {
        write!(
            out,
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: load-{ns}}}\n"
        )
        .unwrap();
    }
    for i in 0..n {
        let (ns, name) = target(i);
        write!(
            out,
            "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  \
             schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          \
             restartPolicy: OnFailure\n          containers: [{{name: job, image: \"registry.example/job:1.0\"}}]\n"
        )
        .unwrap();
    }
    out
}

/// Alert `i` (firing since `starts_at`) about CronJob `target(i)`, with a fingerprint of
/// its own.
pub fn alert(i: usize, starts_at: Timestamp) -> Value {
    let (ns, name) = target(i);
    json!({
        "status": "firing",
        "labels": {
            "alertname": ALERTNAME, "namespace": ns, "cronjob": name,
            "severity": "warning", "job": "kube-state-metrics"
        },
        "annotations": {"summary": format!("CronJob {ns}/{name} keeps failing")},
        "startsAt": starts_at.to_string(),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.test/graph",
        "fingerprint": format!("{:016x}", 0xa1e7_0000_0000_u64 + i as u64),
    })
}

/// An Alertmanager webhook notification (payload version 4) carrying `alerts`.
pub fn webhook(alerts: &[Value]) -> Value {
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{ALERTNAME}\"}}"),
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "medic",
        "groupLabels": {"alertname": ALERTNAME},
        "commonLabels": {"alertname": ALERTNAME, "severity": "warning"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.test",
        "alerts": alerts,
    })
}

/// What varies between the tests' configs.
pub struct ConfigSpec<'a> {
    /// The fixture file.
    pub fixture: &'a Path,
    /// The simulated cluster's journal.
    pub journal: &'a Path,
    /// medic's `database_url`.
    pub database_url: &'a str,
    /// The `data_dir` (unused with PostgreSQL, but kept apart per process).
    pub data_dir: &'a Path,
    /// `workers`: incidents decided at once.
    pub workers: usize,
}

/// A config that acts on every test alert: the test's rule suspends the alert's CronJob
/// (idempotent), autonomous up to high risk, with no cooldown and rate limits out of the
/// way, and a short processing lease.
pub fn config_yaml(spec: &ConfigSpec) -> String {
    format!(
        r#"listen: 127.0.0.1:0
data_dir: {data_dir}
database_url: {database_url}
cluster:
  kind: sim
  fixture: {fixture}
  journal: {journal}
workers: {workers}
builtin_rules: false
rules:
  - name: load-test-suspend
    description: The load tests' alert suspends its CronJob.
    match:
      alertname: {ALERTNAME}
    action: suspend_cronjob
    target: alert
    confidence: 0.9
    rationale: "{{{{ labels.cronjob }}}} fails on every run; suspend it"
policy:
  mode: autonomous
  risk_ceiling: high
  cooldowns: {{action_target: 0s, fingerprint: 0s}}
  rate_limits: {{per_hour: 1000000, per_namespace_per_hour: 1000000}}
  max_concurrent: 64
processing:
  lease: 3s
"#,
        data_dir = spec.data_dir.display(),
        database_url = spec.database_url,
        fixture = spec.fixture.display(),
        journal = spec.journal.display(),
        workers = spec.workers,
    )
}

/// A running `medic serve`, killed (SIGKILL) when dropped.
pub struct Medic {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    log: PathBuf,
}

impl Medic {
    /// Starts `medic --config CONFIG serve --listen 127.0.0.1:PORT`, its output appended
    /// to `log`.
    pub fn start(config: &Path, port: u16, log: &Path) -> Medic {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the medic log");
        let err = out.try_clone().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_medic"))
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "info,sqlx=warn")
            .env_remove("MEDIC_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("start medic");
        Medic {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            port,
            log: log.to_path_buf(),
        }
    }

    /// Waits until `/readyz` answers 200; panics with the log's tail if the process
    /// exits or the wait times out.
    pub async fn wait_ready(&mut self, client: &reqwest::Client, timeout: Duration) {
        let start = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("medic exited ({status}) before it was ready:\n{}", self.log_tail(60));
            }
            if let Ok(r) = client.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "medic not ready after {timeout:?}:\n{}",
                self.log_tail(60)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `kill -9`: SIGKILL, then reap.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL medic");
            child.wait().expect("reap medic");
        }
    }

    /// The last `lines` lines of the process's log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

impl Drop for Medic {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The last `lines` lines of a log file.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// How a webhook delivery was answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The `Retry-After` header, when present.
    pub retry_after: Option<String>,
}

/// Posts one webhook notification.
pub async fn post_webhook(client: &reqwest::Client, url: &str, body: &Value) -> Result<Answer, reqwest::Error> {
    let resp = client
        .post(format!("{url}/api/v1/alerts"))
        .json(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await?;
    Ok(Answer {
        status: resp.status().as_u16(),
        retry_after: resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(String::from),
    })
}

/// Delivers one notification like Alertmanager: retries on connection errors and 5xx
/// until it is answered 2xx (which is returned) or `deadline` passes (panics). A 4xx is
/// a test bug (panics).
pub async fn deliver(client: &reqwest::Client, url: &str, body: &Value, deadline: Instant) -> u32 {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match post_webhook(client, url, body).await {
            Ok(a) if (200..300).contains(&a.status) => return attempts,
            Ok(a) if a.status >= 500 => {}
            Ok(a) => panic!("the webhook refused a valid notification: {}", a.status),
            Err(_) => {}
        }
        assert!(
            Instant::now() < deadline,
            "a notification was never acknowledged ({attempts} attempts)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `f` answers `Some`, polling every 250 ms; panics after `timeout` with
/// what `describe` says.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        let last = match f().await {
            Ok(v) => return v,
            Err(state) => state,
        };
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}; last seen: {last}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What the journal says was applied: for each target `(namespace, name)`, how many
/// writes it received (the Events medic records about its actions apart).
pub struct JournalCounts {
    /// Writes per target, Events excluded.
    pub changed: BTreeMap<(String, String), usize>,
    /// Events created (one per action executed).
    pub events: usize,
    /// Entries per process id.
    pub by_pid: BTreeMap<u32, usize>,
    /// Lines that did not parse.
    pub unreadable: usize,
}

impl JournalCounts {
    /// Reads the journal file.
    pub fn read(path: &Path) -> JournalCounts {
        let contents = medic::cluster::sim::journal::read(path).expect("read the journal");
        let mut counts = JournalCounts {
            changed: BTreeMap::new(),
            events: 0,
            by_pid: BTreeMap::new(),
            unreadable: contents.unreadable.len(),
        };
        for (_, entry) in contents.entries {
            *counts.by_pid.entry(entry.pid).or_default() += 1;
            let target = match entry.op {
                Operation::Create { object } if object.kind().kind == "Event" => {
                    counts.events += 1;
                    continue;
                }
                Operation::Patch { target, .. } | Operation::Delete { target, .. } => {
                    (target.namespace.unwrap_or_default(), target.name)
                }
                Operation::Create { object } => (
                    object.namespace().unwrap_or_default().to_string(),
                    object.name().to_string(),
                ),
                Operation::Evict { namespace, pod, .. } => (namespace, pod),
                other => (String::new(), other.describe()),
            };
            *counts.changed.entry(target).or_default() += 1;
        }
        counts
    }

    /// Targets changed more than once, with their counts.
    pub fn twice(&self) -> Vec<(&(String, String), &usize)> {
        self.changed.iter().filter(|(_, n)| **n > 1).collect()
    }
}

/// Checks the end state every test expects: `expected` distinct incidents stored, all
/// final; no target changed twice; every executed incident's target changed exactly
/// once; every target changed belongs to an incident stored as `executed` (or
/// `interrupted`, for a human to check), so that the store tells what was done. Returns the incidents by state (for the test's report) and the failures found.
pub async fn check_end_state(db: &ScratchDb, journal: &Path, expected: usize) -> (BTreeMap<String, i64>, Vec<String>) {
    let rows = db.incidents().await;
    let journal = JournalCounts::read(journal);
    let mut states: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        *states.entry(r.state.clone()).or_default() += 1;
    }
    let mut problems = Vec::new();
    if rows.len() != expected {
        problems.push(format!("{} incidents stored, expected {expected}", rows.len()));
    }
    let mut fingerprints: Vec<&str> = rows.iter().map(|r| r.fingerprint.as_str()).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    if fingerprints.len() != rows.len() {
        problems.push(format!(
            "{} incidents for {} distinct alerts: an alert stored twice",
            rows.len(),
            fingerprints.len()
        ));
    }
    let unfinished: Vec<&IncidentRow> = rows.iter().filter(|r| !is_final(&r.state)).collect();
    if !unfinished.is_empty() {
        problems.push(format!(
            "{} incidents not in a final state, e.g. {:?}",
            unfinished.len(),
            unfinished.iter().take(3).collect::<Vec<_>>()
        ));
    }
    let twice = journal.twice();
    if !twice.is_empty() {
        problems.push(format!(
            "{} targets changed more than once (an action executed twice), e.g. {:?}",
            twice.len(),
            twice.iter().take(5).collect::<Vec<_>>()
        ));
    }
    let executed_not_once: Vec<&IncidentRow> = rows
        .iter()
        .filter(|r| r.state == "executed")
        .filter(|r| journal.changed.get(&(r.namespace.clone(), r.target.clone())) != Some(&1))
        .collect();
    if !executed_not_once.is_empty() {
        problems.push(format!(
            "{} executed incidents whose target is not changed exactly once in the journal, e.g. {:?}",
            executed_not_once.len(),
            executed_not_once.iter().take(3).collect::<Vec<_>>()
        ));
    }
    let state_of: BTreeMap<(String, String), &str> = rows
        .iter()
        .map(|r| ((r.namespace.clone(), r.target.clone()), r.state.as_str()))
        .collect();
    let misreported: Vec<(&(String, String), Option<&&str>)> = journal
        .changed
        .keys()
        .map(|t| (t, state_of.get(t)))
        .filter(|(_, state)| !matches!(state.copied(), Some("executed" | "interrupted")))
        .collect();
    if !misreported.is_empty() {
        problems.push(format!(
            "{} targets changed in the cluster whose incident is neither `executed` nor `interrupted` \
             (the store does not tell what was done), e.g. {:?}",
            misreported.len(),
            misreported.iter().take(5).collect::<Vec<_>>()
        ));
    }
    if journal.unreadable > 1 {
        problems.push(format!(
            "{} unreadable journal lines (at most one torn line per kill is expected)",
            journal.unreadable
        ));
    }
    (states, problems)
}
