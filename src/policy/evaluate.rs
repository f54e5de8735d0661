//! Running the policy checks on a decision and composing the verdict.

use super::checks::{self, Effect, Step, Subject};
use super::config::{Mode, PolicyConfig};
use super::facts::PolicyFacts;
use super::verdict::{Check, Verdict, VerdictKind};
use crate::decide::Decision;

/// Runs every check on a decision and composes the verdict: any failed refusing check
/// denies; otherwise an open `hold` maintenance window, `approve` mode, or (in
/// `autonomous` mode) a risk above the ceiling holds it for approval — an approval in the
/// facts satisfies the mode and the ceiling, nothing else; otherwise it is allowed, and
/// in `dry-run` only planned. An action that changes nothing (`escalate`, `notify`) is
/// always allowed.
pub fn evaluate(policy: &PolicyConfig, decision: &Decision, facts: &PolicyFacts) -> Verdict {
    let action = decision.action_name();
    let target = decision.target.as_ref().or(facts.plan_target.as_ref());
    let namespace = target.and_then(|t| t.namespace.as_deref());
    let mode = policy.mode_in(namespace);

    if !decision.action.kind().mutates() {
        return Verdict {
            kind: VerdictKind::Allow,
            dry_run: mode == Mode::DryRun,
            checks: vec![Check {
                name: "read_only".into(),
                passed: true,
                reason: format!("{action} changes nothing in the cluster"),
            }],
        };
    }

    let subject = Subject {
        action,
        namespace,
        target: target.map(ToString::to_string),
        mode,
    };
    let steps = vec![
        checks::protected_namespace(policy, &subject, facts),
        checks::allowed_actions(policy, &subject),
        checks::namespace_actions(policy, &subject),
        checks::confidence_floor(policy, decision),
        checks::cooldown_action_target(policy, &subject, facts),
        checks::cooldown_fingerprint(policy, facts),
        checks::rate_limit(policy, facts),
        checks::rate_limit_namespace(policy, &subject, facts),
        checks::concurrency(policy, facts),
        checks::blast_radius(policy, &subject, facts),
        checks::min_ready_replicas(policy, facts),
        checks::pod_disruption_budget(policy, facts),
        checks::last_replica(policy, facts),
        checks::oscillation(facts),
        checks::maintenance_window(policy, &subject, facts),
        risk_ceiling(policy, decision, &subject, facts),
        mode_check(policy, &subject, facts),
    ];
    let failed = |effect: Effect| steps.iter().any(|s| !s.check.passed && s.effect == effect);
    let kind = if failed(Effect::Refuse) {
        VerdictKind::Deny
    } else if failed(Effect::Hold) {
        VerdictKind::Hold
    } else {
        VerdictKind::Allow
    };
    Verdict {
        kind,
        dry_run: mode == Mode::DryRun,
        checks: steps.into_iter().map(|s| s.check).collect(),
    }
}

fn approved_by(facts: &PolicyFacts) -> Option<String> {
    facts
        .approval
        .as_ref()
        .map(|a| format!("approved by {} at {}", a.by, a.at))
}

fn hold(name: &str, passed: bool, reason: String) -> Step {
    Step {
        check: Check {
            name: name.into(),
            passed,
            reason,
        },
        effect: Effect::Hold,
    }
}

/// In autonomous mode, actions riskier than the ceiling wait for approval.
fn risk_ceiling(policy: &PolicyConfig, decision: &Decision, s: &Subject<'_>, facts: &PolicyFacts) -> Step {
    let name = "risk_ceiling";
    let risk = decision.action.kind().risk();
    let ceiling = policy.ceiling_in(s.namespace);
    let scope = match s
        .namespace
        .filter(|ns| policy.namespaces.get(*ns).is_some_and(|p| p.risk_ceiling.is_some()))
    {
        Some(ns) => format!("the ceiling {ceiling} (in namespace {ns})"),
        None => format!("the ceiling {ceiling}"),
    };
    if risk <= ceiling {
        return hold(name, true, format!("risk {risk} of {} is within {scope}", s.action));
    }
    let above = format!("risk {risk} of {} is above {scope}", s.action);
    match (s.mode, approved_by(facts)) {
        (Mode::DryRun, _) => hold(
            name,
            true,
            format!("{above}; dry-run plans only (in autonomous mode it would wait for approval)"),
        ),
        (Mode::Approve, _) => hold(name, true, format!("{above}; approve mode holds every action anyway")),
        (Mode::Autonomous, Some(by)) => hold(name, true, format!("{above}; {by}")),
        (Mode::Autonomous, None) => hold(name, false, format!("{above}: it waits for approval")),
    }
}

/// The mode: dry-run plans, approve holds, autonomous acts.
fn mode_check(policy: &PolicyConfig, s: &Subject<'_>, facts: &PolicyFacts) -> Step {
    let name = "mode";
    let scope = match s.namespace {
        Some(ns) if s.mode != policy.mode => format!(" (namespace {ns}; global {})", policy.mode),
        _ => String::new(),
    };
    match (s.mode, approved_by(facts)) {
        (Mode::DryRun, _) => hold(
            name,
            true,
            format!("dry-run{scope}: the action is planned, not executed"),
        ),
        (Mode::Approve, Some(by)) => hold(name, true, format!("approve{scope}: {by}")),
        (Mode::Approve, None) => hold(
            name,
            false,
            format!("approve{scope}: every action waits for a human's approval"),
        ),
        (Mode::Autonomous, _) => hold(
            name,
            true,
            format!("autonomous{scope}: allowed actions up to the risk ceiling are carried out"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, Escalate, RestartPod};
    use crate::cluster::ObjectRef;
    use crate::decide::DecidedBy;
    use crate::policy::NamespacePolicy;

    fn ev(policy: &PolicyConfig, decision: &Decision) -> Verdict {
        evaluate(policy, decision, &PolicyFacts::at(jiff::Timestamp::UNIX_EPOCH))
    }

    fn decision(action: Action, ns: &str) -> Decision {
        Decision {
            action,
            target: Some(ObjectRef::namespaced("Pod", ns, "p")),
            rationale: String::new(),
            confidence: 1.0,
            decided_by: DecidedBy {
                decider: "test".into(),
                name: "t".into(),
            },
            alternatives: vec![],
            llm: None,
        }
    }

    #[test]
    fn protected_namespace_denies_with_reason() {
        let v = ev(
            &PolicyConfig::default(),
            &decision(Action::RestartPod(RestartPod::default()), "kube-system"),
        );
        assert_eq!(v.kind, VerdictKind::Deny);
        assert!(
            v.summary().contains("namespace kube-system is protected"),
            "{}",
            v.summary()
        );
        assert!(v.dry_run);
    }

    #[test]
    fn escalate_is_always_allowed() {
        let v = ev(
            &PolicyConfig::default(),
            &decision(Action::Escalate(Escalate::default()), "kube-system"),
        );
        assert_eq!(v.kind, VerdictKind::Allow);
    }

    #[test]
    fn allowed_and_denied_lists_global_and_per_namespace() {
        let mut p = PolicyConfig {
            denied_actions: vec!["restart_pod".into()],
            ..Default::default()
        };
        let d = decision(Action::RestartPod(RestartPod::default()), "shop");
        let v = ev(&p, &d);
        assert_eq!(v.kind, VerdictKind::Deny);
        assert!(v.summary().contains("restart_pod is denied globally"));

        p.denied_actions.clear();
        p.allowed_actions = vec!["scale_deployment".into()];
        assert!(ev(&p, &d).summary().contains("not among the actions allowed globally"));

        p.allowed_actions.clear();
        p.namespaces.insert(
            "shop".into(),
            NamespacePolicy {
                denied_actions: vec!["restart_pod".into()],
                ..Default::default()
            },
        );
        assert!(ev(&p, &d).summary().contains("denied in namespace shop"));
        assert_eq!(
            ev(&p, &decision(Action::RestartPod(RestartPod::default()), "web")).kind,
            VerdictKind::Allow
        );
    }

    #[test]
    fn namespace_cannot_escape_global_dry_run() {
        let mut p = PolicyConfig::default();
        p.namespaces.insert(
            "shop".into(),
            NamespacePolicy {
                mode: Some(Mode::Autonomous),
                ..Default::default()
            },
        );
        let d = decision(Action::RestartPod(RestartPod::default()), "shop");
        assert!(ev(&p, &d).dry_run);
        p.mode = Mode::Autonomous;
        assert!(!ev(&p, &d).dry_run);
        p.namespaces.insert(
            "shop".into(),
            NamespacePolicy {
                mode: Some(Mode::DryRun),
                ..Default::default()
            },
        );
        assert!(ev(&p, &d).dry_run);
    }
}
