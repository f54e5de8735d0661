//! Evaluating a rule's `match:` conditions against an incident and its context.
//!
//! A [`Matcher`] is built once per rule (regular expressions compiled, durations parsed)
//! and then evaluated per incident. Evaluation says either which conditions held, in
//! words a human can check ("container api (pod api-1) last terminated OOMKilled (exit
//! 137)"), or the first condition that did not hold and why.
//!
//! Matching only reads the incident and the context it is given: it never reads the
//! cluster and never decides anything itself.

use regex::Regex;

use super::spec::{ContextMatch, MatchSpec, OneOrMany};
use crate::cluster::ObjectRef;
use crate::context::{ContainerFacts, Context, PodFacts};
use crate::incident::Incident;

/// The kinds that count as a workload owning a pod.
pub const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];

/// The longest event or waiting message quoted in a condition.
const MAX_MESSAGE: usize = 160;

/// The workload that owns the incident's target: the outermost workload among the
/// context's owners, else the context's workload, else the target itself when it is one.
pub fn workload_of(incident: &Incident, context: &Context) -> Option<ObjectRef> {
    let is_workload = |r: &&ObjectRef| WORKLOAD_KINDS.contains(&r.kind.kind.as_str());
    context
        .owners
        .iter()
        .rev()
        .find(is_workload)
        .cloned()
        .or_else(|| context.workload.as_ref().map(|w| w.reference.clone()))
        .or_else(|| context.target.as_ref().filter(is_workload).cloned())
        .or_else(|| {
            incident
                .target
                .as_ref()
                .map(ObjectRef::from_target)
                .filter(|r| is_workload(&r))
        })
}

/// Parses a duration such as `90s`, `30m`, `2h`, `1d` or `1h30m` into seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a duration (expected e.g. 90s, 30m, 2h, 1d or 1h30m)");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: i64 = digits.parse().map_err(|_| bad())?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(format!("{text:?} is zero: give a positive duration"));
    }
    Ok(total)
}

/// Formats seconds the way [`parse_duration`] reads them, to the two largest units.
pub fn format_duration(seconds: i64) -> String {
    if seconds < 60 {
        return format!("{seconds}s");
    }
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (size, name) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            parts.push(format!("{n}{name}"));
        } else if !parts.is_empty() {
            break;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.concat()
}

/// The result of evaluating a rule's conditions.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchOutcome {
    /// Every condition held.
    Matched(Matched),
    /// The first condition that did not hold, and why.
    NotMatched(String),
}

/// The conditions that held, in words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matched {
    /// Conditions on the alert itself (`alertname is KubePodCrashLooping`).
    pub alert: Vec<String>,
    /// Facts from the cluster context (`2 of 3 replicas ready`): the evidence.
    pub facts: Vec<String>,
}

/// A rule's conditions, compiled.
#[derive(Debug, Clone)]
pub struct Matcher {
    alertname: Option<Vec<String>>,
    severity: Option<Vec<String>>,
    labels: Vec<(String, Vec<String>)>,
    labels_regex: Vec<(String, String, Regex)>,
    context: Option<(ContextMatch, Option<i64>)>,
}

impl Matcher {
    /// Compiles the conditions. Errors are (path below `match`, message), every problem
    /// at once: `labels_regex.pod`, `context.revision_younger_than`, `alertname`.
    pub fn new(spec: &MatchSpec) -> Result<Matcher, Vec<(String, String)>> {
        let mut problems = Vec::new();
        fn one_of(problems: &mut Vec<(String, String)>, path: String, v: &OneOrMany) -> Vec<String> {
            let values: Vec<String> = v.values().into_iter().map(str::to_string).collect();
            if values.is_empty() {
                problems.push((path, "an empty list never matches: give at least one value".to_string()));
            }
            values
        }
        let alertname = spec
            .alertname
            .as_ref()
            .map(|v| one_of(&mut problems, "alertname".into(), v));
        let severity = spec
            .severity
            .as_ref()
            .map(|v| one_of(&mut problems, "severity".into(), v));
        let labels = spec
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), one_of(&mut problems, format!("labels.{k}"), v)))
            .collect();
        let mut context = None;
        if let Some(c) = &spec.context {
            for (name, v) in [
                ("target_kind", &c.target_kind),
                ("workload_kind", &c.workload_kind),
                ("last_termination_reason", &c.last_termination_reason),
                ("waiting_reason", &c.waiting_reason),
                ("event_reason", &c.event_reason),
                ("progressing_reason", &c.progressing_reason),
            ] {
                if let Some(v) = v {
                    one_of(&mut problems, format!("context.{name}"), v);
                }
            }
            let mut age = None;
            if let Some(d) = &c.revision_younger_than {
                match parse_duration(d) {
                    Ok(s) => age = Some(s),
                    Err(e) => problems.push(("context.revision_younger_than".into(), e)),
                }
            }
            if c.log_contains.as_deref().is_some_and(|s| s.trim().is_empty()) {
                problems.push((
                    "context.log_contains".into(),
                    "an empty text matches every log: give the text to look for".into(),
                ));
            }
            if let Some(n) = c.restart_count_over
                && n < 0
            {
                problems.push((
                    "context.restart_count_over".into(),
                    format!("must be 0 or more, found {n}"),
                ));
            }
            context = Some((c.clone(), age));
        }
        let mut labels_regex = Vec::new();
        for (k, re) in &spec.labels_regex {
            match Regex::new(&format!("^(?:{re})$")) {
                Ok(compiled) => labels_regex.push((k.clone(), re.clone(), compiled)),
                Err(e) => problems.push((
                    format!("labels_regex.{k}"),
                    format!("invalid regular expression {re:?}: {e}"),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Matcher {
            alertname,
            severity,
            labels,
            labels_regex,
            context,
        })
    }

    /// Evaluates the conditions, in the order alert name, severity, labels, label
    /// regexes, context; stops at the first that does not hold.
    pub fn evaluate(&self, incident: &Incident, context: &Context) -> MatchOutcome {
        match self.evaluate_inner(incident, context) {
            Ok(m) => MatchOutcome::Matched(m),
            Err(why) => MatchOutcome::NotMatched(why),
        }
    }

    fn evaluate_inner(&self, incident: &Incident, ctx: &Context) -> Result<Matched, String> {
        let mut m = Matched::default();
        if let Some(names) = &self.alertname {
            if !names.contains(&incident.alertname) {
                return Err(format!(
                    "alertname {:?} is not one of {}",
                    incident.alertname,
                    list(names)
                ));
            }
            m.alert.push(format!("alertname is {}", incident.alertname));
        }
        if let Some(sevs) = &self.severity {
            match &incident.severity {
                Some(s) if sevs.contains(s) => m.alert.push(format!("severity is {s}")),
                Some(s) => return Err(format!("severity {s:?} is not one of {}", list(sevs))),
                None => return Err(format!("the alert has no severity (wanted one of {})", list(sevs))),
            }
        }
        for (k, values) in &self.labels {
            match incident.labels.get(k) {
                Some(v) if values.contains(v) => m.alert.push(format!("label {k}={v:?}")),
                Some(v) => return Err(format!("label {k}={v:?} is not one of {}", list(values))),
                None => return Err(format!("the alert has no label {k:?}")),
            }
        }
        for (k, source, re) in &self.labels_regex {
            match incident.labels.get(k) {
                Some(v) if re.is_match(v) => m.alert.push(format!("label {k}={v:?} matches {source:?}")),
                Some(v) => return Err(format!("label {k}={v:?} does not match {source:?}")),
                None => return Err(format!("the alert has no label {k:?}")),
            }
        }
        if let Some((c, age)) = &self.context {
            context_facts(c, *age, incident, ctx, &mut m.facts)?;
        }
        Ok(m)
    }
}

fn list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

fn short(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_MESSAGE {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_MESSAGE).collect();
    format!("{cut}…")
}

fn any_of(v: &OneOrMany, value: &str) -> bool {
    v.values().contains(&value)
}

/// The containers the conditions look at: every container of the context's pods, or
/// only those named by the alert's `container` label when it has one.
fn containers<'a>(incident: &Incident, ctx: &'a Context) -> Vec<(&'a PodFacts, &'a ContainerFacts)> {
    let wanted = incident.labels.get("container").filter(|c| !c.is_empty());
    ctx.containers()
        .filter(|(_, c)| wanted.is_none_or(|w| *w == c.name))
        .collect()
}

fn scope(incident: &Incident) -> String {
    match incident.labels.get("container").filter(|c| !c.is_empty()) {
        Some(c) => format!("container {c}"),
        None => "any container".into(),
    }
}

fn context_facts(
    c: &ContextMatch,
    age_limit: Option<i64>,
    incident: &Incident,
    ctx: &Context,
    facts: &mut Vec<String>,
) -> Result<(), String> {
    let target_text = || {
        ctx.target
            .clone()
            .or_else(|| incident.target.as_ref().map(ObjectRef::from_target))
            .map(|t| t.to_string())
            .unwrap_or_else(|| "the alert's target".into())
    };
    if let Some(want) = c.target_found {
        match (want, ctx.target_found) {
            (true, true) => facts.push(format!("{} exists", target_text())),
            (false, false) => facts.push(format!("{} was not found in the cluster", target_text())),
            (true, false) => return Err(format!("{} was not found in the cluster", target_text())),
            (false, true) => return Err(format!("{} exists", target_text())),
        }
    }
    if let Some(kinds) = &c.target_kind {
        let kind = ctx
            .target
            .as_ref()
            .map(|t| t.kind.kind.clone())
            .or_else(|| incident.target.as_ref().map(|t| t.kind.as_str().to_string()));
        match kind {
            Some(k) if any_of(kinds, &k) => facts.push(format!("the target is a {k}")),
            Some(k) => return Err(format!("the target is a {k}, not one of {}", kinds.values().join(", "))),
            None => return Err("the alert names no Kubernetes object".into()),
        }
    }
    if let Some(kinds) = &c.workload_kind {
        match workload_of(incident, ctx) {
            Some(w) if any_of(kinds, &w.kind.kind) => {
                let is_target = ctx.target.as_ref() == Some(&w)
                    || incident.target.as_ref().map(ObjectRef::from_target).as_ref() == Some(&w);
                facts.push(if is_target {
                    format!("the target is a {}", w.kind)
                } else {
                    format!("owned by {w}")
                });
            }
            Some(w) => {
                return Err(format!("the workload {w} is not a {}", kinds.values().join(" or ")));
            }
            None => return Err("no controller owns the target".into()),
        }
    }
    let concerned = containers(incident, ctx);
    if let Some(reasons) = &c.last_termination_reason {
        let hit = concerned.iter().find(|(_, ct)| {
            ct.last_termination_reason
                .as_deref()
                .is_some_and(|r| any_of(reasons, r))
        });
        match hit {
            Some((pod, ct)) => {
                let exit = ct.last_exit_code.map(|e| format!(" (exit {e})")).unwrap_or_default();
                facts.push(format!(
                    "container {} (pod {}) last terminated {}{exit}",
                    ct.name,
                    pod.name,
                    ct.last_termination_reason.as_deref().unwrap_or_default()
                ));
            }
            None => {
                return Err(format!(
                    "{} last terminated {}{}",
                    no_container(incident, &concerned),
                    reasons.values().join(" or "),
                    seen(&concerned, |ct| ct.last_termination_reason.clone())
                ));
            }
        }
    }
    if let Some(reasons) = &c.waiting_reason {
        let hit = concerned
            .iter()
            .find(|(_, ct)| ct.waiting_reason.as_deref().is_some_and(|r| any_of(reasons, r)));
        match hit {
            Some((pod, ct)) => {
                let message = ct
                    .waiting_message
                    .as_deref()
                    .filter(|m| !m.is_empty())
                    .map(|m| format!(" ({})", short(m)))
                    .unwrap_or_default();
                facts.push(format!(
                    "container {} (pod {}) is waiting: {}{message}",
                    ct.name,
                    pod.name,
                    ct.waiting_reason.as_deref().unwrap_or_default()
                ));
            }
            None => {
                return Err(format!(
                    "{} waits with reason {}{}",
                    no_container(incident, &concerned),
                    reasons.values().join(" or "),
                    seen(&concerned, |ct| ct.waiting_reason.clone())
                ));
            }
        }
    }
    if let Some(limit) = c.restart_count_over {
        let most = concerned.iter().max_by_key(|(_, ct)| ct.restart_count);
        match most {
            Some((pod, ct)) if ct.restart_count > limit => facts.push(format!(
                "container {} (pod {}) restarted {} times",
                ct.name, pod.name, ct.restart_count
            )),
            Some((_, ct)) => {
                return Err(format!(
                    "{} restarted more than {limit} times (most: {}, {} times)",
                    no_container(incident, &concerned),
                    ct.name,
                    ct.restart_count
                ));
            }
            None => return Err(format!("no state known for {}", scope(incident))),
        }
    }
    let workload = ctx.workload.as_ref();
    let workload_name = || {
        workload
            .map(|w| w.reference.to_string())
            .unwrap_or_else(|| "the workload".into())
    };
    if let Some(limit) = age_limit {
        match workload.and_then(|w| w.revision_age_seconds) {
            Some(age) if age < limit => {
                let rev = workload
                    .and_then(|w| w.revision)
                    .map(|r| format!("revision {r}"))
                    .unwrap_or_else(|| "the current revision".into());
                facts.push(format!(
                    "{rev} of {} is {} old (younger than {})",
                    workload_name(),
                    format_duration(age),
                    format_duration(limit)
                ));
            }
            Some(age) => {
                return Err(format!(
                    "the current revision of {} is {} old, not younger than {}",
                    workload_name(),
                    format_duration(age),
                    format_duration(limit)
                ));
            }
            None => return Err("the age of the workload's current revision is not known".into()),
        }
    }
    if let Some(want) = c.has_previous_revision {
        let previous = workload.and_then(|w| w.previous_revision);
        match (want, previous) {
            (true, Some(p)) => facts.push(format!("revision {p} of {} exists to roll back to", workload_name())),
            (true, None) => return Err(format!("{} has no previous revision to roll back to", workload_name())),
            (false, None) => facts.push(format!("{} has no previous revision", workload_name())),
            (false, Some(p)) => return Err(format!("{} has a previous revision ({p})", workload_name())),
        }
    }
    if let Some(want) = c.node_ready {
        match &ctx.node {
            Some(n) if n.ready == want => {
                let state = if n.ready { "Ready" } else { "NotReady" };
                let conditions = if n.conditions.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", n.conditions.join(", "))
                };
                facts.push(format!("node {} is {state}{conditions}", n.name));
            }
            Some(n) => {
                let state = if n.ready { "Ready" } else { "NotReady" };
                return Err(format!("node {} is {state}", n.name));
            }
            None => return Err("the node is not known".into()),
        }
    }
    if let Some(reasons) = &c.event_reason {
        let hit = ctx
            .events
            .iter()
            .rev()
            .find(|e| e.type_ == "Warning" && any_of(reasons, &e.reason));
        match hit {
            Some(e) => facts.push(format!(
                "Warning event {} on {} (x{}): {}",
                e.reason,
                e.object,
                e.count,
                short(&e.message)
            )),
            None => {
                return Err(format!(
                    "no recent Warning event with reason {}",
                    reasons.values().join(" or ")
                ));
            }
        }
    }
    if let Some(text) = &c.log_contains {
        let needle = text.to_lowercase();
        match ctx.logs.iter().find(|l| l.text.to_lowercase().contains(&needle)) {
            Some(l) => facts.push(format!(
                "the {}log of {}/{} contains {text:?}",
                if l.previous { "previous " } else { "" },
                l.pod,
                l.container
            )),
            None => return Err(format!("no log tail contains {text:?}")),
        }
    }
    if let Some(want) = c.replicas_short {
        let w = workload.ok_or_else(|| "the workload's replicas are not known".to_string())?;
        let desired = w
            .replicas
            .ok_or_else(|| format!("the desired replicas of {} are not known", w.reference))?;
        let ready = w.ready_replicas.unwrap_or(0);
        let short_now = ready < desired;
        let text = format!("{ready} of {desired} replicas of {} ready", w.reference);
        if short_now == want {
            facts.push(text);
        } else {
            return Err(text);
        }
    }
    if let Some(reasons) = &c.progressing_reason {
        match workload.and_then(|w| w.progressing_reason.as_deref()) {
            Some(r) if any_of(reasons, r) => {
                facts.push(format!("the rollout of {} is not progressing: {r}", workload_name()));
            }
            Some(r) => {
                return Err(format!(
                    "the rollout of {} is {r}, not {}",
                    workload_name(),
                    reasons.values().join(" or ")
                ));
            }
            None => return Err(format!("no Progressing condition known for {}", workload_name())),
        }
    }
    Ok(())
}

fn no_container(incident: &Incident, concerned: &[(&PodFacts, &ContainerFacts)]) -> String {
    if concerned.is_empty() {
        format!("no state known for {}, so none", scope(incident))
    } else {
        format!("no {}", scope(incident).replace("any container", "container"))
    }
}

fn seen(concerned: &[(&PodFacts, &ContainerFacts)], f: impl Fn(&ContainerFacts) -> Option<String>) -> String {
    let seen: Vec<String> = concerned
        .iter()
        .filter_map(|(_, c)| f(c).map(|v| format!("{}: {v}", c.name)))
        .collect();
    if seen.is_empty() {
        String::new()
    } else {
        format!(" (seen {})", seen.join(", "))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::context::{EventFacts, LogTail, NodeFacts, WorkloadFacts};
    use crate::incident::parse_alert_file;

    /// A realistic incident from alert labels written as YAML flow mapping content.
    pub(crate) fn incident(labels: &str) -> Incident {
        parse_alert_file(format!("labels: {{{labels}}}\n").as_bytes())
            .unwrap()
            .incidents(jiff::Timestamp::now())
            .remove(0)
    }

    fn container(name: &str) -> ContainerFacts {
        ContainerFacts {
            name: name.into(),
            ready: false,
            restart_count: 0,
            waiting_reason: None,
            waiting_message: None,
            last_termination_reason: None,
            last_exit_code: None,
            image: None,
            memory_limit: None,
            cpu_limit: None,
        }
    }

    fn ctx_with(containers: Vec<ContainerFacts>) -> Context {
        Context {
            target: Some(ObjectRef::namespaced("Pod", "shop", "api-1")),
            target_found: true,
            owners: vec![
                ObjectRef::namespaced("ReplicaSet", "shop", "api-6f"),
                ObjectRef::namespaced("Deployment", "shop", "api"),
            ],
            workload: Some(WorkloadFacts {
                reference: ObjectRef::namespaced("Deployment", "shop", "api"),
                replicas: Some(3),
                ready_replicas: Some(2),
                available_replicas: Some(2),
                revision: Some(5),
                previous_revision: Some(4),
                revision_age_seconds: Some(1200),
                paused: false,
                progressing_reason: Some("ProgressDeadlineExceeded".into()),
            }),
            pods: vec![PodFacts {
                name: "api-1".into(),
                phase: Some("Running".into()),
                ready: false,
                node: Some("worker-1".into()),
                terminating: false,
                containers,
            }],
            ..Context::default()
        }
    }

    fn matcher(yaml: &str) -> Matcher {
        Matcher::new(&serde_yaml_ng::from_str(yaml).unwrap()).unwrap()
    }

    fn facts(m: &Matcher, i: &Incident, c: &Context) -> Vec<String> {
        match m.evaluate(i, c) {
            MatchOutcome::Matched(m) => m.facts,
            MatchOutcome::NotMatched(why) => panic!("expected a match: {why}"),
        }
    }

    fn why_not(m: &Matcher, i: &Incident, c: &Context) -> String {
        match m.evaluate(i, c) {
            MatchOutcome::Matched(m) => panic!("expected no match, got {m:?}"),
            MatchOutcome::NotMatched(why) => why,
        }
    }

    const CRASH: &str = "alertname: KubePodCrashLooping, namespace: shop, pod: api-1, container: api, \
                         job: kube-state-metrics, severity: warning";

    #[test]
    fn durations_parse_and_format() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert_eq!(parse_duration("1d"), Ok(86_400));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        for bad in ["", "2", "h", "2x", "1.5h", "-1h", "0m"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert!(parse_duration("2 hours").unwrap_err().contains("\"2 hours\""));
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(1200), "20m");
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(90_061), "1d1h");
        assert_eq!(format_duration(86_400 + 60), "1d");
    }

    #[test]
    fn alert_conditions() {
        let i = incident(CRASH);
        let c = Context::default();
        let m = matcher(
            "{alertname: [KubePodCrashLooping, KubePodNotReady], severity: warning, \
             labels: {namespace: [shop, web]}, labels_regex: {pod: 'api-\\d+'}}",
        );
        match m.evaluate(&i, &c) {
            MatchOutcome::Matched(m) => {
                assert_eq!(m.alert.len(), 4, "{m:?}");
                assert!(m.facts.is_empty());
            }
            MatchOutcome::NotMatched(why) => panic!("{why}"),
        }
        assert!(why_not(&matcher("{alertname: KubeNodeNotReady}"), &i, &c).contains("KubePodCrashLooping"));
        assert!(why_not(&matcher("{severity: [critical]}"), &i, &c).contains("\"warning\""));
        assert!(why_not(&matcher("{labels: {namespace: prod}}"), &i, &c).contains("namespace=\"shop\""));
        assert!(why_not(&matcher("{labels: {deployment: api}}"), &i, &c).contains("no label \"deployment\""));
        // anchored: a regex matching a part of the value does not match
        assert!(why_not(&matcher("{labels_regex: {pod: 'api'}}"), &i, &c).contains("does not match"));
        let no_sev = incident("alertname: KubeNodeNotReady, node: worker-1");
        assert!(why_not(&matcher("{severity: warning}"), &no_sev, &c).contains("no severity"));
    }

    #[test]
    fn oom_and_restarts_restricted_to_the_alert_container() {
        let mut api = container("api");
        api.last_termination_reason = Some("OOMKilled".into());
        api.last_exit_code = Some(137);
        api.restart_count = 5;
        let mut sidecar = container("envoy");
        sidecar.last_termination_reason = Some("Error".into());
        sidecar.restart_count = 9;
        let c = ctx_with(vec![sidecar, api]);
        let i = incident(CRASH);
        let m = matcher("{context: {last_termination_reason: OOMKilled, restart_count_over: 3}}");
        assert_eq!(
            facts(&m, &i, &c),
            vec![
                "container api (pod api-1) last terminated OOMKilled (exit 137)".to_string(),
                "container api (pod api-1) restarted 5 times".to_string(),
            ]
        );
        // the envoy container's Error does not count for an alert about container api
        let why = why_not(&matcher("{context: {last_termination_reason: Error}}"), &i, &c);
        assert!(why.contains("no container api last terminated Error"), "{why}");
        assert!(why.contains("api: OOMKilled"), "{why}");
        let why = why_not(&matcher("{context: {restart_count_over: 5}}"), &i, &c);
        assert!(why.contains("more than 5"), "{why}");
        // without a container label, any container counts
        let pod_alert = incident("alertname: KubePodNotReady, namespace: shop, pod: api-1");
        let f = facts(&matcher("{context: {last_termination_reason: Error}}"), &pod_alert, &c);
        assert!(f[0].starts_with("container envoy"), "{f:?}");
    }

    #[test]
    fn waiting_reason_quotes_the_message() {
        let mut api = container("api");
        api.waiting_reason = Some("ImagePullBackOff".into());
        api.waiting_message = Some("Back-off pulling image \"shop/api:v2\"".into());
        let c = ctx_with(vec![api]);
        let f = facts(
            &matcher("{context: {waiting_reason: [ErrImagePull, ImagePullBackOff]}}"),
            &incident(CRASH),
            &c,
        );
        assert_eq!(
            f,
            vec!["container api (pod api-1) is waiting: ImagePullBackOff (Back-off pulling image \"shop/api:v2\")"]
        );
        let why = why_not(
            &matcher("{context: {waiting_reason: CrashLoopBackOff}}"),
            &incident(CRASH),
            &c,
        );
        assert!(why.contains("seen api: ImagePullBackOff"), "{why}");
    }

    #[test]
    fn revision_and_workload_conditions() {
        let i = incident(CRASH);
        let c = ctx_with(vec![container("api")]);
        let f = facts(
            &matcher(
                "{context: {revision_younger_than: 2h, has_previous_revision: true, workload_kind: Deployment, \
                 target_kind: Pod, target_found: true, replicas_short: true, \
                 progressing_reason: ProgressDeadlineExceeded}}",
            ),
            &i,
            &c,
        );
        assert!(
            f.contains(&"revision 5 of deployment/shop/api is 20m old (younger than 2h)".to_string()),
            "{f:?}"
        );
        assert!(f.contains(&"revision 4 of deployment/shop/api exists to roll back to".to_string()));
        assert!(f.contains(&"owned by deployment/shop/api".to_string()));
        assert!(f.contains(&"2 of 3 replicas of deployment/shop/api ready".to_string()));
        let why = why_not(&matcher("{context: {revision_younger_than: 10m}}"), &i, &c);
        assert!(why.contains("20m old, not younger than 10m"), "{why}");
        assert!(why_not(&matcher("{context: {workload_kind: StatefulSet}}"), &i, &c).contains("not a StatefulSet"));
        assert!(why_not(&matcher("{context: {replicas_short: false}}"), &i, &c).contains("2 of 3"));
        let mut no_prev = c.clone();
        no_prev.workload.as_mut().unwrap().previous_revision = None;
        assert!(
            why_not(&matcher("{context: {has_previous_revision: true}}"), &i, &no_prev)
                .contains("no previous revision")
        );
        let empty = Context::default();
        assert!(why_not(&matcher("{context: {revision_younger_than: 2h}}"), &i, &empty).contains("not known"));
        assert!(why_not(&matcher("{context: {target_found: true}}"), &i, &empty).contains("not found"));
    }

    #[test]
    fn node_events_and_logs() {
        let i = incident(CRASH);
        let mut c = ctx_with(vec![container("api")]);
        c.node = Some(NodeFacts {
            name: "worker-1".into(),
            ready: false,
            unschedulable: false,
            conditions: vec!["Ready=Unknown (NodeStatusUnknown)".into()],
        });
        c.events = vec![
            EventFacts {
                object: "pod/api-2".into(),
                type_: "Normal".into(),
                reason: "FailedScheduling".into(),
                message: "ignored: not a warning".into(),
                count: 1,
                last_seen: None,
            },
            EventFacts {
                object: "pod/api-3".into(),
                type_: "Warning".into(),
                reason: "FailedScheduling".into(),
                message: "0/3 nodes are available: 3 Insufficient cpu.".into(),
                count: 4,
                last_seen: None,
            },
        ];
        c.logs = vec![LogTail {
            pod: "api-1".into(),
            container: "api".into(),
            previous: true,
            text: "java.lang.OutOfMemoryError: Java heap space\n".into(),
            truncated: false,
        }];
        let f = facts(
            &matcher("{context: {node_ready: false, event_reason: FailedScheduling, log_contains: outofmemoryerror}}"),
            &i,
            &c,
        );
        assert_eq!(
            f,
            vec![
                "node worker-1 is NotReady (Ready=Unknown (NodeStatusUnknown))".to_string(),
                "Warning event FailedScheduling on pod/api-3 (x4): 0/3 nodes are available: 3 Insufficient cpu."
                    .to_string(),
                "the previous log of api-1/api contains \"outofmemoryerror\"".to_string(),
            ]
        );
        assert!(why_not(&matcher("{context: {node_ready: true}}"), &i, &c).contains("NotReady"));
        assert!(why_not(&matcher("{context: {event_reason: BackOff}}"), &i, &c).contains("BackOff"));
        assert!(why_not(&matcher("{context: {log_contains: panic}}"), &i, &c).contains("\"panic\""));
    }

    #[test]
    fn construction_reports_every_problem() {
        let spec: MatchSpec = serde_yaml_ng::from_str(
            "{alertname: [], labels_regex: {pod: 'api-(', node: ok}, \
             context: {revision_younger_than: soon, restart_count_over: -1}}",
        )
        .unwrap();
        let problems = Matcher::new(&spec).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "alertname",
                "context.revision_younger_than",
                "context.restart_count_over",
                "labels_regex.pod"
            ]
        );
        assert!(problems[3].1.contains("\"api-(\""), "{problems:?}");
        assert!(problems[1].1.contains("\"soon\""), "{problems:?}");
    }

    #[test]
    fn workload_is_the_outermost_owner() {
        let i = incident("alertname: KubeJobFailed, namespace: batch, job_name: report-29");
        let c = Context {
            owners: vec![
                ObjectRef::namespaced("Job", "batch", "report-29"),
                ObjectRef::namespaced("CronJob", "batch", "report"),
            ],
            ..Context::default()
        };
        assert_eq!(workload_of(&i, &c).unwrap().name, "report");
        // without context, a workload target is its own workload
        assert_eq!(
            workload_of(&i, &Context::default()).unwrap(),
            ObjectRef::namespaced("Job", "batch", "report-29")
        );
        assert_eq!(workload_of(&incident(CRASH), &Context::default()), None);
    }
}
