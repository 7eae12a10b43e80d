//! The face upload as the server receives it: the fuzzer's bytes are the multipart body of
//! `POST /v1/resets/{id}/face`, sent through the server's own router (`reset_server::app`:
//! body limits, the per-IP check, the step check, the part reader with its per-part cap, the
//! parts' names, the challenge record) for a real flow at the face step, on a SQLite database.
//! The caps are small (2 KiB a part, 6 KiB a request) so the fuzzer reaches both.
//!
//! Whatever the body, the answer is a refusal the contract names for a bad upload, never a
//! server error, and the flow stays at the face step: the challenge it would have to answer was
//! never issued, so no body can pass.
#![no_main]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use libfuzzer_sys::fuzz_target;
use reset_bank::clock::{Clock, ManualClock};
use reset_bank::evidence::StoreKind;
use reset_bank::hashing::Hasher;
use reset_bank::rng::os_rng;
use reset_bank::store::Db;
use reset_bank::{Services, Settings};
use reset_flow::wire::{ErrorBody, Sensitive};
use reset_flow::ErrorCode;
use time::macros::datetime;
use tower::ServiceExt;

/// The boundary the seeds are written with; the fuzzer learns it from them.
const CONTENT_TYPE: &str = "multipart/form-data; boundary=reset-fuzz-boundary";

/// A made-up master key for the fuzzed server's vault (never a real one).
const FUZZ_MASTER_KEYS: &str =
    "fuzz:66757a7a206d6173746572206b65792c206e6f7420666f72207265616c212121";

struct Upload {
    rt: tokio::runtime::Runtime,
    app: Router,
    face_path: String,
}

static UPLOAD: OnceLock<Upload> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let upload = UPLOAD.get_or_init(start);
    let (status, body) = upload.rt.block_on(send(
        &upload.app,
        &upload.face_path,
        CONTENT_TYPE,
        data.to_vec(),
    ));
    assert_ne!(
        status,
        StatusCode::OK,
        "an upload passed an unissued challenge"
    );
    let answer: ErrorBody = serde_json::from_slice(&body).expect("an error body");
    assert!(
        matches!(
            answer.code,
            ErrorCode::MalformedBody
                | ErrorCode::BodyTooLarge
                | ErrorCode::EvidenceTooLarge
                | ErrorCode::EvidenceMissing
                | ErrorCode::ChallengeFailed
        ),
        "{status} {:?}",
        answer.code
    );
});

/// The server over a fresh SQLite database with the demo customers, and a flow of 张三's at
/// the face step.
fn start() -> Upload {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = database_dir();
    let url = format!("sqlite://{}", dir.join("reset.db").display());
    let mut settings = Settings {
        database_url: url.clone(),
        ..Settings::default()
    };
    // Cheap hashing for the demo customers; no per-IP limit, or the fuzzer would soon be
    // refused before its body is read.
    settings.hashing.m_kib = 256;
    settings.hashing.t = 1;
    settings.limits.start_reset = u32::MAX;
    settings.limits.upload = u32::MAX;
    settings.evidence.store = StoreKind::Database;
    settings.evidence.master_keys = Sensitive(FUZZ_MASTER_KEYS.into());
    settings.evidence.max_part_bytes = 2 * 1024;
    settings.evidence.max_request_bytes = 6 * 1024;
    settings.ocr.enabled = false;
    let (app, face_path) = rt.block_on(async {
        let db = Db::connect(&url, 4).await.expect("database");
        db.migrate().await.expect("migrate");
        // A fixed clock: the flow never expires however long the fuzzer runs.
        let clock = ManualClock::new(datetime!(2026-11-27 09:00 +8));
        let rng = os_rng();
        let hasher = Hasher::new(&settings.hashing, rng.clone()).expect("hasher");
        reset_bank::operators::seed_demo(&db, &hasher, clock.now())
            .await
            .expect("demo customers");
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let app = reset_server::app(Services::on(db, settings, clock, rng).expect("services"));
        let start = r#"{"id_type":"id_card","id_number":"11010519491231002X","name":"张三"}"#;
        let (status, body) = send(&app, "/v1/resets", "application/json", start.into()).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let started: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        let flow = started["flow_id"].as_str().expect("flow_id").to_owned();
        let unavailable = format!("/v1/resets/{flow}/phone-unavailable");
        let (status, body) = send(&app, &unavailable, "application/json", b"{}".to_vec()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        (app, format!("/v1/resets/{flow}/face"))
    });
    Upload { rt, app, face_path }
}

/// POSTs `body` from a loopback peer; the status and the answer's bytes.
async fn send(
    app: &Router,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::post(path)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("answer body");
    (status, bytes.to_vec())
}

/// A folder of this process's own in the temporary folder (`scripts/fuzz` points TMPDIR at
/// one it removes afterwards). Folders of earlier runs whose process is gone are removed.
fn database_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("reset-fuzz-upload-") {
                if !PathBuf::from(format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
    let dir = tmp.join(format!("reset-fuzz-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}
