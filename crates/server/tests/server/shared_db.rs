//! Two server instances on one PostgreSQL database: the limits, the login lock, the wrong-code
//! limit and the one-live-flow rule hold across both, because they live in the database.

use reset_bank::clock::ManualClock;
use reset_testkit::{FreshDb, TestDb, TestServer, TEST_START};
use serde_json::json;

use crate::ZHANG;

#[tokio::test]
async fn two_instances_share_every_counter() {
    let Some(db) = FreshDb::new(TestDb::Postgres).await else {
        return;
    };
    let clock = ManualClock::new(TEST_START);
    let tweak = |s: &mut reset_bank::Settings| s.limits.start_reset = 6;
    let a = TestServer::start_on(&db.url, clock.clone(), tweak).await;
    let b = TestServer::start_on(&db.url, clock.clone(), tweak).await;
    let (id, name, phone) = ZHANG;

    // One live flow: a flow started on A is replaced by one started on B.
    let old = a.start_reset(id, name).await;
    let new = b.start_reset(id, name).await;
    let (st, body) = a
        .post(&format!("/v1/resets/{old}/sms"), json!({"phone": phone}))
        .await;
    assert_eq!((st, &body["code"]), (410, &json!("flow_replaced")));

    // Wrong-code limit: guesses split across both instances burn the code after five.
    assert_eq!(
        a.post(&format!("/v1/resets/{new}/sms"), json!({"phone": phone}))
            .await
            .0,
        202
    );
    let code = b.last_code(phone).await.unwrap();
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for (i, server) in [&a, &b, &a, &b].iter().enumerate() {
        let (_, body) = server
            .post(
                &format!("/v1/resets/{new}/sms/verify"),
                json!({"code": wrong}),
            )
            .await;
        assert_eq!(body["attempts_left"], json!(4 - i), "{body}");
    }
    let (_, body) = b
        .post(
            &format!("/v1/resets/{new}/sms/verify"),
            json!({"code": wrong}),
        )
        .await;
    assert_eq!(body["code"], "code_burnt");
    let (_, body) = a
        .post(
            &format!("/v1/resets/{new}/sms/verify"),
            json!({"code": code}),
        )
        .await;
    assert_eq!(body["code"], "code_burnt");

    // Per-IP limit: 6 starts in the window across both (2 used above), then too_many on either.
    for server in [&a, &b, &a, &b] {
        server.start_reset(id, name).await;
    }
    let (st, _) = a
        .post(
            "/v1/resets",
            json!({"id_type": "id_card", "id_number": id, "name": name}),
        )
        .await;
    assert_eq!(st, 429);
    let (st, _) = b
        .post(
            "/v1/resets",
            json!({"id_type": "id_card", "id_number": id, "name": name}),
        )
        .await;
    assert_eq!(st, 429);

    // Login lock: five wrong passwords spread over both lock the login on both.
    let login = json!({"id_type": "id_card", "id_number": id, "password": "Wrong#1234"});
    for server in [&a, &b, &a, &b] {
        assert_eq!(server.post("/v1/login", login.clone()).await.0, 401);
    }
    assert_eq!(b.post("/v1/login", login.clone()).await.0, 423);
    let right = json!({"id_type": "id_card", "id_number": id, "password": "Kunlun2024"});
    assert_eq!(a.post("/v1/login", right).await.0, 423);
    a.stop().await;
    b.stop().await;
}
