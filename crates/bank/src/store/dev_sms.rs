//! The development gateway's messages, kept for the dev SMS inbox.

use reset_flow::wire::DevSms;
use sqlx::Row;

use super::{from_ms, Db};

pub async fn keep(db: &Db, to: &str, text: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO dev_sms (to_phone, text, sent_at) VALUES ($1, $2, $3)")
        .bind(to)
        .bind(text)
        .bind(now_ms)
        .execute(&mut *db.writer.acquire().await?)
        .await
        .map(drop)
}

/// The messages kept for `phone`, oldest first.
pub async fn for_phone(db: &Db, phone: &str) -> Result<Vec<DevSms>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT to_phone, text, sent_at FROM dev_sms WHERE to_phone = $1 ORDER BY id")
            .bind(phone)
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(DevSms {
                to: r.try_get("to_phone")?,
                text: r.try_get("text")?,
                sent_at: from_ms(r.try_get("sent_at")?),
            })
        })
        .collect()
}
