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

use crate::client_address::limit_key;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        let caller = format!("{}|{}", kind.name(), limit_key(ip));
        let count = match windows {
            IpWindows::Database => {
                let bucket = format!("{caller}|{window_start}");
                allowances::count_call(db, &bucket, window_start).await?
            }
            IpWindows::Memory(counts) => counts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .count_call(caller, window_start),
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
    /// SQLite, one instance: in memory, so a call writes nothing. SQLite has one writer, and
    /// a row written on every call, reads included, was half its turns (three of a path A
    /// flow's six; reset bench); with the disk full, a status read could not be answered. A restart starts the
    /// current window afresh: at most one window's budget more, once per restart.
    Memory(Mutex<WindowCounts>),
}

impl IpWindows {
    /// Where `db`'s instances count their windows.
    pub fn for_db(db: &Db) -> IpWindows {
        match db.backend {
            Backend::Postgres => IpWindows::Database,
            Backend::Sqlite => IpWindows::Memory(Mutex::new(WindowCounts::default())),
        }
    }
}

/// The current window's count of each caller (kind of call and address).
#[derive(Default)]
pub struct WindowCounts {
    window_start: i64,
    counts: HashMap<String, i64>,
}

impl WindowCounts {
    /// Callers one window keeps apart, about 150 MB; past it a new caller counts as over its
    /// budget until the window ends, so a flood from more addresses than that is refused
    /// rather than let through or left to fill the memory.
    pub const MAX_CALLERS: usize = 1_000_000;

    /// Counts one call of `caller` in the window starting at `window_start`; the count so far.
    fn count_call(&mut self, caller: String, window_start: i64) -> i64 {
        if window_start != self.window_start {
            self.window_start = window_start;
            self.counts.clear();
            self.counts.shrink_to(1024);
        }
        if self.counts.len() >= Self::MAX_CALLERS && !self.counts.contains_key(&caller) {
            return i64::MAX;
        }
        let count = self.counts.entry(caller).or_insert(0);
        *count += 1;
        *count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_each_caller_apart_and_starts_afresh_when_the_next_begins() {
        let mut w = WindowCounts::default();
        assert_eq!(w.count_call("status|198.51.100.1".into(), 60_000), 1);
        assert_eq!(w.count_call("status|198.51.100.1".into(), 60_000), 2);
        assert_eq!(w.count_call("status|198.51.100.2".into(), 60_000), 1);
        assert_eq!(w.count_call("login|198.51.100.1".into(), 60_000), 1);
        assert_eq!(w.count_call("status|198.51.100.1".into(), 120_000), 1);
        assert_eq!(w.counts.len(), 1, "the last window's callers are gone");
    }

    #[test]
    fn past_the_callers_a_window_keeps_a_new_caller_is_over_budget() {
        let mut w = WindowCounts::default();
        for i in 0..WindowCounts::MAX_CALLERS {
            w.count_call(i.to_string(), 0);
        }
        assert_eq!(w.count_call("new".into(), 0), i64::MAX);
        assert_eq!(
            w.count_call("7".into(), 0),
            2,
            "callers already counted go on"
        );
        assert_eq!(
            w.count_call("new".into(), 60_000),
            1,
            "a new window has room"
        );
    }
}
