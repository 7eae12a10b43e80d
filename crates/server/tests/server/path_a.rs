//! Path A end to end, and each of its rules.

use reset_testkit::TestServer;
use serde_json::json;
use time::Duration;

use crate::{LI, ZHANG};

async fn send(s: &TestServer, flow: &str, phone: &str) -> (u16, serde_json::Value) {
    s.post(&format!("/v1/resets/{flow}/sms"), json!({ "phone": phone }))
        .await
}

async fn verify(s: &TestServer, flow: &str, code: &str) -> (u16, serde_json::Value) {
    s.post(
        &format!("/v1/resets/{flow}/sms/verify"),
        json!({ "code": code }),
    )
    .await
}

async fn login(s: &TestServer, id: &str, password: &str) -> (u16, serde_json::Value) {
    s.post(
        "/v1/login",
        json!({"id_type": "id_card", "id_number": id, "password": password}),
    )
    .await
}

both!(full_reset_changes_the_password_and_tells_the_phone);
async fn full_reset_changes_the_password_and_tells_the_phone(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let (st, b) = s
        .post(
            "/v1/resets",
            json!({"id_type": "id_card", "id_number": id, "name": name}),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["step"], "reserved_phone");
    assert_eq!(b["flow_id"].as_str().unwrap().len(), 32);
    assert_eq!(b["expires_at"], "2026-11-27T09:15:00+08:00");
    let flow = b["flow_id"].as_str().unwrap().to_owned();
    let (st, b) = send(&s, &flow, phone).await;
    assert_eq!(
        (st, &b),
        (
            202,
            &json!({"step": "reserved_phone", "resend_after_s": 60})
        )
    );
    let texts = s.sms_to(phone).await;
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].starts_with("【昆仑银行】您正在重置登录密码，验证码"),
        "{}",
        texts[0]
    );
    assert!(texts[0].ends_with("，5分钟内有效。请勿告诉他人。"));
    let code = s.last_code(phone).await.unwrap();
    let (st, b) = verify(&s, &flow, &code).await;
    assert_eq!((st, &b), (200, &json!({"step": "new_password"})));
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({"password": "Qiushui#88"}),
        )
        .await;
    assert_eq!((st, &b), (200, &json!({"step": "done"})));
    assert_eq!(login(&s, id, "Kunlun2024").await.0, 401);
    let (st, b) = login(&s, id, "Qiushui#88").await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["session"].as_str().unwrap().len(), 64);
    let texts = s.sms_to(phone).await;
    assert_eq!(texts.len(), 2);
    assert!(texts[1].contains("登录密码已重置成功"), "{}", texts[1]);
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!((st, b["step"].as_str()), (200, Some("done")));
}

both!(wrong_phone_and_unknown_customer_look_the_same);
async fn wrong_phone_and_unknown_customer_look_the_same(s: TestServer) {
    let (id, name, phone) = ZHANG;
    // Real customer, wrong phone; unknown ID; right ID with the wrong name.
    let cases = [
        (id, name, "13900000009"),
        ("110101199003074514", "赵六", phone),
        (id, "李四", phone),
    ];
    let mut bodies = Vec::new();
    for (i, (id, name, phone)) in cases.iter().enumerate() {
        let resp = s
            .client
            .post(s.url("/v1/resets"))
            .json(&json!({"id_type": "id_card", "id_number": id, "name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        let b: serde_json::Value = resp.json().await.unwrap();
        let flow = b["flow_id"].as_str().unwrap().to_owned();
        let resp = s
            .client
            .post(s.url(&format!("/v1/resets/{flow}/sms")))
            .json(&json!({ "phone": phone }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202, "case {i}");
        bodies.push(resp.bytes().await.unwrap());
        let (st, b) = verify(&s, &flow, "000000").await;
        assert_eq!(
            (st, b["code"].as_str(), b["attempts_left"].as_u64()),
            (422, Some("bad_code"), Some(4))
        );
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "byte-identical answers"
    );
    assert!(
        s.sms_to("13900000009").await.is_empty(),
        "nothing sent to a phone not on file"
    );
    assert!(
        s.sms_to(phone).await.is_empty(),
        "nothing sent for an unknown ID or wrong name"
    );
    let flows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM flows WHERE customer_id IS NULL")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(flows, 2, "unknown customers get real flow rows");
    let void: Vec<String> =
        sqlx::query_scalar("SELECT to_phone FROM sms_outbox WHERE state = 'void' ORDER BY id")
            .fetch_all(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        void,
        ["139****0009", "138****0001", "138****0001"],
        "same insert, masked, never sent"
    );
}

both!(replacement_looks_the_same_for_unknown_ids);
async fn replacement_looks_the_same_for_unknown_ids(s: TestServer) {
    // A known customer, the right ID with a wrong name, and an unknown ID: in each case a
    // second flow for the same ID replaces the first.
    for (id, name) in [
        (ZHANG.0, ZHANG.1),
        (LI.0, "张三"),
        ("110101199003074514", "赵六"),
    ] {
        let first = s.start_reset(id, name).await;
        let second = s.start_reset(id, name).await;
        let (st, b) = send(&s, &first, ZHANG.2).await;
        assert_eq!((st, &b["code"]), (410, &json!("flow_replaced")), "{name}");
        assert_eq!(send(&s, &second, "13900000009").await.0, 202);
    }
}

both!(five_wrong_codes_burn_the_code);
async fn five_wrong_codes_burn_the_code(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let flow = s.start_reset(id, name).await;
    send(&s, &flow, phone).await;
    let code = s.last_code(phone).await.unwrap();
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for left in [4, 3, 2, 1] {
        let (st, b) = verify(&s, &flow, wrong).await;
        assert_eq!(
            (st, &b["code"], &b["attempts_left"]),
            (422, &json!("bad_code"), &json!(left))
        );
    }
    let (st, b) = verify(&s, &flow, wrong).await;
    assert_eq!(
        (st, &b["code"], &b["attempts_left"]),
        (422, &json!("code_burnt"), &json!(0))
    );
    let (st, b) = verify(&s, &flow, &code).await;
    assert_eq!(
        (st, &b["code"]),
        (422, &json!("code_burnt")),
        "the right code no longer works"
    );
    assert!(s
        .state
        .metrics
        .render()
        .contains("reset_codes_burnt_total 1"));
    // A new code after the countdown works.
    s.clock.advance(Duration::seconds(60));
    assert_eq!(send(&s, &flow, phone).await.0, 202);
    let fresh = s.last_code(phone).await.unwrap();
    assert_eq!(verify(&s, &flow, &fresh).await.0, 200);
}

both!(codes_expire_after_five_minutes);
async fn codes_expire_after_five_minutes(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let flow = s.start_reset(id, name).await;
    send(&s, &flow, phone).await;
    let code = s.last_code(phone).await.unwrap();
    s.clock.advance(Duration::seconds(300));
    let (st, b) = verify(&s, &flow, &code).await;
    assert_eq!((st, &b["code"]), (422, &json!("code_expired")));
    let (st, b) = verify(&s, &flow, "12345").await;
    assert_eq!((st, &b["code"]), (422, &json!("code_format")));
}

both!(verify_before_any_code_is_code_not_sent);
async fn verify_before_any_code_is_code_not_sent(s: TestServer) {
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = verify(&s, &flow, "123456").await;
    assert_eq!((st, &b["code"]), (422, &json!("code_not_sent")));
}

both!(resend_waits_sixty_seconds_and_five_codes_a_flow);
async fn resend_waits_sixty_seconds_and_five_codes_a_flow(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let flow = s.start_reset(id, name).await;
    assert_eq!(send(&s, &flow, phone).await.0, 202);
    s.clock.advance(Duration::seconds(59));
    let (st, b) = send(&s, &flow, phone).await;
    assert_eq!(
        (st, &b["code"], &b["retry_after_s"]),
        (429, &json!("too_many"), &json!(1))
    );
    let (_, status) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!(status["resend_after_s"], 1);
    for _ in 0..4 {
        s.clock.advance(Duration::seconds(60));
        assert_eq!(send(&s, &flow, phone).await.0, 202);
    }
    s.clock.advance(Duration::seconds(60));
    let (st, b) = send(&s, &flow, phone).await;
    assert_eq!(
        (st, &b["code"]),
        (429, &json!("too_many")),
        "sixth code in one flow"
    );
    let texts = s.sms_to(phone).await;
    assert_eq!(texts.len(), 5, "{texts:#?}");
}

both!(ten_codes_a_phone_a_day);
async fn ten_codes_a_phone_a_day(s: TestServer) {
    let (id, name, phone) = ZHANG;
    for i in 0..10 {
        let flow = s.start_reset(id, name).await;
        assert_eq!(send(&s, &flow, phone).await.0, 202, "code {i}");
    }
    let flow = s.start_reset(id, name).await;
    let (st, b) = send(&s, &flow, phone).await;
    assert_eq!((st, &b["code"]), (429, &json!("too_many")));
    // The cap counts the typed phone, so it looks the same for a phone not on file.
    let other = s.start_reset(LI.0, LI.1).await;
    assert_eq!(
        send(&s, &other, LI.2).await.0,
        202,
        "other phones unaffected"
    );
    // The next Beijing day starts a new allowance (09:00 + 15h = 00:00 next day).
    s.clock.advance(Duration::hours(15));
    let flow = s.start_reset(id, name).await;
    assert_eq!(send(&s, &flow, phone).await.0, 202);
}

both!(flows_expire_after_fifteen_idle_minutes);
async fn flows_expire_after_fifteen_idle_minutes(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let flow = s.start_reset(id, name).await;
    s.clock.advance(Duration::minutes(14));
    assert_eq!(
        send(&s, &flow, phone).await.0,
        202,
        "activity extends the flow"
    );
    s.clock.advance(Duration::minutes(15));
    let code = s.last_code(phone).await.unwrap();
    let (st, b) = verify(&s, &flow, &code).await;
    assert_eq!((st, &b["code"]), (410, &json!("flow_expired")));
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!((st, &b["step"]), (200, &json!("expired")));
}

both!(a_new_flow_replaces_the_old_one);
async fn a_new_flow_replaces_the_old_one(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let old = s.start_reset(id, name).await;
    send(&s, &old, phone).await;
    let old_code = s.last_code(phone).await.unwrap();
    let new = s.start_reset(id, name).await;
    let (st, b) = verify(&s, &old, &old_code).await;
    assert_eq!((st, &b["code"]), (410, &json!("flow_replaced")));
    let (st, b) = s.get(&format!("/v1/resets/{old}")).await;
    assert_eq!((st, &b["code"]), (410, &json!("flow_replaced")));
    let step: String = sqlx::query_scalar("SELECT step FROM flows WHERE id = $1")
        .bind(&old)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(step, "expired", "withdrawn through the step machine");
    s.clock.advance(Duration::seconds(60));
    assert_eq!(send(&s, &new, phone).await.0, 202);
}

both!(calls_out_of_order_are_wrong_step_and_codes_are_single_use);
async fn calls_out_of_order_are_wrong_step_and_codes_are_single_use(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let flow = s.start_reset(id, name).await;
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({"password": "Qiushui#88"}),
        )
        .await;
    assert_eq!((st, &b["code"]), (409, &json!("wrong_step")));
    send(&s, &flow, phone).await;
    let code = s.last_code(phone).await.unwrap();
    assert_eq!(verify(&s, &flow, &code).await.0, 200);
    let (st, b) = verify(&s, &flow, &code).await;
    assert_eq!(
        (st, &b["code"]),
        (409, &json!("wrong_step")),
        "replayed code"
    );
    let (st, b) = send(&s, &flow, phone).await;
    assert_eq!((st, &b["code"]), (409, &json!("wrong_step")));
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({"password": "12345678"}),
        )
        .await;
    assert_eq!((st, &b["code"]), (422, &json!("weak_password")));
    assert!(
        b["broken_rules"]
            .as_array()
            .unwrap()
            .contains(&json!("too_few_kinds")),
        "{b}"
    );
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({"password": "ab13800000001"}),
        )
        .await;
    assert!(
        b["broken_rules"]
            .as_array()
            .unwrap()
            .contains(&json!("contains_phone")),
        "{st} {b}"
    );
    assert_eq!(
        s.post(
            &format!("/v1/resets/{flow}/password"),
            json!({"password": "Qiushui#88"})
        )
        .await
        .0,
        200
    );
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({"password": "Other#9999"}),
        )
        .await;
    assert_eq!(
        (st, &b["code"]),
        (409, &json!("wrong_step")),
        "done is final"
    );
}

both!(two_racing_verifies_one_wins);
async fn two_racing_verifies_one_wins(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let flow = s.start_reset(id, name).await;
    send(&s, &flow, phone).await;
    let code = s.last_code(phone).await.unwrap();
    let (a, b) = tokio::join!(verify(&s, &flow, &code), verify(&s, &flow, &code));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
}

both!(a_completed_reset_lifts_the_lock_and_revokes_sessions);
async fn a_completed_reset_lifts_the_lock_and_revokes_sessions(s: TestServer) {
    let (id, name, phone) = ZHANG;
    let (st, b) = login(&s, id, "Kunlun2024").await;
    assert_eq!(st, 200);
    let token = b["session"].as_str().unwrap().to_owned();
    let now = reset_bank::store::ms(reset_bank::clock::Clock::now(&s.clock));
    assert!(
        reset_bank::customer_login::session_customer(&s.state.db, &token, now)
            .await
            .unwrap()
            .is_some()
    );
    for _ in 0..5 {
        login(&s, id, "Wrong#1234").await;
    }
    assert_eq!(login(&s, id, "Kunlun2024").await.0, 423);
    s.reset_password(id, name, phone, "Qiushui#88").await;
    assert!(
        reset_bank::customer_login::session_customer(&s.state.db, &token, now)
            .await
            .unwrap()
            .is_none(),
        "revoked"
    );
    assert_eq!(login(&s, id, "Qiushui#88").await.0, 200, "lock lifted");
}
