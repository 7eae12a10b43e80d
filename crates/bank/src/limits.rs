//! Per-IP limits on every public call: fixed windows counted in the database, so several
//! instances share them. The per-phone and per-ID allowances are `store::allowances`.

use std::net::IpAddr;

use reset_flow::ErrorCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::client_address::limit_key;
use crate::error::{BankError, BankResult};
use crate::store::{allowances, ms, Db};

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
        db: &Db,
        kind: CallKind,
        ip: IpAddr,
        now: OffsetDateTime,
    ) -> BankResult<()> {
        let window_ms = (self.window_s.max(1) * 1000) as i64;
        let now_ms = ms(now);
        let window_start = now_ms - now_ms.rem_euclid(window_ms);
        let bucket = format!("{}|{}|{}", kind.name(), limit_key(ip), window_start);
        let count = allowances::count_call(db, &bucket, window_start).await?;
        if count > i64::from(self.limit(kind)) {
            let wait = (window_start + window_ms - now_ms).max(1000) / 1000;
            return Err(BankError::from(ErrorCode::TooMany).with_retry_after(wait as u64));
        }
        Ok(())
    }
}
