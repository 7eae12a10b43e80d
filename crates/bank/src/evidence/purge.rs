//! The purge: deletes the pictures of cases decided longer ago than the retention time, and of
//! cases whose flow ended before review; forgets the typed identity of old flows. The case row
//! stays, marked purged, with its data key destroyed, so a copy of a picture that survived
//! somewhere can no longer be opened, and without what the server read from the card (the
//! match flags stay for the record). Runs in the background on the injected clock.

use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

use crate::services::Services;
use crate::store::audit;
use crate::store::{cases, ms};

/// What one purge round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub cases: usize,
    pub pictures: usize,
}

/// Purges everything due at the clock's now.
pub async fn purge_due(state: &Services) -> Result<Purged, sqlx::Error> {
    let now = state.clock.now();
    let now_ms = ms(now);
    let retention_ms = i64::from(state.evidence.settings.retention_days) * 86_400_000;
    let policy = &state.settings.policy;
    let idle_ms = (policy.flow_idle_s.max(policy.flow_idle_phone_unavailable_s) as i64) * 1000;
    // Decided long enough ago; or never submitted and the flow is over (ended, or idle past
    // every limit, which is the same as expired even if nobody has looked at it since).
    let due = cases::due_for_purge(&state.db, now_ms - retention_ms, now_ms - idle_ms).await?;

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
        let mut tx = state.db.writer.begin().await?;
        let Some((flow_id, customer_id)) = cases::mark_purged(&mut tx, &case_id, now_ms).await?
        else {
            tx.rollback().await?;
            continue;
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
    cases::forget_identities_idle_since(&state.db, now_ms - idle_ms).await?;
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
pub async fn run(state: Services, mut stop: watch::Receiver<bool>) {
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
