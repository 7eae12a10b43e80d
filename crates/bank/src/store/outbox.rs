//! The SMS outbox's rows: queued in the transaction of the change that needs them, claimed by
//! a worker with a lease, marked sent or scheduled again.

use sqlx::{AnyConnection, Row};

use super::{placeholders, Db, Statement};

/// Queues a message inside the caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    to: &str,
    text: &str,
    kind: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    enqueue_statement(to, text, kind, now_ms)
        .run(conn)
        .await
        .map(drop)
}

/// The statement of [`enqueue`].
pub fn enqueue_statement(to: &str, text: &str, kind: &str, now_ms: i64) -> Statement {
    outbox_row(to, text, kind, now_ms, "pending")
}

/// For a phone that is not the reserved one: the same insert as a real message, so both cost
/// the same, but in state `void` (never delivered), without text and with the phone masked.
pub async fn enqueue_void(
    conn: &mut AnyConnection,
    masked_to: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    enqueue_void_statement(masked_to, now_ms)
        .run(conn)
        .await
        .map(drop)
}

/// The statement of [`enqueue_void`].
pub fn enqueue_void_statement(masked_to: &str, now_ms: i64) -> Statement {
    outbox_row(masked_to, "", "code", now_ms, "void")
}

fn outbox_row(to: &str, text: &str, kind: &str, now_ms: i64, state: &str) -> Statement {
    Statement::new(
        "INSERT INTO sms_outbox (to_phone, text, kind, created_at, state, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $4)",
    )
    .text(to)
    .text(text)
    .text(kind)
    .int(now_ms)
    .text(state)
}

/// A message a worker claimed.
pub struct Claimed {
    pub id: i64,
    pub to: String,
    pub text: String,
    pub kind: String,
    /// Tries so far, this one included.
    pub attempts: i64,
}

/// Claims up to `limit` messages due at `now_ms` for `owner` until `lease_until` (leases are
/// compared with `wall_ms`, the wall clock: they are about live workers, not business time).
/// One UPDATE re-checking the lease in its own WHERE, so two workers cannot both own a row.
pub async fn claim(
    db: &Db,
    owner: &str,
    lease_until: i64,
    now_ms: i64,
    wall_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE sms_outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM sms_outbox WHERE state = 'pending' AND next_attempt_at <= $3 \
                      AND (lease_until IS NULL OR lease_until < $5) ORDER BY id LIMIT $4) \
           AND state = 'pending' AND (lease_until IS NULL OR lease_until < $5) \
         RETURNING id, to_phone, text, kind, attempts",
    )
    .bind(owner)
    .bind(lease_until)
    .bind(now_ms)
    .bind(limit)
    .bind(wall_ms)
    .fetch_all(&mut *db.writer.acquire().await?)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("id")?,
                to: r.try_get("to_phone")?,
                text: r.try_get("text")?,
                kind: r.try_get("kind")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

/// Messages waiting or being delivered at `now_ms` (due).
pub async fn due_count(db: &Db, now_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sms_outbox WHERE state = 'pending' AND next_attempt_at <= $1",
    )
    .bind(now_ms)
    .fetch_one(&db.pool)
    .await
}

/// Claimed messages delivered, in one statement. A sent code has done its job: its text is
/// not kept; other texts stay for the record.
pub async fn mark_sent(db: &Db, ids: &[i64], owner: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE sms_outbox SET state = 'sent', sent_at = $1, \
         text = CASE WHEN kind = 'code' THEN '' ELSE text END, \
         lease_owner = NULL, lease_until = NULL WHERE lease_owner = $2 AND id IN ({})",
        placeholders(3, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(now_ms).bind(owner);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(&mut *db.writer.acquire().await?).await.map(drop)
}

/// Claimed messages given back untried: due again at once, their claim not counted as a try.
pub async fn release(db: &Db, ids: &[i64], owner: &str) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE sms_outbox SET attempts = attempts - 1, lease_owner = NULL, lease_until = NULL \
         WHERE lease_owner = $1 AND id IN ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(owner);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(&mut *db.writer.acquire().await?).await.map(drop)
}

/// A claimed message not delivered: tried again at `next_attempt_at`, or given up.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    owner: &str,
    give_up: bool,
    next_attempt_at: i64,
    why: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sms_outbox SET state = $1, next_attempt_at = $2, last_error = $3, \
         lease_owner = NULL, lease_until = NULL WHERE id = $4 AND lease_owner = $5",
    )
    .bind(if give_up { "failed" } else { "pending" })
    .bind(next_attempt_at)
    .bind(why)
    .bind(id)
    .bind(owner)
    .execute(&mut *db.writer.acquire().await?)
    .await
    .map(drop)
}
