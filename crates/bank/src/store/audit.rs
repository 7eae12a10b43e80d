//! The append-only audit trail: one row per state change of a flow, login or customer. Details
//! are built only from safe values (steps, counts, masked phones); never codes, passwords,
//! hashes or ID numbers. The tables refuse UPDATE and DELETE by trigger.

use serde_json::Value;
use sqlx::Row;

use super::{placeholders, Db, Statement};

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
    record_statement(at_ms, flow_id, customer_id, event, detail)
        .run(conn)
        .await
        .map(drop)
}

/// Appends several events, in this order, in one statement (one round trip to the database
/// while the caller's transaction holds SQLite's one writer).
pub async fn record_all(
    conn: &mut sqlx::AnyConnection,
    at_ms: i64,
    events: &[Event<'_>],
) -> Result<(), sqlx::Error> {
    match record_all_statement(at_ms, events) {
        Some(statement) => statement.run(conn).await.map(drop),
        None => Ok(()),
    }
}

/// The statement of [`record_all`]; none for no events.
pub fn record_all_statement(at_ms: i64, events: &[Event<'_>]) -> Option<Statement> {
    (!events.is_empty()).then(|| rows_statement(at_ms, events))
}

/// One `INSERT` of `events` (at least one).
fn rows_statement(at_ms: i64, events: &[Event<'_>]) -> Statement {
    let rows = (0..events.len())
        .map(|i| format!("({})", placeholders(5 * i + 1, 5)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("INSERT INTO audit_events (at, flow_id, customer_id, event, detail) VALUES {rows}");
    events.iter().fold(Statement::new(sql), |q, e| {
        q.int(at_ms)
            .maybe_text(e.flow_id)
            .int(e.customer_id)
            .text(e.event)
            .text(e.detail.to_string())
    })
}

/// The statement of [`record`].
pub fn record_statement(
    at_ms: i64,
    flow_id: Option<&str>,
    customer_id: Option<i64>,
    event: &str,
    detail: Value,
) -> Statement {
    let event = Event {
        flow_id,
        customer_id,
        event,
        detail,
    };
    rows_statement(at_ms, &[event])
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
