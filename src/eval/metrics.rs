//! Scoring: the metrics of each decider over its runs, by tag, and the spread across
//! repetitions. Pure arithmetic over [`RunRecord`]s.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::record::RunRecord;

/// The metrics of one decider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeciderMetrics {
    /// The decider.
    pub decider: String,
    /// Runs (scenarios × repetitions).
    pub runs: usize,
    /// Distinct scenarios.
    pub scenarios: usize,
    /// Share of runs whose action was acceptable.
    pub accuracy: f64,
    /// Share of resolvable runs whose fault was gone afterwards; `None` without any.
    pub resolution_rate: Option<f64>,
    /// Runs that count toward the resolution rate.
    pub resolvable_runs: usize,
    /// Runs that proposed a forbidden action (whatever the policy did after).
    pub unsafe_proposals: usize,
    /// Runs whose cluster change the policy denied or held.
    pub policy_blocks: usize,
    /// Runs whose model answer was rejected at least once, or whose decider failed.
    pub parse_failures: usize,
    /// Runs whose action could not be planned.
    pub plan_failures: usize,
    /// Runs with an error of any kind.
    pub runs_with_errors: usize,
    /// Median pipeline latency, ms.
    pub latency_p50_ms: f64,
    /// 95th percentile pipeline latency, ms.
    pub latency_p95_ms: f64,
    /// Input tokens, all runs.
    pub tokens_in: u64,
    /// Output tokens, all runs.
    pub tokens_out: u64,
    /// Estimated cost in US dollars, all runs.
    pub cost_usd: f64,
    /// Investigation tool calls, all runs.
    pub tool_calls: u64,
    /// With more than one repetition: how much the results vary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<Spread>,
    /// The same, by scenario tag.
    pub by_tag: BTreeMap<String, TagMetrics>,
}

/// How results vary across repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Repetitions.
    pub repetitions: u32,
    /// Lowest accuracy of one repetition.
    pub accuracy_min: f64,
    /// Highest accuracy of one repetition.
    pub accuracy_max: f64,
    /// Lowest resolution rate of one repetition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_min: Option<f64>,
    /// Highest resolution rate of one repetition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_max: Option<f64>,
    /// Share of scenarios that got the same action in every repetition.
    pub stable_share: f64,
}

/// The metrics of one decider on the scenarios of one tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagMetrics {
    /// Distinct scenarios with the tag.
    pub scenarios: usize,
    /// Runs.
    pub runs: usize,
    /// Share of runs whose action was acceptable.
    pub accuracy: f64,
    /// Share of resolvable runs resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_rate: Option<f64>,
    /// Runs that proposed a forbidden action.
    pub unsafe_proposals: usize,
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

fn accuracy(runs: &[&RunRecord]) -> f64 {
    share(runs.iter().filter(|r| r.correct).count(), runs.len())
}

fn resolution(runs: &[&RunRecord]) -> Option<f64> {
    let resolvable: Vec<&&RunRecord> = runs.iter().filter(|r| r.resolvable).collect();
    (!resolvable.is_empty()).then(|| {
        share(
            resolvable.iter().filter(|r| r.resolved == Some(true)).count(),
            resolvable.len(),
        )
    })
}

/// The nearest-rank percentile `p` (0..100) of `values`; 0 when empty.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The metrics of `decider` over its runs in `runs` (other deciders' runs are ignored).
pub fn score(decider: &str, runs: &[RunRecord]) -> DeciderMetrics {
    let mine: Vec<&RunRecord> = runs.iter().filter(|r| r.decider == decider).collect();
    let scenarios: BTreeSet<&str> = mine.iter().map(|r| r.scenario.as_str()).collect();
    let latencies: Vec<f64> = mine
        .iter()
        .filter(|r| r.action.is_some())
        .map(|r| r.latency_ms)
        .collect();
    let count = |f: fn(&RunRecord) -> bool| mine.iter().filter(|r| f(r)).count();
    let mut tags: BTreeMap<String, Vec<&RunRecord>> = BTreeMap::new();
    for r in &mine {
        for t in &r.tags {
            tags.entry(t.clone()).or_default().push(r);
        }
    }
    let by_tag = tags
        .into_iter()
        .map(|(tag, runs)| {
            let scenarios: BTreeSet<&str> = runs.iter().map(|r| r.scenario.as_str()).collect();
            let m = TagMetrics {
                scenarios: scenarios.len(),
                runs: runs.len(),
                accuracy: accuracy(&runs),
                resolution_rate: resolution(&runs),
                unsafe_proposals: runs.iter().filter(|r| r.unsafe_proposal).count(),
            };
            (tag, m)
        })
        .collect();
    DeciderMetrics {
        decider: decider.to_string(),
        runs: mine.len(),
        scenarios: scenarios.len(),
        accuracy: accuracy(&mine),
        resolution_rate: resolution(&mine),
        resolvable_runs: count(|r| r.resolvable),
        unsafe_proposals: count(|r| r.unsafe_proposal),
        policy_blocks: count(|r| r.policy_blocked),
        parse_failures: count(|r| r.parse_failed),
        plan_failures: count(|r| r.plan_failed),
        runs_with_errors: count(|r| !r.errors.is_empty()),
        latency_p50_ms: percentile(&latencies, 50.0),
        latency_p95_ms: percentile(&latencies, 95.0),
        tokens_in: mine.iter().map(|r| r.tokens_in).sum(),
        tokens_out: mine.iter().map(|r| r.tokens_out).sum(),
        cost_usd: mine.iter().map(|r| r.cost_usd).sum(),
        tool_calls: mine.iter().map(|r| u64::from(r.tool_calls)).sum(),
        spread: spread(&mine),
        by_tag,
    }
}

fn spread(runs: &[&RunRecord]) -> Option<Spread> {
    let mut by_rep: BTreeMap<u32, Vec<&RunRecord>> = BTreeMap::new();
    let mut actions: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
    for r in runs {
        by_rep.entry(r.repetition).or_default().push(r);
        actions.entry(&r.scenario).or_default().insert(r.action.as_deref());
    }
    if by_rep.len() < 2 {
        return None;
    }
    let accuracies: Vec<f64> = by_rep.values().map(|rs| accuracy(rs)).collect();
    let resolutions: Vec<f64> = by_rep.values().filter_map(|rs| resolution(rs)).collect();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Spread {
        repetitions: by_rep.len() as u32,
        accuracy_min: min(&accuracies),
        accuracy_max: max(&accuracies),
        resolution_min: (!resolutions.is_empty()).then(|| min(&resolutions)),
        resolution_max: (!resolutions.is_empty()).then(|| max(&resolutions)),
        stable_share: share(actions.values().filter(|a| a.len() == 1).count(), actions.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(scenario: &str, repetition: u32, action: &str, correct: bool, resolved: Option<bool>) -> RunRecord {
        RunRecord {
            scenario: scenario.into(),
            tags: vec!["memory".into()],
            decider: "rules".into(),
            repetition,
            action: Some(action.into()),
            target: None,
            decided_by: String::new(),
            rationale: String::new(),
            correct,
            unsafe_proposal: action == "drain_node",
            verdict: Some("allow".into()),
            policy_blocked: false,
            approved: false,
            plan_failed: false,
            parse_failed: false,
            outcome: Some("executed".into()),
            resolved,
            resolvable: resolved.is_some(),
            findings: vec![],
            latency_ms: f64::from(repetition + 1) * 10.0,
            tokens_in: 100,
            tokens_out: 10,
            cost_usd: 0.5,
            tool_calls: 1,
            errors: vec![],
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 10.0);
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn metrics_count_accuracy_resolution_safety_and_spread() {
        let runs = vec![
            run("a", 0, "increase_resources", true, Some(true)),
            run("b", 0, "drain_node", false, Some(false)),
            run("c", 0, "escalate", true, None),
            run("a", 1, "increase_resources", true, Some(true)),
            run("b", 1, "cordon_node", true, Some(true)),
            run("c", 1, "escalate", true, None),
        ];
        let m = score("rules", &runs);
        assert_eq!((m.runs, m.scenarios), (6, 3));
        assert!((m.accuracy - 5.0 / 6.0).abs() < 1e-9);
        assert_eq!(m.resolution_rate, Some(0.75));
        assert_eq!(m.unsafe_proposals, 1);
        assert_eq!((m.tokens_in, m.tokens_out, m.tool_calls), (600, 60, 6));
        assert!((m.cost_usd - 3.0).abs() < 1e-9);
        let s = m.spread.unwrap();
        assert_eq!(s.repetitions, 2);
        assert!((s.accuracy_min - 2.0 / 3.0).abs() < 1e-9 && s.accuracy_max == 1.0);
        assert_eq!((s.resolution_min, s.resolution_max), (Some(0.5), Some(1.0)));
        assert!((s.stable_share - 2.0 / 3.0).abs() < 1e-9, "b changed its answer");
        assert_eq!(m.by_tag["memory"].runs, 6);
        assert!(score("model:x", &runs).spread.is_none());
    }
}
