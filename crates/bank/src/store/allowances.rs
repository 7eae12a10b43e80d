//! Allowances kept in the database, so several instances share them: the per-IP windows'
//! counts, the per-phone daily SMS cap, and the bounds per ID (codes asked for and wrong codes
//! judged per Beijing day, cases per 30 days), which hold however many addresses an attacker
//! has. Each is taken atomically: of many racing requests at most the cap succeed.

use reset_flow::bank_day;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use sqlx::Row;

use super::{ms, Db, Outcome, Statement};

/// Counts one call in the per-IP window `bucket`; the count so far.
pub async fn count_call(db: &Db, bucket: &str, window_start: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET count = rate_limits.count + 1 RETURNING count",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(&mut *db.writer.acquire().await?)
    .await
}

/// Drops counters nobody will read again: rate windows older than a day, daily SMS counts of
/// past days, expired sessions (run now and then by the background worker).
pub async fn prune(db: &Db, now: OffsetDateTime) -> Result<(), sqlx::Error> {
    let now_ms = ms(now);
    sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(now_ms - 24 * 3600 * 1000)
        .execute(&mut *db.writer.acquire().await?)
        .await?;
    sqlx::query("DELETE FROM sms_quota WHERE day < $1")
        .bind(bank_day(now).to_string())
        .execute(&mut *db.writer.acquire().await?)
        .await?;
    sqlx::query("DELETE FROM id_quota WHERE day < $1")
        .bind(bank_day(now).to_string())
        .execute(&mut *db.writer.acquire().await?)
        .await?;
    sqlx::query("DELETE FROM id_slots WHERE taken_at < $1")
        .bind(now_ms - SLOT_SPAN_MS)
        .execute(&mut *db.writer.acquire().await?)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now_ms)
        .execute(&mut *db.writer.acquire().await?)
        .await?;
    Ok(())
}

/// A phone as the quota table keys it: hashed, so typed numbers are not kept in clear.
pub fn phone_key(phone: &str) -> String {
    hex::encode(Sha256::digest(format!("reset-phone:{phone}")))
}

/// Whether `phone` may still receive a code today, taking none (a code not sent), so a
/// phone's used-up allowance answers the same whether or not it is the reserved one. The same
/// statement as [`take_phone_quota`], with the same row lock: whether a typed phone is
/// the reserved one shows neither in the answer nor in how long it takes.
pub fn phone_quota_left(phone: &str, now: OffsetDateTime, cap: u32) -> (Statement, Quota) {
    phone_quota(phone, now, cap, 0)
}

/// Takes one code from `phone`'s daily allowance inside the caller's transaction, for a code
/// really sent to it; not granted when the day's cap is used.
pub fn take_phone_quota(phone: &str, now: OffsetDateTime, cap: u32) -> (Statement, Quota) {
    phone_quota(phone, now, cap, 1)
}

/// Adds `taken` (1 or 0) to the phone's count for the day if it was under `cap`.
fn phone_quota(phone: &str, now: OffsetDateTime, cap: u32, taken: i64) -> (Statement, Quota) {
    (
        Statement::new(
            "INSERT INTO sms_quota (phone_key, day, count) VALUES ($1, $2, $4) \
             ON CONFLICT (phone_key, day) DO UPDATE SET count = sms_quota.count + $4 \
             WHERE sms_quota.count < $3 RETURNING count",
        )
        .text(phone_key(phone))
        .text(bank_day(now).to_string())
        .int(i64::from(cap))
        .int(taken),
        Quota { cap, taken },
    )
}

/// How to read a daily allowance's statement, which adds `taken` (1 or 0) to the day's count
/// if that was under the cap and answers the count when it did.
pub struct Quota {
    cap: u32,
    taken: i64,
}

impl Quota {
    /// Whether the allowance had room, from the statement's outcome.
    pub fn granted(&self, outcome: &Outcome) -> Result<bool, sqlx::Error> {
        let count: Option<i64> = outcome.rows.first().map(|r| r.try_get(0)).transpose()?;
        Ok(count.is_some_and(|n| n - self.taken < i64::from(self.cap)))
    }
}

/// What an ID's daily allowance counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdAllowance {
    /// Codes asked for, to either phone.
    Codes,
    /// Wrong codes judged by a verify call (a right code takes none, but is judged only while
    /// some are left).
    CodeChecks,
}

impl IdAllowance {
    fn name(self) -> &'static str {
        match self {
            IdAllowance::Codes => "codes",
            IdAllowance::CodeChecks => "code_checks",
        }
    }
}

/// Takes one from the ID's allowance of `what` for today's Beijing day; not granted when
/// `cap` is used. Atomic: of many racing requests at most `cap` succeed.
pub fn take_id_quota(
    id_key: &str,
    what: IdAllowance,
    now: OffsetDateTime,
    cap: u32,
) -> (Statement, Quota) {
    id_quota(id_key, what, now, cap, 1)
}

/// Whether an ID has some of its daily allowance of `what` left, taking none. The same
/// statement as [`take_id_quota`], with the same row lock: a call that only looks waits
/// exactly as long as one that takes, so how long an answer takes does not tell them apart.
pub fn id_quota_left(
    id_key: &str,
    what: IdAllowance,
    now: OffsetDateTime,
    cap: u32,
) -> (Statement, Quota) {
    id_quota(id_key, what, now, cap, 0)
}

/// Adds `taken` (1 or 0) to the day's count if it was under `cap`.
fn id_quota(
    id_key: &str,
    what: IdAllowance,
    now: OffsetDateTime,
    cap: u32,
    taken: i64,
) -> (Statement, Quota) {
    (
        Statement::new(
            "INSERT INTO id_quota (id_key, kind, day, count) VALUES ($1, $2, $3, $5) \
             ON CONFLICT (id_key, kind, day) DO UPDATE SET count = id_quota.count + $5 \
             WHERE id_quota.count < $4 RETURNING count",
        )
        .text(id_key)
        .text(what.name())
        .text(bank_day(now).to_string())
        .int(i64::from(cap))
        .int(taken),
        Quota { cap, taken },
    )
}

/// How long a slot taken by [`take_id_slot`] stays taken: 30 days.
pub const SLOT_SPAN_MS: i64 = 30 * 24 * 3600 * 1000;

/// Takes one of an ID's `cap` slots of `kind` for 30 days (a rolling window, not a calendar
/// month); false when all are taken. Each slot is one row whose update is conditional on its
/// last use being older than 30 days, so racing requests cannot take one slot twice.
pub async fn take_id_slot(
    conn: &mut sqlx::AnyConnection,
    id_key: &str,
    kind: &str,
    now: OffsetDateTime,
    cap: u32,
) -> Result<bool, sqlx::Error> {
    let now_ms = ms(now);
    for slot in 0..i64::from(cap) {
        let taken: Option<i64> = sqlx::query_scalar(
            "INSERT INTO id_slots (id_key, kind, slot, taken_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id_key, kind, slot) DO UPDATE SET taken_at = excluded.taken_at \
             WHERE id_slots.taken_at <= $5 RETURNING slot",
        )
        .bind(id_key)
        .bind(kind)
        .bind(slot)
        .bind(now_ms)
        .bind(now_ms - SLOT_SPAN_MS)
        .fetch_optional(&mut *conn)
        .await?;
        if taken.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}
