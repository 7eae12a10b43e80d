//! A generated scenes folder: the tester's stand-in camera for the app (`scenes:FOLDER`), one
//! folder of pictures per thing the app asks to see.

use std::path::Path;

use reset_capture::scene::Scene;

use crate::synth;

/// Writes a scenes folder of generated pictures a face check and the three document captures
/// pass with, after a moment of getting it wrong as people do (so a tester sees the hints):
/// rustface's own test portrait off-centre and then centred, then moved and grown for the
/// prompts; a desk with no card before a card with that portrait (front) and one without (back);
/// the portrait holding the card. `None` when rustface's test picture is not where the build
/// found it.
pub fn write_generated_scenes(root: &Path) -> std::io::Result<Option<()>> {
    let Some(portrait) = synth::portrait(300) else {
        return Ok(None);
    };
    let write = |scene: Scene, pictures: &[image::RgbImage]| -> std::io::Result<()> {
        let dir = root.join(scene.as_str());
        std::fs::create_dir_all(&dir)?;
        for (i, img) in pictures.iter().enumerate() {
            img.save(dir.join(format!("{i:02}.jpg")))
                .map_err(std::io::Error::other)?;
        }
        Ok(())
    };
    let (w, h) = (640u32, 480u32);
    let face_at = |x: i64, size: u32| synth::face_frame(&portrait, w, h, (x, 240), size);
    let off_centre = face_at(110, 400);
    let still = face_at(320, 400);
    // The camera faces the customer: a head turned to their left moves right in the picture.
    let (left, right, closer) = (face_at(410, 400), face_at(230, 400), face_at(320, 640));
    let slowly = |done: &image::RgbImage| -> Vec<image::RgbImage> {
        let mut v = vec![still.clone(); 12];
        v.push(done.clone());
        v
    };
    let face: Vec<image::RgbImage> = [vec![off_centre; 8], vec![still.clone(); 3]].concat();
    write(Scene::Face, &face)?;
    write(Scene::TurnLeft, &slowly(&left))?;
    write(Scene::TurnRight, &slowly(&right))?;
    write(Scene::ComeCloser, &slowly(&closer))?;
    let scene = synth::CardScene::standard();
    let desk = synth::card_frame(
        &image::RgbImage::new(1, 1),
        &synth::CardScene {
            corners: [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
            ..scene.clone()
        },
    );
    let card_then = |card: image::RgbImage| -> Vec<image::RgbImage> {
        let framed = synth::card_frame(&card, &scene);
        [vec![desk.clone(); 6], vec![framed; 5]].concat()
    };
    write(
        Scene::IdFront,
        &card_then(synth::flat_card(Some(&portrait), 11)),
    )?;
    write(Scene::IdBack, &card_then(synth::flat_card(None, 12)))?;
    let handheld = synth::handheld_frame(&portrait);
    write(
        Scene::Handheld,
        &[vec![desk; 6], vec![handheld; 4]].concat(),
    )?;
    Ok(Some(()))
}
