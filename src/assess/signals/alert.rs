//! The alert-state signal: has the alert stopped firing?
//!
//! 1 when the resolved notification arrived (the incident is marked resolved in the
//! store), or when Alertmanager no longer lists the alert's fingerprint as active; 0 when
//! Alertmanager still lists it (silenced or inhibited included: the condition still
//! holds). Missing when neither source can tell: no resolved notification yet and no
//! Alertmanager configured, or Alertmanager unreachable. It only reads.

use crate::assess::alertmanager::AlertmanagerClient;
use crate::assess::model::{DueAssessment, Evidence, Signal};

/// Scores the alert state of an assessment's incident.
pub async fn assess(due: &DueAssessment, alertmanager: Option<&AlertmanagerClient>) -> (Option<f64>, Vec<Evidence>) {
    let ev = |text: String| vec![Evidence::new(Signal::Alert, text)];
    if let Some(at) = due.resolved_at {
        return (
            Some(1.0),
            ev(format!(
                "the resolved notification of {} arrived at {at}",
                due.alertname
            )),
        );
    }
    let Some(am) = alertmanager else {
        return (
            None,
            ev(format!(
                "no resolved notification of {} yet, and no assessment.alertmanager_url to ask",
                due.alertname
            )),
        );
    };
    match am.find_active(&due.alertname, &due.fingerprint).await {
        Ok(None) => (
            Some(1.0),
            ev(format!(
                "Alertmanager no longer lists {} (fingerprint {}) as active",
                due.alertname, due.fingerprint
            )),
        ),
        Ok(Some(alert)) => {
            let mut how = alert.status.state.clone();
            if !alert.status.silenced_by.is_empty() {
                how.push_str(&format!(", silenced by {}", alert.status.silenced_by.join(", ")));
            }
            if !alert.status.inhibited_by.is_empty() {
                how.push_str(&format!(", inhibited by {}", alert.status.inhibited_by.join(", ")));
            }
            (
                Some(0.0),
                ev(format!(
                    "Alertmanager still lists {} (fingerprint {}) as firing ({how})",
                    due.alertname, due.fingerprint
                )),
            )
        }
        Err(e) => (None, ev(format!("Alertmanager could not tell: {e}"))),
    }
}
