//! The face challenges the server issued: which prompts, for which flow, until when, and
//! whether an upload already answered it (a challenge is answered once).

use sqlx::AnyConnection;

use super::Db;

/// An issued challenge, as the upload's check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedChallenge {
    /// The prompts as JSON, in the order they were issued.
    pub prompts: String,
    pub expires_at: i64,
}

pub async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    flow_id: &str,
    prompts_json: &str,
    now_ms: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO face_challenges (id, flow_id, prompts, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(flow_id)
    .bind(prompts_json)
    .bind(now_ms)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Takes one of the flow's `cap` challenges; false when all were issued. One conditional
/// update, so racing requests cannot get more.
pub async fn take_one(db: &Db, flow_id: &str, cap: u32) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE flows SET challenges_issued = challenges_issued + 1 \
         WHERE id = $1 AND challenges_issued < $2",
    )
    .bind(flow_id)
    .bind(i64::from(cap))
    .execute(&mut *db.writer.acquire().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the flow's challenge `id` answered, if it is unanswered and unexpired; what was
/// issued, or None (unknown, another flow's, expired, or answered already). Of racing uploads
/// answering one challenge, exactly one gets it.
pub async fn answer(
    db: &Db,
    id: &str,
    flow_id: &str,
    now_ms: i64,
) -> Result<Option<IssuedChallenge>, sqlx::Error> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "UPDATE face_challenges SET used_at = $1 \
         WHERE id = $2 AND flow_id = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING prompts, expires_at",
    )
    .bind(now_ms)
    .bind(id)
    .bind(flow_id)
    .fetch_optional(&mut *db.writer.acquire().await?)
    .await?;
    Ok(row.map(|(prompts, expires_at)| IssuedChallenge {
        prompts,
        expires_at,
    }))
}
