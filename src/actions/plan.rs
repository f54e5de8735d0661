//! Plans: what an action would change, as API calls and readable diffs.

use serde::{Deserialize, Serialize};

use super::bounds::Bounds;
use super::settings::ActionSettings;
use crate::cluster::{Cluster, ObjectRef, Operation, PatchBody};
use crate::context::Context;
use crate::incident::Incident;

/// What planning reads: the incident, its context, the cluster, the bounds.
pub struct PlanInput<'a> {
    /// The incident being remedied.
    pub incident: &'a Incident,
    /// Its context (owner chain, pods, ...).
    pub context: &'a Context,
    /// The decision's target, if the decider named one.
    pub target: Option<&'a ObjectRef>,
    /// The cluster, read-only while planning.
    pub cluster: &'a dyn Cluster,
    /// Parameter bounds.
    pub bounds: &'a Bounds,
    /// Settings of the configurable actions (Job templates, allow-lists, channels).
    pub settings: &'a ActionSettings,
}

/// One object's change, for humans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The object.
    pub object: ObjectRef,
    /// A unified diff of its YAML (`---`/`+++` headers, `@@` hunks), or for deletions
    /// and creations the whole object prefixed with `-`/`+`.
    pub diff: String,
}

/// What an action would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The action's catalog name.
    pub action: String,
    /// The object acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ObjectRef>,
    /// One sentence: `scale deployment/shop/api from 2 to 4 replicas`.
    pub summary: String,
    /// The API calls, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    /// The diff of every object changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// What else a reader should know (`its ReplicaSet will create a replacement`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the action collected (`collect_diagnostics`' snapshot), stored with the
    /// outcome; empty for actions that only change the cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
}

/// A named text an action produced while planning, kept with the plan (a diagnostics
/// snapshot, one file of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Its name, usable as a ConfigMap key (`describe.txt`).
    pub name: String,
    /// The text.
    pub content: String,
}

impl Plan {
    /// A plan of one patch of `target` (of its `subresource`, if any), whose diff is
    /// `change`; `summary` and `notes` are for humans.
    pub fn one_patch(
        action: &str,
        summary: String,
        target: ObjectRef,
        subresource: Option<&str>,
        patch: PatchBody,
        change: Change,
        notes: Vec<String>,
    ) -> Plan {
        Plan {
            action: action.into(),
            target: Some(target.clone()),
            summary,
            operations: vec![Operation::Patch {
                target,
                subresource: subresource.map(str::to_string),
                patch,
            }],
            changes: vec![change],
            notes,
            artifacts: Vec::new(),
        }
    }

    /// The plan as text: summary, calls, notes, artifacts (names and sizes, not their
    /// contents), diffs.
    pub fn render(&self) -> String {
        let mut out = format!("{}: {}\n", self.action, self.summary);
        for op in &self.operations {
            out.push_str(&format!("  {}\n", op.describe()));
        }
        for note in &self.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        for artifact in &self.artifacts {
            out.push_str(&format!(
                "  artifact: {} ({} bytes)\n",
                artifact.name,
                artifact.content.len()
            ));
        }
        for change in &self.changes {
            out.push('\n');
            out.push_str(&change.diff);
            if !change.diff.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// Whether the plan changes nothing in the cluster.
    pub fn is_noop(&self) -> bool {
        self.operations.is_empty()
    }
}
