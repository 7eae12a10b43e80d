//! The binary's other commands: migrate, customer import, staff add, the config file and
//! `RESET_*` variables, and a clean exit on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use reset_bank::store::Db;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_reset-server"));
    c.env("RESET_LOG", "error")
        .env("RESET_STAFF_LISTEN", "off")
        .env("RESET_ADMIN_LISTEN", "off");
    c
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("reset-cli-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn db_url(&self) -> String {
        format!("sqlite://{}", self.0.join("reset.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn hashes(url: &str) -> Vec<String> {
    let db = Db::connect(url, 1).await.unwrap();
    sqlx::query_scalar("SELECT password_hash FROM customers ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn migrate_import_and_staff_add() {
    let dir = TempDir::new("import");
    let url = dir.db_url();
    let out = bin()
        .args(["--database-url", &url, "migrate"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "migrated");

    let csv = dir.0.join("customers.csv");
    std::fs::write(
        &csv,
        "id_type,id_number,name,reserved_phone,password\n\
         id_card,11010519491231002X,张三,13800000001,Kunlun2024\n\
         passport,E12345678,ZHANG SAN,+86 139 0000 0002,Kunlun2024\n",
    )
    .unwrap();
    let out = bin()
        .args(["--database-url", &url, "customer", "import"])
        .arg(&csv)
        .env("RESET_HASHING__M_KIB", "512")
        .env("RESET_HASHING__T", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "imported 2 customers"
    );
    let h = hashes(&url).await;
    assert_eq!(h.len(), 2);
    assert!(
        h.iter()
            .all(|h| h.starts_with("$argon2id$v=19$m=512,t=1,p=1$")),
        "{h:?}"
    );

    std::fs::write(
        &csv,
        "id_type,id_number,name,reserved_phone,password\n\
         id_card,110105194912310021,张三,13800000001,Kunlun2024\n",
    )
    .unwrap();
    let out = bin()
        .args(["--database-url", &url, "customer", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a wrong check digit is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 2"));

    let out = bin()
        .args([
            "--database-url",
            &url,
            "staff",
            "add",
            "--username",
            "alice",
            "--password",
            "S3cret#Shenhe#77",
            "--role",
            "reviewer",
        ])
        .env("RESET_HASHING__M_KIB", "512")
        .env("RESET_HASHING__T", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = Db::connect(&url, 1).await.unwrap();
    let (role, hash): (String, String) =
        sqlx::query_as("SELECT role, password_hash FROM staff WHERE username = 'alice'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(role, "reviewer");
    assert!(hash.starts_with("$argon2id$"));
    // The second factor is enrolled and shown once: the address and its QR code.
    let printed = String::from_utf8_lossy(&out.stdout);
    let enrolment = printed
        .lines()
        .find(|l| l.starts_with("otpauth://totp/"))
        .expect("the enrolment address");
    assert!(printed.contains('█') || printed.contains('▀'), "a QR code");
    let secret = reset_bank::staff::totp::secret_in_url(enrolment).unwrap();
    let stored: String =
        sqlx::query_scalar("SELECT totp_secret FROM staff WHERE username = 'alice'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, hex::encode(&secret));
    assert_eq!(secret.len(), 20);
    // A weak password is refused with the reason, and nothing is added.
    for (weak, why) in [
        ("S3cret#pass", "12 to 64"),
        ("bobbobbob#2026", "username"),
        ("abcdefghijklmn", "Letters, digits"),
    ] {
        let out = bin()
            .args(["--database-url", &url, "staff", "add"])
            .args([
                "--username",
                "bob",
                "--password",
                weak,
                "--role",
                "reviewer",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{weak}");
        assert!(
            err.contains(why) || err.contains("refused"),
            "{weak}: {err}"
        );
    }
    let bob: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE username = 'bob'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(bob, 0);
    let out = bin()
        .args([
            "--database-url",
            &url,
            "staff",
            "add",
            "--username",
            "bob",
            "--password",
            "x",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "unknown role");
}

#[tokio::test]
async fn config_file_then_environment() {
    let dir = TempDir::new("config");
    let config = dir.0.join("reset.toml");
    std::fs::write(&config, "[hashing]\nm_kib = 1024\nt = 1\n").unwrap();
    let url = dir.db_url();
    let out = bin()
        .args(["--config"])
        .arg(&config)
        .args(["--database-url", &url, "seed-demo"])
        .env("RESET_HASHING__T", "3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let h = hashes(&url).await;
    assert_eq!(h.len(), 3, "the demo customers");
    assert!(
        h[0].starts_with("$argon2id$v=19$m=1024,t=3,p=1$"),
        "{}",
        h[0]
    );
    std::fs::write(&config, "[hashing]\nm_kb = 1024\n").unwrap();
    let out = bin()
        .args(["--config"])
        .arg(&config)
        .args(["--database-url", &url, "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a misspelt setting is refused");
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let dir = TempDir::new("term");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = bin()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &dir.db_url(),
        ])
        .env("RESET_HASHING__M_KIB", "256")
        .env("RESET_HASHING__T", "1")
        // A production server: the bank's SMS provider (nobody listens on port 9 here).
        .env("RESET_SMS__GATEWAY", "http")
        .env("RESET_SMS__HTTP_URL", "http://127.0.0.1:9/sms")
        .env(
            "RESET_EVIDENCE__MASTER_KEYS",
            reset_testkit::TEST_MASTER_KEYS,
        )
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..400 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ready);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut exited = None;
    for _ in 0..400 {
        if let Some(s) = child.try_wait().unwrap() {
            exited = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let status = exited.expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}
