//! The development gateway: "sends" by keeping the message in the `dev_sms` table, which the
//! dev inbox (`GET /v1/dev/sms`) reads in development mode.

use reset_flow::wire::DevSms;
use sqlx::Row;
use time::OffsetDateTime;

use crate::store::{from_ms, ms, Db};

pub async fn deliver(db: &Db, to: &str, text: &str, now: OffsetDateTime) -> Result<(), String> {
    sqlx::query("INSERT INTO dev_sms (to_phone, text, sent_at) VALUES ($1, $2, $3)")
        .bind(to)
        .bind(text)
        .bind(ms(now))
        .execute(&db.pool)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The messages kept for `phone`, oldest first.
pub async fn inbox(db: &Db, phone: &str) -> Result<Vec<DevSms>, sqlx::Error> {
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
