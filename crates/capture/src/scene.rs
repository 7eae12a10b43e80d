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
