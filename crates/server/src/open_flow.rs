//! A reset flow as the server keeps it, for every step of either path: found by its id, moved by
//! the flow crate's step machine (an idle one saved as expired on the way out), and the bound on
//! compare-and-set retries when two requests race for one flow.

use reset_flow::{ErrorCode, Event, Flow, Step};
use serde_json::json;
use time::OffsetDateTime;

use crate::audit;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::flows::{self, FlowRecord};
use crate::store::ms;

/// Attempts at a compare-and-set before giving up on a hot row.
pub const RACE_RETRIES: usize = 8;
/// A flow id: 128 random bits as 32 lowercase hex digits.
pub const FLOW_ID_LEN: usize = 32;

/// Loads a flow by its id: `flow_not_found` for anything malformed or unknown (no database
/// work for ids that cannot exist), `flow_replaced` once a newer flow took over.
pub async fn open(state: &AppState, id: &str) -> AppResult<FlowRecord> {
    if id.len() != FLOW_ID_LEN || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ErrorCode::FlowNotFound.into());
    }
    let rec = flows::load(&state.db, id)
        .await?
        .ok_or(ErrorCode::FlowNotFound)?;
    if rec.is_replaced() {
        return Err(ErrorCode::FlowReplaced.into());
    }
    Ok(rec)
}

/// The step machine's answer to `event`; an idle flow is saved as expired on the way out.
pub async fn step(
    state: &AppState,
    rec: &FlowRecord,
    event: Event,
    now: OffsetDateTime,
) -> AppResult<Flow> {
    match rec.flow.advance(event, now, &state.settings.policy) {
        Ok(next) => Ok(next),
        Err(ErrorCode::FlowExpired) => {
            if rec.flow.step != Step::Expired {
                let mut expired = rec.clone();
                expired.flow = rec.flow.expired();
                expired.code_hash = None;
                let now_ms = ms(now);
                let mut tx = state.db.pool.begin().await?;
                if flows::save(&mut tx, &expired, now_ms).await? {
                    audit::record(
                        &mut tx,
                        now_ms,
                        Some(&rec.id),
                        rec.customer_id,
                        "flow_expired",
                        json!({}),
                    )
                    .await?;
                }
                tx.commit().await?;
            }
            Err(ErrorCode::FlowExpired.into())
        }
        Err(code) => Err(code.into()),
    }
}

/// The first characters of a flow id, enough to follow one flow through the logs.
pub fn short(id: &str) -> &str {
    &id[..8.min(id.len())]
}
