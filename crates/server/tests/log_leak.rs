//! A full flow with every log line captured (TRACE, all crates): the code, the passwords, the
//! ID number and the stored hashes appear in neither the logs nor the audit rows. Its own test
//! binary, so the thread-local subscriber sees no other test's callsites race it.

use reset_testkit::{TestDb, TestServer};
use serde_json::json;

const ZHANG: (&str, &str, &str) = ("11010519491231002X", "张三", "13800000001");

/// A full flow with every log line captured: the code, the passwords, the ID number and the
/// stored hashes appear in neither the logs nor the audit rows.
#[tokio::test]
async fn secrets_never_reach_logs_or_audit() {
    let captured = reset_testkit::LogCapture::start();
    let s = TestServer::start(TestDb::Sqlite).await.unwrap();
    let (id, name, phone) = ZHANG;
    let flow = s.start_reset(id, name).await;
    s.post(&format!("/v1/resets/{flow}/sms"), json!({"phone": phone}))
        .await;
    let code_hash: String = sqlx::query_scalar("SELECT code_hash FROM flows WHERE id = $1")
        .bind(&flow)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    let code = s.last_code(phone).await.unwrap();
    s.post(
        &format!("/v1/resets/{flow}/sms/verify"),
        json!({"code": "000001"}),
    )
    .await;
    s.post(
        &format!("/v1/resets/{flow}/sms/verify"),
        json!({"code": code}),
    )
    .await;
    let (st, _) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({"password": "Qiushui#88"}),
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .post(
            "/v1/login",
            json!({"id_type": "id_card", "id_number": id, "password": "Qiushui#88"}),
        )
        .await;
    assert_eq!(st, 200);
    s.post(
        "/v1/login",
        json!({"id_type": "id_card", "id_number": id, "password": "Wrong#1234"}),
    )
    .await;
    let password_hash: String =
        sqlx::query_scalar("SELECT password_hash FROM customers WHERE id_number = $1")
            .bind(id)
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    s.flush_sms().await;
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT event, detail FROM audit_events")
        .fetch_all(&s.state.db.pool)
        .await
        .unwrap();
    let audit: String = rows.iter().map(|(e, d)| format!("{e} {d}\n")).collect();
    let logs = captured.text();
    assert!(
        logs.contains("reserved phone verified"),
        "the capture works:\n{logs}"
    );
    assert!(logs.contains("138****0001"), "masked phones only");
    for event in [
        "flow_started",
        "code_requested",
        "code_wrong",
        "reserved_phone_verified",
        "password_reset",
        "login",
        "login_failed",
    ] {
        assert!(audit.contains(event), "{event} audited:\n{audit}");
    }
    let salt_and_hash = password_hash.rsplit('$').next().unwrap().to_owned();
    for secret in [
        code.as_str(),
        "Qiushui#88",
        "Wrong#1234",
        "Kunlun2024",
        id,
        phone,
        &code_hash,
        &password_hash,
        &salt_and_hash,
        name,
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
        assert!(
            !audit.contains(secret),
            "{secret} leaked into the audit rows"
        );
    }
}
