//! The purge: deletes the pictures of cases decided longer ago than the retention time, and of
//! cases whose flow ended before review; forgets the typed identity of old flows. The case row
//! stays, marked purged, with its data key destroyed, so a copy of a picture that survived
//! somewhere can no longer be opened, and without what the server read from the card (the
//! match flags stay for the record). Runs in the background on the injected clock.

use std::time::Duration;

use serde_json::json;
use sqlx::Row;
use tokio::sync::watch;

use crate::audit;
use crate::state::AppState;
use crate::store::{cases, ms};

/// What one purge round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub cases: usize,
    pub pictures: usize,
}

/// Purges everything due at the clock's now.
pub async fn purge_due(state: &AppState) -> Result<Purged, sqlx::Error> {
    let now = state.clock.now();
    let now_ms = ms(now);
    let retention_ms = i64::from(state.evidence.settings.retention_days) * 86_400_000;
    let policy = &state.settings.policy;
    let idle_ms = (policy.flow_idle_s.max(policy.flow_idle_phone_unavailable_s) as i64) * 1000;
    let live = "('reserved_phone', 'new_password', 'face', 'documents', 'contact_phone')";
    // Decided long enough ago; or never submitted and the flow is over (ended, or idle past
    // every limit, which is the same as expired even if nobody has looked at it since).
    let due: Vec<String> = sqlx::query(&format!(
        "SELECT c.id FROM review_cases c LEFT JOIN flows f ON f.id = c.flow_id WHERE c.purged_at IS NULL AND \
         ((c.state IN ('approved', 'rejected') AND c.decided_at <= $1) OR \
          (c.state = 'collecting' AND (f.id IS NULL OR f.step NOT IN {live} OR f.updated_at <= $2)))"
    ))
    .bind(now_ms - retention_ms)
    .bind(now_ms - idle_ms)
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("id"))
    .collect::<Result<_, _>>()?;

    let mut done = Purged::default();
    for case_id in due {
        let pictures = cases::evidence_of(&state.db, &case_id).await?;
        let mut all_gone = true;
        for p in &pictures {
            if let Err(e) = state.evidence.store.delete(&p.object_id).await {
                tracing::warn!(error = %e, "could not delete a picture; the purge will try again");
                all_gone = false;
            }
        }
        if !all_gone {
            continue;
        }
        let mut tx = state.db.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE review_cases SET purged_at = $1, wrapped_key = NULL, pending_password_hash = NULL, \
             ocr_id_number = NULL, ocr_name = NULL, updated_at = $1, \
             state = CASE WHEN state = 'collecting' THEN 'abandoned' ELSE state END \
             WHERE id = $2 AND purged_at IS NULL",
        )
        .bind(now_ms)
        .bind(&case_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            continue;
        }
        sqlx::query("DELETE FROM evidence WHERE case_id = $1")
            .bind(&case_id)
            .execute(&mut *tx)
            .await?;
        let (flow_id, customer_id): (String, Option<i64>) = {
            let r = sqlx::query("SELECT flow_id, customer_id FROM review_cases WHERE id = $1")
                .bind(&case_id)
                .fetch_one(&mut *tx)
                .await?;
            (r.try_get("flow_id")?, r.try_get("customer_id")?)
        };
        audit::record(
            &mut tx,
            now_ms,
            Some(&flow_id),
            customer_id,
            "evidence_purged",
            json!({ "case": case_id, "pictures": pictures.len() }),
        )
        .await?;
        tx.commit().await?;
        done.cases += 1;
        done.pictures += pictures.len();
    }
    // The typed identity is needed only until path B copies it into a case.
    sqlx::query(
        "DELETE FROM flow_identity WHERE flow_id IN (SELECT id FROM flows WHERE updated_at <= $1)",
    )
    .bind(now_ms - idle_ms)
    .execute(&state.db.pool)
    .await?;
    if done.cases > 0 {
        tracing::info!(
            cases = done.cases,
            pictures = done.pictures,
            "evidence purged"
        );
    }
    Ok(done)
}

/// Purges every `purge_every_s` (wall time between rounds; what is due follows the injected
/// clock) until `stop` turns true.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.evidence.settings.purge_every_s.max(1));
    loop {
        if let Err(e) = purge_due(&state).await {
            tracing::warn!(error = %e, "evidence purge failed; next round retries");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
