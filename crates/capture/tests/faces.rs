//! Face finding on rustface's own test picture and on generated face frames, and the face check
//! driven end to end by frames, with injected time and a seeded RNG.

use rand::SeedableRng;
use reset_capture::face_check::judge_face;
use reset_capture::{
    encode_jpeg, FaceCheck, FaceCheckConfig, FaceCheckState, FaceFinder, FaceFinderConfig, Frame,
    JpegSpec, Reason,
};
use reset_flow::wire::ChallengePrompt;
use reset_testkit::synth::{face_frame, portrait, rustface_test_picture};

#[test]
fn rustface_test_picture_faces() {
    let group = rustface_test_picture().expect("test.png ships in the rustface package");
    let mut finder = FaceFinder::new(FaceFinderConfig {
        min_face: 30,
        ..FaceFinderConfig::default()
    });
    let faces = finder.detect(&reset_capture::frame::to_gray(&group));
    println!("rustface test picture: {} faces", faces.len());
    // The picture is the 1927 Solvay conference: 29 people, all facing the camera.
    assert!((24..=32).contains(&faces.len()), "{} faces", faces.len());
    assert!(faces.iter().all(|f| f.y < group.height() as f32 * 0.5));
}

fn finder() -> FaceFinder {
    FaceFinder::new(FaceFinderConfig::default())
}

#[test]
fn one_centred_face_in_a_face_frame() {
    let face = portrait(300).unwrap();
    let frame = face_frame(&face, 640, 480, (320, 240), 400);
    let found = finder().detect(&reset_capture::frame::to_gray(&frame));
    assert_eq!(found.len(), 1, "{found:?}");
    let f = found[0];
    let (cx, cy) = f.centre();
    assert!(
        (cx - 320.0).abs() < 40.0 && (cy - 240.0).abs() < 60.0,
        "{f:?}"
    );
    assert!(judge_face(&found, 640, 480, &FaceCheckConfig::default()).is_ok());
    // Off to the side: named.
    let side = face_frame(&face, 640, 480, (110, 240), 400);
    let found = finder().detect(&reset_capture::frame::to_gray(&side));
    assert_eq!(
        judge_face(&found, 640, 480, &FaceCheckConfig::default()),
        Err(Reason::FaceOffCentre)
    );
}

/// Where the portrait goes in the frame to act out a prompt (a turned head's face box moves
/// sideways in the picture; coming closer makes it larger).
fn acted(p: ChallengePrompt) -> ((i64, i64), u32) {
    match p {
        ChallengePrompt::TurnLeft => ((410, 240), 400),
        ChallengePrompt::TurnRight => ((230, 240), 400),
        ChallengePrompt::ComeCloser => ((320, 240), 640),
    }
}

#[test]
fn the_face_check_passes_on_frames_that_act_the_prompts() {
    let face = portrait(300).unwrap();
    let mut finder = finder();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let mut check = FaceCheck::new(FaceCheckConfig::default(), &mut rng);
    let prompts = check.prompts().to_vec();
    let mut t = 0;
    let mut feed = |check: &mut FaceCheck, centre: (i64, i64), size: u32| {
        let frame = Frame::new(face_frame(&face, 640, 480, centre, size), t);
        t += 200;
        let faces = finder.detect(&frame.gray());
        check.feed(&frame, &faces).clone()
    };
    for _ in 0..3 {
        feed(&mut check, (320, 240), 400);
    }
    for (i, p) in prompts.iter().enumerate() {
        assert!(
            matches!(check.state(), FaceCheckState::Prompt { index, prompt, .. } if *index == i && prompt == p),
            "{:?}",
            check.state()
        );
        feed(&mut check, (320, 240), 400);
        let (c, s) = acted(*p);
        feed(&mut check, c, s);
    }
    assert_eq!(check.state(), &FaceCheckState::Passed);
    let evidence = check.evidence().unwrap();
    assert_eq!(evidence.frames.len(), 1 + prompts.len());
    assert_eq!(evidence.record.prompts.len(), prompts.len());
    for f in &evidence.frames {
        let jpeg = encode_jpeg(&f.image, &JpegSpec::default()).unwrap();
        assert!(jpeg.len() < 400 * 1024);
    }
    let json = serde_json::to_value(&evidence.record).unwrap();
    assert_eq!(json["prompts"].as_array().unwrap().len(), prompts.len());
}

#[test]
fn a_still_photo_held_up_times_out() {
    let face = portrait(300).unwrap();
    let mut finder = finder();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut check = FaceCheck::new(FaceCheckConfig::default(), &mut rng);
    let frame_img = face_frame(&face, 640, 480, (320, 240), 400);
    let faces = finder.detect(&reset_capture::frame::to_gray(&frame_img));
    for i in 0..40 {
        check.feed(&Frame::new(frame_img.clone(), i * 250), &faces);
    }
    assert_eq!(
        check.state(),
        &FaceCheckState::Failed {
            reason: Reason::ChallengeTimeout
        }
    );
}
