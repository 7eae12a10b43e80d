//! The one lockout rule of every secret typed at the bank: a customer's login password, a staff
//! member's password (per address and from everywhere) and their TOTP code. Failures in a row
//! are counted; the last one allowed locks, for a while or until lifted (a customer's lock ends
//! with a completed reset). A lock that is running is not touched by failures that finish
//! after it was set, so a slow request cannot lift it. Pure: the tally and the time come in,
//! the new tally and the verdict go out; the store keeps the tally and writes it only if nobody
//! changed it meanwhile.

use serde::{Deserialize, Serialize};

/// A lock that lasts until something lifts it, as a time: later than any clock reads.
pub const UNTIL_LIFTED: i64 = i64::MAX;

/// How many failures in a row lock, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockoutRule {
    /// Failures in a row that lock (at least 1).
    pub max_failures: u32,
    /// How long a lock lasts, in milliseconds; `None` until lifted.
    pub lock_ms: Option<i64>,
}

/// What the store keeps of one counter: failures since the last success or lock, and when a
/// lock ends (unix milliseconds; 0 when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub failures: u32,
    pub locked_until: i64,
}

/// What a failure comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Counted; this many more are allowed before the lock.
    Counted { failures: u32, attempts_left: u32 },
    /// This failure set the lock.
    LockedNow { failures: u32 },
    /// A lock was running already; nothing changed.
    AlreadyLocked,
}

impl Tally {
    /// Whether a lock is running at `now_ms`.
    pub fn is_locked(&self, now_ms: i64) -> bool {
        self.locked_until > now_ms
    }
}

impl LockoutRule {
    fn max(&self) -> u32 {
        self.max_failures.max(1)
    }

    /// The tally after one more failure at `now_ms`, and what it comes to. A lock that ran out
    /// starts the count again.
    pub fn failure(&self, tally: Tally, now_ms: i64) -> (Tally, AfterFailure) {
        if tally.is_locked(now_ms) {
            return (tally, AfterFailure::AlreadyLocked);
        }
        let failures = tally.failures.saturating_add(1);
        if failures >= self.max() {
            let until = self
                .lock_ms
                .map_or(UNTIL_LIFTED, |ms| now_ms.saturating_add(ms.max(1)));
            let locked = Tally {
                failures: 0,
                locked_until: until,
            };
            return (locked, AfterFailure::LockedNow { failures });
        }
        let counted = Tally {
            failures,
            locked_until: 0,
        };
        let attempts_left = self.max() - failures;
        (
            counted,
            AfterFailure::Counted {
                failures,
                attempts_left,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn staff() -> LockoutRule {
        LockoutRule {
            max_failures: 3,
            lock_ms: Some(15 * MINUTE),
        }
    }

    fn customer() -> LockoutRule {
        LockoutRule {
            max_failures: 5,
            lock_ms: None,
        }
    }

    /// `n` failures from a fresh tally, one a second from `t0`.
    fn fail(rule: LockoutRule, n: u32, t0: i64) -> (Tally, Vec<AfterFailure>) {
        let mut tally = Tally::default();
        let mut seen = Vec::new();
        for i in 0..n {
            let (next, v) = rule.failure(tally, t0 + i64::from(i) * 1000);
            tally = next;
            seen.push(v);
        }
        (tally, seen)
    }

    #[test]
    fn failures_count_down_then_the_last_one_locks() {
        let (tally, seen) = fail(staff(), 3, 0);
        assert_eq!(
            seen,
            [
                AfterFailure::Counted {
                    failures: 1,
                    attempts_left: 2
                },
                AfterFailure::Counted {
                    failures: 2,
                    attempts_left: 1
                },
                AfterFailure::LockedNow { failures: 3 },
            ]
        );
        assert!(tally.is_locked(2000));
        assert_eq!(tally.locked_until, 2000 + 15 * MINUTE);
    }

    #[test]
    fn a_running_lock_is_not_moved_by_failures_in_flight() {
        let (locked, _) = fail(staff(), 3, 0);
        let (after, v) = staff().failure(locked, 5 * MINUTE);
        assert_eq!(v, AfterFailure::AlreadyLocked);
        assert_eq!(after, locked, "neither extended nor lifted");
    }

    #[test]
    fn a_timed_lock_ends_by_itself_and_the_count_starts_again() {
        let (locked, _) = fail(staff(), 3, 0);
        let end = locked.locked_until;
        assert!(locked.is_locked(end - 1));
        assert!(!locked.is_locked(end));
        let (after, v) = staff().failure(locked, end);
        assert_eq!(
            v,
            AfterFailure::Counted {
                failures: 1,
                attempts_left: 2
            }
        );
        assert!(!after.is_locked(end));
    }

    #[test]
    fn a_lock_until_lifted_outlasts_any_clock() {
        let (locked, seen) = fail(customer(), 5, 0);
        assert_eq!(seen[4], AfterFailure::LockedNow { failures: 5 });
        assert_eq!(locked.locked_until, UNTIL_LIFTED);
        assert!(locked.is_locked(i64::MAX - 1));
        // Lifting is the store's: a completed reset deletes the tally.
        assert!(!Tally::default().is_locked(0));
    }

    #[test]
    fn a_rule_of_zero_failures_still_locks_at_the_first() {
        let rule = LockoutRule {
            max_failures: 0,
            lock_ms: Some(0),
        };
        let (tally, v) = rule.failure(Tally::default(), 100);
        assert_eq!(v, AfterFailure::LockedNow { failures: 1 });
        assert!(
            tally.is_locked(100),
            "a zero lock time still locks a moment"
        );
    }

    #[test]
    fn time_near_the_end_of_the_clock_does_not_overflow() {
        let (tally, _) = fail(staff(), 3, i64::MAX - 10_000);
        assert_eq!(tally.locked_until, i64::MAX);
    }
}
