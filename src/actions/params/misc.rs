//! Parameters of the actions that talk to people: `notify`.

use serde::{Deserialize, Serialize};

/// Parameters of `notify`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// The channel, by name, from config (`actions.notify`); default: the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The message; default: the incident's summary and the decision's rationale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
