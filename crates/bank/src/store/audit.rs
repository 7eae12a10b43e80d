//! The append-only audit trail: one row per state change of a flow, login or customer. Details
//! are built only from safe values (steps, counts, masked phones); never codes, passwords,
//! hashes or ID numbers. The tables refuse UPDATE and DELETE by trigger.

use serde_json::Value;
use sqlx::Row;

use super::Db;

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
