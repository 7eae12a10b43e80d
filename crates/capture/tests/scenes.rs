//! The stand-in camera for testers: a generated scenes folder passes the face check whatever
//! prompts are drawn, and gives a front, a back and a handheld photo that pass their checks.

use rand::SeedableRng;
use reset_capture::side::expect_side;
use reset_capture::{
    analyse_document_frame, card_side, check_handheld, straighten, CardSide, FaceCheck,
    FaceCheckConfig, FaceCheckState, FaceFinder, FaceFinderConfig, FrameSource, Scene,
    ScenesSource,
};
use reset_testkit::scenes::write_generated_scenes;

fn scenes_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("capture-scenes-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_generated_scenes(&dir)
        .unwrap()
        .expect("rustface's test picture is in its package");
    dir
}

#[test]
fn generated_scenes_pass_the_face_check_for_any_prompts() {
    let dir = scenes_dir("face");
    for seed in 0..6 {
        let mut source = ScenesSource::open(&dir).unwrap();
        let mut finder = FaceFinder::new(FaceFinderConfig::default());
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut check = FaceCheck::new(FaceCheckConfig::default(), &mut rng);
        let mut frames = 0;
        while frames < 100 {
            let scene = match check.state() {
                FaceCheckState::Prompt { prompt, .. } => Scene::of_prompt(*prompt),
                _ => Scene::Face,
            };
            source.show_scene(scene);
            let frame = source.next_frame().unwrap().expect("scenes loop forever");
            let faces = finder.detect(&frame.gray());
            if matches!(
                check.feed(&frame, &faces),
                FaceCheckState::Passed | FaceCheckState::Failed { .. }
            ) {
                break;
            }
            frames += 1;
        }
        assert_eq!(check.state(), &FaceCheckState::Passed, "seed {seed}");
        let evidence = check.evidence().unwrap();
        assert_eq!(evidence.frames.len(), check.prompts().len() + 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generated_scenes_give_both_sides_and_a_handheld_photo() {
    let dir = scenes_dir("docs");
    let mut source = ScenesSource::open(&dir).unwrap();
    let mut finder = FaceFinder::new(FaceFinderConfig::default());
    for (scene, side) in [
        (Scene::IdFront, CardSide::Front),
        (Scene::IdBack, CardSide::Back),
    ] {
        source.show_scene(scene);
        // First the empty desk (the hint says to place the card), then the card.
        let first = source.next_frame().unwrap().unwrap();
        assert!(!analyse_document_frame(&first).ready);
        let (frame, verdict) = (0..20)
            .map(|_| {
                let f = source.next_frame().unwrap().unwrap();
                let v = analyse_document_frame(&f);
                (f, v)
            })
            .find(|(_, v)| v.ready)
            .unwrap_or_else(|| panic!("{scene:?}: no good frame"));
        let card = straighten(&frame.image, verdict.outline.as_ref().unwrap(), 1000).unwrap();
        assert_eq!(
            expect_side(card_side(&card, &mut finder), side),
            Ok(()),
            "{scene:?}"
        );
    }
    source.show_scene(Scene::Handheld);
    let first = source.next_frame().unwrap().unwrap();
    assert!(check_handheld(&first, &mut finder).is_err());
    let found = (0..20)
        .map(|_| source.next_frame().unwrap().unwrap())
        .any(|f| check_handheld(&f, &mut finder).is_ok());
    assert!(found, "a handheld photo after the empty desk");
    // A scene without a folder yields nothing rather than the wrong pictures.
    std::fs::remove_dir_all(dir.join("id_back")).unwrap();
    source.show_scene(Scene::IdBack);
    assert!(source.next_frame().unwrap().is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
