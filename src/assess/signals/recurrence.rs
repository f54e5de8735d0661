//! The no-recurrence signal: did the same alert fire again on the same target after the
//! action?
//!
//! A recurrence is a new incident (not a redelivery) with the same fingerprint, or the
//! same alertname on the same target or workload, received after the action and within
//! the recurrence window; the store finds it. 1 without one (provisional until the window
//! has passed), 0 with one (final). Pure.

use jiff::Timestamp;

use crate::assess::model::{DueAssessment, Evidence, Signal};

/// Scores recurrence as of `now`; the flag says whether the score can still change.
pub fn assess(due: &DueAssessment, now: Timestamp) -> (f64, Vec<Evidence>, bool) {
    let a = &due.assessment;
    match &due.recurrence {
        Some(r) => {
            let after = r.received_at.duration_since(a.executed_at).as_secs() / 60;
            (
                0.0,
                vec![Evidence::new(
                    Signal::Recurrence,
                    format!(
                        "{} fired again {after}m after the action (incident {})",
                        due.alertname, r.incident_id
                    ),
                )],
                false,
            )
        }
        None => {
            let open = now < a.recurrence_until;
            let window = a.recurrence_until.duration_since(a.executed_at).as_secs() / 60;
            let detail = if open {
                format!(
                    "{} has not fired again since the action; provisional until {} (window {window}m)",
                    due.alertname, a.recurrence_until
                )
            } else {
                format!("{} did not fire again within {window}m of the action", due.alertname)
            };
            (1.0, vec![Evidence::new(Signal::Recurrence, detail)], open)
        }
    }
}
