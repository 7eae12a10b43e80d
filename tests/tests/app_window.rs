//! The real app window under Xvfb, driven over WebDriver as a customer would use it.

use reset_tests::free_port;
use reset_tests::window::AppWindow;

/// With no server reachable, the customer is told so and stays where they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_server_is_reported_on_the_identity_screen() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let app = AppWindow::launch(&["--api-url", &dead]).await;
    app.screenshot("01-login").await;
    app.click("forgot").await;
    app.wait_screen("identity").await;
    app.fill("id-number", "11010519491231002X").await;
    app.fill("name", "张三").await;
    app.screenshot("02-identity").await;
    app.click("next").await;
    let banner = app.wait_text("#banner", "网络").await;
    assert!(banner.contains("网络连接不可用"), "{banner}");
    app.wait_screen("identity").await;

    // Input errors land under their fields, in Rust's words.
    app.fill("id-number", "110105194912310021").await;
    app.click("next").await;
    app.wait_text("#id-number-error", "校验位").await;
    app.screenshot("02-identity-error").await;
    app.close().await;
}

/// Path A as a customer does it: forgot password, identity, SMS code to the reserved phone, a new
/// password, and logging in with it; against a real server, reading the code from its dev inbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_a_resets_the_password_and_logs_in() {
    let server = reset_tests::Server::start_dev();
    let app = AppWindow::launch(&["--api-url", &server.url]).await;
    app.click("forgot").await;
    app.wait_screen("identity").await;
    app.fill("id-number", "44030419900307123X").await;
    app.fill("name", "李四").await;
    app.click("next").await;
    app.wait_screen("reserved_phone").await;

    app.fill("phone", "13800000002").await;
    app.click("get-code").await;
    let countdown = app.wait_text("#get-code", "s").await;
    assert!(
        countdown
            .trim_end_matches('s')
            .parse::<u32>()
            .is_ok_and(|n| n <= 60),
        "{countdown}"
    );
    let code = server.latest_code("13800000002").await;
    app.fill("code", &code).await;
    app.screenshot("03-reserved-phone").await;
    app.click("next").await;
    app.wait_screen("new_password").await;

    app.fill("password", "abc").await;
    app.wait_text("#rules", "至少8位").await;
    app.fill("password", "Spring#2026").await;
    app.fill("confirm", "Spring#2026").await;
    app.wait_until("every rule ticked", "document.querySelectorAll('#rules .rule').length > 0 && document.querySelectorAll('#rules .rule:not(.ok)').length === 0").await;
    app.screenshot("04-new-password").await;
    app.click("ok").await;
    app.wait_screen("result").await;
    let title = app.wait_text("#result-title", "成功").await;
    assert_eq!(title, "登录密码重置成功");
    app.screenshot("05-result-done").await;

    app.click("back-to-login").await;
    app.wait_screen("login").await;
    assert!(
        app.text(".welcome").await.contains("*四"),
        "the login screen greets the customer"
    );
    app.fill("password", "Kunlun2024").await;
    app.click("login").await;
    app.wait_text("#password-error", "错误").await;
    app.fill("password", "Spring#2026").await;
    app.click("login").await;
    app.wait_text("#signed-in", "登录成功").await;
    app.screenshot("06-login-after-reset").await;
    app.close().await;
}
