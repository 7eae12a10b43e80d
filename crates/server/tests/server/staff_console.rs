//! The review console over HTTP: the queue in due order with overdue cases marked and paging,
//! the case page and its pictures, decisions through the forms, CSRF refusals that change
//! nothing, reviewer and supervisor rights, the two-reviewer race, and escaping.

use reset_testkit::Page;
use reset_testkit::{TestServer, CONTACT_PHONE, PATH_B_PASSWORD};
use serde_json::json;
use time::Duration;

use crate::staff_login::{add_staff, logged_in, REVIEWER, SUPERVISOR};
use crate::{LI, ZHANG};

async fn case_state(s: &TestServer, case_id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM review_cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

async fn due_at(s: &TestServer, case_id: &str) -> i64 {
    sqlx::query_scalar("SELECT due_at FROM review_cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

/// The case ids linked from a queue page, top to bottom.
fn linked_cases(page: &Page) -> Vec<String> {
    page.body
        .split("href=\"/staff/cases/")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

both!(the_queue_lists_cases_by_due_time_and_marks_overdue_ones);
async fn the_queue_lists_cases_by_due_time_and_marks_overdue_ones(s: TestServer) {
    add_staff(&s).await;
    // A day apart, so their T+1 due times differ.
    let first = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    s.clock.advance(Duration::days(1));
    let second = s.submit_path_b_case(LI.0, LI.1).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let page = c.get("/staff").await;
    assert_eq!(page.status, 200);
    assert_eq!(linked_cases(&page), [first.clone(), second.clone()]);
    assert!(page.body.contains("共 2 件"));
    assert!(!page.body.contains("逾期"), "nothing overdue yet");
    assert!(
        page.body.contains("*三"),
        "names are masked in the list: {}",
        page.body
    );
    assert!(
        !page.body.contains(ZHANG.0),
        "no full ID number in the list"
    );
    // Past the first case's due time only.
    let (due_first, due_second) = (due_at(&s, &first).await, due_at(&s, &second).await);
    assert!(due_first < due_second);
    let now = reset_bank::store::ms(s.state.clock.now());
    s.clock
        .advance(Duration::milliseconds(due_first - now + 60_000));
    let mut c = logged_in(&s, REVIEWER).await;
    let page = c.get("/staff").await;
    assert_eq!(
        page.body.matches("badge-overdue").count(),
        1,
        "{}",
        page.body
    );
    assert!(page.body.contains("逾期"));
    assert_eq!(
        linked_cases(&page),
        [first, second],
        "the overdue case stays on top"
    );
}

both!(the_queue_pages, |s: &mut reset_bank::Settings| s
    .staff
    .page_size =
    10);
async fn the_queue_pages(s: TestServer) {
    add_staff(&s).await;
    s.insert_pending_cases(25).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let mut seen = Vec::new();
    for (page_no, expected) in [(1, 10), (2, 10), (3, 5)] {
        let page = c.get(&format!("/staff?page={page_no}")).await;
        assert!(page.body.contains(&format!("第 {page_no} / 3 页")));
        let ids = linked_cases(&page);
        assert_eq!(ids.len(), expected, "page {page_no}");
        seen.extend(ids);
    }
    let mut by_due: Vec<String> =
        sqlx::query_scalar("SELECT id FROM review_cases ORDER BY due_at, submitted_at, id")
            .fetch_all(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(seen, by_due, "most urgent first across pages");
    by_due.dedup();
    assert_eq!(by_due.len(), 25);
}

both!(the_case_page_shows_the_typed_identity_and_every_picture);
async fn the_case_page_shows_the_typed_identity_and_every_picture(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let page = c.get(&format!("/staff/cases/{case}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        ZHANG.0,
        ZHANG.1,
        "身份证正面",
        "身份证反面",
        "手持身份证照",
        "人脸识别照片 1",
        "通过",
        "拒绝",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    for reason in ["证件照片不清晰", "人脸与证件不符", "资料不完整", "其他"] {
        assert!(page.body.contains(reason));
    }
    let pictures: Vec<String> = page
        .body
        .split("src=\"")
        .skip(1)
        .map(|r| r[..r.find('"').unwrap()].to_owned())
        .collect();
    assert!(pictures.len() >= 4, "{pictures:?}");
    for src in &pictures {
        let (status, headers, bytes) = c.get_bytes(src).await;
        assert_eq!(status, 200, "{src}");
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(&bytes[..2], &[0xFF, 0xD8], "a JPEG");
    }
    let views: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE event = 'evidence_viewed'")
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        views,
        pictures.len() as i64,
        "every picture shown is audited"
    );
    let (status, _, _) = c
        .get_bytes(&format!("/staff/cases/{case}/evidence/passport_scan/0"))
        .await;
    assert_eq!(status, 404);
}

both!(approving_through_the_form_sets_the_new_password);
async fn approving_through_the_form_sets_the_new_password(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let page = c.decide(&case, "approve", "", "").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location(),
        Some(format!("/staff?done=approve&case={case}").as_str())
    );
    assert_eq!(case_state(&s, &case).await, "approved");
    let queue = c.get(page.location().unwrap()).await;
    assert!(queue.body.contains("已审核通过"));
    assert!(linked_cases(&queue).is_empty(), "the case left the queue");
    let (status, _) = s
        .post(
            "/v1/login",
            json!({"id_type": "id_card", "id_number": ZHANG.0, "password": PATH_B_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "the new password works");
}

both!(rejecting_needs_a_reason_and_escapes_the_note);
async fn rejecting_needs_a_reason_and_escapes_the_note(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let page = c.decide(&case, "reject", "", "").await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("reason_required"));
    let page = c.decide(&case, "reject", "其他", "  ").await;
    assert_eq!(page.status, 422, "其他 needs a note");
    assert_eq!(case_state(&s, &case).await, "pending");

    let hostile = "<script>alert(1)</script>\"'&";
    let page = c.decide(&case, "reject", "其他", hostile).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(case_state(&s, &case).await, "rejected");
    let sms = s.sms_to(CONTACT_PHONE).await;
    assert!(
        sms.last().unwrap().contains("其他：<script>"),
        "the SMS carries the note as typed"
    );

    let mut boss = logged_in(&s, SUPERVISOR).await;
    let page = boss.get(&format!("/staff/cases/{case}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("其他：&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>"));
}

both!(decisions_without_the_csrf_token_change_nothing);
async fn decisions_without_the_csrf_token_change_nothing(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let mut other = logged_in(&s, SUPERVISOR).await;
    let others_token = other.csrf().await;
    let path = format!("/staff/cases/{case}/decision");
    for fields in [
        vec![("decision", "approve")],
        vec![("decision", "approve"), ("csrf", "")],
        vec![("decision", "approve"), ("csrf", "0123456789abcdef")],
        vec![("decision", "approve"), ("csrf", others_token.as_str())],
    ] {
        let page = c.post_form(&path, &fields).await;
        assert_eq!(page.status, 403, "{fields:?}");
        assert!(page.body.contains("csrf_invalid"));
    }
    assert_eq!(case_state(&s, &case).await, "pending");
    let decided: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event IN ('case_approved', 'case_rejected')",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();
    assert_eq!(decided, 0);
}

both!(reviewers_work_the_queue_and_supervisors_also_see_decided_cases);
async fn reviewers_work_the_queue_and_supervisors_also_see_decided_cases(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut reviewer = logged_in(&s, REVIEWER).await;
    let mut boss = logged_in(&s, SUPERVISOR).await;
    let page = reviewer.get(&format!("/staff/cases/{case}")).await;
    assert!(
        !page.body.contains("操作记录"),
        "no audit trail for reviewers"
    );
    assert_eq!(reviewer.decide(&case, "approve", "", "").await.status, 303);
    let views_before: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event IN ('case_viewed', 'evidence_viewed')",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();

    for path in [
        "/staff?state=approved",
        "/staff?state=rejected",
        &format!("/staff/cases/{case}"),
    ] {
        let page = reviewer.get(path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.body.contains("forbidden"));
    }
    let (status, _, _) = reviewer
        .get_bytes(&format!("/staff/cases/{case}/evidence/id_front/0"))
        .await;
    assert_eq!(status, 403, "nor its pictures");
    let views: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event IN ('case_viewed', 'evidence_viewed')",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();
    assert_eq!(views, views_before, "refused looks are no views");
    assert!(
        !reviewer.get("/staff").await.body.contains("已通过案件"),
        "no menu entry"
    );

    let page = boss.get("/staff?state=approved").await;
    assert_eq!(page.status, 200);
    assert_eq!(linked_cases(&page), [case.as_str()]);
    let page = boss.get(&format!("/staff/cases/{case}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("审核结果") && page.body.contains(REVIEWER.0));
    assert!(page.body.contains("操作记录"));
    for line in ["提交人工审核", "查看案件", "审核通过"] {
        assert!(page.body.contains(line), "{line} missing from the trail");
    }
    // Supervisors decide too.
    let second = s.submit_path_b_case(LI.0, LI.1).await;
    assert_eq!(
        boss.decide(&second, "reject", "资料不完整", "")
            .await
            .status,
        303
    );
    assert_eq!(case_state(&s, &second).await, "rejected");
}

both!(of_two_reviewers_deciding_at_once_exactly_one_lands);
async fn of_two_reviewers_deciding_at_once_exactly_one_lands(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut a = logged_in(&s, REVIEWER).await;
    let mut b = logged_in(&s, SUPERVISOR).await;
    let (ta, tb) = (a.csrf().await, b.csrf().await);
    let path = format!("/staff/cases/{case}/decision");
    let approve = [("decision", "approve"), ("csrf", ta.as_str())];
    let reject = [
        ("decision", "reject"),
        ("reason", "资料不完整"),
        ("csrf", tb.as_str()),
    ];
    let (pa, pb) = tokio::join!(a.post_form(&path, &approve), b.post_form(&path, &reject));
    let mut statuses = [pa.status, pb.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "{} / {}", pa.body, pb.body);
    let loser = if pa.status == 409 { &pa } else { &pb };
    assert!(loser.body.contains("案件已被他人处理"));
    let winner = if pa.status == 303 {
        "approved"
    } else {
        "rejected"
    };
    assert_eq!(case_state(&s, &case).await, winner);
    let decided: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event IN ('case_approved', 'case_rejected')",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();
    assert_eq!(decided, 1);
}

both!(unknown_cases_are_not_found);
async fn unknown_cases_are_not_found(s: TestServer) {
    add_staff(&s).await;
    let mut c = logged_in(&s, REVIEWER).await;
    for path in [
        "/staff/cases/0123456789abcdef0123456789abcdef",
        "/staff/cases/%3Cscript%3E",
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.body.contains("case_not_found"));
    }
    let page = c
        .decide("0123456789abcdef0123456789abcdef", "approve", "", "")
        .await;
    assert_eq!(page.status, 404);
}

/// The queue's page query reads the (state, due_at, …) index in order instead of sorting cases.
#[tokio::test]
async fn the_queue_query_uses_the_state_and_due_time_index() {
    let s = TestServer::start(reset_testkit::TestDb::Sqlite)
        .await
        .unwrap();
    s.insert_pending_cases(200).await;
    sqlx::query("ANALYZE")
        .execute(&s.state.db.pool)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query(
        // As `review::queue` reads a page of pending cases: whole rows, most urgent first.
        "EXPLAIN QUERY PLAN SELECT * FROM review_cases WHERE state = 'pending' \
         ORDER BY due_at, submitted_at, id LIMIT 20 OFFSET 0",
    )
    .fetch_all(&s.state.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| sqlx::Row::get::<String, _>(r, 3))
    .collect();
    let plan = plan.join(" | ");
    assert!(plan.contains("INDEX review_cases_pending_order"), "{plan}");
    assert!(!plan.contains("SCAN review_cases"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "no sort of its own: {plan}");
}
