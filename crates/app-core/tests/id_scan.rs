//! The camera icon beside 证件号码, through the app's core: the card is found, straightened and
//! read offline; a number is filled in only when its check digit holds.

use std::time::Instant;

use reset_app_core::camera::{self, CameraTask};
use reset_app_core::view::Screen;
use reset_app_core::{AppCore, Settings};
use reset_capture::SourceSetting;
use reset_flow::IdType;

/// A scenes folder whose `id_front` shows a printed card saying `number` and `name`.
fn scenes_with_card(tag: &str, number: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("app-scan-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let front = dir.join("id_front");
    std::fs::create_dir_all(&front).unwrap();
    let font = reset_testkit::specimen::load_font().expect("a CJK font (fonts-noto-cjk)");
    let face = reset_testkit::specimen::CardFace {
        name: name.into(),
        sex: reset_ocr::Sex::Female,
        ethnicity: "汉".into(),
        birth_date: time::macros::date!(1949 - 12 - 31),
        address: "北京市朝阳区建国路88号".into(),
        number: number.into(),
    };
    let card = reset_testkit::specimen::render_card(&face, &font);
    let framed =
        reset_testkit::synth::card_frame(&card, &reset_testkit::synth::CardScene::standard());
    for i in 0..4 {
        framed.save(front.join(format!("{i:02}.png"))).unwrap();
    }
    dir
}

async fn scan(core: &mut AppCore) {
    let job = core
        .begin_camera(CameraTask::IdScan)
        .await
        .expect("scan allowed");
    let result = tokio::task::spawn_blocking(move || camera::run(&job, &mut |_| {}))
        .await
        .unwrap();
    core.camera_finished(result).await;
}

fn core_with(dir: &std::path::Path) -> AppCore {
    AppCore::new(Settings {
        api_url: "http://127.0.0.1:9".into(),
        camera: Some(SourceSetting::Scenes(dir.to_owned())),
        ..Settings::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_fills_number_and_name_and_a_bad_check_digit_fills_only_the_name() {
    let good = scenes_with_card("good", "11010519491231002X", "张三");
    let mut core = core_with(&good);
    core.start_reset();
    scan(&mut core).await;
    let view = core.view(Instant::now());
    assert_eq!(view.screen, Screen::Identity);
    assert!(view.scanned, "{:?}", view.notices);
    assert_eq!(view.id_number, "11010519491231002X");
    assert_eq!(view.name, "张三");

    // The last digit changed: the check digit fails, so the number is never offered.
    let bad = scenes_with_card("bad", "110105194912310021", "李四");
    let mut core = core_with(&bad);
    core.start_reset();
    scan(&mut core).await;
    let view = core.view(Instant::now());
    assert_eq!(
        view.id_number, "",
        "a number failing its check digit is not filled in"
    );
    assert_eq!(view.name, "李四");

    // Only the 身份证 is read this way.
    core.choose_id_type(IdType::Passport);
    assert!(core.begin_camera(CameraTask::IdScan).await.is_none());
    assert_eq!(
        core.view(Instant::now()).notices[0].code.as_str(),
        "id_type_unsupported"
    );
    for d in [good, bad] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A package without the reader's models (here an empty models folder): the camera screen says
/// so in words and the fields stay as typed; no panic, nothing filled in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_models_the_scan_says_so_and_fills_nothing() {
    let scenes = scenes_with_card("nomodels", "11010519491231002X", "张三");
    let empty = std::env::temp_dir().join(format!("app-no-models-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let mut core = AppCore::new(Settings {
        api_url: "http://127.0.0.1:9".into(),
        camera: Some(SourceSetting::Scenes(scenes.clone())),
        model_dir: Some(empty.clone()),
        ..Settings::default()
    })
    .unwrap();
    core.start_reset();
    scan(&mut core).await;
    let view = core.view(Instant::now());
    assert_eq!(view.screen, Screen::Identity);
    assert!(!view.scanned);
    assert_eq!((view.id_number.as_str(), view.name.as_str()), ("", ""));
    let messages: Vec<&str> = view.notices.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(messages, ["证件识别组件缺失，请手动输入证件号码和姓名"]);
    for d in [scenes, empty] {
        let _ = std::fs::remove_dir_all(d);
    }
}
