//! Which actions to offer the model for an incident: those the policy could allow on the
//! object they would act on (the static checks, shared with the policy stage), and that
//! fit an object the incident knows. The model is not
//! offered what would be refused; the policy stage still checks whatever it answers.

use crate::actions::read::WORKLOAD_KINDS;
use crate::actions::{ActionKind, ActionSettings};
use crate::cluster::ObjectRef;
use crate::context::Context;
use crate::incident::Incident;
use crate::policy::PolicyConfig;
use crate::policy::checks::listed;

/// The kinds an answer or a tool may name, with whether they are namespaced.
pub const KINDS: &[(&str, bool)] = &[
    ("Pod", true),
    ("Deployment", true),
    ("ReplicaSet", true),
    ("StatefulSet", true),
    ("DaemonSet", true),
    ("Job", true),
    ("CronJob", true),
    ("HorizontalPodAutoscaler", true),
    ("PersistentVolumeClaim", true),
    ("PodDisruptionBudget", true),
    ("Service", true),
    ("ConfigMap", true),
    ("NetworkPolicy", true),
    ("Node", false),
    ("Namespace", false),
    ("PersistentVolume", false),
    ("StorageClass", false),
];

/// The canonical spelling of a kind named by a model (`deployment` → `Deployment`).
pub fn canonical_kind(kind: &str) -> Option<(&'static str, bool)> {
    KINDS.iter().copied().find(|(k, _)| k.eq_ignore_ascii_case(kind.trim()))
}

/// Whether two references name the same object (kind name, namespace and name; the
/// API version is not compared).
pub fn same_object(a: &ObjectRef, b: &ObjectRef) -> bool {
    a.kind.kind == b.kind.kind && a.namespace == b.namespace && a.name == b.name
}

/// Whether an action acts on objects of `kind`: directly, or through the workload that
/// owns a pod or ReplicaSet (as the action planner resolves it).
pub fn kind_fits(action: ActionKind, kind: &str) -> bool {
    let wanted = action.target_kinds();
    wanted.is_empty()
        || wanted.contains(&kind)
        || (action != ActionKind::RestartPod
            && wanted.iter().all(|w| WORKLOAD_KINDS.contains(w))
            && matches!(kind, "Pod" | "ReplicaSet"))
}

/// The objects an answer may target: the alert's target, its owners and workload, the
/// concerned pods and the node.
pub fn candidates(incident: &Incident, context: &Context) -> Vec<ObjectRef> {
    let mut out: Vec<ObjectRef> = Vec::new();
    let mut add = |r: ObjectRef| {
        if !out.contains(&r) {
            out.push(r);
        }
    };
    if let Some(t) = &context.target {
        add(t.clone());
    }
    if let Some(t) = &incident.target {
        add(ObjectRef::from_target(t));
    }
    context.owners.iter().cloned().for_each(&mut add);
    if let Some(w) = &context.workload {
        add(w.reference.clone());
    }
    let namespace = namespace_of(incident, context);
    if let Some(ns) = &namespace {
        for p in &context.pods {
            add(ObjectRef::namespaced("Pod", ns, &p.name));
        }
    }
    if let Some(n) = &context.node {
        add(ObjectRef::cluster_scoped("Node", &n.name));
    }
    for node in context.pods.iter().filter_map(|p| p.node.as_deref()) {
        add(ObjectRef::cluster_scoped("Node", node));
    }
    out
}

/// The incident's namespace: its target's, else the `namespace` label.
pub fn namespace_of(incident: &Incident, context: &Context) -> Option<String> {
    context
        .target
        .as_ref()
        .and_then(|t| t.namespace.clone())
        .or_else(|| incident.target.as_ref().and_then(|t| t.namespace.clone()))
        .or_else(|| incident.labels.get("namespace").cloned())
}

/// Whether the policy could allow `action` on an object in `namespace` (`None`:
/// cluster-scoped), by the checks of [`crate::policy::evaluate()`] that depend on nothing
/// but the action and the namespace: protected namespaces and the global and
/// per-namespace allowed/denied lists (the same functions). The other checks (cooldowns,
/// rate limits, blast radius, windows, the risk ceiling) depend on the moment and the
/// plan, or only hold an action for approval: the policy stage applies them to the
/// answer. Actions that change nothing are always allowed.
pub fn policy_allows(policy: &PolicyConfig, action: ActionKind, namespace: Option<&str>) -> bool {
    if !action.mutates() {
        return true;
    }
    let name = action.name();
    if !listed(name, &policy.allowed_actions, &policy.denied_actions) {
        return false;
    }
    let Some(ns) = namespace else { return true };
    if policy.is_protected(ns) {
        return false;
    }
    policy
        .namespaces
        .get(ns)
        .is_none_or(|np| listed(name, &np.allowed_actions, &np.denied_actions))
}

/// Whether the configuration gives an action something to work with: `run_job` needs Job
/// templates, `exec_command` allow-listed commands, `patch_resource` patchable kinds,
/// `notify` channels. Other actions need nothing.
pub fn configured(settings: &ActionSettings, action: ActionKind) -> bool {
    match action {
        ActionKind::RunJob => !settings.job_templates.is_empty(),
        ActionKind::ExecCommand => !settings.exec_commands.is_empty(),
        ActionKind::PatchResource => !settings.patchable_kinds.is_empty(),
        ActionKind::Notify => !settings.notify.is_empty(),
        _ => true,
    }
}

/// The names an action's parameters must choose from (templates, commands, kinds,
/// channels), for the prompt; empty for other actions.
pub fn choices(settings: &ActionSettings, action: ActionKind) -> Vec<String> {
    match action {
        ActionKind::RunJob => settings
            .job_templates
            .iter()
            .map(|(name, t)| match &t.description {
                Some(d) => format!("{name} ({d})"),
                None => name.clone(),
            })
            .collect(),
        ActionKind::ExecCommand => settings.exec_commands.keys().cloned().collect(),
        ActionKind::PatchResource => settings.patchable_kinds.clone(),
        ActionKind::Notify => settings.notify.iter().map(|c| c.name.clone()).collect(),
        _ => Vec::new(),
    }
}

/// The actions to offer, in catalog order: `escalate` always; others when they are
/// [`configured`], some candidate target is of a kind they act on (a pod stands for its
/// workload when the workload is not known) and the policy allows them there.
pub fn allowed_actions(
    policy: &PolicyConfig,
    settings: &ActionSettings,
    incident: &Incident,
    context: &Context,
) -> Vec<ActionKind> {
    let targets = candidates(incident, context);
    // A pod stands for its workload only when the workload itself is not known.
    let workload_known = targets.iter().any(|t| WORKLOAD_KINDS.contains(&t.kind.kind.as_str()));
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|action| configured(settings, *action))
        .filter(|action| {
            if action.target_kinds().is_empty() {
                return policy_allows(policy, *action, namespace_of(incident, context).as_deref());
            }
            targets
                .iter()
                .filter(|t| {
                    action.target_kinds().contains(&t.kind.kind.as_str())
                        || (!workload_known && kind_fits(*action, &t.kind.kind))
                })
                .any(|t| policy_allows(policy, *action, t.namespace.as_deref()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::PodFacts;
    use crate::decide::rules::matcher::tests::incident;
    use crate::policy::NamespacePolicy;

    fn pod_context(ns: &str) -> Context {
        Context {
            target: Some(ObjectRef::namespaced("Pod", ns, "api-1")),
            owners: vec![
                ObjectRef::namespaced("ReplicaSet", ns, "api-6f"),
                ObjectRef::namespaced("Deployment", ns, "api"),
            ],
            pods: vec![PodFacts {
                name: "api-1".into(),
                phase: None,
                ready: false,
                node: Some("worker-1".into()),
                terminating: false,
                containers: vec![],
            }],
            ..Context::default()
        }
    }

    fn names(kinds: &[ActionKind]) -> Vec<&'static str> {
        kinds.iter().map(|k| k.name()).collect()
    }

    #[test]
    fn offers_what_fits_the_objects_and_the_policy() {
        let inc = incident("alertname: KubePodCrashLooping, namespace: shop, pod: api-1");
        let all = allowed_actions(
            &PolicyConfig::default(),
            &ActionSettings::default(),
            &inc,
            &pod_context("shop"),
        );
        let all = names(&all);
        for expected in [
            "restart_pod",
            "rollout_restart",
            "rollback_deployment",
            "increase_resources",
            "cordon_node",
            "escalate",
        ] {
            assert!(all.contains(&expected), "{expected} missing from {all:?}");
        }
        for absent in [
            "expand_pvc",
            "scale_statefulset",
            "retry_job",
            "suspend_cronjob",
            "run_job",
            "exec_command",
            "patch_resource",
            "notify",
        ] {
            assert!(!all.contains(&absent), "{absent} offered: {all:?}");
        }

        let mut policy = PolicyConfig {
            denied_actions: vec!["rollback_deployment".into()],
            ..PolicyConfig::default()
        };
        policy.namespaces.insert(
            "shop".into(),
            NamespacePolicy {
                allowed_actions: vec!["restart_pod".into()],
                ..NamespacePolicy::default()
            },
        );
        let some = allowed_actions(&policy, &ActionSettings::default(), &inc, &pod_context("shop"));
        let some = names(&some);
        assert!(
            some.contains(&"restart_pod") && some.contains(&"cordon_node"),
            "{some:?}"
        );
        assert!(
            !some.contains(&"rollback_deployment") && !some.contains(&"rollout_restart"),
            "{some:?}"
        );
    }

    #[test]
    fn configured_actions_are_offered_with_their_choices() {
        let settings: ActionSettings = serde_yaml_ng::from_str(
            "job_templates: {cache-flush: {image: 'redis:7', command: [redis-cli, FLUSHALL], description: empties the cache}}",
        )
        .unwrap();
        let inc = incident("alertname: KubePodCrashLooping, namespace: shop, pod: api-1");
        let offered = allowed_actions(&PolicyConfig::default(), &settings, &inc, &pod_context("shop"));
        assert!(offered.contains(&ActionKind::RunJob), "{offered:?}");
        assert_eq!(
            choices(&settings, ActionKind::RunJob),
            ["cache-flush (empties the cache)"]
        );
        assert!(choices(&settings, ActionKind::ExecCommand).is_empty());
    }

    #[test]
    fn protected_namespaces_get_only_what_changes_nothing_there() {
        let inc = incident("alertname: KubePodCrashLooping, namespace: kube-system, pod: api-1");
        let offered = allowed_actions(
            &PolicyConfig::default(),
            &ActionSettings::default(),
            &inc,
            &pod_context("kube-system"),
        );
        let offered = names(&offered);
        assert!(offered.contains(&"escalate"));
        assert!(!offered.contains(&"restart_pod"), "{offered:?}");
        // the node is cluster-scoped: not protected by the namespace
        assert!(offered.contains(&"cordon_node"), "{offered:?}");
    }
}
