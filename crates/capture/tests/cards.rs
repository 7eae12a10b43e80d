//! ID-card finding, gates, straightening, auto-capture and sides on generated pictures: cards
//! drawn flat, warped into a desk scene with perspective, then blurred or given glare.

use image::RgbImage;
use reset_capture::card::{judge_document, DocumentLimits};
use reset_capture::side::{card_side, check_handheld, expect_side};
use reset_capture::{
    analyse_document_frame, encode_jpeg, straighten, AutoCapture, CardSide, DocumentAnalyser,
    FaceFinder, FaceFinderConfig, Frame, JpegSpec, Quad, Reason,
};
use reset_testkit::synth::{card_frame, face_frame, flat_card, portrait, CardScene};

fn frame_of(scene: &CardScene, seed: u64) -> Frame {
    Frame::new(card_frame(&flat_card(None, seed), scene), 0)
}

fn max_corner_error(found: &Quad, truth: &Quad) -> f32 {
    found
        .corners
        .iter()
        .zip(truth.corners.iter())
        .map(|(a, b)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt())
        .fold(0.0, f32::max)
}

#[test]
fn a_good_card_is_found_and_ready() {
    let scene = CardScene::standard();
    let verdict = analyse_document_frame(&frame_of(&scene, 1));
    let outline = verdict.outline.expect("an outline");
    let err = max_corner_error(&outline, &scene.quad());
    assert!(err < 16.0, "corner error {err}: {outline:?}");
    assert!(verdict.ready, "{verdict:?}");
    assert!(verdict.reasons.is_empty());
}

#[test]
fn blur_and_glare_are_named() {
    let blurred = CardScene {
        blur_sigma: 4.0,
        ..CardScene::standard()
    };
    let v = analyse_document_frame(&frame_of(&blurred, 2));
    assert!(v.reasons.contains(&Reason::TooBlurry), "{v:?}");
    assert!(!v.ready);

    let glare = CardScene {
        glare: Some(((640, 360), 120, 80)),
        ..CardScene::standard()
    };
    let v = analyse_document_frame(&frame_of(&glare, 3));
    assert!(v.outline.is_some(), "{v:?}");
    assert!(v.reasons.contains(&Reason::Glare), "{v:?}");
}

#[test]
fn placement_gates() {
    // Tilted by about 20°.
    let (c, s) = (20f32.to_radians().cos(), 20f32.to_radians().sin());
    let rot = |(x, y): (f32, f32)| {
        let (dx, dy) = (x - 640.0, y - 360.0);
        (640.0 + dx * c - dy * s, 360.0 + dx * s + dy * c)
    };
    let tilted = CardScene {
        corners: CardScene::standard().corners.map(rot),
        ..CardScene::standard()
    };
    let v = analyse_document_frame(&frame_of(&tilted, 4));
    assert!(v.reasons.contains(&Reason::CardTilted), "{v:?}");

    // Running off the left edge of the frame.
    let close = CardScene {
        corners: [(4.0, 120.0), (760.0, 120.0), (760.0, 597.0), (4.0, 597.0)],
        ..CardScene::standard()
    };
    let v = analyse_document_frame(&frame_of(&close, 5));
    assert!(v.reasons.contains(&Reason::CardTooClose), "{v:?}");

    // Far away: a small card.
    let small = CardScene {
        corners: [
            (540.0, 300.0),
            (740.0, 300.0),
            (740.0, 426.0),
            (540.0, 426.0),
        ],
        ..CardScene::standard()
    };
    let v = analyse_document_frame(&frame_of(&small, 6));
    assert!(v.reasons.contains(&Reason::CardTooSmall), "{v:?}");

    // Nothing but the desk.
    let desk = CardScene {
        corners: [
            (-900.0, -900.0),
            (-800.0, -900.0),
            (-800.0, -840.0),
            (-900.0, -840.0),
        ],
        ..CardScene::standard()
    };
    let v = analyse_document_frame(&frame_of(&desk, 7));
    assert_eq!(v.reasons, vec![Reason::CardNotFound]);
    assert!(v.outline.is_none());
}

#[test]
fn straightening_gives_a_flat_card_of_the_id1_ratio() {
    let card = flat_card(None, 8);
    let scene = CardScene::standard();
    let frame = card_frame(&card, &scene);
    let outline = analyse_document_frame(&Frame::new(frame.clone(), 0))
        .outline
        .unwrap();
    let flat = straighten(&frame, &outline, 1000).unwrap();
    assert!(flat.width() >= 1000);
    let ratio = flat.width() as f32 / flat.height() as f32;
    assert!((ratio - 85.6 / 54.0).abs() < 0.01, "{ratio}");
    // Compare with the card as drawn, away from the edges.
    let drawn = image::imageops::resize(
        &card,
        flat.width(),
        flat.height(),
        image::imageops::FilterType::Triangle,
    );
    let (w, h) = flat.dimensions();
    let mut diff = 0u64;
    let mut n = 0u64;
    for y in (h / 10..h * 9 / 10).step_by(3) {
        for x in (w / 10..w * 9 / 10).step_by(3) {
            let (a, b) = (flat.get_pixel(x, y), drawn.get_pixel(x, y));
            diff += (0..3).map(|c| a[c].abs_diff(b[c]) as u64).sum::<u64>();
            n += 3;
        }
    }
    let mean = diff as f32 / n as f32;
    assert!(mean < 25.0, "mean difference {mean}");
    let jpeg = encode_jpeg(&flat, &JpegSpec::default()).unwrap();
    assert!(jpeg.len() <= 400 * 1024, "{} bytes", jpeg.len());
}

#[test]
fn auto_capture_waits_for_stable_good_frames() {
    let card = flat_card(None, 9);
    let mut analyser = DocumentAnalyser::new(DocumentLimits::default());
    let mut auto = AutoCapture::new(3);
    let scene = CardScene::standard();
    let frames: Vec<Frame> = [0.0, 0.0, 0.0, 1.0, 2.0]
        .iter()
        .enumerate()
        .map(|(i, dx)| Frame::new(card_frame(&card, &scene.shifted(*dx, 0.0)), i as u64 * 100))
        .collect();
    // A moving frame starts the count again.
    let moved = Frame::new(card_frame(&card, &scene.shifted(60.0, 30.0)), 150);
    let v = analyser.analyse(&frames[0]);
    assert!(v.ready, "{v:?}");
    assert!(auto.feed(&frames[0], &v).is_none());
    assert_eq!(auto.streak(), 1);
    let v = analyser.analyse(&moved);
    assert!(v.reasons.contains(&Reason::Moving), "{v:?}");
    assert!(auto.feed(&moved, &v).is_none());
    assert_eq!(auto.streak(), 0);
    // The first frame after the move still differs from the one before it.
    let v = analyser.analyse(&frames[1]);
    assert_eq!(v.reasons, vec![Reason::Moving]);
    assert!(auto.feed(&frames[1], &v).is_none());
    let mut captured = None;
    for (i, f) in frames[2..].iter().enumerate() {
        let v = analyser.analyse(f);
        assert!(v.ready, "{v:?}");
        let c = auto.feed(f, &v);
        assert_eq!(c.is_some(), i == 2, "capture on the third good frame only");
        captured = c.or(captured);
    }
    let captured = captured.expect("captured after three good frames");
    assert!(captured.straightened.width() >= 1000);
    assert_eq!(auto.streak(), 0);
}

fn card_finder() -> FaceFinder {
    FaceFinder::new(FaceFinderConfig {
        min_face: 60,
        ..FaceFinderConfig::default()
    })
}

#[test]
fn front_has_the_portrait_back_has_none() {
    let face = portrait(300).expect("rustface's test picture ships in its package");
    let mut finder = card_finder();
    let scene = CardScene::standard();
    for (card, wanted) in [
        (flat_card(Some(&face), 10), CardSide::Front),
        (flat_card(None, 11), CardSide::Back),
    ] {
        let frame = card_frame(&card, &scene);
        let outline = analyse_document_frame(&Frame::new(frame.clone(), 0))
            .outline
            .unwrap();
        let flat = straighten(&frame, &outline, 1000).unwrap();
        let side = card_side(&flat, &mut finder);
        assert_eq!(side, Some(wanted));
        assert!(expect_side(side, wanted).is_ok());
    }
    assert_eq!(
        expect_side(Some(CardSide::Back), CardSide::Front),
        Err(Reason::CardNoPortrait)
    );
    assert_eq!(
        expect_side(Some(CardSide::Front), CardSide::Back),
        Err(Reason::CardWrongSide)
    );
}

#[test]
fn the_handheld_photo_needs_a_face_and_a_card() {
    let face = portrait(300).unwrap();
    let mut finder = card_finder();
    // The customer's face on the left, the card held on the right.
    let mut photo = face_frame(&face, 1280, 720, (330, 330), 520);
    let card = flat_card(Some(&face), 12);
    let scene = CardScene {
        corners: [
            (700.0, 250.0),
            (1180.0, 260.0),
            (1175.0, 560.0),
            (695.0, 555.0),
        ],
        ..CardScene::standard()
    };
    let with_card = card_frame(&card, &scene);
    // Paste the card region of `with_card` onto the photo.
    for y in 240..580 {
        for x in 680..1200 {
            photo.put_pixel(x, y, *with_card.get_pixel(x, y));
        }
    }
    let handheld = check_handheld(&Frame::new(photo.clone(), 0), &mut finder).unwrap();
    assert!(handheld.face.x < 640.0, "{handheld:?}");
    assert!(handheld.card.bounds().0 > 600.0, "{handheld:?}");

    let no_face = card_frame(&flat_card(None, 13), &CardScene::standard());
    assert_eq!(
        check_handheld(&Frame::new(no_face, 0), &mut finder).unwrap_err(),
        vec![Reason::HandheldNoFace]
    );
    let no_card: RgbImage = face_frame(&face, 1280, 720, (640, 360), 520);
    assert_eq!(
        check_handheld(&Frame::new(no_card, 0), &mut finder).unwrap_err(),
        vec![Reason::HandheldNoCard]
    );
}

#[test]
fn limits_can_be_loosened() {
    let blurred = CardScene {
        blur_sigma: 4.0,
        ..CardScene::standard()
    };
    let gray = frame_of(&blurred, 14).gray();
    let mut limits = DocumentLimits::default();
    limits.quality.min_focus = 0.0;
    let (v, _) = judge_document(&gray, &limits, None);
    assert!(v.ready, "{v:?}");
}
