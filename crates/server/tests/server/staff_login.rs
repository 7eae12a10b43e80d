//! The staff side's login: the same answer for unknown users and wrong passwords, the lockout
//! and its end, the session cookie, idle and absolute expiry, logout, CSRF on the login form,
//! the per-IP limit, security headers, and the audit trail without passwords.

use reset_testkit::StaffClient;
use reset_testkit::TestServer;
use time::Duration;

pub const REVIEWER: (&str, &str) = ("wangfang", "Shenhe#2026a");
pub const SUPERVISOR: (&str, &str) = ("zhaolei", "Zhuguan#2026b");

/// The TOTP secret the test staff are enrolled with (RFC 6238's test secret).
pub const TOTP_SECRET: &[u8] = b"12345678901234567890";

/// Adds the reviewer and the supervisor logins.
pub async fn add_staff(s: &TestServer) {
    let now = s.state.clock.now();
    for ((user, pass), role) in [(REVIEWER, "reviewer"), (SUPERVISOR, "supervisor")] {
        reset_bank::operators::add_staff(
            &s.state.db,
            &s.state.hasher,
            now,
            user,
            pass,
            role,
            TOTP_SECRET,
        )
        .await
        .expect("staff add");
    }
}

/// The authenticator's code now, on the server's clock, `steps` 30-second steps on.
pub fn totp_now(s: &TestServer, steps: i64) -> String {
    let t = s.state.clock.now().unix_timestamp() + steps * 30;
    reset_bank::staff::totp::code_at(TOTP_SECRET, t as u64)
}

/// A browser logged in as `who`, with the second factor (it may approve). Each login takes the
/// next 30-second step, as a code is good once.
pub async fn logged_in(s: &TestServer, who: (&str, &str)) -> StaffClient {
    s.clock.advance(Duration::seconds(30));
    let mut c = StaffClient::new(&s.staff_base);
    let page = c.login_with_code(who.0, who.1, &totp_now(s, 0)).await;
    assert_eq!(
        (page.status, page.location()),
        (303, Some("/staff")),
        "{}",
        page.body
    );
    c
}

async fn sessions(s: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM staff_sessions")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

both!(login_opens_the_console_with_a_strict_cookie);
async fn login_opens_the_console_with_a_strict_cookie(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    let form = c.get("/staff/login").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("员工登录"), "{}", form.body);
    let csrf = form.csrf().expect("the login form carries a csrf field");
    let page = c
        .post_form(
            "/staff/login",
            &[
                ("username", REVIEWER.0),
                ("password", REVIEWER.1),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!((page.status, page.location()), (303, Some("/staff")));
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("staff_session="))
        .expect("a session cookie");
    let token = cookie["staff_session=".len()..].split(';').next().unwrap();
    assert!(token.len() >= 32, "at least 128 bits: {token}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/staff"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no TLS configured: {cookie}");
    // Only the token's hash is stored.
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM staff_sessions")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_ne!(stored, token);
    let queue = c.get("/staff").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(REVIEWER.0) && queue.body.contains("待审核案件"));
}

both!(
    the_cookie_is_secure_when_configured,
    |s: &mut reset_bank::Settings| s.staff.secure_cookies = true
);
async fn the_cookie_is_secure_when_configured(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    let page = c.login(REVIEWER.0, REVIEWER.1).await;
    let cookies = page.set_cookies();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("staff_session="))
        .unwrap();
    assert!(session.contains("; Secure"), "{session}");
}

both!(unknown_users_answer_like_wrong_passwords);
async fn unknown_users_answer_like_wrong_passwords(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    let wrong = c.login(REVIEWER.0, "Wrong#123456").await;
    let unknown = c.login("nobody", "Wrong#123456").await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("staff_bad_credentials") && wrong.body.contains("用户名或密码错误")
    );
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(sessions(&s).await, 0);
    assert_eq!(c.get("/staff").await.location(), Some("/staff/login"));
}

both!(five_wrong_passwords_lock_until_the_lock_runs_out);
async fn five_wrong_passwords_lock_until_the_lock_runs_out(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    for _ in 0..4 {
        assert_eq!(c.login(REVIEWER.0, "Wrong#123456").await.status, 401);
    }
    let fifth = c.login(REVIEWER.0, "Wrong#123456").await;
    assert_eq!(fifth.status, 423);
    assert!(fifth.body.contains("staff_locked"));
    let right = c.login(REVIEWER.0, REVIEWER.1).await;
    assert_eq!(
        right.status, 423,
        "the right password does not open a locked login"
    );
    // Unknown names lock the same way.
    for _ in 0..4 {
        c.login("nobody", "Wrong#123456").await;
    }
    assert_eq!(c.login("nobody", "Wrong#123456").await.status, 423);

    s.clock.advance(Duration::minutes(14));
    assert_eq!(c.login(REVIEWER.0, REVIEWER.1).await.status, 423);
    s.clock.advance(Duration::minutes(1));
    let page = c.login(REVIEWER.0, REVIEWER.1).await;
    assert_eq!((page.status, page.location()), (303, Some("/staff")));
    // The count starts again after the lock.
    let mut other = StaffClient::new(&s.staff_base);
    assert_eq!(other.login(REVIEWER.0, "Wrong#123456").await.status, 401);
}

both!(
    the_lockout_is_configurable,
    |s: &mut reset_bank::Settings| {
        s.staff.max_wrong = 2;
        s.staff.lock_s = 60;
    }
);
async fn the_lockout_is_configurable(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    assert_eq!(c.login(SUPERVISOR.0, "Wrong#123456").await.status, 401);
    assert_eq!(c.login(SUPERVISOR.0, "Wrong#123456").await.status, 423);
    s.clock.advance(Duration::seconds(61));
    assert_eq!(c.login(SUPERVISOR.0, SUPERVISOR.1).await.status, 303);
}

both!(sessions_end_when_idle_or_too_old);
async fn sessions_end_when_idle_or_too_old(s: TestServer) {
    add_staff(&s).await;
    let mut c = logged_in(&s, REVIEWER).await;
    // In use every 14 minutes: stays open (idle limit 15 minutes) ...
    for _ in 0..4 {
        s.clock.advance(Duration::minutes(14));
        assert_eq!(c.get("/staff").await.status, 200);
    }
    // ... until left alone for 15 minutes.
    s.clock.advance(Duration::minutes(15));
    let page = c.get("/staff").await;
    assert_eq!((page.status, page.location()), (303, Some("/staff/login")));
    assert_eq!(sessions(&s).await, 0, "the expired session is deleted");

    // The absolute limit (8 hours) holds however busy the session is.
    let mut c = logged_in(&s, REVIEWER).await;
    for _ in 0..(8 * 60 / 10 - 1) {
        s.clock.advance(Duration::minutes(10));
        assert_eq!(c.get("/staff").await.status, 200);
    }
    s.clock.advance(Duration::minutes(10));
    assert_eq!(c.get("/staff").await.location(), Some("/staff/login"));
}

both!(logout_ends_the_session);
async fn logout_ends_the_session(s: TestServer) {
    add_staff(&s).await;
    let mut c = logged_in(&s, REVIEWER).await;
    let stolen = c.cookies.clone();
    let csrf = c.csrf().await;
    // Without the token, logout is refused and the session stays.
    let refused = c.post_form("/staff/logout", &[("csrf", "")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(sessions(&s).await, 1);
    let page = c.post_form("/staff/logout", &[("csrf", &csrf)]).await;
    assert_eq!((page.status, page.location()), (303, Some("/staff/login")));
    assert!(page
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("staff_session=;") && c.contains("Max-Age=0")));
    assert_eq!(sessions(&s).await, 0);
    // The old cookie is worth nothing now.
    c.cookies = stolen;
    assert_eq!(c.get("/staff").await.location(), Some("/staff/login"));
}

both!(every_staff_page_needs_a_session);
async fn every_staff_page_needs_a_session(s: TestServer) {
    let mut c = StaffClient::new(&s.staff_base);
    for path in ["/staff", "/staff/cases/0123456789abcdef0123456789abcdef"] {
        let page = c.get(path).await;
        assert_eq!(
            (page.status, page.location()),
            (303, Some("/staff/login")),
            "{path}"
        );
    }
    let page = c
        .post_form(
            "/staff/cases/0123456789abcdef0123456789abcdef/decision",
            &[("decision", "approve"), ("csrf", "x")],
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("staff_session_required"));
    // A made-up session cookie is no session.
    c.cookies.insert("staff_session".into(), "00".repeat(32));
    assert_eq!(c.get("/staff").await.location(), Some("/staff/login"));
}

both!(the_login_form_needs_its_csrf_token);
async fn the_login_form_needs_its_csrf_token(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    // No pre-session cookie at all (a form posted from elsewhere).
    let page = c
        .post_form(
            "/staff/login",
            &[
                ("username", REVIEWER.0),
                ("password", REVIEWER.1),
                ("csrf", "abc"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("csrf_invalid"));
    // The cookie but a wrong or missing token.
    c.get("/staff/login").await;
    for token in ["", "0000", &"ab".repeat(32)] {
        let page = c
            .post_form(
                "/staff/login",
                &[
                    ("username", REVIEWER.0),
                    ("password", REVIEWER.1),
                    ("csrf", token),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{token:?}");
    }
    assert_eq!(sessions(&s).await, 0, "nothing was opened");
    let failures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_login_failures")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(failures, 0, "refused before the password was looked at");
}

both!(logins_are_limited_per_ip, |s: &mut reset_bank::Settings| {
    s.limits.staff_login = 3
});
async fn logins_are_limited_per_ip(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    for _ in 0..3 {
        assert_eq!(c.login("nobody", "Wrong#123456").await.status, 401);
    }
    let page = c.login(REVIEWER.0, REVIEWER.1).await;
    assert_eq!(page.status, 429);
    assert!(page.body.contains("too_many"));
    s.clock.advance(Duration::seconds(61));
    assert_eq!(c.login(REVIEWER.0, REVIEWER.1).await.status, 303);
}

both!(staff_pages_carry_the_security_headers);
async fn staff_pages_carry_the_security_headers(s: TestServer) {
    add_staff(&s).await;
    let mut c = logged_in(&s, REVIEWER).await;
    for path in ["/staff", "/staff/login", "/staff/assets/console.css"] {
        let page = c.get(path).await;
        let h = |n: &str| {
            page.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = h("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("img-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(h("cache-control"), "no-store", "{path}");
    }
    let page = c.get("/staff").await;
    assert!(!page.body.contains("<script"), "no script on the console");
    assert!(
        !page.body.contains("style=\""),
        "no inline style on the console"
    );
}

both!(logins_are_audited_without_passwords);
async fn logins_are_audited_without_passwords(s: TestServer) {
    add_staff(&s).await;
    let mut c = StaffClient::new(&s.staff_base);
    c.login(REVIEWER.0, "Wrong#123456").await;
    c.login("nobody", "Secret#999999").await;
    let mut c = logged_in(&s, REVIEWER).await;
    let csrf = c.csrf().await;
    c.post_form("/staff/logout", &[("csrf", &csrf)]).await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT event, detail FROM audit_events WHERE event LIKE 'staff%' ORDER BY id",
    )
    .fetch_all(&s.state.db.pool)
    .await
    .unwrap();
    let events: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        events,
        [
            "staff_login_failed",
            "staff_login_failed",
            "staff_login",
            "staff_logout"
        ]
    );
    for (_, detail) in &rows {
        for secret in ["Wrong#123456", "Secret#999999", REVIEWER.1, "nobody"] {
            assert!(!detail.contains(secret), "{detail}");
        }
    }
}
