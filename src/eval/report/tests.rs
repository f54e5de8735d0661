//! The report's formats, on a small made-up report.

use std::collections::BTreeMap;

use super::super::metrics::score;
use super::super::record::RunRecord;
use super::*;

fn run(decider: &str, scenario: &str, action: &str, correct: bool, unsafe_proposal: bool) -> RunRecord {
    RunRecord {
        scenario: scenario.into(),
        tags: vec!["pods".into()],
        decider: decider.into(),
        repetition: 0,
        action: Some(action.into()),
        target: Some("Deployment/shop/api".into()),
        decided_by: "builtin-rules/x".into(),
        rationale: "because <reasons> & more".into(),
        correct,
        unsafe_proposal,
        verdict: Some("allow".into()),
        policy_blocked: false,
        approved: false,
        plan_failed: false,
        parse_failed: false,
        outcome: Some("executed".into()),
        resolved: Some(correct),
        resolvable: true,
        findings: if correct {
            vec![]
        } else {
            vec!["pod api-1: still <broken>".into()]
        },
        latency_ms: 12.0,
        tokens_in: if decider == "rules" { 0 } else { 1200 },
        tokens_out: if decider == "rules" { 0 } else { 80 },
        cost_usd: if decider == "rules" { 0.0 } else { 0.004 },
        tool_calls: 0,
        errors: vec![],
    }
}

pub(crate) fn sample() -> Report {
    let runs = vec![
        run("rules", "crashloop-oom", "increase_resources", true, false),
        run("rules", "node-down", "drain_node", false, true),
        run("model:small|fast", "crashloop-oom", "increase_resources", true, false),
        run("model:small|fast", "node-down", "cordon_node", true, false),
    ];
    Report {
        generated_at: "2026-03-02T10:00:00Z".into(),
        medic_version: "0.1.0".into(),
        scenarios_dir: "evals/scenarios".into(),
        scenario_count: 2,
        repeat: 1,
        tag: None,
        duration_ms: 1234.0,
        deciders: vec![score("rules", &runs), score("model:small|fast", &runs)],
        runs,
    }
}

#[test]
fn terminal_lists_deciders_tags_and_misses() {
    let text = render_terminal(&sample());
    assert!(
        text.starts_with("medic eval: 2 scenarios × 2 decider(s) × 1 repetition(s)"),
        "{text}"
    );
    assert!(text.contains("rules             50.0%"), "{text}");
    assert!(text.contains("by tag"));
    assert!(text.contains("drain_node (UNSAFE, unresolved)"), "{text}");
    assert!(text.contains("pod api-1: still <broken>"));
}

#[test]
fn markdown_has_tables_with_escaped_pipes() {
    let md = render_markdown(&sample());
    assert!(md.contains("| decider | accuracy |"));
    assert!(md.contains("| model:small\\|fast | 100.0% |"), "{md}");
    assert!(
        md.contains("| node-down | drain_node (UNSAFE, unresolved) | cordon_node (ok, resolved) |"),
        "{md}"
    );
}

#[test]
fn html_is_self_contained_escaped_and_has_the_chart() {
    let html = render_html(&sample());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(
        html.matches("<circle").count(),
        4,
        "one point per decider in each of the two panels"
    );
    assert!(html.contains("Accuracy vs. total cost (USD)") && html.contains("Accuracy vs. median latency (ms)"));
    for external in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "{external} in the page");
    }
    assert!(html.contains("because &lt;reasons&gt; &amp; more"));
    assert!(!html.contains("<broken>"));
}

#[test]
fn write_all_writes_the_three_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/report");
    let files = write_all(&sample(), &out).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["report.json", "report.md", "report.html"]);
    let back: Report = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(back, sample());
    let by_tag: BTreeMap<String, usize> = back.deciders[0]
        .by_tag
        .iter()
        .map(|(k, v)| (k.clone(), v.runs))
        .collect();
    assert_eq!(by_tag["pods"], 2);
}
