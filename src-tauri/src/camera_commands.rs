//! The camera intents of path B. The camera runs on a blocking thread while the core stays
//! unlocked (countdowns and the kiosk's idle watch keep working); each frame's news is put into
//! the core and published as a view.

use reset_capture::SourceError;
use reset_flow::wire::ErrorBody;
use reset_flow::ErrorCode;
use tauri::ipc::Request;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::frame_body::frame_bytes;
use crate::state::{AppState, VIEW_EVENT};
use reset_app_core::camera::{self, CameraFailure, CameraTask, DocumentKind};
use reset_app_core::view::View;

type Answer = Result<View, ErrorBody>;

/// 开始识别 on 人脸识别.
#[tauri::command]
pub async fn face_check<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    visit: Option<u64>,
) -> Answer {
    Ok(run_camera(&app, &state, visit, CameraTask::Face).await)
}

/// A tile of 上传资料: take that picture.
#[tauri::command]
pub async fn capture_document<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    visit: Option<u64>,
    kind: DocumentKind,
) -> Answer {
    Ok(run_camera(&app, &state, visit, CameraTask::Document(kind)).await)
}

/// The camera icon beside 证件号码: read the ID card into the fields.
#[tauri::command]
pub async fn scan_id_card<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    visit: Option<u64>,
) -> Answer {
    Ok(run_camera(&app, &state, visit, CameraTask::IdScan).await)
}

/// 取消 on the camera screen. Not serialised behind the running camera intent.
#[tauri::command]
pub async fn cancel_camera(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.cancel_camera();
    Ok(state.view(&core))
}

/// One JPEG frame from the screen's camera (phones), sent as the view's `frames` says
/// ([`frame_bytes`]). Answers whether it was kept; nothing but the frame itself is taken from
/// the screen (its time is the core's).
#[tauri::command]
pub async fn camera_frame(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<bool, ErrorBody> {
    let jpeg = frame_bytes(request.body()).ok_or(ErrorBody::new(ErrorCode::MalformedBody))?;
    // The feed is taken under the lock and fed outside it: decoding does not hold up the core.
    let Some(feed) = state.core.lock().await.camera_feed() else {
        return Ok(false);
    };
    tauri::async_runtime::spawn_blocking(move || feed.push_jpeg(&jpeg))
        .await
        .map_err(|_| ErrorBody::new(ErrorCode::Internal))?
        .map_err(|_| ErrorBody::new(ErrorCode::MalformedBody))
}

/// The screen could not open its camera: `reason` is `no_camera`, `permission_denied` or
/// anything else for a camera that failed. The run ends with the matching message.
#[tauri::command]
pub async fn camera_unavailable(state: State<'_, AppState>, reason: String) -> Answer {
    let core = state.core.lock().await;
    if let Some(feed) = core.camera_feed() {
        feed.fail(match reason.as_str() {
            "no_camera" => SourceError::NoCamera,
            "permission_denied" => SourceError::PermissionDenied,
            _ => SourceError::CameraFailed("the screen could not open the camera".into()),
        });
    }
    Ok(state.view(&core))
}

/// 下一步 on 上传资料.
#[tauri::command]
pub async fn submit_documents(state: State<'_, AppState>, visit: Option<u64>) -> Answer {
    Ok(state
        .intent(visit, async |core| core.submit_documents().await)
        .await)
}

async fn run_camera<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    visit: Option<u64>,
    task: CameraTask,
) -> View {
    let job = {
        let mut core = state.core.lock().await;
        // Tapped on a page a clean start has replaced: nothing to open the camera for.
        if visit.is_some_and(|v| v != core.visit()) {
            return state.view(&core);
        }
        state.activity();
        match core.begin_camera(task).await {
            Some(job) => job,
            None => return state.view(&core),
        }
    };
    let _ = app.emit(VIEW_EVENT, state.view(&*state.core.lock().await));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = tauri::async_runtime::spawn_blocking(move || {
        camera::run(&job, &mut |update| {
            let _ = tx.send(update);
        })
    });
    while let Some(update) = rx.recv().await {
        let mut core = state.core.lock().await;
        core.camera_update(update);
        let _ = app.emit(VIEW_EVENT, state.view(&core));
    }
    let result = worker.await.unwrap_or(Err(CameraFailure::Cancelled));
    // Not a touch: a run the kiosk's wipe ended must not mark the clean kiosk as in use.
    let mut core = state.core.lock().await;
    core.camera_finished(result).await;
    state.view(&core)
}
