//! The durable SMS outbox. Services insert a row in the same transaction as the state change
//! that needs it; workers claim due rows atomically with a lease (so racing workers never send
//! one message twice), deliver, and retry with backoff while the gateway is down.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::gateway_http::HttpGateway;
use super::{gateway_dev, GatewayKind, SmsSettings};
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::outbox::{self, Claimed};
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

pub use crate::store::outbox::{enqueue, enqueue_void};

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

    /// Messages waiting or being delivered right now (due or not).
    pub async fn pending(&self) -> Result<i64, sqlx::Error> {
        outbox::due_count(&self.db, ms(self.clock.now())).await
    }

    /// Delivers every message due now, once each.
    pub async fn deliver_due(&self) -> Result<Round, sqlx::Error> {
        let mut round = Round::default();
        loop {
            let now = ms(self.clock.now());
            // Leases are about live workers, not business time: they run on the wall clock.
            let wall = ms(time::OffsetDateTime::now_utc());
            let lease_until = wall + self.settings.lease_ms as i64;
            let batch = outbox::claim(&self.db, &self.owner, lease_until, now, wall, 16).await?;
            if batch.is_empty() {
                return Ok(round);
            }
            for Claimed {
                id,
                to,
                text,
                kind,
                attempts,
            } in batch
            {
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
                        outbox::mark_sent(&self.db, id, &self.owner, kept, now).await?;
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
                        outbox::mark_failed(&self.db, id, &self.owner, give_up, now + delay, &why)
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
                if let Err(e) = crate::store::allowances::prune(&self.db, self.clock.now()).await {
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
