//! What the tests and benchmarks share (a dev-dependency only, never in a normal build): a real
//! server on a free loopback port over a fresh database (a temp SQLite file, or a new PostgreSQL
//! schema from `TEST_DATABASE_URL`), with a manual clock, cheap argon2 parameters and the dev SMS
//! inbox; a server run as a process of its own; path B driven over HTTP; the staff member's browser; the log capture; free ports; made-up
//! ID-card fronts photographed badly (`specimen`, and the `cards` tool for the OCR bench); cards
//! warped into camera frames and face frames (`synth`), and the tester's generated scenes folder
//! (`scenes`, and the `synth` and `scenes` tools): the one home of made-up pictures.

mod cluster;
mod log_capture;
mod path_b;
pub mod pictures;
mod private_postgres;
mod process;
mod s3;
pub mod scenes;
pub mod specimen;
mod staff_client;
pub mod synth;

pub use cluster::Cluster;
pub use log_capture::LogCapture;
pub use path_b::{PathBCase, CONTACT_PHONE, PATH_B_PASSWORD};
pub use private_postgres::PrivatePostgres;
pub use process::ServerProcess;
pub use s3::S3Server;
pub use staff_client::{Page, StaffClient};

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use time::macros::datetime;
use time::OffsetDateTime;

use reset_bank::clock::{Clock, ManualClock};

use reset_bank::config::Settings;
use reset_bank::rng::{os_rng, random_bytes};
use reset_bank::store::Db;
use reset_bank::Services;
use reset_server::server::{spawn, Listeners, Running};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestDb {
    Sqlite,
    Postgres,
}

/// Where tests start their clocks: a Beijing morning.
pub const TEST_START: OffsetDateTime = datetime!(2026-11-27 09:00 +8);

/// A database nobody else uses. On drop the SQLite file's folder is removed, and the
/// PostgreSQL schema dropped (best effort: a schema still locked after 2 s is left behind).
pub struct FreshDb {
    pub url: String,
    dir: Option<PathBuf>,
    /// (server URL without the schema, schema name)
    schema: Option<(String, String)>,
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(test_evidence_dir(&self.url));
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((base, schema)) = self.schema.take() {
            // A thread with its own runtime: drop may run inside the test's runtime.
            let dropper = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    let Ok(db) = Db::connect(&base, 1).await else {
                        return;
                    };
                    let mut conn = match db.pool.acquire().await {
                        Ok(c) => c,
                        Err(_) => return,
                    };
                    let _ = sqlx::query("SET lock_timeout = '2s'")
                        .execute(&mut *conn)
                        .await;
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut *conn)
                        .await;
                });
            });
            let _ = dropper.join();
        }
    }
}

impl FreshDb {
    /// A fresh database, or `None` (after saying so) when PostgreSQL is asked for and
    /// `TEST_DATABASE_URL` is not set.
    pub async fn new(kind: TestDb) -> Option<FreshDb> {
        let tag = hex::encode(random_bytes(&os_rng(), 8));
        match kind {
            TestDb::Sqlite => {
                let dir = std::env::temp_dir().join(format!("reset-test-{tag}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                Some(FreshDb {
                    url: format!("sqlite://{}", dir.join("reset.db").display()),
                    dir: Some(dir),
                    schema: None,
                })
            }
            TestDb::Postgres => {
                let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
                    println!("skipped: PostgreSQL test needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)");
                    return None;
                };
                let schema = format!("t_{tag}");
                let admin = Db::connect(&base, 1)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&admin.pool)
                    .await
                    .expect("create test schema");
                admin.pool.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                Some(FreshDb {
                    url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                    dir: None,
                    schema: Some((base, schema)),
                })
            }
        }
    }
}

/// Settings for tests: cheap argon2, generous per-IP limits, development mode.
pub fn test_settings(database_url: &str) -> Settings {
    let mut s = Settings {
        database_url: database_url.to_owned(),
        dev: true,
        db_max_connections: 5,
        ..Settings::default()
    };
    s.hashing.m_kib = 256;
    s.hashing.t = 1;
    s.limits.login = 10_000;
    s.limits.start_reset = 10_000;
    s.limits.send_code = 10_000;
    s.limits.verify_code = 10_000;
    s.limits.set_password = 10_000;
    s.limits.status = 10_000;
    s.limits.staff_login = 10_000;
    s.sms.poll_ms = 50;
    s.evidence.dir = Some(test_evidence_dir(database_url));
    s.evidence.master_keys = TEST_MASTER_KEYS.into();
    s.limits.upload = 10_000;
    // Reading ID fronts loads the OCR models and keeps two cores busy: only the tests of the
    // reading turn it on.
    s.ocr.enabled = false;
    s
}

/// The master key of test servers (never a real one).
pub const TEST_MASTER_KEYS: &str =
    "test:74657374206d6173746572206b65792c206e6f7420666f72207265616c212121";

/// Where a test server on `database_url` keeps its pictures: beside a SQLite file, or a temp
/// folder named after the PostgreSQL URL, so servers sharing a database share it too.
pub fn test_evidence_dir(database_url: &str) -> PathBuf {
    if database_url.starts_with("sqlite:") {
        return reset_bank::evidence::EvidenceSettings::default().folder(database_url);
    }
    use sha2::Digest;
    let tag = hex::encode(sha2::Sha256::digest(database_url.as_bytes()));
    std::env::temp_dir().join(format!("reset-evidence-{}", &tag[..16]))
}

/// A server running in this process on a loopback port.
pub struct TestServer {
    /// The customers' API.
    pub base: String,
    /// The staff console's listener.
    pub staff_base: String,
    /// The operators' listener (`/metrics`).
    pub admin_base: String,
    pub state: Services,
    pub clock: ManualClock,
    pub client: reqwest::Client,
    running: Option<Running>,
    _db: Option<Arc<FreshDb>>,
}

impl TestServer {
    /// A server on a fresh database of `kind` with [`test_settings`]; `None` if skipped.
    pub async fn start(kind: TestDb) -> Option<TestServer> {
        Self::start_with(kind, |_| {}).await
    }

    /// As [`TestServer::start`], with settings changed by `tweak`.
    pub async fn start_with(kind: TestDb, tweak: impl FnOnce(&mut Settings)) -> Option<TestServer> {
        let db = Arc::new(FreshDb::new(kind).await?);
        let clock = ManualClock::new(TEST_START);
        let mut server = Self::start_on(&db.url, clock, tweak).await;
        server._db = Some(db);
        Some(server)
    }

    /// A server on an existing database `url` sharing `clock`: for several instances on one
    /// database. Migrates and seeds the demo customers.
    pub async fn start_on(
        url: &str,
        clock: ManualClock,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let mut settings = test_settings(url);
        tweak(&mut settings);
        let db = Db::connect(url, settings.db_max_connections)
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        let rng = os_rng();
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let hasher =
            reset_bank::hashing::Hasher::new(&settings.hashing, rng.clone()).expect("hasher");
        reset_bank::operators::seed_demo(&db, &hasher, clock.now())
            .await
            .expect("seed");
        let state = Services::on(db, settings, shared, rng).expect("state");
        let bind = || async {
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind")
        };
        let listeners = Listeners {
            customer: bind().await,
            staff: Some(bind().await),
            admin: Some(bind().await),
        };
        let running = spawn(state.clone(), listeners).expect("serve");
        let http = |addr: Option<std::net::SocketAddr>| {
            addr.map(|a| format!("http://{a}")).unwrap_or_default()
        };
        TestServer {
            base: format!("http://{}", running.addr),
            staff_base: http(running.staff_addr),
            admin_base: http(running.admin_addr),
            state,
            clock,
            client: reqwest::Client::new(),
            running: Some(running),
            _db: None,
        }
    }

    /// Calls to `base` (a balancer in front of servers run elsewhere) with services over the
    /// same database beside them, serving nothing: the helpers of path A and B work through
    /// it, and its outbox delivers on the real clock as the servers' do.
    pub async fn view(url: &str, base: &str, staff_base: &str) -> TestServer {
        let mut settings = test_settings(url);
        settings.evidence.store = reset_bank::evidence::StoreKind::Database;
        let db = Db::connect(url, 2).await.expect("connect");
        let real: Arc<dyn Clock> = Arc::new(reset_bank::clock::SystemClock);
        let clock = ManualClock::new(real.now());
        let state = Services::on(db, settings, real, os_rng()).expect("state");
        TestServer {
            base: base.to_owned(),
            staff_base: staff_base.to_owned(),
            admin_base: String::new(),
            state,
            clock,
            client: reqwest::Client::new(),
            running: None,
            _db: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a JSON body; the status and the JSON answer (`Null` if not JSON).
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("post");
        answer(resp).await
    }

    /// POSTs raw bytes as JSON.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("post");
        answer(resp).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.client.get(self.url(path)).send().await.expect("get");
        answer(resp).await
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let resp = self.client.get(self.url(path)).send().await.expect("get");
        (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        )
    }

    /// Delivers what the outbox holds (waiting for the background worker's round to finish),
    /// then the dev inbox of `phone`, oldest first.
    pub async fn sms_to(&self, phone: &str) -> Vec<String> {
        self.flush_sms().await;
        let (status, body) = self.get(&format!("/v1/dev/sms?phone={phone}")).await;
        assert_eq!(status, 200, "{body}");
        body["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|x| x["text"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Returns once every due message is delivered (or has failed this attempt).
    pub async fn flush_sms(&self) {
        for _ in 0..2000 {
            self.state.outbox.deliver_due().await.expect("deliver");
            if self.state.outbox.pending().await.expect("pending") == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        panic!("the SMS outbox did not drain");
    }

    /// The code of the newest code SMS to `phone`.
    pub async fn last_code(&self, phone: &str) -> Option<String> {
        self.sms_to(phone)
            .await
            .iter()
            .rev()
            .find_map(|t| code_in(t))
    }

    /// Starts a reset for a demo customer: the flow id.
    pub async fn start_reset(&self, id_number: &str, name: &str) -> String {
        let (status, body) = self
            .post(
                "/v1/resets",
                serde_json::json!({"id_type": "id_card", "id_number": id_number, "name": name}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["flow_id"].as_str().expect("flow_id").to_owned()
    }

    /// Runs path A to the end for a demo customer; the flow id.
    pub async fn reset_password(
        &self,
        id_number: &str,
        name: &str,
        phone: &str,
        password: &str,
    ) -> String {
        let flow = self.start_reset(id_number, name).await;
        let (s, b) = self
            .post(
                &format!("/v1/resets/{flow}/sms"),
                serde_json::json!({"phone": phone}),
            )
            .await;
        assert_eq!(s, 202, "{b}");
        let code = self.last_code(phone).await.expect("code sent");
        let (s, b) = self
            .post(
                &format!("/v1/resets/{flow}/sms/verify"),
                serde_json::json!({"code": code}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = self
            .post(
                &format!("/v1/resets/{flow}/password"),
                serde_json::json!({"password": password}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        flow
    }

    /// The sealed objects the evidence store holds, as (object id, bytes) in id order,
    /// whichever store it is: files of the folder, or rows of the database.
    pub async fn sealed_objects(&self) -> Vec<(String, Vec<u8>)> {
        let mut objects: Vec<(String, Vec<u8>)> = if self.state.evidence.store.in_database() {
            sqlx::query_as("SELECT object_id, sealed FROM evidence_objects")
                .fetch_all(&self.state.db.pool)
                .await
                .expect("evidence objects")
        } else {
            let dir = self
                .state
                .settings
                .evidence
                .folder(&self.state.settings.database_url);
            std::fs::read_dir(dir).map_or(Vec::new(), |d| {
                d.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        let id = name.strip_suffix(".sealed")?.to_owned();
                        Some((id, std::fs::read(e.path()).ok()?))
                    })
                    .collect()
            })
        };
        objects.sort();
        objects
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

async fn answer(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// The six digits after 验证码 in a code SMS.
pub fn code_in(text: &str) -> Option<String> {
    let rest = text.split("验证码").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 6).then_some(digits)
}

/// A loopback port nobody listens on now (the OS's pick, released for the caller to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
