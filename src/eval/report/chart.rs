//! The chart of the HTML report, as inline SVG: accuracy against total cost, and
//! accuracy against median latency, one point per decider. No script, no font files:
//! it renders anywhere, offline.

use super::super::metrics::DeciderMetrics;
use super::html::escape;
use super::{dollars, millis};

/// Colours of the deciders' points, in order (then repeated).
pub const PALETTE: &[&str] = &[
    "#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
];

const PANEL_W: f64 = 520.0;
const PANEL_H: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 52.0;

/// The chart: two panels side by side and a legend.
pub fn svg(deciders: &[DeciderMetrics]) -> String {
    let width = PANEL_W * 2.0;
    let legend_rows = deciders.len().div_ceil(3).max(1) as f64;
    let height = PANEL_H + 16.0 + legend_rows * 22.0;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" font-family="sans-serif" font-size="12"><title id="chart-title">Accuracy against cost and latency per decider</title><rect width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let cost: Vec<f64> = deciders.iter().map(|d| d.cost_usd).collect();
    let latency: Vec<f64> = deciders.iter().map(|d| d.latency_p50_ms).collect();
    out.push_str(&panel(0.0, "Accuracy vs. total cost (USD)", &cost, deciders, dollars));
    out.push_str(&panel(
        PANEL_W,
        "Accuracy vs. median latency (ms)",
        &latency,
        deciders,
        millis,
    ));
    for (i, d) in deciders.iter().enumerate() {
        let x = 24.0 + (i % 3) as f64 * (width - 48.0) / 3.0;
        let y = PANEL_H + 16.0 + (i / 3) as f64 * 22.0;
        out.push_str(&format!(
            r#"<rect x="{x}" y="{}" width="14" height="14" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            y - 11.0,
            color(i),
            x + 20.0,
            y,
            escape(&d.decider)
        ));
    }
    out.push_str("</svg>");
    out
}

/// The colour of the `i`-th decider.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A round upper bound for an axis (1, 2 or 5 times a power of ten).
fn nice_max(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(x.log10().floor());
    let f = x / magnitude;
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().find(|s| f <= *s).unwrap_or(10.0);
    step * magnitude
}

fn panel(dx: f64, title: &str, xs: &[f64], deciders: &[DeciderMetrics], label: fn(f64) -> String) -> String {
    let (x0, y0) = (dx + LEFT, TOP);
    let (w, h) = (PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM);
    let x_max = nice_max(xs.iter().copied().fold(0.0, f64::max) * 1.1);
    let px = |x: f64| x0 + (x / x_max).clamp(0.0, 1.0) * w;
    let py = |accuracy: f64| y0 + (1.0 - accuracy.clamp(0.0, 1.0)) * h;
    let mut out = format!(
        r##"<g><text x="{}" y="20" font-size="14" font-weight="bold">{}</text><rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="#f8fafc" stroke="#334155"/>"##,
        dx + LEFT,
        escape(title)
    );
    for i in 0..=5 {
        let f = f64::from(i) / 5.0;
        let (gx, gy) = (x0 + f * w, py(f));
        out.push_str(&format!(
            r##"<line x1="{x0}" y1="{gy}" x2="{}" y2="{gy}" stroke="#cbd5e1"/><text x="{}" y="{}" text-anchor="end">{:.0}%</text><line x1="{gx}" y1="{}" x2="{gx}" y2="{}" stroke="#cbd5e1"/><text x="{gx}" y="{}" text-anchor="middle">{}</text>"##,
            x0 + w,
            x0 - 6.0,
            gy + 4.0,
            f * 100.0,
            y0,
            y0 + h,
            y0 + h + 18.0,
            escape(&label(f * x_max))
        ));
    }
    out.push_str(&format!(
        r#"<text x="{}" y="{}" text-anchor="middle" transform="rotate(-90 {} {})">accuracy</text>"#,
        dx + 16.0,
        y0 + h / 2.0,
        dx + 16.0,
        y0 + h / 2.0
    ));
    for (i, (d, x)) in deciders.iter().zip(xs).enumerate() {
        let (cx, cy) = (px(*x), py(d.accuracy));
        out.push_str(&format!(
            r##"<circle cx="{cx:.1}" cy="{cy:.1}" r="10" fill="{}" stroke="#0f172a" stroke-width="1.5"><title>{}: accuracy {:.1}%, {}</title></circle><text x="{:.1}" y="{:.1}">{}</text>"##,
            color(i),
            escape(&d.decider),
            d.accuracy * 100.0,
            escape(&label(*x)),
            (cx + 14.0).min(x0 + w - 60.0),
            cy - 12.0,
            escape(&d.decider)
        ));
    }
    out.push_str("</g>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(0.37), 0.5);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(120.0), 200.0);
        assert_eq!(nice_max(1000.0), 1000.0);
    }
}
