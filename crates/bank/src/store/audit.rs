//! The append-only audit trail: one row per state change of a flow, login or customer. Details
//! are built only from safe values (steps, counts, masked phones); never codes, passwords,
//! hashes or ID numbers. The tables refuse UPDATE and DELETE by trigger.

use serde_json::Value;
use sqlx::Row;

use super::{placeholders, Db};

/// One event for [`record_all`].
pub struct Event<'a> {
    pub flow_id: Option<&'a str>,
    pub customer_id: Option<i64>,
    pub event: &'a str,
    pub detail: Value,
}

/// Appends one event inside the caller's transaction (or on a pooled connection).
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    at_ms: i64,
    flow_id: Option<&str>,
    customer_id: Option<i64>,
    event: &str,
    detail: Value,
) -> Result<(), sqlx::Error> {
    let event = Event {
        flow_id,
        customer_id,
        event,
        detail,
    };
    record_all(conn, at_ms, &[event]).await
}

/// Appends several events, in this order, in one statement (one round trip to the database
/// while the caller's transaction holds SQLite's one writer).
pub async fn record_all(
    conn: &mut sqlx::AnyConnection,
    at_ms: i64,
    events: &[Event<'_>],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = (0..events.len())
        .map(|i| format!("({})", placeholders(5 * i + 1, 5)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("INSERT INTO audit_events (at, flow_id, customer_id, event, detail) VALUES {rows}");
    let mut q = sqlx::query(&sql);
    for e in events {
        q = q
            .bind(at_ms)
            .bind(e.flow_id.map(str::to_owned))
            .bind(e.customer_id)
            .bind(e.event)
            .bind(e.detail.to_string());
    }
    q.execute(conn).await.map(drop)
}

/// One line of a case's trail, as supervisors read it.
pub struct TrailLine {
    pub at_ms: i64,
    pub event: String,
    /// The staff member who acted, if one did.
    pub staff: Option<String>,
}

/// Every event of the flow behind `case_id`, oldest first.
pub async fn of_case(db: &Db, case_id: &str) -> Result<Vec<TrailLine>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.at, a.event, a.detail FROM audit_events a \
         JOIN review_cases c ON c.flow_id = a.flow_id WHERE c.id = $1 ORDER BY a.id",
    )
    .bind(case_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get(2)?;
            let staff = serde_json::from_str::<Value>(&detail)
                .ok()
                .and_then(|d| d["staff"].as_str().map(str::to_owned));
            Ok(TrailLine {
                at_ms: r.try_get(0)?,
                event: r.try_get(1)?,
                staff,
            })
        })
        .collect()
}
