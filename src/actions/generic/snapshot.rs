//! The text of a diagnostics snapshot: what `kubectl describe` and `kubectl logs` would
//! show about an object, as named [`Artifact`]s (`describe.txt`, one `log.*.txt` per log
//! tail) whose names are valid ConfigMap keys.
//!
//! Pure rendering of what was already read: it must not read the cluster or decide
//! anything.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;

use crate::actions::plan::Artifact;
use crate::cluster::{Object, ObjectRef};
use crate::context::{Context, LogTail};
use crate::incident::Incident;

/// Events of the target itself kept in a snapshot (the most recent).
const MAX_TARGET_EVENTS: usize = 30;

/// Everything a snapshot is made of.
pub(super) struct Snapshot<'a> {
    /// The object diagnosed.
    pub target: &'a ObjectRef,
    /// It, as read.
    pub object: &'a Object,
    /// Its context: owners, workload, pods, node, Warning events, log tails, failed reads.
    pub context: &'a Context,
    /// Every event of the target itself, oldest first.
    pub events: &'a [Event],
    /// The incident it is collected for.
    pub incident: &'a Incident,
    /// When.
    pub now: Timestamp,
}

/// The ConfigMap key (and artifact name) of a log tail.
pub(super) fn log_name(log: &LogTail) -> String {
    let previous = if log.previous { ".previous" } else { "" };
    let name = format!("log.{}.{}{previous}.txt", log.pod, log.container);
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(253)
        .collect()
}

/// The snapshot as artifacts: `describe.txt` first, then the log tails.
pub(super) fn artifacts(s: &Snapshot<'_>) -> Vec<Artifact> {
    let mut out = vec![Artifact {
        name: "describe.txt".into(),
        content: describe(s),
    }];
    out.extend(s.context.logs.iter().map(|log| Artifact {
        name: log_name(log),
        content: log.text.clone(),
    }));
    out
}

fn describe(s: &Snapshot<'_>) -> String {
    let ctx = s.context;
    let incident = s.incident;
    let mut out = format!(
        "diagnostics of {}, collected by medic at {}\nincident: {} (fingerprint {}): {}\n",
        s.target,
        s.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        incident.alertname,
        incident.fingerprint,
        incident.summary()
    );
    let mut section = |title: &str, body: String| {
        if !body.is_empty() {
            out.push_str(&format!("\n== {title} ==\n{body}"));
            if !body.ends_with('\n') {
                out.push('\n');
            }
        }
    };
    section("object", s.object.to_yaml());
    section(
        "owners",
        ctx.owners
            .iter()
            .map(|o| format!("{} {}\n", o.kind.kind, o.name))
            .collect(),
    );
    if let Some(w) = &ctx.workload {
        let count = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
        let mut line = format!(
            "{}: {} replicas, {} ready, {} available",
            w.reference,
            count(w.replicas),
            count(w.ready_replicas),
            count(w.available_replicas)
        );
        if let Some(r) = w.revision {
            line.push_str(&format!(", revision {r}"));
            if let Some(p) = w.previous_revision {
                line.push_str(&format!(" (previous {p})"));
            }
        }
        if w.paused {
            line.push_str(", paused");
        }
        if let Some(reason) = &w.progressing_reason {
            line.push_str(&format!(", progressing: {reason}"));
        }
        section("workload", line);
    }
    section("pods", pods(ctx));
    if let Some(n) = &ctx.node {
        let ready = if n.ready { "Ready" } else { "not Ready" };
        let scheduling = if n.unschedulable { "cordoned" } else { "schedulable" };
        section(
            "node",
            format!("{}: {ready}, {scheduling} ({})", n.name, n.conditions.join(", ")),
        );
    }
    section("events", events(s));
    section(
        "logs",
        ctx.logs
            .iter()
            .map(|l| {
                let which = if l.previous {
                    "previous instance"
                } else {
                    "current instance"
                };
                let cut = if l.truncated { ", older lines cut" } else { "" };
                format!(
                    "{}/{} ({which}, {} bytes{cut}): {}\n",
                    l.pod,
                    l.container,
                    l.text.len(),
                    log_name(l)
                )
            })
            .collect(),
    );
    section("not read", ctx.errors.iter().map(|e| format!("{e}\n")).collect());
    out
}

fn pods(ctx: &Context) -> String {
    let mut out = String::new();
    for p in &ctx.pods {
        let mut facts = vec![p.phase.clone().unwrap_or_else(|| "phase unknown".into())];
        facts.push(if p.ready { "ready" } else { "not ready" }.into());
        if p.terminating {
            facts.push("terminating".into());
        }
        if let Some(n) = &p.node {
            facts.push(format!("on {n}"));
        }
        out.push_str(&format!("{}: {}\n", p.name, facts.join(", ")));
        for c in &p.containers {
            let mut facts = vec![
                if c.ready { "ready" } else { "not ready" }.to_string(),
                format!("{} restarts", c.restart_count),
            ];
            if let Some(w) = &c.waiting_reason {
                let message = c
                    .waiting_message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                facts.push(format!("waiting: {w}{message}"));
            }
            if let Some(t) = &c.last_termination_reason {
                let code = c.last_exit_code.map(|c| format!(" (exit {c})")).unwrap_or_default();
                facts.push(format!("last terminated: {t}{code}"));
            }
            if let Some(i) = &c.image {
                facts.push(format!("image {i}"));
            }
            let limits: Vec<String> = [("memory", &c.memory_limit), ("cpu", &c.cpu_limit)]
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
                .collect();
            if !limits.is_empty() {
                facts.push(format!("limits {}", limits.join(", ")));
            }
            out.push_str(&format!("  container {}: {}\n", c.name, facts.join(", ")));
        }
    }
    out
}

/// The target's own events (all types, the most recent), then the Warning events the
/// context found on its owners and pods.
fn events(s: &Snapshot<'_>) -> String {
    let mut out = String::new();
    let skip = s.events.len().saturating_sub(MAX_TARGET_EVENTS);
    for e in &s.events[skip..] {
        let when = e
            .last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or(e.event_time.as_ref().map(|t| t.0))
            .or(e.first_timestamp.as_ref().map(|t| t.0))
            .map(|t| format!("{} ", t.strftime("%Y-%m-%dT%H:%M:%SZ")))
            .unwrap_or_default();
        out.push_str(&format!(
            "{when}{} {}: {}{}\n",
            e.type_.as_deref().unwrap_or("Normal"),
            e.reason.as_deref().unwrap_or_default(),
            e.message.as_deref().unwrap_or_default().trim_end(),
            times(e.count.unwrap_or(1))
        ));
    }
    let own = s.target.to_string();
    for e in s.context.events.iter().filter(|e| e.object != own) {
        let when = e.last_seen.as_deref().map(|t| format!("{t} ")).unwrap_or_default();
        out.push_str(&format!(
            "{when}{} {} on {}: {}{}\n",
            e.type_,
            e.reason,
            e.object,
            e.message.trim_end(),
            times(e.count)
        ));
    }
    if out.is_empty() {
        out.push_str("none\n");
    }
    out
}

fn times(count: i32) -> String {
    if count > 1 {
        format!(" (×{count})")
    } else {
        String::new()
    }
}
