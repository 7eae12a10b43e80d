//! The branch kiosk in the real window, as a public hall uses it: whatever one customer did or
//! left behind, the next person finds nothing of it (no ID, no name, no filled field, no open
//! flow).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use reset_tests::window::AppWindow;
use reset_tests::{workspace_bin, Server, TempDir};

/// Short, so the tests do not wait two minutes; the warning shows for its second half.
const IDLE_S: &str = "6";

async fn kiosk(server: &Server, data: Option<&Path>) -> AppWindow {
    let args = ["--kiosk", "--api-url", server.url.as_str()];
    let env = [("RESET_KIOSK_IDLE_S", IDLE_S)];
    match data {
        Some(dir) => AppWindow::launch_in(&args, &env, dir).await,
        None => AppWindow::launch_env(&args, &env).await,
    }
}

/// The next person's view: the login screen with every field empty, nobody greeted, no dialog
/// open, and 忘记密码 opening an empty 个人信息.
async fn nothing_left(app: &AppWindow) {
    app.wait_screen("login").await;
    app.wait_until(
        "every field empty",
        "[...document.querySelectorAll('input')].every((el) => el.value === '')",
    )
    .await;
    let page = app.text("body").await;
    for trace in ["*四", "李四", "4403", "欢迎回来 *"] {
        assert!(
            !page.contains(trace),
            "the page still shows {trace}: {page}"
        );
    }
    assert!(
        app.session
            .execute("return document.getElementById('dialog').hidden && document.getElementById('sheet').hidden")
            .await
            == Ok(serde_json::Value::Bool(true)),
        "a dialog or sheet was left open"
    );
    app.click("forgot").await;
    app.wait_screen("identity").await;
    assert_eq!(app.value("id-number").await.as_deref(), Some(""));
    assert_eq!(app.value("name").await.as_deref(), Some(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_logs_in_and_walks_away_leaves_nothing() {
    let server = Server::start_dev();
    let app = kiosk(&server, None).await;
    app.fill("id-number", "44030419900307123X").await;
    app.fill("password", "Kunlun2024").await;
    app.screenshot("kiosk-01-login").await;
    app.click("login").await;
    app.wait_screen("signed_in").await;
    assert_eq!(
        app.value("password").await,
        None,
        "the password field is gone"
    );
    let countdown = app.wait_text("#return-in", "秒后自动退出").await;
    assert!(
        countdown.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "{countdown}"
    );
    app.screenshot("kiosk-02-signed-in").await;
    // The customer walks away: the kiosk returns to a clean start by itself.
    nothing_left(&app).await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_but_unsent_password_is_wiped_after_a_warning() {
    let server = Server::start_dev();
    let app = kiosk(&server, None).await;
    app.fill("id-number", "44030419900307123X").await;
    app.fill("password", "Kunlun2024").await;
    app.element("#dialog [data-dialog='idle']").await;
    let warning = app.text("#dialog").await;
    assert!(warning.contains("即将返回首页"), "{warning}");
    app.screenshot("kiosk-03-idle-warning").await;
    nothing_left(&app).await;

    // 继续操作 keeps what was typed.
    app.wait_screen("identity").await;
    app.fill("name", "李四").await;
    app.element("#dialog [data-dialog='idle']").await;
    app.click("idle-stay").await;
    app.wait_until(
        "the warning closed",
        "document.getElementById('dialog').hidden",
    )
    .await;
    assert_eq!(app.value("name").await.as_deref(), Some("李四"));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_typist_is_never_wiped_mid_entry() {
    let server = Server::start_dev();
    let app = kiosk(&server, None).await;
    app.click("forgot").await;
    app.wait_screen("identity").await;
    // One key every 1.5 s for 15 s, longer than the idle time twice over.
    let number = "4403041990";
    let mut typed = String::new();
    for key in number.chars() {
        app.type_more("id-number", &key.to_string()).await;
        typed.push(key);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            app.value("id-number").await.as_deref(),
            Some(typed.as_str()),
            "wiped while typing"
        );
    }
    assert!(app
        .session
        .execute("return document.getElementById('dialog').hidden")
        .await
        .is_ok_and(|v| v == serde_json::Value::Bool(true)));
    // Then the typist leaves.
    nothing_left(&app).await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_restarted_after_the_reserved_phone_was_proven_starts_clean() {
    let server = Server::start_dev();
    let data = TempDir::new("kiosk-data");
    let app = kiosk(&server, Some(&data.path)).await;
    app.to_reserved_phone("44030419900307123X", "李四").await;
    app.fill("phone", "13800000002").await;
    app.click("get-code").await;
    let sent = app.wait_text("#code-sent", "验证码已发送至").await;
    assert!(sent.contains("138****0002"), "{sent}");
    let code = server.latest_code("13800000002").await;
    app.fill("code", &code).await;
    app.click("next").await;
    app.wait_screen("new_password").await;
    // A crash or a power cut, then the kiosk starts again.
    app.close().await;
    assert!(
        !contains_file(&data.path, "open-flow"),
        "a kiosk writes no resume file"
    );
    let again = kiosk(&server, Some(&data.path)).await;
    nothing_left(&again).await;
    again.close().await;
}

#[test]
fn a_kiosk_without_a_named_server_refuses_to_start() {
    let out = Command::new(workspace_bin("reset-app"))
        .arg("--kiosk")
        .env_remove("RESET_API_URL")
        .output()
        .expect("the app runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--api-url") && said.contains("kiosk"),
        "{said}"
    );
}

fn contains_file(dir: &Path, name: &str) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let p = e.path();
            p.file_name().is_some_and(|n| n == name) || (p.is_dir() && contains_file(&p, name))
        })
}
