//! What one run of one scenario with one decider gave: the decision, the verdict, the
//! outcome in the simulated cluster, and what the decision cost.

use serde::{Deserialize, Serialize};

use super::load::ValidScenario;
use crate::cluster::sim::faults::FaultKind;
use crate::decide::Decision;
use crate::pipeline::Evaluation;
use crate::policy::VerdictKind;

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The scenario.
    pub scenario: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// The decider (`rules`, `model:NAME`, `replay:FILE`).
    pub decider: String,
    /// Which repetition (0-based).
    pub repetition: u32,
    /// The action chosen; `None` when the run failed before a decision.
    pub action: Option<String>,
    /// The object it targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Who decided (`builtin-rules/oomkilled-more-memory`, `llm:gpt-4o`, `fallback/escalate`).
    pub decided_by: String,
    /// The decision's rationale.
    pub rationale: String,
    /// Whether the action is one of the scenario's acceptable ones.
    pub correct: bool,
    /// Whether the action is one of the scenario's forbidden ones (whatever the policy did).
    #[serde(rename = "unsafe")]
    pub unsafe_proposal: bool,
    /// The policy's verdict: `allow`, `hold`, `deny`.
    pub verdict: Option<String>,
    /// Whether the policy refused or held a cluster change (not a planning failure).
    pub policy_blocked: bool,
    /// Whether a held action was approved in the simulation to score its effect.
    #[serde(default)]
    pub approved: bool,
    /// Whether the action could not be planned (bad parameters, not applicable).
    pub plan_failed: bool,
    /// Whether the model's answer was rejected (re-asked, or the decider failed).
    pub parse_failed: bool,
    /// What execution did: `executed`, `planned`, `skipped`, `failed`.
    pub outcome: Option<String>,
    /// Whether the fault is gone after the stabilization window; `None` when there is no
    /// fault to resolve.
    pub resolved: Option<bool>,
    /// Whether the scenario counts toward the resolution rate: it has a fault and a
    /// cluster change is an acceptable answer.
    pub resolvable: bool,
    /// What still shows the fault.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// Wall time of the pipeline (context, decision, policy, plan, execution), in ms.
    pub latency_ms: f64,
    /// Input tokens (models).
    pub tokens_in: u64,
    /// Output tokens (models).
    pub tokens_out: u64,
    /// Estimated cost in US dollars (models with prices).
    pub cost_usd: f64,
    /// Investigation tool calls (models).
    pub tool_calls: u32,
    /// What went wrong along the way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl RunRecord {
    /// A run that failed before deciding.
    pub fn failed(scenario: &ValidScenario, decider: &str, repetition: u32, error: String) -> RunRecord {
        RunRecord {
            scenario: scenario.scenario.name.clone(),
            tags: scenario.scenario.tags.clone(),
            decider: decider.to_string(),
            repetition,
            action: None,
            target: None,
            decided_by: String::new(),
            rationale: String::new(),
            correct: false,
            unsafe_proposal: false,
            verdict: None,
            policy_blocked: false,
            approved: false,
            plan_failed: false,
            parse_failed: false,
            outcome: None,
            resolved: None,
            resolvable: resolvable(scenario),
            findings: Vec::new(),
            latency_ms: 0.0,
            tokens_in: 0,
            tokens_out: 0,
            cost_usd: 0.0,
            tool_calls: 0,
            errors: vec![error],
        }
    }

    /// The record of an evaluation (before the fault is judged).
    pub fn of(
        scenario: &ValidScenario,
        decider: &str,
        repetition: u32,
        evaluation: &Evaluation,
        latency_ms: f64,
    ) -> RunRecord {
        let decision = &evaluation.decision;
        let kind = decision.action.kind();
        let verdict = &evaluation.verdict;
        let failed_check = |names: &[&str]| {
            verdict
                .checks
                .iter()
                .any(|c| !c.passed && names.contains(&c.name.as_str()))
        };
        let plan_failed = failed_check(&["plan", "parameter_bounds"]);
        let usage = decision.llm.as_ref();
        let mut errors: Vec<String> = decider_failures(decision);
        if let Some(e) = &evaluation.outcome.error
            && evaluation.outcome.status == crate::execute::OutcomeStatus::Failed
        {
            errors.push(e.clone());
        }
        errors.extend(evaluation.context.errors.iter().map(|e| format!("context: {e}")));
        RunRecord {
            scenario: scenario.scenario.name.clone(),
            tags: scenario.scenario.tags.clone(),
            decider: decider.to_string(),
            repetition,
            action: Some(kind.name().to_string()),
            target: decision.target.as_ref().map(ToString::to_string),
            decided_by: format!("{}/{}", decision.decided_by.decider, decision.decided_by.name),
            rationale: decision.rationale.clone(),
            correct: scenario.acceptable.contains(&kind),
            unsafe_proposal: scenario.forbidden.contains(&kind),
            verdict: Some(verdict.kind.as_str().to_string()),
            policy_blocked: kind.mutates() && verdict.kind != VerdictKind::Allow && !plan_failed,
            approved: false,
            plan_failed,
            parse_failed: usage.is_some_and(|u| !u.rejected_answers.is_empty())
                || !decider_failures(decision).is_empty(),
            outcome: Some(evaluation.outcome.status.as_str().to_string()),
            resolved: None,
            resolvable: resolvable(scenario),
            findings: Vec::new(),
            latency_ms,
            tokens_in: usage.map(|u| u.tokens_in).unwrap_or(0),
            tokens_out: usage.map(|u| u.tokens_out).unwrap_or(0),
            cost_usd: usage.and_then(|u| u.cost_usd).unwrap_or(0.0),
            tool_calls: usage.map(|u| u.tool_calls.len() as u32).unwrap_or(0),
            errors,
        }
    }
}

/// The failures of deciders the chain recorded: in the alternatives when a later
/// decider answered, in the fallback's rationale when none did.
fn decider_failures(decision: &Decision) -> Vec<String> {
    let mut failures: Vec<String> = decision
        .alternatives
        .iter()
        .filter(|a| a.starts_with("decider failed"))
        .cloned()
        .collect();
    if decision.decided_by.decider == "fallback"
        && let Some((_, why)) = decision.rationale.split_once("Deciders failed: ")
    {
        failures.push(format!("decider failed: {}", why.trim_end_matches('.')));
    }
    failures
}

/// Whether a scenario counts toward the resolution rate.
pub fn resolvable(scenario: &ValidScenario) -> bool {
    let has_fault = scenario
        .scenario
        .cluster
        .fault
        .as_ref()
        .is_some_and(|f| f.kind != FaultKind::None);
    has_fault && scenario.acceptable.iter().any(|a| a.mutates())
}
