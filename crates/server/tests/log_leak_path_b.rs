//! Path B with every log line captured (TRACE, all crates): the typed ID and name, the contact
//! phone and its code, the pending password and its hash, the master key, the case's wrapped
//! data key and the pictures' bytes appear in neither the logs nor the audit rows, through
//! uploads, refusals, the server's reading of the ID front, review, decision and purge. Its
//! own test binary, like `log_leak`.

use reset_bank::review::{self, Decision, EvidenceKind, StaffActor};
use reset_testkit::pictures::{id_card_front, id_pictures, with_exif_gps};
use reset_testkit::{TestDb, TestServer, TEST_MASTER_KEYS};
use serde_json::json;

const ZHANG: (&str, &str) = ("11010519491231002X", "张三");
const CONTACT: &str = "13712345678";
const PENDING: &str = "Yueliang#2026";

#[tokio::test]
async fn path_b_secrets_never_reach_logs_or_audit() {
    let captured = reset_testkit::LogCapture::start();
    // The server reads the ID front too: what it read must stay out of the logs as well.
    let s = TestServer::start_with(TestDb::Sqlite, |s| s.ocr.enabled = true)
        .await
        .unwrap();
    let (id, name) = ZHANG;
    let flow = s.start_path_b(id, name).await;
    s.pass_face(&flow).await;
    let (status, _) = s
        .post_documents_with_front(&flow, id_card_front(id, name, 7))
        .await;
    assert_eq!(status, 200);
    // A refused picture too: refusals must not echo what was sent.
    let [front, back, _] = id_pictures().clone();
    s.post_parts(
        &format!("/v1/resets/{flow}/documents"),
        vec![("id_front", with_exif_gps(&front)), ("id_back", back)],
    )
    .await;
    s.post(
        &format!("/v1/resets/{flow}/contact/sms"),
        json!({"phone": CONTACT}),
    )
    .await;
    let code = s.last_code(CONTACT).await.unwrap();
    s.post(
        &format!("/v1/resets/{flow}/contact/verify"),
        json!({"code": "000001"}),
    )
    .await;
    let case = s
        .contact_and_password_after_code(&flow, &code, PENDING)
        .await;
    let read = s.id_front_read(&case).await;
    assert_eq!(read.ocr_id_number.as_deref(), Some(id), "the reading ran");
    let wrapped: String = sqlx::query_scalar("SELECT wrapped_key FROM review_cases WHERE id = $1")
        .bind(&case)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    let pending_hash: String =
        sqlx::query_scalar("SELECT pending_password_hash FROM review_cases WHERE id = $1")
            .bind(&case)
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    let actor = StaffActor {
        staff_id: 1,
        username: "reviewer1".into(),
    };
    review::case_detail(&s.state, &actor, &case).await.unwrap();
    let picture = review::evidence_picture(&s.state, &actor, &case, EvidenceKind::Handheld, 0)
        .await
        .unwrap();
    review::decide(&s.state, &actor, &case, Decision::Approve)
        .await
        .unwrap();
    s.clock.advance(time::Duration::days(31));
    reset_bank::evidence::purge::purge_due(&s.state)
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
        logs.contains("contact phone verified"),
        "the capture works:\n{logs}"
    );
    assert!(logs.contains("137****5678"), "masked phones only");
    for event in [
        "phone_unavailable",
        "face_passed",
        "documents_accepted",
        "contact_code_requested",
        "code_wrong",
        "contact_phone_verified",
        "case_submitted",
        "case_viewed",
        "evidence_viewed",
        "case_approved",
        "evidence_purged",
        "id_front_read",
    ] {
        assert!(audit.contains(event), "{event} audited:\n{audit}");
    }
    let master_hex = TEST_MASTER_KEYS.split(':').nth(1).unwrap();
    let picture_hex = hex::encode(&picture[100..132]);
    let hash_tail = pending_hash.rsplit('$').next().unwrap().to_owned();
    for secret in [
        id,
        name,
        CONTACT,
        code.as_str(),
        PENDING,
        &pending_hash,
        &hash_tail,
        master_hex,
        &wrapped,
        &picture_hex,
        "Exif",
        "JFIF",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
        assert!(
            !audit.contains(secret),
            "{secret} leaked into the audit rows"
        );
    }
    let _ = flow;
}
