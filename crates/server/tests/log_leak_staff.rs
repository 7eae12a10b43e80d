//! The staff side with every log line captured (TRACE, all crates): staff passwords, typed
//! usernames, session cookies, CSRF tokens, the TOTP secret and code, the case's ID number, name and rejection note appear
//! in no log line, and the passwords and tokens in no audit row. Its own test binary, so the
//! thread-local subscriber sees no other test's callsites race it.

use reset_testkit::StaffClient;
use reset_testkit::{TestDb, TestServer};

const ZHANG: (&str, &str) = ("11010519491231002X", "张三");
const PASSWORD: &str = "Shenhe#2026a";
const TOTP_SECRET: &[u8] = b"12345678901234567890";

#[tokio::test]
async fn staff_secrets_never_reach_logs() {
    let captured = reset_testkit::LogCapture::start();
    let s = TestServer::start(TestDb::Sqlite).await.unwrap();
    let now = s.state.clock.now();
    reset_bank::operators::add_staff(
        &s.state.db,
        &s.state.hasher,
        now,
        "wangfang",
        PASSWORD,
        "reviewer",
        TOTP_SECRET,
    )
    .await
    .unwrap();
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;

    let mut c = StaffClient::new(&s.staff_base);
    c.login("Typo#Name99", "Wrong#Pass77").await;
    let now = s.state.clock.now().unix_timestamp() as u64;
    let code = reset_bank::staff::totp::code_at(TOTP_SECRET, now);
    let page = c.login_with_code("wangfang", PASSWORD, &code).await;
    assert_eq!(page.status, 303);
    let session = c.cookies["staff_session"].clone();
    let csrf = c.csrf().await;
    let page = c.get(&format!("/staff/cases/{case}")).await;
    assert_eq!(page.status, 200);
    let note = "Huzhao-Mohu-4471";
    let page = c.decide(&case, "reject", "其他", note).await;
    assert_eq!(page.status, 303, "{}", page.body);
    c.post_form("/staff/logout", &[("csrf", &csrf)]).await;

    let logs = captured.text();
    assert!(
        logs.contains("staff login"),
        "the logs were captured: {logs}"
    );
    let totp_hex = hex::encode(TOTP_SECRET);
    for secret in [
        PASSWORD,
        "Wrong#Pass77",
        "Typo#Name99",
        &session,
        &csrf,
        ZHANG.0,
        ZHANG.1,
        note,
        &code,
        &totp_hex,
    ] {
        assert!(!logs.contains(secret), "{secret} reached the logs");
    }
    let audit: Vec<String> = sqlx::query_scalar("SELECT detail FROM audit_events")
        .fetch_all(&s.state.db.pool)
        .await
        .unwrap();
    let audit = audit.join("\n");
    for secret in [
        PASSWORD,
        "Wrong#Pass77",
        "Typo#Name99",
        &session,
        &csrf,
        &code,
        &totp_hex,
    ] {
        assert!(!audit.contains(secret), "{secret} reached the audit trail");
    }
}
