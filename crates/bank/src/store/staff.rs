//! Staff logins and their sessions: the `staff` rows (password hash, role, the TOTP second
//! factor) and `staff_sessions`, kept as hashes of their tokens.

use sqlx::{AnyConnection, Row};

use super::Db;

/// What a sign-in needs of a staff login.
pub struct StaffLogin {
    pub id: i64,
    pub password_hash: String,
    /// The TOTP secret, hex; none for a login enrolled before the second factor existed.
    pub totp_secret: Option<String>,
}

/// The login of `username`, if there is one.
pub async fn by_username(db: &Db, username: &str) -> Result<Option<StaffLogin>, sqlx::Error> {
    let row: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, password_hash, totp_secret FROM staff WHERE username = $1")
            .bind(username)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(id, password_hash, totp_secret)| StaffLogin {
        id,
        password_hash,
        totp_secret,
    }))
}

/// Marks the TOTP time step `step` used by `staff_id`; `false` when it (or a later one) was
/// used already, so of two sign-ins racing with one code, one lands.
pub async fn use_totp_step(db: &Db, staff_id: i64, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE staff SET totp_last_step = $1 \
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(staff_id)
    .execute(&mut *db.writer.acquire().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A new staff login, or the same username again: a new password, role and TOTP secret (the
/// second factor enrolled anew, its failures forgotten).
pub async fn upsert(
    db: &Db,
    username: &str,
    password_hash: &str,
    role: &str,
    totp_secret_hex: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO staff (username, password_hash, role, created_at, totp_secret, totp_last_step) \
         VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (username) DO UPDATE SET \
         password_hash = excluded.password_hash, role = excluded.role, \
         totp_secret = excluded.totp_secret, totp_last_step = NULL, totp_failures = 0, \
         totp_locked_until = NULL",
    )
    .bind(username)
    .bind(password_hash)
    .bind(role)
    .bind(now_ms)
    .bind(totp_secret_hex)
    .execute(&mut *db.writer.acquire().await?)
    .await
    .map(drop)
}

/// A stored session with its staff member.
pub struct SessionRow {
    pub staff_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub username: String,
    pub role: String,
    pub second_factor: bool,
}

pub async fn open_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    staff_id: i64,
    second_factor: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO staff_sessions (token_hash, staff_id, created_at, last_seen_at, second_factor) \
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(token_hash)
    .bind(staff_id)
    .bind(now_ms)
    .bind(i64::from(second_factor))
    .execute(conn)
    .await
    .map(drop)
}

pub async fn session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.staff_id, s.created_at, s.last_seen_at, st.username, st.role, s.second_factor \
         FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(SessionRow {
            staff_id: r.try_get(0)?,
            created_at: r.try_get(1)?,
            last_seen_at: r.try_get(2)?,
            username: r.try_get(3)?,
            role: r.try_get(4)?,
            second_factor: r.try_get::<i64, _>(5)? != 0,
        })
    })
    .transpose()
}

pub async fn touch_session(db: &Db, token_hash: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now_ms)
        .bind(token_hash)
        .execute(&mut *db.writer.acquire().await?)
        .await
        .map(drop)
}

pub async fn close_session(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *db.writer.acquire().await?)
        .await
        .map(drop)
}

/// Drops sessions opened before `oldest_ms`.
pub async fn prune_sessions(conn: &mut AnyConnection, oldest_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_sessions WHERE created_at < $1")
        .bind(oldest_ms)
        .execute(conn)
        .await
        .map(drop)
}
