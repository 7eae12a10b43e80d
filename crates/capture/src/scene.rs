//! What the app asks the customer to show, and the stand-in camera that "shows" it: a folder
//! with one sub-folder of pictures per scene, for testers and end-to-end tests where no camera
//! exists. A real camera ignores the scene; the customer in front of it reacts.

use std::path::{Path, PathBuf};

// The scene is the frame source's word: every source is told it (`FrameSource::show_scene`).
pub use crate::source::Scene;
use crate::source::{load_picture, FileSource, FrameSource, SourceError};
use crate::Frame;

/// A stand-in camera: the pictures of the current scene's sub-folder, in name order and over
/// again, with frame times advancing by a fixed interval across scenes (like a real clock).
pub struct ScenesSource {
    root: PathBuf,
    scene: Scene,
    pictures: Vec<PathBuf>,
    next: usize,
    at_ms: u64,
    interval_ms: u64,
}

impl ScenesSource {
    pub fn open(root: &Path) -> Result<ScenesSource, SourceError> {
        if !root.is_dir() {
            return Err(SourceError::Unreadable {
                path: root.to_owned(),
                message: "not a folder".into(),
            });
        }
        let mut source = ScenesSource {
            root: root.to_owned(),
            scene: Scene::Face,
            pictures: Vec::new(),
            next: 0,
            at_ms: 0,
            interval_ms: 100,
        };
        source.load(Scene::Face)?;
        Ok(source)
    }

    fn load(&mut self, scene: Scene) -> Result<(), SourceError> {
        let dir = self.root.join(scene.as_str());
        self.pictures = if dir.is_dir() {
            FileSource::dir(&dir)?.paths()
        } else {
            Vec::new()
        };
        self.scene = scene;
        self.next = 0;
        Ok(())
    }
}

impl FrameSource for ScenesSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.pictures.is_empty() {
            return Ok(None);
        }
        let path = &self.pictures[self.next % self.pictures.len()];
        let image = load_picture(path)?;
        self.next += 1;
        let frame = Frame::new(image, self.at_ms);
        self.at_ms += self.interval_ms;
        Ok(Some(frame))
    }

    fn show_scene(&mut self, scene: Scene) {
        if scene != self.scene {
            // A missing or unreadable folder just means no frames for that scene.
            if self.load(scene).is_err() {
                self.pictures.clear();
            }
        }
    }

    fn describe(&self) -> String {
        format!("scenes folder ({})", self.scene.as_str())
    }
}

/// Writes a scenes folder of generated pictures a face check and the three document captures
/// pass with, after a moment of getting it wrong as people do (so a tester sees the hints):
/// rustface's own test portrait off-centre and then centred, then moved and grown for the
/// prompts; a desk with no card before a card with that portrait (front) and one without (back);
/// the portrait holding the card. `None` when rustface's test picture is not where the build
/// found it.
pub fn write_generated_scenes(root: &Path) -> std::io::Result<Option<()>> {
    use crate::synth;
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
