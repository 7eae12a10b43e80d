//! The tester's default on desktop: with no server named, the app runs the reset server itself,
//! in-process on loopback, with SQLite in the app data folder, the demo customers and the
//! development SMS gateway (whose messages the app shows in its dev SMS inbox).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reset_bank::clock::{Clock, SystemClock};

use reset_bank::rng::os_rng;
use reset_bank::Services;
use reset_bank::Settings;
use reset_server::server::{spawn, Listeners};

/// Binds a loopback port now (so the app knows its server's address before the window paints)
/// and starts the server on it in the background; requests made before it is ready wait in the
/// listen queue. The server reads path B's ID fronts with the models in `model_dir` (the app's
/// own, or the OCR crate's default when `None`). Returns the base URL.
pub fn start(data_dir: &Path, model_dir: Option<PathBuf>) -> Result<String, String> {
    std::fs::create_dir_all(data_dir).map_err(|e| format!("app data folder: {e}"))?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("embedded server: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("embedded server: {e}"))?;
    let mut settings = Settings {
        listen: addr.to_string(),
        database_url: format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("embedded-server.db").display()
        ),
        dev: true,
        ..Settings::default()
    };
    settings.ocr.model_dir = model_dir;
    tauri::async_runtime::spawn(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let started = async {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let state = Services::open(settings, clock, os_rng()).await?;
            spawn(state, Listeners::customer_only(listener)).map_err(reset_bank::BoxError::from)
        };
        match started.await {
            Ok(running) => {
                // Dropping `running` would tell the server to stop: it lives as long as the app.
                std::future::pending::<()>().await;
                drop(running);
            }
            Err(e) => eprintln!("the embedded reset server did not start: {e}"),
        }
    });
    Ok(format!("http://{addr}"))
}
