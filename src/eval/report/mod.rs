//! The evaluation report: the metrics per decider and every run, written as a terminal
//! table, `report.json`, `report.md` and a self-contained `report.html` (tables and an
//! inline SVG chart of accuracy against cost and latency; no script, no network).

mod chart;
mod html;
mod markdown;
mod table;
mod terminal;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::metrics::DeciderMetrics;
use super::record::RunRecord;

pub use html::render as render_html;
pub use markdown::render as render_markdown;
pub use terminal::render as render_terminal;

/// Everything an evaluation produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// When it ran (RFC 3339).
    pub generated_at: String,
    /// medic's version.
    pub medic_version: String,
    /// The scenario directory.
    pub scenarios_dir: String,
    /// Scenarios run (after the tag filter).
    pub scenario_count: usize,
    /// Repetitions of each scenario per decider.
    pub repeat: u32,
    /// The tag filter, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Wall time of the whole evaluation, ms.
    pub duration_ms: f64,
    /// The metrics of each decider, in the order given.
    pub deciders: Vec<DeciderMetrics>,
    /// Every run.
    pub runs: Vec<RunRecord>,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report {path}: {message}")]
pub struct ReportError {
    /// The file.
    pub path: String,
    /// Why.
    pub message: String,
}

/// Writes `report.json`, `report.md` and `report.html` into `dir` (created if needed);
/// returns the files written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| ReportError {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, &e))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| fail(dir, &e))?;
    let files = [
        ("report.json", json + "\n"),
        ("report.md", render_markdown(report)),
        ("report.html", render_html(report)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| fail(&path, &e))?;
        written.push(path);
    }
    Ok(written)
}

/// A share as a percentage with one decimal (`87.5%`), `–` when absent.
pub(crate) fn percent(x: Option<f64>) -> String {
    match x {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => "–".into(),
    }
}

/// Milliseconds, rounded sensibly.
pub(crate) fn millis(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else {
        format!("{ms:.1}")
    }
}

/// US dollars.
pub(crate) fn dollars(x: f64) -> String {
    if x == 0.0 {
        "$0".into()
    } else if x < 0.01 {
        format!("${x:.4}")
    } else {
        format!("${x:.2}")
    }
}

/// The headline columns of a decider, shared by every format.
pub(crate) fn summary_header() -> Vec<&'static str> {
    vec![
        "decider",
        "accuracy",
        "resolved",
        "unsafe",
        "blocked",
        "parse fail",
        "plan fail",
        "p50 ms",
        "p95 ms",
        "tokens in/out",
        "tool calls",
        "cost",
    ]
}

/// One decider's headline row.
pub(crate) fn summary_row(m: &DeciderMetrics) -> Vec<String> {
    let accuracy = match &m.spread {
        Some(s) => format!(
            "{} ({}–{}, stable {})",
            percent(Some(m.accuracy)),
            percent(Some(s.accuracy_min)),
            percent(Some(s.accuracy_max)),
            percent(Some(s.stable_share))
        ),
        None => percent(Some(m.accuracy)),
    };
    vec![
        m.decider.clone(),
        accuracy,
        format!("{} of {}", percent(m.resolution_rate), m.resolvable_runs),
        m.unsafe_proposals.to_string(),
        m.policy_blocks.to_string(),
        m.parse_failures.to_string(),
        m.plan_failures.to_string(),
        millis(m.latency_p50_ms),
        millis(m.latency_p95_ms),
        format!("{}/{}", m.tokens_in, m.tokens_out),
        m.tool_calls.to_string(),
        dollars(m.cost_usd),
    ]
}

/// A run's verdict on itself in one cell: the action, ✓/✗ for accuracy, and the fault.
pub(crate) fn run_cell(r: &RunRecord) -> String {
    let action = r.action.as_deref().unwrap_or("(error)");
    let mark = if r.unsafe_proposal {
        "UNSAFE"
    } else if r.correct {
        "ok"
    } else {
        "wrong"
    };
    let fault = match r.resolved {
        Some(true) => ", resolved",
        Some(false) if r.resolvable => ", unresolved",
        _ => "",
    };
    format!("{action} ({mark}{fault})")
}

#[cfg(test)]
pub(crate) mod tests;
