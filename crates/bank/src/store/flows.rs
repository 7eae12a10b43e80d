//! Reset flows as rows: the step machine's `Flow` as JSON plus the SMS-code columns. Every
//! change is a compare-and-set on `version`, so of two racing requests exactly one wins. A
//! flow's live slot is keyed by its ID and name together: only a start that typed both the
//! same can replace it.

use reset_flow::Flow;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, Outcome, Statement};

#[derive(Debug, Clone)]
pub struct FlowRecord {
    pub id: String,
    /// The hashed ID typed at the start (see `customer_login::id_key`).
    pub id_key: Option<String>,
    /// The hashed ID and name typed at the start: the flow's live slot, and what the bounds
    /// per ID count against (so a stranger who knows only the ID number cannot use them up).
    pub live_key: Option<String>,
    pub customer_id: Option<i64>,
    pub flow: Flow,
    pub version: i64,
    pub replaced: bool,
    /// The live flow of this flow's ID (joined), to refuse a replaced flow.
    pub live_flow_id: Option<String>,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<i64>,
    pub code_wrong: i64,
    pub codes_sent: i64,
    pub last_code_at: Option<i64>,
}

impl FlowRecord {
    /// What the bounds per ID count against: the ID and name typed (the ID alone for flows
    /// started before names were part of the key).
    pub fn bound_key(&self) -> Option<&str> {
        self.live_key.as_deref().or(self.id_key.as_deref())
    }

    /// A newer flow for the same ID took over while this one was live.
    pub fn is_replaced(&self) -> bool {
        self.replaced
            || (self.flow.step.is_live()
                && self.live_flow_id.is_some()
                && self.live_flow_id.as_deref() != Some(&self.id))
    }

    fn from_row(r: &AnyRow) -> Result<FlowRecord, sqlx::Error> {
        let state: String = r.try_get("state")?;
        let flow = serde_json::from_str(&state).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(FlowRecord {
            id: r.try_get("id")?,
            id_key: r.try_get("id_key")?,
            live_key: r.try_get("live_key")?,
            customer_id: r.try_get("customer_id")?,
            flow,
            version: r.try_get("version")?,
            replaced: r.try_get::<i64, _>("replaced")? != 0,
            live_flow_id: r.try_get("live_flow_id")?,
            code_hash: r.try_get("code_hash")?,
            code_expires_at: r.try_get("code_expires_at")?,
            code_wrong: r.try_get("code_wrong")?,
            codes_sent: r.try_get("codes_sent")?,
            last_code_at: r.try_get("last_code_at")?,
        })
    }
}

fn state_json(flow: &Flow) -> String {
    serde_json::to_string(flow).unwrap_or_default()
}

pub async fn load(db: &Db, id: &str) -> Result<Option<FlowRecord>, sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    load_on(&mut conn, id).await
}

/// As [`load`], on a connection the caller holds (inside its transaction).
pub async fn load_on(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<FlowRecord>, sqlx::Error> {
    sqlx::query(
        "SELECT f.id, f.id_key, f.live_key, f.customer_id, f.state, f.version, f.replaced, \
         l.flow_id AS live_flow_id, f.code_hash, f.code_expires_at, f.code_wrong, f.codes_sent, \
         f.last_code_at FROM flows f LEFT JOIN live_flows l ON l.live_key = f.live_key \
         WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(FlowRecord::from_row)
    .transpose()
}

/// The keys a new flow is filed under: its ID's, and the one of its ID and name together
/// that names its live slot.
pub struct FlowKeys<'a> {
    pub id_key: &'a str,
    pub live_key: &'a str,
}

/// A new flow's row.
pub fn insert(
    id: &str,
    keys: &FlowKeys<'_>,
    customer_id: Option<i64>,
    flow: &Flow,
    now_ms: i64,
) -> Statement {
    Statement::new(
        "INSERT INTO flows (id, customer_id, state, step, version, replaced, created_at, updated_at, \
         code_wrong, codes_sent, id_key, live_key) VALUES ($1, $2, $3, $4, 1, 0, $5, $5, 0, 0, $6, $7)",
    )
    .text(id)
    .int(customer_id)
    .text(state_json(flow))
    .text(flow.step.as_str())
    .int(now_ms)
    .text(keys.id_key)
    .text(keys.live_key)
}

/// Writes `rec`'s flow and code columns if nobody changed the row since it was read.
pub async fn save(
    conn: &mut AnyConnection,
    rec: &FlowRecord,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    Ok(saved(&save_statement(rec, now_ms).run(conn).await?))
}

/// The statement of [`save`].
pub fn save_statement(rec: &FlowRecord, now_ms: i64) -> Statement {
    Statement::new(
        "UPDATE flows SET state = $1, step = $2, version = version + 1, replaced = $3, updated_at = $4, \
         code_hash = $5, code_expires_at = $6, code_wrong = $7, codes_sent = $8, last_code_at = $9 \
         WHERE id = $10 AND version = $11",
    )
    .text(state_json(&rec.flow))
    .text(rec.flow.step.as_str())
    .int(i64::from(rec.replaced))
    .int(now_ms)
    .maybe_text(rec.code_hash.clone())
    .int(rec.code_expires_at)
    .int(rec.code_wrong)
    .int(rec.codes_sent)
    .int(rec.last_code_at)
    .text(&rec.id)
    .int(rec.version)
}

/// Whether [`save_statement`] saved: false when another request changed the row first.
pub fn saved(outcome: &Outcome) -> bool {
    outcome.rows_affected == 1
}

/// Takes one try of the code still in force before it is judged; the tries now used, or None
/// when the code changed or its tries were used up meanwhile. Every wrong judgement takes a
/// try first, and the row's version moves with it, so a right code read before the try cannot
/// be saved after it: however many guesses race, at most `max_tries` are ever judged.
pub async fn take_code_try(
    conn: &mut AnyConnection,
    id: &str,
    code_hash: &str,
    max_tries: i64,
) -> Result<Option<i64>, sqlx::Error> {
    tries_taken(
        &take_code_try_statement(id, code_hash, max_tries)
            .run(conn)
            .await?,
    )
}

/// The statement of [`take_code_try`].
pub fn take_code_try_statement(id: &str, code_hash: &str, max_tries: i64) -> Statement {
    Statement::new(
        "UPDATE flows SET code_wrong = code_wrong + 1, version = version + 1 \
         WHERE id = $1 AND code_hash = $2 AND code_wrong < $3 RETURNING code_wrong",
    )
    .text(id)
    .text(code_hash)
    .int(max_tries)
}

/// The tries now used, from [`take_code_try_statement`]'s outcome.
pub fn tries_taken(outcome: &Outcome) -> Result<Option<i64>, sqlx::Error> {
    outcome.rows.first().map(|r| r.try_get(0)).transpose()
}

/// The live flow of an ID and name (hashed key), known customer or not.
pub async fn live_flow(db: &Db, live_key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT flow_id FROM live_flows WHERE live_key = $1")
        .bind(live_key)
        .fetch_optional(&db.pool)
        .await
}

/// Makes `flow_id` the one live flow of the ID and name: any older one is thereby replaced.
pub fn set_live_flow(live_key: &str, flow_id: &str) -> Statement {
    Statement::new(
        "INSERT INTO live_flows (live_key, flow_id) VALUES ($1, $2) \
         ON CONFLICT (live_key) DO UPDATE SET flow_id = excluded.flow_id",
    )
    .text(live_key)
    .text(flow_id)
}
