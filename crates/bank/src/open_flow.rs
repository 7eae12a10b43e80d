//! A reset flow as the server keeps it, for every step of either path: found by its id, moved by
//! the flow crate's step machine (an idle one saved as expired on the way out), and the bound on
//! compare-and-set retries when two requests race for one flow.

use reset_flow::{ErrorCode, Event, Flow, Step};
use serde_json::json;
use time::OffsetDateTime;

use crate::error::BankResult;
use crate::services::Services;
use crate::store::audit;
use crate::store::flows::{self, FlowRecord};
use crate::store::ms;

/// Attempts at a compare-and-set before giving up on a hot row.
pub const RACE_RETRIES: usize = 8;

/// What one try of a step saved with a compare-and-set came to.
pub enum Try<T> {
    Done(T),
    /// Another request saved the row first: read it again and try again.
    Raced,
}

/// The one retry loop of every saved step: each `attempt` reads the row, decides and saves
/// with a compare-and-set, and answers `Raced` when another request saved first; after
/// [`RACE_RETRIES`] races the row is too hot and the caller is asked to come back
/// (`too_many`). A refusal (`Err`) ends it at once.
pub async fn retry_on_race<T, F, Fut>(mut attempt: F) -> BankResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = BankResult<Try<T>>>,
{
    for _ in 0..RACE_RETRIES {
        if let Try::Done(answer) = attempt().await? {
            return Ok(answer);
        }
    }
    Err(ErrorCode::TooMany.into())
}
/// A flow id: 128 random bits as 32 lowercase hex digits.
pub const FLOW_ID_LEN: usize = 32;

/// Loads a flow by its id: `flow_not_found` for anything malformed or unknown (no database
/// work for ids that cannot exist), `flow_replaced` once a newer flow took over.
pub async fn open(state: &Services, id: &str) -> BankResult<FlowRecord> {
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
    state: &Services,
    rec: &FlowRecord,
    event: Event,
    now: OffsetDateTime,
) -> BankResult<Flow> {
    match rec.flow.advance(event, now, &state.settings.policy) {
        Ok(next) => Ok(next),
        Err(ErrorCode::FlowExpired) => {
            if rec.flow.step != Step::Expired {
                let mut expired = rec.clone();
                expired.flow = rec.flow.expired();
                expired.code_hash = None;
                let now_ms = ms(now);
                let mut tx = state.db.writer.begin().await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn races_are_tried_again_a_bounded_number_of_times_and_a_refusal_ends_at_once() {
        let mut tries = 0;
        let answer = retry_on_race(|| {
            tries += 1;
            let this_try = tries;
            async move {
                Ok(if this_try < 3 {
                    Try::Raced
                } else {
                    Try::Done(this_try)
                })
            }
        })
        .await;
        assert_eq!(answer.unwrap(), 3);

        let mut tries = 0;
        let hot: BankResult<()> = retry_on_race(|| {
            tries += 1;
            async { Ok(Try::Raced) }
        })
        .await;
        assert_eq!(hot.unwrap_err().code(), ErrorCode::TooMany);
        assert_eq!(tries, RACE_RETRIES);

        let mut tries = 0;
        let refused: BankResult<()> = retry_on_race(|| {
            tries += 1;
            async { Err(ErrorCode::WrongStep.into()) }
        })
        .await;
        assert_eq!(refused.unwrap_err().code(), ErrorCode::WrongStep);
        assert_eq!(tries, 1);
    }
}
