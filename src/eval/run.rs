//! Running one scenario with one decider: load its objects into a fresh simulated
//! cluster with the fault injected and its clock at the scenario's epoch, run the
//! pipeline on its alert in execute mode as of that instant (the simulated cluster is the
//! only thing ever acted on), let simulated time pass the action's stabilization window,
//! and judge the fault.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

use super::decider::DeciderFactory;
use super::load::{ValidScenario, epoch};
use super::record::RunRecord;
use super::sandbox::{Sandbox, Silent};
use crate::cluster::Cluster;
use crate::cluster::sim::SimCluster;
use crate::config::Config;
use crate::decide::llm::LlmConfig;
use crate::execute::{self, Executor, Notifier};
use crate::incident::Incident;
use crate::incident::alertmanager::{Alert, WebhookBody};
use crate::memory::MemoryConfig;
use crate::pipeline::Pipeline;
use crate::policy::{Mode, Verdict, VerdictKind};
use crate::web::metrics::Metrics;

/// Simulated time allowed past the stabilization window before the fault is judged.
const GRACE: SignedDuration = SignedDuration::from_secs(60);

/// Runs scenarios against the simulated cluster.
pub struct Harness {
    config: Config,
    metrics: Arc<Metrics>,
    notifier: Arc<dyn Notifier>,
    /// Pipelines built from the config, reused run after run (each run swaps in its own
    /// cluster, executor and decider): building one loads the rules and an HTTP client.
    idle: Mutex<Vec<Pipeline>>,
}

impl Harness {
    /// A harness on `config`'s policy (in execute mode), bounds, action settings, context
    /// limits and stabilization windows. Nothing it runs reaches a real cluster or sends
    /// a notification.
    pub fn new(config: &Config) -> Harness {
        let mut config = config.clone();
        config.policy.mode = Mode::Autonomous;
        // The pipeline's own cluster, model and memory are replaced for every run.
        config.cluster = crate::config::ClusterConfig::Sim {
            fixture: None,
            journal: None,
        };
        config.llm = LlmConfig::default();
        config.memory = MemoryConfig::default();
        Harness {
            config,
            metrics: Arc::new(Metrics::new()),
            notifier: Arc::new(Silent),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A pipeline for one run, built when none is idle.
    async fn pipeline(&self) -> anyhow::Result<Pipeline> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(p) => Ok(p),
            None => crate::app::pipeline(&self.config, self.metrics.clone()).await,
        }
    }

    /// Runs `scenario` once with the decider `factory` builds.
    pub async fn run(&self, scenario: &ValidScenario, factory: &DeciderFactory, repetition: u32) -> RunRecord {
        let label = factory.label().to_string();
        let failed = |e: String| RunRecord::failed(scenario, &label, repetition, e);
        // The simulated clock stands at the scenario's epoch, so a run reads the same
        // objects, names and timestamps every time (recorded model answers replay).
        let t0 = epoch();
        let faults: Vec<_> = scenario.scenario.cluster.fault.iter().cloned().collect();
        let sim = match SimCluster::with_faults(&scenario.fixture, t0, &faults) {
            Ok(s) => Arc::new(s.with_source(scenario.file.display().to_string())),
            Err(e) => return failed(format!("loading the scenario: {e}")),
        };
        let cluster: Arc<dyn Cluster> = Arc::new(Sandbox(sim.clone()));
        let decider = match factory.build(cluster.clone(), &self.config.policy) {
            Ok(d) => d,
            Err(e) => return failed(e.to_string()),
        };
        let mut pipeline = match self.pipeline().await {
            Ok(p) => p,
            Err(e) => return failed(format!("building the pipeline: {e:#}")),
        };
        pipeline.cluster = cluster.clone();
        pipeline.executor = Arc::new(Executor::new(
            cluster,
            self.notifier.clone(),
            self.config.actions.clone(),
            self.metrics.clone(),
        ));
        pipeline.decider = decider;
        pipeline.memory = None;

        let incident = incident(scenario, t0);
        let started = Instant::now();
        let evaluation = pipeline.evaluate_at(&incident, None, t0).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut record = RunRecord::of(scenario, &label, repetition, &evaluation, latency_ms);

        // A held action is approved, as the human on call would, so that its effect is scored.
        if evaluation.verdict.kind == VerdictKind::Hold
            && let Some(plan) = evaluation.outcome.plan.clone()
        {
            let approved = Verdict {
                kind: VerdictKind::Allow,
                dry_run: false,
                checks: evaluation.verdict.checks.clone(),
            };
            let outcome = execute::execute(&pipeline.executor, &incident, &approved, plan).await;
            record.approved = true;
            record.outcome = Some(outcome.status.as_str().to_string());
            if outcome.status == execute::OutcomeStatus::Failed {
                record.errors.extend(outcome.error);
            }
        }

        let action = evaluation.decision.action.kind().name();
        let window = self.config.assessment.stabilization.of(action).duration();
        sim.set_now(t0 + window + GRACE);
        if let Some(report) = sim.fault_reports().into_iter().next() {
            record.resolved = report.resolved;
            record.findings = report.findings;
        }
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(pipeline);
        record
    }
}

/// The scenario's alert as an incident that started at `t0`.
fn incident(scenario: &ValidScenario, t0: Timestamp) -> Incident {
    let a = &scenario.scenario.alert;
    let alert = Alert {
        status: a.status,
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        starts_at: Some(t0),
        ends_at: None,
        generator_url: String::new(),
        fingerprint: String::new(),
    };
    let body = WebhookBody {
        version: "4".into(),
        group_key: String::new(),
        truncated_alerts: 0,
        status: a.status,
        receiver: "medic-eval".into(),
        group_labels: Default::default(),
        common_labels: a.labels.clone(),
        common_annotations: a.annotations.clone(),
        external_url: String::new(),
        alerts: vec![alert.clone()],
    };
    alert.to_incident(&body, t0)
}
