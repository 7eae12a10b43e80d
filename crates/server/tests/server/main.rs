//! Integration tests over real HTTP on loopback, each on a fresh database, on SQLite and (with
//! `TEST_DATABASE_URL`) PostgreSQL, through the shared test kit (`reset_testkit`).

/// Runs `async fn $name(server: TestServer)` on both databases, optionally with settings changed.
macro_rules! both {
    ($name:ident) => {
        both!($name, |_s| {});
    };
    ($name:ident, $tweak:expr) => {
        mod $name {
            use reset_testkit::{TestDb, TestServer};
            #[tokio::test]
            async fn sqlite() {
                let server = TestServer::start_with(TestDb::Sqlite, $tweak)
                    .await
                    .expect("sqlite");
                super::$name(server).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(server) = TestServer::start_with(TestDb::Postgres, $tweak).await {
                    super::$name(server).await;
                }
            }
        }
    };
}

mod abuse;
mod balanced;
mod cli;
mod evidence_stores;
mod faults;
mod id_reading;
mod login;
mod ops;
mod path_a;
mod path_b;
mod path_b_contact;
mod path_b_refusals;
mod process;
mod shared_db;
mod sms;
mod staff_console;
mod staff_login;
mod staff_security;
mod takeover;
mod vault;

/// The demo customers of the design.
pub const ZHANG: (&str, &str, &str) = ("11010519491231002X", "张三", "13800000001");
pub const LI: (&str, &str, &str) = ("44030419900307123X", "李四", "13800000002");
pub const WANG: (&str, &str, &str) = ("650102198511204562", "王五", "13800000003");
