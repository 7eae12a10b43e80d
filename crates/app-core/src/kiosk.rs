//! The branch kiosk's clock. A kiosk is shared by strangers in a public hall, so nothing of one
//! customer may wait on the screen for the next: when nobody has touched the screen for the idle
//! time everything is wiped, with a warning shortly before; a visit that ended (signed in, reset
//! done or submitted) returns to a clean start after a short pause. Time comes in as an argument,
//! so these rules are tested without sleeping.

use std::time::{Duration, Instant};

/// The warning (即将返回首页) shows this long before the wipe, or for the second half of a
/// shorter idle time.
pub const WARN_BEFORE: Duration = Duration::from_secs(15);
/// A finished visit stays on the screen this long, counting down, before the clean start.
pub const RETURN_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct KioskClock {
    idle: Duration,
    last_activity: Instant,
    /// Something was touched since the last clean start: there is something to wipe. An
    /// untouched kiosk is left alone rather than wiped every few minutes.
    dirty: bool,
    finished_at: Option<Instant>,
}

impl KioskClock {
    pub fn new(idle: Duration, now: Instant) -> KioskClock {
        KioskClock {
            idle,
            last_activity: now,
            dirty: false,
            finished_at: None,
        }
    }

    /// A touch, a key, a typed character or an intent: the customer is still there.
    pub fn activity(&mut self, now: Instant) {
        self.last_activity = self.last_activity.max(now);
        self.dirty = true;
    }

    /// The visit reached its end (a finished reset, a successful login): the pause starts once.
    /// Touching the screen does not prolong it; the next customer must not find it.
    pub fn finished(&mut self, now: Instant) {
        self.dirty = true;
        self.finished_at.get_or_insert(now);
    }

    /// The finished visit's screen was left (退出登录, 返回首页): already a clean start, so
    /// the pause ends and the idle clock counts from now.
    pub fn left_finished(&mut self, now: Instant) {
        if self.finished_at.take().is_some() {
            self.last_activity = self.last_activity.max(now);
        }
    }

    fn warn_before(&self) -> Duration {
        WARN_BEFORE.min(self.idle / 2)
    }

    /// Seconds left before the idle wipe, while the warning shows.
    pub fn idle_warning_s(&self, now: Instant) -> Option<u64> {
        if !self.dirty || self.finished_at.is_some() {
            return None;
        }
        let left = self
            .idle
            .saturating_sub(now.saturating_duration_since(self.last_activity));
        (!left.is_zero() && left <= self.warn_before()).then(|| ceil_s(left))
    }

    /// Seconds left of a finished visit's pause.
    pub fn return_in_s(&self, now: Instant) -> Option<u64> {
        let at = self.finished_at? + RETURN_AFTER;
        Some(ceil_s(at.saturating_duration_since(now)).max(1))
    }

    /// Whether it is time for the clean start.
    pub fn due(&self, now: Instant) -> bool {
        let finished = self
            .finished_at
            .is_some_and(|at| now.saturating_duration_since(at) >= RETURN_AFTER);
        let idle = self.dirty && now.saturating_duration_since(self.last_activity) >= self.idle;
        finished || idle
    }

    /// The kiosk starts clean: nothing left to wipe, no pause running.
    pub fn wiped(&mut self, now: Instant) {
        self.dirty = false;
        self.finished_at = None;
        self.last_activity = now;
    }
}

fn ceil_s(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(120);

    #[test]
    fn an_untouched_kiosk_is_left_alone() {
        let t0 = Instant::now();
        let clock = KioskClock::new(IDLE, t0);
        assert!(!clock.due(t0 + IDLE * 10));
        assert_eq!(
            clock.idle_warning_s(t0 + IDLE - Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn idle_time_wipes_after_a_warning_and_activity_postpones_it() {
        let t0 = Instant::now();
        let mut clock = KioskClock::new(IDLE, t0);
        clock.activity(t0);
        let s = Duration::from_secs;
        assert_eq!(clock.idle_warning_s(t0 + s(104)), None, "no warning yet");
        assert_eq!(clock.idle_warning_s(t0 + s(105)), Some(15));
        assert_eq!(
            clock.idle_warning_s(t0 + s(119) + Duration::from_millis(500)),
            Some(1)
        );
        assert!(!clock.due(t0 + s(119)));
        // A slow typist: one key every 100 s is never wiped.
        for k in 1..=5 {
            clock.activity(t0 + s(100 * k));
            assert!(!clock.due(t0 + s(100 * k + 99)), "key {k}");
        }
        assert!(clock.due(t0 + s(500 + 120)));
        clock.wiped(t0 + s(620));
        assert!(!clock.due(t0 + s(10_000)), "nothing left to wipe");
    }

    #[test]
    fn a_late_stale_activity_does_not_move_the_clock_back() {
        let t0 = Instant::now();
        let mut clock = KioskClock::new(IDLE, t0);
        clock.activity(t0 + Duration::from_secs(50));
        clock.activity(t0 + Duration::from_secs(10));
        assert!(!clock.due(t0 + Duration::from_secs(169)));
        assert!(clock.due(t0 + Duration::from_secs(170)));
    }

    #[test]
    fn a_finished_visit_returns_after_the_pause_whatever_is_touched() {
        let t0 = Instant::now();
        let mut clock = KioskClock::new(IDLE, t0);
        clock.finished(t0);
        assert_eq!(clock.return_in_s(t0), Some(10));
        assert_eq!(clock.idle_warning_s(t0), None, "one countdown at a time");
        clock.activity(t0 + Duration::from_secs(9));
        clock.finished(t0 + Duration::from_secs(9));
        assert_eq!(clock.return_in_s(t0 + Duration::from_secs(9)), Some(1));
        assert!(clock.due(t0 + RETURN_AFTER));
        clock.wiped(t0 + RETURN_AFTER);
        assert_eq!(clock.return_in_s(t0 + RETURN_AFTER), None);
    }

    #[test]
    fn leaving_a_finished_visit_ends_its_pause() {
        let t0 = Instant::now();
        let mut clock = KioskClock::new(IDLE, t0);
        clock.finished(t0);
        clock.left_finished(t0 + Duration::from_secs(2));
        assert_eq!(clock.return_in_s(t0 + Duration::from_secs(2)), None);
        // The next customer typing at the login screen is not wiped at the old pause's end.
        assert!(!clock.due(t0 + RETURN_AFTER));
        assert!(clock.due(t0 + Duration::from_secs(2) + IDLE));
        // A new finished visit gets a full pause of its own.
        clock.finished(t0 + Duration::from_secs(50));
        assert_eq!(clock.return_in_s(t0 + Duration::from_secs(50)), Some(10));
    }

    #[test]
    fn a_short_idle_time_warns_for_its_second_half() {
        let t0 = Instant::now();
        let mut clock = KioskClock::new(Duration::from_secs(6), t0);
        clock.activity(t0);
        assert_eq!(clock.idle_warning_s(t0 + Duration::from_secs(2)), None);
        assert_eq!(clock.idle_warning_s(t0 + Duration::from_secs(3)), Some(3));
        assert!(clock.due(t0 + Duration::from_secs(6)));
    }
}
