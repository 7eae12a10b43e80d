//! Sealed evidence kept in the database itself (`evidence.store = "database"`): every instance
//! on the database reads every picture, and an upload's pictures are written in the transaction
//! of its case rows, so a failed or killed upload leaves none behind.

use sqlx::{AnyConnection, Row};

use super::Db;

/// Writes one sealed object; an object id already there is an error (ids are random).
pub async fn put(
    conn: &mut AnyConnection,
    object_id: &str,
    sealed: &[u8],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO evidence_objects (object_id, sealed, created_at) VALUES ($1, $2, $3)")
        .bind(object_id)
        .bind(sealed)
        .bind(now_ms)
        .execute(conn)
        .await
        .map(drop)
}

/// The sealed bytes of an object, if it is there.
pub async fn get(db: &Db, object_id: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query("SELECT sealed FROM evidence_objects WHERE object_id = $1")
        .bind(object_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| r.try_get::<Vec<u8>, _>("sealed")).transpose()
}

/// Deletes an object; one that is not there is not an error.
pub async fn delete(db: &Db, object_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM evidence_objects WHERE object_id = $1")
        .bind(object_id)
        .execute(&mut *db.writer.acquire().await?)
        .await
        .map(drop)
}
