//! Two `reset-server` processes on one PostgreSQL database behind a real HAProxy (round robin,
//! `X-Forwarded-For` from the balancer as a trusted proxy): both paths end to end and the
//! console through the balancer, with every request free to land on either instance, and
//! every limit (per address, per ID, per phone) holding across them.

use std::collections::BTreeSet;

use reset_testkit::{Cluster, FreshDb, StaffClient, TestDb, CONTACT_PHONE, PATH_B_PASSWORD};
use serde_json::{json, Value};

use crate::staff_login::{REVIEWER, TOTP_SECRET};
use crate::{LI, WANG, ZHANG};

/// Two instances behind the balancer on a fresh PostgreSQL schema; `None` without PostgreSQL.
pub async fn cluster(env: &[(&str, &str)]) -> Option<(Cluster, FreshDb)> {
    let db = FreshDb::new(TestDb::Postgres).await?;
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_reset-server"));
    let cluster = Cluster::start(bin, &db.url, 2, env).await;
    Some((cluster, db))
}

/// `POST` through `client`, with extra headers; the status, the instance that answered and
/// the JSON answer.
pub async fn post(
    client: &reqwest::Client,
    url: String,
    headers: &[(&str, &str)],
    body: Value,
) -> (u16, String, Value) {
    let mut req = client.post(url).json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("post");
    let instance = resp
        .headers()
        .get("x-instance")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        resp.status().as_u16(),
        instance,
        resp.json().await.unwrap_or(Value::Null),
    )
}

/// The staff's authenticator code now (the instances run on the real clock).
fn totp_now() -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    reset_bank::staff::totp::code_at(TOTP_SECRET, now)
}

/// Adds the reviewer, with the test TOTP secret.
pub async fn add_reviewer(c: &Cluster) {
    let s = &c.view.state;
    reset_bank::operators::add_staff(
        &s.db,
        &s.hasher,
        time::OffsetDateTime::now_utc(),
        REVIEWER.0,
        REVIEWER.1,
        "reviewer",
        TOTP_SECRET,
    )
    .await
    .expect("staff add");
}

/// The reviewer's browser through the balancer's staff frontend, logged in with the second
/// factor (it may approve).
pub async fn reviewer(c: &Cluster) -> StaffClient {
    let mut staff = StaffClient::new(&c.staff_base);
    let page = staff
        .login_with_code(REVIEWER.0, REVIEWER.1, &totp_now())
        .await;
    assert_eq!(
        (page.status, page.location()),
        (303, Some("/staff")),
        "{}",
        page.body
    );
    staff
}

#[tokio::test]
async fn both_paths_and_the_console_through_the_balancer() {
    let Some((c, _db)) = cluster(&[]).await else {
        return;
    };
    let s = &c.view;

    // Path A: every step free to land on either instance.
    let flow = s
        .reset_password(ZHANG.0, ZHANG.1, ZHANG.2, "Chunjie#2027")
        .await;
    let mut served = BTreeSet::new();
    for _ in 0..4 {
        let r = s
            .client
            .get(s.url(&format!("/v1/resets/{flow}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        served.insert(r.headers()["x-instance"].to_str().unwrap().to_owned());
    }
    assert_eq!(
        served,
        BTreeSet::from(["i0".to_owned(), "i1".to_owned()]),
        "round robin over both"
    );
    let (st, b) = s
        .post(
            "/v1/login",
            json!({"id_type": "id_card", "id_number": ZHANG.0, "password": "Chunjie#2027"}),
        )
        .await;
    assert_eq!(st, 200, "{b}");

    // Path B: the face challenge asked on one instance is answered on the other, the pictures
    // stored by whichever took the upload.
    let case = s
        .run_path_b(LI.0, LI.1, CONTACT_PHONE, PATH_B_PASSWORD)
        .await;

    // The console through the balancer: every picture opens, whichever instance serves it.
    add_reviewer(&c).await;
    let mut staff = reviewer(&c).await;
    for picture in ["id_front/0", "id_back/0", "handheld/0", "face/0", "face/1"] {
        let (status, _, bytes) = staff
            .get_bytes(&format!("/staff/cases/{}/evidence/{picture}", case.case_id))
            .await;
        assert_eq!(status, 200, "{picture}");
        assert!(bytes.starts_with(&[0xFF, 0xD8]), "{picture} is a JPEG");
    }
    let page = staff.decide(&case.case_id, "approve", "", "").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (st, b) = s
        .post(
            "/v1/login",
            json!({"id_type": "id_card", "id_number": LI.0, "password": PATH_B_PASSWORD}),
        )
        .await;
    assert_eq!(st, 200, "the approved password works: {b}");
    let texts = s.sms_to(CONTACT_PHONE).await;
    assert_eq!(
        texts.iter().filter(|t| t.contains("已审核通过")).count(),
        1,
        "one result SMS: {texts:?}"
    );
}

#[tokio::test]
async fn every_limit_holds_across_the_instances() {
    let Some((mut c, _db)) = cluster(&[
        ("RESET_LIMITS__START_RESET", "6"),
        ("RESET_POLICY__RESEND_AFTER_S", "0"),
        ("RESET_POLICY__CODES_PER_ID_PER_DAY", "2"),
        ("RESET_POLICY__CODES_PER_PHONE_PER_DAY", "3"),
        ("RESET_POLICY__WRONG_CODES_PER_ID_PER_DAY", "3"),
    ])
    .await
    else {
        return;
    };
    let start = json!({"id_type": "id_card", "id_number": ZHANG.0, "name": ZHANG.1});

    // Per address, through X-Forwarded-For from the balancer: six starts from 127.0.0.2 over
    // both instances, then too_many on either. A forged header changes nothing: the balancer
    // appends the real address and the server reads from the right.
    let attacker = Cluster::client_from(2);
    let mut served = BTreeSet::new();
    for i in 0..6 {
        let forged = format!("198.51.100.{i}");
        let (st, instance, b) = post(
            &attacker,
            c.view.url("/v1/resets"),
            &[("x-forwarded-for", &forged)],
            start.clone(),
        )
        .await;
        assert_eq!(st, 201, "{b}");
        served.insert(instance);
    }
    assert_eq!(served.len(), 2, "both instances counted");
    for _ in 0..2 {
        let (st, _, b) = post(
            &attacker,
            c.view.url("/v1/resets"),
            &[("x-forwarded-for", "203.0.113.9")],
            start.clone(),
        )
        .await;
        assert_eq!((st, &b["code"]), (429, &json!("too_many")));
    }
    // Another address is another count.
    let (st, _, _) = post(
        &Cluster::client_from(3),
        c.view.url("/v1/resets"),
        &[],
        start.clone(),
    )
    .await;
    assert_eq!(st, 201);

    // Per ID: two codes a day for ZHANG's ID, asked through fresh flows on either instance.
    c.view.client = Cluster::client_from(4);
    let mut flows = Vec::new();
    for _ in 0..2 {
        let flow = c.view.start_reset(ZHANG.0, ZHANG.1).await;
        let (st, b) = c
            .view
            .post(&format!("/v1/resets/{flow}/sms"), json!({"phone": ZHANG.2}))
            .await;
        assert_eq!(st, 202, "{b}");
        flows.push(flow);
    }
    // Wrong codes per ID: three judged guesses over the ID's flows and both instances, then
    // even the right code is refused today.
    let flow = flows.pop().unwrap();
    let code = c.view.last_code(ZHANG.2).await.unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..3 {
        let (st, b) = c
            .view
            .post(
                &format!("/v1/resets/{flow}/sms/verify"),
                json!({"code": wrong}),
            )
            .await;
        assert_eq!((st, &b["code"]), (422, &json!("bad_code")), "{b}");
    }
    let (st, b) = c
        .view
        .post(
            &format!("/v1/resets/{flow}/sms/verify"),
            json!({"code": code}),
        )
        .await;
    assert_eq!((st, &b["code"]), (429, &json!("too_many")), "{b}");
    // And a third code for the ID today is refused, on a new flow too.
    let flow = c.view.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = c
        .view
        .post(&format!("/v1/resets/{flow}/sms"), json!({"phone": ZHANG.2}))
        .await;
    assert_eq!((st, &b["code"]), (429, &json!("too_many")), "{b}");

    // Per phone: three codes a day to the contact phone, whichever IDs ask for them.
    c.view.client = Cluster::client_from(5);
    let li = c.view.path_b_to_contact_phone(LI.0, LI.1).await;
    let wang = c.view.path_b_to_contact_phone(WANG.0, WANG.1).await;
    for flow in [&li, &li, &wang] {
        let (st, b) = c
            .view
            .post(
                &format!("/v1/resets/{flow}/contact/sms"),
                json!({"phone": CONTACT_PHONE}),
            )
            .await;
        assert_eq!(st, 202, "{b}");
    }
    let (st, b) = c
        .view
        .post(
            &format!("/v1/resets/{wang}/contact/sms"),
            json!({"phone": CONTACT_PHONE}),
        )
        .await;
    assert_eq!((st, &b["code"]), (429, &json!("too_many")), "{b}");
    // Nothing of this reached the log of either instance as data.
    for i in 0..2 {
        let log = c.log(i);
        assert!(
            !log.contains(ZHANG.0) && !log.contains(CONTACT_PHONE),
            "{log}"
        );
    }
    c.kill(0);
}
