//! The SMS outbox: nothing lost while the gateway is down, nothing sent twice when workers race.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use reset_bank::clock::{Clock, ManualClock};
use reset_bank::metrics::Metrics;
use reset_bank::sms::outbox::{enqueue, Outbox};
use reset_bank::sms::{GatewayKind, SmsSettings};
use reset_testkit::{code_in, TestServer};
use serde_json::json;
use time::Duration;

use crate::ZHANG;

/// A fake SMS provider: fails the first `fail` calls, then records each body, and how many
/// calls were under way at once at most.
#[derive(Clone, Default)]
struct Provider {
    fail: Arc<AtomicU32>,
    delay_ms: Arc<AtomicU32>,
    received: Arc<Mutex<Vec<String>>>,
    under_way: Arc<AtomicU32>,
    most_at_once: Arc<AtomicU32>,
}

async fn provider_handler(State(p): State<Provider>, body: String) -> StatusCode {
    if p.fail.load(Ordering::SeqCst) > 0 {
        p.fail.fetch_sub(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let now = p.under_way.fetch_add(1, Ordering::SeqCst) + 1;
    p.most_at_once.fetch_max(now, Ordering::SeqCst);
    let delay = 2 + u64::from(p.delay_ms.load(Ordering::SeqCst));
    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    p.received.lock().unwrap().push(body);
    p.under_way.fetch_sub(1, Ordering::SeqCst);
    StatusCode::OK
}

async fn start_provider(fail: u32) -> (String, Provider) {
    let p = Provider::default();
    p.fail.store(fail, Ordering::SeqCst);
    let app = axum::Router::new()
        .route("/send", axum::routing::post(provider_handler))
        .with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, p)
}

both!(
    messages_wait_out_a_gateway_outage,
    |s: &mut reset_bank::Settings| s.sms.worker = false
);
async fn messages_wait_out_a_gateway_outage(s: TestServer) {
    let (url, provider) = start_provider(2).await;
    let outbox = worker(&s, url, |sms| sms.poll_ms = 3_600_000);
    let clock = s.clock.clone();
    let mut conn = s.state.db.pool.acquire().await.unwrap();
    let now = reset_bank::store::ms(clock.now());
    enqueue(
        &mut conn,
        ZHANG.2,
        "【昆仑银行】您正在重置登录密码，验证码123456，5分钟内有效。请勿告诉他人。",
        "code",
        now,
    )
    .await
    .unwrap();
    drop(conn);
    assert_eq!(outbox.deliver_due().await.unwrap().failed, 1);
    assert_eq!(
        outbox.deliver_due().await.unwrap().failed,
        0,
        "backoff: not due yet"
    );
    clock.advance(Duration::seconds(1));
    assert_eq!(outbox.deliver_due().await.unwrap().failed, 1);
    clock.advance(Duration::seconds(1));
    assert_eq!(
        outbox.deliver_due().await.unwrap().failed,
        0,
        "second backoff is 2 s"
    );
    clock.advance(Duration::seconds(1));
    assert_eq!(outbox.deliver_due().await.unwrap().sent, 1);
    let got = provider.received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(v["mobile"], ZHANG.2);
    assert_eq!(
        code_in(v["content"].as_str().unwrap()).as_deref(),
        Some("123456")
    );
    let (state, text): (String, String) = sqlx::query_as("SELECT state, text FROM sms_outbox")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        (state.as_str(), text.as_str()),
        ("sent", ""),
        "a sent code is not kept"
    );
    clock.advance(Duration::hours(1));
    assert_eq!(
        outbox.deliver_due().await.unwrap(),
        Default::default(),
        "never twice"
    );
}

both!(
    racing_workers_send_each_message_once,
    |s: &mut reset_bank::Settings| s.sms.worker = false
);
async fn racing_workers_send_each_message_once(s: TestServer) {
    let (url, provider) = start_provider(0).await;
    let mut settings = s.state.settings.sms.clone();
    settings.gateway = GatewayKind::Http;
    settings.http_url = url;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(s.clock.now()));
    let now = reset_bank::store::ms(clock.now());
    let mut conn = s.state.db.pool.acquire().await.unwrap();
    for i in 0..40 {
        enqueue(&mut conn, ZHANG.2, &format!("message {i}"), "notice", now)
            .await
            .unwrap();
    }
    drop(conn);
    let workers: Vec<Outbox> = (0..4)
        .map(|i| {
            Outbox::new(
                s.state.db.clone(),
                clock.clone(),
                settings.clone(),
                Metrics::new(),
                format!("w{i}"),
            )
            .unwrap()
        })
        .collect();
    let (a, b, c, d) = tokio::join!(
        workers[0].deliver_due(),
        workers[1].deliver_due(),
        workers[2].deliver_due(),
        workers[3].deliver_due()
    );
    let sent: usize = [a, b, c, d].into_iter().map(|r| r.unwrap().sent).sum();
    assert_eq!(sent, 40);
    let mut got: Vec<String> = provider.received.lock().unwrap().clone();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 40, "each exactly once");
    assert_eq!(provider.received.lock().unwrap().len(), 40);
}

both!(
    dev_inbox_only_in_dev_mode,
    |s: &mut reset_bank::Settings| s.dev = false
);
async fn dev_inbox_only_in_dev_mode(s: TestServer) {
    let (st, b) = s.get(&format!("/v1/dev/sms?phone={}", ZHANG.2)).await;
    assert_eq!((st, &b["code"]), (404, &json!("not_found")));
}

both!(
    a_slow_gateway_times_out_and_is_retried,
    |s: &mut reset_bank::Settings| s.sms.worker = false
);
async fn a_slow_gateway_times_out_and_is_retried(s: TestServer) {
    let (url, provider) = start_provider(0).await;
    provider.delay_ms.store(2_000, Ordering::SeqCst);
    let outbox = worker(&s, url, |sms| sms.http_timeout_ms = 100);
    let clock = s.clock.clone();
    let mut conn = s.state.db.pool.acquire().await.unwrap();
    enqueue(
        &mut conn,
        ZHANG.2,
        "hello",
        "notice",
        reset_bank::store::ms(clock.now()),
    )
    .await
    .unwrap();
    drop(conn);
    let started = std::time::Instant::now();
    assert_eq!(outbox.deliver_due().await.unwrap().failed, 1);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "the timeout cut the call short"
    );
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM sms_outbox")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert!(error.unwrap().contains("unreachable"));
    provider.delay_ms.store(0, Ordering::SeqCst);
    clock.advance(Duration::seconds(1));
    assert_eq!(outbox.deliver_due().await.unwrap().sent, 1);
}

/// An outbox worker over `provider_url` with its own settings, on the server's database.
fn worker(s: &TestServer, provider_url: String, set: impl FnOnce(&mut SmsSettings)) -> Outbox {
    let mut settings = s.state.settings.sms.clone();
    settings.gateway = GatewayKind::Http;
    settings.http_url = provider_url;
    set(&mut settings);
    Outbox::new(
        s.state.db.clone(),
        Arc::new(s.clock.clone()),
        settings,
        Metrics::new(),
        "test-worker".into(),
    )
    .unwrap()
}

/// Queues `texts` for `phone`, in that order.
async fn queue(s: &TestServer, phone: &str, texts: &[String]) {
    let mut conn = s.state.db.pool.acquire().await.unwrap();
    let now = reset_bank::store::ms(s.clock.now());
    for text in texts {
        enqueue(&mut conn, phone, text, "notice", now)
            .await
            .unwrap();
    }
}

both!(
    phones_go_side_by_side_and_each_phones_messages_in_order,
    |s: &mut reset_bank::Settings| s.sms.worker = false
);
async fn phones_go_side_by_side_and_each_phones_messages_in_order(s: TestServer) {
    let (url, provider) = start_provider(0).await;
    provider.delay_ms.store(20, Ordering::SeqCst);
    let outbox = worker(&s, url, |_| {});
    let phones = ["13900000001", "13900000002", "13900000003", "13900000004"];
    // Queued interleaved, as requests from four customers would be.
    for i in 0..5 {
        for phone in phones {
            queue(&s, phone, &[format!("{phone} message {i}")]).await;
        }
    }
    assert_eq!(outbox.deliver_due().await.unwrap().sent, 20);
    let received = provider.received.lock().unwrap().clone();
    for phone in phones {
        let order: Vec<&String> = received.iter().filter(|b| b.contains(phone)).collect();
        assert_eq!(order.len(), 5);
        for (i, body) in order.iter().enumerate() {
            assert!(body.contains(&format!("message {i}")), "{phone}: {order:?}");
        }
    }
    let most = provider.most_at_once.load(Ordering::SeqCst);
    assert!(
        (2..=4).contains(&most),
        "phones side by side, one call per phone at a time: {most}"
    );
}

both!(
    no_more_gateway_calls_at_once_than_in_flight,
    |s: &mut reset_bank::Settings| s.sms.worker = false
);
async fn no_more_gateway_calls_at_once_than_in_flight(s: TestServer) {
    let (url, provider) = start_provider(0).await;
    provider.delay_ms.store(20, Ordering::SeqCst);
    let outbox = worker(&s, url, |sms| {
        sms.in_flight = 3;
        sms.batch = 8;
    });
    for i in 0..20 {
        queue(&s, &format!("1390000{i:04}"), &[format!("message {i}")]).await;
    }
    assert_eq!(outbox.deliver_due().await.unwrap().sent, 20);
    let most = provider.most_at_once.load(Ordering::SeqCst);
    assert!((2..=3).contains(&most), "{most}");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sms_outbox WHERE state <> 'sent'")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

both!(
    a_call_that_could_outlast_the_lease_is_not_started,
    |s: &mut reset_bank::Settings| s.sms.worker = false
);
async fn a_call_that_could_outlast_the_lease_is_not_started(s: TestServer) {
    let (url, provider) = start_provider(0).await;
    // Each call takes 0.7 s and may take 1 s; a claim lasts 6.5 s, of which the last 5 s are
    // kept for marking the batch sent. The first call starts; the second, which could end at
    // 1.7 s, does not.
    provider.delay_ms.store(700, Ordering::SeqCst);
    let outbox = worker(&s, url, |sms| {
        sms.http_timeout_ms = 1_000;
        sms.lease_ms = 1_500 + reset_bank::sms::outbox::MARK_WITHIN_MS;
    });
    let texts: Vec<String> = (0..3).map(|i| format!("message {i}")).collect();
    queue(&s, ZHANG.2, &texts).await;
    let round = outbox.deliver_due().await.unwrap();
    assert_eq!((round.sent, round.failed), (1, 0));
    let rows: Vec<(String, i64, Option<String>)> =
        sqlx::query_as("SELECT state, attempts, lease_owner FROM sms_outbox ORDER BY id")
            .fetch_all(&s.state.db.pool)
            .await
            .unwrap();
    assert_eq!(rows[0].0, "sent");
    for row in &rows[1..] {
        assert_eq!(
            (row.0.as_str(), row.1, row.2.as_deref()),
            ("pending", 0, None),
            "given back untried, no try counted"
        );
    }
    // The next rounds send the rest, in order, each once.
    while provider.received.lock().unwrap().len() < 3 {
        outbox.deliver_due().await.unwrap();
    }
    let received = provider.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3);
    for (i, body) in received.iter().enumerate() {
        assert!(body.contains(&format!("message {i}")), "{received:?}");
    }
}

both!(
    a_message_claimed_by_a_worker_that_died_is_sent_once_its_lease_runs_out,
    |s: &mut reset_bank::Settings| s.sms.worker = false
);
async fn a_message_claimed_by_a_worker_that_died_is_sent_once_its_lease_runs_out(s: TestServer) {
    let (url, provider) = start_provider(0).await;
    let mut settings = s.state.settings.sms.clone();
    settings.gateway = GatewayKind::Http;
    settings.http_url = url;
    queue(&s, ZHANG.2, &["您的申请已审核通过".to_owned()]).await;
    // A worker claims it, with a lease of 800 ms on the wall clock, and dies.
    let wall = reset_bank::store::ms(time::OffsetDateTime::now_utc());
    let now = reset_bank::store::ms(s.clock.now());
    let claimed = reset_bank::store::outbox::claim(&s.state.db, "dead", wall + 800, now, wall, 64)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(s.clock.now()));
    let live = Outbox::new(
        s.state.db.clone(),
        clock,
        settings,
        Metrics::new(),
        "live".into(),
    )
    .unwrap();
    assert_eq!(
        live.deliver_due().await.unwrap().sent,
        0,
        "not under a lease"
    );
    assert_eq!(live.pending().await.unwrap(), 1, "still waiting");
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    assert_eq!(
        live.deliver_due().await.unwrap().sent,
        1,
        "the lease ran out"
    );
    assert_eq!(live.deliver_due().await.unwrap().sent, 0, "and once");
    assert_eq!(live.pending().await.unwrap(), 0);
    assert_eq!(provider.received.lock().unwrap().len(), 1);
}
