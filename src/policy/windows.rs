//! Maintenance windows: which configured window is open at an instant, in its own time
//! zone.
//!
//! A window is open at `now` when its schedule fired at some minute `s` (read as a civil
//! time in the window's time zone) with `s <= now < s + duration`. Minutes are stepped
//! in absolute time, so a window crossing midnight or a daylight-saving change lasts
//! exactly its duration. Pure: no clock, no I/O.

use jiff::{SignedDuration, Timestamp};

use super::config::{MAX_WINDOW_SECS, MaintenanceWindow};
use super::cron::CronSchedule;

/// An open window: which, when it opened, when it closes.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenWindow<'a> {
    /// The window.
    pub window: &'a MaintenanceWindow,
    /// When it opened.
    pub opened: Timestamp,
    /// When it closes.
    pub closes: Timestamp,
}

/// The window open at `now`, if it applies to `namespace`; `Err` with the reason when the
/// window's schedule or time zone is invalid (a validated config never has one).
pub fn open_at<'a>(
    window: &'a MaintenanceWindow,
    namespace: Option<&str>,
    now: Timestamp,
) -> Result<Option<OpenWindow<'a>>, String> {
    if !window.namespaces.is_empty() && !namespace.is_some_and(|ns| window.namespaces.iter().any(|n| n == ns)) {
        return Ok(None);
    }
    let schedule = CronSchedule::parse(&window.schedule).map_err(|e| format!("schedule {e}"))?;
    let tz = jiff::tz::TimeZone::get(&window.timezone).map_err(|e| format!("time zone {:?}: {e}", window.timezone))?;
    let length = window.duration.as_secs().clamp(0, MAX_WINDOW_SECS);
    let minute = now.as_second().div_euclid(60) * 60;
    let mut start = Timestamp::from_second(minute).map_err(|e| e.to_string())?;
    let earliest = now - SignedDuration::from_secs(length);
    while start > earliest {
        if schedule.matches(tz.to_datetime(start)) {
            return Ok(Some(OpenWindow {
                window,
                opened: start,
                closes: start + SignedDuration::from_secs(length),
            }));
        }
        start -= SignedDuration::from_mins(1);
    }
    Ok(None)
}
