//! Putting a server together: connect and migrate, build the state, start the SMS worker,
//! serve until asked to stop, then drain in-flight requests and stop the worker.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{app, AppState};
use crate::clock::{random_bytes, Clock, SharedRng};
use crate::config::Settings;
use crate::evidence::id_reading::IdReader;
use crate::evidence::Evidence;
use crate::hashing::Hasher;
use crate::metrics::Metrics;
use crate::sms::Outbox;
use crate::store::Db;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects to the configured database, migrates it, and builds the state.
pub async fn build_state(
    settings: Settings,
    clock: Arc<dyn Clock>,
    rng: SharedRng,
) -> Result<AppState, BoxError> {
    let db = Db::connect(&settings.database_url, settings.db_max_connections).await?;
    db.migrate().await?;
    if settings.dev {
        let hasher = Hasher::new(&settings.hashing, rng.clone()).map_err(Box::new)?;
        crate::admin::seed_demo(&db, &hasher, clock.now()).await?;
    }
    state_on(db, settings, clock, rng)
}

/// The state over an open, migrated database.
pub fn state_on(
    db: Db,
    settings: Settings,
    clock: Arc<dyn Clock>,
    rng: SharedRng,
) -> Result<AppState, BoxError> {
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
    )?;
    let id_reader = IdReader::new(&settings.ocr);
    Ok(AppState {
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

/// A running server: its address, and the handles to stop it.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    worker: JoinHandle<()>,
    purge: JoinHandle<()>,
    id_reading: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, stops the SMS worker, the purge and the
    /// ID reading (a reading under way finishes first).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.worker.await;
        let _ = self.purge.await;
        let _ = self.id_reading.await;
    }
}

/// Serves `state` on `listener` in the background.
pub fn spawn(state: AppState, listener: TcpListener) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, rx) = watch::channel(false);
    let worker = if state.settings.sms.worker {
        tokio::spawn(state.outbox.clone().run(rx.clone()))
    } else {
        tokio::spawn(async {})
    };
    let purge = tokio::spawn(crate::evidence::purge::run(state.clone(), rx.clone()));
    let id_reading = tokio::spawn(crate::evidence::id_reading::run(state.clone(), rx.clone()));
    let mut rx_server = rx;
    let router = app(state);
    let server = tokio::spawn(async move {
        let result = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx_server.changed().await;
        })
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    Ok(Running {
        addr,
        stop,
        server,
        worker,
        purge,
        id_reading,
    })
}

/// Serves until `signal` resolves, then shuts down gracefully.
pub async fn serve_until(
    state: AppState,
    listener: TcpListener,
    signal: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let running = spawn(state, listener)?;
    tracing::info!(addr = %running.addr, "reset server listening");
    signal.await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}
