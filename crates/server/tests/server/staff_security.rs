//! The staff side as an attacker tries it: approving without the second factor, a TOTP code
//! replayed or guessed, a reviewer kept out by strangers' wrong passwords, a weak staff
//! password; and what the reviewer must see before approving (earlier cases of the ID,
//! pictures that open).

use reset_testkit::StaffClient;
use reset_testkit::TestServer;
use time::Duration;

use crate::staff_login::{add_staff, logged_in, totp_now, REVIEWER, SUPERVISOR};
use crate::{LI, ZHANG};

async fn case_state(s: &TestServer, case: &str) -> String {
    sqlx::query_scalar("SELECT state FROM review_cases WHERE id = $1")
        .bind(case)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

// A stolen staff password alone does not approve: the approval needs a session signed in with
// the authenticator's code, and that code is good once.
both!(approving_needs_the_second_factor);
async fn approving_needs_the_second_factor(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut password_only = StaffClient::new(&s.staff_base);
    let page = password_only.login(REVIEWER.0, REVIEWER.1).await;
    assert_eq!(page.status, 303, "the password alone signs in to look");
    let page = password_only.decide(&case, "approve", "", "").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("second_factor_required"));
    assert_eq!(case_state(&s, &case).await, "pending");

    // A wrong code is a failed login like a wrong password, and says nothing more.
    let mut guesser = StaffClient::new(&s.staff_base);
    let wrong = guesser
        .login_with_code(REVIEWER.0, REVIEWER.1, "000000")
        .await;
    let bad_password = guesser
        .login_with_code(REVIEWER.0, "Wrong#123456", &totp_now(&s, 0))
        .await;
    assert_eq!((wrong.status, bad_password.status), (401, 401));

    // A right code signs in once; the same code again (a shoulder-surfer's replay) does not.
    s.clock.advance(Duration::seconds(30));
    let code = totp_now(&s, 0);
    let mut first = StaffClient::new(&s.staff_base);
    let page = first.login_with_code(REVIEWER.0, REVIEWER.1, &code).await;
    assert_eq!(page.status, 303);
    let mut replay = StaffClient::new(&s.staff_base);
    let page = replay.login_with_code(REVIEWER.0, REVIEWER.1, &code).await;
    assert_eq!(page.status, 401, "a used code");
    // The code of the step before still counts for drift, but it is older than the one used.
    let page = replay
        .login_with_code(REVIEWER.0, REVIEWER.1, &totp_now(&s, -1))
        .await;
    assert_eq!(page.status, 401);
    let page = first.decide(&case, "approve", "", "").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(case_state(&s, &case).await, "approved");
}

// Strangers' wrong passwords from one address lock the username for that address only; the
// reviewer at another desk still signs in. Ten times as many from anywhere lock it for all.
both!(
    a_reviewer_is_not_locked_out_by_strangers_elsewhere,
    |s: &mut reset_bank::Settings| {
        // The test client plays the bank's proxy, so X-Forwarded-For names each desk.
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.staff.max_wrong_everywhere = 12;
    }
);
async fn a_reviewer_is_not_locked_out_by_strangers_elsewhere(s: TestServer) {
    add_staff(&s).await;
    let from = |addr: &str| {
        let mut c = StaffClient::new(&s.staff_base);
        c.forwarded_for = Some(addr.to_owned());
        c
    };
    let mut stranger = from("198.51.100.7");
    for _ in 0..4 {
        let page = stranger.login(REVIEWER.0, "Wrong#123456").await;
        assert_eq!(page.status, 401);
    }
    assert_eq!(stranger.login(REVIEWER.0, "Wrong#123456").await.status, 423);
    assert_eq!(
        stranger.login(REVIEWER.0, REVIEWER.1).await.status,
        423,
        "locked for the stranger's address"
    );
    let mut desk = from("10.8.0.21");
    let page = desk.login(REVIEWER.0, REVIEWER.1).await;
    assert_eq!(page.status, 303, "the reviewer's desk is not locked");
    // A spray from many addresses reaches the bound for all of them together.
    for i in 0..12 {
        from(&format!("203.0.113.{i}"))
            .login(SUPERVISOR.0, "Wrong#123456")
            .await;
    }
    let mut desk = from("10.8.0.22");
    assert_eq!(desk.login(SUPERVISOR.0, SUPERVISOR.1).await.status, 423);
    s.clock.advance(Duration::minutes(16));
    assert_eq!(desk.login(SUPERVISOR.0, SUPERVISOR.1).await.status, 303);
}

/// A staff password opens every customer's case: `staff add` refuses weak ones.
#[test]
fn staff_passwords_must_be_strong() {
    use reset_bank::operators::staff_password_ok;
    for weak in [
        "",
        "Shenhe#2026",      // 11 characters
        "shenhewangfang",   // one kind
        "Wangfang#2026",    // the username inside
        "aaaaaaaaaaaaaaaa", // one character
        "Abcdefgh1234567",  // a plain run
        "1QAZ2WSX3EDC",     // common (in any case)
        "Shenhe 2026 abc",  // a space
    ] {
        assert!(staff_password_ok("wangfang", weak).is_err(), "{weak:?}");
    }
    assert!(staff_password_ok("wangfang", REVIEWER.1).is_ok());
    assert!(staff_password_ok("wangfang", "Qiuyue#Shenhe#2026#Kunlun").is_ok());
}

// The reviewer sees the ID's earlier cases (with when, by whom and why), so a string of
// rejected requests for one account is not missed.
both!(the_case_page_shows_the_ids_earlier_cases);
async fn the_case_page_shows_the_ids_earlier_cases(s: TestServer) {
    add_staff(&s).await;
    let first = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let page = c.decide(&first, "reject", "人脸与证件不符", "").await;
    assert_eq!(page.status, 303);
    // One abandoned after the face step.
    s.start_path_b(ZHANG.0, ZHANG.1).await;
    let second = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let other = s.submit_path_b_case(LI.0, LI.1).await;
    let page = c.get(&format!("/staff/cases/{second}")).await;
    assert_eq!(page.status, 200);
    let history = &page.body[page.body.find("id=\"history\"").expect("the history")..];
    assert!(history.contains(&first[..8]), "the rejected case is listed");
    assert!(history.contains("已拒绝") && history.contains("人脸与证件不符"));
    assert!(history.contains("wangfang"), "who decided");
    assert!(history.contains("未提交"), "the abandoned one too");
    assert!(!history.contains(&other[..8]), "another ID's case is not");
    let page = c.get(&format!("/staff/cases/{other}")).await;
    assert!(page.body.contains("无"), "no earlier case of its own");
    assert!(page.body.contains("并非经认证的活体检测"));
}

// A case whose pictures cannot be opened (lost, or on another machine's disk) cannot be
// approved: the reviewer would be approving what nobody saw.
both!(approval_needs_pictures_that_open);
async fn approval_needs_pictures_that_open(s: TestServer) {
    add_staff(&s).await;
    let case = s.submit_path_b_case(ZHANG.0, ZHANG.1).await;
    let object: String = sqlx::query_scalar(
        "SELECT object_id FROM evidence WHERE case_id = $1 AND kind = 'id_back'",
    )
    .bind(&case)
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();
    let before = s.sealed_objects().await.len();
    s.state.evidence.store.delete(&object).await.unwrap();
    assert_eq!(s.sealed_objects().await.len(), before - 1);
    let mut c = logged_in(&s, REVIEWER).await;
    let page = c.decide(&case, "approve", "", "").await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("evidence_unavailable"));
    assert_eq!(case_state(&s, &case).await, "pending");
    // Rejecting stays possible.
    let page = c.decide(&case, "reject", "资料不完整", "").await;
    assert_eq!(page.status, 303);
}

// Wrong passwords in flight when the lock is set do not lift it when they finish.
both!(racing_wrong_passwords_do_not_lift_the_lock);
async fn racing_wrong_passwords_do_not_lift_the_lock(s: TestServer) {
    add_staff(&s).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let base = s.staff_base.clone();
        calls.spawn(async move {
            let mut c = StaffClient::new(&base);
            c.login(REVIEWER.0, "Wrong#123456").await.status
        });
    }
    let answers = calls.join_all().await;
    assert!(
        answers.iter().all(|st| *st == 401 || *st == 423),
        "{answers:?}"
    );
    let mut c = StaffClient::new(&s.staff_base);
    assert_eq!(
        c.login(REVIEWER.0, REVIEWER.1).await.status,
        423,
        "the lock holds"
    );
}

// Whoever has a staff password cannot guess the TOTP code forever: wrong codes are counted on
// the staff member, and a password-only sign-in does not clear them.
both!(wrong_totp_codes_lock_the_second_factor);
async fn wrong_totp_codes_lock_the_second_factor(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    for round in 0..5 {
        let page = c.login_with_code(REVIEWER.0, REVIEWER.1, "000001").await;
        assert_eq!(page.status, 401, "wrong code {round}");
        if round == 2 {
            // A password-only sign-in between the guesses.
            assert_eq!(c.login(REVIEWER.0, REVIEWER.1).await.status, 303);
            c = StaffClient::new(&s.staff_base);
        }
    }
    s.clock.advance(Duration::seconds(30));
    let page = c
        .login_with_code(REVIEWER.0, REVIEWER.1, &totp_now(&s, 0))
        .await;
    assert_eq!(
        page.status, 401,
        "the second factor is locked, even for a right code"
    );
    s.clock.advance(Duration::minutes(16));
    let page = c
        .login_with_code(REVIEWER.0, REVIEWER.1, &totp_now(&s, 0))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
}
