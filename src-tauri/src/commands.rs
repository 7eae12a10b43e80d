//! One Tauri command per user intent. Each hands the intent to the core (through
//! [`AppState::intent`], which drops an intent tapped on a page a clean start has since replaced:
//! `visit` is the page's) and answers with the next view; the rules live in the core and the
//! flow crate.

use reset_flow::wire::ErrorBody;
use reset_flow::IdType;
use tauri::{AppHandle, Runtime, State};

use crate::state::AppState;
use reset_app_core::view::{Lang, View};

type Answer = Result<View, ErrorBody>;

#[tauri::command]
pub async fn get_view(state: State<'_, AppState>) -> Answer {
    Ok(state.view(&*state.core.lock().await))
}

#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, visit: Option<u64>, lang: Lang) -> Answer {
    Ok(state
        .intent(visit, async |core| core.set_language(lang))
        .await)
}

#[tauri::command]
pub async fn start_reset(state: State<'_, AppState>, visit: Option<u64>) -> Answer {
    Ok(state.intent(visit, async |core| core.start_reset()).await)
}

#[tauri::command]
pub async fn choose_id_type(
    state: State<'_, AppState>,
    visit: Option<u64>,
    id_type: IdType,
) -> Answer {
    Ok(state
        .intent(visit, async |core| core.choose_id_type(id_type))
        .await)
}

#[tauri::command]
pub async fn submit_identity(
    state: State<'_, AppState>,
    visit: Option<u64>,
    id_number: String,
    name: String,
) -> Answer {
    let work = async |core: &mut reset_app_core::AppCore| {
        core.submit_identity(&id_number, &name).await;
    };
    Ok(state.intent(visit, work).await)
}

#[tauri::command]
pub async fn request_code<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    visit: Option<u64>,
    phone: String,
) -> Answer {
    let work = async |core: &mut reset_app_core::AppCore| {
        core.request_code(&phone, std::time::Instant::now()).await;
    };
    let view = state.intent(visit, work).await;
    state.tick_countdown(&app, &view);
    Ok(view)
}

#[tauri::command]
pub async fn verify_code(state: State<'_, AppState>, visit: Option<u64>, code: String) -> Answer {
    Ok(state
        .intent(visit, async |core| core.verify_code(&code).await)
        .await)
}

#[tauri::command]
pub async fn phone_unavailable(state: State<'_, AppState>, visit: Option<u64>) -> Answer {
    Ok(state
        .intent(visit, async |core| core.phone_unavailable().await)
        .await)
}

#[tauri::command]
pub async fn password_input(
    state: State<'_, AppState>,
    visit: Option<u64>,
    password: String,
    confirm: String,
) -> Answer {
    Ok(state
        .intent(visit, async |core| core.password_input(&password, &confirm))
        .await)
}

#[tauri::command]
pub async fn set_password(
    state: State<'_, AppState>,
    visit: Option<u64>,
    password: String,
    confirm: String,
) -> Answer {
    let work = async |core: &mut reset_app_core::AppCore| {
        core.set_password(&password, &confirm).await;
    };
    Ok(state.intent(visit, work).await)
}

#[tauri::command]
pub async fn log_in(
    state: State<'_, AppState>,
    visit: Option<u64>,
    id_number: Option<String>,
    password: String,
) -> Answer {
    let work = async |core: &mut reset_app_core::AppCore| {
        core.log_in(id_number.as_deref(), &password).await;
    };
    Ok(state.intent(visit, work).await)
}

#[tauri::command]
pub async fn switch_user(state: State<'_, AppState>, visit: Option<u64>) -> Answer {
    Ok(state.intent(visit, async |core| core.switch_user()).await)
}

/// 取消 and 返回登录: stops a request in flight rather than waiting for it.
#[tauri::command]
pub async fn cancel(state: State<'_, AppState>) -> Answer {
    let mut core = state.interrupt().await;
    state.take_stopped();
    core.cancel();
    Ok(state.view(&core))
}

/// The header's back arrow and the phone's back button. A request it stopped may have been
/// done: the flow's state is read before the question is asked.
#[tauri::command]
pub async fn back(state: State<'_, AppState>) -> Answer {
    let mut core = state.interrupt().await;
    if state.take_stopped() {
        state.abortable(core.resync()).await;
    }
    core.back();
    Ok(state.view(&core))
}

/// 放弃 (`leave`) or 继续办理 in the dialog 返回 opened.
#[tauri::command]
pub async fn answer_leave(state: State<'_, AppState>, visit: Option<u64>, leave: bool) -> Answer {
    Ok(state
        .intent(visit, async |core| core.answer_leave(leave))
        .await)
}

/// 退出登录 on the signed-in screen.
#[tauri::command]
pub async fn log_out(state: State<'_, AppState>, visit: Option<u64>) -> Answer {
    Ok(state.intent(visit, async |core| core.log_out()).await)
}

/// 重试 on the offline screen.
#[tauri::command]
pub async fn retry(state: State<'_, AppState>, visit: Option<u64>) -> Answer {
    Ok(state.intent(visit, async |core| core.retry().await).await)
}

/// 大字版 on or off.
#[tauri::command]
pub async fn set_large_text(state: State<'_, AppState>, visit: Option<u64>, on: bool) -> Answer {
    Ok(state
        .intent(visit, async |core| core.set_large_text(on))
        .await)
}

/// A touch or a key anywhere on the screen (the UI sends at most one a second): the kiosk's
/// idle clock starts again, also while typing into a field. Does not wait for the core.
#[tauri::command]
pub fn still_here(state: State<'_, AppState>) {
    state.activity();
}

#[tauri::command]
pub async fn refresh_inbox(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.refresh_inbox().await;
    Ok(state.view(&core))
}

/// The UI has painted its first view. With `RESET_STARTUP_TRACE=1` the app says so on stderr,
/// which is how the start-up benchmark times a cold start to the painted login screen.
#[tauri::command]
pub fn ui_painted() {
    if std::env::var_os("RESET_STARTUP_TRACE").is_some() {
        eprintln!("reset-app: painted");
    }
}
