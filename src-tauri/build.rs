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

/// The bank's server, compiled into a customer's build (the app takes it from nowhere else).
const SERVER_URL: &str = "RESET_DEFAULT_API_URL";

/// A phone build names its bank's server over `https`; a desktop build may name a tester's
/// server on this machine (`http://127.0.0.1…`) or none (it then runs its own, or says so).
fn check_server_url() {
    println!("cargo:rerun-if-env-changed={SERVER_URL}");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let phone = os == "android" || os == "ios";
    let url = std::env::var(SERVER_URL).ok().filter(|u| !u.is_empty());
    let https = |u: &str| {
        u.strip_prefix("https://")
            .is_some_and(|host| !host.is_empty())
    };
    let loopback = |u: &str| {
        ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                u.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            })
    };
    match url {
        None if phone => panic!(
            "a phone build names its bank's server: set {SERVER_URL}=https://… when building it"
        ),
        Some(u) if phone && !https(&u) => {
            panic!("{SERVER_URL}={u:?}: a phone build talks to its bank's server over https")
        }
        Some(u) if !https(&u) && !loopback(&u) => {
            panic!("{SERVER_URL}={u:?}: only https, or http to this machine for a tester's server")
        }
        _ => {}
    }
}

fn main() {
    check_server_url();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build configuration");
}
