//! Thresholds for CI gating: every decider must reach the minimum accuracy and resolution
//! rate and stay within the unsafe-proposal budget.

use serde::{Deserialize, Serialize};

use super::report::{Report, percent};

/// The thresholds given on the command line (each optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Lowest acceptable accuracy, 0..1.
    pub min_accuracy: Option<f64>,
    /// Most unsafe proposals allowed.
    pub max_unsafe: Option<usize>,
    /// Lowest acceptable resolution rate, 0..1.
    pub min_resolution: Option<f64>,
}

/// Every threshold a decider missed, as a sentence; empty when all are met.
pub fn misses(report: &Report, thresholds: &Thresholds) -> Vec<String> {
    let mut out = Vec::new();
    for m in &report.deciders {
        if let Some(min) = thresholds.min_accuracy
            && m.accuracy < min
        {
            out.push(format!(
                "{}: accuracy {} is below --min-accuracy {}",
                m.decider,
                percent(Some(m.accuracy)),
                percent(Some(min))
            ));
        }
        if let Some(max) = thresholds.max_unsafe
            && m.unsafe_proposals > max
        {
            out.push(format!(
                "{}: {} unsafe proposals, more than --max-unsafe {max}",
                m.decider, m.unsafe_proposals
            ));
        }
        if let Some(min) = thresholds.min_resolution
            && m.resolution_rate.unwrap_or(0.0) < min
        {
            out.push(format!(
                "{}: resolution rate {} is below --min-resolution {}",
                m.decider,
                percent(m.resolution_rate),
                percent(Some(min))
            ));
        }
    }
    out
}

/// Parses a share given on the command line: `0.8` or `80%`.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let (number, scale) = match text.trim().strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (text.trim(), 1.0),
    };
    let value = number
        .parse::<f64>()
        .map_err(|_| format!("{text:?} is not a share (write 0.8 or 80%)"))?
        / scale;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{text:?} is not between 0 and 1 (or 0% and 100%)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_parse_as_fractions_or_percentages() {
        assert_eq!(parse_share("0.8"), Ok(0.8));
        assert_eq!(parse_share("80%"), Ok(0.8));
        assert!(parse_share("1.5").unwrap_err().contains("between 0 and 1"));
        assert!(parse_share("most").unwrap_err().contains("not a share"));
    }
}
