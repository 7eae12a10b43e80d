//! The evidence vault around a server: the purge with injected time, master-key rotation with
//! `reset-server vault rotate`, and a server refusing to start without a master key.

use std::process::Command;

use reset_bank::clock::ManualClock;
use reset_bank::evidence::purge::purge_due;
use reset_bank::review::{self, Decision, EvidenceKind, StaffActor};
use reset_testkit::{test_evidence_dir, FreshDb, TestDb, TestServer, TEST_START};
use time::Duration;

use crate::{LI, ZHANG};

fn actor() -> StaffActor {
    StaffActor {
        staff_id: 7,
        username: "auditor".into(),
    }
}

async fn sealed_files(s: &TestServer) -> usize {
    s.sealed_objects().await.len()
}

both!(
    purge_deletes_pictures_after_retention_and_keeps_the_record,
    |s| {
        s.evidence.retention_days = 30;
    }
);
async fn purge_deletes_pictures_after_retention_and_keeps_the_record(s: TestServer) {
    let decided = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let waiting = s.submit_path_b_case(LI.0, LI.1).await;
    // A flow abandoned after its pictures: purged once it is idle past the limit.
    let abandoned = s
        .path_b_to_contact_phone("650102198511204562", "王五")
        .await;
    assert_eq!(sealed_files(&s).await, 18);
    review::decide(&s.state, &actor(), &decided, Decision::Approve)
        .await
        .unwrap();

    s.clock.advance(Duration::days(29));
    let done = purge_due(&s.state).await.unwrap();
    assert_eq!(done.cases, 1, "only the abandoned case is due yet");
    assert_eq!(sealed_files(&s).await, 12);
    let state: String = sqlx::query_scalar("SELECT state FROM review_cases WHERE flow_id = $1")
        .bind(&abandoned)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "abandoned");
    assert!(
        review::evidence_picture(&s.state, &actor(), &decided, EvidenceKind::Face, 0)
            .await
            .is_ok(),
        "still inside retention"
    );

    s.clock.advance(Duration::days(1) + Duration::seconds(1));
    let done = purge_due(&s.state).await.unwrap();
    assert_eq!((done.cases, done.pictures), (1, 6));
    assert_eq!(
        sealed_files(&s).await,
        6,
        "the pending case keeps its pictures"
    );
    let detail = review::case_detail(&s.state, &actor(), &decided)
        .await
        .unwrap();
    assert!(detail.purged && detail.evidence.is_empty());
    assert_eq!(detail.state, review::CaseState::Approved);
    assert_eq!(
        review::evidence_picture(&s.state, &actor(), &decided, EvidenceKind::Face, 0)
            .await
            .unwrap_err()
            .code(),
        reset_flow::ErrorCode::CaseNotFound
    );
    let key: Option<String> =
        sqlx::query_scalar("SELECT wrapped_key FROM review_cases WHERE id = $1")
            .bind(&decided)
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(key, None, "the data key is destroyed too");
    assert!(
        review::case_detail(&s.state, &actor(), &waiting)
            .await
            .unwrap()
            .evidence
            .len()
            == 6
    );
    // Running again finds nothing more.
    assert_eq!(purge_due(&s.state).await.unwrap().cases, 0);
    let purged_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE event = 'evidence_purged'")
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(purged_events, 2);
}

const K1: &str = "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const K2: &str = "k2:1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

fn set_keys(keys: &'static str) -> impl FnOnce(&mut reset_bank::Settings) {
    move |s| s.evidence.master_keys = keys.into()
}

#[tokio::test]
async fn rotation_rewraps_case_keys_with_the_new_master_key() {
    let db = FreshDb::new(TestDb::Sqlite).await.unwrap();
    let clock = ManualClock::new(TEST_START);
    let s = TestServer::start_on(&db.url, clock.clone(), set_keys(K1)).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    s.stop().await;

    // The new key alone cannot open a case wrapped by the old one.
    let s = TestServer::start_on(&db.url, clock.clone(), set_keys(K2)).await;
    assert_eq!(
        review::evidence_picture(&s.state, &actor(), &case, EvidenceKind::IdBack, 0)
            .await
            .unwrap_err()
            .code(),
        reset_flow::ErrorCode::Internal
    );
    s.stop().await;

    let out = Command::new(env!("CARGO_BIN_EXE_reset-server"))
        .args(["--database-url", &db.url, "vault", "rotate"])
        .env("RESET_LOG", "error")
        .env("RESET_EVIDENCE__MASTER_KEYS", format!("{K1},{K2}"))
        .env("RESET_EVIDENCE__DIR", test_evidence_dir(&db.url))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("re-wrapped 1 case keys with master key \"k2\""),
        "{stdout}"
    );

    let s = TestServer::start_on(&db.url, clock, set_keys(K2)).await;
    let jpeg = review::evidence_picture(&s.state, &actor(), &case, EvidenceKind::IdBack, 0)
        .await
        .unwrap();
    assert!(image::load_from_memory(&jpeg).is_ok());
    let key_id: String = sqlx::query_scalar("SELECT key_id FROM review_cases WHERE id = $1")
        .bind(&case)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(key_id, "k2");
    s.stop().await;
}

#[test]
fn serve_without_a_master_key_is_a_clear_startup_error() {
    let dir = std::env::temp_dir().join(format!("reset-nokey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("reset.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_reset-server"))
        .args(["--database-url", &url, "serve", "--listen", "127.0.0.1:0"])
        .env("RESET_LOG", "error")
        .env("RESET_STAFF_LISTEN", "off")
        .env("RESET_ADMIN_LISTEN", "off")
        .env("RESET_SMS__GATEWAY", "http")
        .env("RESET_SMS__HTTP_URL", "http://127.0.0.1:9/sms")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no evidence master key is configured"),
        "{stderr}"
    );
    // An operator makes one with the CLI.
    let new_key = Command::new(env!("CARGO_BIN_EXE_reset-server"))
        .args(["vault", "new-key", "--id", "2026-11"])
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&new_key.stdout);
    assert!(
        line.starts_with("2026-11:") && line.trim().len() == 8 + 64,
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
