//! Storage: one sqlx `Any` pool over SQLite or PostgreSQL, the schema migrations, and the
//! queries each service needs. Timestamps are INTEGER unix milliseconds on both backends.

pub mod allowances;
pub mod audit;
pub mod cases;
pub mod challenges;
pub mod customers;
mod db;
pub mod dev_sms;
pub mod evidence_objects;
pub mod flows;
pub mod lockouts;
pub mod outbox;
pub mod sessions;
pub mod staff;
mod statement;
mod writer;

pub use db::{Backend, Db};
pub use statement::{next_outcome, Outcome, Statement};
pub use writer::{SqliteWriter, WriteConn, WriteTx, Writer};

use time::OffsetDateTime;

/// Unix milliseconds, the one timestamp form in the database.
pub fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The instant of a stored timestamp.
pub fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `$first, $first+1, …`: `count` numbered placeholders, for an `IN (…)` list or the rows of
/// a multi-row `VALUES`.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
