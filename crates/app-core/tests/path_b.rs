//! Path B through the app's core against a real reset server in this process: the face check
//! and the three pictures taken from a generated scenes folder (the tester's stand-in camera),
//! the contact phone with its code, and the new password waiting for review.

use std::time::Instant;

use reset_app_core::camera::{self, CameraFailure, CameraTask, DocumentKind};
use reset_app_core::view::{Outcome, Screen};
use reset_app_core::{AppCore, Settings};
use reset_capture::SourceSetting;
use reset_testkit::{TestDb, TestServer};

mod common;
use common::Scenes;

fn core_on(server: &TestServer, scenes: &Scenes) -> AppCore {
    AppCore::new(core_settings(server, scenes)).unwrap()
}

fn core_settings(server: &TestServer, scenes: &Scenes) -> Settings {
    Settings {
        api_url: server.base.clone(),
        dev_inbox: true,
        kiosk: false,
        resume_file: None,
        camera: Some(SourceSetting::Scenes(scenes.0.clone())),
        model_dir: None,
        request_timeout: None,
        webview_frames: Default::default(),
    }
}

async fn run_camera(core: &mut AppCore, task: CameraTask) -> Result<(), CameraFailure> {
    let job = core
        .begin_camera(task)
        .await
        .expect("the camera may run here");
    let mut updates = 0;
    let result = tokio::task::spawn_blocking(move || {
        let r = camera::run(&job, &mut |_| updates += 1);
        (r, updates)
    })
    .await
    .unwrap();
    assert!(result.1 > 0, "the screen got live updates");
    let outcome = result.0.as_ref().map(|_| ()).map_err(Clone::clone);
    core.camera_finished(result.0).await;
    outcome
}

fn screen(core: &AppCore) -> Screen {
    core.view(Instant::now()).screen
}

fn notices(core: &AppCore) -> Vec<String> {
    core.view(Instant::now())
        .notices
        .iter()
        .map(|n| n.code.as_str().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_b_reaches_review_through_the_core() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let scenes = Scenes::new("full");
    let mut core = core_on(&server, &scenes);
    core.start_reset();
    core.submit_identity("650102198511204562", "王五").await;
    assert_eq!(screen(&core), Screen::ReservedPhone);
    // The camera belongs to path B's screens only.
    assert!(core.begin_camera(CameraTask::Face).await.is_none());
    assert_eq!(notices(&core), ["wrong_step"]);

    core.phone_unavailable().await;
    assert_eq!(screen(&core), Screen::Face);
    run_camera(&mut core, CameraTask::Face).await.unwrap();
    assert_eq!(screen(&core), Screen::Documents, "{:?}", notices(&core));

    // 下一步 with pictures missing: told so, nothing sent.
    core.submit_documents().await;
    assert_eq!(notices(&core), ["evidence_missing"]);
    assert_eq!(screen(&core), Screen::Documents);
    for kind in DocumentKind::ALL {
        run_camera(&mut core, CameraTask::Document(kind))
            .await
            .unwrap();
    }
    let view = core.view(Instant::now());
    assert!(view.documents.iter().all(|d| d
        .thumbnail
        .as_deref()
        .is_some_and(|t| t.starts_with("data:image/jpeg;base64,"))));
    core.submit_documents().await;
    assert_eq!(screen(&core), Screen::ContactPhone, "{:?}", notices(&core));
    assert!(
        core.view(Instant::now())
            .documents
            .iter()
            .all(|d| d.thumbnail.is_none()),
        "uploaded pictures leave the app's memory"
    );

    core.request_code("13912345678", Instant::now()).await;
    let code = server.last_code("13912345678").await.expect("a code SMS");
    core.verify_code(&code).await;
    assert_eq!(screen(&core), Screen::NewPassword, "{:?}", notices(&core));
    core.set_password("Autumn#2026", "Autumn#2026").await;
    let view = core.view(Instant::now());
    assert_eq!(view.screen, Screen::Result, "{:?}", notices(&core));
    match view.outcome {
        Some(Outcome::UnderReview {
            due_by,
            contact_phone,
        }) => {
            assert!(!due_by.is_empty());
            assert_eq!(contact_phone.as_deref(), Some("139****5678"));
        }
        other => panic!("{other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_or_walked_away_camera_changes_nothing() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let scenes = Scenes::new("cancel");
    let mut core = core_on(&server, &scenes);
    core.start_reset();
    core.submit_identity("650102198511204562", "王五").await;
    core.phone_unavailable().await;

    let job = core.begin_camera(CameraTask::Face).await.unwrap();
    assert!(
        core.begin_camera(CameraTask::Face).await.is_none(),
        "one camera run at a time"
    );
    assert!(core.view(Instant::now()).camera.is_some());
    core.cancel_camera();
    let result = tokio::task::spawn_blocking(move || camera::run(&job, &mut |_| {}))
        .await
        .unwrap();
    assert_eq!(result.as_ref().err(), Some(&CameraFailure::Cancelled));
    core.camera_finished(result).await;
    let view = core.view(Instant::now());
    assert_eq!(view.screen, Screen::Face);
    assert!(view.camera.is_none() && view.notices.is_empty());

    // A run the customer walked away from (the kiosk's idle timeout) finishes into nothing.
    let job = core.begin_camera(CameraTask::Face).await.unwrap();
    core.cancel();
    let result = tokio::task::spawn_blocking(move || camera::run(&job, &mut |_| {}))
        .await
        .unwrap();
    core.camera_finished(result).await;
    assert_eq!(screen(&core), Screen::Login);

    // No camera on this device: a clear message, not a hang.
    let mut bare = AppCore::new(Settings {
        api_url: server.base.clone(),
        ..Settings::default()
    })
    .unwrap();
    bare.start_reset();
    bare.submit_identity("650102198511204562", "王五").await;
    bare.phone_unavailable().await;
    let job = bare.begin_camera(CameraTask::Face).await.unwrap();
    let result = camera::run(&job, &mut |_| {});
    assert!(matches!(result, Err(CameraFailure::Source { .. })));
    bare.camera_finished(result).await;
    let view = bare.view(Instant::now());
    assert_eq!(view.screen, Screen::Face);
    assert_eq!(view.notices.len(), 1);
    assert_eq!(view.notices[0].message, "未找到摄像头");
    server.stop().await;
}

/// The kiosk's next customer: the face check passed and a picture of the card taken, then the
/// customer walks away. The clean start leaves no picture, no camera and no flow behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosks_clean_start_leaves_no_picture_behind() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let scenes = Scenes::new("kiosk");
    let mut core = AppCore::new(Settings {
        kiosk: true,
        ..core_settings(&server, &scenes)
    })
    .unwrap();
    core.start_reset();
    core.submit_identity("650102198511204562", "王五").await;
    core.phone_unavailable().await;
    run_camera(&mut core, CameraTask::Face).await.unwrap();
    run_camera(&mut core, CameraTask::Document(DocumentKind::IdFront))
        .await
        .unwrap();
    let taken = core.view(Instant::now());
    assert!(taken.documents.iter().any(|d| d.thumbnail.is_some()));
    // A second picture is being taken when the idle time runs out.
    let job = core
        .begin_camera(CameraTask::Document(DocumentKind::IdBack))
        .await
        .unwrap();
    core.fresh_start();
    let result = tokio::task::spawn_blocking(move || camera::run(&job, &mut |_| {}))
        .await
        .unwrap();
    core.camera_finished(result).await;

    let next = core.view(Instant::now());
    assert_eq!(next.screen, Screen::Login);
    assert!(next.camera.is_none());
    assert!(next.documents.iter().all(|d| d.thumbnail.is_none()));
    assert!(next.applicant.is_none() && next.name.is_empty() && next.id_number.is_empty());
    // Nothing to submit for the next person either: no flow is open.
    core.submit_documents().await;
    assert_eq!(notices(&core), ["evidence_missing"]);
    server.stop().await;
}
