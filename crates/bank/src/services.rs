//! What every service and worker shares: the database, the clock and random generator, the
//! settings, the hasher, the metrics, the SMS outbox, path B's evidence and the ID-front reader.

use std::net::IpAddr;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::error::{BankResult, BoxError};
use crate::evidence::id_reader::IdReader;
use crate::evidence::Evidence;
use crate::hashing::Hasher;
use crate::limits::{CallKind, IpWindows};
use crate::metrics::Metrics;
use crate::rng::{random_bytes, SharedRng};
use crate::sms::Outbox;
use crate::store::Db;

/// Everything a service needs; cheap to clone.
#[derive(Clone)]
pub struct Services {
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
    /// Where the per-IP windows are counted.
    pub ip_windows: Arc<IpWindows>,
}

impl Services {
    /// Connects to the configured database, migrates it (and seeds the demo customers in
    /// development), and builds the services over it.
    pub async fn open(
        settings: Settings,
        clock: Arc<dyn Clock>,
        rng: SharedRng,
    ) -> Result<Services, BoxError> {
        let db = Db::connect(&settings.database_url, settings.db_max_connections).await?;
        db.migrate().await?;
        if settings.dev {
            let hasher = Hasher::new(&settings.hashing, rng.clone()).map_err(Box::new)?;
            crate::operators::seed_demo(&db, &hasher, clock.now()).await?;
        }
        Services::on(db, settings, clock, rng)
    }

    /// The services over an open, migrated database.
    pub fn on(
        db: Db,
        settings: Settings,
        clock: Arc<dyn Clock>,
        rng: SharedRng,
    ) -> Result<Services, BoxError> {
        let metrics = Metrics::new();
        let hasher = Hasher::new(&settings.hashing, rng.clone()).map_err(Box::new)?;
        let owner = hex::encode(random_bytes(&rng, 8));
        let outbox = Outbox::new(
            db.clone(),
            clock.clone(),
            settings.sms.clone(),
            metrics.clone(),
            owner,
        )?;
        let evidence = Evidence::open(
            &settings.evidence,
            &settings.database_url,
            settings.dev,
            &rng,
            &db,
            clock.clone(),
        )?;
        let id_reader = IdReader::new(&settings.ocr);
        let ip_windows = Arc::new(IpWindows::for_db(&db));
        Ok(Services {
            ip_windows,
            evidence,
            id_reader,
            db,
            clock,
            rng,
            settings: Arc::new(settings),
            hasher,
            metrics,
            outbox,
        })
    }

    /// The per-IP limit of `kind` for a call from `ip`: `too_many` past it.
    pub async fn check_ip(&self, kind: CallKind, ip: IpAddr) -> BankResult<()> {
        self.settings
            .limits
            .check(&self.ip_windows, &self.db, kind, ip, self.clock.now())
            .await
    }
}
