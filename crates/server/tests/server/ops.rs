//! Operations: health, readiness, metrics; and the audit/log leak check over a full flow.

use reset_testkit::TestServer;
use serde_json::json;

use crate::ZHANG;

both!(health_readiness_and_metrics);
async fn health_readiness_and_metrics(s: TestServer) {
    assert_eq!(s.get_text("/healthz").await, (200, "ok".to_owned()));
    assert_eq!(s.get_text("/readyz").await, (200, "ready".to_owned()));
    s.reset_password(ZHANG.0, ZHANG.1, ZHANG.2, "Qiushui#88")
        .await;
    s.flush_sms().await;
    let metrics = s.client.get(format!("{}/metrics", s.admin_base));
    let resp = metrics.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    for needle in [
        "reset_http_requests_total{route=\"/v1/resets\",status=\"201\"} 1",
        "reset_sms_sent_total 2",
        "reset_codes_requested_total 1",
        "reset_resets_completed_total 1",
        "reset_login_lockouts_total 0",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    s.state.db.pool.close().await;
    let (st, b) = s.get("/readyz").await;
    assert_eq!((st, &b["code"]), (503, &json!("service_unavailable")));
}

// The customers' port answers for customers only: the metrics (whose SMS counters once told a
// stranger which phone was whose) and the staff console are on listeners of their own.
both!(operator_and_staff_endpoints_are_not_on_the_customer_port);
async fn operator_and_staff_endpoints_are_not_on_the_customer_port(s: TestServer) {
    for path in [
        "/metrics",
        "/staff",
        "/staff/login",
        "/staff/assets/console.css",
    ] {
        let (st, b) = s.get(path).await;
        assert_eq!((st, &b["code"]), (404, &json!("not_found")), "{path}");
    }
    let resp = s
        .client
        .post(s.url("/staff/login"))
        .form(&[("username", "wangfang"), ("password", "x"), ("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // And the other way round: no customer call on the staff or the operators' listener.
    for base in [&s.staff_base, &s.admin_base] {
        let resp = s
            .client
            .post(format!("{base}/v1/resets"))
            .json(&json!({"id_type": "id_card", "id_number": ZHANG.0, "name": ZHANG.1}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{base}");
    }
    let staff = s.client.get(format!("{}/staff/login", s.staff_base));
    assert_eq!(staff.send().await.unwrap().status(), 200);
    let metrics = s.client.get(format!("{}/metrics", s.staff_base));
    assert_eq!(metrics.send().await.unwrap().status(), 404);
}

both!(audit_rows_are_append_only);
async fn audit_rows_are_append_only(s: TestServer) {
    s.start_reset(ZHANG.0, ZHANG.1).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert!(n >= 1);
    assert!(sqlx::query("UPDATE audit_events SET event = 'x'")
        .execute(&s.state.db.pool)
        .await
        .is_err());
    assert!(sqlx::query("DELETE FROM audit_events")
        .execute(&s.state.db.pool)
        .await
        .is_err());
}
