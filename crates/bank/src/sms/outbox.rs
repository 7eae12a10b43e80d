//! The durable SMS outbox. Services insert a row in the same transaction as the state change
//! that needs it; workers claim due rows atomically with a lease (so racing workers never send
//! one message twice), deliver, and retry with backoff while the gateway is down.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{stream, StreamExt};
use tokio::sync::Notify;

use super::gateway_http::HttpGateway;
use super::{gateway_dev, GatewayKind, SmsSettings};
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::outbox::{self, Claimed};
use crate::store::{ms, Db};

/// What is kept at the end of a lease for the batch's "sent" mark: a wait for a database
/// connection (3 s at most) and the statement.
pub const MARK_WITHIN_MS: u64 = 5_000;

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

pub use crate::store::outbox::{enqueue, enqueue_statement, enqueue_void, enqueue_void_statement};

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
            let limit = i64::from(self.settings.batch.max(1));
            let batch = outbox::claim(&self.db, &self.owner, lease_until, now, wall, limit).await?;
            if batch.is_empty() {
                return Ok(round);
            }
            // Phones side by side, each phone's messages one after another in queue order.
            let outcomes: Vec<(Claimed, Outcome)> = stream::iter(by_phone(batch))
                .map(|messages| self.deliver_in_order(messages, lease_until))
                .buffer_unordered(self.settings.in_flight.max(1) as usize)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .flatten()
                .collect();
            let now = ms(self.clock.now());
            let ids = |wanted: fn(&Outcome) -> bool| -> Vec<i64> {
                outcomes
                    .iter()
                    .filter(|(_, o)| wanted(o))
                    .map(|(m, _)| m.id)
                    .collect()
            };
            // One commit for the batch: were the process to die before it, the lease runs out
            // and these are sent again, as when it died between a delivery and its mark.
            outbox::mark_sent(
                &self.db,
                &ids(|o| matches!(o, Outcome::Sent)),
                &self.owner,
                now,
            )
            .await?;
            // Untried messages are due again at once: this round ends rather than spin on
            // them; the next wake or poll claims them with a fresh lease.
            let untried = ids(|o| matches!(o, Outcome::NotTried));
            outbox::release(&self.db, &untried, &self.owner).await?;
            for (m, outcome) in outcomes {
                match outcome {
                    Outcome::Sent => {
                        self.metrics.sms_sent.inc();
                        round.sent += 1;
                        tracing::info!(sms_id = m.id, kind = %m.kind, "sms delivered");
                    }
                    Outcome::NotTried => {}
                    Outcome::Failed(why) => {
                        let attempts = m.attempts;
                        let give_up = attempts >= i64::from(self.settings.max_attempts);
                        let shift = (attempts - 1).clamp(0, 20) as u32;
                        let delay = self
                            .settings
                            .backoff_ms
                            .saturating_mul(1 << shift)
                            .min(self.settings.backoff_max_ms)
                            as i64;
                        outbox::mark_failed(
                            &self.db,
                            m.id,
                            &self.owner,
                            give_up,
                            now + delay,
                            &why,
                        )
                        .await?;
                        self.metrics.sms_failed.inc();
                        round.failed += 1;
                        tracing::warn!(sms_id = m.id, attempts, give_up, error = %why, "sms delivery failed");
                    }
                }
            }
            if !untried.is_empty() {
                return Ok(round);
            }
        }
    }

    /// One phone's messages, one after another. A delivery that could still be under way, or
    /// not yet marked sent, when the lease ends is not started: another worker may claim the
    /// message then, and both would send it.
    async fn deliver_in_order(
        &self,
        messages: Vec<Claimed>,
        lease_until: i64,
    ) -> Vec<(Claimed, Outcome)> {
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            let latest_end =
                ms(time::OffsetDateTime::now_utc()) + self.settings.http_timeout_ms as i64;
            let outcome = if latest_end + MARK_WITHIN_MS as i64 >= lease_until {
                Outcome::NotTried
            } else {
                match self.deliver(&m).await {
                    Ok(()) => Outcome::Sent,
                    Err(why) => Outcome::Failed(why),
                }
            };
            out.push((m, outcome));
        }
        out
    }

    /// One delivery attempt through the configured gateway.
    async fn deliver(&self, m: &Claimed) -> Result<(), String> {
        match &self.gateway {
            Gateway::Dev => gateway_dev::deliver(&self.db, &m.to, &m.text, self.clock.now()).await,
            Gateway::Http(http) => http.deliver(&m.to, &m.text).await,
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

/// What became of one claimed message.
enum Outcome {
    Sent,
    Failed(String),
    /// Not started: the lease would have ended during the call. Released for the next round.
    NotTried,
}

/// A claimed batch split by phone, each phone's messages in the order they were queued.
fn by_phone(batch: Vec<Claimed>) -> Vec<Vec<Claimed>> {
    let mut phones: Vec<Vec<Claimed>> = Vec::new();
    for m in batch {
        match phones.iter_mut().find(|p| p[0].to == m.to) {
            Some(phone) => phone.push(m),
            None => phones.push(vec![m]),
        }
    }
    phones
}
