//! The fault model through the whole pipeline and the real action planners, on the
//! shipped scenarios: each fault stays until the action that fixes it is applied, the fix
//! is one of the scenario's acceptable actions, and a wrong action has its real effect
//! (the fault stays).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use medic::actions::Action;
use medic::cluster::ObjectRef;
use medic::cluster::sim::faults::{FaultKind, FaultTarget};
use medic::config::Config;
use medic::context::Context;
use medic::decide::{DecideError, DecidedBy, Decider, Decision};
use medic::eval::{DeciderFactory, RunRecord, ValidScenario, load_dir, run_suite};
use medic::incident::Incident;

/// Always proposes one action on one object.
struct Fixed(Decision);

#[async_trait]
impl Decider for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }

    async fn decide(&self, _incident: &Incident, _context: &Context) -> Result<Option<Decision>, DecideError> {
        Ok(Some(self.0.clone()))
    }
}

fn reference(t: &FaultTarget) -> ObjectRef {
    match &t.namespace {
        Some(ns) => ObjectRef::namespaced(&t.kind, ns, &t.name),
        None => ObjectRef::cluster_scoped(&t.kind, &t.name),
    }
}

fn decision(action: &str, params: Value, target: ObjectRef) -> Decision {
    Decision {
        action: Action::from_parts(action, params).unwrap_or_else(|e| panic!("{action}: {e}")),
        target: Some(target),
        rationale: "test".into(),
        confidence: 1.0,
        decided_by: DecidedBy {
            decider: "test".into(),
            name: action.into(),
        },
        alternatives: Vec::new(),
        llm: None,
    }
}

/// The action that really fixes a fault, on its target.
fn fix(s: &ValidScenario) -> Option<Decision> {
    let fault = s.scenario.cluster.fault.as_ref()?;
    let target = fault.target.as_ref()?;
    let at = reference(target);
    let container = json!(fault.container);
    Some(match (fault.kind, target.kind.as_str()) {
        (FaultKind::Oom, _) => decision(
            "increase_resources",
            json!({"container": container, "memory_factor": 1.5}),
            at,
        ),
        (FaultKind::CpuThrottled, _) => decision(
            "increase_resources",
            json!({"container": container, "cpu_factor": 1.5}),
            at,
        ),
        (FaultKind::BadRollout, _) => decision("rollback_deployment", json!({}), at),
        (FaultKind::HungProcess | FaultKind::MemoryLeak, "Pod") => decision("restart_pod", json!({}), at),
        (FaultKind::HungProcess | FaultKind::MemoryLeak, _) => decision("rollout_restart", json!({}), at),
        (FaultKind::StuckTerminating, _) => decision("delete_stuck_pods", json!({}), at),
        (FaultKind::NodeNotReady, _) => decision("cordon_node", json!({}), at),
        (FaultKind::PvcFull, _) => decision("expand_pvc", json!({"factor": 1.5}), at),
        (FaultKind::HpaMaxed, _) => decision("update_hpa", json!({"max_replicas": 20}), at),
        (FaultKind::ReplicaShortage, "StatefulSet") => decision("scale_statefulset", json!({"replicas": 3}), at),
        (FaultKind::ReplicaShortage, _) => decision("scale_deployment", json!({"replicas": 3}), at),
        (FaultKind::JobFailedTransient, _) => decision("retry_job", json!({}), at),
        (FaultKind::CompromisedPod, _) => decision("isolate_pod", json!({}), at),
        (FaultKind::None, _) => return None,
    })
}

/// An action with its real effect that does not fix the fault.
fn wrong(s: &ValidScenario) -> Option<Decision> {
    let fault = s.scenario.cluster.fault.as_ref()?;
    let target = fault.target.as_ref()?;
    let at = reference(target);
    Some(match fault.kind {
        FaultKind::Oom | FaultKind::CpuThrottled | FaultKind::BadRollout => decision("rollout_restart", json!({}), at),
        FaultKind::MemoryLeak if target.kind != "Pod" => decision(
            "increase_resources",
            json!({"container": fault.container, "memory_factor": 1.5}),
            at,
        ),
        FaultKind::CompromisedPod => decision("restart_pod", json!({}), at),
        _ => return None,
    })
}

async fn run(s: &ValidScenario, d: Decision) -> RunRecord {
    let label = format!("fixed:{}", d.action_name());
    let factory = DeciderFactory::fixed(&label, Arc::new(Fixed(d)));
    let mut report = run_suite(&Config::default(), std::slice::from_ref(s), &[factory], 1).await;
    report.runs.remove(0)
}

fn scenarios() -> Vec<ValidScenario> {
    load_dir(Path::new("evals/scenarios")).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn every_fault_goes_only_with_its_fix_and_the_fix_is_acceptable() {
    let mut kinds = std::collections::BTreeSet::new();
    for s in scenarios() {
        let name = &s.scenario.name;
        let Some(fix) = fix(&s) else { continue };
        kinds.insert(s.scenario.cluster.fault.as_ref().map(|f| f.kind));
        let resolvable = s.acceptable.iter().any(|a| a.mutates());
        let done = run(&s, fix.clone()).await;
        assert!(done.errors.is_empty(), "{name}: {:?}", done.errors);
        if resolvable {
            assert!(done.correct, "{name}: the fix {} is not acceptable", fix.action_name());
            assert_eq!(
                done.resolved,
                Some(true),
                "{name}: {:?} {:?}",
                done.outcome,
                done.findings
            );
            let idle = run(&s, decision("escalate", json!({}), fix.target.clone().unwrap())).await;
            assert_eq!(idle.resolved, Some(false), "{name}: the fault went away by itself");
            assert!(!idle.findings.is_empty(), "{name}");
        } else {
            // Escalation is the answer: the fix fails for the reason the scenario gives
            // (a protected namespace, a LimitRange, no capacity, no expansion).
            assert_ne!(done.resolved, Some(true), "{name}: {:?}", done.outcome);
        }
    }
    let all: std::collections::BTreeSet<_> = FaultKind::ALL
        .into_iter()
        .filter(|k| *k != FaultKind::None)
        .map(Some)
        .collect();
    assert_eq!(kinds, all, "every fault kind has a scenario");
}

#[tokio::test]
async fn a_wrong_action_has_its_real_effect_and_the_fault_stays() {
    let mut tried = 0;
    for s in scenarios() {
        if !s.acceptable.iter().any(|a| a.mutates()) {
            continue;
        }
        let Some(wrong) = wrong(&s) else { continue };
        let name = &s.scenario.name;
        let done = run(&s, wrong.clone()).await;
        assert_eq!(
            done.outcome.as_deref(),
            Some("executed"),
            "{name}: {} {:?}",
            wrong.action_name(),
            done.errors
        );
        assert_eq!(done.resolved, Some(false), "{name}: {} fixed it", wrong.action_name());
        tried += 1;
    }
    assert!(tried >= 10, "{tried} scenarios tried");
}
