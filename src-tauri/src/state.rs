//! What the Tauri side keeps: the core behind a lock, the countdown ticker and the kiosk's idle
//! clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::{Mutex, MutexGuard};

use crate::core::view::{Screen, View};
use crate::core::AppCore;

/// The event carrying a new view when it changes without an intent (countdown, idle timeout).
pub const VIEW_EVENT: &str = "view";

pub struct AppState {
    pub core: Mutex<AppCore>,
    ticking: AtomicBool,
    last_intent: std::sync::Mutex<Instant>,
    /// Kiosk: idle time after which the flow is cancelled and wiped.
    pub idle_timeout: Option<Duration>,
}

impl AppState {
    pub fn new(core: AppCore, idle_timeout: Option<Duration>) -> AppState {
        AppState {
            core: Mutex::new(core),
            ticking: AtomicBool::new(false),
            last_intent: std::sync::Mutex::new(Instant::now()),
            idle_timeout,
        }
    }

    /// Lock the core for an intent, noting the customer is still there.
    pub async fn touch(&self) -> MutexGuard<'_, AppCore> {
        if let Ok(mut t) = self.last_intent.lock() {
            *t = Instant::now();
        }
        self.core.lock().await
    }

    /// While the 获取 countdown runs, publish a view every second (with the dev inbox read anew).
    pub fn tick_countdown<R: Runtime>(&self, app: &AppHandle<R>, view: &View) {
        if view.resend_in_s == 0 || self.ticking.swap(true, Ordering::SeqCst) {
            return;
        }
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let state = app.state::<AppState>();
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let mut core = state.core.lock().await;
                // The dev SMS inbox fills when the outbox has delivered, a moment after 获取.
                core.refresh_inbox().await;
                let view = core.view(Instant::now());
                drop(core);
                let _ = app.emit(VIEW_EVENT, &view);
                if view.resend_in_s == 0 {
                    break;
                }
            }
            state.ticking.store(false, Ordering::SeqCst);
        });
    }

    /// Kiosk: cancel the flow and wipe what was typed when nobody has touched the screen for
    /// the idle timeout.
    pub fn watch_idle<R: Runtime>(app: &AppHandle<R>) {
        let Some(timeout) = app.state::<AppState>().idle_timeout else {
            return;
        };
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let state = app.state::<AppState>();
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let idle = state
                    .last_intent
                    .lock()
                    .map(|t| t.elapsed())
                    .unwrap_or_default();
                if idle < timeout {
                    continue;
                }
                let mut core = state.core.lock().await;
                if core.view(Instant::now()).screen != Screen::Login {
                    core.cancel();
                    let _ = app.emit(VIEW_EVENT, &core.view(Instant::now()));
                }
                drop(core);
                if let Ok(mut t) = state.last_intent.lock() {
                    *t = Instant::now();
                }
            }
        });
    }
}
