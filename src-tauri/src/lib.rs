//! The customer app in its window: Tauri commands, events, windows and the webview camera over
//! the app core (crates/app-core), which holds the step state and talks to the reset server.

mod camera_commands;
mod commands;
#[cfg(all(desktop, feature = "embedded-server"))]
mod embedded;
mod frame_body;
mod settings;
mod state;
#[cfg(desktop)]
mod webview_camera;

use tauri::{Emitter, Manager, Runtime};

pub use settings::AppOptions;
use state::{AppState, VIEW_EVENT};

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let context = tauri::generate_context!();
    let mut options = AppOptions::from_env_and_args(std::env::args().skip(1));
    // A build with tauri.kiosk.conf.json is a kiosk whatever its arguments say.
    options.kiosk |= context.config().identifier.ends_with(".kiosk");
    if let Err(why) = options.preflight() {
        eprintln!("reset-app: {why}");
        std::process::exit(2);
    }
    if let Err(e) = build(tauri::Builder::default(), options).run(context) {
        eprintln!("reset-app: the app failed to start: {e}");
        std::process::exit(1);
    }
}

/// The kiosk's window: full screen, no window controls, on top. `--kiosk` sets what a build with
/// tauri.kiosk.conf.json has from the start; a test holds the two together.
#[cfg_attr(mobile, allow(dead_code))]
const KIOSK_WINDOW: [(&str, bool); 7] = [
    ("fullscreen", true),
    ("decorations", false),
    ("closable", false),
    ("minimizable", false),
    ("maximizable", false),
    ("resizable", false),
    ("alwaysOnTop", true),
];

/// Phones have no such window settings: the app is full screen there anyway.
#[cfg(desktop)]
fn kiosk_window<R: Runtime>(app: &tauri::App<R>) -> tauri::Result<()> {
    let Some(w) = app.get_webview_window("main") else {
        return Ok(());
    };
    for (setting, on) in KIOSK_WINDOW {
        match setting {
            "fullscreen" => w.set_fullscreen(on)?,
            "decorations" => w.set_decorations(on)?,
            "closable" => w.set_closable(on)?,
            "minimizable" => w.set_minimizable(on)?,
            "maximizable" => w.set_maximizable(on)?,
            "resizable" => w.set_resizable(on)?,
            "alwaysOnTop" => w.set_always_on_top(on)?,
            other => unreachable!("no window setting {other}"),
        }
    }
    Ok(())
}

/// A kiosk's window is not closed by the keyboard (Alt+F4) or the window manager: the
/// request is refused. Only the operator ends the app (a signal, the session).
fn refuse_close<R: Runtime>(window: &tauri::Window<R>, event: &tauri::WindowEvent) {
    if let tauri::WindowEvent::CloseRequested { api, .. } = event {
        if window.try_state::<AppState>().is_some_and(|s| s.is_kiosk()) {
            api.prevent_close();
        }
    }
}

/// The app on any runtime, so tests can build it on Tauri's mock runtime.
pub fn build<R: Runtime>(builder: tauri::Builder<R>, options: AppOptions) -> tauri::Builder<R> {
    // Android's resources are the package's assets: the fs plugin reads them for the models.
    #[cfg(target_os = "android")]
    let builder = builder.plugin(tauri_plugin_fs::init());
    builder
        .setup(move |app| init(app, options))
        .on_window_event(refuse_close)
        .invoke_handler(tauri::generate_handler![
            commands::get_view,
            commands::back,
            commands::answer_leave,
            commands::log_out,
            commands::retry,
            commands::set_large_text,
            commands::still_here,
            commands::set_language,
            commands::start_reset,
            commands::choose_id_type,
            commands::submit_identity,
            commands::request_code,
            commands::verify_code,
            commands::phone_unavailable,
            commands::password_input,
            commands::set_password,
            commands::log_in,
            commands::switch_user,
            commands::cancel,
            commands::refresh_inbox,
            commands::ui_painted,
            camera_commands::face_check,
            camera_commands::scan_id_card,
            camera_commands::capture_document,
            camera_commands::cancel_camera,
            camera_commands::submit_documents,
            camera_commands::camera_frame,
            camera_commands::camera_unavailable,
        ])
}

/// Everything the app sets up once its window exists: the core with its settings, resuming an
/// open flow, and the kiosk's idle watch. Tests on the mock runtime call it directly.
pub fn init<R: Runtime>(
    app: &tauri::App<R>,
    options: AppOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = app.path().app_data_dir()?;
    #[cfg(target_os = "android")]
    {
        use tauri_plugin_fs::FsExt;
        let handle = app.handle().clone();
        reset_app_core::models::use_asset_reader(move |path| handle.fs().read(path));
    }
    let model_dir = options.model_dir(app.path().resource_dir().ok().as_deref());
    // A build with tauri.kiosk.conf.json is a kiosk whatever its arguments say.
    let mut options = options;
    options.kiosk |= app.config().identifier.ends_with(".kiosk");
    if options.kiosk {
        options.preflight()?;
        #[cfg(desktop)]
        kiosk_window(app)?;
        // A kiosk started by an earlier phone-style run of the app resumes nothing either.
        let _ = std::fs::remove_file(data_dir.join(settings::RESUME_FILE));
    }
    // No server named: a desktop tester build runs its own; other builds use the server named
    // when they were built.
    #[cfg(all(desktop, feature = "embedded-server"))]
    let embedded_url = match options.api_url {
        None => Some(embedded::start(&data_dir, model_dir.clone())?),
        Some(_) => None,
    };
    #[cfg(not(all(desktop, feature = "embedded-server")))]
    let embedded_url: Option<String> = {
        if options.api_url.is_none() {
            options.api_url = option_env!("RESET_DEFAULT_API_URL").map(str::to_owned);
        }
        None
    };
    let settings = options.settings(&data_dir, embedded_url.as_deref(), model_dir)?;
    if settings.api_url.is_empty() {
        eprintln!("reset-app: {NO_SERVER}");
    }
    #[cfg(desktop)]
    if settings.camera == Some(reset_capture::SourceSetting::Webview) {
        if let Some(window) = app.get_webview_window("main") {
            webview_camera::enable(&window, options.mock_camera)?;
        }
    }
    let core = reset_app_core::AppCore::new(settings).map_err(|e| e.message)?;
    app.manage(AppState::new(core, options.idle_timeout()));
    let handle = app.handle().clone();
    // The server is asked without holding the core: the first screen is drawn at once, and a
    // customer who starts something else meanwhile is not overruled by the answer. With an open
    // reset it is asked about that; otherwise only whether it answers.
    tauri::async_runtime::spawn(async move {
        let state = handle.state::<AppState>();
        let (asked, api, visit) = {
            let mut core = state.core.lock().await;
            (core.to_resume(), core.to_reach(), core.visit())
        };
        let resumed = match asked {
            Some((api, id)) => {
                let answer = api.status(&id).await;
                Ok((id, answer))
            }
            None => Err(api.reach().await),
        };
        let mut core = state.core.lock().await;
        // Otherwise the customer moved on first; the id stays on disk unless they replaced it.
        if core.visit() == visit && core.screen() == reset_app_core::view::Screen::Login {
            match resumed {
                Ok((id, answer)) => core.resume_with(id, answer),
                Err(reached) => core.reached(reached),
            }
        }
        let _ = handle.emit(VIEW_EVENT, &state.view(&core));
    });
    AppState::watch_idle(app.handle());
    Ok(())
}

/// Said on the terminal by a build that names no server (the customer sees Screen::NoServer).
const NO_SERVER: &str =
    "this build names no server: set RESET_DEFAULT_API_URL when building it, or pass --api-url";

#[cfg(test)]
mod tests {
    use super::KIOSK_WINDOW;

    #[test]
    fn kiosk_mode_sets_what_the_kiosk_build_config_sets() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.kiosk.conf.json")).unwrap();
        let window = config["app"]["windows"][0].as_object().unwrap();
        let in_config: Vec<(&str, bool)> = window
            .iter()
            .filter_map(|(k, v)| v.as_bool().map(|b| (k.as_str(), b)))
            .collect();
        let mut expected = KIOSK_WINDOW.to_vec();
        let mut got = in_config.clone();
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
    }
}
