//! The `Verdict` domain type.

use serde::{Deserialize, Serialize};

/// What the policy stage decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// The action may proceed (executed, or planned only in dry-run).
    Allow,
    /// The action waits for a human's approval.
    Hold,
    /// The action is refused.
    Deny,
}

impl VerdictKind {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Allow => "allow",
            VerdictKind::Hold => "hold",
            VerdictKind::Deny => "deny",
        }
    }
}

/// One policy check and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The check's name (`protected_namespace`, `allowed_actions`, ...).
    pub name: String,
    /// Whether the decision passed it.
    pub passed: bool,
    /// Why, in words.
    pub reason: String,
}

/// The policy stage's answer for one decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Allow, hold or deny.
    pub kind: VerdictKind,
    /// Whether the action is only planned (dry-run), even when allowed.
    pub dry_run: bool,
    /// Every check, in the order run.
    pub checks: Vec<Check>,
}

impl Verdict {
    /// The reasons of the checks that failed, joined; or `all checks passed`.
    pub fn summary(&self) -> String {
        let failed: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.reason.as_str())
            .collect();
        if failed.is_empty() {
            "all checks passed".into()
        } else {
            failed.join("; ")
        }
    }

    /// Whether the action may be executed now (allowed and not dry-run).
    pub fn executes(&self) -> bool {
        self.kind == VerdictKind::Allow && !self.dry_run
    }
}
