//! Which frame source a setting names (`RESET_CAMERA`, `--camera`), and opening it.

use std::path::PathBuf;

use crate::source::{FileSource, FrameSource, SourceError};

/// What `RESET_CAMERA` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSetting {
    Dir(PathBuf),
    /// A folder with a sub-folder per [`Scene`](crate::scene::Scene): the tester's stand-in.
    Scenes(PathBuf),
    Webview,
    Camera(u32),
}

impl SourceSetting {
    /// Parses `dir:PATH`, `scenes:PATH`, `webview`, `camera` or `camera:INDEX`.
    pub fn parse(s: &str) -> Result<SourceSetting, SourceError> {
        if let Some(path) = s.strip_prefix("dir:") {
            if path.is_empty() {
                return Err(SourceError::BadSetting(s.to_owned()));
            }
            return Ok(SourceSetting::Dir(PathBuf::from(path)));
        }
        if let Some(path) = s.strip_prefix("scenes:") {
            if path.is_empty() {
                return Err(SourceError::BadSetting(s.to_owned()));
            }
            return Ok(SourceSetting::Scenes(PathBuf::from(path)));
        }
        match s {
            "webview" => Ok(SourceSetting::Webview),
            "camera" => Ok(SourceSetting::Camera(0)),
            _ => s
                .strip_prefix("camera:")
                .and_then(|i| i.parse().ok())
                .map(SourceSetting::Camera)
                .ok_or_else(|| SourceError::BadSetting(s.to_owned())),
        }
    }

    /// `RESET_CAMERA`, if set.
    pub fn from_env() -> Result<Option<SourceSetting>, SourceError> {
        match std::env::var("RESET_CAMERA") {
            Ok(v) => SourceSetting::parse(&v).map(Some),
            Err(_) => Ok(None),
        }
    }
}

/// Opens the source a setting names. The webview source is made by the app itself (it owns the
/// IPC channel), so it is not opened here.
pub fn open_source(setting: &SourceSetting) -> Result<Box<dyn FrameSource>, SourceError> {
    match setting {
        SourceSetting::Dir(path) if path.is_dir() => Ok(Box::new(FileSource::dir(path)?)),
        SourceSetting::Dir(path) => Ok(Box::new(FileSource::files(vec![path.clone()]))),
        SourceSetting::Scenes(path) => Ok(Box::new(crate::scene::ScenesSource::open(path)?)),
        SourceSetting::Webview => Err(SourceError::BadSetting(
            "webview (made by the app, not opened by name)".into(),
        )),
        #[cfg(desktop_camera)]
        SourceSetting::Camera(index) => Ok(Box::new(crate::camera::CameraSource::open(*index)?)),
        #[cfg(not(desktop_camera))]
        SourceSetting::Camera(_) => Err(SourceError::NoCamera),
    }
}
