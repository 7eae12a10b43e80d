//! Customers' login sessions, kept as hashes of their tokens.

use sqlx::AnyConnection;

use super::Db;

/// Stores a new session (`token_hash`) for `customer_id`.
pub async fn open(
    conn: &mut AnyConnection,
    token_hash: &str,
    customer_id: i64,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(customer_id)
    .bind(now_ms)
    .bind(expires_at_ms)
    .execute(conn)
    .await
    .map(drop)
}

/// Ends every session of a customer.
pub async fn revoke_all(conn: &mut AnyConnection, customer_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE customer_id = $1")
        .bind(customer_id)
        .execute(conn)
        .await
        .map(drop)
}

/// The customer of the session `token_hash`, while it is valid.
pub async fn customer_of(
    db: &Db,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT customer_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&db.pool)
        .await
}
