//! Policy configuration: a plain data type (YAML today, a CRD later), and its validation.
//!
//! Everything here is data with defaults; [`PolicyConfig::problems`] reports what the
//! schema cannot (a schedule that does not parse, an unknown time zone, a floor above 1),
//! each with its dotted path. Nothing here evaluates a decision.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::cron::CronSchedule;
use crate::actions::{ActionKind, Risk};
use crate::assess::config::Interval;
use crate::config::load::Problem;
use crate::decide::rules::matcher::{format_duration, parse_duration};

/// The longest cooldown: recent activity is read this far back.
pub const MAX_COOLDOWN_SECS: i64 = 86_400;

/// The longest maintenance window: a window is found by looking back this far at most.
pub const MAX_WINDOW_SECS: i64 = 7 * 86_400;

/// Whether medic acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Plan only: record what would be done (the default).
    #[default]
    DryRun,
    /// Every cluster-changing action waits for a human's approval.
    Approve,
    /// Actions up to the risk ceiling run; riskier ones wait for approval. `execute` is
    /// accepted as an older name.
    #[serde(alias = "execute")]
    Autonomous,
}

impl Mode {
    /// The name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::DryRun => "dry-run",
            Mode::Approve => "approve",
            Mode::Autonomous => "autonomous",
        }
    }

    /// How careful the mode is: dry-run (2) > approve (1) > autonomous (0). A namespace
    /// override only counts when it is at least as careful as the global mode.
    pub fn caution(self) -> u8 {
        match self {
            Mode::DryRun => 2,
            Mode::Approve => 1,
            Mode::Autonomous => 0,
        }
    }
}

/// The schema lists `execute`, the older name of `autonomous`, which serde accepts too
/// (a derived schema would leave the alias out, and the config check refuse it).
impl schemars::JsonSchema for Mode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Mode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Whether medic acts: dry-run (plan only), approve (every action waits \
                            for a human), autonomous (act up to the risk ceiling; `execute` is an older name).",
            "type": "string",
            "enum": ["dry-run", "approve", "autonomous", "execute"]
        })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A duration that may be zero (`0s` switches the thing it sets off): `90s`, `15m`, `2h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Span(i64);

impl Span {
    /// `seconds` (at least 0) as a span.
    pub const fn from_secs(seconds: i64) -> Span {
        Span(seconds)
    }

    /// The length in seconds.
    pub fn as_secs(self) -> i64 {
        self.0
    }

    /// Whether the span is zero (off).
    pub fn is_off(self) -> bool {
        self.0 <= 0
    }
}

impl TryFrom<String> for Span {
    type Error = String;
    fn try_from(text: String) -> Result<Span, String> {
        let t = text.trim();
        let digits = t.trim_end_matches(['s', 'm', 'h', 'd']);
        if !digits.is_empty() && digits.len() + 1 >= t.len() && digits.bytes().all(|b| b == b'0') {
            return Ok(Span(0));
        }
        parse_duration(t)
            .map(Span)
            .map_err(|e| e.replace("give a positive duration", "give a duration, or 0s for none"))
    }
}

impl From<Span> for String {
    fn from(s: Span) -> String {
        s.to_string()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 <= 0 {
            f.write_str("0s")
        } else {
            f.write_str(&format_duration(self.0))
        }
    }
}

/// How long after an action the same thing is not done again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Cooldowns {
    /// The same action on the same target is refused for this long after the last one
    /// started. Default `15m`; `0s` disables.
    pub action_target: Span,
    /// Any action for an alert with the same fingerprint is refused for this long after
    /// the last one started. Default `10m`; `0s` disables.
    pub fingerprint: Span,
}

impl Default for Cooldowns {
    fn default() -> Self {
        Cooldowns {
            action_target: Span::from_secs(15 * 60),
            fingerprint: Span::from_secs(10 * 60),
        }
    }
}

/// How many actions may start per hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// Actions started in the last hour, everywhere. Default 20.
    pub per_hour: u32,
    /// Actions started in the last hour in one namespace. Default 6.
    pub per_namespace_per_hour: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_hour: 20,
            per_namespace_per_hour: 6,
        }
    }
}

/// How much of a workload one action may take down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BlastRadius {
    /// Pods one action may delete, evict, restart or remove. Default 10.
    pub max_pods: u32,
    /// Ready replicas a workload must keep at the worst moment of an action that reduces
    /// them. Default 1.
    pub min_ready_replicas: u32,
    /// Refuse an action that disrupts more pods than a PodDisruptionBudget covering them
    /// allows right now (`status.disruptionsAllowed`). Default `true`.
    pub honour_pdbs: bool,
    /// Refuse an action that would take a workload's last ready replica down. Default `true`.
    pub never_last_replica: bool,
}

impl Default for BlastRadius {
    fn default() -> Self {
        BlastRadius {
            max_pods: 10,
            min_ready_replicas: 1,
            honour_pdbs: true,
            never_last_replica: true,
        }
    }
}

/// What a maintenance window does to actions that fall in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WindowEffect {
    /// Actions wait for a human's approval (the default).
    #[default]
    Hold,
    /// Actions are refused.
    Deny,
}

impl WindowEffect {
    /// The name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowEffect::Hold => "hold",
            WindowEffect::Deny => "deny",
        }
    }
}

fn utc() -> String {
    "UTC".into()
}

/// A recurring period (quiet hours, a change freeze) when medic does not act on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// A name for the reasons (`weeknights`).
    pub name: String,
    /// When the window opens: a 5-field cron schedule (minute hour day-of-month month
    /// day-of-week) with `*`, ranges `1-5`, lists `1,3`, steps `*/15`; day-of-week 0 and 7
    /// are Sunday. Example `0 22 * * 1-5`: 22:00 on weekdays.
    pub schedule: String,
    /// How long it stays open (`8h`), at most 7 days.
    pub duration: Interval,
    /// The IANA time zone the schedule is read in (`Europe/Paris`). Default `UTC`.
    #[serde(default = "utc")]
    pub timezone: String,
    /// `hold` (default): actions wait for approval; `deny`: they are refused.
    #[serde(default)]
    pub effect: WindowEffect,
    /// Only actions in these namespaces; empty (the default): everywhere, cluster-scoped
    /// targets included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

/// Per-namespace overrides. An override can make a namespace stricter, never looser, than
/// the global policy: the more careful mode and the lower ceiling win.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamespacePolicy {
    /// Mode for this namespace (default: the global mode). A namespace cannot be more
    /// permissive than the global mode: `autonomous` here with a global `dry-run` stays dry-run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Risk ceiling for this namespace (default: the global one); the lower of the two
    /// applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_ceiling: Option<Risk>,
    /// When non-empty, only these actions are allowed in the namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_actions: Vec<String>,
    /// These actions are refused in the namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_actions: Vec<String>,
    /// Actions started per hour in this namespace, instead of
    /// `rate_limits.per_namespace_per_hour` (the global `per_hour` still applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_hour: Option<u32>,
}

/// The `policy:` section of the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// `dry-run` (default), `approve` or `autonomous` (`execute` is accepted for it).
    pub mode: Mode,
    /// In `autonomous` mode, actions up to this risk (`low`, `medium`, `high`,
    /// `critical`) run; riskier ones wait for approval. Default `medium`.
    pub risk_ceiling: Risk,
    /// Decisions of a language model with a lower confidence are refused. Default 0.7.
    pub confidence_floor: f64,
    /// How long the same thing is not done again.
    pub cooldowns: Cooldowns,
    /// How many actions may start per hour.
    pub rate_limits: RateLimits,
    /// Actions executing at once, everywhere. Default 3.
    pub max_concurrent: u32,
    /// How much one action may take down.
    pub blast_radius: BlastRadius,
    /// When medic does not act on its own (hold or deny). Default: none.
    pub maintenance_windows: Vec<MaintenanceWindow>,
    /// Namespaces medic never changes. Default: `kube-system`, `kube-public`,
    /// `kube-node-lease` and `medic` (where deploy/kubernetes/medic.yaml runs medic itself).
    pub protected_namespaces: Vec<String>,
    /// When non-empty, only these actions are allowed anywhere.
    pub allowed_actions: Vec<String>,
    /// These actions are refused everywhere.
    pub denied_actions: Vec<String>,
    /// Overrides per namespace.
    pub namespaces: BTreeMap<String, NamespacePolicy>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            mode: Mode::DryRun,
            risk_ceiling: Risk::Medium,
            confidence_floor: 0.7,
            cooldowns: Cooldowns::default(),
            rate_limits: RateLimits::default(),
            max_concurrent: 3,
            blast_radius: BlastRadius::default(),
            maintenance_windows: Vec::new(),
            protected_namespaces: ["kube-system", "kube-public", "kube-node-lease", "medic"]
                .map(String::from)
                .to_vec(),
            allowed_actions: Vec::new(),
            denied_actions: Vec::new(),
            namespaces: BTreeMap::new(),
        }
    }
}

impl PolicyConfig {
    /// Whether medic never changes anything in `namespace`.
    pub fn is_protected(&self, namespace: &str) -> bool {
        self.protected_namespaces.iter().any(|p| p == namespace)
    }

    /// The mode that applies in `namespace` (`None`: cluster-scoped): the more careful of
    /// the global mode and the namespace's.
    pub fn mode_in(&self, namespace: Option<&str>) -> Mode {
        let local = namespace
            .and_then(|ns| self.namespaces.get(ns))
            .and_then(|p| p.mode)
            .unwrap_or(self.mode);
        if local.caution() > self.mode.caution() {
            local
        } else {
            self.mode
        }
    }

    /// The risk ceiling that applies in `namespace`: the lower of the global one and the
    /// namespace's.
    pub fn ceiling_in(&self, namespace: Option<&str>) -> Risk {
        namespace
            .and_then(|ns| self.namespaces.get(ns))
            .and_then(|p| p.risk_ceiling)
            .map_or(self.risk_ceiling, |r| r.min(self.risk_ceiling))
    }

    /// The per-hour limit of one namespace.
    pub fn namespace_rate_limit(&self, namespace: &str) -> u32 {
        self.namespaces
            .get(namespace)
            .and_then(|p| p.rate_limit_per_hour)
            .unwrap_or(self.rate_limits.per_namespace_per_hour)
    }

    /// What the schema cannot say is wrong, each with its path under `policy.`: action
    /// names, the confidence floor, limits of 0, maintenance windows (schedule, time zone,
    /// duration, duplicate names).
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut problem = |path: String, message: String| {
            out.push(Problem {
                path: format!("policy.{path}"),
                message,
            })
        };
        let mut lists = vec![
            ("allowed_actions".to_string(), &self.allowed_actions),
            ("denied_actions".to_string(), &self.denied_actions),
        ];
        for (ns, np) in &self.namespaces {
            lists.push((format!("namespaces.{ns}.allowed_actions"), &np.allowed_actions));
            lists.push((format!("namespaces.{ns}.denied_actions"), &np.denied_actions));
            if np.rate_limit_per_hour == Some(0) {
                problem(
                    format!("namespaces.{ns}.rate_limit_per_hour"),
                    "must be at least 1, found 0 (to stop actions there, set its mode to dry-run or deny them)".into(),
                );
            }
        }
        for (path, names) in lists {
            for (i, name) in names.iter().enumerate() {
                if ActionKind::parse(name).is_none() {
                    problem(
                        format!("{path}[{i}]"),
                        format!("unknown action {name:?} (see `medic actions`)"),
                    );
                }
            }
        }
        if !(0.0..=1.0).contains(&self.confidence_floor) {
            problem(
                "confidence_floor".into(),
                format!("must be between 0 and 1, found {}", self.confidence_floor),
            );
        }
        for (path, value) in [
            ("rate_limits.per_hour", self.rate_limits.per_hour),
            (
                "rate_limits.per_namespace_per_hour",
                self.rate_limits.per_namespace_per_hour,
            ),
            ("max_concurrent", self.max_concurrent),
            ("blast_radius.max_pods", self.blast_radius.max_pods),
        ] {
            if value == 0 {
                problem(
                    path.into(),
                    "must be at least 1, found 0 (to stop actions, use mode dry-run)".into(),
                );
            }
        }
        for (path, span) in [
            ("cooldowns.action_target", self.cooldowns.action_target),
            ("cooldowns.fingerprint", self.cooldowns.fingerprint),
        ] {
            if span.as_secs() > MAX_COOLDOWN_SECS {
                problem(path.into(), format!("must be at most 1d, found {span}"));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, w) in self.maintenance_windows.iter().enumerate() {
            let at = |field: &str| format!("maintenance_windows[{i}].{field}");
            if w.name.trim().is_empty() {
                problem(at("name"), "must not be empty".into());
            } else if !names.insert(w.name.as_str()) {
                problem(at("name"), format!("{:?} is used by another window", w.name));
            }
            if let Err(e) = CronSchedule::parse(&w.schedule) {
                problem(at("schedule"), e.to_string());
            }
            if jiff::tz::TimeZone::get(&w.timezone).is_err() {
                problem(
                    at("timezone"),
                    format!("{:?} is not an IANA time zone (e.g. UTC, Europe/Paris)", w.timezone),
                );
            }
            if w.duration.as_secs() > MAX_WINDOW_SECS {
                problem(at("duration"), format!("must be at most 7d, found {}", w.duration));
            }
        }
        out
    }
}
