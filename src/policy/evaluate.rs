//! The policy checks.

use super::config::{Mode, PolicyConfig};
use super::facts::PolicyFacts;
use super::verdict::{Check, Verdict, VerdictKind};
use crate::decide::Decision;

/// Runs every check on a decision. A failed check denies; `escalate` (which changes
/// nothing) is always allowed. In dry-run mode an allowed action is only planned.
pub fn evaluate(policy: &PolicyConfig, decision: &Decision, facts: &PolicyFacts) -> Verdict {
    let action = decision.action_name();
    let namespace = decision.target.as_ref().and_then(|t| t.namespace.as_deref());
    let ns_policy = namespace.and_then(|ns| policy.namespaces.get(ns));
    let mut checks = Vec::new();

    if !decision.action.kind().mutates() {
        checks.push(Check {
            name: "read_only".into(),
            passed: true,
            reason: format!("{action} changes nothing in the cluster"),
        });
        return Verdict {
            kind: VerdictKind::Allow,
            dry_run: policy.mode == Mode::DryRun,
            checks,
        };
    }

    let protected = namespace.filter(|ns| policy.protected_namespaces.iter().any(|p| p == ns));
    checks.push(match protected {
        Some(ns) => Check {
            name: "protected_namespace".into(),
            passed: false,
            reason: format!("namespace {ns} is protected: medic never changes it"),
        },
        None => Check {
            name: "protected_namespace".into(),
            passed: true,
            reason: match namespace {
                Some(ns) => format!("namespace {ns} is not protected"),
                None => "the target is cluster-scoped".into(),
            },
        },
    });

    checks.push(list_check(
        "allowed_actions",
        "globally",
        action,
        &policy.allowed_actions,
        &policy.denied_actions,
    ));
    if let (Some(ns), Some(np)) = (namespace, ns_policy) {
        checks.push(list_check(
            "namespace_actions",
            &format!("in namespace {ns}"),
            action,
            &np.allowed_actions,
            &np.denied_actions,
        ));
    }

    if let Some(check) = &facts.oscillation {
        checks.push(check.clone());
    }

    let ns_mode = ns_policy.and_then(|p| p.mode).unwrap_or(policy.mode);
    let dry_run = policy.mode == Mode::DryRun || ns_mode == Mode::DryRun;
    let approve = !dry_run && (policy.mode == Mode::Approve || ns_mode == Mode::Approve);
    let kind = if !checks.iter().all(|c| c.passed) {
        VerdictKind::Deny
    } else if approve && facts.approval.is_none() {
        VerdictKind::Hold
    } else {
        VerdictKind::Allow
    };
    checks.push(Check {
        name: "mode".into(),
        passed: true,
        reason: if dry_run {
            "dry-run: the action is planned, not executed".into()
        } else {
            "autonomous: allowed actions are carried out".into()
        },
    });
    Verdict { kind, dry_run, checks }
}

fn list_check(name: &str, scope: &str, action: &str, allowed: &[String], denied: &[String]) -> Check {
    let (passed, reason) = if denied.iter().any(|a| a == action) {
        (false, format!("{action} is denied {scope}"))
    } else if !allowed.is_empty() && !allowed.iter().any(|a| a == action) {
        (
            false,
            format!(
                "{action} is not among the actions allowed {scope} ({})",
                allowed.join(", ")
            ),
        )
    } else {
        (true, format!("{action} is permitted {scope}"))
    };
    Check {
        name: name.into(),
        passed,
        reason,
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
        assert!(
            ev(&p, &d)
                .summary()
                .contains("not among the actions allowed globally")
        );

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
