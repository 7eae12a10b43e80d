//! The commands on Tauri's mock runtime, through real IPC with the app's own configuration and
//! capabilities: what each intent does to the view when no server is needed, and how the app
//! reports a server it cannot reach. The server here is unreachable: each test first waits for
//! the start's check to show the offline screen, then goes back to the login screen.

use reset_app::AppOptions;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// A port nothing listens on: the "server" is unreachable.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// The app on a server nothing answers for, once the start's check has found that out (the
/// offline screen) and the customer has gone back to the login screen.
fn app_window(
    api_url: String,
) -> (
    tauri::App<tauri::test::MockRuntime>,
    WebviewWindow<tauri::test::MockRuntime>,
) {
    let (app, w) = started(api_url);
    let v = wait_for_screen(&w, "offline");
    assert_eq!(notice_codes(&v), ["offline"], "the start says why");
    assert_eq!(invoke(&w, "back", json!({}))["screen"], "login");
    (app, w)
}

/// The view once it shows `screen` (the start's check answers on its own time).
fn wait_for_screen(w: &WebviewWindow<tauri::test::MockRuntime>, screen: &str) -> Value {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let v = invoke(w, "get_view", json!({}));
        if v["screen"] == screen || std::time::Instant::now() > until {
            assert_eq!(v["screen"], screen, "{v}");
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn started(
    api_url: String,
) -> (
    tauri::App<tauri::test::MockRuntime>,
    WebviewWindow<tauri::test::MockRuntime>,
) {
    let options = AppOptions {
        api_url: Some(api_url),
        kiosk: false,
        idle_timeout_s: None,
        camera: None,
        models: None,
        mock_camera: false,
        webview_frames: None,
    };
    let app = reset_app::build(mock_builder(), options.clone())
        .build(tauri::generate_context!())
        .expect("app builds on the mock runtime");
    reset_app::init(&app, options).expect("app sets up");
    let window = WebviewWindowBuilder::new(&app, "main", WebviewUrl::default())
        .build()
        .unwrap();
    (app, window)
}

fn invoke_body(
    window: &WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    body: InvokeBody,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body,
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|res| res.deserialize::<Value>().unwrap())
}

fn invoke(window: &WebviewWindow<tauri::test::MockRuntime>, cmd: &str, args: Value) -> Value {
    invoke_body(window, cmd, InvokeBody::Json(args))
        .unwrap_or_else(|e| panic!("{cmd} refused: {e:?}"))
}

#[test]
fn a_camera_frame_outside_a_camera_run_is_dropped_and_a_malformed_one_refused() {
    let (_app, w) = app_window(closed_port());
    // Raw (desktop, iOS) and as Android's screen sends it: base64 in a string.
    let raw = invoke_body(&w, "camera_frame", InvokeBody::Raw(vec![0xFF, 0xD8, 0xFF])).unwrap();
    assert_eq!(raw, json!(false));
    let text = invoke_body(
        &w,
        "camera_frame",
        InvokeBody::Json(json!({ "jpeg": "/9j/" })),
    )
    .unwrap();
    assert_eq!(text, json!(false));
    for bad in [
        InvokeBody::Json(json!({ "frame": [1, 2] })),
        InvokeBody::Json(json!([255, 216, 255])),
        InvokeBody::Json(json!({ "jpeg": "/9j/?" })),
        InvokeBody::Json(json!({ "jpeg": ["a"] })),
        InvokeBody::Raw(vec![0; reset_capture::webview::MAX_FRAME_BYTES + 1]),
    ] {
        let refused = invoke_body(&w, "camera_frame", bad).unwrap_err();
        assert_eq!(refused["code"], "malformed_body");
    }
    // The screen saying it has no camera, with no camera run, changes nothing.
    let v = invoke(&w, "camera_unavailable", json!({ "reason": "no_camera" }));
    assert_eq!(v["screen"], "login");
    assert!(notice_codes(&v).is_empty());
}

fn notice_codes(view: &Value) -> Vec<String> {
    view["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_owned())
        .collect()
}

/// A server that does not answer at start: a screen that says so, with 重试 (which asks again)
/// and 返回登录; no reset to resume is mentioned.
#[test]
fn an_unreachable_server_at_start_is_a_screen_with_a_retry() {
    let (_app, w) = started(closed_port());
    let v = wait_for_screen(&w, "offline");
    assert_eq!(v["resume_pending"], false);
    assert_eq!(
        v["notices"][0]["message"],
        "网络连接不可用，请检查网络后重试"
    );
    let v = invoke(&w, "retry", json!({}));
    assert_eq!(v["screen"], "offline", "still unreachable");
    assert_eq!(notice_codes(&v), ["offline"], "said once, not once per try");
    let v = invoke(&w, "back", json!({}));
    assert_eq!(
        (v["screen"].as_str(), notice_codes(&v).len()),
        (Some("login"), 0)
    );
}

#[test]
fn starts_on_login_and_opens_the_identity_screen() {
    let (_app, w) = app_window(closed_port());
    let v = invoke(&w, "get_view", json!({}));
    assert_eq!(v["screen"], "login");
    assert_eq!(v["lang"], "zh");
    assert_eq!(
        v["dev_inbox"],
        Value::Null,
        "a configured server is not a dev server"
    );
    let v = invoke(&w, "start_reset", json!({}));
    assert_eq!(v["screen"], "identity");
    assert_eq!(v["id_type"], "id_card");
    assert_eq!(v["id_types"].as_array().unwrap().len(), 5);
    assert_eq!(v["id_types"][0]["label"], "身份证");
}

#[test]
fn identity_is_checked_in_rust_before_any_call() {
    let (_app, w) = app_window(closed_port());
    invoke(&w, "start_reset", json!({}));
    let v = invoke(
        &w,
        "submit_identity",
        json!({"idNumber": "110105194912310021", "name": "张三1"}),
    );
    assert_eq!(v["screen"], "identity");
    assert_eq!(
        notice_codes(&v),
        ["id_number_check_digit", "name_invalid_character"]
    );
    assert_eq!(v["notices"][0]["field"], "id_number");
    assert_eq!(v["notices"][0]["message"], "证件号码校验位不正确，请核对");
    assert_eq!(
        v["id_number"], "110105194912310021",
        "what was typed stays on screen"
    );
}

#[test]
fn an_unreachable_server_is_reported_as_offline() {
    let (_app, w) = app_window(closed_port());
    invoke(&w, "start_reset", json!({}));
    let v = invoke(
        &w,
        "submit_identity",
        json!({"idNumber": "11010519491231002X", "name": "张三"}),
    );
    assert_eq!(v["screen"], "identity");
    assert_eq!(notice_codes(&v), ["offline"]);
    assert_eq!(v["notices"][0]["field"], Value::Null);
}

#[test]
fn password_checklist_follows_typing() {
    let (_app, w) = app_window(closed_port());
    let v = invoke(
        &w,
        "password_input",
        json!({"password": "abc", "confirm": ""}),
    );
    let rules = v["password_rules"].as_array().unwrap();
    let ok = |name: &str| {
        rules
            .iter()
            .find(|r| r["rule"] == name)
            .map(|r| r["ok"].as_bool().unwrap())
    };
    assert_eq!(ok("too_short"), Some(false));
    assert_eq!(ok("too_few_kinds"), Some(false));
    assert_eq!(v["password_ok"], false);
    let v = invoke(
        &w,
        "password_input",
        json!({"password": "Kunlun2024", "confirm": "Kunlun2024"}),
    );
    assert!(
        v["password_rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ok"] == true),
        "{v}"
    );
    assert_eq!(v["password_ok"], true);
    let v = invoke(
        &w,
        "password_input",
        json!({"password": "Kunlun2024", "confirm": "Kunlun2025"}),
    );
    assert_eq!(v["password_ok"], false);
}

#[test]
fn language_switch_rewords_notices() {
    let (_app, w) = app_window(closed_port());
    invoke(&w, "start_reset", json!({}));
    invoke(
        &w,
        "submit_identity",
        json!({"idNumber": "", "name": "张三"}),
    );
    let v = invoke(&w, "set_language", json!({"lang": "en"}));
    assert_eq!(v["lang"], "en");
    assert_eq!(v["notices"][0]["message"], "Enter the ID number.");
    assert_eq!(v["id_types"][0]["label"], "Resident ID card");
}

#[test]
fn steps_out_of_order_are_refused_locally() {
    let (_app, w) = app_window(closed_port());
    let v = invoke(&w, "verify_code", json!({"code": "123456"}));
    assert_eq!(notice_codes(&v), ["wrong_step"]);
    let v = invoke(&w, "phone_unavailable", json!({}));
    assert_eq!(notice_codes(&v), ["flow_not_found"]);
    assert_eq!(v["screen"], "login");
}

#[test]
fn cancel_wipes_what_was_typed() {
    let (_app, w) = app_window(closed_port());
    invoke(&w, "start_reset", json!({}));
    invoke(
        &w,
        "submit_identity",
        json!({"idNumber": "11010519491231002X", "name": "张三"}),
    );
    let v = invoke(&w, "cancel", json!({}));
    assert_eq!(v["screen"], "login");
    assert_eq!(v["id_number"], "");
    assert_eq!(v["name"], "");
    assert!(v["notices"].as_array().unwrap().is_empty());
}
