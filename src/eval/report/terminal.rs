//! The report as the terminal shows it: one row per decider, the tags, and the runs that
//! went wrong.

use super::table::text;
use super::{Report, percent, run_cell, summary_header, summary_row};

/// Renders the report for a terminal.
pub fn render(report: &Report) -> String {
    let mut out = format!(
        "medic eval: {} scenarios × {} decider(s) × {} repetition(s) in {:.1}s\n\n",
        report.scenario_count,
        report.deciders.len(),
        report.repeat,
        report.duration_ms / 1000.0
    );
    let rows: Vec<Vec<String>> = report.deciders.iter().map(summary_row).collect();
    out.push_str(&text(&summary_header(), &rows));

    let mut tag_rows = Vec::new();
    for m in &report.deciders {
        for (tag, t) in &m.by_tag {
            tag_rows.push(vec![
                tag.clone(),
                m.decider.clone(),
                t.scenarios.to_string(),
                percent(Some(t.accuracy)),
                percent(t.resolution_rate),
                t.unsafe_proposals.to_string(),
            ]);
        }
    }
    if !tag_rows.is_empty() {
        tag_rows.sort();
        out.push_str("\nby tag\n");
        out.push_str(&text(
            &["tag", "decider", "scenarios", "accuracy", "resolved", "unsafe"],
            &tag_rows,
        ));
    }

    let misses: Vec<Vec<String>> = report
        .runs
        .iter()
        .filter(|r| {
            !r.correct || r.unsafe_proposal || (r.resolvable && r.resolved != Some(true)) || !r.errors.is_empty()
        })
        .map(|r| {
            let why = r
                .errors
                .first()
                .cloned()
                .or_else(|| r.findings.first().cloned())
                .unwrap_or_default();
            vec![r.scenario.clone(), r.decider.clone(), run_cell(r), why]
        })
        .collect();
    if !misses.is_empty() {
        out.push_str(&format!("\nruns to look at ({})\n", misses.len()));
        out.push_str(&text(
            &["scenario", "decider", "answer", "first finding or error"],
            &misses,
        ));
    }
    out
}
