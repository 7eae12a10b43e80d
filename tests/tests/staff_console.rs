//! The staff review console in headless Chromium (over chromedriver) against a real
//! `reset-server` process: path-B cases submitted over HTTP, a reviewer logs in, opens the
//! oldest case, approves it and sees it leave the queue. Screenshots of the login page, the queue
//! and the case page land in docs/screenshots/.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reset_testkit::pictures::{face_answer, id_card_front, id_pictures};
use reset_tests::webdriver::Session;
use reset_tests::{free_port, http_ok, repo_root, wait_for, Process, Server, TempDir};
use serde_json::{json, Value};

const REVIEWER: (&str, &str) = ("wangfang", "Shenhe#2026a");

/// Demo customers who cannot use their reserved phone, each with a contact phone of their own.
const CUSTOMERS: &[(&str, &str, &str)] = &[
    ("11010519491231002X", "张三", "13912345671"),
    ("44030419900307123X", "李四", "13912345672"),
    ("650102198511204562", "王五", "13912345673"),
];

async fn post(http: &reqwest::Client, url: String, body: Value) -> Value {
    let resp = http.post(url).json(&body).send().await.expect("post");
    let status = resp.status().as_u16();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status < 300, "{status} {answer}");
    answer
}

async fn post_parts(http: &reqwest::Client, url: String, parts: Vec<(&str, Vec<u8>)>) -> Value {
    let form = parts.into_iter().fold(Form::new(), |form, (name, bytes)| {
        let part = if name == "challenge" {
            Part::bytes(bytes)
        } else {
            Part::bytes(bytes).file_name(format!("{name}.jpg"))
        };
        form.part(name.to_owned(), part)
    });
    let resp = http.post(url).multipart(form).send().await.expect("post");
    let status = resp.status().as_u16();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Path B over HTTP as the app would run it: face check, ID pictures, contact phone and its
/// code, a new password. The case then waits for review.
async fn submit_case(server: &Server, (id_number, name, contact): (&str, &str, &str)) {
    let http = reqwest::Client::new();
    let base = &server.url;
    let start = post(
        &http,
        format!("{base}/v1/resets"),
        json!({"id_type": "id_card", "id_number": id_number, "name": name}),
    )
    .await;
    let flow = start["flow_id"].as_str().expect("flow id").to_owned();
    let f = format!("{base}/v1/resets/{flow}");
    post(&http, format!("{f}/phone-unavailable"), json!({})).await;
    let challenge = post(&http, format!("{f}/face/challenge"), json!({})).await;
    let challenge = serde_json::from_value(challenge).expect("a face challenge");
    let (frames, record) = face_answer(&challenge);
    let mut parts: Vec<(&str, Vec<u8>)> = frames.into_iter().map(|j| ("frame", j)).collect();
    parts.push(("challenge", serde_json::to_vec(&record).unwrap()));
    post_parts(&http, format!("{f}/face"), parts).await;
    // A photographed card saying what was typed, so the server's reading of it has something
    // to agree with.
    let [_, back, handheld] = id_pictures().clone();
    let documents = vec![
        ("id_front", id_card_front(id_number, name, 11)),
        ("id_back", back),
        ("handheld", handheld),
    ];
    post_parts(&http, format!("{f}/documents"), documents).await;
    post(&http, format!("{f}/contact/sms"), json!({"phone": contact})).await;
    let code = server.latest_code(contact).await;
    post(&http, format!("{f}/contact/verify"), json!({"code": code})).await;
    let done = post(
        &http,
        format!("{f}/password"),
        json!({"password": "Chunfeng#2026"}),
    )
    .await;
    assert_eq!(done["step"], "under_review", "{done}");
}

/// chromedriver on a free port, killed with the test.
struct Chromedriver {
    _process: Process,
    url: String,
}

impl Chromedriver {
    fn start() -> Chromedriver {
        let port = free_port();
        let process = Process::spawn(
            "chromedriver",
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let url = format!("http://127.0.0.1:{port}");
        wait_for("chromedriver", Duration::from_secs(20), || {
            http_ok(&format!("{url}/status"))
        });
        Chromedriver {
            _process: process,
            url,
        }
    }
}

async fn wait_until(session: &Session, what: &str, condition: &str) {
    let start = Instant::now();
    loop {
        let v = session
            .execute(&format!("return !!({condition});"))
            .await
            .unwrap_or(Value::Bool(false));
        if v == Value::Bool(true) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} never happened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn screenshot(session: &Session, name: &str) {
    let png = session.screenshot().await.expect("screenshot");
    let dir = repo_root().join("docs/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
}

async fn fill(session: &Session, css: &str, text: &str) {
    let el = session.find(css).await.expect(css);
    session.clear(&el).await.expect("clear");
    session.send_keys(&el, text).await.expect("type");
}

async fn click(session: &Session, css: &str) {
    let el = session.find(css).await.expect(css);
    session.click(&el).await.expect("click");
}

/// True once the case page's pictures (the ID pictures and face frames) have all loaded.
const PICTURES_LOADED: &str =
    "document.images.length >= 4 && Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)";

/// The case links of the queue, top to bottom.
const QUEUE_LINKS: &str =
    "Array.from(document.querySelectorAll('table.queue a[href^=\"/staff/cases/\"]')).map(a => a.getAttribute('href'))";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_approves_the_oldest_case_in_chromium() {
    let server = Server::start_dev();
    let enrolment = server.add_staff(REVIEWER.0, REVIEWER.1, "reviewer");
    let totp_secret = reset_bank::staff::totp::secret_in_url(&enrolment).expect("a secret");
    for customer in CUSTOMERS {
        submit_case(&server, *customer).await;
    }
    let driver = Chromedriver::start();
    let profile = TempDir::new("chromium-profile");
    let session = Session::new(
        &driver.url,
        json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--lang=zh-CN",
                    "--window-size=1360,900",
                    format!("--user-data-dir={}", profile.path.display()),
                ],
            },
        }),
    )
    .await
    .expect("a Chromium session");

    // The console sends a stranger to the login page.
    session
        .goto(&format!("{}/staff", server.staff_url))
        .await
        .unwrap();
    wait_until(
        &session,
        "the login page",
        "document.querySelector('#username')",
    )
    .await;
    assert!(session
        .current_url()
        .await
        .unwrap()
        .ends_with("/staff/login"));
    screenshot(&session, "staff-login").await;
    fill(&session, "#username", REVIEWER.0).await;
    fill(&session, "#password", REVIEWER.1).await;
    // The authenticator app's code: approving needs it.
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let code = reset_bank::staff::totp::code_at(&totp_secret, now);
    fill(&session, "#totp", &code).await;
    click(&session, "#login").await;
    wait_until(
        &session,
        "the queue",
        "document.querySelector('table.queue')",
    )
    .await;
    let links = session
        .execute(&format!("return {QUEUE_LINKS};"))
        .await
        .unwrap();
    let links: Vec<String> = serde_json::from_value(links).unwrap();
    assert_eq!(links.len(), 3, "{links:?}");
    let text = session
        .execute("return document.body.innerText;")
        .await
        .unwrap();
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("待审核案件") && text.contains("共 3 件"),
        "{text}"
    );
    // Chinese must render: the machine has a font with Chinese glyphs (Debian fonts-noto-cjk).
    let fonts = Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .expect("fc-list runs");
    assert!(
        String::from_utf8_lossy(&fonts.stdout).contains("Noto Sans CJK"),
        "no CJK font: install fonts-noto-cjk"
    );
    screenshot(&session, "staff-queue").await;

    // The oldest case is the most urgent: first in the queue.
    let oldest = links[0].clone();
    click(&session, &format!("a[href=\"{oldest}\"]")).await;
    wait_until(
        &session,
        "the case page",
        "document.querySelector('#approve')",
    )
    .await;
    wait_until(&session, "every picture loaded", PICTURES_LOADED).await;
    let text = session
        .execute("return document.body.innerText;")
        .await
        .unwrap();
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("11010519491231002X") && text.contains("张三"),
        "{text}"
    );
    assert!(text.contains("身份证正面") && text.contains("手持身份证照"));
    // The server reads each ID front in the background; the page shows the verdict once it has.
    let case_url = session.current_url().await.unwrap();
    let verdict_of = "return ['ocr-number', 'ocr-name'].map(id => (document.getElementById(id) || {}).innerText || '');";
    let mut verdicts = Value::Null;
    let until = Instant::now() + Duration::from_secs(120);
    while Instant::now() < until {
        verdicts = session.execute(verdict_of).await.unwrap();
        if verdicts[0].as_str().is_some_and(|v| !v.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        session.goto(&case_url).await.unwrap();
    }
    assert_eq!(
        verdicts,
        json!(["一致", "一致"]),
        "the ID front read as typed"
    );
    wait_until(&session, "every picture loaded again", PICTURES_LOADED).await;
    session.resize(1360, 1600).await.unwrap();
    screenshot(&session, "staff-case").await;
    session.resize(1360, 900).await.unwrap();

    click(&session, "#approve").await;
    wait_until(
        &session,
        "the notice",
        "document.querySelector('.alert-ok')",
    )
    .await;
    let links = session
        .execute(&format!("return {QUEUE_LINKS};"))
        .await
        .unwrap();
    let links: Vec<String> = serde_json::from_value(links).unwrap();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(!links.contains(&oldest), "the approved case left the queue");
    let text = session
        .execute("return document.body.innerText;")
        .await
        .unwrap();
    assert!(text.as_str().unwrap_or_default().contains("已审核通过"));

    // The customer's new password now works.
    let login = reqwest::Client::new()
        .post(format!("{}/v1/login", server.url))
        .json(&json!({"id_type": "id_card", "id_number": CUSTOMERS[0].0, "password": "Chunfeng#2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    session.close().await;
}
