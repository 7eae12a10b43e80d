//! Where frames come from: one trait, its errors, and the file and folder sources for tests and
//! testers. The other sources (frames pushed from the webview on phones, the tester's scenes,
//! nokhwa cameras behind the `camera` feature) implement it in modules of their own;
//! `setting.rs` opens the one a setting names.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use reset_flow::wire::ChallengePrompt;
use serde::{Deserialize, Serialize};

use crate::Frame;

/// Why a source gave no frame; the app words each code for the screen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error("no camera found")]
    NoCamera,
    #[error("permission to use the camera was denied")]
    PermissionDenied,
    #[error("the camera is busy or stopped: {0}")]
    CameraFailed(String),
    #[error("cannot read {path}: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("not a picture: {0}")]
    NotAPicture(String),
    #[error("RESET_CAMERA must be `dir:PATH`, `webview` or `camera[:INDEX]`, not {0:?}")]
    BadSetting(String),
}

impl SourceError {
    /// Stable code: the app says it in the customer's words.
    pub fn code(&self) -> &'static str {
        match self {
            SourceError::NoCamera => "no_camera",
            SourceError::PermissionDenied => "camera_permission_denied",
            SourceError::CameraFailed(_) => "camera_failed",
            SourceError::Unreadable { .. } => "unreadable",
            SourceError::NotAPicture(_) => "not_a_picture",
            SourceError::BadSetting(_) => "bad_setting",
        }
    }
}

/// Anything that yields frames: a camera, the webview, or pictures on disk.
pub trait FrameSource {
    /// The next frame; live sources (cameras, the webview) wait for it. `Ok(None)` when the
    /// source has ended (files; a webview run that was closed or cancelled).
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError>;

    /// What the app now asks the customer to show. A camera ignores it (the customer reacts);
    /// the stand-in `ScenesSource` switches pictures.
    fn show_scene(&mut self, _scene: Scene) {}

    /// A short description for logs and the tester's screen.
    fn describe(&self) -> String;
}

/// Picture files, one frame each, in name order; frame times advance by `interval_ms`.
pub struct FileSource {
    files: VecDeque<PathBuf>,
    next_at_ms: u64,
    interval_ms: u64,
    label: String,
}

const PICTURE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp"];

impl FileSource {
    /// The given files in the given order.
    pub fn files(files: Vec<PathBuf>) -> FileSource {
        FileSource {
            label: format!("{} files", files.len()),
            files: files.into(),
            next_at_ms: 0,
            interval_ms: 100,
        }
    }

    /// Every picture (jpg, png, webp) directly inside `dir`, sorted by name.
    pub fn dir(dir: &Path) -> Result<FileSource, SourceError> {
        let unreadable = |e: std::io::Error| SourceError::Unreadable {
            path: dir.to_owned(),
            message: e.to_string(),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(unreadable)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_picture(p))
            .collect();
        files.sort();
        let mut source = FileSource::files(files);
        source.label = format!("folder {}", dir.display());
        Ok(source)
    }

    /// The pictures still to come, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().cloned().collect()
    }

    /// Milliseconds between the times given to consecutive frames (default 100, i.e. 10 fps).
    pub fn with_interval_ms(mut self, interval_ms: u64) -> FileSource {
        self.interval_ms = interval_ms;
        self
    }
}

fn is_picture(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PICTURE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

impl FrameSource for FileSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let Some(path) = self.files.pop_front() else {
            return Ok(None);
        };
        let image = load_picture(&path)?;
        let at_ms = self.next_at_ms;
        self.next_at_ms += self.interval_ms;
        Ok(Some(Frame::new(image, at_ms)))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

/// Reads a picture file into RGB.
pub fn load_picture(path: &Path) -> Result<image::RgbImage, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| SourceError::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    decode_picture(&bytes).map_err(|e| SourceError::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Reads a picture file straight into luma, for readers that need no colour (QR): a grey file
/// is not widened to RGB and narrowed back.
pub fn load_gray_picture(path: &Path) -> Result<image::GrayImage, SourceError> {
    let unreadable = |message: String| SourceError::Unreadable {
        path: path.to_owned(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    match image::load_from_memory(&bytes).map_err(|e| unreadable(e.to_string()))? {
        image::DynamicImage::ImageLuma8(gray) => Ok(gray),
        image::DynamicImage::ImageRgb8(rgb) => Ok(crate::frame::to_gray(&rgb)),
        other => Ok(crate::frame::to_gray(&other.into_rgb8())),
    }
}

/// Decodes JPEG, PNG or WebP bytes into RGB.
pub fn decode_picture(bytes: &[u8]) -> Result<image::RgbImage, SourceError> {
    reset_picture::decode(bytes).map_err(|e| SourceError::NotAPicture(e.0))
}

/// One thing the customer is asked to put in front of the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scene {
    /// The face, still and centred (the face check before and between prompts).
    Face,
    TurnLeft,
    TurnRight,
    ComeCloser,
    /// 身份证正面 (the side with the portrait).
    IdFront,
    /// 身份证反面.
    IdBack,
    /// 手持身份证照.
    Handheld,
}

impl Scene {
    pub const ALL: [Scene; 7] = [
        Scene::Face,
        Scene::TurnLeft,
        Scene::TurnRight,
        Scene::ComeCloser,
        Scene::IdFront,
        Scene::IdBack,
        Scene::Handheld,
    ];

    /// The sub-folder name of a scenes folder.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scene::Face => "face",
            Scene::TurnLeft => "turn_left",
            Scene::TurnRight => "turn_right",
            Scene::ComeCloser => "come_closer",
            Scene::IdFront => "id_front",
            Scene::IdBack => "id_back",
            Scene::Handheld => "handheld",
        }
    }

    /// The scene a face-check prompt asks for.
    pub const fn of_prompt(prompt: ChallengePrompt) -> Scene {
        match prompt {
            ChallengePrompt::TurnLeft => Scene::TurnLeft,
            ChallengePrompt::TurnRight => Scene::TurnRight,
            ChallengePrompt::ComeCloser => Scene::ComeCloser,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::setting::{open_source, SourceSetting};

    /// A plain green JPEG, for the sources' tests.
    pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 200, 30]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn settings_parse() {
        assert_eq!(
            SourceSetting::parse("dir:/tmp/x").unwrap(),
            SourceSetting::Dir("/tmp/x".into())
        );
        assert_eq!(
            SourceSetting::parse("camera:2").unwrap(),
            SourceSetting::Camera(2)
        );
        assert_eq!(
            SourceSetting::parse("webview").unwrap(),
            SourceSetting::Webview
        );
        assert!(matches!(
            SourceSetting::parse("usb"),
            Err(SourceError::BadSetting(_))
        ));
        assert!(SourceSetting::parse("dir:").is_err());
        assert_eq!(
            SourceSetting::parse("scenes:/tmp/s").unwrap(),
            SourceSetting::Scenes("/tmp/s".into())
        );
        assert!(SourceSetting::parse("scenes:").is_err());
    }

    #[test]
    fn folder_source_reads_pictures_in_name_order() {
        let dir = std::env::temp_dir().join(format!("capture-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.jpg"), jpeg(8, 4)).unwrap();
        std::fs::write(dir.join("a.jpg"), jpeg(4, 8)).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a picture").unwrap();
        let mut src = open_source(&SourceSetting::Dir(dir.clone())).unwrap();
        let a = src.next_frame().unwrap().unwrap();
        let b = src.next_frame().unwrap().unwrap();
        assert_eq!((a.width(), a.at_ms), (4, 0));
        assert_eq!((b.width(), b.at_ms), (8, 100));
        assert!(src.next_frame().unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_file_and_camera_are_reported() {
        let mut src = FileSource::files(vec!["/nonexistent/x.jpg".into()]);
        let err = src.next_frame().unwrap_err();
        assert_eq!(err.code(), "unreadable");
        #[cfg(not(desktop_camera))]
        assert_eq!(
            open_source(&SourceSetting::Camera(0)).err().unwrap().code(),
            "no_camera"
        );
    }
}
