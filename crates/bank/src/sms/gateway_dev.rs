//! The development gateway: "sends" by keeping the message in the `dev_sms` table, which the
//! dev inbox (`GET /v1/dev/sms`) reads in development mode.

use reset_flow::wire::DevSms;
use time::OffsetDateTime;

use crate::store::{dev_sms, ms, Db};

pub async fn deliver(db: &Db, to: &str, text: &str, now: OffsetDateTime) -> Result<(), String> {
    dev_sms::keep(db, to, text, ms(now))
        .await
        .map_err(|e| e.to_string())
}

/// The messages kept for `phone`, oldest first.
pub async fn inbox(db: &Db, phone: &str) -> crate::BankResult<Vec<DevSms>> {
    Ok(dev_sms::for_phone(db, phone).await?)
}
