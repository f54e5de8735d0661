//! Time, injected: the assessor and the retention task ask a [`Clock`] what time it is,
//! so that "score five minutes after the action" is exact in tests.
//!
//! [`SystemClock`] reads the system time; [`ManualClock`] only moves when told to. Nothing
//! here sleeps: waiting is the caller's business (the background loops sleep on tokio's
//! timer between ticks; tests advance a [`ManualClock`] and call the tick themselves).

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// A source of the current time.
///
/// Implementations must be cheap to call and shareable across tasks. The time may stand
/// still ([`ManualClock`]) but callers must not assume it never goes backwards.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that shows the time it was set to until it is advanced (tests, benchmarks).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: Timestamp) -> ManualClock {
        ManualClock { now: Mutex::new(now) }
    }

    /// Moves the clock forward (or back, for a negative duration), saturating at the
    /// ends of the representable range.
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = now.checked_add(by).unwrap_or(if by.is_negative() {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
    }

    /// Sets the clock to `now`.
    pub fn set(&self, now: Timestamp) {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Timestamp::from_second(1_767_225_600).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.now(), start, "reading does not move it");
        clock.advance(SignedDuration::from_mins(5));
        assert_eq!(clock.now(), Timestamp::from_second(1_767_225_900).unwrap());
        clock.advance(SignedDuration::from_secs(-60));
        assert_eq!(clock.now(), Timestamp::from_second(1_767_225_840).unwrap());
        clock.set(start);
        assert_eq!(clock.now(), start);
        clock.advance(SignedDuration::MAX);
        assert_eq!(clock.now(), Timestamp::MAX, "saturates instead of panicking");
    }

    #[test]
    fn system_clock_follows_the_wall_clock() {
        let before = Timestamp::now();
        let seen = SystemClock.now();
        assert!(seen >= before && seen <= Timestamp::now());
    }
}
