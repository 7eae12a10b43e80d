//! Faults survived with nothing lost or doubled: PostgreSQL restarted under load, an instance
//! killed (SIGKILL) mid-upload and mid-decision, the SMS gateway down for a minute under load,
//! and the disk of a one-machine server full.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reset_bank::clock::ManualClock;
use reset_bank::evidence::StoreKind;
use reset_testkit::pictures::id_pictures;
use reset_testkit::{
    free_port, Cluster, LogCapture, PrivatePostgres, StaffClient, TestServer, CONTACT_PHONE,
    PATH_B_PASSWORD, TEST_START,
};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::balanced::{add_reviewer, cluster, reviewer};
use crate::{LI, WANG, ZHANG};

async fn count(s: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&s.state.db.pool)
        .await
        .expect(sql)
}

/// What one request of the load got: status, error code, the flow it opened, how long it took.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    code: String,
    flow: Option<String>,
    took: Duration,
}

/// Starts flows through `base` until `stop`, with a client that gives up after 20 s (a hang
/// shows as status 0).
fn start_flows(base: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<Answer>> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let mut answers = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            let sent = client
                .post(format!("{base}/v1/resets"))
                .json(&json!({"id_type": "id_card", "id_number": WANG.0, "name": WANG.1}))
                .send()
                .await;
            let (status, body) = match sent {
                Ok(r) => (
                    r.status().as_u16(),
                    r.json::<Value>().await.unwrap_or_default(),
                ),
                Err(_) => (0, Value::Null),
            };
            answers.push(Answer {
                status,
                code: body["code"].as_str().unwrap_or_default().to_owned(),
                flow: body["flow_id"].as_str().map(str::to_owned),
                took: started.elapsed(),
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        answers
    })
}

/// PostgreSQL (a private server, never the machine's shared one) stopped for six seconds under
/// load and started again: every answer meanwhile is `503 service_unavailable` from the
/// instances or the balancer, none a 500, none later than a few seconds; the instances recover
/// by themselves, and every flow and case opened before or during is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load_answers_503_and_loses_nothing() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let pg = Arc::new(pg);
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_reset-server"));
    let c = Cluster::start(bin, &pg.url, 2, &[]).await;
    let before = c.view.start_reset(ZHANG.0, ZHANG.1).await;
    let case = c.view.submit_path_b_case(LI.0, LI.1).await;

    let stop = Arc::new(AtomicBool::new(false));
    let through_balancer = start_flows(c.base.clone(), stop.clone());
    let direct = start_flows(c.instance_base(0), stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let p = pg.clone();
    tokio::task::spawn_blocking(move || p.stop()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let p = pg.clone();
    tokio::task::spawn_blocking(move || p.start_again())
        .await
        .unwrap();
    let restarted = Instant::now();
    // Recovered: a flow starts through the balancer again, by itself.
    loop {
        let (st, _) = c
            .view
            .post(
                "/v1/resets",
                json!({"id_type": "id_card", "id_number": WANG.0, "name": WANG.1}),
            )
            .await;
        if st == 201 {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(30),
            "no recovery within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let balanced = through_balancer.await.unwrap();
    let direct = direct.await.unwrap();

    for (who, answers) in [("balancer", &balanced), ("instance", &direct)] {
        let unavailable = answers.iter().filter(|a| a.status == 503).count();
        assert!(unavailable > 0, "{who}: the outage was seen");
        for a in answers.iter() {
            assert!(
                a.status == 201 || (a.status == 503 && a.code == "service_unavailable"),
                "{who}: {a:?}"
            );
            assert!(a.took < Duration::from_secs(5), "{who}: slow answer {a:?}");
        }
        assert_eq!(answers.last().unwrap().status, 201, "{who}: recovered");
    }
    // Nothing lost: the flow and case from before, and every flow opened during the outage.
    let (st, b) = c.view.get(&format!("/v1/resets/{before}")).await;
    assert_eq!(
        (st, b["step"].as_str()),
        (200, Some("reserved_phone")),
        "{b}"
    );
    let state: String = sqlx::query_scalar("SELECT state FROM review_cases WHERE id = $1")
        .bind(&case)
        .fetch_one(&c.view.state.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "pending");
    for flow in balanced
        .iter()
        .chain(&direct)
        .filter_map(|a| a.flow.as_ref())
    {
        let (st, b) = c.view.get(&format!("/v1/resets/{flow}")).await;
        assert!(st == 200 || b["code"] == "flow_replaced", "{st} {b}");
    }
    // And the whole of path A works again.
    c.view
        .reset_password(ZHANG.0, ZHANG.1, ZHANG.2, "Huifu#2027")
        .await;
    // The instance that took requests meanwhile said why, and took none of it for a bug.
    let log = c.log(0);
    assert!(log.contains("the database is unavailable"), "{log}");
    for i in 0..2 {
        assert!(!c.log(i).contains("\"database error\""), "instance {i}");
    }
}

/// A documents upload (ID front, back, handheld) as raw HTTP: the head and the body.
fn documents_request(host: &str, flow: &str) -> (Vec<u8>, Vec<u8>) {
    let boundary = "reset-fault-boundary";
    let mut body = Vec::new();
    for (name, bytes) in ["id_front", "id_back", "handheld"]
        .into_iter()
        .zip(id_pictures().iter())
    {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{name}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /v1/resets/{flow}/documents HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    (head.into_bytes(), body)
}

/// The pictures stored, by kind, and whether every picture row has its sealed object and
/// every object its row (no half-stored case, no orphan).
async fn pictures(s: &TestServer) -> BTreeMap<String, i64> {
    let orphans = count(
        s,
        "SELECT COUNT(*) FROM evidence_objects o WHERE NOT EXISTS \
         (SELECT 1 FROM evidence e WHERE e.object_id = o.object_id)",
    )
    .await;
    let missing = count(
        s,
        "SELECT COUNT(*) FROM evidence e WHERE NOT EXISTS \
         (SELECT 1 FROM evidence_objects o WHERE o.object_id = e.object_id)",
    )
    .await;
    assert_eq!((orphans, missing), (0, 0), "objects and rows match");
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, COUNT(*) FROM evidence GROUP BY kind")
            .fetch_all(&s.state.db.pool)
            .await
            .unwrap();
    rows.into_iter().collect()
}

/// The step of `flow`, read through the balancer.
async fn step(s: &TestServer, flow: &str) -> String {
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!(st, 200, "{b}");
    b["step"].as_str().unwrap_or_default().to_owned()
}

/// The upload's pictures are all stored with the step moved on, or none of them are.
async fn upload_all_or_nothing(c: &Cluster, flow: &str) -> bool {
    let step = step(&c.view, flow).await;
    let stored = pictures(&c.view).await;
    let documents: Vec<i64> = ["id_front", "id_back", "handheld"]
        .iter()
        .map(|k| stored.get(*k).copied().unwrap_or(0))
        .collect();
    match step.as_str() {
        "documents" => assert_eq!(documents, [0, 0, 0], "nothing of a half upload"),
        "contact_phone" => assert_eq!(documents, [1, 1, 1], "the whole upload"),
        other => panic!("step {other}"),
    }
    step == "contact_phone"
}

/// The case's approval is all done (approved, the password in effect, its SMS queued once) or
/// not at all (pending, the old password, no SMS).
async fn decision_all_or_nothing(c: &Cluster, case: &str, id: &str) -> bool {
    let s = &c.view;
    let state: String = sqlx::query_scalar("SELECT state FROM review_cases WHERE id = $1")
        .bind(case)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    let (login, _) = s
        .post(
            "/v1/login",
            json!({"id_type": "id_card", "id_number": id, "password": PATH_B_PASSWORD}),
        )
        .await;
    let approvals: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event = 'case_approved' AND detail LIKE $1",
    )
    .bind(format!("%{case}%"))
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();
    match state.as_str() {
        "pending" => assert_eq!((login, approvals), (401, 0)),
        "approved" => assert_eq!((login, approvals), (200, 1)),
        other => panic!("state {other}"),
    }
    state == "approved"
}

/// SIGKILL to the instance holding an upload (while its body arrives, and at points while the
/// pictures are stored) and to the one deciding a case: the other instance finishes the work;
/// no picture without its row or row without its picture, no half-approved case, no SMS twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_upload_or_mid_decision_leaves_no_half_work() {
    // The instances only take requests; the messages are delivered from here. An instance
    // killed between claiming a message and marking it sent leaves it to its lease (30 s, then
    // sent by another; `sms::a_message_claimed_by_a_worker_that_died_…`), longer than this
    // test waits for the outbox.
    let Some((mut c, _db)) = cluster(&[("RESET_SMS__WORKER", "false")]).await else {
        return;
    };
    let flow = c.view.start_path_b(LI.0, LI.1).await;
    c.view.pass_face(&flow).await;
    let faces = pictures(&c.view).await["face"];

    // Killed while the body is still arriving.
    let host = c.instance_base(0).trim_start_matches("http://").to_owned();
    let (head, body) = documents_request(&host, &flow);
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    conn.write_all(&head).await.unwrap();
    conn.write_all(&body[..body.len() / 2]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.kill(0);
    drop(conn);
    assert!(!upload_all_or_nothing(&c, &flow).await);
    c.restart(0).await;
    c.wait_balanced().await;

    // Killed at points after the whole body arrived, while it is checked and stored.
    let mut done = false;
    for (round, delay_ms) in [0u64, 15, 40, 100, 250].into_iter().enumerate() {
        let i = round % 2;
        let host = c.instance_base(i).trim_start_matches("http://").to_owned();
        let (head, body) = documents_request(&host, &flow);
        let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
        conn.write_all(&head).await.unwrap();
        conn.write_all(&body).await.unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        c.kill(i);
        drop(conn);
        done = upload_all_or_nothing(&c, &flow).await;
        c.restart(i).await;
        // Back in the balancer's rotation before the next kill takes the other one out.
        c.wait_balanced().await;
        if done {
            break;
        }
    }
    // The customer tries again; the balancer takes it to a live instance.
    if !done {
        let (st, b) = c.view.post_documents(&flow).await;
        assert_eq!(
            (st, b["step"].as_str()),
            (200, Some("contact_phone")),
            "{b}"
        );
    }
    assert!(upload_all_or_nothing(&c, &flow).await);
    assert_eq!(
        pictures(&c.view).await["face"],
        faces,
        "the face pictures kept"
    );
    let li = c
        .view
        .contact_and_password(&flow, CONTACT_PHONE, PATH_B_PASSWORD)
        .await;

    // Killed while deciding: one case per moment of the kill.
    c.wait_balanced().await;
    add_reviewer(&c).await;
    let staff = reviewer(&c).await;
    let zhang = c.view.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let wang = c.view.submit_path_b_case(WANG.0, WANG.1).await;
    for (round, (case, id, delay_ms)) in [
        (li.case_id.as_str(), LI.0, 0u64),
        (zhang.as_str(), ZHANG.0, 5),
        (wang.as_str(), WANG.0, 30),
    ]
    .into_iter()
    .enumerate()
    {
        let i = round % 2;
        let mut direct = StaffClient::new(&c.instance_staff_base(i));
        direct.cookies = staff.cookies.clone();
        let csrf = direct.csrf().await;
        let cookies = staff
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        // The decision's request, which the kill may cut off (its answer is not needed).
        let deciding = reqwest::Client::new()
            .post(format!(
                "{}/staff/cases/{case}/decision",
                c.instance_staff_base(i)
            ))
            .header("cookie", cookies)
            .form(&[("decision", "approve"), ("csrf", csrf.as_str())])
            .send();
        let deciding = tokio::spawn(deciding);
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        c.kill(i);
        let _ = deciding.await;
        let approved = decision_all_or_nothing(&c, case, id).await;
        // The reviewer tries again through the balancer: the other instance finishes it.
        let mut again = StaffClient::new(&c.staff_base);
        again.cookies = staff.cookies.clone();
        let queue = again.get("/staff").await;
        assert_eq!(queue.status, 200, "{} {:?}", queue.body, queue.headers);
        let page = again.decide(case, "approve", "", "").await;
        if approved {
            // A decided case is not decided twice.
            let already = reset_flow::ErrorCode::CaseAlreadyDecided;
            assert_eq!(page.status, already.http_status(), "{}", page.body);
            assert!(page.body.contains(already.as_str()), "{}", page.body);
        } else {
            assert_eq!(page.status, 303, "{}", page.body);
        }
        assert!(decision_all_or_nothing(&c, case, id).await);
        c.restart(i).await;
        c.wait_balanced().await;
    }
    // Each approval's SMS went out once.
    let texts = c.view.sms_to(CONTACT_PHONE).await;
    assert_eq!(
        texts.iter().filter(|t| t.contains("已审核通过")).count(),
        3,
        "{texts:?}"
    );
}

/// A test SMS provider on `port` that can be taken down and brought back.
struct Provider {
    received: Arc<Mutex<Vec<String>>>,
    serving: Option<tokio::task::JoinHandle<()>>,
    port: u16,
}

impl Provider {
    async fn up(&mut self) {
        let received = self.received.clone();
        let app = axum::Router::new().route(
            "/send",
            axum::routing::post(move |body: String| {
                let received = received.clone();
                async move {
                    received.lock().unwrap().push(body);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        self.serving = Some(tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        }));
    }
}

/// How long the SMS provider is down.
const OUTAGE: Duration = Duration::from_secs(60);

/// The SMS provider down for a minute while customers keep asking for codes through both
/// instances: every request is still taken (`202`), and once the provider is back every queued
/// message is delivered exactly once, by whichever instance's worker claimed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sms_gateway_down_a_minute_under_load_delivers_each_message_once() {
    let mut provider = Provider {
        received: Arc::default(),
        serving: None,
        port: free_port(),
    };
    let url = format!("http://127.0.0.1:{}/send", provider.port);
    let Some((c, _db)) = cluster(&[
        ("RESET_SMS__GATEWAY", "http"),
        ("RESET_SMS__HTTP_URL", &url),
        ("RESET_SMS__BACKOFF_MS", "200"),
        ("RESET_SMS__BACKOFF_MAX_MS", "2000"),
        ("RESET_SMS__MAX_ATTEMPTS", "1000"),
        ("RESET_POLICY__RESEND_AFTER_S", "0"),
        ("RESET_POLICY__CODES_PER_FLOW", "1000"),
        ("RESET_POLICY__CODES_PER_PHONE_PER_DAY", "1000"),
        ("RESET_POLICY__CODES_PER_ID_PER_DAY", "1000"),
    ])
    .await
    else {
        return;
    };
    let mut flows = Vec::new();
    for (id, name, phone) in [ZHANG, LI, WANG] {
        flows.push((c.view.start_reset(id, name).await, phone));
    }
    let down = Instant::now();
    let mut queued = 0;
    while down.elapsed() < OUTAGE {
        let (flow, phone) = &flows[queued % flows.len()];
        let (st, b) = c
            .view
            .post(&format!("/v1/resets/{flow}/sms"), json!({"phone": phone}))
            .await;
        assert_eq!(st, 202, "{b}");
        queued += 1;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let failed_meanwhile = count(
        &c.view,
        "SELECT COUNT(*) FROM sms_outbox WHERE state = 'pending' AND attempts > 0",
    )
    .await;
    assert!(failed_meanwhile > 0, "the workers tried and failed");
    assert!(provider.received.lock().unwrap().is_empty());

    provider.up().await;
    let back = Instant::now();
    while count(
        &c.view,
        "SELECT COUNT(*) FROM sms_outbox WHERE state <> 'sent'",
    )
    .await
        > 0
    {
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "the outbox did not drain"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A moment more for any second delivery to show.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = count(
        &c.view,
        "SELECT COUNT(*) FROM sms_outbox WHERE state = 'sent'",
    )
    .await;
    let received = provider.received.lock().unwrap().len() as i64;
    assert_eq!((received, sent), (queued as i64, queued as i64));
    for i in 0..2 {
        let log = c.log(i);
        assert!(log.contains("sms delivery failed"), "instance {i} said so");
        assert!(
            !log.contains(ZHANG.2) && !log.contains("验证码"),
            "no phone or text logged"
        );
    }
    if let Some(serving) = provider.serving.take() {
        serving.abort();
    }
}

/// A tmpfs of `size` mounted on a new folder, unmounted on drop; `None` (after saying so) where
/// mounting is not allowed (not root).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = std::env::temp_dir().join(format!("reset-full-{}", free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            println!("skipped: mounting a small tmpfs needs root");
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(SmallDisk(dir))
    }

    /// Writes a filler file until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.join("filler")).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        // The last bytes a partial write could not place.
        while f.write_all(&chunk[..512]).is_ok() {}
        let _ = f.flush();
    }

    fn free(&self) {
        std::fs::remove_file(self.0.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One machine (SQLite, pictures on disk), the pictures' disk full and then the database's
/// too: each write answers `503 service_unavailable` with the reason in the log, no half
/// picture file is left, the database stays sound, and once space is freed the same customer
/// goes on.
#[tokio::test]
async fn a_full_disk_refuses_clearly_and_corrupts_nothing() {
    let (Some(db_disk), Some(picture_disk)) = (SmallDisk::mount("16m"), SmallDisk::mount("16m"))
    else {
        return;
    };
    let logs = LogCapture::start();
    let url = format!("sqlite://{}", db_disk.0.join("reset.db").display());
    let pictures_dir = picture_disk.0.join("evidence");
    let folder = pictures_dir.clone();
    let s = TestServer::start_on(&url, ManualClock::new(TEST_START), move |st| {
        st.evidence.store = StoreKind::Disk;
        st.evidence.dir = Some(folder);
    })
    .await;
    let flow = s.start_path_b(LI.0, LI.1).await;
    s.pass_face(&flow).await;
    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(&pictures_dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = files();
    assert!(!before.is_empty());

    // The pictures' disk full: the upload is refused, nothing half-written stays.
    picture_disk.fill();
    let (st, b) = s.post_documents(&flow).await;
    assert_eq!(
        (st, b["code"].as_str()),
        (503, Some("service_unavailable")),
        "{b}"
    );
    assert_eq!(files(), before, "no half picture left behind");
    let said = logs.text();
    assert!(
        said.contains("evidence store refused a picture")
            && said.contains("No space left on device"),
        "the log says why"
    );
    assert_eq!(step(&s, &flow).await, "documents");

    // The database's disk full too: writes are refused the same way, reads still answer.
    db_disk.fill();
    let (st, b) = s
        .post(
            "/v1/resets",
            json!({"id_type": "id_card", "id_number": WANG.0, "name": WANG.1}),
        )
        .await;
    assert_eq!(
        (st, b["code"].as_str()),
        (503, Some("service_unavailable")),
        "{b}"
    );
    assert!(logs.text().contains("the database's disk is full"));
    assert_eq!(step(&s, &flow).await, "documents");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");

    // Space freed: the same customer goes on where they were.
    db_disk.free();
    picture_disk.free();
    let (st, b) = s.post_documents(&flow).await;
    assert_eq!(
        (st, b["step"].as_str()),
        (200, Some("contact_phone")),
        "{b}"
    );
    assert_eq!(files().len(), before.len() + 3);
    s.start_reset(WANG.0, WANG.1).await;
    s.stop().await;
}

// A request given up half way through its transaction (the client gone) leaves nothing written
// and the writer free: on SQLite the one writing connection is not a pool's, so nothing tests
// it between two writers, and the next writer's transaction must still be a transaction of
// its own (not a savepoint inside the one left open, committed with it or never).
both!(a_write_given_up_half_way_leaves_nothing_and_the_writer_free);
async fn a_write_given_up_half_way_leaves_nothing_and_the_writer_free(s: TestServer) {
    let db = &s.state.db;
    // Windows of the year 2100: the background prune (windows over a day old) leaves them.
    let insert = |bucket: &'static str| {
        sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, 4102444800000, 1)",
        )
        .bind(bucket)
    };
    let mut tx = db.writer.begin().await.unwrap();
    insert("given-up").execute(&mut *tx).await.unwrap();
    drop(tx);
    {
        // Given up while a statement is on its way.
        let mut tx = db.writer.begin().await.unwrap();
        let statement = insert("given-up-mid-statement").execute(&mut *tx);
        let _ = tokio::time::timeout(Duration::from_micros(1), statement).await;
    }
    let mut tx = db.writer.begin().await.unwrap();
    insert("kept").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let buckets: Vec<String> = sqlx::query_scalar("SELECT bucket FROM rate_limits")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(buckets, vec!["kept".to_owned()]);
}

// Statements sent together (on SQLite one query with the `BEGIN` or the `COMMIT`): each
// answers in order; one that fails, or a batch given up on its way, leaves nothing of the
// transaction, and the writer free for the next.
both!(statements_sent_together_answer_in_order_and_a_failure_leaves_nothing);
async fn statements_sent_together_answer_in_order_and_a_failure_leaves_nothing(s: TestServer) {
    use reset_bank::store::Statement;
    let db = &s.state.db;
    // Windows of the year 2100: the background prune (windows over a day old) leaves them.
    let insert = |bucket: &str, count: i64| {
        Statement::new(
            "INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, 4102444800000, $2) \
             RETURNING count",
        )
        .text(bucket)
        .int(count)
    };
    let add = |bucket: &str, n: i64| {
        Statement::new("UPDATE rate_limits SET count = count + $2 WHERE bucket = $1")
            .text(bucket)
            .int(n)
    };
    let buckets = || async {
        sqlx::query_as::<_, (String, i64)>("SELECT bucket, count FROM rate_limits ORDER BY bucket")
            .fetch_all(&db.pool)
            .await
            .unwrap()
    };

    // The second statement fails (the bucket is taken): the first is rolled back with it.
    let failed = db
        .writer
        .begin_with(vec![insert("a", 1), insert("a", 2), insert("b", 3)])
        .await;
    assert!(failed.is_err());
    drop(failed);
    // Given up while the batch is on its way.
    let _ = tokio::time::timeout(
        Duration::from_micros(1),
        db.writer.begin_with(vec![insert("c", 1)]),
    )
    .await;
    // Begun and dropped without a commit.
    let (tx, _) = db.writer.begin_with(vec![insert("d", 1)]).await.unwrap();
    drop(tx);
    assert_eq!(buckets().await, vec![]);

    let (mut tx, begun) = db
        .writer
        .begin_with(vec![insert("a", 4), insert("b", 5)])
        .await
        .unwrap();
    let counts: Vec<(u64, i64)> = begun
        .iter()
        .map(|o| (o.rows_affected, sqlx::Row::get(&o.rows[0], 0)))
        .collect();
    assert_eq!(counts, vec![(1, 4), (1, 5)]);
    let ran = tx
        .run(vec![add("a", 10), add("nobody", 1), add("b", 20)])
        .await
        .unwrap();
    let changed: Vec<u64> = ran.iter().map(|o| o.rows_affected).collect();
    assert_eq!(changed, vec![1, 0, 1]);
    let committed = tx.commit_with(vec![add("a", 100)]).await.unwrap();
    assert_eq!(committed.len(), 1);
    assert_eq!(
        buckets().await,
        vec![("a".to_owned(), 114), ("b".to_owned(), 25)]
    );

    // A failure in a batch after others in the same transaction: the whole of it goes.
    let (mut tx, _) = db.writer.begin_with(vec![add("a", 1)]).await.unwrap();
    assert!(tx.run(vec![add("b", 1), insert("a", 9)]).await.is_err());
    drop(tx);
    let (tx, _) = db.writer.begin_with(vec![add("b", 1000)]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        buckets().await,
        vec![("a".to_owned(), 114), ("b".to_owned(), 1025)]
    );

    // A commit given up on its way: all of the transaction or none of it, and the writer
    // free; tried at several moments.
    for wait_us in [0u64, 50, 200, 1000] {
        let (tx, _) = db.writer.begin_with(vec![add("a", 1)]).await.unwrap();
        let commit = tx.commit_with(vec![add("b", 1)]);
        let _ = tokio::time::timeout(Duration::from_micros(wait_us), commit).await;
        // The next writer's turn comes after whatever was on its way.
        let (tx, _) = db.writer.begin_with(vec![add("c-none", 0)]).await.unwrap();
        tx.commit().await.unwrap();
        let now = buckets().await;
        assert_eq!(now[0].1 - 114, now[1].1 - 1025, "{now:?}");
    }
}
