//! Where the sealed pictures lie: the database (the default on PostgreSQL, so every instance
//! opens every picture), the folder of one machine, and the move between them with
//! `reset-server evidence migrate`.

use std::process::Command;

use reset_bank::clock::ManualClock;
use reset_bank::evidence::StoreKind;
use reset_testkit::pictures::face_answer;
use reset_testkit::{FreshDb, S3Server, TestDb, TestServer, TEST_START};
use serde_json::json;

use crate::staff_login::{add_staff, logged_in, REVIEWER};
use crate::{LI, ZHANG};

const PICTURES: [&str; 6] = [
    "id_front/0",
    "id_back/0",
    "handheld/0",
    "face/0",
    "face/1",
    "face/2",
];

async fn count(s: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

/// Two instances on one PostgreSQL database, each with a folder of its own: a case submitted
/// through one is reviewed on the other, every picture opening there, and approved there.
#[tokio::test]
async fn a_case_submitted_on_one_instance_opens_and_is_approved_on_the_other() {
    let Some(db) = FreshDb::new(TestDb::Postgres).await else {
        return;
    };
    let clock = ManualClock::new(TEST_START);
    let own_folder = |tag: &'static str| {
        move |s: &mut reset_bank::Settings| {
            s.evidence.dir = Some(
                std::env::temp_dir().join(format!("reset-evidence-{tag}-{}", std::process::id())),
            );
        }
    };
    let a = TestServer::start_on(&db.url, clock.clone(), own_folder("a")).await;
    let b = TestServer::start_on(&db.url, clock.clone(), own_folder("b")).await;
    assert_eq!(a.state.evidence.store.name(), "database");
    add_staff(&b).await;
    let case = a.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    assert_eq!(
        count(&a, "SELECT COUNT(*) FROM evidence_objects").await,
        count(&a, "SELECT COUNT(*) FROM evidence").await,
        "every picture a row, in the case's transaction"
    );
    let mut staff = logged_in(&b, REVIEWER).await;
    for picture in PICTURES {
        let (status, _, bytes) = staff
            .get_bytes(&format!("/staff/cases/{case}/evidence/{picture}"))
            .await;
        assert_eq!(status, 200, "{picture} on the other instance");
        assert!(bytes.starts_with(&[0xFF, 0xD8]), "{picture} is a JPEG");
    }
    let page = staff.decide(&case, "approve", "", "").await;
    assert_eq!(page.status, 303, "{}", page.body);
    for s in [&a, &b] {
        let folder = s
            .state
            .settings
            .evidence
            .folder(&s.state.settings.database_url);
        let files = std::fs::read_dir(folder).map_or(0, |d| d.count());
        assert_eq!(files, 0, "nothing on either instance's disk");
    }
    a.stop().await;
    b.stop().await;
}

fn migrate(url: &str, folder: &std::path::Path, store: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reset-server"))
        .args(["--database-url", url, "evidence", "migrate"])
        .args(args)
        .env("RESET_LOG", "error")
        .env(
            "RESET_EVIDENCE__MASTER_KEYS",
            reset_testkit::TEST_MASTER_KEYS,
        )
        .env("RESET_EVIDENCE__DIR", folder)
        .env("RESET_EVIDENCE__STORE", store)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// One machine's folder moved into the database and back out to another folder: each run copies
/// and reads back, a second run finds them there, and the pictures open from the new store.
#[tokio::test]
async fn pictures_move_between_the_folder_and_the_database() {
    let db = FreshDb::new(TestDb::Sqlite).await.unwrap();
    let s = TestServer::start_on(&db.url, ManualClock::new(TEST_START), |_| {}).await;
    assert_eq!(s.state.evidence.store.name(), "disk");
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    s.submit_path_b_case(LI.0, LI.1).await;
    let on_disk = s.sealed_objects().await;
    assert_eq!(on_disk.len(), 12);
    let url = s.state.settings.database_url.clone();
    let folder = s.state.settings.evidence.folder(&url);

    let (ok, out) = migrate(&url, &folder, "disk", &["--to", "database"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("disk -> database: 12 copied and read back, 0 there already"),
        "{out}"
    );
    let (ok, out) = migrate(&url, &folder, "disk", &["--to", "database"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("0 copied and read back, 12 there already"),
        "{out}"
    );
    let in_db: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT object_id, sealed FROM evidence_objects ORDER BY object_id")
            .fetch_all(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(in_db, on_disk, "the same sealed bytes under the same ids");
    s.stop().await;

    // Served from the database now, with the folder gone.
    std::fs::remove_dir_all(&folder).unwrap();
    let s = TestServer::start_on(&url, ManualClock::new(TEST_START), |s| {
        s.evidence.store = StoreKind::Database
    })
    .await;
    add_staff(&s).await;
    let mut staff = logged_in(&s, REVIEWER).await;
    for picture in PICTURES {
        let (status, _, _) = staff
            .get_bytes(&format!("/staff/cases/{case}/evidence/{picture}"))
            .await;
        assert_eq!(status, 200, "{picture} from the database");
    }

    // And out again to another folder, removing the rows once each copy is read back.
    let other = folder.with_file_name("evidence-moved");
    let (ok, out) = migrate(
        &url,
        &folder,
        "database",
        &[
            "--to",
            "disk",
            "--dir",
            other.to_str().unwrap(),
            "--remove-old",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("database -> disk: 12 copied"), "{out}");
    assert!(out.contains("12 removed from the old store"), "{out}");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM evidence_objects").await, 0);
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 12);

    // Into the store it is already in: refused, nothing changed.
    let (ok, out) = migrate(&url, &folder, "database", &["--to", "database"]);
    assert!(!ok && out.contains("already"), "{out}");
    s.stop().await;
    std::fs::remove_dir_all(&other).unwrap();
}

/// Pictures in an S3-compatible object store: uploaded, shown to the reviewer, approved; what
/// lies in the store is sealed, under random names; a store with wrong keys refuses the upload
/// and nothing is kept.
#[tokio::test]
async fn pictures_in_an_s3_store_are_sealed_and_reviewed() {
    let Some(s3) = S3Server::start("evidence").await else {
        return;
    };
    let settings = s3.settings("cases/");
    let s = TestServer::start_with(TestDb::Sqlite, |s| {
        s.evidence.store = StoreKind::S3;
        s.evidence.s3 = settings.clone();
    })
    .await
    .unwrap();
    assert_eq!(s.state.evidence.store.name(), "s3");
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut staff = logged_in(&s, REVIEWER).await;
    for picture in PICTURES {
        let (status, _, bytes) = staff
            .get_bytes(&format!("/staff/cases/{case}/evidence/{picture}"))
            .await;
        assert_eq!(status, 200, "{picture} from the object store");
        assert!(bytes.starts_with(&[0xFF, 0xD8]));
    }
    let stored: Vec<_> = std::fs::read_dir(s3.root.join(&s3.bucket).join("cases"))
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .filter(|(name, _)| name.ends_with(".sealed"))
        .collect();
    assert_eq!(
        stored.len(),
        6,
        "{:?}",
        stored.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &stored {
        assert_eq!(name.len(), 32 + ".sealed".len());
        assert!(!bytes.starts_with(&[0xFF, 0xD8]), "sealed, not a JPEG");
    }
    let page = staff.decide(&case, "approve", "", "").await;
    assert_eq!(page.status, 303, "{}", page.body);
    s.stop().await;

    // Wrong keys: the store refuses, the upload answers service_unavailable, nothing is kept.
    let s = TestServer::start_with(TestDb::Sqlite, |s| {
        s.evidence.store = StoreKind::S3;
        s.evidence.s3 = reset_bank::evidence::S3Settings {
            secret_access_key: "wrong".into(),
            ..settings
        };
    })
    .await
    .unwrap();
    let flow = s.start_path_b(LI.0, LI.1).await;
    let (frames, record) = face_answer(&s.face_challenge(&flow).await);
    let (status, body) = s.post_face(&flow, &frames, &record).await;
    assert_eq!(
        (status, &body["code"]),
        (503, &json!("service_unavailable"))
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM evidence").await, 0);
    let (_, body) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!(body["step"], "face", "the step did not move");
    s.stop().await;
}
