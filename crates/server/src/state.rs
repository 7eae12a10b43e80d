//! What every handler and worker shares: the database, the clock and random generator, the
//! settings, the hasher, the metrics, the SMS outbox, path B's evidence and the ID-front reader.

use std::net::IpAddr;
use std::sync::Arc;

use crate::clock::Clock;

use crate::config::Settings;
use crate::error::AppResult;
use crate::evidence::id_reader::IdReader;
use crate::evidence::Evidence;
use crate::hashing::Hasher;
use crate::limits::CallKind;
use crate::metrics::Metrics;
use crate::rng::SharedRng;
use crate::sms::Outbox;
use crate::store::Db;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub rng: SharedRng,
    pub settings: Arc<Settings>,
    pub hasher: Hasher,
    pub metrics: Metrics,
    pub outbox: Outbox,
    /// Path B's pictures: checks, vault, store.
    pub evidence: Evidence,
    /// Reads uploaded ID fronts in the background for the reviewer.
    pub id_reader: IdReader,
}

impl AppState {
    pub async fn check_ip(&self, kind: CallKind, ip: IpAddr) -> AppResult<()> {
        self.settings
            .limits
            .check(&self.db, kind, ip, self.clock.now())
            .await
    }
}
