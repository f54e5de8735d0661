//! A small cron matcher for maintenance windows: the five classic fields (minute, hour,
//! day of month, month, day of week) with `*`, values, ranges `1-5`, lists `1,3,5`, steps
//! `*/15` and `10-50/10`, month names `jan`–`dec` and day names `sun`–`sat`; day of week
//! `0` and `7` are both Sunday. As in Vixie cron, when both day of month and day of week
//! are restricted, a day matching either one matches.
//!
//! It parses and matches civil date-times only: which time zone they are in, and how long
//! a window lasts, is [`super::windows`]' business.

use std::fmt;

use jiff::civil::DateTime;

/// Why a schedule does not parse: the field, its text, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    /// `minute`, `hour`, `day-of-month`, `month`, `day-of-week`, or `schedule` for the
    /// whole.
    pub field: &'static str,
    /// The offending text.
    pub value: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.field, self.value, self.message)
    }
}

impl std::error::Error for CronError {}

/// One field's description: name, bounds, names accepted for values.
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: FieldSpec = FieldSpec {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: FieldSpec = FieldSpec {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY: FieldSpec = FieldSpec {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
/// Day of week accepts 0–7 (7 is Sunday again); names map to 0–6.
const WEEKDAY: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// A parsed schedule: the set of values of each field, as bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Whether day of month was `*` (then only day of week restricts days).
    any_day: bool,
    /// Whether day of week was `*`.
    any_weekday: bool,
}

impl CronSchedule {
    /// Parses `minute hour day-of-month month day-of-week`.
    pub fn parse(text: &str) -> Result<CronSchedule, CronError> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError {
                field: "schedule",
                value: text.to_string(),
                message: format!(
                    "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
                    fields.len()
                ),
            });
        }
        let mut weekdays = parse_field(fields[4], &WEEKDAY)?;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays & !(1 << 7)) | 1;
        }
        Ok(CronSchedule {
            minutes: parse_field(fields[0], &MINUTE)?,
            hours: parse_field(fields[1], &HOUR)?,
            days: parse_field(fields[2], &DAY)?,
            months: parse_field(fields[3], &MONTH)?,
            weekdays,
            any_day: fields[2] == "*" || fields[2] == "?",
            any_weekday: fields[4] == "*" || fields[4] == "?",
        })
    }

    /// Whether the schedule fires at this civil minute (seconds are ignored).
    pub fn matches(&self, at: DateTime) -> bool {
        let bit = |set: u64, v: i64| u32::try_from(v).is_ok_and(|v| v < 64 && set & (1 << v) != 0);
        let day = bit(self.days, at.day().into());
        let weekday = bit(self.weekdays, at.weekday().to_sunday_zero_offset().into());
        let day_ok = match (self.any_day, self.any_weekday) {
            (true, true) => true,
            (false, true) => day,
            (true, false) => weekday,
            (false, false) => day || weekday,
        };
        day_ok
            && bit(self.minutes, at.minute().into())
            && bit(self.hours, at.hour().into())
            && bit(self.months, at.month().into())
    }
}

/// Parses one field into a bit set of its values.
fn parse_field(text: &str, spec: &FieldSpec) -> Result<u64, CronError> {
    let err = |value: &str, message: String| CronError {
        field: spec.name,
        value: value.to_string(),
        message,
    };
    let mut set = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(err(text, "empty list item (stray comma)".into()));
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| err(item, format!("step {s:?} is not a number")))?;
                if step == 0 {
                    return Err(err(item, "a step must be at least 1".into()));
                }
                (r, step)
            }
            None => (item, 1),
        };
        let (low, high) = if range == "*" || range == "?" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, spec, item)?, value(b, spec, item)?);
            if a > b {
                return Err(err(
                    item,
                    format!("the range starts after it ends ({a} > {b}); ranges do not wrap around"),
                ));
            }
            (a, b)
        } else {
            let a = value(range, spec, item)?;
            // `5/15` means from 5 to the end, every 15.
            (a, if step > 1 { spec.max } else { a })
        };
        let mut v = low;
        while v <= high {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

/// One value of a field: a number in range, or a name.
fn value(text: &str, spec: &FieldSpec, item: &str) -> Result<u32, CronError> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = spec.names.iter().position(|n| *n == lower) {
        let offset = if spec.min == 1 { 1 } else { 0 };
        return Ok(u32::try_from(i).unwrap_or(0) + offset);
    }
    let n: u32 = text.parse().map_err(|_| CronError {
        field: spec.name,
        value: item.to_string(),
        message: if spec.names.is_empty() {
            format!("{text:?} is not a number")
        } else {
            format!("{text:?} is not a number or a name ({})", spec.names.join(", "))
        },
    })?;
    if n < spec.min || n > spec.max {
        return Err(CronError {
            field: spec.name,
            value: item.to_string(),
            message: format!("{n} is out of range {}-{}", spec.min, spec.max),
        });
    }
    Ok(n)
}
