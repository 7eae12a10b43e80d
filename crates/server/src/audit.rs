//! The append-only audit trail: one row per state change of a flow, login or customer. Details
//! are built only from safe values (steps, counts, masked phones); never codes, passwords,
//! hashes or ID numbers. The tables refuse UPDATE and DELETE by trigger.

use serde_json::Value;

/// Appends one event inside the caller's transaction (or on a pooled connection).
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    at_ms: i64,
    flow_id: Option<&str>,
    customer_id: Option<i64>,
    event: &str,
    detail: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (at, flow_id, customer_id, event, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at_ms)
    .bind(flow_id.map(str::to_owned))
    .bind(customer_id)
    .bind(event)
    .bind(detail.to_string())
    .execute(conn)
    .await
    .map(|_| ())
}
