//! Rate limits kept in the database, so several instances share them: per-IP fixed windows on
//! every public call, and the per-phone daily SMS cap.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::{AppError, AppResult};
use crate::store::{ms, Db};
use reset_flow::{bank_day, ErrorCode};

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
    ) -> AppResult<()> {
        let window_ms = (self.window_s.max(1) * 1000) as i64;
        let now_ms = ms(now);
        let window_start = now_ms - now_ms.rem_euclid(window_ms);
        let bucket = format!("{}|{}|{}", kind.name(), ip, window_start);
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET count = rate_limits.count + 1 RETURNING count",
        )
        .bind(bucket)
        .bind(window_start)
        .fetch_one(&db.pool)
        .await?;
        if count > i64::from(self.limit(kind)) {
            let wait = (window_start + window_ms - now_ms).max(1000) / 1000;
            return Err(AppError::from(ErrorCode::TooMany).with_retry_after(wait as u64));
        }
        Ok(())
    }
}

/// Drops counters nobody will read again: rate windows older than a day, daily SMS counts of
/// past days, expired sessions (run now and then by the background worker).
pub async fn prune(db: &Db, now: OffsetDateTime) -> Result<(), sqlx::Error> {
    let now_ms = ms(now);
    sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(now_ms - 24 * 3600 * 1000)
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM sms_quota WHERE day < $1")
        .bind(bank_day(now).to_string())
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A phone as the quota table keys it: hashed, so typed numbers are not kept in clear.
pub fn phone_key(phone: &str) -> String {
    hex::encode(Sha256::digest(format!("reset-phone:{phone}")))
}

/// Takes one code from `phone`'s daily allowance inside `tx`; false when the day's cap is used.
pub async fn take_phone_quota(
    conn: &mut sqlx::AnyConnection,
    phone: &str,
    now: OffsetDateTime,
    cap: u32,
) -> Result<bool, sqlx::Error> {
    let row: Option<i64> = sqlx::query_scalar(
        "INSERT INTO sms_quota (phone_key, day, count) VALUES ($1, $2, 1) \
         ON CONFLICT (phone_key, day) DO UPDATE SET count = sms_quota.count + 1 \
         WHERE sms_quota.count < $3 RETURNING count",
    )
    .bind(phone_key(phone))
    .bind(bank_day(now).to_string())
    .bind(i64::from(cap))
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some_and(|n| n <= i64::from(cap)))
}
