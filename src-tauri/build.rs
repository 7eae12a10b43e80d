// Our commands are declared to Tauri so each needs a permission, and the window's capability
// (capabilities/default.json) grants exactly these and nothing else.
const COMMANDS: &[&str] = &[
    "get_view",
    "back",
    "answer_leave",
    "log_out",
    "retry",
    "set_large_text",
    "still_here",
    "set_language",
    "start_reset",
    "choose_id_type",
    "submit_identity",
    "request_code",
    "verify_code",
    "phone_unavailable",
    "password_input",
    "set_password",
    "log_in",
    "switch_user",
    "cancel",
    "refresh_inbox",
    "ui_painted",
    "face_check",
    "scan_id_card",
    "capture_document",
    "cancel_camera",
    "submit_documents",
    "camera_frame",
    "camera_unavailable",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build configuration");
}
