//! The camera intents of path B. The camera runs on a blocking thread while the core stays
//! unlocked (countdowns and the kiosk's idle watch keep working); each frame's news is put into
//! the core and published as a view.

use std::time::Instant;

use tauri::{AppHandle, Emitter, Runtime, State};

use crate::core::camera::{self, CameraFailure, CameraTask, DocumentKind};
use crate::core::view::View;
use crate::state::{AppState, VIEW_EVENT};

type Answer = Result<View, reset_flow::wire::ErrorBody>;

/// 开始识别 on 人脸识别.
#[tauri::command]
pub async fn face_check<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Answer {
    Ok(run_camera(&app, &state, CameraTask::Face).await)
}

/// A tile of 上传资料: take that picture.
#[tauri::command]
pub async fn capture_document<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    kind: DocumentKind,
) -> Answer {
    Ok(run_camera(&app, &state, CameraTask::Document(kind)).await)
}

/// The camera icon beside 证件号码: read the ID card into the fields.
#[tauri::command]
pub async fn scan_id_card<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Answer {
    Ok(run_camera(&app, &state, CameraTask::IdScan).await)
}

/// 取消 on the camera screen. Not serialised behind the running camera intent.
#[tauri::command]
pub async fn cancel_camera(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.cancel_camera();
    Ok(core.view(Instant::now()))
}

/// 下一步 on 上传资料.
#[tauri::command]
pub async fn submit_documents(state: State<'_, AppState>) -> Answer {
    let mut core = state.touch().await;
    core.submit_documents().await;
    Ok(core.view(Instant::now()))
}

async fn run_camera<R: Runtime>(app: &AppHandle<R>, state: &AppState, task: CameraTask) -> View {
    let job = {
        let mut core = state.touch().await;
        match core.begin_camera(task) {
            Some(job) => job,
            None => return core.view(Instant::now()),
        }
    };
    let _ = app.emit(VIEW_EVENT, state.core.lock().await.view(Instant::now()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = tauri::async_runtime::spawn_blocking(move || {
        camera::run(&job, &mut |update| {
            let _ = tx.send(update);
        })
    });
    while let Some(update) = rx.recv().await {
        let mut core = state.core.lock().await;
        core.camera_update(update);
        let _ = app.emit(VIEW_EVENT, core.view(Instant::now()));
    }
    let result = worker.await.unwrap_or(Err(CameraFailure::Cancelled));
    let mut core = state.touch().await;
    core.camera_finished(result).await;
    core.view(Instant::now())
}
