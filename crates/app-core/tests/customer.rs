//! The app's core as kiosks and phones use it, against a real reset server in this process:
//! what a kiosk forgets between customers, what a phone keeps across a restart (offline too),
//! the back button, and a request whose answer was lost on the way.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use reset_app_core::view::{Lang, Outcome, Screen, View};
use reset_app_core::{AppCore, Settings};
use reset_flow::IdType;
use reset_testkit::{TestDb, TestServer};

const LI_SI: (&str, &str, &str) = ("44030419900307123X", "李四", "13800000002");

fn core(api_url: &str, kiosk: bool, resume_file: Option<PathBuf>) -> AppCore {
    AppCore::new(Settings {
        api_url: api_url.to_owned(),
        kiosk,
        resume_file,
        ..Settings::default()
    })
    .unwrap()
}

fn view(core: &AppCore) -> View {
    core.view(Instant::now())
}

fn codes(core: &AppCore) -> Vec<&'static str> {
    view(core).notices.iter().map(|n| n.code.as_str()).collect()
}

/// 忘记密码 to the reserved phone proven: the screen is 登录密码设置.
async fn prove_reserved_phone(core: &mut AppCore, server: &TestServer) {
    let (id, name, phone) = LI_SI;
    core.start_reset();
    core.submit_identity(id, name).await;
    assert_eq!(
        view(core).screen,
        Screen::ReservedPhone,
        "{:?}",
        codes(core)
    );
    core.request_code(phone, Instant::now()).await;
    let v = view(core);
    assert_eq!(v.code_sent_to.as_deref(), Some("138****0002"));
    let code = server.last_code(phone).await.expect("a code was sent");
    core.verify_code(&code).await;
    assert_eq!(view(core).screen, Screen::NewPassword, "{:?}", codes(core));
}

async fn reset_and_log_in(core: &mut AppCore, server: &TestServer, password: &str) {
    prove_reserved_phone(core, server).await;
    core.set_password(password, password).await;
    assert_eq!(view(core).outcome, Some(Outcome::Done));
    core.cancel();
    let typed = (!view(core).remembered_customer).then_some(LI_SI.0);
    core.log_in(typed, password).await;
    assert_eq!(view(core).screen, Screen::SignedIn, "{:?}", codes(core));
}

struct TempFile(PathBuf);
impl TempFile {
    fn new(tag: &str) -> TempFile {
        let dir = std::env::temp_dir().join(format!("reset-app-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempFile(dir.join("open-flow"))
    }
}
impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_remembers_nobody_and_starts_each_visit_clean() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let mut kiosk = core(&server.base, true, None);
    reset_and_log_in(&mut kiosk, &server, "Spring#2026").await;
    let v = view(&kiosk);
    assert_eq!(v.welcome_name, None, "a kiosk greets nobody by name");
    assert!(!v.remembered_customer);

    // The next person: 忘记密码 shows nothing of the last customer, not even the ID type.
    kiosk.start_reset();
    kiosk.choose_id_type(IdType::Passport);
    kiosk.set_language(Lang::En);
    kiosk.set_large_text(true);
    let before = view(&kiosk).visit;
    kiosk.fresh_start();
    let v = view(&kiosk);
    assert!(v.visit > before, "the UI is told to throw its page away");
    assert_eq!(
        (v.screen, v.lang, v.large_text, v.signed_in),
        (Screen::Login, Lang::Zh, false, false)
    );
    kiosk.start_reset();
    let v = view(&kiosk);
    assert_eq!(v.id_type, IdType::IdCard);
    assert_eq!((v.id_number.as_str(), v.name.as_str()), ("", ""));
    assert!(!v.id_number_remembered && v.welcome_name.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_shows_the_remembered_id_masked_and_uses_it() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let mut phone = core(&server.base, false, None);
    reset_and_log_in(&mut phone, &server, "Spring#2026").await;
    assert_eq!(view(&phone).welcome_name.as_deref(), Some("*四"));
    phone.log_out();
    assert_eq!(view(&phone).screen, Screen::Login);
    phone.start_reset();
    let v = view(&phone);
    assert_eq!(
        v.id_number, "4403**********123X",
        "never the number in full"
    );
    assert!(v.id_number_remembered);
    // Sent back as shown, the masked number stands for the remembered one.
    phone.submit_identity(&v.id_number, LI_SI.1).await;
    assert_eq!(
        view(&phone).screen,
        Screen::ReservedPhone,
        "{:?}",
        codes(&phone)
    );

    // Another ID type: the remembered number is not offered for it.
    phone.cancel();
    phone.start_reset();
    phone.choose_id_type(IdType::Passport);
    let v = view(&phone);
    assert_eq!((v.id_number.as_str(), v.id_number_remembered), ("", false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_started_offline_keeps_the_open_reset_and_resumes_it() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let file = TempFile::new("offline");
    let mut first = core(&server.base, false, Some(file.0.clone()));
    first.start_reset();
    first.submit_identity(LI_SI.0, LI_SI.1).await;
    assert!(file.0.is_file(), "the open flow's id is kept");

    // Restarted without a network: the reset is not forgotten.
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let mut offline = core(&dead, false, Some(file.0.clone()));
    offline.resume().await;
    assert_eq!(view(&offline).screen, Screen::Offline);
    assert!(
        view(&offline).resume_pending,
        "the screen says a reset waits"
    );
    assert_eq!(codes(&offline), ["offline"]);
    assert!(file.0.is_file(), "an offline start deletes nothing");
    offline.retry().await;
    assert_eq!(view(&offline).screen, Screen::Offline);

    // Online again: the reset goes on where it was.
    let mut online = core(&server.base, false, Some(file.0.clone()));
    online.resume().await;
    assert_eq!(view(&online).screen, Screen::ReservedPhone);

    // Restarted on 登录密码设置: the password goes through, as the flow stood.
    let mut later = core(&server.base, false, Some(file.0.clone()));
    let code = {
        online.request_code(LI_SI.2, Instant::now()).await;
        server.last_code(LI_SI.2).await.unwrap()
    };
    // Restarted while the code's countdown runs: the app keeps to it.
    later.resume().await;
    let v = view(&later);
    assert!(v.code_sent && v.resend_in_s > 0, "{v:?}");
    later.verify_code(&code).await;
    assert_eq!(
        view(&later).screen,
        Screen::NewPassword,
        "{:?}",
        codes(&later)
    );
    let mut last = core(&server.base, false, Some(file.0.clone()));
    last.resume().await;
    assert_eq!(view(&last).screen, Screen::NewPassword);
    last.set_password("Spring#2026", "Spring#2026").await;
    assert_eq!(
        view(&last).outcome,
        Some(Outcome::Done),
        "{:?}",
        codes(&last)
    );
    assert!(!file.0.exists(), "a finished reset is not resumed");

    // Only the server saying the flow is gone forgets it.
    std::fs::write(&file.0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
    let mut gone = core(&server.base, false, Some(file.0.clone()));
    gone.resume().await;
    assert_eq!(view(&gone).screen, Screen::Login);
    assert!(!file.0.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_goes_one_step_and_asks_before_abandoning_a_reset() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let mut app = core(&server.base, false, None);
    app.start_reset();
    app.back();
    assert_eq!(
        view(&app).screen,
        Screen::Login,
        "nothing open yet: straight back"
    );

    app.start_reset();
    app.submit_identity(LI_SI.0, LI_SI.1).await;
    assert_eq!(view(&app).screen, Screen::ReservedPhone);
    app.back();
    let v = view(&app);
    assert!(
        v.confirm_leave,
        "an open reset is not dropped without asking"
    );
    assert_eq!(v.screen, Screen::ReservedPhone);
    app.back();
    assert!(
        !view(&app).confirm_leave,
        "a second back closes the question"
    );
    app.back();
    app.answer_leave(false);
    assert_eq!(view(&app).screen, Screen::ReservedPhone);
    app.request_code(LI_SI.2, Instant::now()).await;
    assert!(
        codes(&app).is_empty(),
        "the flow is still open: {:?}",
        codes(&app)
    );

    // 放弃 on 预留手机号: one step back, to 个人信息 with what was typed.
    app.back();
    app.answer_leave(true);
    let v = view(&app);
    assert_eq!(v.screen, Screen::Identity);
    assert_eq!((v.id_number.as_str(), v.name.as_str()), (LI_SI.0, LI_SI.1));
    assert_eq!(v.code_sent_to, None);
    app.submit_identity(LI_SI.0, LI_SI.1).await;
    assert_eq!(
        view(&app).screen,
        Screen::ReservedPhone,
        "a new flow starts"
    );

    // From a later step, 放弃 goes back to the login screen.
    let code = {
        app.request_code(LI_SI.2, Instant::now()).await;
        server.last_code(LI_SI.2).await.unwrap()
    };
    app.verify_code(&code).await;
    assert_eq!(view(&app).screen, Screen::NewPassword);
    app.back();
    app.answer_leave(true);
    let v = view(&app);
    assert_eq!((v.screen, v.id_number.as_str()), (Screen::Login, ""));
    // Answering a question nobody asked changes nothing.
    app.answer_leave(true);
    assert_eq!(view(&app).screen, Screen::Login);
}

/// A proxy in front of the server that holds back the answers to the POSTs whose path ends
/// with one of `slow`, longer than the app waits: the server does the work, the app hears
/// nothing.
async fn lossy_proxy(upstream: String, slow: &'static [&'static str]) -> String {
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: Request| {
        let client = client.clone();
        let upstream = upstream.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let path = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let mut out = client.request(parts.method.clone(), format!("{upstream}{path}"));
            if let Some(t) = parts.headers.get("content-type") {
                out = out.header("content-type", t);
            }
            let answer = out.body(body).send().await.unwrap();
            let status = answer.status();
            let bytes = answer.bytes().await.unwrap();
            if parts.method == "POST" && slow.iter().any(|s| parts.uri.path().ends_with(s)) {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(bytes))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// An app that waits 1.5 s for an answer, talking to `server` through [`lossy_proxy`].
async fn behind_lossy_proxy(server: &TestServer, slow: &'static [&'static str]) -> AppCore {
    AppCore::new(Settings {
        api_url: lossy_proxy(server.base.clone(), slow).await,
        request_timeout: Some(Duration::from_millis(1500)),
        webview_frames: Default::default(),
        ..Settings::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_timed_out_is_settled_by_the_flows_state() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let mut app = behind_lossy_proxy(&server, &["/sms", "/sms/verify", "/password"]).await;
    app.start_reset();
    app.submit_identity(LI_SI.0, LI_SI.1).await;
    assert_eq!(view(&app).screen, Screen::ReservedPhone);

    // The code went out though its answer was lost: the countdown runs, nothing is refused.
    app.request_code(LI_SI.2, Instant::now()).await;
    let v = view(&app);
    assert!(v.notices.is_empty(), "{:?}", codes(&app));
    assert!(v.code_sent && v.resend_in_s > 0, "{v:?}");
    let code = server.last_code(LI_SI.2).await.unwrap();
    // The code was right and the server moved on; the app follows instead of retrying into
    // 当前步骤不允许该操作 (wrong_step) or spending a try.
    app.verify_code(&code).await;
    assert_eq!(view(&app).screen, Screen::NewPassword, "{:?}", codes(&app));
    assert!(codes(&app).is_empty());
    app.set_password("Summer#2026", "Summer#2026").await;
    assert_eq!(view(&app).outcome, Some(Outcome::Done), "{:?}", codes(&app));
    // The new password is the one in force.
    let (status, _) = server
        .post(
            "/v1/login",
            serde_json::json!({"id_type": "id_card", "id_number": LI_SI.0, "password": "Summer#2026"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_whose_answer_was_lost_is_still_wrong() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let mut app = behind_lossy_proxy(&server, &["/sms/verify"]).await;
    app.start_reset();
    app.submit_identity(LI_SI.0, LI_SI.1).await;
    app.request_code(LI_SI.2, Instant::now()).await;
    let right = server.last_code(LI_SI.2).await.unwrap();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    app.verify_code(wrong).await;
    // The server did not move on: the app says the network timed out and stays.
    assert_eq!(view(&app).screen, Screen::ReservedPhone);
    assert_eq!(codes(&app), ["timed_out"]);
}

/// No open reset and no server answering at start: the offline screen, before anything is
/// typed; 重试 once the server answers goes to the login screen. A customer who already moved
/// on is not pulled back by a late answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_does_not_answer_at_start_is_said_at_once() {
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let mut app = core(&dead, false, None);
    let answer = app.to_reach().reach().await;
    app.reached(answer);
    let v = view(&app);
    assert_eq!((v.screen, v.resume_pending), (Screen::Offline, false));
    assert_eq!(codes(&app), ["offline"]);
    app.retry().await;
    assert_eq!(
        (view(&app).screen, codes(&app)),
        (Screen::Offline, vec!["offline"])
    );

    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let mut app = core(&server.base, false, None);
    assert_eq!(
        app.to_reach().reach().await,
        Ok(()),
        "a live server answers"
    );
    app.reached(Err(reset_flow::wire::ErrorBody::new(
        reset_flow::ErrorCode::Offline,
    )));
    assert_eq!(view(&app).screen, Screen::Offline);
    app.retry().await;
    assert_eq!((view(&app).screen, codes(&app)), (Screen::Login, vec![]));

    // The customer tapped 忘记密码 before the start's answer came: it changes nothing.
    app.start_reset();
    app.reached(Err(reset_flow::wire::ErrorBody::new(
        reset_flow::ErrorCode::Offline,
    )));
    assert_eq!((view(&app).screen, codes(&app)), (Screen::Identity, vec![]));
}

/// A build that names no server: one screen that says so, whatever is tapped; nothing is sent
/// and nothing panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_without_a_server_says_so_on_every_screen() {
    let mut app = core("", false, None);
    let v = view(&app);
    assert_eq!(v.screen, Screen::NoServer);
    assert_eq!(codes(&app), ["no_server"]);
    assert_eq!(
        v.notices[0].message,
        "本应用未设置银行服务器地址，请从银行官方渠道安装应用"
    );
    assert_eq!(
        app.to_reach().reach().await.unwrap_err().code.as_str(),
        "no_server"
    );
    app.start_reset();
    app.submit_identity(LI_SI.0, LI_SI.1).await;
    assert_eq!(
        (view(&app).screen, codes(&app)),
        (Screen::NoServer, vec!["no_server"])
    );
    app.log_in(Some(LI_SI.0), "Spring#2026").await;
    app.retry().await;
    app.back();
    app.fresh_start();
    assert_eq!(
        (view(&app).screen, codes(&app)),
        (Screen::NoServer, vec!["no_server"])
    );
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
