//! Per-IP limits on every public call: fixed windows, counted in the database on PostgreSQL
//! so the instances behind a balancer share them, and in the process's memory on SQLite, which
//! is one instance (see [`IpWindows`]). The per-phone and per-ID allowances are
//! `store::allowances`, in the database on both.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use reset_flow::ErrorCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::client_address::{limit_address, limit_key};
use crate::error::{BankError, BankResult};
use crate::store::{allowances, ms, Backend, Db};

/// Requests one IP may make per window, per kind of call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IpLimits {
    pub window_s: u64,
    pub login: u32,
    pub start_reset: u32,
    pub send_code: u32,
    pub verify_code: u32,
    pub set_password: u32,
    pub status: u32,
    /// Path B's picture uploads (face frames, ID pictures): the costliest calls.
    pub upload: u32,
    pub staff_login: u32,
}

impl Default for IpLimits {
    fn default() -> Self {
        IpLimits {
            window_s: 60,
            login: 20,
            start_reset: 10,
            send_code: 10,
            verify_code: 30,
            set_password: 10,
            status: 60,
            upload: 10,
            staff_login: 20,
        }
    }
}

/// The kinds of public call, each with its own per-IP budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    Login,
    StartReset,
    SendCode,
    VerifyCode,
    SetPassword,
    Status,
    Upload,
    StaffLogin,
}

impl CallKind {
    fn name(self) -> &'static str {
        match self {
            CallKind::Login => "login",
            CallKind::StartReset => "start_reset",
            CallKind::SendCode => "send_code",
            CallKind::VerifyCode => "verify_code",
            CallKind::SetPassword => "set_password",
            CallKind::Status => "status",
            CallKind::Upload => "upload",
            CallKind::StaffLogin => "staff_login",
        }
    }
}

impl IpLimits {
    fn limit(&self, kind: CallKind) -> u32 {
        match kind {
            CallKind::Login => self.login,
            CallKind::StartReset => self.start_reset,
            CallKind::SendCode => self.send_code,
            CallKind::VerifyCode => self.verify_code,
            CallKind::SetPassword => self.set_password,
            CallKind::Status => self.status,
            CallKind::Upload => self.upload,
            CallKind::StaffLogin => self.staff_login,
        }
    }

    /// Counts this call against the IP's window; `too_many` (with the wait) once over budget.
    pub async fn check(
        &self,
        windows: &IpWindows,
        db: &Db,
        kind: CallKind,
        ip: IpAddr,
        now: OffsetDateTime,
    ) -> BankResult<()> {
        let window_ms = (self.window_s.max(1) * 1000) as i64;
        let now_ms = ms(now);
        let window_start = now_ms - now_ms.rem_euclid(window_ms);
        let count = match windows {
            IpWindows::Database => {
                let bucket = format!("{}|{}|{window_start}", kind.name(), limit_key(ip));
                allowances::count_call(db, &bucket, window_start).await?
            }
            IpWindows::Memory(counts) => counts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .count_call((kind, limit_address(ip)), window_start),
        };
        if count > i64::from(self.limit(kind)) {
            let wait = (window_start + window_ms - now_ms).max(1000) / 1000;
            return Err(BankError::from(ErrorCode::TooMany).with_retry_after(wait as u64));
        }
        Ok(())
    }
}

/// Where the per-IP windows are counted.
pub enum IpWindows {
    /// PostgreSQL: a row per address and window, so every instance counts against the same
    /// budget.
    Database,
    /// SQLite, one instance: in memory, so a call writes nothing. SQLite has one writer, and a
    /// row written on every call, reads included, was half its turns (three of a path A
    /// flow's six; reset bench); with the disk full, a status read could not be answered. A
    /// restart starts the current window afresh: at most one window's budget more, once per
    /// restart.
    Memory(Mutex<WindowCounts>),
}

impl IpWindows {
    /// Where `db`'s instances count their windows.
    pub fn for_db(db: &Db) -> IpWindows {
        match db.backend {
            Backend::Postgres => IpWindows::Database,
            Backend::Sqlite => {
                IpWindows::Memory(Mutex::new(WindowCounts::new(WindowCounts::MAX_CALLERS)))
            }
        }
    }
}

/// A kind of call from an address (an IPv6 address's /64).
type Caller = (CallKind, IpAddr);

/// The current window's count of each caller.
pub struct WindowCounts {
    window_start: i64,
    counts: HashMap<Caller, i64>,
    max_callers: usize,
    /// This window has met `max_callers` (said once in the log).
    full: bool,
}

impl WindowCounts {
    /// Callers one window keeps apart: a table of at most 2^22 slots of 33 bytes (a caller is
    /// 18 bytes, its count 8, with padding and hashbrown's control byte), about 140 MB.
    pub const MAX_CALLERS: usize = 2_000_000;

    pub fn new(max_callers: usize) -> WindowCounts {
        WindowCounts {
            window_start: 0,
            counts: HashMap::new(),
            max_callers,
            full: false,
        }
    }

    /// Counts one call of `caller` in the window starting at `window_start`; the count so far.
    ///
    /// Past `max_callers` in one window a new caller is let through uncounted until the window
    /// ends. Whoever sends from that many addresses at once gets nothing from a per-address
    /// budget either way, while refusing every address not yet seen would shut out every
    /// customer arriving in that window; the allowances per ID and per phone, in the database,
    /// hold regardless.
    fn count_call(&mut self, caller: Caller, window_start: i64) -> i64 {
        if window_start != self.window_start {
            self.window_start = window_start;
            self.full = false;
            self.counts.clear();
            self.counts.shrink_to(1024);
        }
        if self.counts.len() >= self.max_callers && !self.counts.contains_key(&caller) {
            if !self.full {
                self.full = true;
                tracing::warn!(
                    callers = self.max_callers,
                    "per-IP windows full: new addresses go uncounted until the window ends"
                );
            }
            return 1;
        }
        let count = self.counts.entry(caller).or_insert(0);
        *count += 1;
        *count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(kind: CallKind, ip: &str) -> Caller {
        (kind, limit_address(ip.parse().unwrap()))
    }

    #[test]
    fn a_window_counts_each_caller_apart_and_starts_afresh_when_the_next_begins() {
        let mut w = WindowCounts::new(16);
        let one = caller(CallKind::Status, "198.51.100.1");
        assert_eq!(w.count_call(one, 60_000), 1);
        assert_eq!(w.count_call(one, 60_000), 2);
        assert_eq!(
            w.count_call(caller(CallKind::Status, "198.51.100.2"), 60_000),
            1
        );
        assert_eq!(
            w.count_call(caller(CallKind::Login, "198.51.100.1"), 60_000),
            1
        );
        // An IPv6 /64 is one caller, and an IPv4-mapped address is the IPv4 one.
        assert_eq!(
            w.count_call(caller(CallKind::Status, "2001:db8::1"), 60_000),
            1
        );
        assert_eq!(
            w.count_call(caller(CallKind::Status, "2001:db8::2:3"), 60_000),
            2
        );
        assert_eq!(
            w.count_call(caller(CallKind::Status, "::ffff:198.51.100.1"), 60_000),
            3
        );
        assert_eq!(w.count_call(one, 120_000), 1);
        assert_eq!(w.counts.len(), 1, "the last window's callers are gone");
    }

    #[test]
    fn past_the_callers_a_window_keeps_a_new_caller_goes_through_uncounted() {
        let mut w = WindowCounts::new(3);
        let known = caller(CallKind::Login, "198.51.100.1");
        for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
            w.count_call(caller(CallKind::Login, ip), 0);
        }
        let new = caller(CallKind::Login, "198.51.100.4");
        assert_eq!(w.count_call(new, 0), 1);
        assert_eq!(w.count_call(new, 0), 1, "not counted, not refused");
        assert_eq!(w.counts.len(), 3, "the table does not grow");
        assert_eq!(w.count_call(known, 0), 2, "callers already counted go on");
        assert_eq!(w.count_call(new, 60_000), 1, "a new window has room");
        assert_eq!(w.count_call(new, 60_000), 2);
    }

    /// The memory bound stated at [`WindowCounts::MAX_CALLERS`] rests on this layout.
    #[test]
    fn a_caller_and_its_count_take_32_bytes() {
        assert_eq!(std::mem::size_of::<(Caller, i64)>(), 32);
    }
}
