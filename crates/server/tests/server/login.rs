//! Login: the lock after five wrong passwords, the same answers for unknown IDs, rehashing.

use reset_testkit::{TestDb, TestServer};
use serde_json::json;

use crate::ZHANG;

async fn login(s: &TestServer, id: &str, password: &str) -> (u16, serde_json::Value) {
    s.post(
        "/v1/login",
        json!({"id_type": "id_card", "id_number": id, "password": password}),
    )
    .await
}

both!(five_wrong_passwords_lock_the_login);
async fn five_wrong_passwords_lock_the_login(s: TestServer) {
    let id = ZHANG.0;
    for left in [4, 3, 2, 1] {
        let (st, b) = login(&s, id, "Wrong#1234").await;
        assert_eq!(
            (st, &b["code"], &b["attempts_left"]),
            (401, &json!("bad_credentials"), &json!(left))
        );
    }
    let (st, b) = login(&s, id, "Wrong#1234").await;
    assert_eq!((st, &b["code"]), (423, &json!("locked")));
    let (st, _) = login(&s, id, "Kunlun2024").await;
    assert_eq!(st, 423, "the right password does not open a locked login");
    assert!(s
        .state
        .metrics
        .render()
        .contains("reset_login_lockouts_total 1"));
}

both!(a_right_password_resets_the_count);
async fn a_right_password_resets_the_count(s: TestServer) {
    let id = ZHANG.0;
    for _ in 0..4 {
        login(&s, id, "Wrong#1234").await;
    }
    assert_eq!(login(&s, id, "Kunlun2024").await.0, 200);
    let (_, b) = login(&s, id, "Wrong#1234").await;
    assert_eq!(b["attempts_left"], 4, "in a row");
}

both!(unknown_ids_answer_like_known_ones);
async fn unknown_ids_answer_like_known_ones(s: TestServer) {
    let unknown = "110101199003074514";
    let (st_k, b_k) = login(&s, ZHANG.0, "Wrong#1234").await;
    let (st_u, b_u) = login(&s, unknown, "Wrong#1234").await;
    assert_eq!((st_k, &b_k), (st_u, &b_u));
    for _ in 0..4 {
        login(&s, unknown, "Wrong#1234").await;
    }
    assert_eq!(
        login(&s, unknown, "Wrong#1234").await.0,
        423,
        "unknown IDs lock too"
    );
}

both!(
    old_hash_parameters_are_upgraded_at_login,
    |s: &mut reset_bank::Settings| {
        s.hashing.m_kib = 512;
        s.hashing.t = 2;
    }
);
async fn old_hash_parameters_are_upgraded_at_login(s: TestServer) {
    // The demo customers were seeded with these settings; put an old-parameter hash in place.
    let old_params = argon2::Params::new(256, 1, 1, None).unwrap();
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
    let old = reset_bank::hashing::argon(&old_params)
        .hash_password(b"Kunlun2024", &salt)
        .unwrap()
        .to_string();
    sqlx::query("UPDATE customers SET password_hash = $1 WHERE id_number = $2")
        .bind(&old)
        .bind(ZHANG.0)
        .execute(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(login(&s, ZHANG.0, "Kunlun2024").await.0, 200);
    let now: String =
        sqlx::query_scalar("SELECT password_hash FROM customers WHERE id_number = $1")
            .bind(ZHANG.0)
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    assert_ne!(now, old);
    assert!(now.starts_with("$argon2id$v=19$m=512,t=2,p=1$"), "{now}");
    assert_eq!(
        login(&s, ZHANG.0, "Kunlun2024").await.0,
        200,
        "still the same password"
    );
}

/// The design's default parameters (m = 19 MiB, t = 2, p = 1), once, on SQLite.
#[tokio::test]
async fn default_argon2_parameters_are_used() {
    let s = TestServer::start_with(TestDb::Sqlite, |s| {
        s.hashing = reset_bank::hashing::HashingSettings::default();
    })
    .await
    .unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM customers WHERE id_number = $1")
            .bind(ZHANG.0)
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(login(&s, ZHANG.0, "Kunlun2024").await.0, 200);
    assert_eq!(login(&s, ZHANG.0, "Kunlun2025").await.0, 401);
}

both!(unknown_ids_cost_one_real_hash_like_known_ones);
async fn unknown_ids_cost_one_real_hash_like_known_ones(s: TestServer) {
    let before = s.state.hasher.runs();
    login(&s, "110101199003074514", "Wrong#1234").await;
    assert_eq!(
        s.state.hasher.runs(),
        before + 1,
        "unknown ID: one argon2 verification"
    );
    login(&s, ZHANG.0, "Wrong#1234").await;
    assert_eq!(
        s.state.hasher.runs(),
        before + 2,
        "known ID: one argon2 verification"
    );
}
