//! Kubernetes resource quantities (`256Mi`, `1.5Gi`, `500m`, `2`): parsing, comparison
//! and the formatting medic writes back.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A validated quantity string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct Quantity {
    text: String,
    value: f64,
}

/// Suffixes and their multipliers.
const SUFFIXES: &[(&str, f64)] = &[
    ("Ki", 1024.0),
    ("Mi", 1024.0 * 1024.0),
    ("Gi", 1024.0 * 1024.0 * 1024.0),
    ("Ti", 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("Pi", 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("Ei", 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("n", 1e-9),
    ("u", 1e-6),
    ("m", 1e-3),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
    ("E", 1e18),
];

impl Quantity {
    /// Parses a quantity; the error quotes the text.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let t = text.trim();
        let (number, mult) = SUFFIXES
            .iter()
            .find_map(|(s, m)| t.strip_suffix(s).map(|n| (n, *m)))
            .unwrap_or((t, 1.0));
        let ok_chars = !number.is_empty()
            && number
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        let value = ok_chars
            .then(|| number.parse::<f64>().ok())
            .flatten()
            .filter(|v| v.is_finite() && *v >= 0.0);
        match value {
            Some(v) => Ok(Quantity {
                text: t.to_string(),
                value: v * mult,
            }),
            None => Err(format!(
                "{text:?} is not a Kubernetes quantity (expected e.g. 256Mi, 1.5Gi, 500m, 2)"
            )),
        }
    }

    /// The value in base units (bytes, or cores).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A memory quantity for `bytes`, rounded up to a whole Mi (or Gi when exact).
    pub fn memory(bytes: f64) -> Quantity {
        let mi = (bytes / (1024.0 * 1024.0)).ceil().max(1.0) as u64;
        let text = if mi.is_multiple_of(1024) {
            format!("{}Gi", mi / 1024)
        } else {
            format!("{mi}Mi")
        };
        Quantity {
            text,
            value: mi as f64 * 1024.0 * 1024.0,
        }
    }

    /// A CPU quantity for `cores`, rounded up to a whole millicore (or core when exact).
    pub fn cpu(cores: f64) -> Quantity {
        let m = (cores * 1000.0).ceil().max(1.0) as u64;
        let text = if m.is_multiple_of(1000) {
            format!("{}", m / 1000)
        } else {
            format!("{m}m")
        };
        Quantity {
            text,
            value: m as f64 / 1000.0,
        }
    }
}

impl TryFrom<String> for Quantity {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Quantity::parse(&s)
    }
}

impl From<Quantity> for String {
    fn from(q: Quantity) -> String {
        q.text
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(Quantity::parse("256Mi").unwrap().value(), 268435456.0);
        assert_eq!(Quantity::parse("500m").unwrap().value(), 0.5);
        assert_eq!(Quantity::parse("2").unwrap().value(), 2.0);
        assert_eq!(Quantity::parse("1G").unwrap().value(), 1e9);
        assert!(Quantity::parse("lots").unwrap_err().contains("\"lots\""));
        assert!(Quantity::parse("-1Gi").is_err());
        assert_eq!(Quantity::memory(384.0 * 1024.0 * 1024.0).as_str(), "384Mi");
        assert_eq!(Quantity::memory(2048.0 * 1024.0 * 1024.0).as_str(), "2Gi");
        assert_eq!(Quantity::cpu(0.75).as_str(), "750m");
        assert_eq!(Quantity::cpu(2.0).as_str(), "2");
    }
}
