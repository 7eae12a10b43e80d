//! One Tauri command per user intent. Each locks the core, hands it the intent, and answers with
//! the next view; the rules live in the core and the flow crate.

use std::time::Instant;

use reset_flow::wire::ErrorBody;
use reset_flow::IdType;
use tauri::{AppHandle, Runtime, State};

use crate::core::view::{Lang, View};
use crate::state::AppState;

type Answer = Result<View, ErrorBody>;

#[tauri::command]
pub async fn get_view(state: State<'_, AppState>) -> Answer {
    Ok(state.core.lock().await.view(Instant::now()))
}

#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, lang: Lang) -> Answer {
    let mut core = state.touch().await;
    core.set_language(lang);
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn start_reset(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.start_reset();
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn choose_id_type(state: State<'_, AppState>, id_type: IdType) -> Answer {
    let mut core = state.touch().await;
    core.choose_id_type(id_type);
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn submit_identity(
    state: State<'_, AppState>,
    id_number: String,
    name: String,
) -> Answer {
    let mut core = state.touch().await;
    core.submit_identity(&id_number, &name).await;
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn request_code<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    phone: String,
) -> Answer {
    let mut core = state.touch().await;
    core.request_code(&phone, Instant::now()).await;
    let view = core.view(Instant::now());
    drop(core);
    state.tick_countdown(&app, &view);
    Ok(view)
}

#[tauri::command]
pub async fn verify_code(state: State<'_, AppState>, code: String) -> Answer {
    let mut core = state.touch().await;
    core.verify_code(&code).await;
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn phone_unavailable(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.phone_unavailable().await;
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn password_input(
    state: State<'_, AppState>,
    password: String,
    confirm: String,
) -> Answer {
    let mut core = state.touch().await;
    core.password_input(&password, &confirm);
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn set_password(state: State<'_, AppState>, password: String, confirm: String) -> Answer {
    let mut core = state.touch().await;
    core.set_password(&password, &confirm).await;
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn log_in(
    state: State<'_, AppState>,
    id_number: Option<String>,
    password: String,
) -> Answer {
    let mut core = state.touch().await;
    core.log_in(id_number.as_deref(), &password).await;
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn switch_user(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.switch_user();
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn cancel(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.cancel();
    Ok(core.view(Instant::now()))
}

#[tauri::command]
pub async fn refresh_inbox(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.refresh_inbox().await;
    Ok(core.view(Instant::now()))
}

/// The UI has painted its first view. With `RESET_STARTUP_TRACE=1` the app says so on stderr,
/// which is how the start-up benchmark times a cold start to the painted login screen.
#[tauri::command]
pub fn ui_painted() {
    if std::env::var_os("RESET_STARTUP_TRACE").is_some() {
        eprintln!("reset-app: painted");
    }
}
