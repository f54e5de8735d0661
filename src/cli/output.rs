//! Output formats and the human rendering of a pipeline result.

use crate::context::Context;
use crate::pipeline::Evaluation;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// Renders an evaluation as labelled lines, the plan's diff last.
pub fn render_evaluation(e: &Evaluation) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: String| {
        for (i, l) in value.lines().enumerate() {
            out.push_str(&format!("{:<10} {l}\n", if i == 0 { label } else { "" }));
        }
    };
    let i = &e.incident;
    line(
        "Incident",
        format!("{} ({}) {}", i.alertname, i.status.as_str(), i.summary()),
    );
    line(
        "Target",
        match (&e.context.target, e.context.target_found) {
            (Some(t), true) => {
                let mut s = t.to_string();
                for o in &e.context.owners {
                    s.push_str(&format!(" → {o}"));
                }
                s
            }
            (Some(t), false) => format!("{t} (not found in the cluster)"),
            (None, _) => "none named by the alert's labels".into(),
        },
    );
    let facts = context_facts(&e.context);
    if !facts.is_empty() {
        line("Context", facts.join("\n"));
    }
    let d = &e.decision;
    let params = d.action.params_json();
    let params = if params.as_object().is_some_and(|m| m.is_empty()) {
        String::new()
    } else {
        format!(" {params}")
    };
    line(
        "Decision",
        format!(
            "{}{} on {} (by {} {}, confidence {:.2})",
            d.action_name(),
            params,
            d.target.as_ref().map(ToString::to_string).unwrap_or_else(|| "-".into()),
            d.decided_by.decider,
            d.decided_by.name,
            d.confidence
        ),
    );
    line("Rationale", d.rationale.clone());
    for alt in &d.alternatives {
        line("Skipped", alt.clone());
    }
    let v = &e.verdict;
    line(
        "Verdict",
        format!("{}{}", v.kind.as_str(), if v.dry_run { " (dry-run)" } else { "" }),
    );
    for c in &v.checks {
        line(
            "",
            format!("[{}] {}: {}", if c.passed { "ok" } else { "NO" }, c.name, c.reason),
        );
    }
    line("Outcome", e.outcome.status.as_str().to_string());
    if let Some(err) = &e.outcome.error {
        line("", err.clone());
    }
    if let Some(plan) = &e.outcome.plan {
        out.push_str("\nPlan\n");
        out.push_str(&plan.render());
    }
    out
}

/// The context as short facts, one per line.
pub fn context_facts(c: &Context) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(w) = &c.workload {
        let mut s = format!("{}", w.reference);
        if let (Some(r), Some(ready)) = (w.replicas, w.ready_replicas.or(Some(0))) {
            s.push_str(&format!(": {ready}/{r} ready"));
        }
        if let Some(rev) = w.revision {
            s.push_str(&format!(", revision {rev}"));
        }
        if let Some(age) = w.revision_age_seconds {
            s.push_str(&format!(" ({}m old)", age / 60));
        }
        facts.push(s);
    }
    for (pod, ctr) in c.containers() {
        let mut s = format!("{}/{}: {} restarts", pod.name, ctr.name, ctr.restart_count);
        if let Some(w) = &ctr.waiting_reason {
            s.push_str(&format!(", waiting {w}"));
        }
        if let Some(t) = &ctr.last_termination_reason {
            s.push_str(&format!(", last terminated {t}"));
            if let Some(code) = ctr.last_exit_code {
                s.push_str(&format!(" (exit {code})"));
            }
        }
        facts.push(s);
    }
    if let Some(n) = &c.node {
        facts.push(format!(
            "node {}: {}",
            n.name,
            if n.ready { "Ready" } else { "NotReady" }
        ));
    }
    for ev in c.events.iter().rev().take(3) {
        facts.push(format!("event {} {}: {}", ev.reason, ev.object, ev.message));
    }
    for e in &c.errors {
        facts.push(format!("could not read {e}"));
    }
    facts
}
