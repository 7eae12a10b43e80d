//! Putting a server together: connect and migrate, build the state, start the SMS worker,
//! serve until asked to stop, then drain in-flight requests and stop the worker.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{admin_app, app, staff_app};
use crate::clock::Clock;
use crate::config::Settings;
use crate::evidence::id_reader::IdReader;
use crate::evidence::Evidence;
use crate::hashing::Hasher;
use crate::metrics::Metrics;
use crate::rng::{random_bytes, SharedRng};
use crate::sms::Outbox;
use crate::state::AppState;
use crate::store::Db;

pub use crate::error::BoxError;

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

/// Where a server listens: the customers' API always; the staff console and the operators'
/// endpoints each on their own listener, or not at all.
pub struct Listeners {
    pub customer: TcpListener,
    pub staff: Option<TcpListener>,
    pub admin: Option<TcpListener>,
}

impl Listeners {
    /// Only the customers' API (the app's embedded tester server).
    pub fn customer_only(customer: TcpListener) -> Listeners {
        Listeners {
            customer,
            staff: None,
            admin: None,
        }
    }

    /// Binds the addresses of `settings` (`listen`, `staff_listen`, `admin_listen`; `off`
    /// serves nothing there).
    pub async fn bind(settings: &Settings) -> std::io::Result<Listeners> {
        async fn optional(addr: &str) -> std::io::Result<Option<TcpListener>> {
            if addr.trim().eq_ignore_ascii_case("off") || addr.trim().is_empty() {
                return Ok(None);
            }
            TcpListener::bind(addr).await.map(Some)
        }
        Ok(Listeners {
            customer: TcpListener::bind(&settings.listen).await?,
            staff: optional(&settings.staff_listen).await?,
            admin: optional(&settings.admin_listen).await?,
        })
    }
}

/// A running server: its addresses, and the handles to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub staff_addr: Option<SocketAddr>,
    pub admin_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
    worker: JoinHandle<()>,
    purge: JoinHandle<()>,
    id_reading: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, stops the SMS worker, the purge and the
    /// ID reading (a reading under way finishes first).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for server in self.servers {
            let _ = server.await;
        }
        let _ = self.worker.await;
        let _ = self.purge.await;
        let _ = self.id_reading.await;
    }
}

/// Serves `state` on `listeners` in the background.
pub fn spawn(state: AppState, listeners: Listeners) -> std::io::Result<Running> {
    let addr = listeners.customer.local_addr()?;
    let staff_addr = listeners
        .staff
        .as_ref()
        .map(|l| l.local_addr())
        .transpose()?;
    let admin_addr = listeners
        .admin
        .as_ref()
        .map(|l| l.local_addr())
        .transpose()?;
    let (stop, rx) = watch::channel(false);
    let worker = if state.settings.sms.worker {
        tokio::spawn(state.outbox.clone().run(rx.clone()))
    } else {
        tokio::spawn(async {})
    };
    let purge = tokio::spawn(crate::evidence::purge::run(state.clone(), rx.clone()));
    let id_reading = tokio::spawn(crate::evidence::id_reading::run(state.clone(), rx.clone()));
    let mut servers = vec![serve_on(listeners.customer, app(state.clone()), rx.clone())];
    if let Some(listener) = listeners.staff {
        servers.push(serve_on(listener, staff_app(state.clone()), rx.clone()));
    }
    if let Some(listener) = listeners.admin {
        servers.push(serve_on(listener, admin_app(state), rx));
    }
    Ok(Running {
        addr,
        staff_addr,
        admin_addr,
        stop,
        servers,
        worker,
        purge,
        id_reading,
    })
}

fn serve_on(
    listener: TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let result = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop.changed().await;
        })
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped with an error");
        }
    })
}

/// Serves until `signal` resolves, then shuts down gracefully.
pub async fn serve_until(
    state: AppState,
    listeners: Listeners,
    signal: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let running = spawn(state, listeners)?;
    tracing::info!(
        addr = %running.addr,
        staff = ?running.staff_addr,
        admin = ?running.admin_addr,
        "reset server listening"
    );
    signal.await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}
