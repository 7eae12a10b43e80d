//! Taking a try under the one lockout rule (`reset_flow::LockoutRule`) before a secret is
//! judged: the try is counted as a failure first and forgotten only when the secret was right.
//! So requests sent in parallel cannot have more passwords or codes judged than the rule allows,
//! and a request that dies half-way has used its try.

use reset_flow::{AfterFailure, LockoutRule, Tally};

use crate::error::BankResult;
use crate::open_flow::{retry_on_race, Try};
use crate::store::lockouts::{self, Counter};
use crate::store::Db;

/// Counts one try on `counter`: `AlreadyLocked` takes nothing (judge nothing then);
/// `LockedNow` was the last try allowed (judge it: a right secret still succeeds).
pub async fn take_try(
    db: &Db,
    counter: Counter<'_>,
    rule: LockoutRule,
    now_ms: i64,
) -> BankResult<AfterFailure> {
    retry_on_race(|| async move {
        let mut conn = db.writer.acquire().await?;
        let old = lockouts::read(&mut conn, counter).await?;
        let (new, verdict) = rule.failure(old, now_ms);
        if verdict == AfterFailure::AlreadyLocked {
            return Ok(Try::Done(verdict));
        }
        Ok(
            if lockouts::replace(&mut conn, counter, old, new, now_ms).await? {
                Try::Done(verdict)
            } else {
                Try::Raced
            },
        )
    })
    .await
}

/// Whether a lock is running on `counter` now, without counting anything.
pub async fn is_locked(db: &Db, counter: Counter<'_>, now_ms: i64) -> BankResult<bool> {
    let mut conn = db.pool.acquire().await?;
    let tally: Tally = lockouts::read(&mut conn, counter).await?;
    Ok(tally.is_locked(now_ms))
}
