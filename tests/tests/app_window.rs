//! The real app window under Xvfb, driven over WebDriver as a customer would use it.

use reset_tests::free_port;
use reset_tests::window::AppWindow;

/// With no server reachable: said at start (暂时无法连接银行服务 with 重试), and again when the
/// customer goes on from the login screen anyway, staying where they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_server_is_reported_on_the_identity_screen() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let app = AppWindow::launch(&["--api-url", &dead]).await;
    // The start asks the server first; nothing answers there, so the first screen says so.
    app.wait_screen("offline").await;
    app.wait_text("#result-title", "暂时无法连接银行服务").await;
    app.screenshot("00-unreachable-at-start").await;
    app.click("offline-back").await;
    app.wait_screen("login").await;
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

/// Path B's start: 王五's identity, then 手机号不可用? to the face screen.
async fn to_face_screen(app: &AppWindow) {
    app.to_reserved_phone("650102198511204562", "王五").await;
    app.click("phone-unavailable").await;
    app.wait_screen("face").await;
}

/// Path A as a customer does it: forgot password, identity, SMS code to the reserved phone, a new
/// password, and logging in with it; against a real server, reading the code from its dev inbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_a_resets_the_password_and_logs_in() {
    let server = reset_tests::Server::start_dev();
    let app = AppWindow::launch(&["--api-url", &server.url]).await;
    app.to_reserved_phone("44030419900307123X", "李四").await;

    app.fill("phone", "13800000002").await;
    app.click("get-code").await;
    let countdown = app.wait_text("#get-code", "秒后重新获取").await;
    assert!(
        countdown
            .trim_end_matches("秒后重新获取")
            .parse::<u32>()
            .is_ok_and(|n| n <= 60),
        "{countdown}"
    );
    let sent = app.text("#code-sent").await;
    assert_eq!(sent, "验证码已发送至 138****0002");
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
    // Where the customer now is: signed in, the password field gone with the form.
    app.wait_screen("signed_in").await;
    let welcome = app.wait_text("#result-title", "欢迎回来").await;
    assert!(welcome.contains("*四"), "{welcome}");
    assert_eq!(app.value("password").await, None);
    app.screenshot("06-login-after-reset").await;
    app.click("log-out").await;
    app.wait_screen("login").await;
    // 忘记密码 again: the remembered ID is shown masked, never in full.
    app.click("forgot").await;
    app.wait_screen("identity").await;
    assert_eq!(
        app.value("id-number").await.as_deref(),
        Some("4403**********123X")
    );
    app.close().await;
}

/// Path B as a customer does it, the camera being a folder of generated scenes: the reserved
/// phone is not usable, so a face check with random prompts, the ID front, back and a photo
/// holding it, a contact phone with its code, a new password, and the case waits for review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_b_face_check_documents_and_contact_phone_reach_review() {
    let server = reset_tests::Server::start_dev();
    let scenes = reset_tests::TempDir::new("scenes");
    reset_testkit::scenes::write_generated_scenes(&scenes.path)
        .expect("scenes written")
        .expect("rustface's test picture is in its package");
    let camera = format!("scenes:{}", scenes.path.display());
    let app = AppWindow::launch(&["--api-url", &server.url, "--camera", &camera]).await;
    to_face_screen(&app).await;
    let notice = app.text("#face-notice").await;
    assert!(
        notice.contains("该功能仅重置登录密码") && notice.contains("手机号变更"),
        "{notice}"
    );
    app.screenshot("07-face").await;

    app.click("start-face").await;
    // The stand-in customer is off-centre at first: the hint says where to go.
    app.wait_text("#camera-hint", "中央").await;
    app.wait_text("#camera-prompt", "请").await;
    app.wait_until(
        "a prompt of the challenge",
        "/转头|靠近/.test(document.getElementById('camera-prompt').textContent)",
    )
    .await;
    app.screenshot("08-face-check").await;
    app.wait_screen("documents").await;
    app.wait_until(
        "the camera closed",
        "document.getElementById('camera').hidden",
    )
    .await;
    assert_eq!(app.text("#applicant-name").await, "王五");
    assert_eq!(app.text("#applicant-id").await, "6501**********4562");
    app.screenshot("09-documents").await;

    // 下一步 before the pictures: told what is missing, nothing sent.
    app.click("next").await;
    app.wait_text("#banner", "资料").await;
    for kind in ["id_front", "id_back", "handheld"] {
        app.click(&format!("tile-{kind}")).await;
        if kind == "id_front" {
            app.wait_text("#camera-hint", "证件").await;
            app.screenshot("10-capture-card").await;
        }
        app.wait_until(
            "the picture taken",
            &format!("document.getElementById('tile-{kind}').classList.contains('taken')"),
        )
        .await;
    }
    app.screenshot("11-documents-taken").await;
    app.click("next").await;
    app.wait_screen("contact_phone").await;

    app.fill("phone", "13912345678").await;
    app.click("get-code").await;
    let code = server.latest_code("13912345678").await;
    app.fill("code", &code).await;
    app.screenshot("12-contact-phone").await;
    app.click("next").await;
    app.wait_screen("new_password").await;
    app.fill("password", "Autumn#2026").await;
    app.fill("confirm", "Autumn#2026").await;
    app.click("ok").await;
    app.wait_screen("result").await;
    let title = app.wait_text("#result-title", "审核").await;
    assert_eq!(title, "已提交，等待人工审核");
    let text = app.text(".result").await;
    assert!(
        text.contains("95379")
            && text.contains("完成审核")
            && text.contains("139****5678")
            && text.contains("审核通过后方可生效"),
        "{text}"
    );
    app.screenshot("13-result-review").await;

    // Until a reviewer approves, the old password is still the one that works.
    app.click("back-to-login").await;
    app.wait_screen("login").await;
    app.fill("password", "Autumn#2026").await;
    app.click("login").await;
    app.wait_text("#password-error", "错误").await;
    app.close().await;
}

/// The phones' camera path in the real window: with `--camera webview` the screen opens the
/// camera (here WebKit's generated one, as this machine has none) and sends its frames to the
/// core, which analyses them and answers with the preview and the hint. The generated camera
/// shows no face, so the hint asks for one; 取消 closes the camera. The frames go as Android's
/// screen sends them, base64 in a string (desktop and iOS send the bytes as they are).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webview_camera_frames_reach_the_core() {
    let server = reset_tests::Server::start_dev();
    let app = AppWindow::launch_env(
        &["--api-url", &server.url, "--camera", "webview"],
        &[
            ("RESET_WEBVIEW_MOCK_CAMERA", "1"),
            ("RESET_WEBVIEW_FRAMES", "base64"),
        ],
    )
    .await;
    to_face_screen(&app).await;
    app.click("start-face").await;
    app.wait_until(
        "the screen's camera open",
        "document.querySelector('video.webcam-source') !== null",
    )
    .await;
    app.wait_until(
        "a preview of a frame the core analysed",
        "(document.getElementById('camera-preview') || {src: ''}).src.startsWith('data:image/jpeg')",
    )
    .await;
    app.wait_text("#camera-hint", "未检测到人脸").await;
    app.screenshot("15-webview-camera").await;
    app.click("camera-cancel").await;
    app.wait_until(
        "the camera closed",
        "document.getElementById('camera').hidden && !document.querySelector('video.webcam-source')",
    )
    .await;
    app.wait_screen("face").await;
    assert_eq!(app.text("#banner").await, "", "a cancel is not an error");
    app.close().await;
}

/// With no server named, the desktop app runs its own (demo customers, development SMS
/// gateway) and shows the dev SMS inbox, where the tester reads the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_server_and_dev_inbox_carry_path_a() {
    let app = AppWindow::launch(&[]).await;
    app.to_reserved_phone("11010519491231002X", "张三").await;
    app.fill("phone", "13800000001").await;
    app.click("get-code").await;
    let sms = app.wait_text("#inbox .sms-text", "验证码").await;
    let code: String = sms
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("a 6-digit code in {sms:?}"))
        .to_owned();
    app.screenshot("14-dev-inbox").await;
    app.fill("code", &code).await;
    app.click("next").await;
    app.wait_screen("new_password").await;
    app.fill("password", "Winter#2026").await;
    app.fill("confirm", "Winter#2026").await;
    app.click("ok").await;
    let title = app.wait_text("#result-title", "成功").await;
    assert_eq!(title, "登录密码重置成功");
    app.close().await;
}

/// The camera icon beside 证件号码 reads the card (offline OCR on the device) and fills the
/// number and the name for the customer to check; the reset then goes on as typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_icon_reads_the_id_card_into_the_fields() {
    let server = reset_tests::Server::start_dev();
    let scenes = reset_tests::TempDir::new("scan-scenes");
    reset_testkit::scenes::write_generated_scenes(&scenes.path)
        .expect("scenes written")
        .expect("rustface's test picture is in its package");
    // The front of 张三's card, printed as the real card is laid out, lying on the desk.
    let font = reset_testkit::specimen::load_font().expect("a CJK font (fonts-noto-cjk)");
    let face = reset_testkit::specimen::CardFace {
        name: "张三".into(),
        sex: reset_ocr::Sex::Female,
        ethnicity: "汉".into(),
        birth_date: time::macros::date!(1949 - 12 - 31),
        address: "北京市朝阳区建国路88号".into(),
        number: "11010519491231002X".into(),
    };
    let card = reset_testkit::specimen::render_card(&face, &font);
    let framed =
        reset_testkit::synth::card_frame(&card, &reset_testkit::synth::CardScene::standard());
    let front = scenes.path.join("id_front");
    std::fs::remove_dir_all(&front).unwrap();
    std::fs::create_dir_all(&front).unwrap();
    for i in 0..5 {
        framed.save(front.join(format!("{i:02}.png"))).unwrap();
    }

    let camera = format!("scenes:{}", scenes.path.display());
    let app = AppWindow::launch(&["--api-url", &server.url, "--camera", &camera]).await;
    app.click("forgot").await;
    app.wait_screen("identity").await;
    app.click("scan-id").await;
    app.wait_until(
        "the number read into 证件号码",
        "document.getElementById('id-number') && document.getElementById('id-number').value === '11010519491231002X'",
    )
    .await;
    app.wait_until(
        "the name read into 姓名",
        "document.getElementById('name').value === '张三'",
    )
    .await;
    app.screenshot("02-identity-scanned").await;
    app.click("next").await;
    app.wait_screen("reserved_phone").await;
    app.close().await;
}
