//! The server's reading of the uploaded ID front: done in the background after the upload,
//! compared with what was typed and shown to the reviewer; someone else's card, a picture with
//! no card and missing models all leave the case to the reviewer, and a case uploaded while
//! the reader was off is read by the next server that has it. A case claimed by another server
//! is left to it, one whose store does not answer waits for the next round, and the purge takes
//! what was read along with the pictures.

use reset_bank::clock::Clock;
use reset_bank::evidence::id_reading::read_waiting;
use reset_bank::evidence::picture_store::StoreFuture;
use reset_bank::evidence::EvidenceStore;
use reset_bank::review::{self, Decision, StaffActor};
use reset_testkit::pictures::{id_card_front, plain_jpeg};
use reset_testkit::specimen::random_face;
use reset_testkit::TestServer;

use crate::staff_login::{add_staff, logged_in, REVIEWER};

/// The reader on, its timer far off: a case is read because its upload woke the reader.
fn reading_on(s: &mut reset_bank::Settings) {
    s.ocr.enabled = true;
    s.ocr.every_s = 3600;
}

fn not_stopping() -> tokio::sync::watch::Receiver<bool> {
    tokio::sync::watch::channel(false).1
}

/// The badge after the element with `id` on the case page.
fn verdict(page: &str, id: &str) -> String {
    let at = page.find(&format!("id=\"{id}\"")).expect("the OCR card");
    let rest = &page[at..];
    let end = rest.find("</dd>").expect("end of the field");
    ["一致", "不一致", "无法判断"]
        .into_iter()
        .rev()
        .find(|v| rest[..end].contains(&format!(">{v}<")))
        .unwrap_or("")
        .to_owned()
}

async fn case_page(s: &TestServer, case: &str) -> String {
    let mut c = logged_in(s, REVIEWER).await;
    let page = c.get(&format!("/staff/cases/{case}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
}

both!(
    the_customers_own_card_is_read_and_shown_as_matching,
    super::reading_on
);
async fn the_customers_own_card_is_read_and_shown_as_matching(s: TestServer) {
    add_staff(&s).await;
    // Seed 1004 draws a name with the middle dot.
    let face = random_face(1004);
    assert!(face.name.contains('·'));
    let front = id_card_front(&face.number, &face.name, 1004);
    let case = s
        .submit_path_b_case_with_front(&face.number, &face.name, front)
        .await;
    let read = s.id_front_read(&case).await;
    assert_eq!(read.ocr_id_number.as_deref(), Some(face.number.as_str()));
    assert_eq!(read.ocr_name.as_deref(), Some(face.name.as_str()));
    assert_eq!(
        (read.ocr_number_matches, read.ocr_name_matches),
        (Some(1), Some(1))
    );
    assert_eq!(read.state, "pending");
    let page = case_page(&s, &case).await;
    assert_eq!(verdict(&page, "ocr-number"), "一致");
    assert_eq!(verdict(&page, "ocr-name"), "一致");
    // The audit says what was found, never the values.
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE event = 'id_front_read' AND detail LIKE $1",
    )
    .bind(format!("%{case}%"))
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();
    assert!(detail.contains("\"number_matches\":true"), "{detail}");
    assert!(!detail.contains(&face.number) && !detail.contains(&face.name));
}

both!(
    someone_elses_card_is_flagged_and_left_to_the_reviewer,
    super::reading_on
);
async fn someone_elses_card_is_flagged_and_left_to_the_reviewer(s: TestServer) {
    add_staff(&s).await;
    let typed = random_face(1001);
    let other = random_face(1002);
    assert_ne!(typed.name, other.name);
    let front = id_card_front(&other.number, &other.name, 1002);
    let case = s
        .submit_path_b_case_with_front(&typed.number, &typed.name, front)
        .await;
    let read = s.id_front_read(&case).await;
    assert_eq!(read.ocr_id_number.as_deref(), Some(other.number.as_str()));
    assert_eq!(
        (read.ocr_number_matches, read.ocr_name_matches),
        (Some(0), Some(0))
    );
    // Only a hint: the case waits for a person like any other.
    assert_eq!(read.state, "pending");
    let page = case_page(&s, &case).await;
    assert_eq!(verdict(&page, "ocr-number"), "不一致");
    assert_eq!(verdict(&page, "ocr-name"), "不一致");
    assert!(page.contains("通过") && page.contains("拒绝"));
}

both!(
    a_front_without_a_card_is_recorded_as_unread,
    super::reading_on
);
async fn a_front_without_a_card_is_recorded_as_unread(s: TestServer) {
    add_staff(&s).await;
    let face = random_face(1003);
    let case = s
        .submit_path_b_case_with_front(&face.number, &face.name, plain_jpeg(1200, 760))
        .await;
    let read = s.id_front_read(&case).await;
    assert_eq!((read.ocr_id_number, read.ocr_name), (None, None));
    assert_eq!(
        (read.ocr_number_matches, read.ocr_name_matches),
        (None, None)
    );
    let page = case_page(&s, &case).await;
    assert!(page.contains("未识别"));
    assert_eq!(verdict(&page, "ocr-number"), "无法判断");
    // Read once: another round does not read it again.
    assert_eq!(read_waiting(&s.state, &not_stopping()).await.unwrap(), 0);
}

#[tokio::test]
async fn without_the_models_cases_wait_and_a_server_with_them_reads_them() {
    let empty = std::env::temp_dir().join(format!("reset-no-models-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let models_elsewhere = empty.clone();
    let s = TestServer::start_with(reset_testkit::TestDb::Sqlite, move |st| {
        st.ocr.enabled = true;
        st.ocr.model_dir = Some(models_elsewhere);
    })
    .await
    .unwrap();
    add_staff(&s).await;
    let face = random_face(1005);
    let front = id_card_front(&face.number, &face.name, 1005);
    let case = s
        .submit_path_b_case_with_front(&face.number, &face.name, front)
        .await;
    // The server answers as ever; the case waits, unread, and the reviewer is told so.
    assert_eq!(read_waiting(&s.state, &not_stopping()).await.unwrap(), 0);
    let row = reset_bank::store::cases::by_id(&s.state.db, &case)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.ocr_read_at, None);
    assert!(case_page(&s, &case).await.contains("暂无识别结果"));

    // A second server on the same database, with the models, reads what was left.
    let url = s.state.settings.database_url.clone();
    let other = TestServer::start_on(&url, s.clock.clone(), reading_on).await;
    let read = other.id_front_read(&case).await;
    assert_eq!(read.ocr_id_number.as_deref(), Some(face.number.as_str()));
    assert_eq!(read.ocr_name_matches, Some(1));
    std::fs::remove_dir_all(&empty).unwrap();
}

#[tokio::test]
async fn a_case_claimed_by_another_server_is_left_to_it_until_the_claim_runs_out() {
    let s = TestServer::start_with(reset_testkit::TestDb::Sqlite, |st| {
        // The worker stays off: this test is the only reader.
        st.ocr.enabled = false;
    })
    .await
    .unwrap();
    let face = random_face(1006);
    let front = id_card_front(&face.number, &face.name, 1006);
    let case = s
        .submit_path_b_case_with_front(&face.number, &face.name, front)
        .await;
    let now = reset_bank::store::ms(s.clock.now());
    sqlx::query("UPDATE review_cases SET ocr_claimed_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&case)
        .execute(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(read_waiting(&s.state, &not_stopping()).await.unwrap(), 0);
    s.clock.advance(time::Duration::minutes(11));
    assert_eq!(read_waiting(&s.state, &not_stopping()).await.unwrap(), 1);
    let read = s.id_front_read(&case).await;
    assert_eq!(read.ocr_id_number.as_deref(), Some(face.number.as_str()));
}

#[tokio::test]
async fn the_purge_takes_what_was_read_with_the_pictures() {
    let s = TestServer::start_with(reset_testkit::TestDb::Sqlite, reading_on)
        .await
        .unwrap();
    let face = random_face(1007);
    let front = id_card_front(&face.number, &face.name, 1007);
    let case = s
        .submit_path_b_case_with_front(&face.number, &face.name, front)
        .await;
    assert!(s.id_front_read(&case).await.ocr_name.is_some());
    let actor = StaffActor {
        staff_id: 1,
        username: "reviewer1".into(),
    };
    let reject = Decision::Reject {
        reason: "证件照片不清晰".into(),
    };
    review::decide(&s.state, &actor, &case, reject)
        .await
        .unwrap();
    s.clock.advance(time::Duration::days(31));
    reset_bank::evidence::purge::purge_due(&s.state)
        .await
        .unwrap();
    let row = reset_bank::store::cases::by_id(&s.state.db, &case)
        .await
        .unwrap()
        .unwrap();
    assert!(row.purged_at.is_some());
    assert_eq!((row.ocr_id_number, row.ocr_name), (None, None));
    // Whether it matched stays, for the record.
    assert_eq!(row.ocr_name_matches, Some(1));
}

/// A store that does not answer, as a network store may not.
struct Unreachable;

impl EvidenceStore for Unreachable {
    fn put<'a>(&'a self, _: &'a str, _: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(std::io::Error::other("unreachable")) })
    }
    fn get<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(async { Err(std::io::Error::other("unreachable")) })
    }
    fn delete<'a>(&'a self, _: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(std::io::Error::other("unreachable")) })
    }
    fn name(&self) -> &'static str {
        "unreachable"
    }
}

#[tokio::test]
async fn a_store_that_does_not_answer_leaves_the_case_for_the_next_round() {
    let s = TestServer::start_with(reset_testkit::TestDb::Sqlite, |st| {
        st.ocr.enabled = false;
    })
    .await
    .unwrap();
    let face = random_face(1008);
    let front = id_card_front(&face.number, &face.name, 1008);
    let case = s
        .submit_path_b_case_with_front(&face.number, &face.name, front)
        .await;
    let mut cut_off = s.state.clone();
    cut_off.evidence.store = std::sync::Arc::new(Unreachable);
    assert_eq!(read_waiting(&cut_off, &not_stopping()).await.unwrap(), 0);
    let row = reset_bank::store::cases::by_id(&s.state.db, &case)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.ocr_read_at, None, "still waiting");
    // The claim was given back: the next round reads it at once, not ten minutes later.
    assert_eq!(read_waiting(&s.state, &not_stopping()).await.unwrap(), 1);
    let read = s.id_front_read(&case).await;
    assert_eq!(read.ocr_name.as_deref(), Some(face.name.as_str()));
}
