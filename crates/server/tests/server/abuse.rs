//! What a careful attacker tries: bad bodies, huge strings, unicode tricks, flow-id guessing,
//! code brute force across resends, per-IP floods. Each is refused and changes nothing.

use reset_testkit::TestServer;
use serde_json::json;
use time::Duration;

use crate::ZHANG;

async fn flow_count(s: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM flows")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

both!(malformed_bodies_are_refused_and_change_nothing);
async fn malformed_bodies_are_refused_and_change_nothing(s: TestServer) {
    let before = flow_count(&s).await;
    for (body, code, status) in [
        ("{", "malformed_body", 400),
        ("[]", "malformed_body", 400),
        (
            r#"{"id_type":"id_card","id_number":11010519491231002,"name":"张三"}"#,
            "malformed_body",
            400,
        ),
        (
            r#"{"id_type":"driving_licence","id_number":"x","name":"张三"}"#,
            "malformed_body",
            400,
        ),
        (
            r#"{"id_type":"id_card","id_number":"11010519491231002X","name":"张三","admin":true}"#,
            "malformed_body",
            400,
        ),
        (
            r#"{"id_type":"id_card","id_number":"11010519491231002Y","name":"张三"}"#,
            "id_number_format",
            422,
        ),
        (
            r#"{"id_type":"id_card","id_number":"110105194912310021","name":"张三"}"#,
            "id_number_check_digit",
            422,
        ),
        (
            r#"{"id_type":"id_card","id_number":"11010519491231002X","name":"张\u200b三"}"#,
            "name_invalid_character",
            422,
        ),
    ] {
        let (st, b) = s.post_raw("/v1/resets", body.to_owned()).await;
        assert_eq!((st, b["code"].as_str()), (status, Some(code)), "{body}");
        assert!(b["message"].is_string());
    }
    let huge = "1".repeat(64 * 1024);
    let (st, b) = s
        .post(
            "/v1/resets",
            json!({"id_type": "id_card", "id_number": huge, "name": "张三"}),
        )
        .await;
    assert_eq!((st, &b["code"]), (413, &json!("body_too_large")));
    let long = "张".repeat(500);
    let (st, b) = s
        .post(
            "/v1/resets",
            json!({"id_type": "id_card", "id_number": ZHANG.0, "name": long}),
        )
        .await;
    assert_eq!((st, &b["code"]), (422, &json!("name_too_long")));
    let resp = s
        .client
        .post(s.url("/v1/resets"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "no JSON content type");
    assert_eq!(flow_count(&s).await, before);
}

both!(full_width_and_unicode_tricks);
async fn full_width_and_unicode_tricks(s: TestServer) {
    // Full-width digits fold to the same customer.
    let flow = s
        .start_reset("１１０１０５１９４９１２３１００２ｘ", ZHANG.1)
        .await;
    let (st, _) = s
        .post(
            &format!("/v1/resets/{flow}/sms"),
            json!({"phone": "+86 138-0000-0001"}),
        )
        .await;
    assert_eq!(st, 202);
    assert_eq!(
        s.sms_to(ZHANG.2).await.len(),
        1,
        "same customer, same phone"
    );
    s.clock.advance(Duration::seconds(60));
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/sms"),
            json!({"phone": "١٣٨٠٠٠٠٠٠٠١"}),
        )
        .await;
    assert_eq!(
        (st, &b["code"]),
        (422, &json!("phone_invalid")),
        "Arabic-Indic digits"
    );
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/sms/verify"),
            json!({"code": "１２３４５６７"}),
        )
        .await;
    assert_eq!((st, &b["code"]), (422, &json!("code_format")));
}

both!(unknown_and_malformed_flow_ids_are_not_found);
async fn unknown_and_malformed_flow_ids_are_not_found(s: TestServer) {
    for id in [
        "0123456789abcdef0123456789abcdef",
        "x",
        "..%2F..%2Fetc",
        "0123456789ABCDEF0123456789ABCDEF",
        &"a".repeat(4000),
    ] {
        let (st, b) = s
            .post(&format!("/v1/resets/{id}/sms"), json!({"phone": ZHANG.2}))
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (404, Some("flow_not_found")),
            "{id}"
        );
    }
    let (st, b) = s.get("/v1/nothing").await;
    assert_eq!((st, &b["code"]), (404, &json!("not_found")));
}

// The bound of one flow alone: the ID's daily bound (tested in `takeover`) is lifted here.
both!(
    code_brute_force_across_resends_is_bounded,
    |s: &mut reset_bank::Settings| s.policy.wrong_codes_per_id_per_day = 1000
);
async fn code_brute_force_across_resends_is_bounded(s: TestServer) {
    // Five codes a flow, five tries a code: at most 25 guesses, then only too_many / burnt.
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let mut guesses = 0;
    for round in 0..6 {
        let (st, _) = s
            .post(&format!("/v1/resets/{flow}/sms"), json!({"phone": ZHANG.2}))
            .await;
        if round == 5 {
            assert_eq!(st, 429);
            break;
        }
        assert_eq!(st, 202);
        let code = s.last_code(ZHANG.2).await.unwrap();
        for g in 0..10 {
            let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + g) % 1_000_000);
            let (st, b) = s
                .post(
                    &format!("/v1/resets/{flow}/sms/verify"),
                    json!({"code": guess}),
                )
                .await;
            assert_eq!(st, 422);
            if b["code"] == "bad_code" || (b["code"] == "code_burnt" && g == 4) {
                guesses += 1;
            }
        }
        s.clock.advance(Duration::seconds(60));
    }
    assert_eq!(guesses, 25);
}

both!(
    per_ip_limits_refuse_floods,
    |s: &mut reset_bank::Settings| {
        s.limits.start_reset = 3;
        s.limits.status = 2;
    }
);
async fn per_ip_limits_refuse_floods(s: TestServer) {
    for _ in 0..3 {
        s.start_reset(ZHANG.0, ZHANG.1).await;
    }
    let (st, b) = s
        .post(
            "/v1/resets",
            json!({"id_type": "id_card", "id_number": ZHANG.0, "name": ZHANG.1}),
        )
        .await;
    assert_eq!((st, &b["code"]), (429, &json!("too_many")));
    assert!(b["retry_after_s"].as_u64().unwrap() <= 60);
    for expect in [404, 404, 429] {
        assert_eq!(
            s.get("/v1/resets/0123456789abcdef0123456789abcdef").await.0,
            expect
        );
    }
    s.clock.advance(Duration::seconds(60));
    assert_eq!(
        s.get("/v1/resets/0123456789abcdef0123456789abcdef").await.0,
        404,
        "next window"
    );
    s.start_reset(ZHANG.0, ZHANG.1).await;
}

both!(
    forwarded_for_counts_only_from_trusted_proxies,
    |s: &mut reset_bank::Settings| {
        s.limits.status = 1;
        // The test client comes from loopback: it plays the bank's load balancer.
        s.trusted_proxies = vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
    }
);
async fn forwarded_for_counts_only_from_trusted_proxies(s: TestServer) {
    let url = s.url("/v1/resets/0123456789abcdef0123456789abcdef");
    let get = |ip: &'static str| s.client.get(&url).header("x-forwarded-for", ip).send();
    assert_eq!(
        get("203.0.113.7, 198.51.100.1").await.unwrap().status(),
        404
    );
    assert_eq!(
        get("198.51.100.1").await.unwrap().status(),
        429,
        "the right-most untrusted entry is the client"
    );
    assert_eq!(
        get("198.51.100.1, 10.0.0.9").await.unwrap().status(),
        429,
        "a trusted hop after the client is skipped"
    );
    assert_eq!(
        get("198.51.100.2").await.unwrap().status(),
        404,
        "another client"
    );
    // An IPv6 attacker's many addresses in one /64 are one caller.
    assert_eq!(get("2001:db8:7:7::1").await.unwrap().status(), 404);
    assert_eq!(
        get("2001:db8:7:7:dead:beef:0:2").await.unwrap().status(),
        429,
        "the same /64"
    );
    assert_eq!(get("2001:db8:7:8::1").await.unwrap().status(), 404);
}

both!(
    forwarded_for_from_an_untrusted_peer_is_ignored,
    |s: &mut reset_bank::Settings| {
        s.limits.status = 1;
        s.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    }
);
async fn forwarded_for_from_an_untrusted_peer_is_ignored(s: TestServer) {
    let url = s.url("/v1/resets/0123456789abcdef0123456789abcdef");
    let get = |ip: &'static str| s.client.get(&url).header("x-forwarded-for", ip).send();
    assert_eq!(get("198.51.100.1").await.unwrap().status(), 404);
    assert_eq!(
        get("198.51.100.2").await.unwrap().status(),
        429,
        "the loopback caller is not a trusted proxy: its header changes nothing"
    );
}

both!(
    forwarded_for_is_ignored_by_default,
    |s: &mut reset_bank::Settings| s.limits.status = 1
);
async fn forwarded_for_is_ignored_by_default(s: TestServer) {
    let url = s.url("/v1/resets/0123456789abcdef0123456789abcdef");
    let get = |ip: &'static str| s.client.get(&url).header("x-forwarded-for", ip).send();
    assert_eq!(get("198.51.100.1").await.unwrap().status(), 404);
    assert_eq!(
        get("198.51.100.2").await.unwrap().status(),
        429,
        "a forged header changes nothing"
    );
}

// A racing flood from several addresses gets exactly each address's limit through, and every
// call is counted: on PostgreSQL in the windows' rows, which the instances share; on SQLite
// in the one instance's memory, with nothing written per call.
both!(
    a_racing_flood_from_many_addresses_gets_exactly_each_limit,
    |s: &mut reset_bank::Settings| {
        s.limits.status = 5;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    }
);
async fn a_racing_flood_from_many_addresses_gets_exactly_each_limit(s: TestServer) {
    const ADDRESSES: usize = 8;
    const CALLS_EACH: usize = 24;
    let url = s.url("/v1/resets/0123456789abcdef0123456789abcdef");
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CALLS_EACH {
        for a in 0..ADDRESSES {
            let (client, url) = (s.client.clone(), url.clone());
            let ip = format!("198.51.100.{}", 10 + a);
            calls.spawn(async move {
                let st = client
                    .get(url)
                    .header("x-forwarded-for", &ip)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                (ip, st)
            });
        }
    }
    let answers = calls.join_all().await;
    for a in 0..ADDRESSES {
        let ip = format!("198.51.100.{}", 10 + a);
        let mine: Vec<u16> = answers
            .iter()
            .filter(|(i, _)| *i == ip)
            .map(|(_, st)| *st)
            .collect();
        let through = mine.iter().filter(|st| **st == 404).count();
        let refused = mine.iter().filter(|st| **st == 429).count();
        assert_eq!((through, refused), (5, CALLS_EACH - 5), "{ip}: {mine:?}");
    }
    let counted: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM rate_limits \
         WHERE bucket LIKE 'status|%'",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .unwrap();
    let expected = match s.state.db.backend {
        reset_bank::store::Backend::Postgres => (ADDRESSES * CALLS_EACH) as i64,
        reset_bank::store::Backend::Sqlite => 0,
    };
    assert_eq!(
        counted, expected,
        "every call counted, where the backend counts"
    );
}
