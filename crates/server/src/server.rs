//! Serving: the bank's services on their listeners with the bank's workers beside them, until
//! asked to stop, then in-flight requests drained and the workers stopped.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use reset_bank::workers::Workers;
use reset_bank::{Services, Settings};

use crate::app::{admin_app, app, staff_app};

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
    workers: Workers,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, stops the SMS worker, the purge and the
    /// ID reading (a reading under way finishes first).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for server in self.servers {
            let _ = server.await;
        }
        self.workers.finished().await;
    }
}

/// Serves `state` on `listeners` in the background.
pub fn spawn(state: Services, listeners: Listeners) -> std::io::Result<Running> {
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
    let workers = Workers::start(&state, rx.clone());
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
        workers,
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
    state: Services,
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
