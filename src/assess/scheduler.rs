//! The assessor: claims due assessments from the store, reads the signals, stores the
//! score; revises scores when the alert recurs; finalizes them when the window closes.
//!
//! The schedule lives in the store, so a restarted assessor picks up where the last one
//! stopped (an assessment claimed by a process that died is claimed again after a lease).
//! [`Assessor::tick`] does one round of work at the injected clock's time; [`Assessor::spawn`]
//! repeats it in the background. The assessor reads the cluster and Alertmanager and
//! writes only assessments; it never acts on anything.

use std::sync::Arc;

use futures::StreamExt;
use jiff::Timestamp;

use super::alertmanager::{AlertmanagerClient, AlertmanagerError};
use super::clock::Clock;
use super::config::AssessmentConfig;
use super::model::{AssessmentResult, AssessmentState, Components, DueAssessment, Signal};
use super::periodic::Periodic;
use super::score::combine;
use super::signals::{alert, health, recurrence};
use crate::cluster::Cluster;
use crate::store::{Store, StoreError};

/// Assessments claimed per round trip to the store.
const BATCH: i64 = 100;
/// Assessments scored at once (each reads the cluster, and maybe Alertmanager).
const CONCURRENCY: usize = 8;

/// What one [`Assessor::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Assessments scored.
    pub scored: usize,
    /// Scores revised after a recurrence.
    pub revised: usize,
    /// Provisional scores made final.
    pub finalized: u64,
}

/// Scores executed actions once they are due.
pub struct Assessor {
    store: Arc<dyn Store>,
    cluster: Arc<dyn Cluster>,
    alertmanager: Option<AlertmanagerClient>,
    config: AssessmentConfig,
    clock: Arc<dyn Clock>,
}

impl Assessor {
    /// An assessor on `store` reading `cluster` (and Alertmanager, when configured).
    /// Errors when the Alertmanager client cannot be built.
    pub fn new(
        store: Arc<dyn Store>,
        cluster: Arc<dyn Cluster>,
        config: AssessmentConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Assessor, AlertmanagerError> {
        let alertmanager = config
            .alertmanager_url
            .as_ref()
            .map(|url| AlertmanagerClient::new(url.as_str(), config.alertmanager_timeout.std()))
            .transpose()?;
        Ok(Assessor {
            store,
            cluster,
            alertmanager,
            config,
            clock,
        })
    }

    /// One round: scores everything due now, revises recurred scores, finalizes the
    /// provisional scores whose recurrence window has passed.
    pub async fn tick(&self) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        loop {
            let now = self.clock.now();
            let due = self.store.claim_due_assessments(now, BATCH).await?;
            let claimed = due.len();
            let scored: Vec<(DueAssessment, AssessmentResult)> = futures::stream::iter(due)
                .map(|d| async move {
                    let result = self.score(&d, now).await;
                    (d, result)
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let results: Vec<(i64, AssessmentResult)> = scored.iter().map(|(d, r)| (d.id, r.clone())).collect();
            let stored = self.store.save_assessments(&results).await?;
            for ((d, result), stored) in scored.iter().zip(stored) {
                if stored {
                    log_scored(d, result, "assessment scored");
                    report.scored += 1;
                } else {
                    tracing::warn!(incident = %d.incident_id, assessment = d.id, "assessment gone or taken over while scoring; score dropped");
                }
            }
            if (claimed as i64) < BATCH {
                break;
            }
        }
        loop {
            let recurred = self.store.recurred_assessments(BATCH).await?;
            let found = recurred.len();
            let before = report.revised;
            for d in recurred {
                let Some(result) = revise(&d, &self.config, self.clock.now()) else {
                    continue;
                };
                if self
                    .store
                    .revise_assessment(d.id, d.assessment.revisions, &result)
                    .await?
                {
                    log_scored(&d, &result, "assessment revised: the alert recurred");
                    report.revised += 1;
                }
            }
            if (found as i64) < BATCH || report.revised == before {
                break;
            }
        }
        report.finalized = self.store.finalize_assessments(self.clock.now()).await?;
        Ok(report)
    }

    /// Reads every signal of one assessment and combines them, as of `now`.
    pub async fn score(&self, due: &DueAssessment, now: Timestamp) -> AssessmentResult {
        let a = &due.assessment;
        let (health, mut evidence) = health::assess(self.cluster.as_ref(), a.subject.as_ref(), &a.baseline, now).await;
        let (alert, alert_evidence) = alert::assess(due, self.alertmanager.as_ref()).await;
        let (recurrence, recurrence_evidence, provisional) = recurrence::assess(due, now);
        evidence.extend(alert_evidence);
        evidence.extend(recurrence_evidence);
        let components = Components {
            health,
            alert,
            recurrence: Some(recurrence),
        };
        AssessmentResult {
            state: if provisional {
                AssessmentState::Provisional
            } else {
                AssessmentState::Final
            },
            score: combine(&components, &self.config.weights),
            components,
            evidence,
            scored_at: now,
        }
    }

    /// Runs [`Assessor::tick`] every `assessment.interval` in the background.
    pub fn spawn(self) -> Periodic {
        let every = self.config.interval.std();
        let me = Arc::new(self);
        Periodic::spawn("assessor", every, move || {
            let me = me.clone();
            async move { me.tick().await.map(drop) }
        })
    }
}

/// The revised result of a provisionally scored assessment whose alert recurred: the
/// recurrence signal becomes 0, the other signals keep the values read when scored.
/// `None` when there is no recurrence.
pub fn revise(due: &DueAssessment, config: &AssessmentConfig, now: Timestamp) -> Option<AssessmentResult> {
    due.recurrence.as_ref()?;
    let a = &due.assessment;
    let (recurrence, recurrence_evidence, _) = recurrence::assess(due, now);
    let mut components = a.components.unwrap_or_default();
    components.recurrence = Some(recurrence);
    let mut evidence: Vec<_> = a
        .evidence
        .iter()
        .filter(|e| e.signal != Signal::Recurrence)
        .cloned()
        .collect();
    evidence.extend(recurrence_evidence);
    Some(AssessmentResult {
        state: AssessmentState::Final,
        score: combine(&components, &config.weights),
        components,
        evidence,
        scored_at: now,
    })
}

/// One log line per stored score.
fn log_scored(d: &DueAssessment, result: &AssessmentResult, message: &'static str) {
    tracing::info!(
        incident = %d.incident_id,
        action = %d.action,
        alertname = %d.alertname,
        score = ?result.score,
        health = ?result.components.health,
        alert = ?result.components.alert,
        recurrence = ?result.components.recurrence,
        state = result.state.as_str(),
        "{message}"
    );
}
