//! The real binary killed with SIGKILL in the middle of a flow, restarted on the same SQLite
//! file, finishes the flow.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reset_testkit::free_port;
use serde_json::{json, Value};

use crate::ZHANG;

fn spawn(db_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_reset-server"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db_url,
            "--dev",
        ])
        .env("RESET_STAFF_LISTEN", "off")
        .env("RESET_ADMIN_LISTEN", "off")
        .env("RESET_HASHING__M_KIB", "256")
        .env("RESET_HASHING__T", "1")
        .env("RESET_SMS__POLL_MS", "20")
        .env("RESET_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn reset-server")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not become ready");
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = client.post(url).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Polls the dev inbox until the code arrives (the binary's worker delivers it).
async fn code_for(client: &reqwest::Client, base: &str, phone: &str) -> String {
    for _ in 0..400 {
        let v: Value = client
            .get(format!("{base}/v1/dev/sms?phone={phone}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(code) = v["messages"].as_array().and_then(|m| {
            m.iter()
                .rev()
                .find_map(|x| reset_testkit::code_in(x["text"].as_str()?))
        }) {
            return code;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no code delivered");
}

#[tokio::test]
async fn sigkill_mid_flow_then_restart_finishes_it() {
    let dir = std::env::temp_dir().join(format!("reset-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_url = format!("sqlite://{}", dir.join("reset.db").display());
    let client = reqwest::Client::new();
    let (id, name, phone) = ZHANG;

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut first = spawn(&db_url, port);
    wait_ready(&client, &base).await;
    let (st, b) = post(
        &client,
        format!("{base}/v1/resets"),
        json!({"id_type": "id_card", "id_number": id, "name": name}),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let flow = b["flow_id"].as_str().unwrap().to_owned();
    assert_eq!(
        post(
            &client,
            format!("{base}/v1/resets/{flow}/sms"),
            json!({"phone": phone})
        )
        .await
        .0,
        202
    );
    let code = code_for(&client, &base, phone).await;
    first.kill().expect("SIGKILL");
    first.wait().unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut second = spawn(&db_url, port);
    wait_ready(&client, &base).await;
    let (st, b) = client
        .get(format!("{base}/v1/resets/{flow}"))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(st, 200);
    assert_eq!(b.json::<Value>().await.unwrap()["step"], "reserved_phone");
    let (st, b) = post(
        &client,
        format!("{base}/v1/resets/{flow}/sms/verify"),
        json!({"code": code}),
    )
    .await;
    assert_eq!((st, &b["step"]), (200, &json!("new_password")));
    let (st, _) = post(
        &client,
        format!("{base}/v1/resets/{flow}/password"),
        json!({"password": "Qiushui#88"}),
    )
    .await;
    assert_eq!(st, 200);
    let (st, _) = post(
        &client,
        format!("{base}/v1/login"),
        json!({"id_type": "id_card", "id_number": id, "password": "Qiushui#88"}),
    )
    .await;
    assert_eq!(st, 200);
    second.kill().unwrap();
    second.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
