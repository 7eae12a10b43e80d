//! Path B's contact phone and idle limit: its codes follow the reserved phone's rules (hashed,
//! 5 minutes, 5 wrong burn, resend after 60 s), a reserved-phone code does not count for it,
//! the pending password is checked like path A's (the contact phone included), and a path-B
//! flow may sit idle an hour.

use reset_testkit::TestServer;
use serde_json::{json, Value};
use time::Duration;

use crate::ZHANG;

async fn contact_sms(s: &TestServer, flow: &str, phone: &str) -> (u16, Value) {
    s.post(
        &format!("/v1/resets/{flow}/contact/sms"),
        json!({ "phone": phone }),
    )
    .await
}

async fn contact_verify(s: &TestServer, flow: &str, code: &str) -> (u16, Value) {
    s.post(
        &format!("/v1/resets/{flow}/contact/verify"),
        json!({ "code": code }),
    )
    .await
}

/// A six-digit code other than `code`.
fn other_than(code: &str) -> String {
    if code == "000000" { "111111" } else { "000000" }.to_owned()
}

both!(contact_codes_follow_the_reserved_phone_rules);
async fn contact_codes_follow_the_reserved_phone_rules(s: TestServer) {
    let (id, name, reserved) = ZHANG;
    let contact = "13912345678";
    let flow = s.start_reset(id, name).await;
    // A code to the reserved phone, then 手机号不可用?: that code proves nothing on path B.
    let (st, _) = s
        .post(
            &format!("/v1/resets/{flow}/sms"),
            json!({"phone": reserved}),
        )
        .await;
    assert_eq!(st, 202);
    let reserved_code = s.last_code(reserved).await.unwrap();
    let (st, _) = s
        .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
        .await;
    assert_eq!(st, 200);
    s.face_and_documents(&flow).await;
    let (st, b) = contact_verify(&s, &flow, &reserved_code).await;
    assert_eq!((st, b["code"].as_str()), (422, Some("code_not_sent")));

    // The 60 s wait counts from the last code of the flow, whichever phone it went to.
    let (st, b) = contact_sms(&s, &flow, contact).await;
    assert_eq!((st, b["code"].as_str()), (429, Some("too_many")), "{b}");
    s.clock.advance(Duration::seconds(61));
    let (st, b) = contact_sms(&s, &flow, "1391234567").await;
    assert_eq!((st, b["code"].as_str()), (422, Some("phone_invalid")));
    let (st, b) = contact_sms(&s, &flow, contact).await;
    assert_eq!(
        (st, &b),
        (202, &json!({"step": "contact_phone", "resend_after_s": 60}))
    );
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!((st, b["resend_after_s"].as_u64()), (200, Some(60)));
    let (st, b) = contact_sms(&s, &flow, contact).await;
    assert_eq!((st, b["retry_after_s"].as_u64()), (429, Some(60)));
    let stored: String = sqlx::query_scalar("SELECT code_hash FROM flows WHERE id = $1")
        .bind(&flow)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    let code = s.last_code(contact).await.unwrap();
    assert!(!stored.contains(&code), "stored hashed");

    // Five wrong codes burn it; then even the right one is refused.
    for left in (1..=4).rev() {
        let (st, b) = contact_verify(&s, &flow, &other_than(&code)).await;
        assert_eq!((st, b["attempts_left"].as_u64()), (422, Some(left)), "{b}");
    }
    let (st, b) = contact_verify(&s, &flow, &other_than(&code)).await;
    assert_eq!((st, b["code"].as_str()), (422, Some("code_burnt")));
    let (st, b) = contact_verify(&s, &flow, &code).await;
    assert_eq!((st, b["code"].as_str()), (422, Some("code_burnt")));

    // A new code lives five minutes.
    s.clock.advance(Duration::seconds(61));
    assert_eq!(contact_sms(&s, &flow, contact).await.0, 202);
    let code = s.last_code(contact).await.unwrap();
    s.clock.advance(Duration::seconds(301));
    let (st, b) = contact_verify(&s, &flow, &code).await;
    assert_eq!((st, b["code"].as_str()), (422, Some("code_expired")));

    s.clock.advance(Duration::seconds(1));
    assert_eq!(contact_sms(&s, &flow, contact).await.0, 202);
    let code = s.last_code(contact).await.unwrap();
    let (st, b) = contact_verify(&s, &flow, &code).await;
    assert_eq!((st, &b), (200, &json!({"step": "new_password"})));

    // The password rules of path A, with the contact phone among the phones refused (and only
    // what the requester typed: the reserved phone is not, see `takeover`).
    for (password, rule) in [
        ("12345678", "too_few_kinds"),
        ("a13912345678", "contains_phone"),
        ("Ab19491231#", "contains_birth_date"),
    ] {
        let (st, b) = s
            .post(
                &format!("/v1/resets/{flow}/password"),
                json!({ "password": password }),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (422, Some("weak_password")),
            "{password}"
        );
        assert!(
            b["broken_rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == rule),
            "{password}: {b}"
        );
    }
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM review_cases WHERE state = 'pending'")
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(pending, 0, "weak passwords change nothing");
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({ "password": "Chunfeng#2026" }),
        )
        .await;
    assert_eq!((st, b["step"].as_str()), (200, Some("under_review")), "{b}");
}

both!(path_b_flows_may_sit_idle_an_hour);
async fn path_b_flows_may_sit_idle_an_hour(s: TestServer) {
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, _) = s
        .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
        .await;
    assert_eq!(st, 200);
    s.clock.advance(Duration::minutes(59));
    s.pass_face(&flow).await;
    s.clock.advance(Duration::minutes(60));
    let (st, b) = s.post_documents(&flow).await;
    assert_eq!((st, b["code"].as_str()), (410, Some("flow_expired")));
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!((st, b["step"].as_str()), (200, Some("expired")));
}
