//! The cron matcher and maintenance windows: ranges, lists, steps, names, day of week 0
//! and 7, the day-of-month/day-of-week union, errors naming the field and value, time
//! zones, windows crossing midnight and a daylight-saving change.

use jiff::Timestamp;
use jiff::civil::date;

use super::config::{MaintenanceWindow, WindowEffect};
use super::cron::CronSchedule;
use super::windows::open_at;
use crate::assess::config::Interval;

fn at(s: &str) -> jiff::civil::DateTime {
    s.parse().unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn ranges_lists_and_steps() {
    let c = CronSchedule::parse("*/15 9-17 * * mon-fri").unwrap();
    assert!(c.matches(at("2025-03-03T09:00"))); // Monday
    assert!(c.matches(at("2025-03-03T17:45")));
    assert!(!c.matches(at("2025-03-03T17:50")));
    assert!(!c.matches(at("2025-03-03T08:45")));
    assert!(!c.matches(at("2025-03-02T10:00"))); // Sunday
    let c = CronSchedule::parse("5,10-20/5 0 1 jan,jul *").unwrap();
    for m in [5, 10, 15, 20] {
        assert!(c.matches(date(2025, 7, 1).at(0, m, 0, 0)), "minute {m}");
    }
    assert!(!c.matches(date(2025, 7, 1).at(0, 25, 0, 0)));
    assert!(!c.matches(date(2025, 8, 1).at(0, 5, 0, 0)));
    // `a/n`: from a to the end of the range.
    let c = CronSchedule::parse("50/5 * * * *").unwrap();
    assert!(c.matches(at("2025-03-03T01:55")) && !c.matches(at("2025-03-03T01:05")));
}

#[test]
fn sunday_is_0_and_7() {
    let sunday = at("2025-03-02T12:00");
    assert!(CronSchedule::parse("0 12 * * 0").unwrap().matches(sunday));
    assert!(CronSchedule::parse("0 12 * * 7").unwrap().matches(sunday));
    assert!(CronSchedule::parse("0 12 * * 5-7").unwrap().matches(sunday));
    assert!(CronSchedule::parse("0 12 * * sun").unwrap().matches(sunday));
    assert!(!CronSchedule::parse("0 12 * * 1-6").unwrap().matches(sunday));
}

#[test]
fn day_of_month_and_day_of_week_restricted_together_match_either() {
    let c = CronSchedule::parse("0 0 13 * fri").unwrap();
    assert!(c.matches(at("2025-06-13T00:00"))); // the 13th (a Friday)
    assert!(c.matches(at("2025-03-13T00:00"))); // the 13th (a Thursday)
    assert!(c.matches(at("2025-03-07T00:00"))); // a Friday
    assert!(!c.matches(at("2025-03-08T00:00")));
}

#[test]
fn errors_name_the_field_and_the_value() {
    let e = |s: &str| CronSchedule::parse(s).unwrap_err().to_string();
    assert_eq!(e("61 * * * *"), "minute \"61\": 61 is out of range 0-59");
    assert_eq!(e("0 24 * * *"), "hour \"24\": 24 is out of range 0-23");
    assert_eq!(e("0 0 0 * *"), "day-of-month \"0\": 0 is out of range 1-31");
    assert_eq!(e("0 0 * 13 *"), "month \"13\": 13 is out of range 1-12");
    assert_eq!(e("0 0 * * 8"), "day-of-week \"8\": 8 is out of range 0-7");
    assert_eq!(
        e("0 0 * * 5-1"),
        "day-of-week \"5-1\": the range starts after it ends (5 > 1); ranges do not wrap around"
    );
    assert_eq!(e("*/0 * * * *"), "minute \"*/0\": a step must be at least 1");
    assert!(e("0 0 * * funday").starts_with("day-of-week \"funday\": \"funday\" is not a number or a name"));
    assert!(e("0 0 * *").contains("expected 5 fields"), "{}", e("0 0 * *"));
    assert!(e("1,,2 * * * *").starts_with("minute \"1,,2\""));
}

fn window(schedule: &str, duration: i64, tz: &str) -> MaintenanceWindow {
    MaintenanceWindow {
        name: "w".into(),
        schedule: schedule.into(),
        duration: Interval::from_secs(duration),
        timezone: tz.into(),
        effect: WindowEffect::Hold,
        namespaces: vec![],
    }
}

#[test]
fn a_window_crossing_midnight_is_open_until_it_closes() {
    // 22:00 on weekdays, for 8 hours: Friday 22:00 to Saturday 06:00.
    let w = window("0 22 * * 1-5", 8 * 3600, "UTC");
    let open = |t: &str| open_at(&w, Some("shop"), ts(t)).unwrap();
    assert!(open("2025-03-07T21:59:59Z").is_none());
    let o = open("2025-03-07T22:00:00Z").unwrap();
    assert_eq!(o.opened, ts("2025-03-07T22:00:00Z"));
    assert_eq!(o.closes, ts("2025-03-08T06:00:00Z"));
    assert!(open("2025-03-08T03:30:00Z").is_some()); // Saturday night, opened Friday
    assert!(open("2025-03-08T05:59:59Z").is_some());
    assert!(open("2025-03-08T06:00:00Z").is_none());
    assert!(open("2025-03-08T22:30:00Z").is_none()); // Saturday does not open one
}

#[test]
fn the_schedule_is_read_in_the_window_time_zone() {
    // 09:00 in Paris is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
    let w = window("0 9 * * *", 3600, "Europe/Paris");
    let open = |t: &str| open_at(&w, None, ts(t)).unwrap().is_some();
    assert!(open("2025-01-15T08:30:00Z"));
    assert!(!open("2025-01-15T07:30:00Z"));
    assert!(open("2025-07-15T07:30:00Z"));
    assert!(!open("2025-07-15T08:30:00Z"));
    // New York, 23:30 local on a Sunday is Monday 04:30 UTC in winter.
    let w = window("30 23 * * 0", 1800, "America/New_York");
    assert!(open_at(&w, None, ts("2025-01-13T04:45:00Z")).unwrap().is_some());
}

#[test]
fn a_window_lasts_its_duration_across_a_daylight_saving_change() {
    // Paris springs forward at 02:00 on 2025-03-30: a window from 01:00 for 3 hours
    // closes at 05:00 local (03:00 UTC), not 04:00.
    let w = window("0 1 30 3 *", 3 * 3600, "Europe/Paris");
    let o = open_at(&w, None, ts("2025-03-30T02:30:00Z")).unwrap().unwrap();
    assert_eq!(o.opened, ts("2025-03-30T00:00:00Z"));
    assert_eq!(o.closes, ts("2025-03-30T03:00:00Z"));
    assert!(open_at(&w, None, ts("2025-03-30T03:00:00Z")).unwrap().is_none());
}

#[test]
fn windows_limited_to_namespaces_and_bad_windows_are_errors() {
    let mut w = window("* * * * *", 60, "UTC");
    w.namespaces = vec!["shop".into()];
    let now = ts("2025-03-03T10:00:30Z");
    assert!(open_at(&w, Some("shop"), now).unwrap().is_some());
    assert!(open_at(&w, Some("web"), now).unwrap().is_none());
    assert!(open_at(&w, None, now).unwrap().is_none());
    let bad = window("0 25 * * *", 60, "UTC");
    assert!(open_at(&bad, None, now).unwrap_err().contains("hour \"25\""));
    let bad = window("0 1 * * *", 60, "Mars/Olympus");
    assert!(open_at(&bad, None, now).unwrap_err().contains("Mars/Olympus"));
}
