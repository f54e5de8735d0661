//! The report as one self-contained HTML page: inline CSS, inline SVG, no script, no
//! external resource.

use std::collections::BTreeMap;

use super::super::record::RunRecord;
use super::chart;
use super::{Report, percent, run_cell, summary_header, summary_row};

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#0f172a;background:#ffffff}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\
p.meta{color:#475569;margin:0 0 16px}\
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #cbd5e1;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f1f5f9}td.ok{background:#dcfce7}td.wrong{background:#fef9c3}td.unsafe{background:#fee2e2;font-weight:bold}\
td.error{background:#e2e8f0}figure{margin:0}figcaption{color:#475569;font-size:12px}";

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            out.push_str(&format!("<td>{}</td>", escape(c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

fn class(r: &RunRecord) -> &'static str {
    if r.action.is_none() {
        "error"
    } else if r.unsafe_proposal {
        "unsafe"
    } else if r.correct {
        "ok"
    } else {
        "wrong"
    }
}

/// Renders the report as HTML.
pub fn render(report: &Report) -> String {
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>medic eval report</title><style>{STYLE}</style></head><body>"
    );
    out.push_str(&format!(
        "<h1>medic eval</h1><p class=\"meta\">{} scenarios from {} × {} decider(s) × {} repetition(s){}; {:.1}s; medic {}; {}</p>",
        report.scenario_count,
        escape(&report.scenarios_dir),
        report.deciders.len(),
        report.repeat,
        report.tag.as_ref().map(|t| format!(", tag {}", escape(t))).unwrap_or_default(),
        report.duration_ms / 1000.0,
        escape(&report.medic_version),
        escape(&report.generated_at)
    ));
    out.push_str("<figure id=\"chart\">");
    out.push_str(&chart::svg(&report.deciders));
    out.push_str(
        "<figcaption>Accuracy: share of runs whose action was acceptable. Cost: estimated model cost of all runs. Latency: median time of the whole pipeline per run.</figcaption></figure>",
    );
    out.push_str("<h2>Deciders</h2>");
    let rows: Vec<Vec<String>> = report.deciders.iter().map(summary_row).collect();
    out.push_str(&table(&summary_header(), &rows));

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
        out.push_str("<h2>By tag</h2>");
        out.push_str(&table(
            &["tag", "decider", "scenarios", "accuracy", "resolved", "unsafe"],
            &tag_rows,
        ));
    }

    out.push_str("<h2>Scenarios</h2><table><thead><tr><th>scenario</th>");
    for m in &report.deciders {
        out.push_str(&format!("<th>{}</th>", escape(&m.decider)));
    }
    out.push_str("</tr></thead><tbody>");
    let mut by_scenario: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
    for r in &report.runs {
        by_scenario.entry(&r.scenario).or_default().push(r);
    }
    for (scenario, runs) in by_scenario {
        out.push_str(&format!("<tr><td>{}</td>", escape(scenario)));
        for m in &report.deciders {
            let mine: Vec<&&RunRecord> = runs.iter().filter(|r| r.decider == m.decider).collect();
            match mine.first() {
                Some(first) => {
                    let cells: Vec<String> = mine.iter().map(|r| run_cell(r)).collect();
                    let detail = first
                        .errors
                        .iter()
                        .chain(first.findings.iter())
                        .map(|s| escape(s))
                        .collect::<Vec<_>>()
                        .join("<br>");
                    out.push_str(&format!(
                        "<td class=\"{}\" title=\"{}\">{}{}</td>",
                        class(first),
                        escape(&first.rationale),
                        escape(&cells.join(" / ")),
                        if detail.is_empty() {
                            String::new()
                        } else {
                            format!("<br><small>{detail}</small>")
                        }
                    ));
                }
                None => out.push_str("<td>–</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></body></html>\n");
    out
}
