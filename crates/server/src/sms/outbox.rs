//! The durable SMS outbox. Services insert a row in the same transaction as the state change
//! that needs it; workers claim due rows atomically with a lease (so racing workers never send
//! one message twice), deliver, and retry with backoff while the gateway is down.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use tokio::sync::Notify;

use super::gateway_http::HttpGateway;
use super::{gateway_dev, GatewayKind, SmsSettings};
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::{ms, Db};

/// How often the worker clears old counters and sessions.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Where claimed messages go.
#[derive(Clone)]
pub enum Gateway {
    Dev,
    Http(HttpGateway),
}

#[derive(Clone)]
pub struct Outbox {
    db: Db,
    clock: Arc<dyn Clock>,
    gateway: Gateway,
    settings: SmsSettings,
    metrics: Metrics,
    wake: Arc<Notify>,
    /// This worker's name in `lease_owner`.
    owner: String,
}

/// What one delivery round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
}

/// Queues a message inside the caller's transaction.
pub async fn enqueue(
    conn: &mut sqlx::AnyConnection,
    to: &str,
    text: &str,
    kind: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sms_outbox (to_phone, text, kind, created_at, state, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $4)",
    )
    .bind(to)
    .bind(text)
    .bind(kind)
    .bind(now_ms)
    .execute(conn)
    .await
    .map(|_| ())
}

/// For a phone that is not the reserved one: the same insert as a real message, so both cost
/// the same, but in state `void` (never delivered), without text and with the phone masked.
pub async fn enqueue_void(
    conn: &mut sqlx::AnyConnection,
    masked_to: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sms_outbox (to_phone, text, kind, created_at, state, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, 'void', 0, $4)",
    )
    .bind(masked_to)
    .bind("")
    .bind("code")
    .bind(now_ms)
    .execute(conn)
    .await
    .map(|_| ())
}

impl Outbox {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        settings: SmsSettings,
        metrics: Metrics,
        owner: String,
    ) -> Result<Outbox, reqwest::Error> {
        let gateway = match settings.gateway {
            GatewayKind::Dev => Gateway::Dev,
            GatewayKind::Http => Gateway::Http(HttpGateway::new(&settings)?),
        };
        Ok(Outbox {
            db,
            clock,
            gateway,
            settings,
            metrics,
            wake: Arc::new(Notify::new()),
            owner,
        })
    }

    /// Tells the worker a message is waiting.
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Claims up to `limit` due messages for this worker. One UPDATE per claim, re-checking the
    /// lease in its own WHERE, so two workers cannot both own a row.
    async fn claim(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, i64)>, sqlx::Error> {
        let now = ms(self.clock.now());
        // Leases are about live workers, not business time: they run on the wall clock.
        let wall = ms(time::OffsetDateTime::now_utc());
        let rows = sqlx::query(
            "UPDATE sms_outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM sms_outbox WHERE state = 'pending' AND next_attempt_at <= $3 \
                          AND (lease_until IS NULL OR lease_until < $5) ORDER BY id LIMIT $4) \
               AND state = 'pending' AND (lease_until IS NULL OR lease_until < $5) \
             RETURNING id, to_phone, text, kind, attempts",
        )
        .bind(&self.owner)
        .bind(wall + self.settings.lease_ms as i64)
        .bind(now)
        .bind(limit)
        .bind(wall)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("to_phone")?,
                    r.try_get("text")?,
                    r.try_get("kind")?,
                    r.try_get("attempts")?,
                ))
            })
            .collect()
    }

    /// Messages waiting or being delivered right now (due or not).
    pub async fn pending(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM sms_outbox WHERE state = 'pending' AND next_attempt_at <= $1",
        )
        .bind(ms(self.clock.now()))
        .fetch_one(&self.db.pool)
        .await
    }

    /// Delivers every message due now, once each.
    pub async fn deliver_due(&self) -> Result<Round, sqlx::Error> {
        let mut round = Round::default();
        loop {
            let batch = self.claim(16).await?;
            if batch.is_empty() {
                return Ok(round);
            }
            for (id, to, text, kind, attempts) in batch {
                let result = match &self.gateway {
                    Gateway::Dev => {
                        gateway_dev::deliver(&self.db, &to, &text, self.clock.now()).await
                    }
                    Gateway::Http(http) => http.deliver(&to, &text).await,
                };
                let now = ms(self.clock.now());
                match result {
                    Ok(()) => {
                        // A sent code has done its job: do not keep it in clear.
                        let kept = if kind == "code" { "" } else { text.as_str() };
                        sqlx::query(
                            "UPDATE sms_outbox SET state = 'sent', sent_at = $1, text = $2, \
                             lease_owner = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4",
                        )
                        .bind(now)
                        .bind(kept)
                        .bind(id)
                        .bind(&self.owner)
                        .execute(&self.db.pool)
                        .await?;
                        self.metrics.sms_sent.inc();
                        round.sent += 1;
                        tracing::info!(sms_id = id, kind = %kind, "sms delivered");
                    }
                    Err(why) => {
                        let give_up = attempts >= i64::from(self.settings.max_attempts);
                        let shift = (attempts - 1).clamp(0, 20) as u32;
                        let delay = self
                            .settings
                            .backoff_ms
                            .saturating_mul(1 << shift)
                            .min(self.settings.backoff_max_ms)
                            as i64;
                        sqlx::query(
                            "UPDATE sms_outbox SET state = $1, next_attempt_at = $2, last_error = $3, \
                             lease_owner = NULL, lease_until = NULL WHERE id = $4 AND lease_owner = $5",
                        )
                        .bind(if give_up { "failed" } else { "pending" })
                        .bind(now + delay)
                        .bind(&why)
                        .bind(id)
                        .bind(&self.owner)
                        .execute(&self.db.pool)
                        .await?;
                        self.metrics.sms_failed.inc();
                        round.failed += 1;
                        tracing::warn!(sms_id = id, attempts, give_up, error = %why, "sms delivery failed");
                    }
                }
            }
        }
    }

    /// The worker: delivers whenever woken, and polls for retries that have come due.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.settings.poll_ms.max(10));
        let mut last_prune = std::time::Instant::now() - PRUNE_EVERY;
        loop {
            if let Err(e) = self.deliver_due().await {
                tracing::error!(error = %e, "sms outbox round failed");
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = std::time::Instant::now();
                if let Err(e) = crate::limits::prune(&self.db, self.clock.now()).await {
                    tracing::warn!(error = %e, "pruning old counters failed");
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
