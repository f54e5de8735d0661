//! The rules decider: the first rule whose conditions hold proposes its action.
//!
//! For each rule in order, the [`Matcher`] evaluates its conditions; on a match the
//! rule's parameters are rendered ([`super::template`]), the typed action is built
//! ([`Action::from_parts`]) and its target selected ([`TargetSelector`]). When that fails
//! (a label the template needs is absent, parameters invalid after rendering, no object
//! to act on, or the caller's skip hook judges the action ineffective) the rule's
//! alternatives are tried in order, then the next rule. Everything skipped is recorded
//! in the decision's `alternatives`, with why.
//!
//! The decider must never read the cluster, the store or the history itself (history
//! reaches it only through the skip hook of [`RulesDecider::decide_with`]), and never
//! judges safety: the policy stage has the last word.

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::builtin;
use super::matcher::{MatchOutcome, Matched, Matcher, workload_of};
use super::spec::{RuleSpec, TargetSelector};
use super::template::{TemplateError, render, render_value};
use super::validate::validate_rules;
use crate::actions::{Action, ActionError, ActionKind, Bounds, Escalate};
use crate::cluster::ObjectRef;
use crate::context::{Context, PodFacts};
use crate::decide::{DecideError, DecidedBy, Decider, Decision};
use crate::incident::Incident;

/// The confidence of a rule that does not give one.
pub const DEFAULT_CONFIDENCE: f64 = 0.8;

/// A hook consulted before proposing a mutating action: given the action's catalog
/// name, `Some(why)` skips it (e.g. "mean effectiveness 0.2 after 3 attempts").
/// `escalate` is never offered to it: handing over to a human is always possible.
pub type SkipHook<'a> = &'a dyn Fn(&str) -> Option<String>;

struct CompiledRule {
    spec: RuleSpec,
    matcher: Matcher,
}

/// Proposes actions from playbook rules, first match wins.
pub struct RulesDecider {
    name: String,
    rules: Vec<CompiledRule>,
    bounds: Option<Bounds>,
}

impl std::fmt::Debug for RulesDecider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulesDecider")
            .field("name", &self.name)
            .field(
                "rules",
                &self.rules.iter().map(|r| r.spec.name.as_str()).collect::<Vec<_>>(),
            )
            .field("bounds", &self.bounds)
            .finish()
    }
}

/// Why one candidate action of a rule was not used.
struct NotUsed {
    why: String,
    /// The rule is broken for this incident (as opposed to not applying to it).
    broken: bool,
}

impl NotUsed {
    fn not_applicable(why: impl Into<String>) -> Self {
        NotUsed {
            why: why.into(),
            broken: false,
        }
    }

    fn broken(why: impl Into<String>) -> Self {
        NotUsed {
            why: why.into(),
            broken: true,
        }
    }
}

impl RulesDecider {
    /// Validates and compiles the rules. `name` is the decider's name in decisions
    /// (`rules` for the operator's rules, `builtin-rules` for the built-in pack) and the
    /// prefix of problem paths. Errors are every problem as (path, message).
    pub fn new(name: &str, rules: Vec<RuleSpec>) -> Result<Self, Vec<(String, String)>> {
        let problems = validate_rules(&rules, name);
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut compiled = Vec::with_capacity(rules.len());
        let mut problems = Vec::new();
        for (i, spec) in rules.into_iter().enumerate() {
            match Matcher::new(&spec.matches) {
                Ok(matcher) => compiled.push(CompiledRule { spec, matcher }),
                Err(p) => problems.extend(p.into_iter().map(|(path, m)| (format!("{name}[{i}].match.{path}"), m))),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(RulesDecider {
            name: name.to_string(),
            rules: compiled,
            bounds: None,
        })
    }

    /// The built-in rule pack for the kubernetes-mixin alerts (`config/rules/builtin.yaml`),
    /// named `builtin-rules`.
    pub fn builtin() -> Self {
        RulesDecider::new("builtin-rules", builtin::rules())
            .unwrap_or_else(|p| panic!("the built-in rule pack is invalid (a test checks it is not): {p:?}"))
    }

    /// Also checks proposed parameters against these bounds, so that an out-of-bounds
    /// action falls through to the rule's alternatives instead of being refused later by
    /// the policy stage. Without bounds, only the parameters' validity is checked.
    pub fn with_bounds(mut self, bounds: Bounds) -> Self {
        self.bounds = Some(bounds);
        self
    }

    /// The rules, in order.
    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.rules.iter().map(|r| &r.spec)
    }

    /// Decides like [`Decider::decide`], consulting `skip` before proposing any mutating
    /// action (see [`SkipHook`]).
    ///
    /// Returns `Ok(None)` when no rule matched, or when the matching rules did not apply
    /// (a template's label absent, no object to act on, skipped by the hook); an error
    /// when a matching rule is broken for this incident (its parameters are invalid once
    /// rendered), with every reason.
    pub fn decide_with(
        &self,
        incident: &Incident,
        context: &Context,
        skip: SkipHook<'_>,
    ) -> Result<Option<Decision>, DecideError> {
        let mut not_used: Vec<String> = Vec::new();
        let mut broken = false;
        for rule in &self.rules {
            let matched = match rule.matcher.evaluate(incident, context) {
                MatchOutcome::Matched(m) => m,
                MatchOutcome::NotMatched(why) => {
                    tracing::trace!(decider = %self.name, rule = %rule.spec.name, %why, "rule does not match");
                    continue;
                }
            };
            let spec = &rule.spec;
            let candidates = std::iter::once((&spec.action, &spec.params))
                .chain(spec.alternatives.iter().map(|a| (&a.action, &a.params)));
            let mut rule_failures: Vec<String> = Vec::new();
            for (index, (action_name, params)) in candidates.enumerate() {
                match self.try_action(spec, action_name, params, incident, context, skip) {
                    Ok((action, target)) => {
                        let own = if index == 0 {
                            self.own_rationale(spec, incident, context)
                        } else {
                            None
                        };
                        let rationale = rationale(own, spec, &action, &matched, &rule_failures, incident, context);
                        let mut alternatives = not_used;
                        alternatives.extend(
                            spec.alternatives
                                .iter()
                                .skip(index)
                                .map(|a| format!("{}: fallback of rule {}, not needed", a.action, spec.name)),
                        );
                        tracing::debug!(decider = %self.name, rule = %spec.name, action = action_name.as_str(), "rule proposes an action");
                        return Ok(Some(Decision {
                            action,
                            target,
                            rationale,
                            confidence: spec.confidence.unwrap_or(DEFAULT_CONFIDENCE),
                            decided_by: DecidedBy {
                                decider: self.name.clone(),
                                name: spec.name.clone(),
                            },
                            alternatives,
                            llm: None,
                        }));
                    }
                    Err(n) => {
                        tracing::debug!(decider = %self.name, rule = %spec.name, action = action_name.as_str(), why = %n.why, "action not used");
                        broken |= n.broken;
                        rule_failures.push(format!("{action_name}: {}", n.why));
                        not_used.push(format!("{action_name} (rule {}): {}", spec.name, n.why));
                    }
                }
            }
        }
        if broken {
            return Err(DecideError::Failed {
                decider: self.name.clone(),
                message: format!("no matching rule could propose an action: {}", not_used.join("; ")),
            });
        }
        if !not_used.is_empty() {
            tracing::info!(decider = %self.name, skipped = %not_used.join("; "), "matching rules did not apply");
        }
        Ok(None)
    }

    /// Renders, builds and aims one candidate action of a rule.
    fn try_action(
        &self,
        rule: &RuleSpec,
        action_name: &str,
        params: &Map<String, Value>,
        incident: &Incident,
        context: &Context,
        skip: SkipHook<'_>,
    ) -> Result<(Action, Option<ObjectRef>), NotUsed> {
        let kind =
            ActionKind::parse(action_name).ok_or_else(|| NotUsed::broken(format!("unknown action {action_name:?}")))?;
        if kind.mutates()
            && let Some(why) = skip(action_name)
        {
            return Err(NotUsed::not_applicable(format!("skipped: {why}")));
        }
        let rendered =
            render_value(&Value::Object(params.clone()), "params", incident, context).map_err(|(path, e)| match e {
                TemplateError::MissingLabel { .. }
                | TemplateError::MissingAnnotation { .. }
                | TemplateError::NoValue { .. } => NotUsed::not_applicable(format!("{path}: {e}")),
                _ => NotUsed::broken(format!("{path}: {e}")),
            })?;
        let action = Action::from_parts(action_name, rendered).map_err(|e| NotUsed::broken(e.to_string()))?;
        match action.validate(self.bounds.as_ref().unwrap_or(&Bounds::default())) {
            Ok(()) => {}
            Err(e @ ActionError::InvalidParams { .. }) => return Err(NotUsed::broken(e.to_string())),
            Err(e) if self.bounds.is_some() => return Err(NotUsed::not_applicable(e.to_string())),
            // Without the configured bounds, the default ones say nothing: the policy
            // stage checks the real ones.
            Err(_) => {}
        }
        let target = match select_target(rule.target, incident, context) {
            Ok(t) => Some(t),
            Err(_) if !kind.mutates() => alert_target(incident, context),
            Err(why) => return Err(NotUsed::not_applicable(why)),
        };
        Ok((action, target))
    }

    /// The rule's own rationale, rendered; `None` (logged) when a variable has no value.
    fn own_rationale(&self, rule: &RuleSpec, incident: &Incident, context: &Context) -> Option<String> {
        match render(rule.rationale.as_deref()?, incident, context) {
            Ok(text) => Some(text),
            Err(e) => {
                tracing::debug!(decider = %self.name, rule = %rule.name, error = %e, "rationale not rendered");
                None
            }
        }
    }
}

/// The decision's rationale: the rule's own (`own`, for its main action), else one
/// generated from the match; followed by the evidence, and for an alternative, why the
/// earlier actions were not used.
fn rationale(
    own: Option<String>,
    rule: &RuleSpec,
    action: &Action,
    matched: &Matched,
    failures: &[String],
    incident: &Incident,
    context: &Context,
) -> String {
    let mut text = match own {
        Some(t) => sentence(t.trim()),
        None => {
            let on = alert_target(incident, context)
                .map(|t| format!(" on {t}"))
                .unwrap_or_default();
            let reason = match action {
                Action::Escalate(Escalate { reason: Some(r) }) => format!(": {}", r.trim()),
                _ => String::new(),
            };
            sentence(&format!(
                "Rule {} matched {}{on}; it proposes {}{reason}",
                rule.name,
                incident.alertname,
                action.kind().name()
            ))
        }
    };
    if !matched.facts.is_empty() {
        let facts: Vec<&str> = matched.facts.iter().map(|f| f.trim_end_matches('.')).collect();
        text.push_str(&format!(" Evidence: {}.", facts.join("; ")));
    }
    if !failures.is_empty() {
        text.push_str(&format!(" Not used: {}.", failures.join("; ")));
    }
    text
}

fn sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// The object the alert names (else the context's target).
fn alert_target(incident: &Incident, context: &Context) -> Option<ObjectRef> {
    incident
        .target
        .as_ref()
        .map(ObjectRef::from_target)
        .or_else(|| context.target.clone())
}

fn namespace_of(incident: &Incident, context: &Context) -> Option<String> {
    incident
        .labels
        .get("namespace")
        .cloned()
        .or_else(|| incident.target.as_ref().and_then(|t| t.namespace.clone()))
        .or_else(|| context.target.as_ref().and_then(|t| t.namespace.clone()))
        .or_else(|| context.workload.as_ref().and_then(|w| w.reference.namespace.clone()))
}

fn unhealthy(pod: &PodFacts) -> bool {
    !pod.ready
        || pod.terminating
        || pod.phase.as_deref().is_some_and(|p| p != "Running")
        || pod.containers.iter().any(|c| c.waiting_reason.is_some())
}

/// Selects the object a rule's action is aimed at.
///
/// `auto` and `alert` are the alert's own target (the action planner resolves a pod to
/// its workload itself); `workload` is the outermost workload owning it; `pod` is the
/// pod the alert names, else the first unhealthy pod of the context; `node` is the
/// context's node, else the node the alert names, else the node of the alert's pod.
pub fn select_target(selector: TargetSelector, incident: &Incident, context: &Context) -> Result<ObjectRef, String> {
    let named = alert_target(incident, context);
    match selector {
        TargetSelector::Auto | TargetSelector::Alert => {
            named.ok_or_else(|| "the alert names no Kubernetes object to act on".to_string())
        }
        TargetSelector::Workload => workload_of(incident, context).ok_or_else(|| match &named {
            Some(t) => format!("no workload (Deployment, StatefulSet, DaemonSet, Job, CronJob) owns {t}"),
            None => "the alert names no Kubernetes object, so no workload".to_string(),
        }),
        TargetSelector::Pod => {
            if let Some(t) = named.as_ref().filter(|t| t.kind.is("Pod")) {
                return Ok(t.clone());
            }
            let pod = context
                .pods
                .iter()
                .find(|p| unhealthy(p))
                .ok_or_else(|| "no unhealthy pod is known for the alert".to_string())?;
            let ns = namespace_of(incident, context)
                .ok_or_else(|| format!("the namespace of pod {} is not known", pod.name))?;
            Ok(ObjectRef::namespaced("Pod", &ns, &pod.name))
        }
        TargetSelector::Node => {
            if let Some(n) = &context.node {
                return Ok(ObjectRef::cluster_scoped("Node", &n.name));
            }
            if let Some(t) = named.as_ref().filter(|t| t.kind.is("Node")) {
                return Ok(t.clone());
            }
            let pod_name = named.as_ref().filter(|t| t.kind.is("Pod")).map(|t| t.name.as_str());
            context
                .pods
                .iter()
                .find(|p| Some(p.name.as_str()) == pod_name)
                .or_else(|| context.pods.first())
                .and_then(|p| p.node.as_deref())
                .map(|n| ObjectRef::cluster_scoped("Node", n))
                .ok_or_else(|| "no node is known for the alert".to_string())
        }
    }
}

#[async_trait]
impl Decider for RulesDecider {
    fn name(&self) -> &str {
        &self.name
    }

    /// Decides, skipping the actions the context's history judges ineffective for this
    /// alert on this workload (see [`crate::history::HistoryFacts::skip_reason`]).
    async fn decide(&self, incident: &Incident, context: &Context) -> Result<Option<Decision>, DecideError> {
        let history = context.history.as_ref();
        self.decide_with(incident, context, &|action| history.and_then(|h| h.skip_reason(action)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::actions::{IncreaseResources, RestartPod};
    use crate::context::{ContainerFacts, NodeFacts, WorkloadFacts};
    use crate::decide::Chain;
    use crate::decide::rules::matcher::tests::incident;

    fn decider(yaml: &str) -> RulesDecider {
        RulesDecider::new("rules", serde_yaml_ng::from_str(yaml).unwrap()).unwrap()
    }

    const CRASH: &str = "alertname: KubePodCrashLooping, namespace: shop, pod: api-6f-x1, container: api, \
                         job: kube-state-metrics, service: kube-state-metrics, severity: warning";

    fn oom_ctx() -> Context {
        Context {
            target: Some(ObjectRef::namespaced("Pod", "shop", "api-6f-x1")),
            target_found: true,
            owners: vec![
                ObjectRef::namespaced("ReplicaSet", "shop", "api-6f"),
                ObjectRef::namespaced("Deployment", "shop", "api"),
            ],
            workload: Some(WorkloadFacts {
                reference: ObjectRef::namespaced("Deployment", "shop", "api"),
                replicas: Some(2),
                ready_replicas: Some(1),
                available_replicas: Some(1),
                revision: Some(3),
                previous_revision: Some(2),
                revision_age_seconds: Some(86_400 * 9),
                paused: false,
                progressing_reason: None,
            }),
            pods: vec![PodFacts {
                name: "api-6f-x1".into(),
                phase: Some("Running".into()),
                ready: false,
                node: Some("worker-2".into()),
                terminating: false,
                containers: vec![ContainerFacts {
                    name: "api".into(),
                    ready: false,
                    restart_count: 5,
                    waiting_reason: Some("CrashLoopBackOff".into()),
                    waiting_message: None,
                    last_termination_reason: Some("OOMKilled".into()),
                    last_exit_code: Some(137),
                    image: Some("shop/api:1.4".into()),
                    memory_limit: Some("256Mi".into()),
                    cpu_limit: None,
                }],
            }],
            ..Context::default()
        }
    }

    const OOM_RULES: &str = r#"
- name: oom
  match: {alertname: KubePodCrashLooping, context: {last_termination_reason: OOMKilled}}
  action: increase_resources
  params: {container: "{{ container }}", memory_factor: 1.5}
  target: workload
  confidence: 0.9
  rationale: "Container {{ container }} ran out of memory; raise its limit by 50%"
  alternatives:
    - {action: escalate, params: {reason: "{{ labels.pod }} keeps running out of memory"}}
- name: crash
  match: {alertname: KubePodCrashLooping}
  action: escalate
"#;

    #[test]
    fn first_matching_rule_decides_with_rendered_params_and_evidence() {
        let d = decider(OOM_RULES);
        let decision = d.decide_with(&incident(CRASH), &oom_ctx(), &|_| None).unwrap().unwrap();
        assert_eq!(
            decision.action,
            Action::IncreaseResources(IncreaseResources {
                container: Some("api".into()),
                memory_factor: Some(1.5),
                ..IncreaseResources::default()
            })
        );
        assert_eq!(
            decision.target,
            Some(ObjectRef::namespaced("Deployment", "shop", "api"))
        );
        assert_eq!(decision.confidence, 0.9);
        assert_eq!(
            decision.decided_by,
            DecidedBy {
                decider: "rules".into(),
                name: "oom".into()
            }
        );
        assert_eq!(
            decision.rationale,
            "Container api ran out of memory; raise its limit by 50%. Evidence: container api (pod api-6f-x1) \
             last terminated OOMKilled (exit 137)."
        );
        assert_eq!(
            decision.alternatives,
            vec!["escalate: fallback of rule oom, not needed"]
        );
    }

    #[test]
    fn skip_hook_moves_to_the_alternative_and_says_why() {
        let d = decider(OOM_RULES);
        let skip =
            |action: &str| (action == "increase_resources").then(|| "mean score 0.2 after 3 attempts".to_string());
        let decision = d.decide_with(&incident(CRASH), &oom_ctx(), &skip).unwrap().unwrap();
        assert_eq!(
            decision.action,
            Action::Escalate(Escalate {
                reason: Some("api-6f-x1 keeps running out of memory".into())
            })
        );
        assert_eq!(decision.decided_by.name, "oom");
        assert_eq!(
            decision.alternatives,
            vec!["increase_resources (rule oom): skipped: mean score 0.2 after 3 attempts"]
        );
        assert!(
            decision
                .rationale
                .starts_with("Rule oom matched KubePodCrashLooping on pod/shop/api-6f-x1")
        );
        assert!(
            decision
                .rationale
                .ends_with("Not used: increase_resources: skipped: mean score 0.2 after 3 attempts."),
            "{}",
            decision.rationale
        );
    }

    #[test]
    fn missing_label_skips_to_the_next_rule() {
        let d = decider(
            r#"
- name: needs-deployment-label
  action: rollout_restart
  target: alert
  params: {}
  rationale: "{{ labels.deployment }} is stuck"
  alternatives: [{action: escalate, params: {reason: "{{ labels.deployment }}"}}]
- name: generic
  action: restart_pod
  target: pod
"#,
        );
        let d2 = decider(
            r#"
- name: uses-missing-label
  action: escalate
  params: {reason: "{{ labels.deployment }} is stuck"}
- name: generic
  action: restart_pod
  target: pod
"#,
        );
        // the first rule's action needs no label; its rationale does: generated instead
        let decision = d.decide_with(&incident(CRASH), &oom_ctx(), &|_| None).unwrap().unwrap();
        assert_eq!(decision.decided_by.name, "needs-deployment-label");
        assert!(decision.rationale.starts_with("Rule needs-deployment-label matched"));
        let decision = d2
            .decide_with(&incident(CRASH), &oom_ctx(), &|_| None)
            .unwrap()
            .unwrap();
        assert_eq!(decision.decided_by.name, "generic");
        assert_eq!(decision.action, Action::RestartPod(RestartPod { force: false }));
        assert_eq!(decision.target, Some(ObjectRef::namespaced("Pod", "shop", "api-6f-x1")));
        assert_eq!(
            decision.alternatives,
            vec!["escalate (rule uses-missing-label): params.reason: label \"deployment\" is absent from the alert"]
        );
    }

    #[test]
    fn no_match_passes_and_broken_params_fail_with_reasons() {
        let d = decider(OOM_RULES);
        let other = incident("alertname: KubeNodeNotReady, node: worker-1, severity: warning");
        assert_eq!(d.decide_with(&other, &Context::default(), &|_| None).unwrap(), None);

        let broken = decider(
            r#"
- name: quantity-from-label
  action: increase_resources
  params: {memory: "{{ labels.service }}"}
"#,
        );
        let e = broken.decide_with(&incident(CRASH), &oom_ctx(), &|_| None).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("quantity-from-label"), "{text}");
        assert!(
            text.contains("\"kube-state-metrics\" is not a Kubernetes quantity"),
            "{text}"
        );
    }

    #[test]
    fn bounds_send_out_of_bounds_actions_to_the_alternative() {
        let rules = r#"
- name: big
  action: increase_resources
  params: {memory_factor: 3}
  alternatives: [{action: increase_resources, params: {memory_factor: 1.5}}]
"#;
        let loose = decider(rules);
        let d = loose
            .decide_with(&incident(CRASH), &oom_ctx(), &|_| None)
            .unwrap()
            .unwrap();
        assert_eq!(d.action.params_json()["memory_factor"], 3.0);
        let tight = decider(rules).with_bounds(Bounds {
            max_resource_factor: 2.0,
            ..Bounds::default()
        });
        let d = tight
            .decide_with(&incident(CRASH), &oom_ctx(), &|_| None)
            .unwrap()
            .unwrap();
        assert_eq!(d.action.params_json()["memory_factor"], 1.5);
        assert!(
            d.alternatives[0].contains("max_resource_factor"),
            "{:?}",
            d.alternatives
        );
    }

    #[test]
    fn target_selectors() {
        let ctx = oom_ctx();
        let crash = incident(CRASH);
        assert_eq!(
            select_target(TargetSelector::Auto, &crash, &ctx).unwrap().to_string(),
            "pod/shop/api-6f-x1"
        );
        assert_eq!(
            select_target(TargetSelector::Workload, &crash, &ctx)
                .unwrap()
                .to_string(),
            "deployment/shop/api"
        );
        assert_eq!(
            select_target(TargetSelector::Node, &crash, &ctx).unwrap().to_string(),
            "node/worker-2"
        );
        let deployment_alert = incident("alertname: KubeDeploymentReplicasMismatch, namespace: shop, deployment: api");
        let mut deploy_ctx = ctx.clone();
        deploy_ctx.target = Some(ObjectRef::namespaced("Deployment", "shop", "api"));
        deploy_ctx.owners.clear();
        deploy_ctx.pods.insert(
            0,
            PodFacts {
                name: "api-6f-ok".into(),
                phase: Some("Running".into()),
                ready: true,
                node: None,
                terminating: false,
                containers: vec![],
            },
        );
        assert_eq!(
            select_target(TargetSelector::Pod, &deployment_alert, &deploy_ctx)
                .unwrap()
                .to_string(),
            "pod/shop/api-6f-x1"
        );
        deploy_ctx.node = Some(NodeFacts {
            name: "worker-9".into(),
            ready: true,
            unschedulable: false,
            conditions: vec![],
        });
        assert_eq!(
            select_target(TargetSelector::Node, &deployment_alert, &deploy_ctx)
                .unwrap()
                .to_string(),
            "node/worker-9"
        );
        let bare = incident("alertname: KubeMemoryOvercommit, severity: warning");
        assert!(select_target(TargetSelector::Workload, &bare, &Context::default()).is_err());
        assert!(select_target(TargetSelector::Auto, &bare, &Context::default()).is_err());
    }

    #[test]
    fn new_reports_problems_with_the_decider_name_as_prefix() {
        let problems =
            RulesDecider::new("rules", serde_yaml_ng::from_str("- {name: x, action: nope}").unwrap()).unwrap_err();
        assert_eq!(problems[0].0, "rules[0].action");
    }

    #[tokio::test]
    async fn user_rules_are_tried_before_the_builtin_pack() {
        let user = decider(
            r#"
- name: shop-api-oom-restart
  description: our api leaks; a restart buys a day
  match: {alertname: KubePodCrashLooping, labels: {namespace: shop}}
  action: rollout_restart
  target: workload
  confidence: 0.7
"#,
        );
        let chain = Chain::new(vec![Arc::new(user), Arc::new(RulesDecider::builtin())]);
        let d = chain.decide(&incident(CRASH), &oom_ctx()).await.unwrap().unwrap();
        assert_eq!(d.decided_by.decider, "rules");
        assert_eq!(d.decided_by.name, "shop-api-oom-restart");
        assert_eq!(d.action_name(), "rollout_restart");

        // another namespace: the user's rule does not match, the built-in pack answers
        let elsewhere = incident(&CRASH.replace("namespace: shop", "namespace: web"));
        let d = chain.decide(&elsewhere, &oom_ctx()).await.unwrap().unwrap();
        assert_eq!(d.decided_by.decider, "builtin-rules");
        assert_eq!(d.action_name(), "increase_resources");
    }
}
