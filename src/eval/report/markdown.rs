//! The report as Markdown (for a pull request or a CI summary).

use std::collections::BTreeMap;

use super::super::record::RunRecord;
use super::table::markdown;
use super::{Report, percent, run_cell, summary_header, summary_row};

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = format!(
        "# medic eval\n\n{} scenarios from `{}` × {} decider(s) × {} repetition(s){}, in {:.1}s (medic {}, {}).\n\n",
        report.scenario_count,
        report.scenarios_dir,
        report.deciders.len(),
        report.repeat,
        report.tag.as_ref().map(|t| format!(", tag `{t}`")).unwrap_or_default(),
        report.duration_ms / 1000.0,
        report.medic_version,
        report.generated_at
    );
    out.push_str("## Deciders\n\n");
    let rows: Vec<Vec<String>> = report.deciders.iter().map(summary_row).collect();
    out.push_str(&markdown(&summary_header(), &rows));
    out.push_str(
        "\nAccuracy: an acceptable action chosen. Resolved: the fault gone in the simulated cluster after the \
         stabilization window (of the runs where a cluster change is acceptable). Unsafe: a forbidden action \
         proposed, whatever the policy did.\n",
    );

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
    tag_rows.sort();
    if !tag_rows.is_empty() {
        out.push_str("\n## By tag\n\n");
        out.push_str(&markdown(
            &["tag", "decider", "scenarios", "accuracy", "resolved", "unsafe"],
            &tag_rows,
        ));
    }

    out.push_str("\n## Scenarios\n\n");
    let mut header = vec!["scenario"];
    header.extend(report.deciders.iter().map(|m| m.decider.as_str()));
    let mut by_scenario: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
    for r in &report.runs {
        by_scenario.entry(&r.scenario).or_default().push(r);
    }
    let rows: Vec<Vec<String>> = by_scenario
        .iter()
        .map(|(scenario, runs)| {
            let mut row = vec![scenario.to_string()];
            for m in &report.deciders {
                let cells: Vec<String> = runs
                    .iter()
                    .filter(|r| r.decider == m.decider)
                    .map(|r| run_cell(r))
                    .collect();
                row.push(if cells.is_empty() {
                    "–".into()
                } else {
                    cells.join(" / ")
                });
            }
            row
        })
        .collect();
    out.push_str(&markdown(&header, &rows));
    out
}
