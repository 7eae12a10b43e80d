//! Peak memory of the real `reset-server` binary under the worst uploads it allows (not a timed
//! test): 8 path-B flows upload at once, each with pictures of the most pixels the server
//! takes (`evidence.max_pixels`, read from the binary's defaults or `--max-pixels N`):
//!
//! - 8 concurrent `POST …/documents`, three such pictures each;
//! - 8 concurrent `POST …/face`, eight frames each, every one showing the face (so none is
//!   refused early and all are decoded).
//!
//! The server's VmHWM (from `/proc`) is printed after start, after the documents and after the
//! faces. `RESET_SERVER_BIN` runs another build of the server (an older one, to compare); a
//! server without `…/face/challenge` is sent the older record without a challenge id.
//!
//! `cargo bench -p reset-server --bench upload_memory [-- --max-pixels N]`

use std::process::{Command, Stdio};

use image::{Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use reset_flow::wire::{ChallengePrompt, FaceChallenge};
use reset_testkit::pictures::{face_answer, jpeg};
use reset_testkit::synth::{face_frame, portrait};
use reset_testkit::{free_port, test_evidence_dir, FreshDb, ServerProcess, TestDb};
use serde_json::{json, Value};

const FLOWS: usize = 8;

fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A picture of `side`×`side` pixels: a smooth gradient, so even the most pixels fit the
/// per-picture byte cap as a JPEG. What costs memory is the pixel count, not the content.
fn big_picture(side: u32) -> Vec<u8> {
    jpeg(&RgbImage::from_fn(side, side, |x, y| {
        Rgb([(x * 255 / side) as u8, (y * 255 / side) as u8, 128])
    }))
}

async fn start(db_url: &str, max_pixels: Option<u64>) -> ServerProcess {
    let other = std::env::var("RESET_SERVER_BIN").ok();
    let this_build = other.is_none();
    let bin = other.unwrap_or_else(|| env!("CARGO_BIN_EXE_reset-server").to_owned());
    let port = free_port();
    let mut cmd = Command::new(bin);
    // The server reads every `RESET_*` variable as a setting.
    cmd.env_remove("RESET_SERVER_BIN")
        .args(["--database-url", db_url, "serve", "--dev"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RESET_LOG", "error")
        .env("RESET_OCR__ENABLED", "false")
        .env("RESET_EVIDENCE__DIR", test_evidence_dir(db_url))
        .env(
            "RESET_EVIDENCE__MASTER_KEYS",
            reset_testkit::TEST_MASTER_KEYS,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for k in [
        "START_RESET",
        "SEND_CODE",
        "VERIFY_CODE",
        "UPLOAD",
        "STATUS",
    ] {
        cmd.env(format!("RESET_LIMITS__{k}"), "100000");
    }
    if this_build {
        // Builds before the listeners were split know neither setting (and refuse it).
        cmd.env("RESET_STAFF_LISTEN", "off")
            .env("RESET_ADMIN_LISTEN", "off");
    }
    if let Some(n) = max_pixels {
        cmd.env("RESET_EVIDENCE__MAX_PIXELS", n.to_string());
    }
    ServerProcess::spawn(cmd, port).await
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = client.post(url).json(&body).send().await.expect("post");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post_parts(
    client: &reqwest::Client,
    url: String,
    parts: Vec<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let form = parts.into_iter().fold(Form::new(), |f, (name, bytes)| {
        let part = if name == "challenge" {
            Part::bytes(bytes)
        } else {
            Part::bytes(bytes).file_name("p.jpg")
        };
        f.part(name.to_owned(), part)
    });
    let r = client
        .post(url)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A face upload of `count` frames picked from `frames` (at rest, turned left, turned right,
/// closer): the first at rest, the next doing the challenge's prompts, the rest at rest; with
/// the server's challenge if it issues one, else the older record without an id.
async fn face_parts(
    client: &reqwest::Client,
    flow_url: &str,
    frames: &[Vec<u8>],
    count: usize,
) -> Vec<(&'static str, Vec<u8>)> {
    let (st, body) = post(client, format!("{flow_url}/face/challenge"), json!({})).await;
    let issued = st == 200;
    let challenge: FaceChallenge = if issued {
        serde_json::from_value(body).expect("a challenge")
    } else {
        FaceChallenge {
            challenge_id: String::new(),
            prompts: vec![ChallengePrompt::TurnLeft, ChallengePrompt::TurnRight],
            expires_at: time::OffsetDateTime::now_utc(),
        }
    };
    let (_, record) = face_answer(&challenge);
    let mut record = serde_json::to_value(&record).expect("record");
    if !issued {
        record
            .as_object_mut()
            .expect("object")
            .remove("challenge_id");
    }
    let mut parts: Vec<(&str, Vec<u8>)> = (0..count)
        .map(|i| {
            let pick = match i.checked_sub(1).and_then(|p| challenge.prompts.get(p)) {
                None => 0,
                Some(ChallengePrompt::TurnLeft) => 1,
                Some(ChallengePrompt::TurnRight) => 2,
                Some(ChallengePrompt::ComeCloser) => 3,
            };
            ("frame", frames[pick].clone())
        })
        .collect();
    parts.push(("challenge", serde_json::to_vec(&record).expect("record")));
    parts
}

#[tokio::main]
async fn main() {
    let mut max_pixels: Option<u64> = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--max-pixels" {
            max_pixels = it.next().and_then(|n| n.parse().ok());
        }
    }
    let cap = max_pixels.unwrap_or(reset_bank::evidence::EvidenceSettings::default().max_pixels);
    let side = (cap as f64).sqrt().floor() as u32;
    let db = FreshDb::new(TestDb::Sqlite).await.unwrap();
    let server = start(&db.url, max_pixels).await;
    let pid = server.pid();
    let client = reqwest::Client::new();
    let idle = vm_hwm_kib(pid);

    // The face frames at the largest size allowed: the portrait scaled with the frame.
    let p = portrait(side * 5 / 8).expect("rustface's test picture");
    let at = |cx: u32, size: u32| {
        jpeg(&face_frame(
            &p,
            side,
            side,
            (cx as i64, side as i64 / 2),
            size,
        ))
    };
    let s = side * 5 / 8;
    let face_frames = vec![
        at(side / 2, s),
        at(side / 2 + side / 7, s),
        at(side / 2 - side / 7, s),
        at(side / 2, s * 7 / 5),
    ];
    let big = big_picture(side);
    println!(
        "pictures of {side}x{side} ({:.1} MP; cap {cap}): document {} KB, face frame {} KB",
        (side * side) as f64 / 1e6,
        big.len() / 1024,
        face_frames[0].len() / 1024
    );

    // Eight flows at the face step.
    let mut flows = Vec::new();
    for i in 0..FLOWS {
        let (st, b) = post(
            &client,
            format!("{}/v1/resets", server.base),
            json!({"id_type": "passport", "id_number": format!("E{:08}", 20_000_000 + i), "name": "BENCH CASE"}),
        )
        .await;
        assert_eq!(st, 201, "{b}");
        let flow = format!(
            "{}/v1/resets/{}",
            server.base,
            b["flow_id"].as_str().unwrap()
        );
        let (st, b) = post(&client, format!("{flow}/phone-unavailable"), json!({})).await;
        assert_eq!(st, 200, "{b}");
        flows.push(flow);
    }

    // Eight face uploads at once, eight large frames each.
    let mut jobs = tokio::task::JoinSet::new();
    for flow in flows.clone() {
        let client = client.clone();
        let parts = face_parts(&client, &flow, &face_frames, 8).await;
        jobs.spawn(async move { post_parts(&client, format!("{flow}/face"), parts).await });
    }
    let faces = jobs.join_all().await;
    let passed = faces.iter().filter(|(st, _)| *st == 200).count();
    let after_faces = vm_hwm_kib(pid);
    if passed < FLOWS {
        println!(
            "face uploads: {passed} of {FLOWS} passed; first refusal {:?}",
            faces.iter().find(|(st, _)| *st != 200)
        );
    }

    // Eight document uploads at once, three large pictures each.
    let mut jobs = tokio::task::JoinSet::new();
    for flow in flows.clone() {
        let client = client.clone();
        let big = big.clone();
        jobs.spawn(async move {
            post_parts(
                &client,
                format!("{flow}/documents"),
                vec![
                    ("id_front", big.clone()),
                    ("id_back", big.clone()),
                    ("handheld", big),
                ],
            )
            .await
        });
    }
    let docs = jobs.join_all().await;
    let accepted = docs.iter().filter(|(st, _)| *st == 200).count();
    let after_documents = vm_hwm_kib(pid);
    println!(
        "server peak memory (VmHWM): {:.1} MiB after start, {:.1} MiB after {FLOWS} concurrent face uploads ({passed} passed), {:.1} MiB after {FLOWS} concurrent document uploads ({accepted} accepted)",
        idle as f64 / 1024.0,
        after_faces as f64 / 1024.0,
        after_documents as f64 / 1024.0,
    );
}
