//! What the Tauri side keeps: the core behind a lock, the countdown ticker, the kiosk's clock,
//! and the signal that stops an intent in flight (取消, 返回, the kiosk's wipe).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::{Mutex, MutexGuard, Notify};

use reset_app_core::kiosk::KioskClock;
use reset_app_core::view::View;
use reset_app_core::AppCore;

/// The event carrying a new view when it changes without an intent (countdown, idle timeout).
pub const VIEW_EVENT: &str = "view";

pub struct AppState {
    pub core: Mutex<AppCore>,
    ticking: AtomicBool,
    /// Kiosk only. Kept outside the core's lock: a touch is noted at once, even while an
    /// intent waits for the server.
    kiosk: Option<std::sync::Mutex<KioskClock>>,
    /// Wakes the intent in flight so it gives up its request and the core.
    abort: Notify,
    /// An intent was stopped half-way since the last look (its request may have been done).
    stopped: AtomicBool,
}

impl AppState {
    pub fn new(core: AppCore, idle_timeout: Option<Duration>) -> AppState {
        AppState {
            core: Mutex::new(core),
            ticking: AtomicBool::new(false),
            kiosk: idle_timeout.map(|t| std::sync::Mutex::new(KioskClock::new(t, Instant::now()))),
            abort: Notify::new(),
            stopped: AtomicBool::new(false),
        }
    }

    pub fn is_kiosk(&self) -> bool {
        self.kiosk.is_some()
    }

    /// The customer touched the screen or typed: the kiosk's idle clock starts again.
    pub fn activity(&self) {
        if let Some(clock) = &self.kiosk {
            if let Ok(mut c) = clock.lock() {
                c.activity(Instant::now());
            }
        }
    }

    /// Lock the core for an intent, noting the customer is still there.
    pub async fn touch(&self) -> MutexGuard<'_, AppCore> {
        self.activity();
        self.core.lock().await
    }

    /// Run an intent tapped on the page of `visit`, unless that page is gone: a clean start (the
    /// kiosk's wipe, 取消) between the tap and now drops it, so one customer's input never lands
    /// on the next one's screen. `None`: no page to check (tests on the mock runtime).
    pub async fn intent(&self, visit: Option<u64>, work: impl AsyncFnOnce(&mut AppCore)) -> View {
        let mut core = self.core.lock().await;
        if visit.is_none_or(|v| v == core.visit()) {
            self.activity();
            self.abortable(work(&mut core)).await;
        }
        self.view(&core)
    }

    /// Stop the intent in flight, if any, and lock the core: for 取消, 返回 and the wipe,
    /// which must not wait out a slow server.
    pub async fn interrupt(&self) -> MutexGuard<'_, AppCore> {
        self.activity();
        self.abort.notify_waiters();
        self.core.lock().await
    }

    /// Run an intent's work unless [`interrupt`](Self::interrupt) stops it first; a stopped
    /// request is dropped (its connection closed) and the interrupting intent decides what
    /// the screen shows.
    pub async fn abortable(&self, work: impl Future<Output = ()>) {
        tokio::select! {
            () = work => {}
            () = self.abort.notified() => self.stopped.store(true, Ordering::SeqCst),
        }
    }

    /// Whether an intent was stopped half-way since the last call.
    pub fn take_stopped(&self) -> bool {
        self.stopped.swap(false, Ordering::SeqCst)
    }

    /// The view to draw, with the kiosk's countdowns as they stand now.
    pub fn view(&self, core: &AppCore) -> View {
        let now = Instant::now();
        let mut view = core.view(now);
        if let Some(Ok(mut clock)) = self.kiosk.as_ref().map(|c| c.lock()) {
            if core.visit_finished() {
                clock.finished(now);
            } else {
                clock.left_finished(now);
            }
            view.idle_warning_s = clock.idle_warning_s(now);
            view.return_in_s = clock.return_in_s(now);
        }
        view
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
                let view = state.view(&core);
                drop(core);
                let _ = app.emit(VIEW_EVENT, &view);
                if view.resend_in_s == 0 {
                    break;
                }
            }
            state.ticking.store(false, Ordering::SeqCst);
        });
    }

    /// Kiosk: once a second, show the countdowns and, when the idle time is up or a finished
    /// visit's pause is over, wipe everything for the next customer. The core is locked only
    /// then: an intent waiting for the server does not hold up the clock.
    pub fn watch_idle<R: Runtime>(app: &AppHandle<R>) {
        if app.state::<AppState>().kiosk.is_none() {
            return;
        }
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let state = app.state::<AppState>();
            let mut counting = false;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let now = Instant::now();
                let Some(Ok((due, showing))) = state.kiosk.as_ref().map(|c| {
                    c.lock().map(|c| {
                        let showing =
                            c.idle_warning_s(now).is_some() || c.return_in_s(now).is_some();
                        (c.due(now), showing)
                    })
                }) else {
                    continue;
                };
                if !(due || showing || counting) {
                    continue;
                }
                let core = if due {
                    state.abort.notify_waiters();
                    let mut core = state.core.lock().await;
                    core.fresh_start();
                    state.take_stopped();
                    if let Some(Ok(mut clock)) = state.kiosk.as_ref().map(|c| c.lock()) {
                        clock.wiped(Instant::now());
                    }
                    core
                } else {
                    state.core.lock().await
                };
                let view = state.view(&core);
                drop(core);
                // Every second while a countdown shows, and once when it goes.
                let _ = app.emit(VIEW_EVENT, &view);
                counting = showing && !due;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use reset_app_core::Settings;

    #[tokio::test]
    async fn an_intent_tapped_on_a_replaced_page_is_dropped() {
        let core = AppCore::new(Settings {
            api_url: "http://127.0.0.1:9".into(),
            ..Settings::default()
        })
        .unwrap();
        let state = AppState::new(core, Some(Duration::from_secs(60)));
        let before = state.view(&*state.core.lock().await).visit;
        // The kiosk's wipe (or 取消) comes between the tap and the intent.
        state.core.lock().await.fresh_start();
        let v = state
            .intent(Some(before), async |core| core.start_reset())
            .await;
        assert_eq!(v.screen, reset_app_core::view::Screen::Login, "dropped");
        let v = state
            .intent(Some(v.visit), async |core| core.start_reset())
            .await;
        assert_eq!(
            v.screen,
            reset_app_core::view::Screen::Identity,
            "the new page's"
        );
    }

    #[tokio::test]
    async fn an_interrupt_stops_the_intent_in_flight() {
        let core = AppCore::new(Settings {
            api_url: "http://127.0.0.1:9".into(),
            ..Settings::default()
        })
        .unwrap();
        let state = Arc::new(AppState::new(core, None));
        let busy = state.clone();
        // An intent whose request never answers, holding the core.
        let intent = tokio::spawn(async move {
            let _core = busy.touch().await;
            busy.abortable(std::future::pending()).await;
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let core = tokio::time::timeout(Duration::from_secs(5), state.interrupt())
            .await
            .expect("取消 gets the core without waiting for the server");
        drop(core);
        intent.await.unwrap();
    }
}
