//! Review cases and their evidence as rows, and the identity typed at 个人信息 kept for the
//! flow's life (a path-B case records what was typed, customer or not).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, Statement};

/// The identity typed when a flow started (canonical forms).
#[derive(Clone)]
pub struct TypedIdentity {
    pub id_type: String,
    pub id_number: String,
    pub name: String,
}

/// Personal data inside: nothing is printed.
impl std::fmt::Debug for TypedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TypedIdentity(<redacted>)")
    }
}

/// What was typed at a flow's start, kept for path B's case.
pub fn record_identity(flow_id: &str, who: &TypedIdentity, now_ms: i64) -> Statement {
    Statement::new(
        "INSERT INTO flow_identity (flow_id, id_type, id_number, name, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .text(flow_id)
    .text(&who.id_type)
    .text(&who.id_number)
    .text(&who.name)
    .int(now_ms)
}

pub async fn identity(db: &Db, flow_id: &str) -> Result<Option<TypedIdentity>, sqlx::Error> {
    let row = sqlx::query("SELECT id_type, id_number, name FROM flow_identity WHERE flow_id = $1")
        .bind(flow_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| {
        Ok(TypedIdentity {
            id_type: r.try_get("id_type")?,
            id_number: r.try_get("id_number")?,
            name: r.try_get("name")?,
        })
    })
    .transpose()
}

/// The hashed ID key of a flow (as in `live_flows` and `login_failures`).
pub async fn flow_id_key(db: &Db, flow_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id_key FROM flows WHERE id = $1")
        .bind(flow_id)
        .fetch_optional(&db.pool)
        .await
        .map(Option::flatten)
}

/// A review case row.
#[derive(Clone)]
pub struct CaseRecord {
    pub id: String,
    pub flow_id: String,
    pub id_key: String,
    pub customer_id: Option<i64>,
    /// `collecting`, `pending`, `approved`, `rejected` or `abandoned`.
    pub state: String,
    pub id_type: String,
    pub id_number: String,
    pub name: String,
    pub contact_phone: Option<String>,
    pub pending_password_hash: Option<String>,
    pub key_id: String,
    /// None once purged: the pictures can no longer be opened even if a copy survived.
    pub wrapped_key: Option<String>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub due_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub purged_at: Option<i64>,
    pub ocr_id_number: Option<String>,
    pub ocr_name: Option<String>,
    pub ocr_number_matches: Option<i64>,
    pub ocr_name_matches: Option<i64>,
    /// When the server read the ID front (whatever it found); None while waiting.
    pub ocr_read_at: Option<i64>,
}

/// Personal data and a password hash inside: only the id and state are printed.
impl std::fmt::Debug for CaseRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaseRecord({}, {})", self.id, self.state)
    }
}

const COLUMNS: &str = "id, flow_id, id_key, customer_id, state, id_type, id_number, name, \
    contact_phone, pending_password_hash, key_id, wrapped_key, created_at, submitted_at, due_at, \
    decided_at, decided_by, reason, purged_at, ocr_id_number, ocr_name, ocr_number_matches, \
    ocr_name_matches, ocr_read_at";

fn from_row(r: &AnyRow) -> Result<CaseRecord, sqlx::Error> {
    Ok(CaseRecord {
        id: r.try_get("id")?,
        flow_id: r.try_get("flow_id")?,
        id_key: r.try_get("id_key")?,
        customer_id: r.try_get("customer_id")?,
        state: r.try_get("state")?,
        id_type: r.try_get("id_type")?,
        id_number: r.try_get("id_number")?,
        name: r.try_get("name")?,
        contact_phone: r.try_get("contact_phone")?,
        pending_password_hash: r.try_get("pending_password_hash")?,
        key_id: r.try_get("key_id")?,
        wrapped_key: r.try_get("wrapped_key")?,
        created_at: r.try_get("created_at")?,
        submitted_at: r.try_get("submitted_at")?,
        due_at: r.try_get("due_at")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        reason: r.try_get("reason")?,
        purged_at: r.try_get("purged_at")?,
        ocr_id_number: r.try_get("ocr_id_number")?,
        ocr_name: r.try_get("ocr_name")?,
        ocr_number_matches: r.try_get("ocr_number_matches")?,
        ocr_name_matches: r.try_get("ocr_name_matches")?,
        ocr_read_at: r.try_get("ocr_read_at")?,
    })
}

/// A new case in `collecting`, opened when the customer taps 手机号不可用?.
pub struct NewCase<'a> {
    pub id: &'a str,
    pub flow_id: &'a str,
    pub id_key: &'a str,
    pub customer_id: Option<i64>,
    pub who: &'a TypedIdentity,
    pub key_id: &'a str,
    pub wrapped_key: &'a str,
}

pub async fn insert(
    conn: &mut AnyConnection,
    case: &NewCase<'_>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO review_cases (id, flow_id, id_key, customer_id, state, id_type, id_number, name, \
         key_id, wrapped_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'collecting', $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(case.id)
    .bind(case.flow_id)
    .bind(case.id_key)
    .bind(case.customer_id)
    .bind(&case.who.id_type)
    .bind(&case.who.id_number)
    .bind(&case.who.name)
    .bind(case.key_id)
    .bind(case.wrapped_key)
    .bind(now_ms)
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn by_id(db: &Db, case_id: &str) -> Result<Option<CaseRecord>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM review_cases WHERE id = $1"))
        .bind(case_id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A page of cases in `state`, ordered by `order` (a fixed ORDER BY list from the caller).
pub async fn page(
    db: &Db,
    state: &str,
    order: &'static str,
    limit: i64,
    offset: i64,
) -> Result<Vec<CaseRecord>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM review_cases WHERE state = $1 ORDER BY {order} LIMIT $2 OFFSET $3"
    ))
    .bind(state)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// How many cases are in `state`.
pub async fn count_in_state(db: &Db, state: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM review_cases WHERE state = $1")
        .bind(state)
        .fetch_one(&db.pool)
        .await
}

/// The stored state of `case_id`, if there is such a case.
pub async fn state_of(db: &Db, case_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT state FROM review_cases WHERE id = $1")
        .bind(case_id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn by_flow(db: &Db, flow_id: &str) -> Result<Option<CaseRecord>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM review_cases WHERE flow_id = $1"
    ))
    .bind(flow_id)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The ID's other cases (hashed key), newest first: what a reviewer should know of earlier
/// requests for the same account.
pub async fn history(
    db: &Db,
    id_key: &str,
    except_case: &str,
    limit: i64,
) -> Result<Vec<CaseRecord>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM review_cases WHERE id_key = $1 AND id <> $2 \
         ORDER BY created_at DESC LIMIT $3"
    ))
    .bind(id_key)
    .bind(except_case)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Whether the ID (hashed key) has a case waiting for review.
pub async fn has_pending(db: &Db, id_key: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_cases WHERE id_key = $1 AND state = 'pending'",
    )
    .bind(id_key)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// One stored picture of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRow {
    pub kind: String,
    pub seq: i64,
    pub object_id: String,
    pub bytes: i64,
    pub width: i64,
    pub height: i64,
}

pub async fn add_evidence(
    conn: &mut AnyConnection,
    case_id: &str,
    row: &EvidenceRow,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO evidence (case_id, kind, seq, object_id, bytes, width, height, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case_id)
    .bind(&row.kind)
    .bind(row.seq)
    .bind(&row.object_id)
    .bind(row.bytes)
    .bind(row.width)
    .bind(row.height)
    .bind(now_ms)
    .execute(conn)
    .await
    .map(|_| ())
}

/// A case's pictures in kind order (face, id_front, id_back, handheld), then sequence.
pub async fn evidence_of(db: &Db, case_id: &str) -> Result<Vec<EvidenceRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT kind, seq, object_id, bytes, width, height FROM evidence WHERE case_id = $1 \
         ORDER BY CASE kind WHEN 'face' THEN 0 WHEN 'id_front' THEN 1 WHEN 'id_back' THEN 2 ELSE 3 END, seq",
    )
    .bind(case_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EvidenceRow {
                kind: r.try_get("kind")?,
                seq: r.try_get("seq")?,
                object_id: r.try_get("object_id")?,
                bytes: r.try_get("bytes")?,
                width: r.try_get("width")?,
                height: r.try_get("height")?,
            })
        })
        .collect()
}

/// Records the contact phone a code was just sent to (the one a right code will prove).
pub fn set_contact_phone(case_id: &str, phone: &str, now_ms: i64) -> Statement {
    Statement::new("UPDATE review_cases SET contact_phone = $1, updated_at = $2 WHERE id = $3")
        .text(phone)
        .int(now_ms)
        .text(case_id)
}

/// `collecting` → `pending` with the pending password hash and the due time. False when the
/// case was not collecting. A second pending case of the same ID fails on the unique index.
pub async fn submit(
    conn: &mut AnyConnection,
    case_id: &str,
    password_hash: &str,
    due_ms: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE review_cases SET state = 'pending', pending_password_hash = $1, submitted_at = $2, \
         due_at = $3, updated_at = $2 WHERE id = $4 AND state = 'collecting'",
    )
    .bind(password_hash)
    .bind(now_ms)
    .bind(due_ms)
    .bind(case_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `pending` → `approved` | `rejected`, only if still pending: of racing deciders exactly one
/// changes the row. `None` when the case was not pending; else the pending password hash, which
/// the caller moves (approval) and then clears with [`clear_pending_hash`] in the same transaction.
pub async fn decide(
    conn: &mut AnyConnection,
    case_id: &str,
    new_state: &str,
    staff_id: i64,
    staff_username: &str,
    reason: Option<&str>,
    now_ms: i64,
) -> Result<Option<Option<String>>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE review_cases SET state = $1, decided_at = $2, decided_by_staff_id = $3, decided_by = $4, \
         reason = $5, updated_at = $2 WHERE id = $6 AND state = 'pending' RETURNING pending_password_hash",
    )
    .bind(new_state)
    .bind(now_ms)
    .bind(staff_id)
    .bind(staff_username)
    .bind(reason.map(str::to_owned))
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.try_get::<Option<String>, _>("pending_password_hash"))
        .transpose()
}

/// The pending case of an ID, rejected by the system with `reason`; `None` when there was none.
pub async fn withdraw_pending(
    conn: &mut AnyConnection,
    id_key: &str,
    reason: &str,
    now_ms: i64,
) -> Result<Option<CaseRecord>, sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE review_cases SET state = 'rejected', decided_at = $1, decided_by = 'system', \
         reason = $2, pending_password_hash = NULL, updated_at = $1 \
         WHERE id_key = $3 AND state = 'pending' RETURNING {COLUMNS}"
    ))
    .bind(now_ms)
    .bind(reason)
    .bind(id_key)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

pub async fn clear_pending_hash(
    conn: &mut AnyConnection,
    case_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE review_cases SET pending_password_hash = NULL WHERE id = $1")
        .bind(case_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Cases whose pictures are due for the purge: decided at or before `decided_before`, or never
/// submitted with their flow over (ended, or untouched since `idle_before`).
pub async fn due_for_purge(
    db: &Db,
    decided_before: i64,
    idle_before: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let live = "('reserved_phone', 'new_password', 'face', 'documents', 'contact_phone')";
    sqlx::query_scalar(&format!(
        "SELECT c.id FROM review_cases c LEFT JOIN flows f ON f.id = c.flow_id WHERE c.purged_at IS NULL AND \
         ((c.state IN ('approved', 'rejected') AND c.decided_at <= $1) OR \
          (c.state = 'collecting' AND (f.id IS NULL OR f.step NOT IN {live} OR f.updated_at <= $2)))"
    ))
    .bind(decided_before)
    .bind(idle_before)
    .fetch_all(&db.pool)
    .await
}

/// Marks a case purged in `conn`'s transaction: its data key destroyed, the pending hash and
/// what was read from the card forgotten, its picture rows deleted, a case never submitted
/// `abandoned`. Its flow and customer, or `None` when it was purged already.
pub async fn mark_purged(
    conn: &mut AnyConnection,
    case_id: &str,
    now_ms: i64,
) -> Result<Option<(String, Option<i64>)>, sqlx::Error> {
    let changed = sqlx::query(
        "UPDATE review_cases SET purged_at = $1, wrapped_key = NULL, pending_password_hash = NULL, \
         ocr_id_number = NULL, ocr_name = NULL, updated_at = $1, \
         state = CASE WHEN state = 'collecting' THEN 'abandoned' ELSE state END \
         WHERE id = $2 AND purged_at IS NULL",
    )
    .bind(now_ms)
    .bind(case_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    sqlx::query("DELETE FROM evidence WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as("SELECT flow_id, customer_id FROM review_cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(conn)
        .await
        .map(Some)
}

/// Forgets what was typed at 个人信息 for flows untouched since `idle_before`.
pub async fn forget_identities_idle_since(db: &Db, idle_before: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM flow_identity WHERE flow_id IN (SELECT id FROM flows WHERE updated_at <= $1)",
    )
    .bind(idle_before)
    .execute(&mut *db.writer.acquire().await?)
    .await
    .map(drop)
}

/// A case's data key as stored: wrapped by the master key `key_id`.
pub struct StoredKey {
    pub case_id: String,
    pub key_id: String,
    /// Hex, as the vault wraps it.
    pub wrapped: String,
}

/// Every case's data key not wrapped by master key `current`.
pub async fn keys_not_under(db: &Db, current: &str) -> Result<Vec<StoredKey>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, key_id, wrapped_key FROM review_cases WHERE wrapped_key IS NOT NULL AND key_id <> $1",
    )
    .bind(current)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(case_id, key_id, wrapped)| StoredKey {
            case_id,
            key_id,
            wrapped,
        })
        .collect())
}

/// Replaces a case's wrapped data key where `old` is still the stored one; false otherwise.
pub async fn rewrap_key(
    db: &Db,
    old: &StoredKey,
    new_key_id: &str,
    new_wrapped: &str,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query(
        "UPDATE review_cases SET key_id = $1, wrapped_key = $2 WHERE id = $3 AND key_id = $4 AND wrapped_key = $5",
    )
    .bind(new_key_id)
    .bind(new_wrapped)
    .bind(&old.case_id)
    .bind(&old.key_id)
    .bind(&old.wrapped)
    .execute(&mut *db.writer.acquire().await?)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// How many cases each master key other than `current` still wraps.
pub async fn keys_in_use_besides(
    db: &Db,
    current: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT key_id, COUNT(*) AS n FROM review_cases WHERE wrapped_key IS NOT NULL AND key_id <> $1 \
         GROUP BY key_id ORDER BY key_id",
    )
    .bind(current)
    .fetch_all(&db.pool)
    .await
}

/// Cases still waiting for the server's reading of their ID front (`kind`), oldest first.
pub async fn waiting_for_reading(
    db: &Db,
    kind: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.id FROM review_cases c WHERE c.ocr_read_at IS NULL AND c.purged_at IS NULL \
         AND c.state IN ('collecting', 'pending') AND EXISTS (SELECT 1 FROM evidence e \
         WHERE e.case_id = c.id AND e.kind = $1) ORDER BY c.created_at, c.id LIMIT $2",
    )
    .bind(kind)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Claims a waiting case for reading; false when another server's claim made after
/// `stale_before` still holds it, or it was read meanwhile.
pub async fn claim_reading(
    db: &Db,
    case_id: &str,
    now_ms: i64,
    stale_before: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE review_cases SET ocr_claimed_at = $1 WHERE id = $2 AND ocr_read_at IS NULL \
         AND (ocr_claimed_at IS NULL OR ocr_claimed_at <= $3)",
    )
    .bind(now_ms)
    .bind(case_id)
    .bind(stale_before)
    .execute(&mut *db.writer.acquire().await?)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// Gives back a claim on a case that could not be read just now.
pub async fn release_reading(db: &Db, case_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE review_cases SET ocr_claimed_at = NULL WHERE id = $1 AND ocr_read_at IS NULL",
    )
    .bind(case_id)
    .execute(&mut *db.writer.acquire().await?)
    .await
    .map(|_| ())
}

/// What the server read from a case's ID front; values only where they were read.
pub struct Reading<'a> {
    pub id_number: Option<&'a str>,
    pub name: Option<&'a str>,
    pub number_matches: Option<bool>,
    pub name_matches: Option<bool>,
}

/// Records a reading in `conn`'s transaction unless the case was read, purged or decided
/// meanwhile; true when it was recorded.
pub async fn record_reading(
    conn: &mut AnyConnection,
    case_id: &str,
    reading: &Reading<'_>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let flag = |b: Option<bool>| b.map(i64::from);
    let changed = sqlx::query(
        "UPDATE review_cases SET ocr_id_number = $1, ocr_name = $2, ocr_number_matches = $3, \
         ocr_name_matches = $4, ocr_read_at = $5 WHERE id = $6 AND ocr_read_at IS NULL \
         AND purged_at IS NULL AND state IN ('collecting', 'pending')",
    )
    .bind(reading.id_number)
    .bind(reading.name)
    .bind(flag(reading.number_matches))
    .bind(flag(reading.name_matches))
    .bind(now_ms)
    .bind(case_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// The object ids of stored pictures after `after`, in order, `limit` at a time (for moving
/// pictures between stores).
pub async fn object_ids_after(
    db: &Db,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT object_id FROM evidence WHERE object_id > $1 ORDER BY object_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| r.try_get("object_id")).collect()
}
