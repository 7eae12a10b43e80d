//! Path B end to end over HTTP: 手机号不可用?, face check, ID pictures, contact phone, pending
//! password, then a reviewer's decision (approve or reject) and what the customer sees.

use reset_bank::review::{self, Decision, StaffActor};
use reset_testkit::{TestServer, CONTACT_PHONE, PATH_B_PASSWORD};
use serde_json::json;
use time::Duration;

use crate::{LI, ZHANG};

async fn login(s: &TestServer, id: &str, password: &str) -> (u16, serde_json::Value) {
    s.post(
        "/v1/login",
        json!({"id_type": "id_card", "id_number": id, "password": password}),
    )
    .await
}

pub fn reviewer() -> StaffActor {
    StaffActor {
        staff_id: 1,
        username: "reviewer1".into(),
    }
}

async fn count(s: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

both!(approved_case_sets_the_pending_password_and_lifts_the_lock);
async fn approved_case_sets_the_pending_password_and_lifts_the_lock(s: TestServer) {
    let (id, name, _) = ZHANG;
    // Logged in once (a session), then locked out by five wrong passwords.
    assert_eq!(login(&s, id, "Kunlun2024").await.0, 200);
    for _ in 0..5 {
        login(&s, id, "Wrong#1234").await;
    }
    assert_eq!(login(&s, id, "Kunlun2024").await.0, 423);
    let flow = s.start_reset(id, name).await;
    let (st, b) = s
        .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
        .await;
    assert_eq!((st, &b), (200, &json!({"step": "face"})));
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!(
        (st, b["step"].as_str(), b["path"].as_str()),
        (200, Some("face"), Some("phone_unavailable"))
    );
    // Path B's idle limit is an hour.
    assert_eq!(b["expires_at"], "2026-11-27T10:00:00+08:00");
    drop(b);
    let case = s.run_path_b_from(&flow).await;
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!((st, b["step"].as_str()), (200, Some("under_review")));
    assert_eq!(b["due_by"], "2026-11-28T23:59:59+08:00");
    assert_eq!(case.due_by, "2026-11-28T23:59:59+08:00");
    // Pending: the old password still works (after the lock is lifted), the new one does not.
    assert_eq!(login(&s, id, PATH_B_PASSWORD).await.0, 423, "still locked");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM sessions").await, 1);

    // The queue shows it, masked.
    let (queue, total) = review::queue(&s.state, review::CaseState::Pending, 10, 0)
        .await
        .unwrap();
    assert_eq!((queue.len(), total), (1, 1));
    assert_eq!(queue[0].case_id, case.case_id);
    assert_eq!(queue[0].masked_id_number, "1101**********002X");
    assert_eq!(queue[0].masked_name, "*三");
    let detail = review::case_detail(&s.state, &reviewer(), &case.case_id)
        .await
        .unwrap();
    assert_eq!(
        (detail.id_number.as_str(), detail.name.as_str()),
        (id, name)
    );
    assert_eq!(detail.masked_contact_phone, "139****5678");
    assert!(detail.on_file && !detail.purged);
    let kinds: Vec<(&str, u32)> = detail
        .evidence
        .iter()
        .map(|e| (e.kind.as_str(), e.seq))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("face", 0),
            ("face", 1),
            ("face", 2),
            ("id_front", 0),
            ("id_back", 0),
            ("handheld", 0)
        ]
    );
    let front = review::evidence_picture(
        &s.state,
        &reviewer(),
        &case.case_id,
        review::EvidenceKind::IdFront,
        0,
    )
    .await
    .unwrap();
    let img = image::load_from_memory(&front).unwrap();
    assert!(img.width() <= 1600 && img.height() <= 1600);
    assert!(front.starts_with(&[0xFF, 0xD8]) && front.ends_with(&[0xFF, 0xD9]));

    s.clock.advance(Duration::hours(3));
    review::decide(&s.state, &reviewer(), &case.case_id, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM sessions").await,
        0,
        "sessions revoked"
    );
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM login_failures").await,
        0,
        "lock lifted"
    );
    assert_eq!(
        login(&s, id, "Kunlun2024").await.0,
        401,
        "the old password is gone"
    );
    assert_eq!(
        login(&s, id, PATH_B_PASSWORD).await.0,
        200,
        "the new password is in force"
    );
    let (st, b) = s.get(&format!("/v1/resets/{flow}")).await;
    assert_eq!((st, b["step"].as_str()), (200, Some("done")));
    let texts = s.sms_to(CONTACT_PHONE).await;
    assert!(texts.last().unwrap().contains("审核通过"), "{texts:?}");
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM review_cases WHERE pending_password_hash IS NOT NULL"
        )
        .await,
        0,
        "the pending hash is moved, not kept"
    );
    let detail = review::case_detail(&s.state, &reviewer(), &case.case_id)
        .await
        .unwrap();
    assert_eq!(detail.state, review::CaseState::Approved);
    assert_eq!(detail.decided_by.as_deref(), Some("reviewer1"));
    let (decided, _) = review::queue(&s.state, review::CaseState::Approved, 10, 0)
        .await
        .unwrap();
    assert_eq!(decided.len(), 1);
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM audit_events WHERE flow_id = $1 ORDER BY id")
            .bind(&flow)
            .fetch_all(&s.state.db.pool)
            .await
            .unwrap();
    for e in [
        "phone_unavailable",
        "face_passed",
        "documents_accepted",
        "contact_code_requested",
        "contact_phone_verified",
        "case_submitted",
        "case_viewed",
        "evidence_viewed",
        "case_approved",
    ] {
        assert!(events.iter().any(|x| x == e), "{e} in {events:?}");
    }
}

both!(rejected_case_tells_the_reason_and_the_customer_may_start_again);
async fn rejected_case_tells_the_reason_and_the_customer_may_start_again(s: TestServer) {
    let (id, name, _) = LI;
    let case = s.run_path_b(id, name, "13700001111", "Xiaoyu$2468").await;
    // A second path-B attempt meanwhile: refused at 手机号不可用?.
    let again = s.start_reset(id, name).await;
    let (st, b) = s
        .post(&format!("/v1/resets/{again}/phone-unavailable"), json!({}))
        .await;
    assert_eq!((st, b["code"].as_str()), (409, Some("case_pending")));
    let (st, b) = s.get(&format!("/v1/resets/{again}")).await;
    assert_eq!(
        (st, b["step"].as_str()),
        (200, Some("reserved_phone")),
        "nothing changed"
    );
    // While pending the old password works and the pending one does not.
    assert_eq!(login(&s, id, "Xiaoyu$2468").await.0, 401);
    assert_eq!(login(&s, id, "Kunlun2024").await.0, 200);

    assert_eq!(
        review::decide(
            &s.state,
            &reviewer(),
            &case.case_id,
            Decision::Reject {
                reason: "  ".into()
            }
        )
        .await
        .unwrap_err()
        .code(),
        reset_flow::ErrorCode::ReasonRequired
    );
    review::decide(
        &s.state,
        &reviewer(),
        &case.case_id,
        Decision::Reject {
            reason: "手持证件照不清晰".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        review::decide(&s.state, &reviewer(), &case.case_id, Decision::Approve)
            .await
            .unwrap_err()
            .code(),
        reset_flow::ErrorCode::CaseAlreadyDecided
    );
    let (st, b) = s.get(&format!("/v1/resets/{}", case.flow_id)).await;
    assert_eq!((st, b["step"].as_str()), (200, Some("rejected")));
    assert_eq!(b["reason"], "手持证件照不清晰");
    let texts = s.sms_to("13700001111").await;
    assert!(
        texts
            .last()
            .unwrap()
            .contains("未通过审核，原因：手持证件照不清晰"),
        "{texts:?}"
    );
    assert_eq!(login(&s, id, "Xiaoyu$2468").await.0, 401);
    assert_eq!(login(&s, id, "Kunlun2024").await.0, 200);
    // Starting again: path B is open again.
    let fresh = s.start_reset(id, name).await;
    let (st, b) = s
        .post(&format!("/v1/resets/{fresh}/phone-unavailable"), json!({}))
        .await;
    assert_eq!((st, b["step"].as_str()), (200, Some("face")), "{b}");
}

both!(two_deciders_at_once_exactly_one_lands);
async fn two_deciders_at_once_exactly_one_lands(s: TestServer) {
    let (id, name, _) = ZHANG;
    let case = s.submit_path_b_case(id, name).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let state = s.state.clone();
        let case = case.clone();
        tasks.push(tokio::spawn(async move {
            let actor = StaffActor {
                staff_id: i,
                username: format!("reviewer{i}"),
            };
            let decision = if i % 2 == 0 {
                Decision::Approve
            } else {
                Decision::Reject {
                    reason: "资料不全".into(),
                }
            };
            review::decide(&state, &actor, &case, decision).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => assert_eq!(e.code(), reset_flow::ErrorCode::CaseAlreadyDecided),
        }
    }
    assert_eq!(ok, 1);
    let decided = count(
        &s,
        "SELECT COUNT(*) FROM audit_events WHERE event IN ('case_approved', 'case_rejected')",
    )
    .await;
    assert_eq!(decided, 1);
    s.flush_sms().await;
    let texts = s.sms_to(CONTACT_PHONE).await;
    let results = texts.iter().filter(|t| t.contains("审核")).count();
    assert_eq!(results, 1, "{texts:?}");
}

both!(an_id_with_no_customer_gets_the_same_answers_and_cannot_be_approved);
async fn an_id_with_no_customer_gets_the_same_answers_and_cannot_be_approved(s: TestServer) {
    // A valid ID that is not on file, typed with any name: path B answers as for a customer.
    let case = s
        .run_path_b("110101199003074514", "赵六", "13600002222", "Lantian#579")
        .await;
    let detail = review::case_detail(&s.state, &reviewer(), &case.case_id)
        .await
        .unwrap();
    assert!(!detail.on_file);
    assert_eq!(
        review::decide(&s.state, &reviewer(), &case.case_id, Decision::Approve)
            .await
            .unwrap_err()
            .code(),
        reset_flow::ErrorCode::Forbidden
    );
    review::decide(
        &s.state,
        &reviewer(),
        &case.case_id,
        Decision::Reject {
            reason: "证件信息与开户信息不符".into(),
        },
    )
    .await
    .unwrap();
    assert!(s
        .sms_to("13600002222")
        .await
        .last()
        .unwrap()
        .contains("不符"));
}

both!(unknown_and_malformed_case_ids_are_not_found);
async fn unknown_and_malformed_case_ids_are_not_found(s: TestServer) {
    for id in ["", "../x", "0123456789abcdef0123456789abcdef", "ZZ"] {
        assert_eq!(
            review::case_detail(&s.state, &reviewer(), id)
                .await
                .unwrap_err()
                .code(),
            reset_flow::ErrorCode::CaseNotFound
        );
        assert_eq!(
            review::decide(&s.state, &reviewer(), id, Decision::Approve)
                .await
                .unwrap_err()
                .code(),
            reset_flow::ErrorCode::CaseNotFound
        );
    }
    // A case still being collected is not the reviewers' yet.
    let flow = s.path_b_to_contact_phone(ZHANG.0, ZHANG.1).await;
    let collecting: String = sqlx::query_scalar("SELECT id FROM review_cases WHERE flow_id = $1")
        .bind(&flow)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        review::case_detail(&s.state, &reviewer(), &collecting)
            .await
            .unwrap_err()
            .code(),
        reset_flow::ErrorCode::CaseNotFound
    );
    assert_eq!(
        review::queue(&s.state, review::CaseState::Pending, 10, 0)
            .await
            .unwrap()
            .1,
        0
    );
}

both!(a_reset_on_path_a_meanwhile_withdraws_the_pending_case);
async fn a_reset_on_path_a_meanwhile_withdraws_the_pending_case(s: TestServer) {
    let (id, name, reserved) = ("650102198511204562", "王五", "13800000003");
    let case = s.submit_path_b_case(id, name).await;
    s.reset_password(id, name, reserved, "Qiushui#88").await;
    let (st, b) = s
        .get(&format!("/v1/resets/{}", case_flow(&s, &case).await))
        .await;
    assert_eq!((st, b["step"].as_str()), (200, Some("rejected")));
    assert_eq!(b["reason"], reset_bank::phone_unavailable::WITHDRAWN_REASON);
    assert_eq!(
        review::decide(&s.state, &reviewer(), &case, Decision::Approve)
            .await
            .unwrap_err()
            .code(),
        reset_flow::ErrorCode::CaseAlreadyDecided
    );
    assert!(s
        .sms_to(CONTACT_PHONE)
        .await
        .last()
        .unwrap()
        .contains(reset_bank::phone_unavailable::WITHDRAWN_REASON));
    assert_eq!(login(&s, id, PATH_B_PASSWORD).await.0, 401);
    assert_eq!(login(&s, id, "Qiushui#88").await.0, 200);
}

async fn case_flow(s: &TestServer, case_id: &str) -> String {
    sqlx::query_scalar("SELECT flow_id FROM review_cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}
