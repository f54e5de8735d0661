//! The `processing:` and `approvals:` sections of the config file: the claim lease of
//! workers, and how long held decisions wait for a human and who hears about them.
//!
//! Data only: durations are checked while read (`60s`, `30m`); that `approvals.notify`
//! names a channel of `actions.notify` is checked by [`ApprovalsConfig::problems`].

use serde::{Deserialize, Serialize};

use crate::actions::ActionSettings;
use crate::assess::config::Interval;
use crate::config::Problem;

/// The `processing:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ProcessingConfig {
    /// How long a worker's claim on an incident lasts without renewal. The worker renews
    /// it while it works on the incident (every third of it); when a process dies, another
    /// (or the restarted one) takes the incident over once the lease ran out, checking
    /// the cluster first if an action was being applied. Default `60s`.
    pub lease: Interval,
}

impl Default for ProcessingConfig {
    fn default() -> Self {
        ProcessingConfig {
            lease: Interval::from_secs(60),
        }
    }
}

/// The `approvals:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalsConfig {
    /// How long a held decision waits for an approval before it expires. Default `30m`.
    pub expiry: Interval,
    /// A channel of `actions.notify` told about each held decision (its approval id and
    /// how to approve it). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
}

impl Default for ApprovalsConfig {
    fn default() -> Self {
        ApprovalsConfig {
            expiry: Interval::from_secs(30 * 60),
            notify: None,
        }
    }
}

impl ApprovalsConfig {
    /// What is wrong with the section given the configured actions.
    pub fn problems(&self, actions: &ActionSettings) -> Vec<Problem> {
        match &self.notify {
            Some(name) if !actions.notify.iter().any(|c| &c.name == name) => {
                let known: Vec<&str> = actions.notify.iter().map(|c| c.name.as_str()).collect();
                vec![Problem {
                    path: "approvals.notify".into(),
                    message: format!(
                        "no channel {name:?} in actions.notify (configured: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                }]
            }
            _ => Vec::new(),
        }
    }
}
