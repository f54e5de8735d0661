//! The individual policy checks: each a pure function of the config, the decision and
//! the facts, returning a [`Step`] (a [`Check`] and what its failure does: refuse or
//! hold). Every reason names the values it compared.
//!
//! Nothing here reads the store or the cluster; [`super::evaluate()`] runs the checks and
//! composes the verdict.

use jiff::Timestamp;

use super::config::{Mode, PolicyConfig, Span, WindowEffect};
use super::facts::{Activity, Impact, PolicyFacts};
use super::verdict::Check;
use super::windows::open_at;
use crate::decide::Decision;

/// What a failed check does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The decision is denied.
    Refuse,
    /// The decision waits for a human's approval.
    Hold,
}

/// One check's result and effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The check.
    pub check: Check,
    /// What its failure does.
    pub effect: Effect,
}

fn step(name: &str, passed: bool, reason: String, effect: Effect) -> Step {
    Step {
        check: Check {
            name: name.into(),
            passed,
            reason,
        },
        effect,
    }
}

fn pass(name: &str, reason: String) -> Step {
    step(name, true, reason, Effect::Refuse)
}

fn refuse(name: &str, reason: String) -> Step {
    step(name, false, reason, Effect::Refuse)
}

/// What the checks are about: the action, its namespace, the mode there.
pub struct Subject<'a> {
    /// The action's catalog name.
    pub action: &'a str,
    /// The target's namespace; `None`: cluster-scoped (or no target).
    pub namespace: Option<&'a str>,
    /// The target as text, for reasons.
    pub target: Option<String>,
    /// The mode in that namespace.
    pub mode: Mode,
}

/// Namespaces medic never changes: the target's, and every namespace the plan touches.
pub fn protected_namespace(policy: &PolicyConfig, s: &Subject<'_>, facts: &PolicyFacts) -> Step {
    let name = "protected_namespace";
    if let Some(ns) = s.namespace.filter(|ns| policy.is_protected(ns)) {
        return refuse(name, format!("namespace {ns} is protected: medic never changes it"));
    }
    let touched: Vec<&str> = facts
        .impact
        .iter()
        .flat_map(|i| i.namespaces.iter())
        .map(String::as_str)
        .filter(|ns| policy.is_protected(ns))
        .collect();
    if !touched.is_empty() {
        return refuse(
            name,
            format!(
                "the plan of {} changes protected namespace {}: medic never changes it",
                s.action,
                touched.join(", ")
            ),
        );
    }
    pass(
        name,
        match s.namespace {
            Some(ns) => format!("namespace {ns} is not protected"),
            None => "the target is cluster-scoped and the plan changes no protected namespace".into(),
        },
    )
}

/// Whether an action is on the lists (`denied` wins; a non-empty `allowed` is exhaustive).
pub fn listed(action: &str, allowed: &[String], denied: &[String]) -> bool {
    !denied.iter().any(|a| a == action) && (allowed.is_empty() || allowed.iter().any(|a| a == action))
}

/// The global allowed/denied lists.
pub fn allowed_actions(policy: &PolicyConfig, s: &Subject<'_>) -> Step {
    list_check(
        "allowed_actions",
        "globally",
        s.action,
        &policy.allowed_actions,
        &policy.denied_actions,
    )
}

/// The namespace's allowed/denied lists.
pub fn namespace_actions(policy: &PolicyConfig, s: &Subject<'_>) -> Step {
    let name = "namespace_actions";
    let Some(ns) = s.namespace else {
        return pass(name, "the target is cluster-scoped: no namespace lists apply".into());
    };
    match policy.namespaces.get(ns) {
        Some(np) => list_check(
            name,
            &format!("in namespace {ns}"),
            s.action,
            &np.allowed_actions,
            &np.denied_actions,
        ),
        None => pass(name, format!("namespace {ns} has no overrides")),
    }
}

fn list_check(name: &str, scope: &str, action: &str, allowed: &[String], denied: &[String]) -> Step {
    if denied.iter().any(|a| a == action) {
        refuse(name, format!("{action} is denied {scope}"))
    } else if !allowed.is_empty() && !allowed.iter().any(|a| a == action) {
        refuse(
            name,
            format!(
                "{action} is not among the actions allowed {scope} ({})",
                allowed.join(", ")
            ),
        )
    } else {
        pass(name, format!("{action} is permitted {scope}"))
    }
}

/// Decisions of a language model must be confident enough.
pub fn confidence_floor(policy: &PolicyConfig, decision: &Decision) -> Step {
    let name = "confidence_floor";
    let floor = policy.confidence_floor;
    let by_model = decision.llm.is_some() || decision.decided_by.decider == "llm";
    if !by_model {
        return pass(
            name,
            format!(
                "decided by {} ({}), not a language model: the floor {floor:.2} does not apply",
                decision.decided_by.decider, decision.decided_by.name
            ),
        );
    }
    let c = decision.confidence;
    if c.is_finite() && c >= floor {
        pass(
            name,
            format!("the model's confidence {c:.2} is at least the floor {floor:.2}"),
        )
    } else {
        refuse(
            name,
            format!("the model's confidence {c:.2} is below the floor {floor:.2}"),
        )
    }
}

/// The activity, or the step to return when it is not known.
fn known_activity<'f>(name: &str, facts: &'f PolicyFacts) -> Result<&'f Activity, Step> {
    match (&facts.activity, &facts.activity_error) {
        (Some(a), _) => Ok(a),
        (None, Some(e)) => Err(refuse(
            name,
            format!("recent activity could not be read ({e}): not acting blind"),
        )),
        (None, None) => Err(pass(name, "not checked: no history store".into())),
    }
}

fn ago(now: Timestamp, then: Timestamp) -> String {
    let secs = (now.as_second() - then.as_second()).max(0);
    format!("{} ago", crate::decide::rules::matcher::format_duration(secs))
}

fn cooldown(name: &str, span: Span, what: &str, last: Option<Timestamp>, now: Timestamp) -> Step {
    if span.is_off() {
        return pass(name, format!("no cooldown for {what} (0s)"));
    }
    match last {
        Some(t) if now.as_second() - t.as_second() < span.as_secs() => {
            let until = t + jiff::SignedDuration::from_secs(span.as_secs());
            refuse(
                name,
                format!(
                    "{what} last started {} (at {t}), within the {span} cooldown: not again before {until}",
                    ago(now, t)
                ),
            )
        }
        Some(t) => pass(
            name,
            format!("{what} last started {}, beyond the {span} cooldown", ago(now, t)),
        ),
        None => pass(name, format!("{what}: none started within the {span} cooldown")),
    }
}

/// The same action on the same target, not again within the cooldown.
pub fn cooldown_action_target(policy: &PolicyConfig, s: &Subject<'_>, facts: &PolicyFacts) -> Step {
    let name = "cooldown_action_target";
    let activity = match known_activity(name, facts) {
        Ok(a) => a,
        Err(step) => return step,
    };
    let Some(target) = &s.target else {
        return pass(name, format!("{} has no target: no per-target cooldown", s.action));
    };
    cooldown(
        name,
        policy.cooldowns.action_target,
        &format!("{} on {target}", s.action),
        activity.last_on_target,
        facts.now,
    )
}

/// Any action for the same alert fingerprint, not again within the cooldown.
pub fn cooldown_fingerprint(policy: &PolicyConfig, facts: &PolicyFacts) -> Step {
    let name = "cooldown_fingerprint";
    let activity = match known_activity(name, facts) {
        Ok(a) => a,
        Err(step) => return step,
    };
    cooldown(
        name,
        policy.cooldowns.fingerprint,
        "actions for this alert (same fingerprint)",
        activity.last_on_fingerprint,
        facts.now,
    )
}

/// Actions started in the last hour, everywhere.
pub fn rate_limit(policy: &PolicyConfig, facts: &PolicyFacts) -> Step {
    let name = "rate_limit";
    let activity = match known_activity(name, facts) {
        Ok(a) => a,
        Err(step) => return step,
    };
    let (used, limit) = (activity.executed_last_hour, policy.rate_limits.per_hour);
    if used >= limit {
        refuse(
            name,
            format!("{used} actions started in the last hour: the limit is {limit} per hour"),
        )
    } else {
        pass(
            name,
            format!("{used} actions started in the last hour, under the limit of {limit} per hour"),
        )
    }
}

/// Actions started in the last hour in the target's namespace.
pub fn rate_limit_namespace(policy: &PolicyConfig, s: &Subject<'_>, facts: &PolicyFacts) -> Step {
    let name = "rate_limit_namespace";
    let activity = match known_activity(name, facts) {
        Ok(a) => a,
        Err(step) => return step,
    };
    let Some(ns) = s.namespace else {
        return pass(name, "the target is cluster-scoped: no namespace limit applies".into());
    };
    let (used, limit) = (
        activity.executed_last_hour_in_namespace,
        policy.namespace_rate_limit(ns),
    );
    if used >= limit {
        refuse(
            name,
            format!("{used} actions started in namespace {ns} in the last hour: the limit there is {limit} per hour"),
        )
    } else {
        pass(
            name,
            format!("{used} actions started in namespace {ns} in the last hour, under the limit of {limit}"),
        )
    }
}

/// Actions executing at once.
pub fn concurrency(policy: &PolicyConfig, facts: &PolicyFacts) -> Step {
    let name = "concurrency";
    let activity = match known_activity(name, facts) {
        Ok(a) => a,
        Err(step) => return step,
    };
    let (running, limit) = (activity.executing, policy.max_concurrent);
    if running >= limit {
        refuse(
            name,
            format!("{running} actions are executing: the limit is {limit} at once"),
        )
    } else {
        pass(
            name,
            format!("{running} actions executing, under the limit of {limit} at once"),
        )
    }
}

/// The impact, or the step to return when it is not known.
fn known_impact<'f>(name: &str, facts: &'f PolicyFacts) -> Result<&'f Impact, Step> {
    match (&facts.impact, &facts.impact_error) {
        (Some(i), _) => Ok(i),
        (None, Some(e)) => Err(refuse(
            name,
            format!("the plan's impact could not be read from the cluster ({e}): not acting blind"),
        )),
        (None, None) => Err(pass(name, "not checked: no plan".into())),
    }
}

fn pods_text(impact: &Impact) -> String {
    const SHOWN: usize = 5;
    let mut text = impact.pods.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if impact.pods.len() > SHOWN {
        text.push_str(&format!(" and {} more", impact.pods.len() - SHOWN));
    }
    text
}

/// Pods one action may take down.
pub fn blast_radius(policy: &PolicyConfig, s: &Subject<'_>, facts: &PolicyFacts) -> Step {
    let name = "blast_radius";
    let impact = match known_impact(name, facts) {
        Ok(i) => i,
        Err(step) => return step,
    };
    let (n, max) = (impact.pods_affected, policy.blast_radius.max_pods);
    let pods = if n == 1 { "pod" } else { "pods" };
    if n > max {
        refuse(
            name,
            format!(
                "{} would take down {n} {pods} ({}), more than the {max} allowed for one action",
                s.action,
                pods_text(impact)
            ),
        )
    } else if n == 0 {
        pass(name, format!("{} takes no running pod down (at most {max})", s.action))
    } else {
        pass(
            name,
            format!(
                "{} takes {n} {pods} down ({}), within the {max} allowed",
                s.action,
                pods_text(impact)
            ),
        )
    }
}

/// Ready replicas a workload keeps at the worst moment of an action that reduces them.
pub fn min_ready_replicas(policy: &PolicyConfig, facts: &PolicyFacts) -> Step {
    let name = "min_ready_replicas";
    let impact = match known_impact(name, facts) {
        Ok(i) => i,
        Err(step) => return step,
    };
    let min = policy.blast_radius.min_ready_replicas;
    let short: Vec<String> = impact
        .workloads
        .iter()
        .filter(|w| w.ready_after < w.ready_before && w.ready_after < min)
        .map(|w| format!("{} from {} to {}", w.workload, w.ready_before, w.ready_after))
        .collect();
    if !short.is_empty() {
        return refuse(
            name,
            format!(
                "ready replicas would fall below the minimum of {min}: {}",
                short.join(", ")
            ),
        );
    }
    match impact.workloads.iter().min_by_key(|w| w.ready_after) {
        Some(w) if w.ready_before == 0 => pass(
            name,
            format!("{} has no ready replica to lose (minimum {min})", w.workload),
        ),
        Some(w) => pass(
            name,
            format!(
                "{} keeps {} of {} ready replicas at the worst moment (minimum {min})",
                w.workload, w.ready_after, w.ready_before
            ),
        ),
        None => pass(name, format!("no workload loses ready replicas (minimum {min})")),
    }
}

/// PodDisruptionBudgets covering the disrupted pods.
pub fn pod_disruption_budget(policy: &PolicyConfig, facts: &PolicyFacts) -> Step {
    let name = "pod_disruption_budget";
    if !policy.blast_radius.honour_pdbs {
        return pass(name, "not checked: blast_radius.honour_pdbs is false".into());
    }
    let impact = match known_impact(name, facts) {
        Ok(i) => i,
        Err(step) => return step,
    };
    let broken: Vec<String> = impact
        .budgets
        .iter()
        .filter(|b| b.disruptions_planned > b.disruptions_allowed)
        .map(|b| {
            format!(
                "PodDisruptionBudget {} allows {} disruptions now, the plan makes {}",
                b.name, b.disruptions_allowed, b.disruptions_planned
            )
        })
        .collect();
    if !broken.is_empty() {
        return refuse(name, broken.join("; "));
    }
    if impact.budgets.is_empty() {
        return pass(name, "no PodDisruptionBudget covers the pods the plan disrupts".into());
    }
    let fine: Vec<String> = impact
        .budgets
        .iter()
        .map(|b| {
            format!(
                "{} allows {}, the plan makes {}",
                b.name, b.disruptions_allowed, b.disruptions_planned
            )
        })
        .collect();
    pass(name, format!("within the budgets: {}", fine.join("; ")))
}

/// Never the last ready replica of a workload.
pub fn last_replica(policy: &PolicyConfig, facts: &PolicyFacts) -> Step {
    let name = "last_replica";
    if !policy.blast_radius.never_last_replica {
        return pass(name, "not checked: blast_radius.never_last_replica is false".into());
    }
    let impact = match known_impact(name, facts) {
        Ok(i) => i,
        Err(step) => return step,
    };
    let last: Vec<&str> = impact
        .workloads
        .iter()
        .filter(|w| w.ready_before >= 1 && w.ready_after == 0)
        .map(|w| w.workload.as_str())
        .collect();
    if last.is_empty() {
        pass(name, "no workload loses its last ready replica".into())
    } else {
        refuse(
            name,
            format!("the plan would take down the last ready replica of {}", last.join(", ")),
        )
    }
}

/// The oscillation guard's finding, or that there was no history to look at.
pub fn oscillation(facts: &PolicyFacts) -> Step {
    match &facts.oscillation {
        Some(check) => Step {
            check: check.clone(),
            effect: Effect::Refuse,
        },
        None => pass("oscillation", "not checked: no history was read".into()),
    }
}

/// Maintenance windows open now (hold or deny, per window).
pub fn maintenance_window(policy: &PolicyConfig, s: &Subject<'_>, facts: &PolicyFacts) -> Step {
    let name = "maintenance_window";
    if policy.maintenance_windows.is_empty() {
        return pass(name, "no maintenance windows are configured".into());
    }
    let mut held = None;
    for w in &policy.maintenance_windows {
        match open_at(w, s.namespace, facts.now) {
            Err(e) => {
                return refuse(
                    name,
                    format!("maintenance window {} cannot be evaluated ({e}): not acting", w.name),
                );
            }
            Ok(None) => {}
            Ok(Some(open)) => {
                let closes = jiff::tz::TimeZone::get(&w.timezone)
                    .map(|tz| open.closes.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string())
                    .unwrap_or_else(|_| open.closes.to_string());
                let text = format!(
                    "maintenance window {} ({}, {} from {:?}) is open until {closes}",
                    w.name,
                    w.effect.as_str(),
                    w.duration,
                    w.schedule
                );
                match w.effect {
                    WindowEffect::Deny => return refuse(name, format!("{text}: actions are refused")),
                    WindowEffect::Hold => held = held.or(Some(text)),
                }
            }
        }
    }
    match held {
        Some(text) if s.mode == Mode::DryRun => pass(
            name,
            format!("{text}; dry-run plans only (outside dry-run the action would wait for approval)"),
        ),
        Some(text) => step(name, false, format!("{text}: actions wait for approval"), Effect::Hold),
        None => pass(
            name,
            format!(
                "no maintenance window is open ({} configured)",
                policy.maintenance_windows.len()
            ),
        ),
    }
}
