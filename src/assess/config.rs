//! The `assessment:` section of the config file: when and how executed actions are
//! scored, how history feeds back into decisions, and how long history is kept.
//!
//! Every value is checked while it is read (durations, fractions, weights, action names,
//! URLs), so a mistake is reported with its key path by the config loader. This module
//! holds data only: it builds no client and reads no clock.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::actions::ActionKind;
use crate::decide::rules::matcher::{format_duration, parse_duration};

/// The `assessment:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AssessmentConfig {
    /// Whether executed actions are scored. Default `true`. Planned (dry-run) actions are
    /// never scored: nothing changed, so there is nothing to judge.
    pub enabled: bool,
    /// How long to wait after an action executed before scoring it, per action name,
    /// `default` for the others. Default: `{default: 5m, rollout_restart: 10m,
    /// rollback_deployment: 10m}` (a rollout replaces every pod before it settles).
    pub stabilization: Stabilization,
    /// A new firing of the same alert on the same target within this time after the
    /// action is a recurrence: it lowers the score, even after scoring. Default `1h`.
    pub recurrence_window: Interval,
    /// The weight of each signal in the score. A signal that cannot be read has its
    /// weight shared among the others.
    pub weights: Weights,
    /// Alertmanager's base URL (`http://alertmanager:9093`), asked whether the alert is
    /// still active when its resolved notification has not arrived. Default: none (only
    /// the resolved webhook tells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager_url: Option<HttpUrl>,
    /// How long to wait for Alertmanager's answer. Default `5s`.
    pub alertmanager_timeout: Interval,
    /// An action whose mean score for an alert on a workload is below this, after
    /// `min_attempts` scored attempts, is skipped by the rules decider. Default `0.5`.
    pub skip_below: Fraction,
    /// Scored attempts needed before `skip_below` applies. Default 3.
    pub min_attempts: NonZeroU32,
    /// Past outcomes of the same alert on the same workload shown to deciders. Default 5.
    pub recent_outcomes: usize,
    /// The window in which flapping (scale up, down, up) and repeated failures of one
    /// action on one target are looked for. Default `1h`.
    pub oscillation_window: Interval,
    /// How many failed or low-scoring attempts of one action on one target in a row, within
    /// the oscillation window, are reported as repeated failure (and refused). Default 3.
    pub oscillation_repeats: NonZeroU32,
    /// Incidents older than this many days are deleted, with everything recorded about
    /// them, by an hourly task. `0` keeps everything. Default 90.
    pub retention_days: u32,
    /// How often the assessor looks for due assessments and recurrences. Default `15s`.
    pub interval: Interval,
}

impl Default for AssessmentConfig {
    fn default() -> Self {
        AssessmentConfig {
            enabled: true,
            stabilization: Stabilization::default(),
            recurrence_window: Interval::from_secs(3600),
            weights: Weights::default(),
            alertmanager_url: None,
            alertmanager_timeout: Interval::from_secs(5),
            skip_below: Fraction(0.5),
            min_attempts: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
            recent_outcomes: 5,
            oscillation_window: Interval::from_secs(3600),
            oscillation_repeats: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
            retention_days: 90,
            interval: Interval::from_secs(15),
        }
    }
}

/// A positive duration written `90s`, `5m`, `2h`, `1d` or `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Interval(i64);

impl Interval {
    /// `seconds` (positive) as an interval.
    pub const fn from_secs(seconds: i64) -> Interval {
        Interval(seconds)
    }

    /// The length in seconds.
    pub fn as_secs(self) -> i64 {
        self.0
    }

    /// The length as a signed duration.
    pub fn duration(self) -> SignedDuration {
        SignedDuration::from_secs(self.0)
    }

    /// The length as a standard duration (for sleeping).
    pub fn std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0.max(0).unsigned_abs())
    }
}

impl TryFrom<String> for Interval {
    type Error = String;
    fn try_from(text: String) -> Result<Interval, String> {
        parse_duration(&text).map(Interval)
    }
}

impl From<Interval> for String {
    fn from(i: Interval) -> String {
        format_duration(i.0)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// A number from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "f64", into = "f64")]
pub struct Fraction(f64);

impl Fraction {
    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Fraction {
    type Error = String;
    fn try_from(value: f64) -> Result<Fraction, String> {
        if (0.0..=1.0).contains(&value) {
            Ok(Fraction(value))
        } else {
            Err(format!("must be between 0 and 1, found {value}"))
        }
    }
}

impl From<Fraction> for f64 {
    fn from(f: Fraction) -> f64 {
        f.0
    }
}

/// The weights of the three signals; each at least 0, their sum above 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "RawWeights", into = "RawWeights")]
pub struct Weights {
    /// Target health: pods Ready, no new restarts, the triggering condition gone.
    pub health: f64,
    /// Alert state: resolved (webhook), or no longer active in Alertmanager.
    pub alert: f64,
    /// No recurrence within the recurrence window.
    pub recurrence: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            health: 0.40,
            alert: 0.35,
            recurrence: 0.25,
        }
    }
}

/// The weights as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawWeights {
    /// Target health. Default 0.40.
    pub health: f64,
    /// Alert state. Default 0.35.
    pub alert: f64,
    /// No recurrence. Default 0.25.
    pub recurrence: f64,
}

impl Default for RawWeights {
    fn default() -> Self {
        Weights::default().into()
    }
}

impl TryFrom<RawWeights> for Weights {
    type Error = String;
    fn try_from(raw: RawWeights) -> Result<Weights, String> {
        let mut bad = Vec::new();
        for (name, w) in [
            ("health", raw.health),
            ("alert", raw.alert),
            ("recurrence", raw.recurrence),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                bad.push(format!("{name} must be a number of at least 0, found {w}"));
            }
        }
        if bad.is_empty() && raw.health + raw.alert + raw.recurrence <= 0.0 {
            bad.push("at least one weight must be above 0".into());
        }
        if bad.is_empty() {
            Ok(Weights {
                health: raw.health,
                alert: raw.alert,
                recurrence: raw.recurrence,
            })
        } else {
            Err(bad.join("; "))
        }
    }
}

impl From<Weights> for RawWeights {
    fn from(w: Weights) -> RawWeights {
        RawWeights {
            health: w.health,
            alert: w.alert,
            recurrence: w.recurrence,
        }
    }
}

/// Stabilization windows: `default`, and per action name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "BTreeMap<String, Interval>", into = "BTreeMap<String, Interval>")]
pub struct Stabilization {
    default: Interval,
    per_action: BTreeMap<String, Interval>,
}

impl Stabilization {
    /// The fallback window when `default` is not given: 5 minutes.
    pub const FALLBACK: Interval = Interval::from_secs(300);

    /// The window of an action.
    pub fn of(&self, action: &str) -> Interval {
        self.per_action.get(action).copied().unwrap_or(self.default)
    }
}

impl Default for Stabilization {
    fn default() -> Self {
        Stabilization {
            default: Self::FALLBACK,
            per_action: BTreeMap::from([
                ("rollout_restart".to_string(), Interval::from_secs(600)),
                ("rollback_deployment".to_string(), Interval::from_secs(600)),
            ]),
        }
    }
}

impl TryFrom<BTreeMap<String, Interval>> for Stabilization {
    type Error = String;
    fn try_from(mut map: BTreeMap<String, Interval>) -> Result<Stabilization, String> {
        let default = map.remove("default").unwrap_or(Self::FALLBACK);
        let unknown: Vec<String> = map
            .keys()
            .filter(|name| ActionKind::parse(name).is_none())
            .map(|name| format!("{name:?}"))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "unknown action {} (keys are `default` or action names; see `medic actions`)",
                unknown.join(", ")
            ));
        }
        Ok(Stabilization {
            default,
            per_action: map,
        })
    }
}

impl From<Stabilization> for BTreeMap<String, Interval> {
    fn from(s: Stabilization) -> BTreeMap<String, Interval> {
        let mut map = s.per_action;
        map.insert("default".into(), s.default);
        map
    }
}

/// An `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct HttpUrl(String);

impl HttpUrl {
    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HttpUrl {
    type Error = String;
    fn try_from(text: String) -> Result<HttpUrl, String> {
        match reqwest::Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(HttpUrl(text)),
            Ok(url) => Err(format!(
                "{text:?} is not an http:// or https:// URL with a host (scheme {:?})",
                url.scheme()
            )),
            Err(e) => Err(format!("{text:?} is not a URL: {e}")),
        }
    }
}

impl From<HttpUrl> for String {
    fn from(u: HttpUrl) -> String {
        u.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<AssessmentConfig, String> {
        let de = serde_yaml_ng::Deserializer::from_str(yaml);
        serde_path_to_error::deserialize(de).map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }

    #[test]
    fn defaults_round_trip_through_yaml() {
        let defaults = AssessmentConfig::default();
        let text = serde_yaml_ng::to_string(&defaults).unwrap();
        assert!(text.contains("default: 5m"), "{text}");
        assert!(text.contains("rollout_restart: 10m"), "{text}");
        assert_eq!(parse(&text).unwrap(), defaults);
        assert_eq!(parse("{}").unwrap(), defaults);
    }

    #[test]
    fn stabilization_per_action_with_a_default() {
        let c = parse("stabilization: {default: 2m, restart_pod: 90s}").unwrap();
        assert_eq!(c.stabilization.of("restart_pod"), Interval::from_secs(90));
        assert_eq!(c.stabilization.of("scale_deployment"), Interval::from_secs(120));
        assert_eq!(
            c.stabilization.of("rollout_restart"),
            Interval::from_secs(120),
            "a map given replaces the defaults"
        );
        let c = parse("stabilization: {restart_pod: 1m}").unwrap();
        assert_eq!(c.stabilization.of("escalate"), Stabilization::FALLBACK);
    }

    #[test]
    fn bad_values_name_the_key_and_the_value() {
        let e = parse("stabilization: {rollout_restrat: 10m}").unwrap_err();
        assert!(e.starts_with("stabilization"), "{e}");
        assert!(e.contains("\"rollout_restrat\""), "{e}");
        let e = parse("recurrence_window: soon").unwrap_err();
        assert!(e.starts_with("recurrence_window"), "{e}");
        assert!(e.contains("\"soon\" is not a duration"), "{e}");
        let e = parse("skip_below: 1.5").unwrap_err();
        assert!(e.starts_with("skip_below") && e.contains("found 1.5"), "{e}");
        let e = parse("weights: {health: -1}").unwrap_err();
        assert!(e.starts_with("weights") && e.contains("health must be"), "{e}");
        let e = parse("weights: {health: 0, alert: 0, recurrence: 0}").unwrap_err();
        assert!(e.contains("at least one weight"), "{e}");
        let e = parse("weights: {helth: 1}").unwrap_err();
        assert!(e.contains("helth"), "{e}");
        let e = parse("alertmanager_url: ftp://am:9093").unwrap_err();
        assert!(e.starts_with("alertmanager_url") && e.contains("ftp"), "{e}");
        let e = parse("min_attempts: 0").unwrap_err();
        assert!(e.starts_with("min_attempts"), "{e}");
        assert!(parse("colour: blue").unwrap_err().contains("colour"));
    }

    #[test]
    fn a_good_section_reads_as_written() {
        let c = parse(
            "alertmanager_url: http://alertmanager.monitoring:9093\nweights: {health: 1, alert: 1, recurrence: 0}\n\
             retention_days: 0\nskip_below: 0.3\nmin_attempts: 5\n",
        )
        .unwrap();
        assert_eq!(
            c.alertmanager_url.as_ref().map(HttpUrl::as_str),
            Some("http://alertmanager.monitoring:9093")
        );
        assert_eq!(c.weights.recurrence, 0.0);
        assert_eq!(c.retention_days, 0);
        assert_eq!(c.skip_below.get(), 0.3);
        assert_eq!(c.min_attempts.get(), 5);
    }
}
