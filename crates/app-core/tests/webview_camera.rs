//! The phones' camera path through the core: the screen opens the camera and sends JPEG frames,
//! which the `camera_frame` command pushes into the run's webview feed. Here a stand-in customer
//! on another thread does the screen's part: it watches what the camera screen asks and holds
//! up the matching pictures of a generated scenes folder. Its frames are 125 ms apart on the
//! feed's clock and each waits until the last was analysed, so a busy machine changes nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use reset_app_core::camera::{self, CameraFailure, CameraJob, CameraTask, DocumentKind};
use reset_app_core::view::Screen;
use reset_app_core::{AppCore, Settings};
use reset_capture::{encode_jpeg, FrameSource, JpegSpec, Scene, ScenesSource, SourceSetting};
use reset_flow::wire::ChallengePrompt;
use reset_testkit::{TestDb, TestServer};

mod common;
use common::Scenes;

fn webview_core(server: &TestServer) -> AppCore {
    AppCore::new(Settings {
        api_url: server.base.clone(),
        dev_inbox: true,
        kiosk: false,
        resume_file: None,
        camera: Some(SourceSetting::Webview),
        model_dir: None,
        request_timeout: None,
        webview_frames: Default::default(),
    })
    .unwrap()
}

/// What the camera screen shows the customer, as the stand-in customer reads it.
type Asked = Arc<Mutex<Option<ChallengePrompt>>>;

/// The stand-in customer: shows the scene the screen asks for, a frame each time the last one
/// was analysed, until told to stop.
fn customer(
    core: &AppCore,
    scenes: &Scenes,
    task: CameraTask,
    asked: Asked,
    analysed: Receiver<()>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<u32> {
    let feed = core.camera_feed().expect("a webview run has a feed");
    let mut pictures = ScenesSource::open(&scenes.0).unwrap();
    std::thread::spawn(move || {
        let mut kept = 0;
        let mut at_ms = 0;
        while !stop.load(Ordering::SeqCst) {
            let scene = match task {
                CameraTask::Face => asked.lock().unwrap().map_or(Scene::Face, Scene::of_prompt),
                CameraTask::Document(DocumentKind::IdFront) | CameraTask::IdScan => Scene::IdFront,
                CameraTask::Document(DocumentKind::IdBack) => Scene::IdBack,
                CameraTask::Document(DocumentKind::Handheld) => Scene::Handheld,
            };
            pictures.show_scene(scene);
            let frame = pictures.next_frame().unwrap().expect("a picture");
            let jpeg = encode_jpeg(&frame.image, &JpegSpec::default()).unwrap();
            kept += u32::from(feed.push_jpeg_at(&jpeg, at_ms).unwrap());
            at_ms += 125;
            // The next frame once this one is analysed (or the run is over).
            let _ = analysed.recv_timeout(Duration::from_secs(5));
        }
        kept
    })
}

/// Runs `job` while the stand-in customer shows what it asks; the frames the feed kept.
async fn run_with_customer(
    core: &mut AppCore,
    scenes: &Scenes,
    job: CameraJob,
) -> Result<u32, CameraFailure> {
    let asked: Asked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (analysed_tx, analysed) = channel();
    let shown = customer(
        core,
        scenes,
        job.task,
        asked.clone(),
        analysed,
        stop.clone(),
    );
    let result = tokio::task::spawn_blocking(move || {
        let r = camera::run(&job, &mut |update| {
            *asked.lock().unwrap() = update.prompt.map(|(p, _, _)| p);
            let _ = analysed_tx.send(());
        });
        drop(analysed_tx);
        r
    })
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    let kept = shown.join().unwrap();
    let outcome = result.as_ref().map(|_| kept).map_err(Clone::clone);
    core.camera_finished(result).await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_face_check_and_a_card_pass_on_frames_from_the_screen() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let scenes = Scenes::new("webview-full");
    let mut core = webview_core(&server);
    core.start_reset();
    core.submit_identity("650102198511204562", "王五").await;
    core.phone_unavailable().await;
    assert_eq!(core.view(Instant::now()).screen, Screen::Face);
    assert!(core.camera_feed().is_none(), "no run, nowhere to push");

    let job = core.begin_camera(CameraTask::Face).await.unwrap();
    let camera_view = core.view(Instant::now()).camera.expect("the camera screen");
    assert_eq!(
        camera_view.webview.expect("the screen opens it").facing,
        "user"
    );
    let kept = run_with_customer(&mut core, &scenes, job).await.unwrap();
    assert!(kept >= 3, "{kept} frames");
    let view = core.view(Instant::now());
    assert_eq!(view.screen, Screen::Documents, "{:?}", view.notices);
    assert!(core.camera_feed().is_none(), "the feed ends with its run");

    // A card, with the back camera: the same analysis as any camera's frames.
    let job = core
        .begin_camera(CameraTask::Document(DocumentKind::IdFront))
        .await
        .unwrap();
    let camera_view = core.view(Instant::now()).camera.unwrap();
    assert_eq!(camera_view.webview.unwrap().facing, "environment");
    run_with_customer(&mut core, &scenes, job).await.unwrap();
    // The photo holding the card has the customer's face in it: the selfie camera.
    let job = core
        .begin_camera(CameraTask::Document(DocumentKind::Handheld))
        .await
        .unwrap();
    let camera_view = core.view(Instant::now()).camera.unwrap();
    assert_eq!(camera_view.webview.unwrap().facing, "user");
    core.cancel_camera();
    let result = tokio::task::spawn_blocking(move || camera::run(&job, &mut |_| {}))
        .await
        .unwrap();
    core.camera_finished(result).await;
    let view = core.view(Instant::now());
    let front = view
        .documents
        .iter()
        .find(|d| d.kind == DocumentKind::IdFront);
    assert!(front.unwrap().thumbnail.is_some(), "{:?}", view.notices);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_ends_a_run_waiting_for_frames_and_a_refused_camera_says_why() {
    let server = TestServer::start(TestDb::Sqlite).await.unwrap();
    let mut core = webview_core(&server);
    core.start_reset();
    core.submit_identity("650102198511204562", "王五").await;
    core.phone_unavailable().await;

    // No frame ever comes; 取消 ends the wait at once, not after the stall time.
    let job = core.begin_camera(CameraTask::Face).await.unwrap();
    let feed = core.camera_feed().unwrap();
    let started = Instant::now();
    let waiting = tokio::task::spawn_blocking(move || camera::run(&job, &mut |_| {}));
    tokio::time::sleep(Duration::from_millis(200)).await;
    core.cancel_camera();
    let result = waiting.await.unwrap();
    assert_eq!(result.as_ref().err(), Some(&CameraFailure::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(5));
    core.camera_finished(result).await;
    assert!(core.view(Instant::now()).notices.is_empty());
    // A frame that arrives after the run is not kept.
    let late = encode_jpeg(&image::RgbImage::new(64, 48), &JpegSpec::default()).unwrap();
    assert!(!feed.push_jpeg(&late).unwrap());

    // The screen could not open the camera: the customer is told why, in their language.
    let job = core.begin_camera(CameraTask::Face).await.unwrap();
    core.camera_feed()
        .unwrap()
        .fail(reset_capture::SourceError::PermissionDenied);
    let result = tokio::task::spawn_blocking(move || camera::run(&job, &mut |_| {}))
        .await
        .unwrap();
    assert_eq!(
        result.as_ref().err(),
        Some(&CameraFailure::Source {
            code: "camera_permission_denied"
        })
    );
    core.camera_finished(result).await;
    let view = core.view(Instant::now());
    assert_eq!(view.screen, Screen::Face);
    assert_eq!(
        view.notices[0].message,
        "未获得摄像头权限，请在系统设置中允许使用摄像头"
    );
    server.stop().await;
}
