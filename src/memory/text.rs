//! The incident text: what an incident "is about", normalized so that two occurrences of
//! the same trouble read the same.
//!
//! [`incident_text`] renders an incident and its context as lines `field: value`: the
//! alert name, labels (minus the volatile ones), annotations, and the context's facts
//! (waiting and termination reasons, event reasons and messages, error-looking log lines,
//! node conditions). Values are normalized by [`normalize`]: lower case, generated name
//! suffixes removed (`api-6f7c9d-x2x1z` → `api`), digit runs replaced by `#`, leading
//! timestamps of log lines dropped, and CamelCase reasons also spelled as words
//! (`OOMKilled` → `oomkilled (oom killed)`). In free text (annotations, messages, log
//! lines) the names of where the trouble is — the pod, namespace, node, ... the labels
//! name — become placeholders (`pod <namespace>/<pod> is crash looping`), so the same
//! trouble elsewhere reads the same; the labels themselves still say where. Duplicate
//! lines (five pods of one Deployment failing alike) appear once.
//!
//! This is a pure function of its input: it must not read the cluster, the store or the
//! clock, so the same incident always gives the same text (and the same vector).

use std::collections::{HashMap, HashSet};

use crate::context::Context;
use crate::incident::Incident;

/// Labels that differ from one occurrence of the same trouble to the next (scrape
/// addresses, hashes, ids) and say nothing about what the trouble is.
const VOLATILE_LABELS: &[&str] = &[
    "alertname",
    "container_id",
    "controller_revision_hash",
    "endpoint",
    "fingerprint",
    "id",
    "image_id",
    "instance",
    "pod_template_hash",
    "prometheus",
    "prometheus_replica",
    "receiver",
    "uid",
];

/// Labels that name where the trouble is. Their values, met in free text (annotations,
/// event messages, log lines), are replaced by `<label>`, so `pod shop/api is crash
/// looping` and `pod billing/invoicer is crash looping` read the same; the labels
/// themselves still say where.
const NAME_LABELS: &[&str] = &[
    "pod",
    "namespace",
    "container",
    "node",
    "deployment",
    "statefulset",
    "daemonset",
    "job_name",
    "cronjob",
    "persistentvolumeclaim",
    "horizontalpodautoscaler",
    "service",
];

/// Words that make a log line look like an error worth remembering.
const ERROR_WORDS: &[&str] = &[
    "error",
    "exception",
    "fatal",
    "panic",
    "fail",
    "killed",
    "oom",
    "out of memory",
    "refused",
    "timeout",
    "timed out",
    "denied",
    "no space",
    "cannot",
    "unable",
];

/// At most this many error-looking lines per log tail.
const MAX_LOG_LINES_PER_TAIL: usize = 8;
/// At most this many error-looking log lines in all.
const MAX_LOG_LINES: usize = 20;
/// At most this many events.
const MAX_EVENTS: usize = 12;
/// Longest value kept, in characters (log lines and messages are cut).
const MAX_VALUE_CHARS: usize = 240;

/// The normalized text of an incident and what its context says.
pub fn incident_text(incident: &Incident, context: &Context) -> String {
    let mut text = Lines::default();
    for key in NAME_LABELS {
        if let Some(value) = incident.labels.get(*key) {
            text.name(value, key);
        }
    }
    if let Some(target) = &context.target {
        text.name(&target.name, "target");
    }
    if let Some(target) = &incident.target {
        text.name(&target.name, "target");
    }
    text.push_words("alert", &incident.alertname);
    if let Some(severity) = &incident.severity {
        text.push("severity", severity);
    }
    for (key, value) in &incident.labels {
        if !VOLATILE_LABELS.contains(&key.as_str()) && key != "severity" {
            text.push_label(key, value);
        }
    }
    for (key, value) in &incident.annotations {
        if !key.ends_with("url") {
            text.push(&format!("annotation {key}"), value);
        }
    }
    let target_kind = context
        .target
        .as_ref()
        .map(|t| t.kind.to_string())
        .or_else(|| incident.target.as_ref().map(|t| t.kind.as_str().to_string()));
    if let Some(kind) = target_kind {
        text.push("target kind", &kind);
    }
    context_lines(&mut text, context);
    text.finish()
}

/// The context's facts, as lines.
fn context_lines(text: &mut Lines, context: &Context) {
    if let Some(workload) = &context.workload {
        text.push("workload kind", &workload.reference.kind.to_string());
        if let Some(reason) = &workload.progressing_reason {
            text.push_words("rollout", reason);
        }
        if workload.paused {
            text.push("rollout", "paused");
        }
        if let (Some(desired), Some(ready)) = (workload.replicas, workload.ready_replicas)
            && ready < desired
        {
            text.push("replicas", if ready == 0 { "none ready" } else { "some not ready" });
        }
    }
    for pod in &context.pods {
        if let Some(phase) = &pod.phase
            && phase != "Running"
        {
            text.push("pod phase", phase);
        }
        if pod.terminating {
            text.push("pod", "terminating");
        }
    }
    for (_, container) in context.containers() {
        if let Some(reason) = &container.waiting_reason {
            text.push_words("waiting", reason);
        }
        if let Some(message) = &container.waiting_message {
            text.push("waiting message", message);
        }
        if let Some(reason) = &container.last_termination_reason {
            text.push_words("terminated", reason);
        }
        if let Some(code) = container.last_exit_code {
            // An exit code is a category (137: killed, 1: error), not a volatile number.
            text.push_verbatim("exit code", &code.to_string());
        }
    }
    for event in context.events.iter().rev().take(MAX_EVENTS) {
        text.push_words("event", &event.reason);
        text.push("event message", &event.message);
    }
    let mut kept = 0;
    for tail in &context.logs {
        let lines = tail
            .text
            .lines()
            .filter(|l| looks_like_error(l))
            .take(MAX_LOG_LINES_PER_TAIL);
        for line in lines {
            if kept == MAX_LOG_LINES {
                break;
            }
            if text.push("log", strip_timestamp(line)) {
                kept += 1;
            }
        }
    }
    if let Some(node) = &context.node {
        if !node.ready {
            text.push("node", "not ready");
        }
        if node.unschedulable {
            text.push("node", "cordoned");
        }
        for condition in &node.conditions {
            // Only the unusual ones: a healthy node's conditions are the same everywhere.
            let healthy = condition.starts_with("Ready=True")
                || (!condition.starts_with("Ready=") && condition.contains("=False"));
            if !healthy {
                text.push_words("node condition", condition);
            }
        }
    }
}

/// Lines of text, each once.
#[derive(Default)]
struct Lines {
    out: String,
    seen: HashSet<String>,
    /// Normalized names of where the trouble is → their placeholder (`<pod>`).
    names: HashMap<String, String>,
}

impl Lines {
    /// Replaces `value` by `<key>` in the free text of later lines (first name wins).
    fn name(&mut self, value: &str, key: &str) {
        let normalized = normalize(value);
        if normalized.len() >= 2 && normalized != "#" {
            self.names.entry(normalized).or_insert_with(|| format!("<{key}>"));
        }
    }

    /// Adds `field: value`, normalized, with names replaced by placeholders; `false` when
    /// that line is already there or empty.
    fn push(&mut self, field: &str, value: &str) -> bool {
        let value = normalize_with(value, &self.names);
        self.push_verbatim(field, &value)
    }

    /// Adds `label key: value`, normalized (names kept: a label says where).
    fn push_label(&mut self, key: &str, value: &str) -> bool {
        self.push_verbatim(&format!("label {key}"), &normalize(value))
    }

    /// Adds `field: normalized (words)` for a CamelCase value such as a reason.
    fn push_words(&mut self, field: &str, value: &str) -> bool {
        let normalized = normalize_with(value, &self.names);
        let words = camel_words(value);
        if words.is_empty() || words == normalized {
            self.push_verbatim(field, &normalized)
        } else {
            self.push_verbatim(field, &format!("{normalized} ({words})"))
        }
    }

    /// Adds `field: value` as given.
    fn push_verbatim(&mut self, field: &str, value: &str) -> bool {
        if value.is_empty() {
            return false;
        }
        let line = format!("{field}: {value}");
        if !self.seen.insert(line.clone()) {
            return false;
        }
        self.out.push_str(&line);
        self.out.push('\n');
        true
    }

    fn finish(self) -> String {
        self.out
    }
}

/// Whether a log line looks like an error.
fn looks_like_error(line: &str) -> bool {
    let lower = line.to_lowercase();
    ERROR_WORDS.iter().any(|w| lower.contains(w))
}

/// A value, normalized: lower case, generated suffixes of names removed, digit runs as
/// `#`, whitespace collapsed, cut to a bounded length.
pub fn normalize(value: &str) -> String {
    normalize_with(value, &HashMap::new())
}

/// [`normalize`], also replacing each name-like token found in `names` by its value.
fn normalize_with(value: &str, names: &HashMap<String, String>) -> String {
    let lower: String = value.chars().take(MAX_VALUE_CHARS).collect::<String>().to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut name = String::new();
    let flush = |name: &mut String, out: &mut String| {
        if !name.is_empty() {
            let normalized = normalize_name(name);
            out.push_str(names.get(&normalized).map_or(&normalized, |placeholder| placeholder));
            name.clear();
        }
    };
    for c in lower.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '.') {
            name.push(c);
        } else {
            flush(&mut name, &mut out);
            if c.is_whitespace() {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            } else {
                out.push(c);
            }
        }
    }
    flush(&mut name, &mut out);
    out.trim().to_string()
}

/// One name-like token (`api-6f7c9d-x2x1z`, `10.0.3.7`, `137`): generated suffixes
/// removed, UUIDs, long hex strings and digit runs as `#`.
fn normalize_name(token: &str) -> String {
    if is_uuid(token) {
        return "#".into();
    }
    let mut segments: Vec<&str> = token.split('-').collect();
    let mut stripped = 0;
    while segments.len() > 1 && stripped < 2 && segments.last().is_some_and(|s| is_generated(s)) {
        segments.pop();
        stripped += 1;
    }
    let joined = segments
        .iter()
        .map(|s| if is_long_hex(s) { "#" } else { s })
        .collect::<Vec<_>>()
        .join("-");
    hash_digits(&joined)
}

/// Whether a name segment looks generated: a ReplicaSet hash or a pod suffix (5 to 10
/// characters of Kubernetes' vowel-free alphabet, or with a digit among letters), or a
/// Job's numeric schedule suffix.
fn is_generated(segment: &str) -> bool {
    const K8S_ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";
    let len = segment.len();
    if len >= 6 && segment.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if !(5..=10).contains(&len) || !segment.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return false;
    }
    let has_digit = segment.bytes().any(|b| b.is_ascii_digit());
    let has_letter = segment.bytes().any(|b| b.is_ascii_lowercase());
    (has_digit && has_letter) || segment.chars().all(|c| K8S_ALPHABET.contains(c))
}

/// Whether a segment is a long hex string (an id, a digest): 8+ hex digits with both
/// digits and letters, or 12+ hex digits.
fn is_long_hex(segment: &str) -> bool {
    let hex = segment.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = segment.bytes().any(|b| b.is_ascii_digit());
    let letters = segment.bytes().any(|b| b.is_ascii_alphabetic());
    hex && ((segment.len() >= 8 && digits && letters) || segment.len() >= 12)
}

/// Whether a token is a UUID (`8-4-4-4-12` hex digits).
fn is_uuid(token: &str) -> bool {
    let lengths: Vec<usize> = token.split('-').map(str::len).collect();
    lengths == [8, 4, 4, 4, 12] && token.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
}

/// A log line without its leading timestamp tokens (`2026-03-01T00:00:01Z`,
/// `2026/03/01 12:00:01.123`, `[12:00:01]`): they differ on every line.
fn strip_timestamp(line: &str) -> &str {
    let mut rest = line.trim_start();
    for _ in 0..3 {
        let Some(token) = rest.split_whitespace().next() else {
            break;
        };
        let timestamp_like = token.bytes().any(|b| b.is_ascii_digit())
            && token
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-:.+/,[]TZtz".contains(&b));
        if !timestamp_like {
            break;
        }
        rest = rest[token.len()..].trim_start();
    }
    rest
}

/// Digit runs replaced by one `#`.
fn hash_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A CamelCase identifier as lower-case words (`OOMKilled` → `oom killed`,
/// `KubePodCrashLooping` → `kube pod crash looping`); empty when it has no capitals.
pub fn camel_words(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if !chars.iter().any(|c| c.is_uppercase()) {
        return String::new();
    }
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || p.is_ascii_digit() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary && !out.ends_with(' ') {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    hash_digits(out.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{ContainerFacts, EventFacts, LogTail, PodFacts};
    use crate::incident::{AlertStatus, Labels};
    use jiff::Timestamp;

    #[test]
    fn generated_suffixes_are_removed() {
        assert_eq!(normalize("api-6f7c9d-x2x1z"), "api");
        assert_eq!(normalize("checkout-api-7d4b9c8f5-kxzvb"), "checkout-api");
        assert_eq!(normalize("backup-28391042-x7kzp"), "backup");
        assert_eq!(normalize("web"), "web");
        assert_eq!(normalize("db-0"), "db-#");
        assert_eq!(normalize("node-exporter"), "node-exporter");
    }

    #[test]
    fn numbers_ids_and_case_are_normalized() {
        assert_eq!(
            normalize(
                "Back-off 5m20s restarting failed container=api pod=api-6f7c9d-x2x1z_shop(3f2a9c1e-77aa-4b2e-9d1c-0a1b2c3d4e5f)"
            ),
            "back-off #m#s restarting failed container=api pod=api_shop(#)"
        );
        assert_eq!(
            normalize("dial tcp 10.0.3.7:5432: connect: connection refused"),
            "dial tcp #.#.#.#:#: connect: connection refused"
        );
        assert_eq!(normalize("  two   spaces "), "two spaces");
    }

    #[test]
    fn log_lines_lose_their_timestamps() {
        assert_eq!(
            strip_timestamp("2026-03-01T00:00:01Z fatal error: oom"),
            "fatal error: oom"
        );
        assert_eq!(strip_timestamp("2026/03/01 12:00:01.123 ERROR boom"), "ERROR boom");
        assert_eq!(strip_timestamp("[12:00:01] panic: x"), "panic: x");
        assert_eq!(strip_timestamp("panic: at 12:00"), "panic: at 12:00");
    }

    #[test]
    fn camel_case_reasons_become_words() {
        assert_eq!(camel_words("OOMKilled"), "oom killed");
        assert_eq!(camel_words("KubePodCrashLooping"), "kube pod crash looping");
        assert_eq!(camel_words("ImagePullBackOff"), "image pull back off");
        assert_eq!(
            camel_words("KubePersistentVolumeFillingUp"),
            "kube persistent volume filling up"
        );
        assert_eq!(camel_words("error"), "");
    }

    fn incident(pod: &str, namespace: &str) -> Incident {
        Incident {
            source: "alertmanager".into(),
            fingerprint: format!("fp-{pod}"),
            status: AlertStatus::Firing,
            alertname: "KubePodCrashLooping".into(),
            severity: Some("warning".into()),
            labels: Labels::from([
                ("alertname".to_string(), "KubePodCrashLooping".to_string()),
                ("namespace".to_string(), namespace.to_string()),
                ("pod".to_string(), pod.to_string()),
                ("instance".to_string(), "10.0.0.7:8080".to_string()),
            ]),
            annotations: Labels::from([
                ("summary".to_string(), format!("Pod {namespace}/{pod} is crash looping")),
                ("runbook_url".to_string(), "https://runbooks/x".to_string()),
            ]),
            starts_at: Timestamp::UNIX_EPOCH,
            ends_at: None,
            generator_url: None,
            receiver: None,
            group_key: None,
            target: None,
        }
    }

    fn oom_context(pods: &[&str]) -> Context {
        Context {
            pods: pods
                .iter()
                .map(|name| PodFacts {
                    name: name.to_string(),
                    phase: Some("Running".into()),
                    ready: false,
                    node: Some("node-1".into()),
                    terminating: false,
                    containers: vec![ContainerFacts {
                        name: "api".into(),
                        ready: false,
                        restart_count: 7,
                        waiting_reason: Some("CrashLoopBackOff".into()),
                        waiting_message: None,
                        last_termination_reason: Some("OOMKilled".into()),
                        last_exit_code: Some(137),
                        image: None,
                        memory_limit: Some("256Mi".into()),
                        cpu_limit: None,
                    }],
                })
                .collect(),
            events: vec![EventFacts {
                object: format!("Pod/{}", pods[0]),
                type_: "Warning".into(),
                reason: "BackOff".into(),
                message: format!("Back-off restarting failed container api in pod {}", pods[0]),
                count: 12,
                last_seen: None,
            }],
            logs: vec![LogTail {
                pod: pods[0].to_string(),
                container: "api".into(),
                previous: true,
                text: "2026-01-01T00:00:01Z starting\n2026-01-01T00:00:09Z fatal error: runtime: out of memory\n"
                    .into(),
                truncated: false,
            }],
            ..Context::default()
        }
    }

    #[test]
    fn two_occurrences_of_the_same_trouble_read_the_same() {
        let a = incident_text(
            &incident("api-6f7c9d-x2x1z", "shop"),
            &oom_context(&["api-6f7c9d-x2x1z"]),
        );
        let b = incident_text(
            &incident("api-5b8d7f-qq9kd", "shop"),
            &oom_context(&["api-5b8d7f-qq9kd", "api-5b8d7f-zz2mn"]),
        );
        assert_eq!(a, b);
        assert_eq!(
            a,
            "alert: kubepodcrashlooping (kube pod crash looping)\n\
             severity: warning\n\
             label namespace: shop\n\
             label pod: api\n\
             annotation summary: pod <namespace>/<pod> is crash looping\n\
             waiting: crashloopbackoff (crash loop back off)\n\
             terminated: oomkilled (oom killed)\n\
             exit code: 137\n\
             event: backoff (back off)\n\
             event message: back-off restarting failed container <pod> in pod <pod>\n\
             log: fatal error: runtime: out of memory\n"
        );
    }
}
