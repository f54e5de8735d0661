//! The oscillation guard: flapping and repeated failure, found in the recent history of
//! a workload, reported to deciders in the context and to the policy stage as a check.
//!
//! - **Flapping**: a scaling action on one target reversed direction twice within the
//!   window (up, down, up). A proposal that would make the second reversal is refused
//!   too, before the flapping happens.
//! - **Repeated failure**: the last `repeats` attempts of one action on one target
//!   within the window all failed to execute or scored below `skip_below`.
//!
//! Pure functions of history entries and a given `now`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::facts::HistoryFacts;
use super::model::{HistoryEntry, PastDecision};
use crate::context::Context;
use crate::decide::Decision;
use crate::execute::OutcomeStatus;
use crate::policy::Check;

/// What kind of oscillation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OscillationKind {
    /// Scaled up and down and up (or the reverse) within the window.
    Flapping,
    /// The same action on the same target failed or scored low several times in a row.
    RepeatedFailure,
}

/// One oscillation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Oscillation {
    /// Flapping or repeated failure.
    pub kind: OscillationKind,
    /// The action's catalog name.
    pub action: String,
    /// The target, as text (`deployment/shop/api`).
    pub target: String,
    /// The attempts involved.
    pub attempts: usize,
    /// What happened, in words.
    pub detail: String,
}

/// Which way a scaling action went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More replicas.
    Up,
    /// Fewer replicas.
    Down,
}

/// One executed scaling action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleMove {
    /// When it was decided.
    pub at: Timestamp,
    /// The action (`scale_deployment`, `scale_statefulset`).
    pub action: String,
    /// The target, as text.
    pub target: String,
    /// Up or down.
    pub direction: Direction,
    /// Replicas before, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// Replicas asked for, when given as a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
}

impl ScaleMove {
    fn describe(&self) -> String {
        let way = match self.direction {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        match (self.from, self.to) {
            (Some(f), Some(t)) => format!("{way} {f}→{t}"),
            _ => way.to_string(),
        }
    }
}

/// The direction of a scaling action from its parameters (`replicas` against the count
/// before, or the sign of `delta`); `None` for other actions or no change.
pub fn direction(params: &serde_json::Value, before: Option<i64>) -> Option<Direction> {
    let change = match (params.get("replicas").and_then(|v| v.as_i64()), before) {
        (Some(to), Some(from)) => to - from,
        _ => params.get("delta").and_then(|v| v.as_i64())?,
    };
    match change {
        c if c > 0 => Some(Direction::Up),
        c if c < 0 => Some(Direction::Down),
        _ => None,
    }
}

/// The executed scaling actions of `entries` within `window` seconds before `now`,
/// oldest first.
pub fn scale_moves(entries: &[HistoryEntry], now: Timestamp, window_secs: i64) -> Vec<ScaleMove> {
    let mut moves: Vec<ScaleMove> = recent_decisions(entries, now, window_secs)
        .filter(|d| d.outcome.status == OutcomeStatus::Executed)
        .filter_map(|d| {
            Some(ScaleMove {
                at: d.decided_at,
                action: d.action.clone(),
                target: d.target.clone()?,
                direction: direction(&d.params, d.replicas_before)?,
                from: d.replicas_before,
                to: d.params.get("replicas").and_then(|v| v.as_i64()),
            })
        })
        .collect();
    moves.sort_by_key(|m| m.at);
    moves
}

/// Every oscillation in `entries` (any order) within `window_secs` before `now`.
pub fn detect(
    entries: &[HistoryEntry],
    now: Timestamp,
    window_secs: i64,
    repeats: usize,
    skip_below: f64,
) -> Vec<Oscillation> {
    let mut found = flapping(&scale_moves(entries, now, window_secs), window_secs);
    let mut attempts: Vec<&PastDecision> = recent_decisions(entries, now, window_secs)
        .filter(|d| d.attempted())
        .collect();
    attempts.sort_by_key(|d| d.decided_at);
    let mut keys: Vec<(&str, &str)> = attempts
        .iter()
        .filter_map(|d| Some((d.action.as_str(), d.target.as_deref()?)))
        .collect();
    keys.sort();
    keys.dedup();
    for (action, target) in keys {
        let same: Vec<&&PastDecision> = attempts
            .iter()
            .filter(|d| d.action == action && d.target.as_deref() == Some(target))
            .collect();
        let last = &same[same.len().saturating_sub(repeats)..];
        if repeats == 0 || last.len() < repeats || !last.iter().all(|d| bad(d, skip_below)) {
            continue;
        }
        let what: Vec<String> = last
            .iter()
            .map(|d| match (d.outcome.status, d.score()) {
                (OutcomeStatus::Failed, _) => "failed".to_string(),
                (_, Some(s)) => format!("scored {s:.2}"),
                _ => "unscored".to_string(),
            })
            .collect();
        found.push(Oscillation {
            kind: OscillationKind::RepeatedFailure,
            action: action.to_string(),
            target: target.to_string(),
            attempts: last.len(),
            detail: format!(
                "{action} on {target} failed or scored below {skip_below:.2} {} times in a row within {}: {}",
                last.len(),
                window_text(window_secs),
                what.join(", ")
            ),
        });
    }
    found
}

/// The policy stage's `oscillation` check for a proposed decision: failing when the
/// action on its target is flapping or failing repeatedly, or when the proposal would
/// reverse a scaling direction for the second time; passing otherwise. `None` when no
/// history is known or the action changes nothing.
pub fn policy_check(history: Option<&HistoryFacts>, decision: &Decision, context: &Context) -> Option<Check> {
    let history = history?;
    if !decision.action.kind().mutates() {
        return None;
    }
    let action = decision.action_name();
    let target = decision
        .target
        .as_ref()
        .or(context.target.as_ref())
        .map(ToString::to_string)
        .unwrap_or_default();
    let refuse = |reason: String| {
        Some(Check {
            name: "oscillation".into(),
            passed: false,
            reason,
        })
    };
    let params = decision.action.params_json();
    let scaling = params.get("replicas").is_some() || params.get("delta").is_some();
    for o in &history.oscillations {
        let applies = o.target == target && (o.action == action || (o.kind == OscillationKind::Flapping && scaling));
        if applies {
            return refuse(format!("{}; not trying again automatically", o.detail));
        }
    }
    let before = context.workload.as_ref().and_then(|w| w.replicas).map(i64::from);
    if let Some(next) = direction(&params, before) {
        let moves: Vec<&ScaleMove> = history.scale_moves.iter().filter(|m| m.target == target).collect();
        let reversals = moves.windows(2).filter(|w| w[0].direction != w[1].direction).count();
        if let Some(last) = moves.last()
            && last.direction != next
            && reversals >= 1
        {
            let path: Vec<String> = moves.iter().map(|m| m.describe()).collect();
            return refuse(format!(
                "{action} on {target} would reverse direction again after {}: flapping",
                path.join(", ")
            ));
        }
    }
    Some(Check {
        name: "oscillation".into(),
        passed: true,
        reason: format!("no flapping or repeated failure of {action} on {target} in the recent history"),
    })
}

/// Flapping per target: two reversals of direction.
fn flapping(moves: &[ScaleMove], window_secs: i64) -> Vec<Oscillation> {
    let mut targets: Vec<&str> = moves.iter().map(|m| m.target.as_str()).collect();
    targets.sort();
    targets.dedup();
    let mut found = Vec::new();
    for target in targets {
        let mine: Vec<&ScaleMove> = moves.iter().filter(|m| m.target == target).collect();
        let reversals = mine.windows(2).filter(|w| w[0].direction != w[1].direction).count();
        if reversals >= 2 {
            let path: Vec<String> = mine.iter().map(|m| m.describe()).collect();
            found.push(Oscillation {
                kind: OscillationKind::Flapping,
                action: mine[mine.len() - 1].action.clone(),
                target: target.to_string(),
                attempts: mine.len(),
                detail: format!(
                    "{target} was scaled {} within {}: flapping",
                    path.join(", "),
                    window_text(window_secs)
                ),
            });
        }
    }
    found
}

fn recent_decisions(entries: &[HistoryEntry], now: Timestamp, window_secs: i64) -> impl Iterator<Item = &PastDecision> {
    let since = now.as_second().saturating_sub(window_secs);
    entries
        .iter()
        .filter_map(|e| e.decision.as_ref())
        .filter(move |d| d.decided_at.as_second() >= since && d.decided_at <= now)
}

fn bad(d: &PastDecision, skip_below: f64) -> bool {
    d.outcome.status == OutcomeStatus::Failed || d.score().is_some_and(|s| s < skip_below)
}

fn window_text(secs: i64) -> String {
    crate::decide::rules::matcher::format_duration(secs)
}
