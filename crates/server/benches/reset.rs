//! Benchmark of the real `reset-server` binary on SQLite or PostgreSQL (not a timed test):
//!
//! - path A: `POST /v1/resets` → `/sms` → `/sms/verify` with 64 concurrent clients: requests/s
//!   and p50/p99 latency of those calls; codes reach the clients through the server's `http`
//!   SMS gateway posting to a provider in this process, as to a phone (nothing polls);
//! - with `--rate R`, path A offered at a fixed rate instead (open loop): a new flow every
//!   3/R s whatever the server's answers, each request's latency counted from when it was due,
//!   so a server that falls behind shows it in p99 (a closed loop of 64 clients cannot show a
//!   p99 below 64 ÷ its own rate, since each client waits for the one answer before);
//! - login throughput at the default argon2id parameters, as a ratio to the raw argon2 hash
//!   rate measured in this run on as many threads as the server may hash on;
//! - the server's peak memory (VmHWM) during 64 concurrent logins, on a fresh process.
//!
//! `cargo bench -p reset-server --bench reset -- [sqlite|postgres] [--flows N] [--logins N] [--rate R]`
//! PostgreSQL needs `TEST_DATABASE_URL`. Per-IP limits and the daily caps are raised by env.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::SaltString;
use reset_bank::hashing::{phc, HashingSettings};
use reset_testkit::{code_in, free_port, FreshDb, ServerProcess, TestDb};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const CLIENTS: usize = 64;
/// Customers of the open-loop run: each flow takes one nobody else is resetting (a second flow
/// of one ID would replace the first), so as many as flows can be under way at once.
const CUSTOMERS: usize = 512;
const PASSWORD: &str = "Kunlun2024";

struct Args {
    db: TestDb,
    flows: usize,
    logins: usize,
    /// Requests per second offered (open loop); none for the closed loop of 64 clients.
    rate: Option<f64>,
}

fn args() -> Args {
    let mut a = Args {
        db: TestDb::Sqlite,
        flows: 640,
        logins: 256,
        rate: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "sqlite" => a.db = TestDb::Sqlite,
            "postgres" => a.db = TestDb::Postgres,
            "--flows" => a.flows = it.next().and_then(|n| n.parse().ok()).unwrap_or(a.flows),
            "--logins" => a.logins = it.next().and_then(|n| n.parse().ok()).unwrap_or(a.logins),
            "--rate" => a.rate = it.next().and_then(|n| n.parse().ok()),
            _ => {} // cargo passes --bench
        }
    }
    a
}

fn phone(i: usize) -> String {
    format!("1390000{i:04}")
}

fn passport(i: usize) -> String {
    format!("E{:08}", 10_000_000 + i)
}

fn server_cmd(db_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_reset-server"));
    c.arg("--database-url")
        .arg(db_url)
        .env("RESET_LOG", "error")
        .env(
            "RESET_DB_MAX_CONNECTIONS",
            std::env::var("BENCH_DB_CONNECTIONS").unwrap_or_else(|_| "16".into()),
        )
        .env("RESET_POLICY__CODES_PER_PHONE_PER_DAY", "1000000")
        // Every client resets the same demo customers: the bounds per ID are for attackers.
        .env("RESET_POLICY__CODES_PER_ID_PER_DAY", "1000000")
        .env("RESET_POLICY__WRONG_CODES_PER_ID_PER_DAY", "1000000")
        .env("RESET_STAFF_LISTEN", "off")
        .env("RESET_ADMIN_LISTEN", "off")
        .env("RESET_SMS__POLL_MS", "20")
        .env(
            "RESET_EVIDENCE__DIR",
            reset_testkit::test_evidence_dir(db_url),
        )
        .env(
            "RESET_EVIDENCE__MASTER_KEYS",
            reset_testkit::TEST_MASTER_KEYS,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for k in [
        "LOGIN",
        "START_RESET",
        "SEND_CODE",
        "VERIFY_CODE",
        "SET_PASSWORD",
        "STATUS",
    ] {
        c.env(format!("RESET_LIMITS__{k}"), "100000000");
    }
    c
}

async fn start(db_url: &str, sms_url: Option<&str>) -> ServerProcess {
    let port = free_port();
    let mut cmd = server_cmd(db_url);
    if let Some(url) = sms_url {
        cmd.env("RESET_SMS__GATEWAY", "http")
            .env("RESET_SMS__HTTP_URL", url);
    }
    cmd.args(["serve", "--dev", "--dev-anywhere"])
        .args(["--listen", &format!("127.0.0.1:{port}")]);
    ServerProcess::spawn(cmd, port).await
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value, Duration) {
    post_due(client, url, body, Instant::now()).await
}

/// A request whose latency counts from `due`: when it should have gone out.
async fn post_due(
    client: &reqwest::Client,
    url: String,
    body: Value,
    due: Instant,
) -> (u16, Value, Duration) {
    let r = client.post(url).json(&body).send().await.expect("request");
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(Value::Null);
    (status, v, due.elapsed())
}

/// The SMS provider of the benchmark: the server's `http` gateway posts each message here and
/// the client waiting on that phone takes its code, as a phone would. Nothing polls the server.
struct Provider {
    url: String,
    phones: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<String>>>>,
}

impl Provider {
    async fn start() -> Provider {
        let phones: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<String>>>> = Arc::default();
        let routes = phones.clone();
        let app = axum::Router::new().route(
            "/sms",
            axum::routing::post(move |body: axum::Json<Value>| {
                let routes = routes.clone();
                async move {
                    let to = body["mobile"].as_str().unwrap_or_default();
                    let code = code_in(body["content"].as_str().unwrap_or_default());
                    if let (Some(tx), Some(code)) = (routes.lock().unwrap().get(to), code) {
                        let _ = tx.send(code);
                    }
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Provider { url, phones }
    }

    /// The codes that will arrive for `phone`.
    fn phone(&self, phone: &str) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.phones.lock().unwrap().insert(phone.to_owned(), tx);
        rx
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// One path A flow of customer `i`, its first request due at `due`: each request's latency
/// and the time from the `/sms` answer to the code at the phone.
async fn one_flow(
    client: &reqwest::Client,
    base: &str,
    i: usize,
    codes: &mut mpsc::UnboundedReceiver<String>,
    due: Instant,
    lat: &mut Vec<Duration>,
    arrivals: &mut Vec<Duration>,
) {
    let (s, b, d) = post_due(
        client,
        format!("{base}/v1/resets"),
        json!({"id_type": "passport", "id_number": passport(i), "name": "BENCH USER"}),
        due,
    )
    .await;
    assert_eq!(s, 201, "{b}");
    lat.push(d);
    let flow = b["flow_id"].as_str().unwrap().to_owned();
    let (s, b, d) = post(
        client,
        format!("{base}/v1/resets/{flow}/sms"),
        json!({"phone": phone(i)}),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    lat.push(d);
    let asked = Instant::now();
    let code = codes.recv().await.expect("the code's SMS");
    arrivals.push(asked.elapsed());
    let (s, b, d) = post(
        client,
        format!("{base}/v1/resets/{flow}/sms/verify"),
        json!({"code": code}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    lat.push(d);
}

/// What a path A run measured.
struct PathA {
    /// Requests answered per second over the run.
    rate: f64,
    /// Each request's latency, sorted.
    latencies: Vec<Duration>,
    /// Each code's time from the `/sms` answer to the phone, sorted.
    arrivals: Vec<Duration>,
    /// Open loop only: flows that found every customer busy and were not started.
    not_started: usize,
}

impl PathA {
    fn new(t0: Instant, parts: Vec<(Vec<Duration>, Vec<Duration>)>, not_started: usize) -> Self {
        let mut latencies = Vec::new();
        let mut arrivals = Vec::new();
        for (lat, arr) in parts {
            latencies.extend(lat);
            arrivals.extend(arr);
        }
        let rate = latencies.len() as f64 / t0.elapsed().as_secs_f64();
        latencies.sort();
        arrivals.sort();
        PathA {
            rate,
            latencies,
            arrivals,
            not_started,
        }
    }
}

/// Path A with 64 clients in a closed loop: each starts its next flow when the last is done.
async fn path_a(base: &str, provider: &Provider, flows: usize) -> PathA {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let per_client = flows.div_ceil(CLIENTS);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let client = client.clone();
        let base = base.to_owned();
        let mut codes = provider.phone(&phone(i));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut arrivals = Vec::new();
            for _ in 0..per_client {
                one_flow(
                    &client,
                    &base,
                    i,
                    &mut codes,
                    Instant::now(),
                    &mut lat,
                    &mut arrivals,
                )
                .await;
            }
            (lat, arrivals)
        }));
    }
    let mut parts = Vec::new();
    for t in tasks {
        parts.push(t.await.unwrap());
    }
    PathA::new(t0, parts, 0)
}

/// Path A offered at `rate` requests/s (open loop): a flow is due every 3/`rate` s and starts
/// then whatever the answers so far, on a customer no other flow is using.
async fn path_a_open(base: &str, provider: &Provider, flows: usize, rate: f64) -> PathA {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CUSTOMERS)
        .build()
        .unwrap();
    type Customer = (usize, mpsc::UnboundedReceiver<String>);
    let free: Arc<Mutex<Vec<Customer>>> = Arc::new(Mutex::new(
        (0..CUSTOMERS)
            .map(|i| (i, provider.phone(&phone(i))))
            .collect(),
    ));
    let every = Duration::from_secs_f64(3.0 / rate);
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(flows);
    let mut not_started = 0;
    for k in 0..flows {
        let due = t0 + every.mul_f64(k as f64);
        tokio::time::sleep_until(due.into()).await;
        let Some((i, mut codes)) = free.lock().unwrap().pop() else {
            not_started += 1;
            continue;
        };
        let (client, base, free) = (client.clone(), base.to_owned(), free.clone());
        tasks.push(tokio::spawn(async move {
            // A code that came after its flow gave up is not this flow's.
            while codes.try_recv().is_ok() {}
            let mut lat = Vec::with_capacity(3);
            let mut arrivals = Vec::with_capacity(1);
            one_flow(&client, &base, i, &mut codes, due, &mut lat, &mut arrivals).await;
            free.lock().unwrap().push((i, codes));
            (lat, arrivals)
        }));
    }
    let mut parts = Vec::new();
    for t in tasks {
        parts.push(t.await.unwrap());
    }
    PathA::new(t0, parts, not_started)
}

async fn logins(base: &str, total: usize) -> f64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let per_client = total.div_ceil(CLIENTS);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let client = client.clone();
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_client {
                let (s, b, _) = post(
                    &client,
                    format!("{base}/v1/login"),
                    json!({"id_type": "passport", "id_number": passport(i), "password": PASSWORD}),
                )
                .await;
                assert_eq!(s, 200, "{b}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (per_client * CLIENTS) as f64 / t0.elapsed().as_secs_f64()
}

/// Raw argon2id hashes per second with the default parameters on `threads` plain threads:
/// the same hashing function the server runs, without HTTP, database or queueing around it.
fn raw_hash_rate(threads: usize, per_thread: usize) -> f64 {
    let d = HashingSettings::default();
    let params = argon2::Params::new(d.m_kib, d.t, d.p, None).unwrap();
    let t0 = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let params = params.clone();
            std::thread::spawn(move || {
                let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
                for _ in 0..per_thread {
                    phc(&params, &salt, PASSWORD.as_bytes()).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    (threads * per_thread) as f64 / t0.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let a = args();
    let Some(db) = FreshDb::new(a.db).await else {
        return;
    };
    let db = Arc::new(db);
    // Customers: one per client, imported through the CLI at the default argon2 parameters.
    let csv_path = std::env::temp_dir().join(format!("reset-bench-{}.csv", std::process::id()));
    let mut csv = String::from("id_type,id_number,name,reserved_phone,password\n");
    let customers = if a.rate.is_some() { CUSTOMERS } else { CLIENTS };
    for i in 0..customers {
        csv.push_str(&format!(
            "passport,{},BENCH USER,{},{PASSWORD}\n",
            passport(i),
            phone(i)
        ));
    }
    std::fs::write(&csv_path, csv).unwrap();
    let status = server_cmd(&db.url)
        .arg("customer")
        .arg("import")
        .arg(&csv_path)
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_file(&csv_path);

    let provider = Provider::start().await;
    let server = start(&db.url, Some(&provider.url)).await;
    let run = match a.rate {
        Some(rate) => path_a_open(&server.base, &provider, a.flows, rate).await,
        None => path_a(&server.base, &provider, a.flows).await,
    };
    drop(server);

    // The machine is shared, so load from others comes and goes: logins and raw hashing are
    // measured in alternating rounds (raw first and last), and the rates compared are the
    // totals over all rounds of each.
    const ROUNDS: usize = 4;
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let per_round = (a.logins / ROUNDS).max(CLIENTS);
    let per_thread = (per_round / threads).max(4);
    let server = start(&db.url, None).await;
    let idle_kib = vm_hwm_kib(server.pid());
    let _warm = logins(&server.base, CLIENTS).await;
    let mut raw_rates = vec![raw_hash_rate(threads, per_thread)];
    let mut login_secs = 0.0;
    let mut login_count = 0;
    for _ in 0..ROUNDS {
        let r = logins(&server.base, per_round).await;
        login_secs += per_round as f64 / r;
        login_count += per_round;
        raw_rates.push(raw_hash_rate(threads, per_thread));
    }
    let peak_kib = vm_hwm_kib(server.pid());
    drop(server);
    let login_rate = login_count as f64 / login_secs;
    // Harmonic mean = total hashes / total time, since every raw round hashes the same count.
    let raw = raw_rates.len() as f64 / raw_rates.iter().map(|r| 1.0 / r).sum::<f64>();
    let raw_one = raw_hash_rate(1, per_thread);

    let db_name = if a.db == TestDb::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    println!("database: {db_name}, clients: {CLIENTS}, cpus: {threads}");
    let lat = &run.latencies;
    let load = match a.rate {
        Some(rate) => format!("open loop, {rate:.0} requests/s offered"),
        None => format!("closed loop, {CLIENTS} clients"),
    };
    println!(
        "path A (resets → sms → verify), {load}: {} requests, {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        run.rate,
        pct(lat, 0.5),
        pct(lat, 0.99),
        pct(lat, 1.0)
    );
    if a.rate.is_some() {
        println!(
            "flows not started (all {CUSTOMERS} customers busy): {}",
            run.not_started
        );
    }
    println!(
        "codes at the phone after the /sms answer: p50 {:.1} ms, p99 {:.1} ms",
        pct(&run.arrivals, 0.5),
        pct(&run.arrivals, 0.99)
    );
    println!(
        "login at m=19456 KiB t=2 p=1: {login_rate:.1} logins/s; raw argon2id on {threads} threads: {raw:.1} hashes/s (rounds {raw_rates:.1?}); ratio {:.2}",
        login_rate / raw
    );
    println!("raw argon2id on 1 thread: {raw_one:.1} hashes/s");
    println!(
        "server peak memory (VmHWM): {:.1} MiB after start, {:.1} MiB after {} concurrent logins",
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0,
        CLIENTS
    );
}
