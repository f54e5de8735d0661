//! What deciders learn from the history: [`HistoryFacts`], the `history` section of the
//! context.
//!
//! For the incident's alertname on its workload (or target): the statistics per action,
//! the last outcomes, the actions judged ineffective (mean score below
//! `assessment.skip_below` after `assessment.min_attempts` scored attempts), and the
//! oscillations of the workload's recent history. Pure: assembled from query results,
//! thresholds and a given `now`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::model::{ActionStats, HistoryEntry};
use super::oscillation::{self, Oscillation, ScaleMove};
use crate::assess::{AssessmentConfig, AssessmentState};
use crate::execute::OutcomeStatus;

/// The history of the same trouble, as given to deciders.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryFacts {
    /// The alertname the statistics are about.
    pub alertname: String,
    /// The workload (or target) whose history this is, as `namespace/name`.
    pub subject: String,
    /// Per action: attempts, successes, mean score, last outcome, for this alertname here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stats: Vec<ActionStats>,
    /// The latest decisions for this alertname here, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<RecentOutcome>,
    /// Actions that did not work here before; the rules decider skips them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ineffective: Vec<Ineffective>,
    /// Flapping and repeated failures in the recent history of this workload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oscillations: Vec<Oscillation>,
    /// Executed scaling actions on this workload within the oscillation window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scale_moves: Vec<ScaleMove>,
}

/// One past decision, briefly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentOutcome {
    /// The incident.
    pub incident_id: String,
    /// When it was decided.
    pub at: Timestamp,
    /// The action.
    pub action: String,
    /// What execution did.
    pub outcome: OutcomeStatus,
    /// Its score, once assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Where its assessment is, for executed actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<AssessmentState>,
}

/// An action judged ineffective for this alertname here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ineffective {
    /// The action.
    pub action: String,
    /// Scored attempts.
    pub assessed: i64,
    /// Their mean score.
    pub mean_score: f64,
    /// Why it is judged ineffective, in words.
    pub reason: String,
}

impl HistoryFacts {
    /// Why `action` should not be proposed again here, if it should not.
    pub fn skip_reason(&self, action: &str) -> Option<String> {
        self.ineffective
            .iter()
            .find(|i| i.action == action)
            .map(|i| i.reason.clone())
    }
}

/// Assembles the facts for `alertname` on `subject` from its statistics and the recent
/// history of the subject (every alertname, newest first), as of `now`.
pub fn facts(
    alertname: &str,
    subject: &str,
    stats: Vec<ActionStats>,
    entries: &[HistoryEntry],
    config: &AssessmentConfig,
    now: Timestamp,
) -> HistoryFacts {
    let skip_below = config.skip_below.get();
    let min_attempts = i64::from(config.min_attempts.get());
    let stats: Vec<ActionStats> = stats.into_iter().filter(|s| s.alertname == alertname).collect();
    let ineffective = stats
        .iter()
        .filter(|s| s.assessed >= min_attempts)
        .filter_map(|s| {
            let mean = s.mean_score?;
            (mean < skip_below).then(|| Ineffective {
                action: s.action.clone(),
                assessed: s.assessed,
                mean_score: mean,
                reason: format!(
                    "its mean effectiveness for {alertname} on {subject} is {mean:.2} over {} scored attempts, \
                     below assessment.skip_below {skip_below:.2}",
                    s.assessed
                ),
            })
        })
        .collect();
    let recent = entries
        .iter()
        .filter(|e| e.alertname == alertname)
        .filter_map(|e| {
            let d = e.decision.as_ref()?;
            Some(RecentOutcome {
                incident_id: e.incident_id.clone(),
                at: d.decided_at,
                action: d.action.clone(),
                outcome: d.outcome.status,
                score: d.score(),
                assessment: d.assessment.as_ref().map(|a| a.state),
            })
        })
        .take(config.recent_outcomes)
        .collect();
    let window = config.oscillation_window.as_secs();
    let repeats = config.oscillation_repeats.get() as usize;
    HistoryFacts {
        alertname: alertname.to_string(),
        subject: subject.to_string(),
        stats,
        recent,
        ineffective,
        oscillations: oscillation::detect(entries, now, window, repeats, skip_below),
        scale_moves: oscillation::scale_moves(entries, now, window),
    }
}
