//! The SMS outbox: nothing lost while the gateway is down, nothing sent twice when workers race.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use reset_bank::clock::{Clock, ManualClock};
use reset_bank::metrics::Metrics;
use reset_bank::sms::outbox::{enqueue, Outbox};
use reset_bank::sms::GatewayKind;
use reset_testkit::{code_in, TestServer};
use serde_json::json;
use time::Duration;

use crate::ZHANG;

/// A fake SMS provider: fails the first `fail` calls, then records each body.
#[derive(Clone, Default)]
struct Provider {
    fail: Arc<AtomicU32>,
    delay_ms: Arc<AtomicU32>,
    received: Arc<Mutex<Vec<String>>>,
}

async fn provider_handler(State(p): State<Provider>, body: String) -> StatusCode {
    if p.fail.load(Ordering::SeqCst) > 0 {
        p.fail.fetch_sub(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let delay = 2 + u64::from(p.delay_ms.load(Ordering::SeqCst));
    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    p.received.lock().unwrap().push(body);
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
    let mut settings = s.state.settings.sms.clone();
    settings.gateway = GatewayKind::Http;
    settings.http_url = url;
    settings.poll_ms = 3_600_000;
    let clock = s.clock.clone();
    let outbox = Outbox::new(
        s.state.db.clone(),
        Arc::new(clock.clone()),
        settings,
        Metrics::new(),
        "test-worker".into(),
    )
    .unwrap();
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
    let mut settings = s.state.settings.sms.clone();
    settings.gateway = GatewayKind::Http;
    settings.http_url = url;
    settings.http_timeout_ms = 100;
    let clock = s.clock.clone();
    let outbox = Outbox::new(
        s.state.db.clone(),
        Arc::new(clock.clone()),
        settings,
        Metrics::new(),
        "slow".into(),
    )
    .unwrap();
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
