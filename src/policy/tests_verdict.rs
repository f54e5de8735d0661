//! Each policy check allowing and refusing, with its reason text, and how the checks
//! compose into the verdict (deny over hold over allow; an approval lifts the mode and
//! the ceiling only; dry-run plans).

use jiff::{SignedDuration, Timestamp};

use super::config::{MaintenanceWindow, Mode, NamespacePolicy, PolicyConfig, Span, WindowEffect};
use super::evaluate;
use super::facts::{Activity, ApprovalGrant, BudgetFact, Impact, PolicyFacts, WorkloadImpact};
use super::verdict::{Check, Verdict, VerdictKind};
use crate::actions::{Action, DrainNode, Escalate, RestartPod, RolloutRestart};
use crate::assess::config::Interval;
use crate::cluster::ObjectRef;
use crate::decide::{DecidedBy, Decision};

fn now() -> Timestamp {
    "2025-03-03T12:00:00Z".parse().unwrap()
}

fn autonomous() -> PolicyConfig {
    PolicyConfig {
        mode: Mode::Autonomous,
        ..PolicyConfig::default()
    }
}

fn restart(ns: &str) -> Decision {
    decision(
        Action::RestartPod(RestartPod::default()),
        ObjectRef::namespaced("Pod", ns, "p"),
    )
}

fn decision(action: Action, target: ObjectRef) -> Decision {
    Decision {
        action,
        target: Some(target),
        rationale: String::new(),
        confidence: 0.9,
        decided_by: DecidedBy {
            decider: "rules".into(),
            name: "crashloop".into(),
        },
        alternatives: vec![],
        llm: None,
    }
}

/// Facts from a store with nothing recent, and a plan that takes one of two pods down.
fn facts() -> PolicyFacts {
    let mut f = PolicyFacts::at(now());
    f.activity = Some(Activity::default());
    f.impact = Some(one_pod_of_two());
    f
}

fn one_pod_of_two() -> Impact {
    Impact {
        pods_affected: 1,
        workload: Some("deployment/shop/api".into()),
        ready_before: Some(2),
        ready_after: Some(1),
        budgets: vec![],
        workloads: vec![WorkloadImpact {
            workload: "deployment/shop/api".into(),
            namespace: Some("shop".into()),
            ready_before: 2,
            ready_after: 1,
            pods_affected: 1,
        }],
        pods: vec!["shop/p".into()],
        namespaces: vec!["shop".into()],
    }
}

fn check<'v>(v: &'v Verdict, name: &str) -> &'v Check {
    v.checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name} in {:#?}", v.checks))
}

/// Asserts the check failed with a reason containing `text`, and the verdict's kind.
fn refused(v: &Verdict, name: &str, text: &str, kind: VerdictKind) {
    let c = check(v, name);
    assert!(!c.passed, "{name} passed: {}", c.reason);
    assert!(c.reason.contains(text), "{name}: {:?} lacks {text:?}", c.reason);
    assert_eq!(v.kind, kind, "{}", v.summary());
}

fn passed(v: &Verdict, name: &str, text: &str) {
    let c = check(v, name);
    assert!(c.passed, "{name} failed: {}", c.reason);
    assert!(c.reason.contains(text), "{name}: {:?} lacks {text:?}", c.reason);
}

#[test]
fn every_check_runs_in_order_and_a_harmless_action_is_allowed() {
    let v = evaluate(&autonomous(), &restart("shop"), &facts());
    let names: Vec<&str> = v.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "protected_namespace",
            "allowed_actions",
            "namespace_actions",
            "confidence_floor",
            "cooldown_action_target",
            "cooldown_fingerprint",
            "rate_limit",
            "rate_limit_namespace",
            "concurrency",
            "blast_radius",
            "min_ready_replicas",
            "pod_disruption_budget",
            "last_replica",
            "oscillation",
            "maintenance_window",
            "risk_ceiling",
            "mode",
        ]
    );
    assert_eq!(v.kind, VerdictKind::Allow, "{}", v.summary());
    assert!(!v.dry_run);
    passed(&v, "protected_namespace", "namespace shop is not protected");
    passed(&v, "namespace_actions", "namespace shop has no overrides");
    passed(
        &v,
        "blast_radius",
        "restart_pod takes 1 pod down (shop/p), within the 10 allowed",
    );
    passed(
        &v,
        "min_ready_replicas",
        "deployment/shop/api keeps 1 of 2 ready replicas at the worst moment (minimum 1)",
    );
    passed(&v, "last_replica", "no workload loses its last ready replica");
    passed(&v, "pod_disruption_budget", "no PodDisruptionBudget covers");
    passed(
        &v,
        "risk_ceiling",
        "risk low of restart_pod is within the ceiling medium",
    );
    passed(&v, "mode", "autonomous");
    passed(&v, "maintenance_window", "no maintenance windows are configured");
    passed(&v, "oscillation", "not checked: no history was read");
}

#[test]
fn protected_namespaces_include_medic_and_what_the_plan_touches() {
    let v = evaluate(&autonomous(), &restart("medic"), &facts());
    refused(
        &v,
        "protected_namespace",
        "namespace medic is protected",
        VerdictKind::Deny,
    );
    // A drain aimed at a node (cluster-scoped) whose evictions reach kube-system.
    let drain = decision(
        Action::DrainNode(DrainNode::default()),
        ObjectRef::cluster_scoped("Node", "worker-1"),
    );
    let mut f = facts();
    f.impact.as_mut().unwrap().namespaces = vec!["kube-system".into(), "shop".into()];
    let v = evaluate(&autonomous(), &drain, &f);
    refused(
        &v,
        "protected_namespace",
        "the plan of drain_node changes protected namespace kube-system",
        VerdictKind::Deny,
    );
}

#[test]
fn confidence_floor_applies_to_model_decisions() {
    let mut d = restart("shop");
    d.decided_by.decider = "llm".into();
    d.confidence = 0.5;
    let v = evaluate(&autonomous(), &d, &facts());
    refused(
        &v,
        "confidence_floor",
        "the model's confidence 0.50 is below the floor 0.70",
        VerdictKind::Deny,
    );
    d.confidence = 0.7;
    passed(
        &evaluate(&autonomous(), &d, &facts()),
        "confidence_floor",
        "the model's confidence 0.70 is at least the floor 0.70",
    );
    d.confidence = f64::NAN;
    assert_eq!(evaluate(&autonomous(), &d, &facts()).kind, VerdictKind::Deny);
    let mut rules = restart("shop");
    rules.confidence = 0.1;
    passed(
        &evaluate(&autonomous(), &rules, &facts()),
        "confidence_floor",
        "decided by rules (crashloop), not a language model: the floor 0.70 does not apply",
    );
}

#[test]
fn cooldowns_per_action_target_and_per_fingerprint() {
    let mut f = facts();
    f.activity.as_mut().unwrap().last_on_target = Some(now() - SignedDuration::from_mins(5));
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    refused(
        &v,
        "cooldown_action_target",
        "restart_pod on pod/shop/p last started 5m ago (at 2025-03-03T11:55:00Z), within the 15m cooldown: not again before 2025-03-03T12:10:00Z",
        VerdictKind::Deny,
    );
    f.activity.as_mut().unwrap().last_on_target = Some(now() - SignedDuration::from_mins(20));
    passed(
        &evaluate(&autonomous(), &restart("shop"), &f),
        "cooldown_action_target",
        "last started 20m ago, beyond the 15m cooldown",
    );

    let mut f = facts();
    f.activity.as_mut().unwrap().last_on_fingerprint = Some(now() - SignedDuration::from_mins(9));
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    refused(
        &v,
        "cooldown_fingerprint",
        "actions for this alert (same fingerprint) last started 9m ago",
        VerdictKind::Deny,
    );
    let mut off = autonomous();
    off.cooldowns.fingerprint = Span::from_secs(0);
    passed(
        &evaluate(&off, &restart("shop"), &f),
        "cooldown_fingerprint",
        "no cooldown for actions for this alert (same fingerprint) (0s)",
    );
}

#[test]
fn rate_limits_and_concurrency() {
    let mut f = facts();
    let a = f.activity.as_mut().unwrap();
    a.executed_last_hour = 20;
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    refused(
        &v,
        "rate_limit",
        "20 actions started in the last hour: the limit is 20 per hour",
        VerdictKind::Deny,
    );

    let mut f = facts();
    f.activity.as_mut().unwrap().executed_last_hour = 19;
    f.activity.as_mut().unwrap().executed_last_hour_in_namespace = 6;
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    passed(
        &v,
        "rate_limit",
        "19 actions started in the last hour, under the limit of 20 per hour",
    );
    refused(
        &v,
        "rate_limit_namespace",
        "6 actions started in namespace shop in the last hour: the limit there is 6 per hour",
        VerdictKind::Deny,
    );
    let mut p = autonomous();
    p.namespaces.insert(
        "shop".into(),
        NamespacePolicy {
            rate_limit_per_hour: Some(8),
            ..Default::default()
        },
    );
    passed(
        &evaluate(&p, &restart("shop"), &f),
        "rate_limit_namespace",
        "6 actions started in namespace shop in the last hour, under the limit of 8",
    );

    let mut f = facts();
    f.activity.as_mut().unwrap().executing = 3;
    refused(
        &evaluate(&autonomous(), &restart("shop"), &f),
        "concurrency",
        "3 actions are executing: the limit is 3 at once",
        VerdictKind::Deny,
    );
}

#[test]
fn activity_unknown_without_a_store_but_fail_closed_when_unreadable() {
    let mut f = facts();
    f.activity = None;
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    assert_eq!(v.kind, VerdictKind::Allow, "{}", v.summary());
    for name in [
        "cooldown_action_target",
        "cooldown_fingerprint",
        "rate_limit",
        "rate_limit_namespace",
        "concurrency",
    ] {
        passed(&v, name, "not checked: no history store");
    }
    f.activity_error = Some("store unavailable: connection refused".into());
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    for name in ["cooldown_action_target", "rate_limit", "concurrency"] {
        refused(
            &v,
            name,
            "recent activity could not be read (store unavailable: connection refused): not acting blind",
            VerdictKind::Deny,
        );
    }
}

#[test]
fn blast_radius_checks() {
    let mut f = facts();
    let i = f.impact.as_mut().unwrap();
    i.pods_affected = 11;
    i.pods = (0..11).map(|n| format!("shop/p{n}")).collect();
    refused(
        &evaluate(&autonomous(), &restart("shop"), &f),
        "blast_radius",
        "restart_pod would take down 11 pods (shop/p0, shop/p1, shop/p2, shop/p3, shop/p4 and 6 more), more than the 10 allowed for one action",
        VerdictKind::Deny,
    );

    let mut f = facts();
    let w = &mut f.impact.as_mut().unwrap().workloads[0];
    w.ready_before = 1;
    w.ready_after = 0;
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    refused(
        &v,
        "min_ready_replicas",
        "ready replicas would fall below the minimum of 1: deployment/shop/api from 1 to 0",
        VerdictKind::Deny,
    );
    refused(
        &v,
        "last_replica",
        "the plan would take down the last ready replica of deployment/shop/api",
        VerdictKind::Deny,
    );
    // Already down: restarting a pod that is not ready takes nothing away.
    let mut f = facts();
    let w = &mut f.impact.as_mut().unwrap().workloads[0];
    w.ready_before = 0;
    w.ready_after = 0;
    let v = evaluate(&autonomous(), &restart("shop"), &f);
    assert_eq!(v.kind, VerdictKind::Allow, "{}", v.summary());
    let mut p = autonomous();
    p.blast_radius.min_ready_replicas = 2;
    let v = evaluate(&p, &restart("shop"), &facts());
    refused(
        &v,
        "min_ready_replicas",
        "below the minimum of 2: deployment/shop/api from 2 to 1",
        VerdictKind::Deny,
    );
    passed(&v, "last_replica", "no workload loses its last ready replica");

    let mut f = facts();
    f.impact.as_mut().unwrap().budgets = vec![BudgetFact {
        name: "shop/api".into(),
        disruptions_allowed: 0,
        disruptions_planned: 1,
    }];
    refused(
        &evaluate(&autonomous(), &restart("shop"), &f),
        "pod_disruption_budget",
        "PodDisruptionBudget shop/api allows 0 disruptions now, the plan makes 1",
        VerdictKind::Deny,
    );
    let mut p = autonomous();
    p.blast_radius.honour_pdbs = false;
    passed(
        &evaluate(&p, &restart("shop"), &f),
        "pod_disruption_budget",
        "not checked: blast_radius.honour_pdbs is false",
    );
    f.impact.as_mut().unwrap().budgets[0].disruptions_allowed = 1;
    passed(
        &evaluate(&autonomous(), &restart("shop"), &f),
        "pod_disruption_budget",
        "within the budgets: shop/api allows 1, the plan makes 1",
    );

    let mut f = facts();
    f.impact = None;
    f.impact_error = Some("cluster unavailable: timeout".into());
    refused(
        &evaluate(&autonomous(), &restart("shop"), &f),
        "blast_radius",
        "the plan's impact could not be read from the cluster (cluster unavailable: timeout): not acting blind",
        VerdictKind::Deny,
    );
}

#[test]
fn oscillation_from_the_facts_refuses() {
    let mut f = facts();
    f.oscillation = Some(Check {
        name: "oscillation".into(),
        passed: false,
        reason: "deployment/shop/api was scaled 2→4, 4→2, 2→4 within 1h: flapping".into(),
    });
    refused(
        &evaluate(&autonomous(), &restart("shop"), &f),
        "oscillation",
        "flapping",
        VerdictKind::Deny,
    );
}

fn always(effect: WindowEffect) -> MaintenanceWindow {
    MaintenanceWindow {
        name: "freeze".into(),
        schedule: "0 0 * * *".into(),
        duration: Interval::from_secs(86_400),
        timezone: "Europe/Paris".into(),
        effect,
        namespaces: vec![],
    }
}

#[test]
fn maintenance_windows_hold_or_deny() {
    let mut p = autonomous();
    p.maintenance_windows = vec![always(WindowEffect::Hold)];
    let v = evaluate(&p, &restart("shop"), &facts());
    refused(
        &v,
        "maintenance_window",
        "maintenance window freeze (hold, 1d from \"0 0 * * *\") is open until 2025-03-04 00:00 CET: actions wait for approval",
        VerdictKind::Hold,
    );
    // An approval does not open a freeze.
    let mut f = facts();
    f.approval = Some(ApprovalGrant {
        by: "alice".into(),
        at: now(),
    });
    assert_eq!(evaluate(&p, &restart("shop"), &f).kind, VerdictKind::Hold);
    // In dry-run the window is reported, and the action planned.
    p.mode = Mode::DryRun;
    let v = evaluate(&p, &restart("shop"), &facts());
    assert_eq!((v.kind, v.dry_run), (VerdictKind::Allow, true));
    passed(&v, "maintenance_window", "dry-run plans only");

    let mut p = autonomous();
    p.maintenance_windows = vec![always(WindowEffect::Deny)];
    refused(
        &evaluate(&p, &restart("shop"), &facts()),
        "maintenance_window",
        "is open until 2025-03-04 00:00 CET: actions are refused",
        VerdictKind::Deny,
    );
    p.maintenance_windows[0].namespaces = vec!["web".into()];
    passed(
        &evaluate(&p, &restart("shop"), &facts()),
        "maintenance_window",
        "no maintenance window is open (1 configured)",
    );
}

#[test]
fn risk_ceiling_holds_in_autonomous_mode_until_approved() {
    let drain = decision(
        Action::DrainNode(DrainNode::default()),
        ObjectRef::cluster_scoped("Node", "worker-1"),
    );
    let v = evaluate(&autonomous(), &drain, &facts());
    refused(
        &v,
        "risk_ceiling",
        "risk critical of drain_node is above the ceiling medium: it waits for approval",
        VerdictKind::Hold,
    );
    let mut f = facts();
    f.approval = Some(ApprovalGrant {
        by: "alice".into(),
        at: now(),
    });
    let v = evaluate(&autonomous(), &drain, &f);
    assert_eq!(v.kind, VerdictKind::Allow, "{}", v.summary());
    passed(&v, "risk_ceiling", "approved by alice at 2025-03-03T12:00:00Z");

    // A namespace's lower ceiling applies; a higher one does not.
    let rollout = decision(
        Action::RolloutRestart(RolloutRestart::default()),
        ObjectRef::namespaced("Deployment", "shop", "api"),
    );
    let mut p = autonomous();
    p.namespaces.insert(
        "shop".into(),
        NamespacePolicy {
            risk_ceiling: Some(crate::actions::Risk::Low),
            ..Default::default()
        },
    );
    refused(
        &evaluate(&p, &rollout, &facts()),
        "risk_ceiling",
        "risk medium of rollout_restart is above the ceiling low (in namespace shop)",
        VerdictKind::Hold,
    );
    p.namespaces.get_mut("shop").unwrap().risk_ceiling = Some(crate::actions::Risk::Critical);
    assert_eq!(evaluate(&p, &rollout, &facts()).kind, VerdictKind::Allow);
}

#[test]
fn modes_and_approvals() {
    let mut p = autonomous();
    p.mode = Mode::Approve;
    let v = evaluate(&p, &restart("shop"), &facts());
    refused(
        &v,
        "mode",
        "approve: every action waits for a human's approval",
        VerdictKind::Hold,
    );
    let mut f = facts();
    f.approval = Some(ApprovalGrant {
        by: "bob".into(),
        at: now(),
    });
    let v = evaluate(&p, &restart("shop"), &f);
    assert_eq!((v.kind, v.dry_run), (VerdictKind::Allow, false));
    passed(&v, "mode", "approve: approved by bob");
    // An approval satisfies the mode and the ceiling, nothing else.
    f.activity.as_mut().unwrap().executing = 3;
    refused(
        &evaluate(&p, &restart("shop"), &f),
        "concurrency",
        "3 actions are executing",
        VerdictKind::Deny,
    );
    let v = evaluate(&p, &restart("kube-system"), &f);
    assert_eq!(v.kind, VerdictKind::Deny);
    // Dry-run allows, planned only; a namespace cannot loosen it.
    let mut p = PolicyConfig::default();
    p.namespaces.insert(
        "shop".into(),
        NamespacePolicy {
            mode: Some(Mode::Autonomous),
            ..Default::default()
        },
    );
    let v = evaluate(&p, &restart("shop"), &facts());
    assert_eq!((v.kind, v.dry_run), (VerdictKind::Allow, true));
    passed(&v, "mode", "dry-run: the action is planned, not executed");
    // Refusals still deny in dry-run.
    assert_eq!(evaluate(&p, &restart("kube-system"), &facts()).kind, VerdictKind::Deny);
    // A namespace in approve mode under a global autonomous one holds.
    let mut p = autonomous();
    p.namespaces.insert(
        "shop".into(),
        NamespacePolicy {
            mode: Some(Mode::Approve),
            ..Default::default()
        },
    );
    refused(
        &evaluate(&p, &restart("shop"), &facts()),
        "mode",
        "approve (namespace shop; global autonomous): every action waits",
        VerdictKind::Hold,
    );
}

#[test]
fn read_only_actions_are_always_allowed() {
    let mut f = facts();
    f.activity = None;
    f.activity_error = Some("store down".into());
    let mut p = autonomous();
    p.maintenance_windows = vec![always(WindowEffect::Deny)];
    let d = decision(
        Action::Escalate(Escalate::default()),
        ObjectRef::namespaced("Pod", "kube-system", "x"),
    );
    let v = evaluate(&p, &d, &f);
    assert_eq!(v.kind, VerdictKind::Allow);
    passed(&v, "read_only", "escalate changes nothing in the cluster");
}

#[test]
fn the_plan_target_stands_in_for_a_decision_without_one() {
    let mut d = restart("shop");
    d.target = None;
    let mut f = facts();
    f.plan_target = Some(ObjectRef::namespaced("Pod", "kube-public", "p"));
    refused(
        &evaluate(&autonomous(), &d, &f),
        "protected_namespace",
        "namespace kube-public is protected",
        VerdictKind::Deny,
    );
}
